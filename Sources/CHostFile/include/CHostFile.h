#ifndef CHOSTFILE_H
#define CHOSTFILE_H
#include <stddef.h>
#include <sys/types.h>

/* Linux file calls that glibc only declares under _GNU_SOURCE. */
off_t chostfile_seek_data(int fd, off_t offset);
off_t chostfile_seek_hole(int fd, off_t offset);
int chostfile_punch_hole(int fd, off_t offset, off_t length);
/* memfd_create(name, MFD_CLOEXEC): an anonymous in-memory file (DiskLayout hands it to libblkid). */
int chostfile_memfd_create(const char *name);

/* sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE): start writing dirty pages back, without waiting. */
int chostfile_start_writeback(int fd, off_t offset, off_t length);

/* 1 when all `length` bytes at `bytes` are zero. */
int chostfile_is_all_zero(const void *bytes, size_t length);

#endif

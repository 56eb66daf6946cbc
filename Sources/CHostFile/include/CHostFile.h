#ifndef CHOSTFILE_H
#define CHOSTFILE_H
#include <sys/types.h>

/* Linux file calls that glibc only declares under _GNU_SOURCE. */
off_t chostfile_seek_data(int fd, off_t offset);
off_t chostfile_seek_hole(int fd, off_t offset);
int chostfile_punch_hole(int fd, off_t offset, off_t length);

#endif

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/mman.h>
#include "CHostFile.h"

off_t chostfile_seek_data(int fd, off_t offset) { return lseek(fd, offset, SEEK_DATA); }
off_t chostfile_seek_hole(int fd, off_t offset) { return lseek(fd, offset, SEEK_HOLE); }
int chostfile_punch_hole(int fd, off_t offset, off_t length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
}
int chostfile_is_all_zero(const void *bytes, size_t length) {
    const unsigned char *p = bytes;
    while (length > 0 && ((uintptr_t)p & 7) != 0) { if (*p) return 0; p++; length--; }
    const uint64_t *w = (const uint64_t *)p;
    while (length >= 64) {
        if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) return 0;
        w += 8; length -= 64;
    }
    p = (const unsigned char *)w;
    while (length > 0) { if (*p) return 0; p++; length--; }
    return 1;
}
int chostfile_start_writeback(int fd, off_t offset, off_t length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}
int chostfile_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

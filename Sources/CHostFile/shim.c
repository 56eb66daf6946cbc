#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>
#include <sys/mman.h>
#include "CHostFile.h"

off_t chostfile_seek_data(int fd, off_t offset) { return lseek(fd, offset, SEEK_DATA); }
off_t chostfile_seek_hole(int fd, off_t offset) { return lseek(fd, offset, SEEK_HOLE); }
int chostfile_punch_hole(int fd, off_t offset, off_t length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
}
int chostfile_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

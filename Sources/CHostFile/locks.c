#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include "CHostFile.h"

static int ofd_set(int fd, off_t byte, short type) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = type;
    lock.l_whence = SEEK_SET;
    lock.l_start = byte;
    lock.l_len = 1;
    while (fcntl(fd, F_OFD_SETLK, &lock) != 0) {
        if (errno != EINTR) return errno;
    }
    return 0;
}

int chostfile_ofd_lock_byte(int fd, off_t byte) { return ofd_set(fd, byte, F_RDLCK); }
int chostfile_ofd_unlock_byte(int fd, off_t byte) { return ofd_set(fd, byte, F_UNLCK); }

int chostfile_ofd_byte_is_locked(int fd, off_t byte) {
    struct flock lock;
    memset(&lock, 0, sizeof lock);
    lock.l_type = F_WRLCK;
    lock.l_whence = SEEK_SET;
    lock.l_start = byte;
    lock.l_len = 1;
    if (fcntl(fd, F_OFD_GETLK, &lock) != 0) return -errno;
    return lock.l_type != F_UNLCK;
}

#ifndef CBLKID_SHIM_H
#define CBLKID_SHIM_H
#include <blkid/blkid.h>

/* The superblock values DiskLayout asks for: what `blkid -p` reports, minus bad-checksum signatures. */
static inline int cblkid_superblock_flags(void) {
    return BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_SECTYPE |
           BLKID_SUBLKS_USAGE | BLKID_SUBLKS_VERSION;
}

#endif

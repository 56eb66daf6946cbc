#ifndef CBLKID_SHIM_H
#define CBLKID_SHIM_H
#include <blkid/blkid.h>
#include <stddef.h>

/* The superblock values DiskLayout asks for: what `blkid -p` reports, minus bad-checksum signatures. */
static inline int cblkid_superblock_flags(void) {
    return BLKID_SUBLKS_LABEL | BLKID_SUBLKS_UUID | BLKID_SUBLKS_TYPE | BLKID_SUBLKS_SECTYPE |
           BLKID_SUBLKS_USAGE | BLKID_SUBLKS_VERSION;
}

/* Leaves the superblock prober `name` out of the probes that follow (blkid_probe_filter_superblocks_type with
   BLKID_FLTR_NOTIN and a one-name list). */
static inline int cblkid_skip_superblock_type(blkid_probe pr, const char *name) {
    char *names[] = {(char *)name, NULL};
    return blkid_probe_filter_superblocks_type(pr, BLKID_FLTR_NOTIN, names);
}
#endif

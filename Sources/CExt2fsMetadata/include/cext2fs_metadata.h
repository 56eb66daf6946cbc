#ifndef CEXT2FS_METADATA_H
#define CEXT2FS_METADATA_H
/*
 * The entry points of metadata.c, the compiled part of the ext2/3/4 bridge: block and inode bitmaps and group
 * descriptors of a writable session, read, checksummed and written back with the results libext2fs's own code
 * gives but at a cost that follows what the session uses and changes (see the top of metadata.c).
 *
 * Swift sees these through the CExt2fs module (its shim.h includes this header); the Ext4 target links this
 * one. The header is deliberately not a module of its own, so that the libext2fs types it names are the ones
 * CExt2fs declares.
 */
#include <stddef.h>
#include <ext2fs/ext2fs.h>

/* ext2fs_crc32c_le(crc, buf, len): the CRC32C register update, without pre- or post-inversion; the SSE4.2
 * instruction where the processor has it. */
__u32 cext2fs_crc32c(__u32 crc, const void *buf, size_t len);

/* ext2fs_read_bitmaps, filling extent-tree bitmaps only where groups are in use, then starting the session
 * tracker that records which groups' bitmaps and descriptors change. Bigalloc goes through libext2fs. */
errcode_t cext2fs_read_bitmaps_sparse(ext2_filsys fs);

/* Makes the next write-back use libext2fs's own writers (every bitmap, the whole descriptor table). */
void cext2fs_tracker_set_full(ext2_filsys fs, int full);

/* Frees the session tracker, if any (fs->priv_data). */
void cext2fs_tracker_free(ext2_filsys fs);

/* ext2fs_flush2(fs, 0), writing only the bitmaps and descriptor blocks that changed. */
errcode_t cext2fs_flush(ext2_filsys fs);

/* ext2fs_set_gdt_csum then ext2fs_close2(fs, 0), writing only what changed; the tracker is freed either way,
 * the handle only on success (free it with cext2fs_free otherwise). */
errcode_t cext2fs_close(ext2_filsys fs);

/* ext2fs_free, with the tracker. */
void cext2fs_free(ext2_filsys fs);

/* libext2fs keeps process-wide state behind ext2fs_zero_blocks2 (a static buffer and stride), and ext2fs_free
 * resets it: a zeroing in one thread while another thread frees a handle divides by zero or reads freed memory.
 * Every zeroing call and every close or free of a handle in this package holds this lock. */
void cext2fs_shared_state_lock(void);
void cext2fs_shared_state_unlock(void);

/* ext2fs_close2(fs, 0) and ext2fs_free(fs) under the shared-state lock (a handle without a tracker). */
errcode_t cext2fs_close_plain(ext2_filsys fs);
void cext2fs_free_plain(ext2_filsys fs);

#endif

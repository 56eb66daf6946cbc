#ifndef CEXT2FS_SHIM_H
#define CEXT2FS_SHIM_H
#include <string.h>
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

/* static inline wrappers for the function-like macros Swift cannot import. */
static inline unsigned int cext2fs_block_size(ext2_filsys fs) { return EXT2_BLOCK_SIZE(fs->super); }
static inline unsigned long long cext2fs_i_size(const struct ext2_inode *inode) { return EXT2_I_SIZE(inode); }
static inline int cext2fs_s_isdir(unsigned int mode) { return LINUX_S_ISDIR(mode); }
static inline int cext2fs_s_isreg(unsigned int mode) { return LINUX_S_ISREG(mode); }
static inline int cext2fs_s_islnk(unsigned int mode) { return LINUX_S_ISLNK(mode); }

/* 32-bit owner ids split over i_uid/i_gid and their osd2 high halves. */
static inline unsigned int cext2fs_inode_uid(const struct ext2_inode_large *i) {
    return (unsigned int)i->i_uid | ((unsigned int)i->osd2.linux2.l_i_uid_high << 16);
}
static inline unsigned int cext2fs_inode_gid(const struct ext2_inode_large *i) {
    return (unsigned int)i->i_gid | ((unsigned int)i->osd2.linux2.l_i_gid_high << 16);
}
static inline void cext2fs_inode_set_owner(struct ext2_inode_large *i, unsigned int uid, unsigned int gid) {
    i->i_uid = (__u16)(uid & 0xFFFF); i->osd2.linux2.l_i_uid_high = (__u16)(uid >> 16);
    i->i_gid = (__u16)(gid & 0xFFFF); i->osd2.linux2.l_i_gid_high = (__u16)(gid >> 16);
}
/* The inode size on disk and the part of ext2_inode_large that holds valid extra fields. */
static inline int cext2fs_inode_size(ext2_filsys fs) { return EXT2_INODE_SIZE(fs->super); }
static inline int cext2fs_has_extra_times(ext2_filsys fs, const struct ext2_inode_large *i) {
    return EXT2_INODE_SIZE(fs->super) > EXT2_GOOD_OLD_INODE_SIZE &&
           i->i_extra_isize >= (offsetof(struct ext2_inode_large, i_crtime) - EXT2_GOOD_OLD_INODE_SIZE);
}
/* The setters of the io_channel's block size that libext2fs's convenience macros hide. */
static inline errcode_t cext2fs_io_flush(io_channel io) { return io_channel_flush(io); }

/* 1 when the first `count` bytes of `bytes` are all zero. */
static inline int cext2fs_all_zero(const unsigned char *bytes, unsigned int count) {
    for (unsigned int i = 0; i < count; i++) if (bytes[i]) return 0;
    return 1;
}

/* 1 when bytes first...last of a bitmap block are all set (the padding past the group's bits). */
static inline int cext2fs_tail_set(const unsigned char *bitmap, unsigned int first, unsigned int last) {
    for (unsigned int i = first; i <= last; i++) if (bitmap[i] != 0xff) return 0;
    return 1;
}

/*
 * Marks in `bmap` the runs of set bits of one group's on-disk block bitmap (`nbits` bits for the blocks from
 * `first` on): one extent insertion per run, where ext2fs_set_block_bitmap_range2 on an extent-tree bitmap walks
 * every byte. Whole zero or all-ones 64-bit words are skipped or extended at once. Bits for blocks at or past
 * `end` (the last group's padding) are left out: ext2fs_write_bitmaps sets that padding itself.
 */
static inline errcode_t cext2fs_mark_block_runs(ext2fs_block_bitmap bmap, blk64_t first,
                                                const unsigned char *bits, unsigned int nbits, blk64_t end) {
    if (first >= end) return 0;
    if (end - first < nbits) nbits = (unsigned int)(end - first);
    unsigned int i = 0;
    while (i < nbits) {
        if ((i & 63) == 0 && i + 64 <= nbits) {
            __u64 word;
            memcpy(&word, bits + (i >> 3), 8);
            if (word == 0) { i += 64; continue; }
        }
        if (!(bits[i >> 3] & (1u << (i & 7)))) { i++; continue; }
        unsigned int start = i;
        while (i < nbits) {
            if ((i & 63) == 0 && i + 64 <= nbits) {
                __u64 word;
                memcpy(&word, bits + (i >> 3), 8);
                if (word == ~(__u64)0) { i += 64; continue; }
            }
            if (!(bits[i >> 3] & (1u << (i & 7)))) break;
            i++;
        }
        ext2fs_mark_block_bitmap_range2(bmap, first + start, i - start);
    }
    return 0;
}

/*
 * Reads the block and inode bitmaps with the result of ext2fs_read_bitmaps (same checks, same error codes,
 * same BLOCK_UNINIT marking, same tail flags), but into extent-tree (rbtree) bitmaps, and without copying the
 * groups whose bitmap is uninitialized or all zero: their bits are already clear. On a large, mostly empty
 * filesystem (1 TiB: 8192 groups) this reads the same blocks but touches memory only for what is in use, where
 * the flat bitmaps ext2fs_read_bitmaps allocates are zero-filled in full (40 MiB at 1 TiB) and every group is
 * copied into them. Bigalloc filesystems go through ext2fs_read_bitmaps unchanged.
 */
static inline errcode_t cext2fs_read_bitmaps_sparse(ext2_filsys fs) {
    if (fs->block_map && fs->inode_map) return 0;
    if (ext2fs_has_feature_bigalloc(fs->super) || fs->block_map || fs->inode_map) return ext2fs_read_bitmaps(fs);
    unsigned int block_nbytes = EXT2_CLUSTERS_PER_GROUP(fs->super) / 8;
    unsigned int inode_nbytes = EXT2_INODES_PER_GROUP(fs->super) / 8;
    if (block_nbytes > fs->blocksize || inode_nbytes > fs->blocksize) return EXT2_ET_CORRUPT_SUPERBLOCK;
    if (ext2fs_has_feature_journal_dev(fs->super)) return EXT2_ET_EXTERNAL_JOURNAL_NOSUPP;

    ext2fs_block_bitmap bmap = 0;
    ext2fs_inode_bitmap imap = 0;
    char *buf = 0;
    int tail_flags = 0;
    errcode_t rc;
    __u16 saved_type = fs->default_bitmap_type;
    fs->default_bitmap_type = EXT2FS_BMAP64_RBTREE;
    rc = ext2fs_allocate_block_bitmap(fs, "block bitmap", &bmap);
    if (!rc) rc = ext2fs_allocate_inode_bitmap(fs, "inode bitmap", &imap);
    fs->default_bitmap_type = saved_type;
    if (!rc) rc = io_channel_alloc_buf(fs->io, 0, &buf);
    if (rc) goto fail;

    int csum = ext2fs_has_group_desc_csum(fs);
    blk64_t blocks = ext2fs_blocks_count(fs->super);
    blk64_t first_block = fs->super->s_first_data_block;
    for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
        /* The UNINIT flags, trusted only when the descriptor's checksum holds (verified once per group). */
        int uninit = csum ? ext2fs_bg_flags(fs, g) & (EXT2_BG_BLOCK_UNINIT | EXT2_BG_INODE_UNINIT) : 0;
        if (uninit && !ext2fs_group_desc_csum_verify(fs, g)) uninit = 0;
        blk64_t blk = ext2fs_block_bitmap_loc(fs, g);
        if ((uninit & EXT2_BG_BLOCK_UNINIT) || blk >= blocks)
            blk = 0;
        if (blk) {
            if (io_channel_read_blk64(fs->io, blk, 1, buf)) { rc = EXT2_ET_BLOCK_BITMAP_READ; goto fail; }
            if (!(fs->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS) &&
                !ext2fs_block_bitmap_csum_verify(fs, g, buf, (int)block_nbytes)) {
                rc = EXT2_ET_BLOCK_BITMAP_CSUM_INVALID; goto fail;
            }
            if (!cext2fs_tail_set((unsigned char *)buf, block_nbytes, fs->blocksize - 1))
                tail_flags |= EXT2_FLAG_BBITMAP_TAIL_PROBLEM;
            if (!cext2fs_all_zero((unsigned char *)buf, block_nbytes)) {
                rc = cext2fs_mark_block_runs(bmap, first_block + (blk64_t)g * (block_nbytes << 3),
                                             (unsigned char *)buf, block_nbytes << 3, blocks);
                if (rc) goto fail;
            }
        }
        blk = ext2fs_inode_bitmap_loc(fs, g);
        if ((uninit & EXT2_BG_INODE_UNINIT) || blk >= blocks)
            blk = 0;
        if (blk) {
            if (io_channel_read_blk64(fs->io, blk, 1, buf)) { rc = EXT2_ET_INODE_BITMAP_READ; goto fail; }
            if (!(fs->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS) &&
                !ext2fs_inode_bitmap_csum_verify(fs, g, buf, (int)inode_nbytes)) {
                rc = EXT2_ET_INODE_BITMAP_CSUM_INVALID; goto fail;
            }
            if (!cext2fs_tail_set((unsigned char *)buf, inode_nbytes, fs->blocksize - 1))
                tail_flags |= EXT2_FLAG_IBITMAP_TAIL_PROBLEM;
            if (!cext2fs_all_zero((unsigned char *)buf, inode_nbytes)) {
                rc = ext2fs_set_inode_bitmap_range2(imap, 1 + (ext2_ino_t)g * (inode_nbytes << 3),
                                                    inode_nbytes << 3, buf);
                if (rc) goto fail;
            }
        }
    }
    /* What the kernel and ext2fs_read_bitmaps count as in use in a BLOCK_UNINIT group. */
    for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
        if (!ext2fs_bg_flags_test(fs, g, EXT2_BG_BLOCK_UNINIT)) continue;
        ext2fs_reserve_super_and_bgd(fs, g, bmap);
        blk64_t blk = ext2fs_inode_table_loc(fs, g);
        if (blk) ext2fs_mark_block_bitmap_range2(bmap, blk, fs->inode_blocks_per_group);
        blk = ext2fs_block_bitmap_loc(fs, g);
        if (blk && blk < blocks) ext2fs_mark_block_bitmap2(bmap, blk);
        blk = ext2fs_inode_bitmap_loc(fs, g);
        if (blk && blk < blocks) ext2fs_mark_block_bitmap2(bmap, blk);
    }
    ext2fs_free_mem(&buf);
    fs->write_bitmaps = ext2fs_write_bitmaps;
    fs->block_map = bmap;
    fs->inode_map = imap;
    fs->flags &= ~(EXT2_FLAG_BBITMAP_TAIL_PROBLEM | EXT2_FLAG_IBITMAP_TAIL_PROBLEM);
    fs->flags |= tail_flags;
    return 0;
fail:
    if (buf) ext2fs_free_mem(&buf);
    if (bmap) ext2fs_free_block_bitmap(bmap);
    if (imap) ext2fs_free_inode_bitmap(imap);
    return rc;
}

#endif

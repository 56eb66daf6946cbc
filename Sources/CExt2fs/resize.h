#ifndef CEXT2FS_RESIZE_H
#define CEXT2FS_RESIZE_H
/*
 * Growing an ext2/3/4 filesystem in place, offline, through libext2fs's public API: the growth resize2fs makes
 * when nothing has to move (the new descriptor blocks come out of the resize inode's reserved ones, or none
 * are needed). In the order resize2fs takes (e2fsprogs resize/resize2fs.c: resize_fs, adjust_fs_info,
 * adjust_superblock, fix_uninit_block_bitmaps, the summary statistics, fix_resize_inode), written here for
 * vhdedit; the results are compared with resize2fs's in the tests:
 *
 * 1. Plan (cext2fs_growth_plan): the new block count is what the partition holds, rounded down to a whole
 *    4 KiB page for smaller blocks, and without a last group too small for its metadata plus 50 blocks; the
 *    new group and descriptor-block counts; refusals (bigalloc, sparse_super2, meta_bg needing new
 *    descriptor blocks, more descriptor blocks than reserved, more than 2^32 inodes, more than 2^32 blocks
 *    without 64bit). Nothing is changed.
 * 2. Grow (cext2fs_grow): superblock counts (blocks, inodes, free, reserved in proportion), bitmaps and the
 *    descriptor table resized, reserved GDT blocks reduced by the descriptor blocks taken, the old last group's
 *    free count; then each new group's descriptor (INODE_UNINIT, BLOCK_UNINIT but for the last, backup
 *    superblock and descriptor blocks marked) and its bitmaps and inode table placed as
 *    ext2fs_allocate_group_table places them (the flex_bg layout; see cext2fs_allocate_group_table); new
 *    inode tables zeroed unless the group descriptors carry checksums (lazy init, INODE_UNINIT); free counts recounted from the bitmaps; the resize inode
 *    rebuilt for the new reserved count; the journal backup in the superblock refreshed; checksums set.
 *    The caller then closes the filesystem, which writes the superblock, its backups, every descriptor copy
 *    and the bitmaps.
 */
#include <stdlib.h>
#include <string.h>
#include <ext2fs/ext2fs.h>

enum cext2fs_growth_verdict {
    CEXT2FS_GROW_OK = 0,
    CEXT2FS_GROW_NOTHING = 1,           /* the filesystem already fills the space */
    CEXT2FS_GROW_BIGALLOC = 2,
    CEXT2FS_GROW_SPARSE_SUPER2 = 3,
    CEXT2FS_GROW_META_BG = 4,           /* meta_bg and the descriptor table would grow */
    CEXT2FS_GROW_NO_RESERVED_GDT = 5,   /* more descriptor blocks than reserved */
    CEXT2FS_GROW_TOO_MANY_INODES = 6,
    CEXT2FS_GROW_NOT_64BIT = 7,         /* more than 2^32 - 1 blocks without the 64bit feature */
    CEXT2FS_GROW_TOO_SMALL = 8,
};

struct cext2fs_growth {
    int verdict;
    blk64_t old_blocks, new_blocks;
    dgrp_t old_groups, new_groups;
    unsigned long old_desc_blocks, new_desc_blocks;
    unsigned int reserved_gdt_blocks;
    unsigned long long new_inodes;
};

/* The growth of `fs` into `available` blocks (the partition's size in filesystem blocks). */
static inline struct cext2fs_growth cext2fs_growth_plan(ext2_filsys fs, blk64_t available) {
    struct ext2_super_block *sb = fs->super;
    struct cext2fs_growth g;
    memset(&g, 0, sizeof(g));
    g.old_blocks = ext2fs_blocks_count(sb);
    g.old_groups = fs->group_desc_count;
    g.old_desc_blocks = fs->desc_blocks;
    g.reserved_gdt_blocks = sb->s_reserved_gdt_blocks;
    blk64_t size = available;
    /* Whole 4 KiB pages, as resize2fs rounds the device size down for smaller blocks. */
    if (fs->blocksize < 4096) size &= ~((blk64_t)(4096 / fs->blocksize) - 1);
    if (!ext2fs_has_feature_64bit(sb)) {
        if (size == (1ULL << 32)) size--;
        else if (size > (1ULL << 32)) { g.verdict = CEXT2FS_GROW_NOT_64BIT; return g; }
    }
    if (ext2fs_has_feature_bigalloc(sb)) { g.verdict = CEXT2FS_GROW_BIGALLOC; return g; }
    if (ext2fs_has_feature_sparse_super2(sb)) { g.verdict = CEXT2FS_GROW_SPARSE_SUPER2; return g; }
    if (size <= g.old_blocks) { g.new_blocks = g.old_blocks; g.new_groups = g.old_groups;
        g.new_desc_blocks = g.old_desc_blocks; g.verdict = CEXT2FS_GROW_NOTHING; return g; }
    blk64_t first = sb->s_first_data_block, per_group = EXT2_BLOCKS_PER_GROUP(sb);
    for (;;) {
        dgrp_t groups = (dgrp_t)((size - first + per_group - 1) / per_group);
        if (groups == 0) { g.verdict = CEXT2FS_GROW_TOO_SMALL; return g; }
        unsigned long desc_blocks = (groups + EXT2_DESC_PER_BLOCK(sb) - 1) / EXT2_DESC_PER_BLOCK(sb);
        blk64_t overhead = 2 + fs->inode_blocks_per_group;
        if (ext2fs_bg_has_super(fs, groups - 1)) overhead += 1 + desc_blocks + sb->s_reserved_gdt_blocks;
        blk64_t rem = (size - first) % per_group;
        if (groups == 1 && rem && rem < overhead) { g.verdict = CEXT2FS_GROW_TOO_SMALL; return g; }
        if (groups > 1 && rem && rem < overhead + 50) { size -= rem; continue; }
        g.new_blocks = size;
        g.new_groups = groups;
        g.new_desc_blocks = desc_blocks;
        break;
    }
    g.new_inodes = (unsigned long long)sb->s_inodes_per_group * g.new_groups;
    if (g.new_inodes > 0xFFFFFFFFull) { g.verdict = CEXT2FS_GROW_TOO_MANY_INODES; return g; }
    if (g.new_blocks <= g.old_blocks) { g.new_blocks = g.old_blocks; g.new_groups = g.old_groups;
        g.new_desc_blocks = g.old_desc_blocks; g.verdict = CEXT2FS_GROW_NOTHING; return g; }
    if (g.new_desc_blocks > g.old_desc_blocks) {
        if (ext2fs_has_feature_meta_bg(sb)) { g.verdict = CEXT2FS_GROW_META_BG; return g; }
        if (!ext2fs_has_feature_resize_inode(sb) ||
            g.new_desc_blocks - g.old_desc_blocks > sb->s_reserved_gdt_blocks) {
            g.verdict = CEXT2FS_GROW_NO_RESERVED_GDT;
            return g;
        }
    }
    g.verdict = CEXT2FS_GROW_OK;
    return g;
}

/* Each BLOCK_UNINIT group's bitmap as its metadata alone (resize2fs's fix_uninit_block_bitmaps). */
static inline void cext2fs_fix_uninit_block_bitmaps(ext2_filsys fs) {
    if (!ext2fs_has_group_desc_csum(fs)) return;
    for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
        if (!ext2fs_bg_flags_test(fs, g, EXT2_BG_BLOCK_UNINIT)) continue;
        blk64_t first = ext2fs_group_first_block2(fs, g), last = ext2fs_group_last_block2(fs, g);
        ext2fs_unmark_block_bitmap_range2(fs->block_map, first, last - first + 1);
        ext2fs_reserve_super_and_bgd(fs, g, fs->block_map);
        ext2fs_mark_block_bitmap2(fs->block_map, ext2fs_block_bitmap_loc(fs, g));
        ext2fs_mark_block_bitmap2(fs->block_map, ext2fs_inode_bitmap_loc(fs, g));
        ext2fs_mark_block_bitmap_range2(fs->block_map, ext2fs_inode_table_loc(fs, g), fs->inode_blocks_per_group);
    }
}

static inline unsigned int cext2fs_count_bits(const unsigned char *bytes, unsigned int count) {
    unsigned int n = 0, i = 0;
    for (; i + 8 <= count; i += 8) {
        unsigned long long word;
        memcpy(&word, bytes + i, 8);
        n += (unsigned int)__builtin_popcountll(word);
    }
    for (; i < count; i++) n += (unsigned int)__builtin_popcount(bytes[i]);
    return n;
}

/* Free blocks and inodes of every group counted from the bitmaps, and the superblock totals. */
static inline errcode_t cext2fs_recount_free(ext2_filsys fs) {
    struct ext2_super_block *sb = fs->super;
    unsigned int per_group = sb->s_clusters_per_group, inodes = sb->s_inodes_per_group;
    size_t size = (per_group > inodes ? per_group : inodes) / 8 + 1;
    unsigned char *buf = (unsigned char *)malloc(size);
    if (!buf) return ENOMEM;
    blk64_t blk = sb->s_first_data_block, free_blocks = 0;
    __u32 free_inodes = 0;
    errcode_t rc = 0;
    for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
        rc = ext2fs_get_block_bitmap_range2(fs->block_map, blk, per_group, buf);
        if (rc) break;
        unsigned int group_free = per_group - cext2fs_count_bits(buf, per_group / 8);
        free_blocks += group_free;
        ext2fs_bg_free_blocks_count_set(fs, g, group_free);
        __u32 group_free_inodes = inodes;
        if (!ext2fs_bg_flags_test(fs, g, EXT2_BG_INODE_UNINIT)) {
            rc = ext2fs_get_inode_bitmap_range2(fs->inode_map, (__u64)g * inodes + 1, inodes, buf);
            if (rc) break;
            group_free_inodes = inodes - cext2fs_count_bits(buf, inodes / 8);
        }
        free_inodes += group_free_inodes;
        ext2fs_bg_free_inodes_count_set(fs, g, group_free_inodes);
        ext2fs_group_desc_csum_set(fs, g);
        blk += per_group;
    }
    free(buf);
    if (rc) return rc;
    ext2fs_free_blocks_count_set(sb, free_blocks);
    sb->s_free_inodes_count = free_inodes;
    ext2fs_mark_super_dirty(fs);
    return 0;
}

/* The resize inode rebuilt for the current reserved GDT count (resize2fs's fix_resize_inode). */
static inline errcode_t cext2fs_rebuild_resize_inode(ext2_filsys fs) {
    if (!ext2fs_has_feature_resize_inode(fs->super)) return 0;
    struct ext2_inode inode;
    errcode_t rc = ext2fs_read_inode(fs, EXT2_RESIZE_INO, &inode);
    if (rc) return rc;
    ext2fs_iblk_set(fs, &inode, 1);
    rc = ext2fs_write_inode(fs, EXT2_RESIZE_INO, &inode);
    if (rc) return rc;
    if (!inode.i_block[EXT2_DIND_BLOCK]) return EXT2_ET_RESIZE_INODE_CORRUPT;
    cext2fs_shared_state_lock();
    rc = ext2fs_zero_blocks2(fs, inode.i_block[EXT2_DIND_BLOCK], 1, NULL, NULL);
    cext2fs_shared_state_unlock();
    if (rc) return rc;
    return ext2fs_create_resize_inode(fs);
}

/* The copy of the journal inode's block map the superblock keeps (resize2fs's fix_sb_journal_backup). */
static inline errcode_t cext2fs_refresh_journal_backup(ext2_filsys fs) {
    if (!ext2fs_has_feature_journal(fs->super)) return 0;
    if (fs->super->s_journal_dev && !fs->super->s_journal_inum) return 0;
    struct ext2_inode inode;
    errcode_t rc = ext2fs_read_inode(fs, fs->super->s_journal_inum, &inode);
    if (rc) return rc;
    memcpy(fs->super->s_jnl_blocks, inode.i_block, EXT2_N_BLOCKS * 4);
    fs->super->s_jnl_blocks[15] = inode.i_size_high;
    fs->super->s_jnl_blocks[16] = inode.i_size;
    fs->super->s_jnl_backup_type = EXT3_JNL_BACKUP_BLOCKS;
    ext2fs_mark_super_dirty(fs);
    return 0;
}

/* ---- Placing a new group's bitmaps and inode table ----------------------------------------------------------
 * libext2fs's ext2fs_allocate_group_table (lib/ext2fs/alloc_tables.c, unchanged since 1.47.0), the placement
 * resize2fs makes, with one difference in cost only: its search for a free run (ext2fs_get_free_blocks2) tests
 * one start block after another, a tree search each; here a failing start jumps to the first clear block past
 * the set one that made it fail, and the walk stops where the original would (at `finish`, or at the end of the
 * filesystem, wrapping to the first data block when `finish` is not past `start`). The same first fit, so the
 * same placement: the tests compare it group by group with resize2fs's. Growing 1 GiB to 30 GiB, the old last
 * flex group's new members searched from its first block over every block in use, 119,191 tests in all. */

/* ext2fs_get_free_blocks2 for a filesystem without bigalloc: the first b from `start` with [b, b + num) clear. */
static inline errcode_t cext2fs_get_free_blocks(ext2_filsys fs, blk64_t start, blk64_t finish, int num,
                                                ext2fs_block_bitmap map, blk64_t *ret) {
    blk64_t first = fs->super->s_first_data_block, blocks = ext2fs_blocks_count(fs->super);
    blk64_t b = start ? start : first;
    if (!finish) finish = start;
    if (num <= 0) num = 1;
    if ((blk64_t)num > blocks) return EXT2_ET_BLOCK_ALLOC_FAIL;
    blk64_t wrap = blocks - (blk64_t)num + 1; /* the first b whose run passes the end */
    int wrapped = 0;
    for (;;) {
        if (b >= wrap) {
            /* (A second wrap means no run anywhere: the original would search forever.) */
            if (finish > start || wrapped++) return EXT2_ET_BLOCK_ALLOC_FAIL;
            b = first;
        }
        blk64_t set;
        if (ext2fs_find_first_set_block_bitmap2(map, b, b + (blk64_t)num - 1, &set) != 0) {
            *ret = b;
            return 0;
        }
        /* Every start up to `set` holds `set`, every start from there to the next clear block is itself set. */
        blk64_t next = blocks;
        if (set + 1 < blocks && ext2fs_find_first_zero_block_bitmap2(map, set + 1, blocks - 1, &next) != 0)
            next = blocks;
        blk64_t target = next < wrap ? next : wrap;
        if (finish > b && finish <= target) return EXT2_ET_BLOCK_ALLOC_FAIL;
        b = target;
    }
}

/* alloc_tables.c's flexbg_offset with the search above. */
static inline blk64_t cext2fs_flexbg_offset(ext2_filsys fs, dgrp_t group, blk64_t start_blk,
                                            ext2fs_block_bitmap bmap, int rem_grp, int elem_size) {
    int flexbg_size = 1 << fs->super->s_log_groups_per_flex;
    int flexbg = (int)(group / (dgrp_t)flexbg_size);
    int size = rem_grp * elem_size;
    blk64_t last_blk, first_free = 0;
    if (size > (int)(fs->super->s_blocks_per_group / 4)) size = (int)fs->super->s_blocks_per_group / 4;
    if (start_blk && start_blk < ext2fs_blocks_count(fs->super) &&
        cext2fs_get_free_blocks(fs, start_blk, start_blk + size, elem_size, bmap, &first_free) == 0)
        return first_free;
    start_blk = ext2fs_group_first_block2(fs, (dgrp_t)(flexbg_size * flexbg));
    dgrp_t last_grp = group | (dgrp_t)(flexbg_size - 1);
    if (last_grp > fs->group_desc_count - 1) last_grp = fs->group_desc_count - 1;
    last_blk = ext2fs_group_last_block2(fs, last_grp);
    if (cext2fs_get_free_blocks(fs, start_blk, last_blk, size, bmap, &first_free) == 0) return first_free;
    if (cext2fs_get_free_blocks(fs, start_blk, last_blk, elem_size, bmap, &first_free) == 0) return first_free;
    if (cext2fs_get_free_blocks(fs, 0, last_blk, elem_size, bmap, &first_free) == 0) return first_free;
    return first_free;
}

/* One block of group metadata taken at `blk` (a bitmap): its group's free count and flags, as alloc_tables.c. */
static inline void cext2fs_take_metadata_block(ext2_filsys fs, blk64_t blk) {
    dgrp_t gr = ext2fs_group_of_blk2(fs, blk);
    ext2fs_bg_free_blocks_count_set(fs, gr, ext2fs_bg_free_blocks_count(fs, gr) - 1);
    ext2fs_free_blocks_count_add(fs->super, -1);
    ext2fs_bg_flags_clear(fs, gr, EXT2_BG_BLOCK_UNINIT);
    ext2fs_group_desc_csum_set(fs, gr);
}

/* ext2fs_allocate_group_table(fs, group, fs->block_map) with the faster search, for flex_bg filesystems
 * without bigalloc; others go to libext2fs's own. */
static inline errcode_t cext2fs_allocate_group_table(ext2_filsys fs, dgrp_t group) {
    if (!ext2fs_has_feature_flex_bg(fs->super) || !fs->super->s_log_groups_per_flex ||
        ext2fs_has_feature_bigalloc(fs->super))
        return ext2fs_allocate_group_table(fs, group, 0);
    ext2fs_block_bitmap bmap = fs->block_map;
    errcode_t rc;
    blk64_t group_blk = ext2fs_group_first_block2(fs, group), last_blk, start_blk, new_blk, prev_block;
    int flexbg_size = 1 << fs->super->s_log_groups_per_flex;
    dgrp_t last_grp = group | (dgrp_t)(flexbg_size - 1);
    if (last_grp > fs->group_desc_count - 1) last_grp = fs->group_desc_count - 1;
    int rem_grps = (int)(last_grp - group + 1);
    int table_offset = flexbg_size;

    prev_block = 0;
    if (group % (dgrp_t)flexbg_size) {
        prev_block = ext2fs_block_bitmap_loc(fs, group - 1) + 1;
    } else if (last_grp == fs->group_desc_count - 1) {
        /* The last flex group keeps its tables contiguous. */
        table_offset = (int)(last_grp & (dgrp_t)(flexbg_size - 1));
        table_offset = table_offset == 0 ? flexbg_size : table_offset + 1;
    }
    start_blk = cext2fs_flexbg_offset(fs, group, prev_block, bmap, rem_grps, 1);
    last_blk = ext2fs_group_last_block2(fs, last_grp);
    if (!ext2fs_block_bitmap_loc(fs, group)) {
        rc = cext2fs_get_free_blocks(fs, start_blk, last_blk, 1, bmap, &new_blk);
        if (rc == EXT2_ET_BLOCK_ALLOC_FAIL) rc = cext2fs_get_free_blocks(fs, group_blk, last_blk, 1, bmap, &new_blk);
        if (rc) return rc;
        ext2fs_mark_block_bitmap2(bmap, new_blk);
        ext2fs_block_bitmap_loc_set(fs, group, new_blk);
        cext2fs_take_metadata_block(fs, new_blk);
    }

    if (group % (dgrp_t)flexbg_size) prev_block = ext2fs_inode_bitmap_loc(fs, group - 1) + 1;
    else prev_block = ext2fs_block_bitmap_loc(fs, group) + (blk64_t)table_offset;
    start_blk = cext2fs_flexbg_offset(fs, group, prev_block, bmap, rem_grps, 1);
    last_blk = ext2fs_group_last_block2(fs, last_grp);
    if (!ext2fs_inode_bitmap_loc(fs, group)) {
        rc = cext2fs_get_free_blocks(fs, start_blk, last_blk, 1, bmap, &new_blk);
        if (rc == EXT2_ET_BLOCK_ALLOC_FAIL) rc = cext2fs_get_free_blocks(fs, group_blk, last_blk, 1, bmap, &new_blk);
        if (rc) return rc;
        ext2fs_mark_block_bitmap2(bmap, new_blk);
        ext2fs_inode_bitmap_loc_set(fs, group, new_blk);
        cext2fs_take_metadata_block(fs, new_blk);
    }

    if (group % (dgrp_t)flexbg_size)
        prev_block = ext2fs_inode_table_loc(fs, group - 1) + fs->inode_blocks_per_group;
    else
        prev_block = ext2fs_inode_bitmap_loc(fs, group) + (blk64_t)table_offset;
    group_blk = cext2fs_flexbg_offset(fs, group, prev_block, bmap, rem_grps, (int)fs->inode_blocks_per_group);
    last_blk = ext2fs_group_last_block2(fs, last_grp);
    if (!ext2fs_inode_table_loc(fs, group)) {
        rc = cext2fs_get_free_blocks(fs, group_blk, last_blk, (int)fs->inode_blocks_per_group, bmap, &new_blk);
        if (rc) return rc;
        ext2fs_mark_block_bitmap_range2(bmap, new_blk, fs->inode_blocks_per_group);
        blk64_t num = fs->inode_blocks_per_group, blk = new_blk;
        while (num) {
            dgrp_t gr = ext2fs_group_of_blk2(fs, blk);
            blk64_t group_last = ext2fs_group_last_block2(fs, gr), n = num;
            if (blk + num > group_last) n = group_last - blk + 1;
            ext2fs_bg_free_blocks_count_set(fs, gr, ext2fs_bg_free_blocks_count(fs, gr) - (__u32)n);
            ext2fs_bg_flags_clear(fs, gr, EXT2_BG_BLOCK_UNINIT);
            ext2fs_group_desc_csum_set(fs, gr);
            ext2fs_free_blocks_count_add(fs->super, -(blk64_t)n);
            blk += n;
            num -= n;
        }
        ext2fs_inode_table_loc_set(fs, group, new_blk);
    }
    ext2fs_group_desc_csum_set(fs, group);
    return 0;
}

/* Grows `fs` (opened read-write, bitmaps read) as `g` planned (verdict CEXT2FS_GROW_OK). `lazy_itable_init`:
 * leave new inode tables unwritten where descriptors carry checksums (the kernel zeroes them later), as
 * resize2fs does when the running kernel supports it. On failure the in-memory filesystem is half-changed:
 * free it without writing. */
static inline errcode_t cext2fs_grow(ext2_filsys fs, const struct cext2fs_growth *g, int lazy_itable_init) {
    struct ext2_super_block *sb = fs->super;
    errcode_t rc;
    if (g->verdict != CEXT2FS_GROW_OK) return EXT2_ET_INVALID_ARGUMENT;
    /* From here libext2fs's own writers write everything (every group's bitmaps, every descriptor copy). */
    cext2fs_tracker_free(fs);
    cext2fs_fix_uninit_block_bitmaps(fs);

    blk64_t old_blocks = ext2fs_blocks_count(sb), new_blocks = g->new_blocks;
    dgrp_t old_groups = fs->group_desc_count;
    unsigned long old_desc_blocks = fs->desc_blocks;
    blk64_t old_reserved = ext2fs_r_blocks_count(sb);

    ext2fs_mark_super_dirty(fs);
    ext2fs_mark_bb_dirty(fs);
    ext2fs_mark_ib_dirty(fs);
    ext2fs_blocks_count_set(sb, new_blocks);
    sb->s_overhead_clusters = 0;
    fs->group_desc_count = g->new_groups;
    fs->desc_blocks = g->new_desc_blocks;
    sb->s_inodes_count = (__u32)g->new_inodes;
    ext2fs_free_blocks_count_set(sb, ext2fs_free_blocks_count(sb) + (new_blocks - old_blocks));
    double percent = (old_reserved * 100.0) / old_blocks;
    ext2fs_r_blocks_count_set(sb, (blk64_t)(percent * new_blocks / 100.0));

    rc = ext2fs_resize_inode_bitmap2(sb->s_inodes_count, sb->s_inodes_count, fs->inode_map);
    if (rc) return rc;
    blk64_t real_end = EXT2_GROUPS_TO_BLOCKS(sb, fs->group_desc_count) - 1 + sb->s_first_data_block;
    rc = ext2fs_resize_block_bitmap2(new_blocks - 1, real_end, fs->block_map);
    if (rc) return rc;
    if (old_desc_blocks != fs->desc_blocks) {
        rc = ext2fs_resize_mem(old_desc_blocks * fs->blocksize, fs->desc_blocks * fs->blocksize, &fs->group_desc);
        if (rc) return rc;
        memset((char *)fs->group_desc + old_desc_blocks * fs->blocksize, 0,
               (fs->desc_blocks - old_desc_blocks) * fs->blocksize);
        if (ext2fs_has_feature_resize_inode(sb)) {
            int reserved = (int)sb->s_reserved_gdt_blocks + (int)old_desc_blocks - (int)fs->desc_blocks;
            if (reserved < 0) reserved = 0;
            if (reserved > (int)fs->blocksize / 4) reserved = (int)fs->blocksize / 4;
            sb->s_reserved_gdt_blocks = (__u16)reserved;
        }
    }
    if (ext2fs_has_feature_meta_bg(sb) && sb->s_first_meta_bg > fs->desc_blocks) {
        ext2fs_clear_feature_meta_bg(sb);
        sb->s_first_meta_bg = 0;
    }

    /* The old last group grows to a whole group (or to the new end). */
    blk64_t per_group = sb->s_blocks_per_group, first = sb->s_first_data_block;
    blk64_t old_numblocks = (old_blocks - first) % per_group;
    if (!old_numblocks) old_numblocks = per_group;
    blk64_t numblocks = per_group;
    if (old_groups == fs->group_desc_count) {
        numblocks = (new_blocks - first) % per_group;
        if (!numblocks) numblocks = per_group;
    }
    ext2fs_bg_free_blocks_count_set(fs, old_groups - 1,
                                    ext2fs_bg_free_blocks_count(fs, old_groups - 1) + (numblocks - old_numblocks));
    ext2fs_group_desc_csum_set(fs, old_groups - 1);

    if (old_groups < fs->group_desc_count) {
        int csum = ext2fs_has_group_desc_csum(fs);
        unsigned long gdt_blocks = ext2fs_has_feature_meta_bg(sb) ? sb->s_first_meta_bg
                                                                   : fs->desc_blocks + sb->s_reserved_gdt_blocks;
        for (dgrp_t i = 0; i < old_groups; i++) ext2fs_reserve_super_and_bgd(fs, i, fs->block_map);
        blk64_t group_block = ext2fs_group_first_block2(fs, old_groups);
        for (dgrp_t i = old_groups; i < fs->group_desc_count; i++) {
            memset(ext2fs_group_desc(fs, fs->group_desc, i), 0, sizeof(struct ext2_group_desc));
            blk64_t adjblocks = 0;
            ext2fs_bg_flags_zap(fs, i);
            if (csum) {
                ext2fs_bg_flags_set(fs, i, EXT2_BG_INODE_UNINIT);
                if (!lazy_itable_init) ext2fs_bg_flags_set(fs, i, EXT2_BG_INODE_ZEROED);
                ext2fs_bg_itable_unused_set(fs, i, sb->s_inodes_per_group);
            }
            blk64_t count = ext2fs_group_blocks_count(fs, i);
            if (i < fs->group_desc_count - 1 && csum) ext2fs_bg_flags_set(fs, i, EXT2_BG_BLOCK_UNINIT);
            int has_super = ext2fs_bg_has_super(fs, i);
            if (has_super) {
                ext2fs_block_alloc_stats2(fs, group_block, +1);
                adjblocks++;
            }
            unsigned int meta_bg_size = EXT2_DESC_PER_BLOCK(sb), meta_bg = i / meta_bg_size;
            if (!ext2fs_has_feature_meta_bg(sb) || meta_bg < sb->s_first_meta_bg) {
                if (has_super) {
                    for (unsigned long j = 0; j < gdt_blocks; j++) ext2fs_block_alloc_stats2(fs, group_block + 1 + j, +1);
                    adjblocks += gdt_blocks;
                }
            } else {
                if ((i % meta_bg_size) == 0 || (i % meta_bg_size) == 1 || (i % meta_bg_size) == meta_bg_size - 1)
                    ext2fs_block_alloc_stats2(fs, group_block + (has_super ? 1 : 0), +1);
            }
            adjblocks += 2 + fs->inode_blocks_per_group;
            count -= adjblocks;
            ext2fs_free_blocks_count_set(sb, ext2fs_free_blocks_count(sb) - adjblocks);
            sb->s_free_inodes_count += sb->s_inodes_per_group;
            ext2fs_bg_free_blocks_count_set(fs, i, (__u32)count);
            ext2fs_bg_free_inodes_count_set(fs, i, sb->s_inodes_per_group);
            ext2fs_bg_used_dirs_count_set(fs, i, 0);
            ext2fs_group_desc_csum_set(fs, i);
            rc = cext2fs_allocate_group_table(fs, i);
            if (rc) return rc;
            group_block += sb->s_blocks_per_group;
        }
        if (!(lazy_itable_init && csum)) {
            for (dgrp_t i = old_groups; i < fs->group_desc_count; i++) {
                cext2fs_shared_state_lock();
                rc = ext2fs_zero_blocks2(fs, ext2fs_inode_table_loc(fs, i), (int)fs->inode_blocks_per_group, NULL,
                                         NULL);
                cext2fs_shared_state_unlock();
                if (rc) return rc;
            }
        }
    }

    cext2fs_fix_uninit_block_bitmaps(fs);
    ext2fs_bg_flags_clear(fs, fs->group_desc_count - 1, EXT2_BG_BLOCK_UNINIT);
    rc = cext2fs_recount_free(fs);
    if (rc) return rc;
    rc = cext2fs_rebuild_resize_inode(fs);
    if (rc) return rc;
    rc = cext2fs_refresh_journal_backup(fs);
    if (rc) return rc;
    rc = ext2fs_set_gdt_csum(fs);
    if (rc) return rc;
    fs->flags &= ~EXT2_FLAG_MASTER_SB_ONLY;
    ext2fs_mark_super_dirty(fs);
    return 0;
}

#endif

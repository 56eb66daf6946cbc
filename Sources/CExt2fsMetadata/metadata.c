/*
 * Block and inode bitmaps and group descriptors of a writable session: read, checksummed and written back with
 * the results libext2fs's own code gives (ext2fs_read_bitmaps, ext2fs_set_gdt_csum, ext2fs_write_bitmaps and the
 * descriptor writes of ext2fs_flush2), but with a cost that follows what the session uses and changes rather
 * than the size of the filesystem. On a 1 TiB filesystem (8192 groups, 521 of them holding flex_bg metadata)
 * libext2fs checksums and rewrites every in-use bitmap block and the whole descriptor table at every flush.
 *
 * - Checksums: CRC32C through the SSE4.2 instruction where the processor has it (ext2fs_crc32c_le otherwise),
 *   the same values as ext2fs_crc32c_le.
 * - Bitmaps: a session tracker (fs->priv_data, reserved for the application) records the groups whose block
 *   bitmap can differ from the disk: every block libext2fs allocates or frees goes through
 *   ext2fs_block_alloc_stats2, whose callback names the block; ext2fs_block_alloc_stats_range's callback (whose
 *   arguments libext2fs 1.47.0 passes already advanced) makes the next write-back cover every group; a group
 *   whose descriptor changed (flags such as BLOCK_UNINIT cleared by an allocation, free counts, locations) is
 *   written too, and so is the last group (its padding). Inode bitmaps are written for every initialized
 *   group, as libext2fs does: their number follows the inodes in use, not the size.
 * - Descriptors: a copy of the descriptor blocks as they are on disk; a flush writes only the blocks that differ
 *   and then lets ext2fs_flush2 write the superblock alone (EXT2_FLAG_SUPER_ONLY). Only where libext2fs would
 *   write the primary table alone (EXT2_FLAG_MASTER_SB_ONLY, no meta_bg) and reads and writes it at the same
 *   block.
 * Bigalloc, a filesystem opened with EXT2_FLAG_IGNORE_CSUM_ERRORS, big-endian hosts and a tracker switched to
 * `full` go through libext2fs's own writers unchanged.
 */
#include <pthread.h>
#include "include/cext2fs_metadata.h"
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <ext2fs/ext2fs.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* ---- CRC32C ------------------------------------------------------------------------------------------------ */

#if defined(__x86_64__)
static inline int cext2fs_have_crc32_instruction(void) {
    static int known = -1; /* -1 unknown, 0 no, 1 yes; every thread computes the same value */
    int value = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (value < 0) {
        unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
        value = (__get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_SSE4_2)) ? 1 : 0;
        __atomic_store_n(&known, value, __ATOMIC_RELAXED);
    }
    return value;
}

__attribute__((target("sse4.2"))) static inline __u32 cext2fs_crc32c_sse42(__u32 crc, const unsigned char *p,
                                                                           size_t n) {
    unsigned long long c = crc;
    while (n && ((unsigned long)p & 7)) { c = __builtin_ia32_crc32qi((unsigned int)c, *p++); n--; }
    while (n >= 32) {
        unsigned long long w0, w1, w2, w3;
        memcpy(&w0, p, 8); memcpy(&w1, p + 8, 8); memcpy(&w2, p + 16, 8); memcpy(&w3, p + 24, 8);
        c = __builtin_ia32_crc32di(c, w0);
        c = __builtin_ia32_crc32di(c, w1);
        c = __builtin_ia32_crc32di(c, w2);
        c = __builtin_ia32_crc32di(c, w3);
        p += 32; n -= 32;
    }
    while (n >= 8) { unsigned long long w; memcpy(&w, p, 8); c = __builtin_ia32_crc32di(c, w); p += 8; n -= 8; }
    while (n) { c = __builtin_ia32_crc32qi((unsigned int)c, *p++); n--; }
    return (__u32)c;
}

/* CRC32C of a group number and a descriptor of `size` bytes (a multiple of 8) whose bg_checksum (bytes 30-31)
 * counts as zero: a word at a time, the checksum masked out of the fourth word. */
__attribute__((target("sse4.2"))) static inline __u32 cext2fs_desc_crc32c_sse42(__u32 crc, __u32 group,
                                                                               const unsigned char *desc,
                                                                               size_t size) {
    unsigned long long c = __builtin_ia32_crc32si(crc, group);
    for (size_t at = 0; at < size; at += 8) {
        unsigned long long w;
        memcpy(&w, desc + at, 8);
        if (at == 24) w &= 0x0000FFFFFFFFFFFFull; /* bytes 30-31 (little-endian) */
        c = __builtin_ia32_crc32di(c, w);
    }
    return (__u32)c;
}
#endif

/* ext2fs_crc32c_le(crc, buf, len): the CRC32C register update, without pre- or post-inversion. */
__u32 cext2fs_crc32c(__u32 crc, const void *buf, size_t len) {
#if defined(__x86_64__)
    if (cext2fs_have_crc32_instruction()) return cext2fs_crc32c_sse42(crc, (const unsigned char *)buf, len);
#endif
    return ext2fs_crc32c_le(crc, (const unsigned char *)buf, len);
}

/* ---- Group descriptor fields (blknum.c's accessors, without a call per field) -------------------------------- */

static inline struct ext4_group_desc *cext2fs_desc_in(ext2_filsys fs, void *table, dgrp_t g) {
    return (struct ext4_group_desc *)((char *)table + (size_t)g * (EXT2_DESC_SIZE(fs->super) & ~7));
}
static inline struct ext4_group_desc *cext2fs_desc(ext2_filsys fs, dgrp_t g) {
    return cext2fs_desc_in(fs, fs->group_desc, g);
}
static inline blk64_t cext2fs_desc_block_bitmap(ext2_filsys fs, const struct ext4_group_desc *d) {
    return d->bg_block_bitmap | (ext2fs_has_feature_64bit(fs->super) ? (__u64)d->bg_block_bitmap_hi << 32 : 0);
}
static inline blk64_t cext2fs_desc_inode_bitmap(ext2_filsys fs, const struct ext4_group_desc *d) {
    return d->bg_inode_bitmap | (ext2fs_has_feature_64bit(fs->super) ? (__u64)d->bg_inode_bitmap_hi << 32 : 0);
}
static inline blk64_t cext2fs_desc_inode_table(ext2_filsys fs, const struct ext4_group_desc *d) {
    return d->bg_inode_table | (ext2fs_has_feature_64bit(fs->super) ? (__u64)d->bg_inode_table_hi << 32 : 0);
}
static inline __u32 cext2fs_desc_free_blocks(ext2_filsys fs, const struct ext4_group_desc *d) {
    return d->bg_free_blocks_count |
           (ext2fs_has_feature_64bit(fs->super) ? (__u32)d->bg_free_blocks_count_hi << 16 : 0);
}
static inline __u32 cext2fs_desc_free_inodes(ext2_filsys fs, const struct ext4_group_desc *d) {
    return d->bg_free_inodes_count |
           (ext2fs_has_feature_64bit(fs->super) ? (__u32)d->bg_free_inodes_count_hi << 16 : 0);
}
static inline __u32 cext2fs_desc_itable_unused(ext2_filsys fs, const struct ext4_group_desc *d) {
    return d->bg_itable_unused | (ext2fs_has_feature_64bit(fs->super) ? (__u32)d->bg_itable_unused_hi << 16 : 0);
}
static inline void cext2fs_desc_set_itable_unused(ext2_filsys fs, struct ext4_group_desc *d, __u32 n) {
    d->bg_itable_unused = (__u16)n;
    if (ext2fs_has_feature_64bit(fs->super)) d->bg_itable_unused_hi = (__u16)(n >> 16);
}

/* ext2fs_group_desc_csum (metadata_csum: CRC32C of the group number and the descriptor with bg_checksum as 0;
 * else libext2fs's crc16). */
static inline __u16 cext2fs_group_desc_csum(ext2_filsys fs, dgrp_t g) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    if (ext2fs_has_feature_metadata_csum(fs->super)) {
        const unsigned char *desc = (const unsigned char *)cext2fs_desc(fs, g);
        size_t size = EXT2_DESC_SIZE(fs->super);
        size_t at = offsetof(struct ext2_group_desc, bg_checksum);
        static const unsigned char zero[2] = {0, 0};
        __u32 group = g;
#if defined(__x86_64__)
        if (size % 8 == 0 && size >= 32 && cext2fs_have_crc32_instruction())
            return (__u16)(cext2fs_desc_crc32c_sse42(fs->csum_seed, group, desc, size) & 0xFFFF);
#endif
        __u32 crc = cext2fs_crc32c(fs->csum_seed, &group, sizeof(group));
        crc = cext2fs_crc32c(crc, desc, at);
        crc = cext2fs_crc32c(crc, zero, sizeof(zero));
        if (size > at + 2) crc = cext2fs_crc32c(crc, desc + at + 2, size - at - 2);
        return (__u16)(crc & 0xFFFF);
    }
#endif
    return ext2fs_group_desc_csum(fs, g);
}
static inline int cext2fs_group_desc_csum_verify(ext2_filsys fs, dgrp_t g) {
    return !ext2fs_has_group_desc_csum(fs) || cext2fs_desc(fs, g)->bg_checksum == cext2fs_group_desc_csum(fs, g);
}
static inline void cext2fs_group_desc_csum_set(ext2_filsys fs, dgrp_t g) {
    if (ext2fs_has_group_desc_csum(fs)) cext2fs_desc(fs, g)->bg_checksum = cext2fs_group_desc_csum(fs, g);
}

/* ext2fs_{block,inode}_bitmap_csum_{verify,set}, field by field (note libext2fs's HI_LOCATION vs HI_END). */
static inline int cext2fs_block_bitmap_csum_verify(ext2_filsys fs, dgrp_t g, const void *bitmap, int size) {
    if (!ext2fs_has_feature_metadata_csum(fs->super)) return 1;
    const struct ext4_group_desc *d = cext2fs_desc(fs, g);
    __u32 provided = d->bg_block_bitmap_csum_lo;
    __u32 calculated = cext2fs_crc32c(fs->csum_seed, bitmap, (size_t)size);
    if (EXT2_DESC_SIZE(fs->super) >= EXT4_BG_BLOCK_BITMAP_CSUM_HI_LOCATION)
        provided |= (__u32)d->bg_block_bitmap_csum_hi << 16;
    else
        calculated &= 0xFFFF;
    return provided == calculated;
}
static inline int cext2fs_inode_bitmap_csum_verify(ext2_filsys fs, dgrp_t g, const void *bitmap, int size) {
    if (!ext2fs_has_feature_metadata_csum(fs->super)) return 1;
    const struct ext4_group_desc *d = cext2fs_desc(fs, g);
    __u32 provided = d->bg_inode_bitmap_csum_lo;
    __u32 calculated = cext2fs_crc32c(fs->csum_seed, bitmap, (size_t)size);
    if (EXT2_DESC_SIZE(fs->super) >= EXT4_BG_INODE_BITMAP_CSUM_HI_END)
        provided |= (__u32)d->bg_inode_bitmap_csum_hi << 16;
    else
        calculated &= 0xFFFF;
    return provided == calculated;
}
static inline void cext2fs_block_bitmap_csum_set(ext2_filsys fs, dgrp_t g, const void *bitmap, int size) {
    if (!ext2fs_has_feature_metadata_csum(fs->super)) return;
    struct ext4_group_desc *d = cext2fs_desc(fs, g);
    __u32 crc = cext2fs_crc32c(fs->csum_seed, bitmap, (size_t)size);
    d->bg_block_bitmap_csum_lo = crc & 0xFFFF;
    if (EXT2_DESC_SIZE(fs->super) >= EXT4_BG_BLOCK_BITMAP_CSUM_HI_LOCATION) d->bg_block_bitmap_csum_hi = crc >> 16;
}
static inline void cext2fs_inode_bitmap_csum_set(ext2_filsys fs, dgrp_t g, const void *bitmap, int size) {
    if (!ext2fs_has_feature_metadata_csum(fs->super)) return;
    struct ext4_group_desc *d = cext2fs_desc(fs, g);
    __u32 crc = cext2fs_crc32c(fs->csum_seed, bitmap, (size_t)size);
    d->bg_inode_bitmap_csum_lo = crc & 0xFFFF;
    if (EXT2_DESC_SIZE(fs->super) >= EXT4_BG_INODE_BITMAP_CSUM_HI_END) d->bg_inode_bitmap_csum_hi = crc >> 16;
}

/* ---- The session tracker ------------------------------------------------------------------------------------ */

#define CEXT2FS_TRACKER_MAGIC 0x76686474u /* "vhdt" */

struct cext2fs_tracker {
    __u32 magic;
    /* Write back as libext2fs does (every initialized group's bitmaps, the whole descriptor table). */
    int full;
    /* The next write-back covers every group (after a range allocation, or bitmap tails to repair). */
    int all_groups_once;
    dgrp_t groups;
    /* A bit per group: its block bitmap may differ from the disk. */
    unsigned char *block_changed;
    /* The descriptor blocks as they are on disk (desc_blocks blocks). */
    char *gdt;
    /* A bit per group: its descriptor checksum was verified at read and `gdt` still holds those bytes. */
    unsigned char *desc_verified;
    /* Descriptor blocks are written here, one by one, when they differ from `gdt`; 0: libext2fs writes them. */
    blk64_t gdt_block;
    void (*chained_stats)(ext2_filsys, blk64_t, int);
    void (*chained_range_stats)(ext2_filsys, blk64_t, blk_t, int);
};

static inline struct cext2fs_tracker *cext2fs_tracker_of(ext2_filsys fs) {
    struct cext2fs_tracker *t = (struct cext2fs_tracker *)fs->priv_data;
    return t && t->magic == CEXT2FS_TRACKER_MAGIC ? t : 0;
}

static void cext2fs_tracker_note_block(ext2_filsys fs, blk64_t blk, int inuse) {
    struct cext2fs_tracker *t = cext2fs_tracker_of(fs);
    if (t && blk >= fs->super->s_first_data_block && blk < ext2fs_blocks_count(fs->super)) {
        dgrp_t g = ext2fs_group_of_blk2(fs, blk);
        if (g < t->groups) t->block_changed[g >> 3] |= (unsigned char)(1u << (g & 7));
    }
    if (t && t->chained_stats) t->chained_stats(fs, blk, inuse);
}

static void cext2fs_tracker_note_range(ext2_filsys fs, blk64_t blk, blk_t num, int inuse) {
    struct cext2fs_tracker *t = cext2fs_tracker_of(fs);
    if (t) t->all_groups_once = 1;
    if (t && t->chained_range_stats) t->chained_range_stats(fs, blk, num, inuse);
}

/* Frees the tracker (if any) and unhooks its callbacks; libext2fs's writers take over. */
void cext2fs_tracker_free(ext2_filsys fs) {
    struct cext2fs_tracker *t = cext2fs_tracker_of(fs);
    if (!t) return;
    if (fs->block_alloc_stats == cext2fs_tracker_note_block) fs->block_alloc_stats = t->chained_stats;
    if (fs->block_alloc_stats_range == cext2fs_tracker_note_range) fs->block_alloc_stats_range = t->chained_range_stats;
    fs->priv_data = 0;
    t->magic = 0;
    free(t->block_changed);
    free(t->desc_verified);
    free(t->gdt);
    free(t);
}

/* Sets up the tracker for a filesystem whose bitmaps were just read (nothing changed yet). `tail_flags`: the
 * EXT2_FLAG_*BITMAP_TAIL_PROBLEM bits the read found; `unread`: a bit per group whose block bitmap was not read
 * although the group is initialized (a location past the end); `verified`: a bit per group whose descriptor
 * checksum the read verified. Takes both arrays. Returns 0 or ENOMEM. */
static inline errcode_t cext2fs_tracker_start(ext2_filsys fs, int tail_flags, unsigned char *unread,
                                               unsigned char *verified) {
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
    free(unread);
    free(verified);
    return 0;
#else
    if (fs->priv_data || ext2fs_has_feature_bigalloc(fs->super) || (fs->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS) ||
        !fs->group_desc) {
        free(unread);
        free(verified);
        return 0;
    }
    struct cext2fs_tracker *t = (struct cext2fs_tracker *)calloc(1, sizeof(*t));
    size_t table = (size_t)fs->desc_blocks * fs->blocksize;
    char *gdt = (char *)malloc(table ? table : 1);
    if (!t || !gdt) { free(t); free(gdt); free(unread); free(verified); return ENOMEM; }
    memcpy(gdt, fs->group_desc, table);
    t->magic = CEXT2FS_TRACKER_MAGIC;
    t->groups = fs->group_desc_count;
    t->block_changed = unread;
    t->desc_verified = verified;
    t->gdt = gdt;
    t->all_groups_once = (tail_flags & EXT2_FLAG_BBITMAP_TAIL_PROBLEM) != 0;
    /* Where ext2fs_open2 read the table and where ext2fs_flush2 writes it: the same, or libext2fs writes it. */
    if ((fs->flags & EXT2_FLAG_MASTER_SB_ONLY) && !ext2fs_has_feature_meta_bg(fs->super) &&
        !ext2fs_has_feature_journal_dev(fs->super)) {
        blk64_t super_blk = 0, old_desc = 0, new_desc = 0;
        ext2fs_super_and_bgd_loc2(fs, 0, &super_blk, &old_desc, &new_desc, 0);
        blk64_t group_block = fs->super->s_first_data_block;
        blk64_t read_at = group_block + ((group_block == 0 && fs->blocksize == 1024) ? 1 : 0) + 1;
        if (old_desc && old_desc == read_at) t->gdt_block = old_desc;
    }
    ext2fs_set_block_alloc_stats_callback(fs, cext2fs_tracker_note_block, &t->chained_stats);
    ext2fs_set_block_alloc_stats_range_callback(fs, cext2fs_tracker_note_range, &t->chained_range_stats);
    fs->priv_data = t;
    return 0;
#endif
}

/* Switches the session to libext2fs's own writers (full = 1), as before the tracker existed. */
void cext2fs_tracker_set_full(ext2_filsys fs, int full) {
    struct cext2fs_tracker *t = cext2fs_tracker_of(fs);
    if (t) t->full = full;
}

/* ---- Reading ---------------------------------------------------------------------------------------------------- */

/* 1 when the first `count` bytes of `bytes` are all zero. */
static inline int cext2fs_all_zero(const unsigned char *bytes, unsigned int count) {
    unsigned int i = 0;
    for (; i + 32 <= count; i += 32) {
        __u64 w[4];
        memcpy(w, bytes + i, 32);
        if (w[0] | w[1] | w[2] | w[3]) return 0;
    }
    for (; i < count; i++) if (bytes[i]) return 0;
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
 * every byte. Zero or all-ones stretches are skipped or extended 256 or 64 bits at a time. Bits for blocks at or
 * past `end` (the last group's padding) are left out: ext2fs_write_bitmaps sets that padding itself.
 */
static inline errcode_t cext2fs_mark_block_runs(ext2fs_block_bitmap bmap, blk64_t first,
                                                const unsigned char *bits, unsigned int nbits, blk64_t end) {
    if (first >= end) return 0;
    if (end - first < nbits) nbits = (unsigned int)(end - first);
    unsigned int i = 0;
    while (i < nbits) {
        if ((i & 63) == 0) {
            while (i + 256 <= nbits) {
                __u64 w[4];
                memcpy(w, bits + (i >> 3), 32);
                if (w[0] | w[1] | w[2] | w[3]) break;
                i += 256;
            }
            if (i + 64 <= nbits) {
                __u64 word;
                memcpy(&word, bits + (i >> 3), 8);
                if (word == 0) { i += 64; continue; }
            }
        }
        if (i >= nbits) break;
        if (!(bits[i >> 3] & (1u << (i & 7)))) { i++; continue; }
        unsigned int start = i;
        while (i < nbits) {
            if ((i & 63) == 0) {
                while (i + 256 <= nbits) {
                    __u64 w[4];
                    memcpy(w, bits + (i >> 3), 32);
                    if ((w[0] & w[1] & w[2] & w[3]) != ~(__u64)0) break;
                    i += 256;
                }
                if (i + 64 <= nbits) {
                    __u64 word;
                    memcpy(&word, bits + (i >> 3), 8);
                    if (word == ~(__u64)0) { i += 64; continue; }
                }
                if (i >= nbits) break;
            }
            if (!(bits[i >> 3] & (1u << (i & 7)))) break;
            i++;
        }
        ext2fs_mark_block_bitmap_range2(bmap, first + start, i - start);
    }
    return 0;
}

/* Consecutive block ranges to mark, joined into one extent insertion while they touch. Only ranges inside the
 * bitmap ([first data block, blocks count)) are joined; others go to libext2fs as they are (it warns). */
struct cext2fs_pending_run { blk64_t start, count, first, end; };

static inline struct cext2fs_pending_run cext2fs_run_init(ext2_filsys fs) {
    struct cext2fs_pending_run run = {0, 0, fs->super->s_first_data_block, ext2fs_blocks_count(fs->super)};
    return run;
}

static inline void cext2fs_run_flush(ext2fs_block_bitmap bmap, struct cext2fs_pending_run *run) {
    if (run->count) ext2fs_mark_block_bitmap_range2(bmap, run->start, (unsigned int)run->count);
    run->count = 0;
}

static inline void cext2fs_run_add(ext2fs_block_bitmap bmap, struct cext2fs_pending_run *run, blk64_t start,
                                   blk64_t count) {
    if (start < run->first || start >= run->end || count > run->end - start || count == 0 || count > 0x7fffffffu) {
        ext2fs_mark_block_bitmap_range2(bmap, start, (unsigned int)count);
        return;
    }
    if (run->count && run->start + run->count == start && run->count + count <= 0x7fffffffu) {
        run->count += count;
        return;
    }
    cext2fs_run_flush(bmap, run);
    run->start = start;
    run->count = count;
}

/* ext2fs_bg_has_super for groups taken in increasing order: with sparse_super (and not sparse_super2) groups 0
 * and 1 and the powers of 3, 5 and 7, found by stepping the powers along instead of dividing per group. */
struct cext2fs_backup_groups { int simple; __u64 p3, p5, p7; };

static inline struct cext2fs_backup_groups cext2fs_backup_groups_init(ext2_filsys fs) {
    struct cext2fs_backup_groups b = {
        ext2fs_has_feature_sparse_super(fs->super) && !ext2fs_has_feature_sparse_super2(fs->super), 3, 5, 7};
    return b;
}

static inline int cext2fs_backup_groups_has_super(ext2_filsys fs, struct cext2fs_backup_groups *b, dgrp_t g) {
    if (!b->simple) return ext2fs_bg_has_super(fs, g);
    if (g <= 1) return 1;
    while (b->p3 < g) b->p3 *= 3;
    while (b->p5 < g) b->p5 *= 5;
    while (b->p7 < g) b->p7 *= 7;
    return b->p3 == g || b->p5 == g || b->p7 == g;
}

/*
 * Reads the block and inode bitmaps with the result of ext2fs_read_bitmaps (same checks, same error codes,
 * same BLOCK_UNINIT marking, same tail flags), but into extent-tree (rbtree) bitmaps, and without copying the
 * groups whose bitmap is uninitialized or all zero: their bits are already clear. On a large, mostly empty
 * filesystem (1 TiB: 8192 groups) this reads the same blocks but touches memory only for what is in use, where
 * the flat bitmaps ext2fs_read_bitmaps allocates are zero-filled in full (40 MiB at 1 TiB) and every group is
 * copied into them. Then starts the session tracker (see the top of this file). Bigalloc filesystems go through
 * ext2fs_read_bitmaps unchanged.
 */
errcode_t cext2fs_read_bitmaps_sparse(ext2_filsys fs) {
    if (fs->block_map && fs->inode_map) return 0;
    if (ext2fs_has_feature_bigalloc(fs->super) || fs->block_map || fs->inode_map) return ext2fs_read_bitmaps(fs);
    unsigned int block_nbytes = EXT2_CLUSTERS_PER_GROUP(fs->super) / 8;
    unsigned int inode_nbytes = EXT2_INODES_PER_GROUP(fs->super) / 8;
    if (block_nbytes > fs->blocksize || inode_nbytes > fs->blocksize) return EXT2_ET_CORRUPT_SUPERBLOCK;
    if (ext2fs_has_feature_journal_dev(fs->super)) return EXT2_ET_EXTERNAL_JOURNAL_NOSUPP;

    ext2fs_block_bitmap bmap = 0;
    ext2fs_inode_bitmap imap = 0;
    char *buf = 0;
    unsigned char *unread = 0, *verified = 0;
    int tail_flags = 0;
    errcode_t rc;
    __u16 saved_type = fs->default_bitmap_type;
    fs->default_bitmap_type = EXT2FS_BMAP64_RBTREE;
    rc = ext2fs_allocate_block_bitmap(fs, "block bitmap", &bmap);
    if (!rc) rc = ext2fs_allocate_inode_bitmap(fs, "inode bitmap", &imap);
    fs->default_bitmap_type = saved_type;
    if (!rc) rc = io_channel_alloc_buf(fs->io, 0, &buf);
    if (!rc && !(unread = (unsigned char *)calloc((fs->group_desc_count + 7) / 8 + 1, 1))) rc = EXT2_ET_NO_MEMORY;
    if (!rc && !(verified = (unsigned char *)calloc((fs->group_desc_count + 7) / 8 + 1, 1))) rc = EXT2_ET_NO_MEMORY;
    if (rc) goto fail;

    int csum = ext2fs_has_group_desc_csum(fs);
    blk64_t blocks = ext2fs_blocks_count(fs->super);
    blk64_t first_block = fs->super->s_first_data_block;
    for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
        const struct ext4_group_desc *d = cext2fs_desc(fs, g);
        /* The UNINIT flags, trusted only when the descriptor's checksum holds (verified once per group). */
        int uninit = csum ? d->bg_flags & (EXT2_BG_BLOCK_UNINIT | EXT2_BG_INODE_UNINIT) : 0;
        if (uninit) {
            if (cext2fs_group_desc_csum_verify(fs, g)) verified[g >> 3] |= (unsigned char)(1u << (g & 7));
            else uninit = 0;
        }
        blk64_t blk = cext2fs_desc_block_bitmap(fs, d);
        if ((uninit & EXT2_BG_BLOCK_UNINIT) || blk >= blocks)
            blk = 0;
        if (blk) {
            if (io_channel_read_blk64(fs->io, blk, 1, buf)) { rc = EXT2_ET_BLOCK_BITMAP_READ; goto fail; }
            if (!(fs->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS) &&
                !cext2fs_block_bitmap_csum_verify(fs, g, buf, (int)block_nbytes)) {
                rc = EXT2_ET_BLOCK_BITMAP_CSUM_INVALID; goto fail;
            }
            if (!cext2fs_tail_set((unsigned char *)buf, block_nbytes, fs->blocksize - 1))
                tail_flags |= EXT2_FLAG_BBITMAP_TAIL_PROBLEM;
            if (!cext2fs_all_zero((unsigned char *)buf, block_nbytes)) {
                rc = cext2fs_mark_block_runs(bmap, first_block + (blk64_t)g * (block_nbytes << 3),
                                             (unsigned char *)buf, block_nbytes << 3, blocks);
                if (rc) goto fail;
            }
        } else if (!(uninit & EXT2_BG_BLOCK_UNINIT)) {
            unread[g >> 3] |= (unsigned char)(1u << (g & 7));  /* initialized, but nothing on disk to match */
        }
        blk = cext2fs_desc_inode_bitmap(fs, d);
        if ((uninit & EXT2_BG_INODE_UNINIT) || blk >= blocks)
            blk = 0;
        if (blk) {
            if (io_channel_read_blk64(fs->io, blk, 1, buf)) { rc = EXT2_ET_INODE_BITMAP_READ; goto fail; }
            if (!(fs->flags & EXT2_FLAG_IGNORE_CSUM_ERRORS) &&
                !cext2fs_inode_bitmap_csum_verify(fs, g, buf, (int)inode_nbytes)) {
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
    /* What the kernel and ext2fs_read_bitmaps count as in use in a BLOCK_UNINIT group: its superblock and
     * descriptor copies, inode table and bitmaps. With flex_bg the tables and bitmaps of neighbouring groups
     * lie side by side, so they are marked as joined runs. */
    {
        struct cext2fs_pending_run tables = cext2fs_run_init(fs), block_maps = tables, inode_maps = tables;
        struct cext2fs_backup_groups backups = cext2fs_backup_groups_init(fs);
        int meta_bg = ext2fs_has_feature_meta_bg(fs->super);
        for (dgrp_t g = 0; g < fs->group_desc_count; g++) {
            const struct ext4_group_desc *d = cext2fs_desc(fs, g);
            if (!(d->bg_flags & EXT2_BG_BLOCK_UNINIT)) continue;
            /* ext2fs_reserve_super_and_bgd marks nothing in a group without a superblock copy (no meta_bg). */
            if (meta_bg || g == 0 || cext2fs_backup_groups_has_super(fs, &backups, g))
                ext2fs_reserve_super_and_bgd(fs, g, bmap);
            blk64_t blk = cext2fs_desc_inode_table(fs, d);
            if (blk) cext2fs_run_add(bmap, &tables, blk, fs->inode_blocks_per_group);
            blk = cext2fs_desc_block_bitmap(fs, d);
            if (blk && blk < blocks) cext2fs_run_add(bmap, &block_maps, blk, 1);
            blk = cext2fs_desc_inode_bitmap(fs, d);
            if (blk && blk < blocks) cext2fs_run_add(bmap, &inode_maps, blk, 1);
        }
        cext2fs_run_flush(bmap, &tables);
        cext2fs_run_flush(bmap, &block_maps);
        cext2fs_run_flush(bmap, &inode_maps);
    }
    ext2fs_free_mem(&buf);
    fs->write_bitmaps = ext2fs_write_bitmaps;
    fs->block_map = bmap;
    fs->inode_map = imap;
    fs->flags &= ~(EXT2_FLAG_BBITMAP_TAIL_PROBLEM | EXT2_FLAG_IBITMAP_TAIL_PROBLEM);
    fs->flags |= tail_flags;
    return cext2fs_tracker_start(fs, tail_flags, unread, verified);
fail:
    if (buf) ext2fs_free_mem(&buf);
    if (bmap) ext2fs_free_block_bitmap(bmap);
    if (imap) ext2fs_free_inode_bitmap(imap);
    free(unread);
    free(verified);
    return rc;
}

/* ---- Write-back ---------------------------------------------------------------------------------------------- */

/* Whether group g's block bitmap must be written: recorded as changed, descriptor changed since the last
 * write-back, the last group, or every group this time. */
static inline int cext2fs_block_group_needs_write(ext2_filsys fs, struct cext2fs_tracker *t, dgrp_t g) {
    if (t->all_groups_once || g == fs->group_desc_count - 1) return 1;
    if (t->block_changed && (t->block_changed[g >> 3] & (1u << (g & 7)))) return 1;
    size_t size = EXT2_DESC_SIZE(fs->super) & ~7;
    return memcmp(cext2fs_desc(fs, g), cext2fs_desc_in(fs, t->gdt, g), size) != 0;
}

/*
 * ext2fs_write_bitmaps (when the bitmaps are dirty), writing the block bitmaps only of the groups that need it
 * (see above). Every other step is libext2fs's: the same buffers, padding, checksums, descriptor checksums and
 * flags, so the same bytes reach the disk for every group written and the descriptors end up identical.
 */
static inline errcode_t cext2fs_write_changed_bitmaps(ext2_filsys fs, struct cext2fs_tracker *t) {
    int do_inode = fs->inode_map && ext2fs_test_ib_dirty(fs);
    int do_block = fs->block_map && ext2fs_test_bb_dirty(fs);
    if (!do_inode && !do_block) return 0;
    if (!(fs->flags & EXT2_FLAG_RW)) return EXT2_ET_RO_FILSYS;

    errcode_t rc = 0;
    char *block_buf = 0, *inode_buf = 0;
    int csum_flag = ext2fs_has_group_desc_csum(fs);
    int block_nbytes = 0, inode_nbytes = 0;
    blk64_t blocks = ext2fs_blocks_count(fs->super);
    blk64_t blk_itr = EXT2FS_B2C(fs, fs->super->s_first_data_block);
    ext2_ino_t ino_itr = 1;
    if (do_block) {
        block_nbytes = EXT2_CLUSTERS_PER_GROUP(fs->super) / 8;
        if ((rc = io_channel_alloc_buf(fs->io, 0, &block_buf))) goto out;
        memset(block_buf, 0xff, fs->blocksize);
    }
    if (do_inode) {
        inode_nbytes = (int)((EXT2_INODES_PER_GROUP(fs->super) + 7) / 8);
        if ((rc = io_channel_alloc_buf(fs->io, 0, &inode_buf))) goto out;
        memset(inode_buf, 0xff, fs->blocksize);
    }
    for (dgrp_t i = 0; i < fs->group_desc_count; i++) {
        struct ext4_group_desc *d = cext2fs_desc(fs, i);
        int touched = 0;
        if (do_block) {
            if (!(csum_flag && (d->bg_flags & EXT2_BG_BLOCK_UNINIT))) {
                touched = 1;
                if (cext2fs_block_group_needs_write(fs, t, i)) {
                    if ((rc = ext2fs_get_block_bitmap_range2(fs->block_map, blk_itr, block_nbytes << 3, block_buf)))
                        goto out;
                    if (i == fs->group_desc_count - 1) {
                        /* Force bitmap padding for the last group */
                        unsigned int nbits = EXT2FS_NUM_B2C(
                            fs, ((blocks - (__u64)fs->super->s_first_data_block) %
                                 (__u64)EXT2_BLOCKS_PER_GROUP(fs->super)));
                        if (nbits)
                            for (unsigned int j = nbits; j < fs->blocksize * 8; j++) ext2fs_set_bit(j, block_buf);
                    }
                    cext2fs_block_bitmap_csum_set(fs, i, block_buf, block_nbytes);
                    blk64_t blk = cext2fs_desc_block_bitmap(fs, d);
                    if (blk && blk < blocks && io_channel_write_blk64(fs->io, blk, 1, block_buf)) {
                        rc = EXT2_ET_BLOCK_BITMAP_WRITE;
                        goto out;
                    }
                }
            }
            blk_itr += block_nbytes << 3;
        }
        if (do_inode) {
            if (!(csum_flag && (d->bg_flags & EXT2_BG_INODE_UNINIT))) {
                touched = 1;
                if ((rc = ext2fs_get_inode_bitmap_range2(fs->inode_map, ino_itr, inode_nbytes << 3, inode_buf)))
                    goto out;
                cext2fs_inode_bitmap_csum_set(fs, i, inode_buf, inode_nbytes);
                blk64_t blk = cext2fs_desc_inode_bitmap(fs, d);
                if (blk && blk < blocks && io_channel_write_blk64(fs->io, blk, 1, inode_buf)) {
                    rc = EXT2_ET_INODE_BITMAP_WRITE;
                    goto out;
                }
            }
            ino_itr += inode_nbytes << 3;
        }
        if (touched) {
            cext2fs_group_desc_csum_set(fs, i);
            fs->flags |= EXT2_FLAG_DIRTY;
        }
    }
    if (do_block) {
        fs->flags &= ~EXT2_FLAG_BB_DIRTY;
        t->all_groups_once = 0;
        if (t->block_changed) memset(t->block_changed, 0, (t->groups + 7) / 8);
    }
    if (do_inode) fs->flags &= ~EXT2_FLAG_IB_DIRTY;
out:
    if (block_buf) ext2fs_free_mem(&block_buf);
    if (inode_buf) ext2fs_free_mem(&inode_buf);
    return rc;
}

/* The descriptors of descriptor block b are no longer the bytes the read verified. */
static inline void cext2fs_forget_verified(ext2_filsys fs, struct cext2fs_tracker *t, unsigned long b) {
    if (!t->desc_verified) return;
    unsigned long per_block = fs->blocksize / (EXT2_DESC_SIZE(fs->super) & ~7);
    for (unsigned long g = b * per_block; g < (b + 1) * per_block && g < t->groups; g++)
        t->desc_verified[g >> 3] &= (unsigned char)~(1u << (g & 7));
}

/* Writes the descriptor blocks that differ from the disk's and records them as written. */
static inline errcode_t cext2fs_write_changed_descriptors(ext2_filsys fs, struct cext2fs_tracker *t) {
    for (unsigned long b = 0; b < fs->desc_blocks; b++) {
        char *now = (char *)fs->group_desc + (size_t)b * fs->blocksize;
        char *disk = t->gdt + (size_t)b * fs->blocksize;
        if (!memcmp(now, disk, fs->blocksize)) continue;
        errcode_t rc = io_channel_write_blk64(fs->io, t->gdt_block + b, 1, now);
        if (rc) return rc;
        memcpy(disk, now, fs->blocksize);
        cext2fs_forget_verified(fs, t, b);
    }
    return 0;
}

/* Writes the changed descriptor blocks itself, when it can, and sets EXT2_FLAG_SUPER_ONLY so that the
 * ext2fs_flush2 that follows writes the superblock alone. Returns 1 in *super_only when it did. */
static inline errcode_t cext2fs_write_descriptors_first(ext2_filsys fs, struct cext2fs_tracker *t,
                                                        int *super_only) {
    *super_only = 0;
    if (!t->gdt_block || (fs->flags & EXT2_FLAG_SUPER_ONLY)) return 0;
    errcode_t rc = cext2fs_write_changed_descriptors(fs, t);
    if (rc) return rc;
    fs->flags |= EXT2_FLAG_SUPER_ONLY;
    *super_only = 1;
    return 0;
}

/* After libext2fs wrote the whole table: it is what the disk holds. */
static inline void cext2fs_descriptors_written(ext2_filsys fs, struct cext2fs_tracker *t) {
    for (unsigned long b = 0; b < fs->desc_blocks; b++) {
        char *now = (char *)fs->group_desc + (size_t)b * fs->blocksize;
        char *disk = t->gdt + (size_t)b * fs->blocksize;
        if (memcmp(now, disk, fs->blocksize)) {
            memcpy(disk, now, fs->blocksize);
            cext2fs_forget_verified(fs, t, b);
        }
    }
}

/* ---- ext2fs_set_gdt_csum -------------------------------------------------------------------------------------- */

/* The number of inodes of group g up to its last one in use (csum.c's find_last_inode_ingrp). */
static inline __u32 cext2fs_last_inode_in_group(ext2fs_inode_bitmap map, __u32 per_group, dgrp_t g) {
    ext2_ino_t start = g * per_group + 1, end = start + per_group - 1;
    for (ext2_ino_t i = end; i >= start; i--)
        if (ext2fs_fast_test_inode_bitmap2(map, i)) return i - start + 1;
    return per_group;
}

/* ext2fs_set_gdt_csum: the same flags, unused-inode counts and checksums; with metadata_csum through the
 * fields directly and CRC32C by instruction, else libext2fs's own. */
static inline errcode_t cext2fs_set_gdt_csum(ext2_filsys fs) {
    struct cext2fs_tracker *t = cext2fs_tracker_of(fs);
    if (!t || t->full || !ext2fs_has_feature_metadata_csum(fs->super)) return ext2fs_set_gdt_csum(fs);
    struct ext2_super_block *sb = fs->super;
    if (!fs->inode_map) return EXT2_ET_NO_INODE_BITMAP;
    int dirty = 0;
    for (dgrp_t i = 0; i < fs->group_desc_count; i++) {
        struct ext4_group_desc *d = cext2fs_desc(fs, i);
        __u16 old_csum = d->bg_checksum;
        __u32 old_unused = cext2fs_desc_itable_unused(fs, d);
        __u16 old_flags = d->bg_flags;
        __u32 old_free_inodes = cext2fs_desc_free_inodes(fs, d);
        __u32 old_free_blocks = cext2fs_desc_free_blocks(fs, d);
        if (old_free_blocks == sb->s_blocks_per_group && i != fs->group_desc_count - 1)
            d->bg_flags |= EXT2_BG_BLOCK_UNINIT;
        if (old_free_inodes == sb->s_inodes_per_group) {
            d->bg_flags |= EXT2_BG_INODE_UNINIT;
            cext2fs_desc_set_itable_unused(fs, d, sb->s_inodes_per_group);
        } else {
            __u32 unused = sb->s_inodes_per_group -
                           cext2fs_last_inode_in_group(fs->inode_map, sb->s_inodes_per_group, i);
            d->bg_flags &= ~EXT2_BG_INODE_UNINIT;
            cext2fs_desc_set_itable_unused(fs, d, unused);
        }
        /* A descriptor still holding the bytes whose checksum the read verified keeps that checksum. */
        size_t size = EXT2_DESC_SIZE(fs->super);
        if (!(t->desc_verified && size % 8 == 0 && (t->desc_verified[i >> 3] & (1u << (i & 7))) &&
              !memcmp(d, cext2fs_desc_in(fs, t->gdt, i), size)))
            cext2fs_group_desc_csum_set(fs, i);
        if (old_flags != d->bg_flags || old_unused != cext2fs_desc_itable_unused(fs, d) ||
            old_csum != d->bg_checksum)
            dirty = 1;
    }
    if (dirty) ext2fs_mark_super_dirty(fs);
    return 0;
}

/* ---- Flush and close ------------------------------------------------------------------------------------------ */

/* ext2fs_flush2(fs, 0), writing only what changed. */
errcode_t cext2fs_flush(ext2_filsys fs) {
    struct cext2fs_tracker *t = cext2fs_tracker_of(fs);
    int super_only = 0;
    errcode_t rc = 0;
    if (t && !t->full) {
        rc = cext2fs_write_changed_bitmaps(fs, t);
        /* ext2fs_flush2 writes the descriptors whether or not anything is dirty. */
        if (!rc) rc = cext2fs_write_descriptors_first(fs, t, &super_only);
    }
    if (!rc) rc = ext2fs_flush2(fs, 0);
    if (super_only) fs->flags &= ~EXT2_FLAG_SUPER_ONLY;
    else if (!rc && t) cext2fs_descriptors_written(fs, t);
    return rc;
}

/* ext2fs_set_gdt_csum then ext2fs_close2(fs, 0), writing only what changed. The tracker is freed either way;
 * on failure the handle is not (as with ext2fs_close2: free it with ext2fs_free). */
errcode_t cext2fs_close(ext2_filsys fs) {
    struct cext2fs_tracker *t = cext2fs_tracker_of(fs);
    (void)cext2fs_set_gdt_csum(fs);
    errcode_t rc = 0;
    if (t && !t->full) {
        int super_only = 0;
        rc = cext2fs_write_changed_bitmaps(fs, t);
        /* ext2fs_close2 flushes (and so writes descriptors) only when the filesystem is dirty. */
        if (!rc && (fs->flags & EXT2_FLAG_DIRTY)) rc = cext2fs_write_descriptors_first(fs, t, &super_only);
    }
    cext2fs_tracker_free(fs);
    if (rc) return rc;
    return cext2fs_close_plain(fs);
}

/* ext2fs_free, with the tracker. */
void cext2fs_free(ext2_filsys fs) {
    cext2fs_tracker_free(fs);
    cext2fs_free_plain(fs);
}

static pthread_mutex_t cext2fs_shared_state = PTHREAD_MUTEX_INITIALIZER;

void cext2fs_shared_state_lock(void) { pthread_mutex_lock(&cext2fs_shared_state); }

void cext2fs_shared_state_unlock(void) { pthread_mutex_unlock(&cext2fs_shared_state); }

errcode_t cext2fs_close_plain(ext2_filsys fs) {
    cext2fs_shared_state_lock();
    errcode_t rc = ext2fs_close2(fs, 0);
    cext2fs_shared_state_unlock();
    return rc;
}

void cext2fs_free_plain(ext2_filsys fs) {
    cext2fs_shared_state_lock();
    ext2fs_free(fs);
    cext2fs_shared_state_unlock();
}

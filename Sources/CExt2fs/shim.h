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

/* The compiled bitmap and descriptor code (target CExt2fsMetadata, linked by Ext4). */
#include "../CExt2fsMetadata/include/cext2fs_metadata.h"
#include "resize.h"

#endif

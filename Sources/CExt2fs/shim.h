#ifndef CEXT2FS_SHIM_H
#define CEXT2FS_SHIM_H
#include <ext2fs/ext2fs.h>
#include <et/com_err.h>

/* static inline wrappers for the function-like macros Swift cannot import. */
static inline unsigned int cext2fs_block_size(ext2_filsys fs) { return EXT2_BLOCK_SIZE(fs->super); }
static inline unsigned long long cext2fs_i_size(const struct ext2_inode *inode) { return EXT2_I_SIZE(inode); }
static inline int cext2fs_s_isdir(unsigned int mode) { return LINUX_S_ISDIR(mode); }
static inline int cext2fs_s_isreg(unsigned int mode) { return LINUX_S_ISREG(mode); }
static inline int cext2fs_s_islnk(unsigned int mode) { return LINUX_S_ISLNK(mode); }

#endif

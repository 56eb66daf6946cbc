#ifndef CHOSTFILE_H
#define CHOSTFILE_H
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Linux file calls that glibc only declares under _GNU_SOURCE. */
off_t chostfile_seek_data(int fd, off_t offset);
off_t chostfile_seek_hole(int fd, off_t offset);
int chostfile_punch_hole(int fd, off_t offset, off_t length);
/* memfd_create(name, MFD_CLOEXEC): an anonymous in-memory file (DiskLayout hands it to libblkid). */
int chostfile_memfd_create(const char *name);

/* sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE): start writing dirty pages back, without waiting. */
int chostfile_start_writeback(int fd, off_t offset, off_t length);

/* Results of chostfile_copy_nonzero besides 0 (errno tells more for the first two). */
enum {
    CHOSTFILE_COPY_MAP_FAILED = 1,     /* the source cannot be mapped (mmap failed): nothing was written */
    CHOSTFILE_COPY_WRITE_FAILED = 2,   /* a pwrite to the output failed */
    CHOSTFILE_COPY_SOURCE_SHRANK = 3,  /* the source's pages vanished while mapped (it was truncated): SIGBUS/EFAULT */
};
/* Copies `length` bytes of `in_fd` at `in_offset` to `out_fd` at `out_offset` without reading them into a buffer:
   the source range is mapped read-only to find the `granule`-byte pieces (counted from `in_offset`) that hold a
   non-zero byte; those (adjacent ones merged) are copied by the kernel with copy_file_range, page cache to page
   cache, or, where the kernel refuses it for these files, written with pwrite straight from the mapping. All-zero
   pieces are not written (they stay holes). copy_file_range is used while `*in_kernel` is non-zero; a refusal
   of the kernel for these files, or a clone refused for offsets off the blocks of a reflink filesystem (whose
   copy_file_range would share part of a run), sets it to 0. While `*clone` is non-zero a run is first shared with the source instead (FICLONERANGE,
   copy-on-write extents on XFS, btrfs and the like: no data copied or written back); the first clone that fails
   sets `*clone` to 0 and the run is written. A SIGBUS while the mapping is read (the source was cut short by
   someone else) is caught and reported, not fatal. Stores the bytes put in the output (written or shared) in
   `written` and the shared ones in `cloned`; returns 0 or a CHOSTFILE_COPY_ value. */
int chostfile_copy_nonzero(int in_fd, off_t in_offset, int out_fd, off_t out_offset, size_t length, size_t granule,
                           int *clone, int *in_kernel, uint64_t *written, uint64_t *cloned);

/* chostfile_copy_nonzero, split into contiguous parts (at least 512 KiB each, for a copy of 4 MiB or more) that this thread and one helper
   thread per further core (at most 4 cores; started on first use and kept) copy at once, when the range lies
   inside the output file (extending writes stay on one thread) and `*clone` is 0 (clones are tried on one
   thread). The parts start on granule boundaries counted from `in_offset`: the pieces left as holes are the same.
   `*in_kernel` turns 0 when any part cleared it; the result and errno are those of the first part that failed. */
int chostfile_copy_nonzero_split(int in_fd, off_t in_offset, int out_fd, off_t out_offset, size_t length,
                                 size_t granule, int *clone, int *in_kernel, uint64_t *written, uint64_t *cloned);

/* One run of a chostfile_copy_nonzero_runs copy: `length` bytes of the source at `in_offset` to the output at
   `out_offset`. */
struct chostfile_copy_run {
    off_t in_offset, out_offset;
    size_t length;
};

/* chostfile_copy_nonzero of each of the `count` runs (at most 16), in order, with the same pieces left as holes
   (granules counted from each run's start). One run is chostfile_copy_nonzero_split. When several runs together
   are 4 MiB or more, lie inside the output file,
   follow each other in the source (each starts at or after the end of the one before, within twice their total
   length) and `*clone` is 0, the source span is mapped once and whole runs are shared out between this thread
   and the helpers (a dynamic VHD's 2 MiB blocks: each too small to split on its own). Otherwise they are copied
   one after the other on this thread. `written`/`cloned` add up every run's; the result and errno are those of
   the first run that failed (in a split copy, runs after it may have been copied too). */
int chostfile_copy_nonzero_runs(int in_fd, int out_fd, const struct chostfile_copy_run *runs, size_t count,
                                size_t granule, int *clone, int *in_kernel, uint64_t *written, uint64_t *cloned);
/* Writes the `granule`-byte pieces of the `length` bytes at `bytes` that hold a non-zero byte (adjacent ones merged)
   to `fd` at `offset` with pwrite, split as chostfile_copy_nonzero_split splits a copy; all-zero pieces are not
   written. Stores the bytes written in `written`; returns 0 or the errno of the first write that failed. */
int chostfile_write_nonzero(int fd, const void *bytes, size_t length, off_t offset, size_t granule,
                            uint64_t *written);

/* The sum of the `length` bytes at `bytes`, modulo 2^32 (the VHD footer and header checksums). */
uint32_t chostfile_byte_sum(const void *bytes, size_t length);

/* 1 when all `length` bytes at `bytes` are zero. */
int chostfile_is_all_zero(const void *bytes, size_t length);

/* Decodes the `count` big-endian 32-bit words at `bytes` into `words`, in host order (`words` may be `bytes`). */
void chostfile_decode_be32(const void *bytes, unsigned int *words, size_t count);
/* Stores in `positions` (room for `capacity`) the indices of the words of `words` that are not 0xFFFFFFFF, in
   order; returns how many there are, also when that is more than `capacity`. */
size_t chostfile_positions_not_all_ones(const unsigned int *words, size_t count, size_t *positions,
                                        size_t capacity);

/* Temporary-file guard: paths unlinked by a SIGINT/SIGTERM/SIGHUP/SIGQUIT handler before the signal's default
   action runs (signals the process ignores are left alone). `add` returns a slot (or -1 when all are taken). */
int chostfile_temp_guard_add(const char *path);
void chostfile_temp_guard_remove(int slot);
/* A private scratch folder under the same guard: mkdtemp(template_path) (the XXXXXX replaced in place) and its
   registration happen with those signals blocked, so no signal leaves the folder behind; a signal then removes
   the folder and everything in it (8 levels, links not followed). Returns the slot, or -2 with errno set. */
int chostfile_scratch_folder_create(char *template_path);
/* Removes the folder `path` with everything in it and releases its `slot`. */
void chostfile_scratch_folder_remove(const char *path, int slot);

/* Removes the files in `folder` named `prefix`...`suffix` whose exclusive flock can be taken at once (their writer
   is gone); returns how many were removed. */
int chostfile_remove_unlocked_files(const char *folder, const char *prefix, const char *suffix);

/* posix_spawn of `path` with the arguments in `arguments` (`length` bytes, each argument NUL-terminated; argv[0]
   first), the caller's environment, an empty signal mask and default SIGTERM/SIGINT/SIGPIPE handling. Descriptors
   0, 1 and 2 of the child become `in_fd`, `out_fd` and `err_fd` (-1: inherited). Returns 0 and stores the pid, or
   an errno value. */
int chostfile_spawn(const char *path, const char *arguments, size_t length, int in_fd, int out_fd, int err_fd,
                    pid_t *pid);
/* pipe2(fds, O_CLOEXEC). */
int chostfile_pipe_cloexec(int fds[2]);

/* qemu-compatible image locks (qemu's util/osdep.c qemu_lock_fd, block/file-posix.c raw_apply_lock_bytes): open
   file description locks on single bytes, always shared (F_RDLCK), so that their presence, not their kind, says
   something. `chostfile_ofd_lock_byte` takes one (F_OFD_SETLK) and `chostfile_ofd_unlock_byte` drops it; both
   return 0 or an errno value. `chostfile_ofd_byte_is_locked` asks (F_OFD_GETLK with F_WRLCK) whether another open
   file description holds a lock on the byte: 1 yes, 0 no, or -errno. */
int chostfile_ofd_lock_byte(int fd, off_t byte);
int chostfile_ofd_unlock_byte(int fd, off_t byte);
int chostfile_ofd_byte_is_locked(int fd, off_t byte);

/* CRC-32C (Castagnoli) of `length` bytes continuing from `crc`, with no inversion in or out (the kernel's
   crc32c(seed, ...)): the SSE4.2 instruction when the processor has it, else eight tables. */
uint32_t chostfile_crc32c(uint32_t crc, const void *bytes, size_t length);
/* The same with the tables only (what processors without SSE4.2 run; for tests). */
uint32_t chostfile_crc32c_portable(uint32_t crc, const void *bytes, size_t length);

#endif

#define _GNU_SOURCE
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <pthread.h>
#include <unistd.h>
#include <sys/mman.h>
#include "CHostFile.h"

off_t chostfile_seek_data(int fd, off_t offset) { return lseek(fd, offset, SEEK_DATA); }
off_t chostfile_seek_hole(int fd, off_t offset) { return lseek(fd, offset, SEEK_HOLE); }
int chostfile_punch_hole(int fd, off_t offset, off_t length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
}
int chostfile_is_all_zero(const void *bytes, size_t length) {
    const unsigned char *p = bytes;
    while (length > 0 && ((uintptr_t)p & 7) != 0) { if (*p) return 0; p++; length--; }
    const uint64_t *w = (const uint64_t *)p;
    while (length >= 64) {
        if (w[0] | w[1] | w[2] | w[3] | w[4] | w[5] | w[6] | w[7]) return 0;
        w += 8; length -= 64;
    }
    p = (const unsigned char *)w;
    while (length > 0) { if (*p) return 0; p++; length--; }
    return 1;
}
uint32_t chostfile_byte_sum(const void *bytes, size_t length) {
    const unsigned char *p = bytes;
    uint32_t sum = 0;
    for (size_t i = 0; i < length; i++) sum += p[i];
    return sum;
}
void chostfile_decode_be32(const void *bytes, unsigned int *words, size_t count) {
    const unsigned char *p = bytes;
    size_t i = 0;
#if defined(__SSE2__)
    /* Unallocated entries (0xFFFFFFFF, most of a large table) read the same in either byte order. */
    for (; i + 16 <= count; i += 16) {
        const __m128i *v = (const __m128i *)(p + 4 * i);
        __m128i a = _mm_loadu_si128(v), b = _mm_loadu_si128(v + 1), c = _mm_loadu_si128(v + 2),
                d = _mm_loadu_si128(v + 3);
        __m128i all = _mm_and_si128(_mm_and_si128(a, b), _mm_and_si128(c, d));
        if (_mm_movemask_epi8(_mm_cmpeq_epi32(all, _mm_set1_epi32(-1))) == 0xFFFF) {
            __m128i *out = (__m128i *)(words + i);
            _mm_storeu_si128(out, a);
            _mm_storeu_si128(out + 1, b);
            _mm_storeu_si128(out + 2, c);
            _mm_storeu_si128(out + 3, d);
            continue;
        }
        for (size_t j = i; j < i + 16; j++) {
            uint32_t w;
            memcpy(&w, p + 4 * j, 4);
            words[j] = __builtin_bswap32(w);
        }
    }
#endif
    for (; i < count; i++) {
        uint32_t w;
        memcpy(&w, p + 4 * i, 4);
        words[i] = __builtin_bswap32(w);
    }
}
size_t chostfile_positions_not_all_ones(const unsigned int *words, size_t count, size_t *positions,
                                        size_t capacity) {
    size_t found = 0, i = 0;
    while (i < count) {
#if defined(__SSE2__)
        /* 32 words (128 bytes) at a time while they are all 0xFFFFFFFF. */
        while (i + 32 <= count) {
            const __m128i *v = (const __m128i *)(words + i);
            __m128i x = _mm_and_si128(_mm_and_si128(_mm_and_si128(_mm_loadu_si128(v), _mm_loadu_si128(v + 1)),
                                                    _mm_and_si128(_mm_loadu_si128(v + 2), _mm_loadu_si128(v + 3))),
                                      _mm_and_si128(_mm_and_si128(_mm_loadu_si128(v + 4), _mm_loadu_si128(v + 5)),
                                                    _mm_and_si128(_mm_loadu_si128(v + 6), _mm_loadu_si128(v + 7))));
            if (_mm_movemask_epi8(_mm_cmpeq_epi32(x, _mm_set1_epi32(-1))) != 0xFFFF) break;
            i += 32;
        }
        if (i >= count) break;
#endif
        size_t stop = i + 32 < count ? i + 32 : count;
        for (; i < stop; i++) {
            if (words[i] != 0xFFFFFFFFu) {
                if (found < capacity) positions[found] = i;
                found++;
            }
        }
    }
    return found;
}
int chostfile_start_writeback(int fd, off_t offset, off_t length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE);
}
int chostfile_memfd_create(const char *name) { return memfd_create(name, MFD_CLOEXEC); }

/* --- mapped copy --------------------------------------------------------------------------------------------- */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/fs.h>

/* The copy running on this thread, while it reads its mapping: a SIGBUS then jumps back into it. */
static __thread sigjmp_buf *copy_jump;
static struct sigaction bus_previous;
static pthread_once_t bus_once = PTHREAD_ONCE_INIT;

static void bus_handler(int sig, siginfo_t *info, void *context) {
    sigjmp_buf *jump = copy_jump;
    if (jump) {
        copy_jump = NULL;
        siglongjmp(*jump, 1);
    }
    /* Not a fault of a mapped copy: give SIGBUS back to its previous handler. A fault repeats when this returns
       and reaches it; a SIGBUS sent by kill is raised again. */
    (void)context;
    sigaction(SIGBUS, &bus_previous, NULL);
    if (info == NULL || info->si_code <= 0) raise(sig);
}

static void bus_install(void) {
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = bus_handler;
    action.sa_flags = SA_SIGINFO;
    sigemptyset(&action.sa_mask);
    sigaction(SIGBUS, &action, &bus_previous);
}

/* 0, or CHOSTFILE_COPY_WRITE_FAILED / CHOSTFILE_COPY_SOURCE_SHRANK (EFAULT: the kernel found a mapped page gone). */
static int copy_write_all(int fd, const unsigned char *bytes, size_t length, off_t offset) {
    while (length > 0) {
        ssize_t put = pwrite(fd, bytes, length, offset);
        if (put < 0) {
            if (errno == EINTR) continue;
            return errno == EFAULT ? CHOSTFILE_COPY_SOURCE_SHRANK : CHOSTFILE_COPY_WRITE_FAILED;
        }
        bytes += put;
        length -= (size_t)put;
        offset += put;
    }
    return 0;
}

/* copy_file_range of the whole run: 0, 1 when the kernel cannot do it for these files (nothing more was copied:
   write the rest instead; `*done` says how much it did copy), or a CHOSTFILE_COPY_ value. The kernel moves the
   bytes from the source's page cache into the output's (one copy, no faults on a mapping): on ext4 a third less
   CPU time than pwrite from the mapping. */
static int copy_in_kernel(int in_fd, off_t in_offset, int out_fd, off_t out_offset, size_t length, size_t *done) {
    *done = 0;
    while (*done < length) {
        loff_t from = in_offset + (off_t)*done, to = out_offset + (off_t)*done;
        ssize_t put = copy_file_range(in_fd, &from, out_fd, &to, length - *done, 0);
        if (put < 0) {
            if (errno == EINTR) continue;
            if (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP || errno == EBADF ||
                errno == ETXTBSY || errno == EPERM)
                return 1;
            return CHOSTFILE_COPY_WRITE_FAILED;
        }
        if (put == 0) return CHOSTFILE_COPY_SOURCE_SHRANK; /* the source ends before the run does */
        *done += (size_t)put;
    }
    return 0;
}

/* One non-zero run: shared with the source (FICLONERANGE: the filesystem points the output at the same blocks,
   copy-on-write, as cp --reflink does) while `*clone` is set, else copied by the kernel (copy_file_range) while
   `*in_kernel` is set, else written from the mapping. A failed clone (a filesystem without reflink, another
   filesystem, offsets not on block boundaries) clears `*clone` for good, and offsets not on block boundaries of
   a reflink filesystem clear `*in_kernel` too; a copy_file_range the kernel refuses for these files clears
   `*in_kernel`. */
static int copy_run(int in_fd, off_t in_offset, int out_fd, off_t out_offset, const unsigned char *bytes,
                    size_t length, int *clone, int *in_kernel, volatile uint64_t *cloned) {
    if (*clone) {
        struct file_clone_range range = {.src_fd = in_fd, .src_offset = (uint64_t)in_offset,
                                         .src_length = (uint64_t)length, .dest_offset = (uint64_t)out_offset};
        if (ioctl(out_fd, FICLONERANGE, &range) == 0) {
            *cloned += length;
            return 0;
        }
        /* EINVAL: a filesystem that shares blocks, but these offsets do not line up with them. Its copy_file_range
           would share what it can and copy the rest, leaving another extent layout than a written copy: write. */
        if (errno == EINVAL) *in_kernel = 0;
        *clone = 0;
    }
    if (*in_kernel) {
        size_t done = 0;
        int result = copy_in_kernel(in_fd, in_offset, out_fd, out_offset, length, &done);
        if (result != 1) return result;
        *in_kernel = 0;
        bytes += done;
        length -= done;
        out_offset += (off_t)done;
    }
    return copy_write_all(out_fd, bytes, length, out_offset);
}

/* The range `in_offset`..<+`length` of `in_fd` mapped read-only (`*map`/`*mapped` to unmap), or NULL. */
static const unsigned char *copy_map(int in_fd, off_t in_offset, size_t length, void **map, size_t *mapped) {
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0) page = 4096;
    off_t base = in_offset - in_offset % page;
    size_t lead = (size_t)(in_offset - base);
    *mapped = lead + length;
    *map = mmap(NULL, *mapped, PROT_READ, MAP_SHARED, in_fd, base);
    return *map == MAP_FAILED ? NULL : (const unsigned char *)*map + lead;
}

static void copy_unmap(void *map, size_t mapped) {
    int saved = errno;
    munmap(map, mapped);
    errno = saved;
}

/* chostfile_copy_nonzero with the source range already mapped at `data`. */
static int copy_nonzero_mapped(const unsigned char *data, int in_fd, off_t in_offset, int out_fd, off_t out_offset,
                               size_t length, size_t granule, int *clone, int *in_kernel, uint64_t *written,
                               uint64_t *cloned) {
    volatile uint64_t done = 0, shared = 0;
    volatile int result = 0;
    sigjmp_buf jump;
    pthread_once(&bus_once, bus_install);
    if (sigsetjmp(jump, 1) == 0) {
        copy_jump = &jump;
        size_t run = (size_t)-1; /* start of the pending non-zero run */
        for (size_t at = 0; at < length && result == 0; at += granule) {
            size_t end = length - at > granule ? at + granule : length;
            int zero = chostfile_is_all_zero(data + at, end - at);
            if (zero && run != (size_t)-1) {
                result = copy_run(in_fd, in_offset + (off_t)run, out_fd, out_offset + (off_t)run, data + run, at - run,
                                  clone, in_kernel, &shared);
                if (result == 0) done += at - run;
                run = (size_t)-1;
            } else if (!zero && run == (size_t)-1) {
                run = at;
            }
        }
        if (result == 0 && run != (size_t)-1) {
            result = copy_run(in_fd, in_offset + (off_t)run, out_fd, out_offset + (off_t)run, data + run, length - run,
                              clone, in_kernel, &shared);
            if (result == 0) done += length - run;
        }
    } else {
        result = CHOSTFILE_COPY_SOURCE_SHRANK;
    }
    copy_jump = NULL;
    *written = done;
    *cloned = shared;
    return result;
}

int chostfile_copy_nonzero(int in_fd, off_t in_offset, int out_fd, off_t out_offset, size_t length, size_t granule,
                           int *clone, int *in_kernel, uint64_t *written, uint64_t *cloned) {
    *written = 0;
    *cloned = 0;
    if (length == 0) return 0;
    if (granule == 0) granule = 4096;
    void *map;
    size_t mapped;
    const unsigned char *data = copy_map(in_fd, in_offset, length, &map, &mapped);
    if (data == NULL) return CHOSTFILE_COPY_MAP_FAILED;
    int result = copy_nonzero_mapped(data, in_fd, in_offset, out_fd, out_offset, length, granule, clone, in_kernel,
                                     written, cloned);
    copy_unmap(map, mapped);
    return result;
}

#include <sched.h>
#include <sys/stat.h>

/* --- copies split over threads -------------------------------------------------------------------------------- */
/* A copy through the page cache is bound by one core's memory copy rate: large copies are split into contiguous
   parts that the caller's thread and one helper thread per further core (at most 4 cores) copy at once. The parts
   start on granule boundaries counted from the start of the copy, so the pieces left as holes are the same as in
   a copy on one thread. */
enum { SPLIT_MAX_CORES = 4, SPLIT_MAX_PARTS = 16, SPLIT_PART_MINIMUM = 512 << 10, SPLIT_LENGTH_MINIMUM = 4 << 20 };

static pthread_once_t split_cores_once = PTHREAD_ONCE_INIT;
static size_t split_cores = 1;
/* The cores this process may run on (asked once). */
static void split_cores_count(void) {
    cpu_set_t set;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int allowed = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
    long cores = allowed > 0 && (online < 1 || allowed < online) ? allowed : online;
    split_cores = cores < 1 ? 1 : cores > SPLIT_MAX_CORES ? SPLIT_MAX_CORES : (size_t)cores;
}

/* How many parts a copy of `length` bytes to `out_fd` at `out_offset` is split into: 4 per core (so that a busy
   helper's share is taken by the others), each at least 512 KiB; 1 on one core, and 1 for a copy under 4 MiB.
   A dynamic VHD's data blocks are 2 MiB runs each: split, every block paid for waking the helpers and for
   unmapping its mapping while they ran on other cores (a TLB shootdown), more than the second core gave back
   (a 256 MiB dynamic VHD to raw, --no-sync, 2 cores: 97 ms and 146 ms of CPU split, 87 ms and 86 ms of CPU not). */
static size_t split_parts(int out_fd, off_t out_offset, size_t length) {
    pthread_once(&split_cores_once, split_cores_count);
    if (split_cores < 2 || length < SPLIT_LENGTH_MINIMUM) return 1;
    /* Writes that extend the file stay on one thread: on some filesystems (XFS: speculative preallocation past
       the end) the order of extending writes decides which pieces end up allocated. */
    struct stat status;
    if (fstat(out_fd, &status) != 0 || out_offset + (off_t)length > status.st_size) return 1;
    size_t parts = split_cores * 4;
    if (parts > SPLIT_MAX_PARTS) parts = SPLIT_MAX_PARTS;
    while (parts > 1 && length / parts < SPLIT_PART_MINIMUM) parts--;
    return parts;
}

/* Helper threads (one fewer than the cores), started on first use and kept: a split copy posts its parts, takes
   parts itself until none is left, and then waits only for the parts a helper has taken. A helper that is late
   (the machine is busy) costs nothing: the caller takes its part. One split at a time uses the helpers; a split
   that finds them busy runs on its caller's thread alone. */
struct split_job {
    void *(*run)(void *);
    char *parts;
    size_t size, count, next, running;
};
static pthread_mutex_t split_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t split_owner = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t split_wake = PTHREAD_COND_INITIALIZER;
static pthread_cond_t split_finished = PTHREAD_COND_INITIALIZER;
static struct split_job *split_current;
static pthread_once_t split_helpers_once = PTHREAD_ONCE_INIT;

static void *split_helper(void *unused) {
    (void)unused;
    pthread_mutex_lock(&split_lock);
    for (;;) {
        while (split_current == NULL || split_current->next >= split_current->count)
            pthread_cond_wait(&split_wake, &split_lock);
        struct split_job *job = split_current;
        size_t index = job->next++;
        job->running++;
        pthread_mutex_unlock(&split_lock);
        job->run(job->parts + index * job->size);
        pthread_mutex_lock(&split_lock);
        if (--job->running == 0) pthread_cond_broadcast(&split_finished);
    }
    return NULL;
}

static void split_helpers_start(void) {
    pthread_attr_t attributes;
    if (pthread_attr_init(&attributes) != 0) return;
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attributes, 64 << 10);
    /* Signals sent to the process go to the other threads (a helper only copies); faults stay with the thread. */
    sigset_t all, previous;
    sigfillset(&all);
    sigdelset(&all, SIGBUS);
    sigdelset(&all, SIGSEGV);
    sigdelset(&all, SIGFPE);
    sigdelset(&all, SIGILL);
    pthread_sigmask(SIG_BLOCK, &all, &previous);
    for (size_t i = 1; i < split_cores; i++) {
        pthread_t thread;
        pthread_create(&thread, &attributes, split_helper, NULL);
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attributes);
}

/* Runs `run` on each of the `count` parts (`size` bytes apart from `parts`), on this thread and the helpers. */
static void split_run(void *(*run)(void *), void *parts, size_t size, size_t count) {
    if (count < 2 || pthread_mutex_trylock(&split_owner) != 0) {
        for (size_t i = 0; i < count; i++) run((char *)parts + i * size);
        return;
    }
    pthread_once(&split_helpers_once, split_helpers_start);
    struct split_job job = {.run = run, .parts = parts, .size = size, .count = count};
    pthread_mutex_lock(&split_lock);
    split_current = &job;
    pthread_cond_broadcast(&split_wake);
    while (job.next < job.count) {
        size_t index = job.next++;
        pthread_mutex_unlock(&split_lock);
        run(job.parts + index * job.size);
        pthread_mutex_lock(&split_lock);
    }
    while (job.running > 0) pthread_cond_wait(&split_finished, &split_lock);
    split_current = NULL;
    pthread_mutex_unlock(&split_lock);
    pthread_mutex_unlock(&split_owner);
}

/* --- several runs copied at once ---------------------------------------------------------------------------- */
struct nonzero_runs_part {
    const unsigned char *span; /* the mapping of the source span; span[0] is the source byte at span_offset */
    off_t span_offset;
    const struct chostfile_copy_run *runs;
    size_t first, end; /* the part's runs: runs[first..<end] */
    int in_fd, out_fd, in_kernel, result, error;
    size_t granule;
    uint64_t written, cloned;
};

static void *nonzero_runs_part_run(void *argument) {
    struct nonzero_runs_part *part = argument;
    part->written = 0;
    part->cloned = 0;
    part->result = 0;
    part->error = 0;
    for (size_t i = part->first; i < part->end && part->result == 0; i++) {
        const struct chostfile_copy_run *run = &part->runs[i];
        int clone = 0;
        uint64_t written = 0, cloned = 0;
        part->result = copy_nonzero_mapped(part->span + (run->in_offset - part->span_offset), part->in_fd,
                                           run->in_offset, part->out_fd, run->out_offset, run->length, part->granule,
                                           &clone, &part->in_kernel, &written, &cloned);
        part->written += written;
        part->cloned += cloned;
        if (part->result != 0) part->error = errno;
    }
    return NULL;
}

/* The runs one after the other on this thread. */
static int copy_runs_in_turn(int in_fd, int out_fd, const struct chostfile_copy_run *runs, size_t count,
                             size_t granule, int *clone, int *in_kernel, uint64_t *written, uint64_t *cloned) {
    for (size_t i = 0; i < count; i++) {
        uint64_t run_written = 0, run_cloned = 0;
        int result = chostfile_copy_nonzero(in_fd, runs[i].in_offset, out_fd, runs[i].out_offset, runs[i].length,
                                            granule, clone, in_kernel, &run_written, &run_cloned);
        *written += run_written;
        *cloned += run_cloned;
        if (result != 0) return result;
    }
    return 0;
}

/* Copies `count` runs that follow each other in the source from one mapping of the span they cover, whole runs
   shared out in order between `parts` parts (about the same bytes each) that this thread and the helpers copy. */
static int copy_runs_on_threads(int in_fd, int out_fd, const struct chostfile_copy_run *runs, size_t count,
                                size_t parts, size_t granule, int *in_kernel, uint64_t *written, uint64_t *cloned) {
    /* One mapping for the whole copy: unmapping in a process with several threads interrupts the cores they run
       on (TLB shootdown), so once per copy rather than once per part. */
    off_t span_offset = runs[0].in_offset;
    size_t span_length = (size_t)(runs[count - 1].in_offset + (off_t)runs[count - 1].length - span_offset);
    size_t total = 0;
    for (size_t i = 0; i < count; i++) total += runs[i].length;
    void *map;
    size_t mapped;
    const unsigned char *span = copy_map(in_fd, span_offset, span_length, &map, &mapped);
    if (span == NULL) return CHOSTFILE_COPY_MAP_FAILED;
    struct nonzero_runs_part part[SPLIT_MAX_PARTS];
    size_t used = 0, next = 0, assigned = 0;
    while (next < count && used < parts) {
        size_t first = next, bytes = 0;
        size_t share = (total - assigned) / (parts - used);
        while (next < count && (bytes == 0 || bytes + runs[next].length / 2 <= share)) bytes += runs[next++].length;
        if (used == parts - 1) next = count;
        assigned += bytes;
        part[used++] = (struct nonzero_runs_part){.span = span, .span_offset = span_offset, .runs = runs,
                                                  .first = first, .end = next, .in_fd = in_fd, .out_fd = out_fd,
                                                  .in_kernel = *in_kernel, .granule = granule};
    }
    split_run(nonzero_runs_part_run, part, sizeof part[0], used);
    copy_unmap(map, mapped);
    int result = 0, error = 0;
    for (size_t i = 0; i < used; i++) {
        *written += part[i].written;
        *cloned += part[i].cloned;
        if (!part[i].in_kernel) *in_kernel = 0;
        if (result == 0 && part[i].result != 0) {
            result = part[i].result;
            error = part[i].error;
        }
    }
    errno = error;
    return result;
}

int chostfile_copy_nonzero_split(int in_fd, off_t in_offset, int out_fd, off_t out_offset, size_t length,
                                 size_t granule, int *clone, int *in_kernel, uint64_t *written, uint64_t *cloned) {
    if (granule == 0) granule = 4096;
    size_t count = split_parts(out_fd, out_offset, length);
    /* Clones are tried on one thread: the first refusal decides for the rest of the copy. */
    if (*clone || count < 2)
        return chostfile_copy_nonzero(in_fd, in_offset, out_fd, out_offset, length, granule, clone, in_kernel,
                                      written, cloned);
    *written = 0;
    *cloned = 0;
    /* Contiguous parts starting on granules counted from in_offset: one run each. */
    struct chostfile_copy_run runs[SPLIT_MAX_PARTS];
    size_t share = (length / count + granule - 1) / granule * granule, at = 0, used = 0;
    for (; used < count && at < length; used++) {
        size_t take = length - at < share ? length - at : share;
        runs[used] = (struct chostfile_copy_run){
            .in_offset = in_offset + (off_t)at, .out_offset = out_offset + (off_t)at, .length = take};
        at += take;
    }
    return copy_runs_on_threads(in_fd, out_fd, runs, used, used, granule, in_kernel, written, cloned);
}

int chostfile_copy_nonzero_runs(int in_fd, int out_fd, const struct chostfile_copy_run *runs, size_t count,
                                size_t granule, int *clone, int *in_kernel, uint64_t *written, uint64_t *cloned) {
    *written = 0;
    *cloned = 0;
    if (granule == 0) granule = 4096;
    if (count == 0) return 0;
    if (count == 1)
        return chostfile_copy_nonzero_split(in_fd, runs[0].in_offset, out_fd, runs[0].out_offset, runs[0].length,
                                            granule, clone, in_kernel, written, cloned);
    size_t total = 0;
    off_t out_end = 0;
    int ordered = count <= SPLIT_MAX_PARTS;
    for (size_t i = 0; i < count; i++) {
        total += runs[i].length;
        off_t end = runs[i].out_offset + (off_t)runs[i].length;
        if (end > out_end) out_end = end;
        if (i > 0 && runs[i].in_offset < runs[i - 1].in_offset + (off_t)runs[i - 1].length) ordered = 0;
    }
    size_t span_length = (size_t)(runs[count - 1].in_offset + (off_t)runs[count - 1].length - runs[0].in_offset);
    size_t parts = 1;
    if (!*clone && ordered && span_length <= 2 * total) {
        /* Split as one copy of `total` bytes ending at the output's furthest run would be (no extending writes). */
        parts = split_parts(out_fd, out_end - (off_t)total, total);
        if (parts > count) parts = count;
    }
    if (parts < 2) return copy_runs_in_turn(in_fd, out_fd, runs, count, granule, clone, in_kernel, written, cloned);
    return copy_runs_on_threads(in_fd, out_fd, runs, count, parts, granule, in_kernel, written, cloned);
}

struct nonzero_write_part {
    int fd, error;
    const unsigned char *bytes;
    size_t length, granule;
    off_t offset;
    uint64_t written;
};

/* Writes the part's runs of granules that hold a non-zero byte (as SparseWriter does in Swift). */
static int nonzero_write_run(struct nonzero_write_part *part, size_t from, size_t to) {
    if (copy_write_all(part->fd, part->bytes + from, to - from, part->offset + (off_t)from) != 0)
        return errno ? errno : EIO;
    part->written += to - from;
    return 0;
}

static void *nonzero_write_part_run(void *argument) {
    struct nonzero_write_part *part = argument;
    size_t run = (size_t)-1, at = 0;
    part->written = 0;
    part->error = 0;
    while (at < part->length && part->error == 0) {
        size_t end = part->length - at > part->granule ? at + part->granule : part->length;
        int zero = chostfile_is_all_zero(part->bytes + at, end - at);
        if (zero && run != (size_t)-1) {
            part->error = nonzero_write_run(part, run, at);
            run = (size_t)-1;
        } else if (!zero && run == (size_t)-1) {
            run = at;
        }
        at = end;
    }
    if (part->error == 0 && run != (size_t)-1) part->error = nonzero_write_run(part, run, part->length);
    return NULL;
}

int chostfile_write_nonzero(int fd, const void *bytes, size_t length, off_t offset, size_t granule,
                            uint64_t *written) {
    if (granule == 0) granule = 4096;
    size_t count = split_parts(fd, offset, length);
    struct nonzero_write_part part[SPLIT_MAX_PARTS];
    size_t share = (length / count + granule - 1) / granule * granule, at = 0, used = 0;
    for (; used < count && at < length; used++) {
        size_t take = length - at < share ? length - at : share;
        part[used] = (struct nonzero_write_part){.fd = fd, .bytes = (const unsigned char *)bytes + at,
                                                 .length = take, .granule = granule, .offset = offset + (off_t)at};
        at += take;
    }
    split_run(nonzero_write_part_run, part, sizeof part[0], used);
    *written = 0;
    int error = 0;
    for (size_t i = 0; i < used; i++) {
        *written += part[i].written;
        if (error == 0) error = part[i].error;
    }
    return error;
}

/* --- temporary-file guard ------------------------------------------------------------------------------------ */
#include <dirent.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <stdlib.h>
#include <sys/syscall.h>

#define GUARD_SLOTS 64
static char guard_paths[GUARD_SLOTS][PATH_MAX];
static volatile sig_atomic_t guard_used[GUARD_SLOTS];
static volatile sig_atomic_t guard_tree[GUARD_SLOTS]; /* the slot is a folder: removed with what is in it */
static pthread_mutex_t guard_lock = PTHREAD_MUTEX_INITIALIZER;
static int guard_installed = 0;
static const int guard_signals[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
static struct sigaction guard_previous[sizeof guard_signals / sizeof guard_signals[0]];

/* Removes `name` (relative to the folder `parent`) and, when it is a folder, what is in it, down to 8 levels;
   symbolic links are removed, never followed. Only system calls, so that a signal handler may run it. */
static void remove_tree_at(int parent, const char *name, int depth) {
    if (unlinkat(parent, name, 0) == 0 || errno != EISDIR) return;
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd >= 0) {
        char buffer[4096] __attribute__((aligned(8)));
        long count;
        while (depth < 8 && (count = syscall(SYS_getdents64, fd, buffer, sizeof buffer)) > 0) {
            for (long at = 0; at < count;) {
                struct linux_dirent64_view { unsigned long long ino; long long off; unsigned short reclen;
                                             unsigned char type; char name[]; } *entry = (void *)(buffer + at);
                at += entry->reclen;
                if (strcmp(entry->name, ".") == 0 || strcmp(entry->name, "..") == 0) continue;
                remove_tree_at(fd, entry->name, depth + 1);
            }
        }
        close(fd);
    }
    unlinkat(parent, name, AT_REMOVEDIR);
}

static void guard_handler(int sig) {
    int saved = errno;
    for (int i = 0; i < GUARD_SLOTS; i++) {
        if (!guard_used[i]) continue;
        if (guard_tree[i]) remove_tree_at(AT_FDCWD, guard_paths[i], 0); else unlink(guard_paths[i]);
        guard_used[i] = 0;
    }
    for (size_t i = 0; i < sizeof guard_signals / sizeof guard_signals[0]; i++) {
        if (guard_signals[i] == sig) { sigaction(sig, &guard_previous[i], NULL); break; }
    }
    errno = saved;
    raise(sig); /* delivered when this handler returns (the signal is blocked inside it) */
}

static void guard_install(void) {
    for (size_t i = 0; i < sizeof guard_signals / sizeof guard_signals[0]; i++) {
        struct sigaction current;
        if (sigaction(guard_signals[i], NULL, &current) != 0) continue;
        if (!(current.sa_flags & SA_SIGINFO) && current.sa_handler == SIG_IGN) continue;
        guard_previous[i] = current;
        struct sigaction action;
        memset(&action, 0, sizeof action);
        action.sa_handler = guard_handler;
        sigemptyset(&action.sa_mask);
        for (size_t j = 0; j < sizeof guard_signals / sizeof guard_signals[0]; j++) sigaddset(&action.sa_mask, guard_signals[j]);
        sigaction(guard_signals[i], &action, NULL);
    }
}

static int guard_add(const char *path, int tree) {
    if (strlen(path) >= PATH_MAX) return -1;
    int slot = -1;
    pthread_mutex_lock(&guard_lock);
    if (!guard_installed) { guard_install(); guard_installed = 1; }
    for (int i = 0; i < GUARD_SLOTS; i++) {
        if (!guard_used[i]) {
            strcpy(guard_paths[i], path);
            guard_tree[i] = tree;
            __atomic_thread_fence(__ATOMIC_SEQ_CST);
            guard_used[i] = 1;
            slot = i;
            break;
        }
    }
    pthread_mutex_unlock(&guard_lock);
    return slot;
}

int chostfile_temp_guard_add(const char *path) { return guard_add(path, 0); }

int chostfile_scratch_folder_create(char *template_path) {
    sigset_t block, previous;
    sigemptyset(&block);
    for (size_t i = 0; i < sizeof guard_signals / sizeof guard_signals[0]; i++) sigaddset(&block, guard_signals[i]);
    pthread_sigmask(SIG_BLOCK, &block, &previous);
    int slot = -2;
    if (mkdtemp(template_path) != NULL) {
        slot = guard_add(template_path, 1);
        if (slot < 0) { rmdir(template_path); errno = EMFILE; slot = -2; }
    }
    int saved = errno;
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    errno = saved;
    return slot;
}

void chostfile_scratch_folder_remove(const char *path, int slot) {
    remove_tree_at(AT_FDCWD, path, 0);
    chostfile_temp_guard_remove(slot);
}

void chostfile_temp_guard_remove(int slot) {
    if (slot < 0 || slot >= GUARD_SLOTS) return;
    pthread_mutex_lock(&guard_lock);
    guard_used[slot] = 0;
    pthread_mutex_unlock(&guard_lock);
}

int chostfile_remove_unlocked_files(const char *folder, const char *prefix, const char *suffix) {
    DIR *dir = opendir(folder);
    if (!dir) return 0;
    int dfd = dirfd(dir);
    size_t prefix_length = strlen(prefix), suffix_length = strlen(suffix);
    int removed = 0;
    struct dirent *entry;
    while ((entry = readdir(dir)) != NULL) {
        const char *name = entry->d_name;
        size_t length = strlen(name);
        if (length < prefix_length + suffix_length) continue;
        if (strncmp(name, prefix, prefix_length) != 0) continue;
        if (strcmp(name + length - suffix_length, suffix) != 0) continue;
        int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0) continue;
        struct stat info;
        /* a writer creates its file, then locks it: leave a just-created empty file alone */
        int fresh = fstat(fd, &info) == 0 && info.st_size == 0 && time(NULL) - info.st_ctime < 5;
        if (!fresh && S_ISREG(info.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0) {
            struct stat now;
            /* still the same file under that name */
            if (fstatat(dfd, name, &now, AT_SYMLINK_NOFOLLOW) == 0 && now.st_ino == info.st_ino && now.st_dev == info.st_dev
                && unlinkat(dfd, name, 0) == 0) removed++;
        }
        close(fd);
    }
    closedir(dir);
    return removed;
}

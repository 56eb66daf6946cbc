#ifndef CLZMA_SHIM_H
#define CLZMA_SHIM_H
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <lzma.h>

/* The library is opened on first use (dlopen), not linked: only `check` decodes initramfs images, and every
   other command starts faster without it mapped and its symbols bound at process start. Call
   clzma_available() first; the other functions go through the table it fills. */
#ifdef __APPLE__
#define CLZMA_SONAME "liblzma.5.dylib"
#else
#define CLZMA_SONAME "liblzma.so.5"
#endif

struct clzma_api {
    lzma_ret (*lzma_stream_decoder)(lzma_stream *, uint64_t, uint32_t);
    lzma_ret (*lzma_code)(lzma_stream *, lzma_action);
    void (*lzma_end)(lzma_stream *);
};
/* The state lives in a function-local static: Swift emits the header's inline functions, not its globals. */
struct clzma_state {
    struct clzma_api table;
    int loaded;
    char error[256];
    pthread_once_t once;
};
static inline struct clzma_state *clzma_state(void) {
    static struct clzma_state state = { .once = PTHREAD_ONCE_INIT };
    return &state;
}
#define clzma_table (clzma_state()->table)

static inline void clzma_fail(const char *why) {
    strncpy(clzma_state()->error, why ? why : "unknown error", sizeof clzma_state()->error - 1);
}

static inline void clzma_load(void) {
    void *handle = dlopen(CLZMA_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!handle) { clzma_fail(dlerror()); return; }
    struct clzma_api t;
    if (!(t.lzma_stream_decoder = (lzma_ret (*)(lzma_stream *, uint64_t, uint32_t))dlsym(handle, "lzma_stream_decoder"))) { clzma_fail(dlerror()); return; }
    if (!(t.lzma_code = (lzma_ret (*)(lzma_stream *, lzma_action))dlsym(handle, "lzma_code"))) { clzma_fail(dlerror()); return; }
    if (!(t.lzma_end = (void (*)(lzma_stream *))dlsym(handle, "lzma_end"))) { clzma_fail(dlerror()); return; }
    clzma_state()->table = t;
    clzma_state()->loaded = 1;
}

/* 1 when the library is loaded and every function found; else 0 and clzma_load_error() says why. */
static inline int clzma_available(void) {
    pthread_once(&clzma_state()->once, clzma_load);
    return clzma_state()->loaded;
}

static inline const char *clzma_load_error(void) { return clzma_state()->error; }

static inline lzma_ret clzma_lzma_stream_decoder(lzma_stream * s, uint64_t memlimit, uint32_t flags) { return clzma_table.lzma_stream_decoder(s, memlimit, flags); }
static inline lzma_ret clzma_lzma_code(lzma_stream * s, lzma_action action) { return clzma_table.lzma_code(s, action); }
static inline void clzma_lzma_end(lzma_stream * s) { return clzma_table.lzma_end(s); }
/* LZMA_STREAM_INIT is a macro initializer Swift cannot import. */
static inline lzma_stream clzma_stream_init(void) { lzma_stream s = LZMA_STREAM_INIT; return s; }
#endif

#ifndef CZSTD_SHIM_H
#define CZSTD_SHIM_H
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <zstd.h>

/* The library is opened on first use (dlopen), not linked: only `check` decodes initramfs images, and every
   other command starts faster without it mapped and its symbols bound at process start. Call
   czstd_available() first; the other functions go through the table it fills. */
#ifdef __APPLE__
#define CZSTD_SONAME "libzstd.1.dylib"
#else
#define CZSTD_SONAME "libzstd.so.1"
#endif

struct czstd_api {
    ZSTD_DStream * (*ZSTD_createDStream)(void);
    size_t (*ZSTD_freeDStream)(ZSTD_DStream *);
    size_t (*ZSTD_initDStream)(ZSTD_DStream *);
    size_t (*ZSTD_decompressStream)(ZSTD_DStream *, ZSTD_outBuffer *, ZSTD_inBuffer *);
    unsigned (*ZSTD_isError)(size_t);
    const char * (*ZSTD_getErrorName)(size_t);
};
/* The state lives in a function-local static: Swift emits the header's inline functions, not its globals. */
struct czstd_state {
    struct czstd_api table;
    int loaded;
    char error[256];
    pthread_once_t once;
};
static inline struct czstd_state *czstd_state(void) {
    static struct czstd_state state = { .once = PTHREAD_ONCE_INIT };
    return &state;
}
#define czstd_table (czstd_state()->table)

static inline void czstd_fail(const char *why) {
    strncpy(czstd_state()->error, why ? why : "unknown error", sizeof czstd_state()->error - 1);
}

static inline void czstd_load(void) {
    void *handle = dlopen(CZSTD_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!handle) { czstd_fail(dlerror()); return; }
    struct czstd_api t;
    if (!(t.ZSTD_createDStream = (ZSTD_DStream * (*)(void))dlsym(handle, "ZSTD_createDStream"))) { czstd_fail(dlerror()); return; }
    if (!(t.ZSTD_freeDStream = (size_t (*)(ZSTD_DStream *))dlsym(handle, "ZSTD_freeDStream"))) { czstd_fail(dlerror()); return; }
    if (!(t.ZSTD_initDStream = (size_t (*)(ZSTD_DStream *))dlsym(handle, "ZSTD_initDStream"))) { czstd_fail(dlerror()); return; }
    if (!(t.ZSTD_decompressStream = (size_t (*)(ZSTD_DStream *, ZSTD_outBuffer *, ZSTD_inBuffer *))dlsym(handle, "ZSTD_decompressStream"))) { czstd_fail(dlerror()); return; }
    if (!(t.ZSTD_isError = (unsigned (*)(size_t))dlsym(handle, "ZSTD_isError"))) { czstd_fail(dlerror()); return; }
    if (!(t.ZSTD_getErrorName = (const char * (*)(size_t))dlsym(handle, "ZSTD_getErrorName"))) { czstd_fail(dlerror()); return; }
    czstd_state()->table = t;
    czstd_state()->loaded = 1;
}

/* 1 when the library is loaded and every function found; else 0 and czstd_load_error() says why. */
static inline int czstd_available(void) {
    pthread_once(&czstd_state()->once, czstd_load);
    return czstd_state()->loaded;
}

static inline const char *czstd_load_error(void) { return czstd_state()->error; }

static inline ZSTD_DStream * czstd_ZSTD_createDStream(void) { return czstd_table.ZSTD_createDStream(); }
static inline size_t czstd_ZSTD_freeDStream(ZSTD_DStream * ds) { return czstd_table.ZSTD_freeDStream(ds); }
static inline size_t czstd_ZSTD_initDStream(ZSTD_DStream * ds) { return czstd_table.ZSTD_initDStream(ds); }
static inline size_t czstd_ZSTD_decompressStream(ZSTD_DStream * ds, ZSTD_outBuffer * output, ZSTD_inBuffer * input) { return czstd_table.ZSTD_decompressStream(ds, output, input); }
static inline unsigned czstd_ZSTD_isError(size_t code) { return czstd_table.ZSTD_isError(code); }
static inline const char * czstd_ZSTD_getErrorName(size_t code) { return czstd_table.ZSTD_getErrorName(code); }

#endif

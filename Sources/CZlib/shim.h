#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <dlfcn.h>
#include <pthread.h>
#include <string.h>
#include <zlib.h>

/* The library is opened on first use (dlopen), not linked: only `check` decodes initramfs images, and every
   other command starts faster without it mapped and its symbols bound at process start. Call
   czlib_available() first; the other functions go through the table it fills. */
#ifdef __APPLE__
#define CZLIB_SONAME "libz.1.dylib"
#else
#define CZLIB_SONAME "libz.so.1"
#endif

struct czlib_api {
    int (*inflateInit2_)(z_streamp, int, const char *, int);
    int (*inflate)(z_streamp, int);
    int (*inflateEnd)(z_streamp);
};
/* The state lives in a function-local static: Swift emits the header's inline functions, not its globals. */
struct czlib_state {
    struct czlib_api table;
    int loaded;
    char error[256];
    pthread_once_t once;
};
static inline struct czlib_state *czlib_state(void) {
    static struct czlib_state state = { .once = PTHREAD_ONCE_INIT };
    return &state;
}
#define czlib_table (czlib_state()->table)

static inline void czlib_fail(const char *why) {
    strncpy(czlib_state()->error, why ? why : "unknown error", sizeof czlib_state()->error - 1);
}

static inline void czlib_load(void) {
    void *handle = dlopen(CZLIB_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!handle) { czlib_fail(dlerror()); return; }
    struct czlib_api t;
    if (!(t.inflateInit2_ = (int (*)(z_streamp, int, const char *, int))dlsym(handle, "inflateInit2_"))) { czlib_fail(dlerror()); return; }
    if (!(t.inflate = (int (*)(z_streamp, int))dlsym(handle, "inflate"))) { czlib_fail(dlerror()); return; }
    if (!(t.inflateEnd = (int (*)(z_streamp))dlsym(handle, "inflateEnd"))) { czlib_fail(dlerror()); return; }
    czlib_state()->table = t;
    czlib_state()->loaded = 1;
}

/* 1 when the library is loaded and every function found; else 0 and czlib_load_error() says why. */
static inline int czlib_available(void) {
    pthread_once(&czlib_state()->once, czlib_load);
    return czlib_state()->loaded;
}

static inline const char *czlib_load_error(void) { return czlib_state()->error; }

static inline int czlib_inflateInit2_(z_streamp s, int window_bits, const char * version, int size) { return czlib_table.inflateInit2_(s, window_bits, version, size); }
static inline int czlib_inflate(z_streamp s, int flush) { return czlib_table.inflate(s, flush); }
static inline int czlib_inflateEnd(z_streamp s) { return czlib_table.inflateEnd(s); }
/* inflateInit2 is a macro Swift cannot import. */
static inline int czlib_inflate_init2(z_stream *s, int window_bits) {
    return czlib_table.inflateInit2_(s, window_bits, ZLIB_VERSION, (int)sizeof(z_stream));
}
#endif

#ifndef CSELINUX_SHIM_H
#define CSELINUX_SHIM_H
#include <dlfcn.h>
#include <pthread.h>
#include <selinux/label.h>
#include <selinux/selinux.h>
#include <stdarg.h>
#include <string.h>

/* libselinux is opened on first use (dlopen), not linked: only a write session on an SELinux guest computes
   labels, and linking it made every command map libselinux and libpcre2 and relocate them at start-up. Call
   cselinux_available() first (a sandboxed writer calls it before the lock-down, when the library can still be
   opened); the other functions go through the table it fills. Headers only: libselinux1-dev. */
#ifdef __APPLE__
#define CSELINUX_SONAME "libselinux.1.dylib"
#else
#define CSELINUX_SONAME "libselinux.so.1"
#endif

struct cselinux_api {
    void (*selinux_set_callback)(int, union selinux_callback);
    struct selabel_handle *(*selabel_open)(unsigned int, const struct selinux_opt *, unsigned);
    int (*selabel_lookup_raw)(struct selabel_handle *, char **, const char *, int);
    void (*selabel_close)(struct selabel_handle *);
    void (*freecon)(char *);
};
/* The state lives in a function-local static: Swift emits the header's inline functions, not its globals. */
struct cselinux_state {
    struct cselinux_api table;
    int loaded;
    char error[256];
    pthread_once_t once;
};
static inline struct cselinux_state *cselinux_state(void) {
    static struct cselinux_state state = { .once = PTHREAD_ONCE_INIT };
    return &state;
}
#define cselinux_table (cselinux_state()->table)

static inline void cselinux_fail(const char *why) {
    strncpy(cselinux_state()->error, why ? why : "unknown error", sizeof cselinux_state()->error - 1);
}

static inline void cselinux_load(void) {
    void *handle = dlopen(CSELINUX_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (!handle) { cselinux_fail(dlerror()); return; }
    struct cselinux_api t;
    if (!(t.selinux_set_callback = (void (*)(int, union selinux_callback))dlsym(handle, "selinux_set_callback"))) { cselinux_fail(dlerror()); return; }
    if (!(t.selabel_open = (struct selabel_handle *(*)(unsigned int, const struct selinux_opt *, unsigned))dlsym(handle, "selabel_open"))) { cselinux_fail(dlerror()); return; }
    if (!(t.selabel_lookup_raw = (int (*)(struct selabel_handle *, char **, const char *, int))dlsym(handle, "selabel_lookup_raw"))) { cselinux_fail(dlerror()); return; }
    if (!(t.selabel_close = (void (*)(struct selabel_handle *))dlsym(handle, "selabel_close"))) { cselinux_fail(dlerror()); return; }
    if (!(t.freecon = (void (*)(char *))dlsym(handle, "freecon"))) { cselinux_fail(dlerror()); return; }
    cselinux_state()->table = t;
    cselinux_state()->loaded = 1;
}

/* 1 when the library is loaded and every function found; else 0 and cselinux_load_error() says why. */
static inline int cselinux_available(void) {
    pthread_once(&cselinux_state()->once, cselinux_load);
    return cselinux_state()->loaded;
}

static inline const char *cselinux_load_error(void) { return cselinux_state()->error; }

/* libselinux reports problems in a policy file through a logging callback that prints to standard error by
 * default; a guest's policy is not the host's business, so its messages are dropped (errors still come back as
 * return values). The callback type is variadic, which Swift cannot express. */
static int cselinux_drop_log(int type, const char *fmt, ...) {
    (void)type;
    (void)fmt;
    return 0;
}

static inline void cselinux_silence_log(void) {
    union selinux_callback callback;
    callback.func_log = cselinux_drop_log;
    cselinux_table.selinux_set_callback(SELINUX_CB_LOG, callback);
}

/* selabel_open for file contexts read from `path` (plus path.local, path.homedirs, path.subs and
 * path.subs_dist when present), without validating contexts against the running kernel's policy. */
static inline struct selabel_handle *cselinux_open_file_contexts(const char *path) {
    struct selinux_opt options[2] = {
        {SELABEL_OPT_PATH, path},
        {SELABEL_OPT_VALIDATE, (const char *)0},
    };
    return cselinux_table.selabel_open(SELABEL_CTX_FILE, options, 2);
}

static inline int cselinux_selabel_lookup_raw(struct selabel_handle *handle, char **context, const char *path, int mode) {
    return cselinux_table.selabel_lookup_raw(handle, context, path, mode);
}
static inline void cselinux_selabel_close(struct selabel_handle *handle) { cselinux_table.selabel_close(handle); }
static inline void cselinux_freecon(char *context) { cselinux_table.freecon(context); }
#endif

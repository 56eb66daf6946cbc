#ifndef CSELINUX_SHIM_H
#define CSELINUX_SHIM_H
#include <selinux/selinux.h>
#include <selinux/label.h>
#include <stdarg.h>

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
    selinux_set_callback(SELINUX_CB_LOG, callback);
}

/* selabel_open for file contexts read from `path` (plus path.local, path.homedirs, path.subs and
 * path.subs_dist when present), without validating contexts against the running kernel's policy. */
static inline struct selabel_handle *cselinux_open_file_contexts(const char *path) {
    struct selinux_opt options[2] = {
        {SELABEL_OPT_PATH, path},
        {SELABEL_OPT_VALIDATE, (const char *)0},
    };
    return selabel_open(SELABEL_CTX_FILE, options, 2);
}
#endif

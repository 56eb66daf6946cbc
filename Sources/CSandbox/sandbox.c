#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <seccomp.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "CSandbox.h"

int csandbox_no_new_privs(void) { return prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0 ? 0 : errno; }

int csandbox_landlock_abi(void) {
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, LANDLOCK_CREATE_RULESET_VERSION);
    return abi < 0 ? -errno : (int)abi;
}

/* The filesystem rights each ABI version knows (landlock(7)). */
static uint64_t handled_rights(int abi) {
    uint64_t rights = LANDLOCK_ACCESS_FS_EXECUTE | LANDLOCK_ACCESS_FS_WRITE_FILE | LANDLOCK_ACCESS_FS_READ_FILE |
                      LANDLOCK_ACCESS_FS_READ_DIR | LANDLOCK_ACCESS_FS_REMOVE_DIR | LANDLOCK_ACCESS_FS_REMOVE_FILE |
                      LANDLOCK_ACCESS_FS_MAKE_CHAR | LANDLOCK_ACCESS_FS_MAKE_DIR | LANDLOCK_ACCESS_FS_MAKE_REG |
                      LANDLOCK_ACCESS_FS_MAKE_SOCK | LANDLOCK_ACCESS_FS_MAKE_FIFO | LANDLOCK_ACCESS_FS_MAKE_BLOCK |
                      LANDLOCK_ACCESS_FS_MAKE_SYM;
    if (abi >= 2) rights |= (1ULL << 13); /* LANDLOCK_ACCESS_FS_REFER */
    if (abi >= 3) rights |= (1ULL << 14); /* LANDLOCK_ACCESS_FS_TRUNCATE */
    if (abi >= 5) rights |= (1ULL << 15); /* LANDLOCK_ACCESS_FS_IOCTL_DEV */
    return rights;
}

int csandbox_landlock_restrict(int abi, const char *const *allowed_folders, int count) {
    struct landlock_ruleset_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.handled_access_fs = handled_rights(abi);
    int ruleset = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (ruleset < 0) return errno;
    int result = 0;
    for (int i = 0; result == 0 && i < count; i++) {
        struct landlock_path_beneath_attr beneath;
        memset(&beneath, 0, sizeof beneath);
        beneath.allowed_access = attr.handled_access_fs & ~(uint64_t)LANDLOCK_ACCESS_FS_EXECUTE;
        beneath.parent_fd = open(allowed_folders[i], O_PATH | O_CLOEXEC | O_DIRECTORY);
        if (beneath.parent_fd < 0) {
            result = errno;
        } else {
            if (syscall(SYS_landlock_add_rule, ruleset, LANDLOCK_RULE_PATH_BENEATH, &beneath, 0) != 0) result = errno;
            close(beneath.parent_fd);
        }
    }
    if (result == 0 && syscall(SYS_landlock_restrict_self, ruleset, 0) != 0) result = errno;
    close(ruleset);
    return result;
}

int csandbox_seccomp(int allow_open) {
    scmp_filter_ctx filter = seccomp_init(SCMP_ACT_ALLOW);
    if (!filter) return ENOMEM;
    int denied[] = {
        SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(socket), SCMP_SYS(socketpair), SCMP_SYS(connect),
        SCMP_SYS(bind), SCMP_SYS(listen), SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(ptrace),
        SCMP_SYS(process_vm_readv), SCMP_SYS(process_vm_writev),
    };
    int opens[] = { SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(openat2), SCMP_SYS(creat) };
    int rc = 0;
    for (size_t i = 0; rc == 0 && i < sizeof denied / sizeof denied[0]; i++)
        rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
    for (size_t i = 0; rc == 0 && !allow_open && i < sizeof opens / sizeof opens[0]; i++)
        rc = seccomp_rule_add(filter, SCMP_ACT_ERRNO(EPERM), opens[i], 0);
    if (rc == 0) rc = seccomp_attr_set(filter, SCMP_FLTATR_CTL_TSYNC, 1);
    if (rc == 0) rc = seccomp_load(filter);
    seccomp_release(filter);
    return rc < 0 ? -rc : rc;
}

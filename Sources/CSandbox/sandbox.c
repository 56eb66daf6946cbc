#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/landlock.h>
#include <linux/seccomp.h>
#include <stddef.h>
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

/* The architecture the filter is built for (seccomp_data.arch): a system call made through another ABI (i386's
   int 0x80 on x86-64) has other numbers and kills the process, as libseccomp's filter does. */
#if defined(__x86_64__)
#define CSANDBOX_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define CSANDBOX_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "the seccomp filter knows x86-64 and aarch64 only"
#endif
#ifndef SYS_openat2
#define SYS_openat2 437 /* the same number on every architecture (Linux 5.6) */
#endif
/* x32 system calls: x86-64's arch value with this bit set in the number. */
#define CSANDBOX_X32_SYSCALL_BIT 0x40000000u

/* The calls refused with EPERM: running programs, sockets, tracing; then opening files by path. */
static const uint32_t csandbox_denied_calls[] = {
    SYS_execve, SYS_execveat, SYS_socket, SYS_socketpair, SYS_connect, SYS_bind, SYS_listen, SYS_accept,
    SYS_accept4, SYS_ptrace, SYS_process_vm_readv, SYS_process_vm_writev,
};
static const uint32_t csandbox_open_calls[] = {
#ifdef SYS_open
    SYS_open,
#endif
    SYS_openat, SYS_openat2,
#ifdef SYS_creat
    SYS_creat,
#endif
};

int csandbox_seccomp_program(int allow_open, struct sock_filter *program, int capacity) {
    struct sock_filter code[64];
    int n = 0;
    const int denied = (int)(sizeof csandbox_denied_calls / sizeof csandbox_denied_calls[0]);
    const int opens = allow_open ? 0 : (int)(sizeof csandbox_open_calls / sizeof csandbox_open_calls[0]);
    /* Layout: arch check, number load, (x32 check), one comparison per refused call, then the three returns
       ALLOW, ERRNO(EPERM), KILL_PROCESS at the end; jumps are relative to the next instruction. */
    const int x32 = CSANDBOX_AUDIT_ARCH == AUDIT_ARCH_X86_64;
    const int compares = denied + opens;
    const int allow = 3 + (x32 ? 2 : 0) + compares; /* index of RET ALLOW: after the arch load and check, the
                                                       number load, the x32 checks and the comparisons */
    const int refuse = allow + 1, kill = allow + 2;
    code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
    code[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CSANDBOX_AUDIT_ARCH, 0, 0);
    code[n].jf = (uint8_t)(kill - n - 1);
    n++;
    code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
    if (x32) {
        /* Numbers with the x32 bit kill, except -1 (a call a tracer skipped), which passes on. */
        code[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, CSANDBOX_X32_SYSCALL_BIT, 0, 1);
        n++;
        code[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0xffffffffu, 0, 0);
        code[n].jf = (uint8_t)(kill - n - 1);
        n++;
    }
    for (int i = 0; i < compares; i++) {
        uint32_t call = i < denied ? csandbox_denied_calls[i] : csandbox_open_calls[i - denied];
        code[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, call, 0, 0);
        code[n].jt = (uint8_t)(refuse - n - 1);
        n++;
    }
    code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (EPERM & SECCOMP_RET_DATA));
    code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS);
    if (n != kill + 1) return 0; /* the layout above and the code disagree: no program */
    if (n > capacity) return -n;
    memcpy(program, code, (size_t)n * sizeof code[0]);
    return n;
}

int csandbox_seccomp(int allow_open) {
    struct sock_filter code[64];
    int count = csandbox_seccomp_program(allow_open, code, 64);
    if (count <= 0) return EINVAL;
    struct sock_fprog program = { .len = (unsigned short)count, .filter = code };
    /* Every thread gets the filter (TSYNC); a positive result names a thread that could not take it. */
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &program);
    if (rc == 0) return 0;
    return rc > 0 ? ESRCH : errno;
}

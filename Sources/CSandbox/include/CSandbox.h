#ifndef CSANDBOX_H
#define CSANDBOX_H
#include <linux/filter.h>

/* The kernel calls behind vhdedit's sandbox (the policy, what each command needs, is in Swift: Sandbox). Each
   returns 0 or an errno value. */

/* prctl(PR_SET_NO_NEW_PRIVS, 1): no exec can gain privileges; required before Landlock and seccomp. */
int csandbox_no_new_privs(void);

/* The Landlock ABI version the kernel offers (landlock_create_ruleset with LANDLOCK_CREATE_RULESET_VERSION), or
   a negative errno (-ENOSYS: not built in; -EOPNOTSUPP: built in but not enabled at boot). */
int csandbox_landlock_abi(void);

/* Restricts this process (every thread) with Landlock: every filesystem access right the ABI `abi` knows is
   handled, and only the `count` folders `allowed_folders` (count may be 0: nothing) keep them, beneath each.
   Descriptors already open stay usable. */
int csandbox_landlock_restrict(int abi, const char *const *allowed_folders, int count);

/* Installs a seccomp filter on every thread (seccomp(SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC)):
   everything is allowed except opening files by path (open, openat, openat2, creat; unless `allow_open` is
   non-zero), running programs (execve, execveat), sockets (socket, socketpair, connect, bind, listen, accept,
   accept4) and tracing (ptrace, process_vm_readv, process_vm_writev), which fail with EPERM; a call through
   another ABI than the binary's own (i386 or x32 numbers on x86-64) kills the process. The classic BPF
   program is written here (csandbox_seccomp_program), the same decisions libseccomp's filter for these rules
   makes, so the binary does not link libseccomp and its start-up does not pay for loading it. */
int csandbox_seccomp(int allow_open);

/* Writes the filter csandbox_seccomp installs into `program` (room for `capacity` instructions) and returns
   its length, or minus the length needed when it does not fit (0: an inconsistent program, never installed). */
int csandbox_seccomp_program(int allow_open, struct sock_filter *program, int capacity);

#endif

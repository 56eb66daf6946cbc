#ifndef CSECCOMP_SHIM_H
#define CSECCOMP_SHIM_H
/* libseccomp (Debian libseccomp-dev): linked by SandboxTests only, as the reference the sandbox's hand-written
   BPF filter (CSandbox) is compared with; the vhdedit binary does not link it. */
#include <seccomp.h>

/* SCMP_ACT_ERRNO is a function-like macro Swift cannot import. */
static inline uint32_t cseccomp_act_errno(uint16_t code) { return SCMP_ACT_ERRNO(code); }
#endif

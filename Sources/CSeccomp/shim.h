#ifndef CSECCOMP_SHIM_H
#define CSECCOMP_SHIM_H
/* libseccomp (Debian libseccomp-dev): used from C only, by CSandbox. */
#include <seccomp.h>
#endif

#ifndef CLZMA_SHIM_H
#define CLZMA_SHIM_H
#include <lzma.h>
/* LZMA_STREAM_INIT is a macro initializer Swift cannot import. */
static inline lzma_stream clzma_stream_init(void) { lzma_stream s = LZMA_STREAM_INIT; return s; }
#endif

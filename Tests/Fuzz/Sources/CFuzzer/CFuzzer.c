/* Helpers the targets call, outside the fuzzer's instrumentation; see include/CFuzzer.h. */
#include "CFuzzer.h"

#if defined(__x86_64__)
/* The crc32 instruction (SSE 4.2): this file is built without optimisation in the fuzz build. */
__attribute__((target("sse4.2"))) static uint32_t crc32c_sse42(uint32_t previous, const uint8_t *bytes,
                                                                size_t length) {
    uint64_t crc = ~previous;
    for (; length >= 8; bytes += 8, length -= 8) {
        uint64_t word;
        __builtin_memcpy(&word, bytes, 8);
        crc = __builtin_ia32_crc32di(crc, word);
    }
    for (; length > 0; bytes++, length--) crc = __builtin_ia32_crc32qi((uint32_t)crc, *bytes);
    return ~(uint32_t)crc;
}
#endif

uint32_t cfuzzer_crc32c(uint32_t previous, const uint8_t *bytes, size_t length) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return crc32c_sse42(previous, bytes, length);
#endif
    static uint32_t table[256];
    static int ready = 0;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t v = i;
            for (int k = 0; k < 8; k++) v = (v & 1) ? (v >> 1) ^ 0x82F63B78u : v >> 1;
            table[i] = v;
        }
        ready = 1;
    }
    uint32_t crc = ~previous;
    for (size_t i = 0; i < length; i++) crc = table[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
    return ~crc;
}

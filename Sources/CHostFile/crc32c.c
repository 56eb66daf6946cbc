/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) for BlockIO's CRC32C: by the SSE4.2 crc32 instruction
   where the CPU has it (8 bytes a step), else by a 256-entry table a byte at a time. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include "CHostFile.h"

static uint32_t crc32c_table[256];
static pthread_once_t crc32c_table_once = PTHREAD_ONCE_INIT;

static void crc32c_make_table(void) {
    for (uint32_t index = 0; index < 256; index++) {
        uint32_t value = index;
        for (int bit = 0; bit < 8; bit++) value = (value & 1) ? (value >> 1) ^ 0x82F63B78u : value >> 1;
        crc32c_table[index] = value;
    }
}

static uint32_t crc32c_by_table(uint32_t crc, const unsigned char *p, size_t count) {
    pthread_once(&crc32c_table_once, crc32c_make_table);
    while (count--) crc = crc32c_table[(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>
__attribute__((target("sse4.2"))) static uint32_t crc32c_by_instruction(uint32_t crc, const unsigned char *p,
                                                                          size_t count) {
    uint64_t wide = crc;
    for (; count >= 8; count -= 8, p += 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        wide = _mm_crc32_u64(wide, word);
    }
    crc = (uint32_t)wide;
    for (; count; count--, p++) crc = _mm_crc32_u8(crc, *p);
    return crc;
}
#endif

uint32_t chostfile_crc32c(uint32_t previous, const void *bytes, size_t count) {
    uint32_t crc = ~previous;
#if defined(__x86_64__)
    if (__builtin_cpu_supports("sse4.2")) return ~crc32c_by_instruction(crc, (const unsigned char *)bytes, count);
#endif
    return ~crc32c_by_table(crc, (const unsigned char *)bytes, count);
}

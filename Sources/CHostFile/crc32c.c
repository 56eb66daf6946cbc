#include <stdint.h>
#include <string.h>
#include "CHostFile.h"
#if defined(__x86_64__) || defined(__i386__)
#include <nmmintrin.h>
#endif

/* CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) without inversion in or out: the kernel's crc32c(seed, ...).
   The SSE4.2 crc32 instruction when the processor has it (eight bytes per instruction; three independent streams
   over a large buffer keep the instruction's three-cycle latency busy); otherwise eight tables, eight bytes a step. */

static uint32_t tables[8][256];
static int tables_ready;

static void make_tables(void) {
    for (uint32_t index = 0; index < 256; index++) {
        uint32_t value = index;
        for (int bit = 0; bit < 8; bit++) value = (value & 1) ? (value >> 1) ^ 0x82F63B78u : value >> 1;
        tables[0][index] = value;
    }
    for (int k = 1; k < 8; k++)
        for (int index = 0; index < 256; index++)
            tables[k][index] = (tables[k - 1][index] >> 8) ^ tables[0][tables[k - 1][index] & 0xFF];
    __atomic_store_n(&tables_ready, 1, __ATOMIC_RELEASE);
}

static uint32_t crc32c_tables(uint32_t crc, const unsigned char *p, size_t length) {
    if (!__atomic_load_n(&tables_ready, __ATOMIC_ACQUIRE)) make_tables();
    while (length >= 8) {
        uint32_t low, high;
        memcpy(&low, p, 4);
        memcpy(&high, p + 4, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
        low = __builtin_bswap32(low);
        high = __builtin_bswap32(high);
#endif
        low ^= crc;
        crc = tables[7][low & 0xFF] ^ tables[6][(low >> 8) & 0xFF] ^ tables[5][(low >> 16) & 0xFF] ^
              tables[4][low >> 24] ^ tables[3][high & 0xFF] ^ tables[2][(high >> 8) & 0xFF] ^
              tables[1][(high >> 16) & 0xFF] ^ tables[0][high >> 24];
        p += 8;
        length -= 8;
    }
    while (length--) crc = tables[0][(crc ^ *p++) & 0xFF] ^ (crc >> 8);
    return crc;
}

#if defined(__x86_64__)
/* x^(8n) mod P for shifting a CRC over n zero bytes: multiplication in GF(2) of a 32-bit CRC by a constant,
   reduced with the tables above (`shift_by` bytes of zeros). */
static uint32_t multiply(uint32_t a, uint32_t b) {
    /* a * b mod P, both reflected; bit 31 is x^0. */
    uint32_t product = 0;
    for (uint32_t mask = 0x80000000u; mask; mask >>= 1) {
        if (a & mask) product ^= b;
        b = (b & 1) ? (b >> 1) ^ 0x82F63B78u : b >> 1;
    }
    return product;
}

/* x^(8 * bytes) mod P, reflected: the factor that moves a CRC past `bytes` zero bytes. */
static uint32_t power_for_bytes(size_t bytes) {
    uint32_t result = 0x80000000u;          /* x^0 */
    uint32_t square = 0x00800000u;          /* x^8: one byte */
    while (bytes) {
        if (bytes & 1) result = multiply(result, square);
        square = multiply(square, square);
        bytes >>= 1;
    }
    return result;
}

enum { STREAM = 1360 }; /* bytes per stream per round: three streams of 1360 cover a 4 KiB block in one round */
static uint32_t stream_shift;
static int stream_shift_ready;

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t length) {
    uint64_t c0 = crc;
    while (length > 0 && ((uintptr_t)p & 7) != 0) { c0 = _mm_crc32_u8((uint32_t)c0, *p++); length--; }
    if (length >= 3 * STREAM) {
        if (!__atomic_load_n(&stream_shift_ready, __ATOMIC_ACQUIRE)) {
            stream_shift = power_for_bytes(STREAM);
            __atomic_store_n(&stream_shift_ready, 1, __ATOMIC_RELEASE);
        }
        while (length >= 3 * STREAM) {
            uint64_t c1 = 0, c2 = 0;
            const unsigned char *a = p, *b = p + STREAM, *d = p + 2 * STREAM;
            for (size_t i = 0; i < STREAM; i += 8) {
                uint64_t va, vb, vd;
                memcpy(&va, a + i, 8);
                memcpy(&vb, b + i, 8);
                memcpy(&vd, d + i, 8);
                c0 = _mm_crc32_u64(c0, va);
                c1 = _mm_crc32_u64(c1, vb);
                c2 = _mm_crc32_u64(c2, vd);
            }
            /* crc(A B C) = shift(shift(cA) ^ cB) ^ cC, each stream started from 0. */
            uint32_t combined = multiply((uint32_t)c0, stream_shift) ^ (uint32_t)c1;
            combined = multiply(combined, stream_shift) ^ (uint32_t)c2;
            c0 = combined;
            p += 3 * STREAM;
            length -= 3 * STREAM;
        }
    }
    while (length >= 8) {
        uint64_t value;
        memcpy(&value, p, 8);
        c0 = _mm_crc32_u64(c0, value);
        p += 8;
        length -= 8;
    }
    while (length--) c0 = _mm_crc32_u8((uint32_t)c0, *p++);
    return (uint32_t)c0;
}
#endif

uint32_t chostfile_crc32c_portable(uint32_t crc, const void *bytes, size_t length) {
    return crc32c_tables(crc, bytes, length);
}

uint32_t chostfile_crc32c(uint32_t crc, const void *bytes, size_t length) {
#if defined(__x86_64__)
    static int hardware = -1;
    int known = __atomic_load_n(&hardware, __ATOMIC_RELAXED);
    if (known < 0) {
        __builtin_cpu_init();
        known = __builtin_cpu_supports("sse4.2") ? 1 : 0;
        __atomic_store_n(&hardware, known, __ATOMIC_RELAXED);
    }
    if (known) return crc32c_sse42(crc, bytes, length);
#endif
    return crc32c_tables(crc, bytes, length);
}

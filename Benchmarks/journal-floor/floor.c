/* The least a read-only open can spend on a journal's log: read every block of the journal once and look at
 * every byte of each descriptor, commit and revoke block (those starting with the jbd2 magic), doing nothing
 * else. Built and run by Benchmarks/journal-floor.sh; not part of vhdedit.
 *   floor IMAGE OFFSET LENGTH     the journal's bytes: a contiguous range of IMAGE
 * Prints, in milliseconds, three ways of doing it:
 *   pread, 1 thread      256 KiB reads into one buffer, each checked after its read
 *   pread, 2 threads     the same, each thread half of the journal
 *   mmap, 2 threads      a shared read-only mapping filled by MADV_POPULATE_READ, each thread half of it,
 *                        checked in place, then unmapped                                                   */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

enum { BLOCK = 4096, WINDOW = 256 << 10 };

static int image;
static off_t journal_offset;
static size_t journal_length;
static const uint8_t *mapping;
static volatile uint64_t sink;

static double milliseconds(void) {
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return now.tv_sec * 1e3 + now.tv_nsec / 1e6;
}

/* ORs together every word of each block of `bytes` that starts with the jbd2 magic. */
static uint64_t check(const uint8_t *bytes, size_t length) {
    uint64_t seen = 0;
    for (size_t block = 0; block + BLOCK <= length; block += BLOCK) {
        const uint8_t *b = bytes + block;
        if (!(b[0] == 0xC0 && b[1] == 0x3B && b[2] == 0x39 && b[3] == 0x98)) continue;
        const uint64_t *words = (const uint64_t *)b;
        uint64_t any = 0;
        for (size_t word = 0; word < BLOCK / 8; word++) any |= words[word];
        seen += any;
    }
    return seen;
}

static void *read_half(void *argument) {
    long half = (long)argument;
    size_t from = half < 0 ? 0 : (size_t)half * (journal_length / 2);
    size_t to = half < 0 ? journal_length : from + journal_length / 2;
    uint8_t *buffer = aligned_alloc(4096, WINDOW);
    uint64_t seen = 0;
    for (size_t at = from; at < to; at += WINDOW) {
        size_t length = to - at < WINDOW ? to - at : WINDOW;
        if (pread(image, buffer, length, journal_offset + (off_t)at) != (ssize_t)length) exit(2);
        seen += check(buffer, length);
    }
    free(buffer);
    sink += seen;
    return NULL;
}

static void *populate_half(void *argument) {
    size_t half = (size_t)(long)argument * (journal_length / 2);
    madvise((void *)(mapping + half), journal_length / 2, MADV_POPULATE_READ);
    return NULL;
}

static void *check_half(void *argument) {
    size_t half = (size_t)(long)argument * (journal_length / 2);
    sink += check(mapping + half, journal_length / 2);
    return NULL;
}

static void both(void *(*work)(void *)) {
    pthread_t second;
    pthread_create(&second, NULL, work, (void *)1L);
    work((void *)0L);
    pthread_join(second, NULL);
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: floor IMAGE OFFSET LENGTH\n");
        return 2;
    }
    image = open(argv[1], O_RDONLY);
    if (image < 0) return 2;
    journal_offset = strtoll(argv[2], NULL, 10);
    journal_length = strtoull(argv[3], NULL, 10) / (2 * WINDOW) * (2 * WINDOW);

    double start = milliseconds();
    read_half((void *)-1L);
    double one = milliseconds();
    both(read_half);
    double two = milliseconds();
    mapping = mmap(NULL, journal_length, PROT_READ, MAP_SHARED, image, journal_offset);
    if (mapping == MAP_FAILED) return 2;
    both(populate_half);
    double populated = milliseconds();
    both(check_half);
    double checked = milliseconds();
    munmap((void *)mapping, journal_length);
    double unmapped = milliseconds();
    printf("pread, 1 thread:  %6.2f ms\n", one - start);
    printf("pread, 2 threads: %6.2f ms\n", two - one);
    printf("mmap, 2 threads:  %6.2f ms (fill %.2f, check %.2f, unmap %.2f)\n", unmapped - two, populated - two,
        checked - populated, unmapped - checked);
    return 0;
}

#ifndef CFUZZER_H
#define CFUZZER_H
#include <stddef.h>
#include <stdint.h>

/* libFuzzer's driver (compiler-rt, linked by -sanitize=fuzzer). SwiftPM gives every executable its own
   `<Module>_main` entry point, so each fuzz target calls the driver from there with its callback. */
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

/* CRC-32C (Castagnoli, reflected 0x82F63B78) of `length` bytes, continuing from `previous` (0 to start), for
   targets that reseal checksums. In C, outside the fuzzer's instrumentation: a Swift loop over a 64 KiB region
   table, built without optimisation and with every comparison traced, took most of an execution. */
uint32_t cfuzzer_crc32c(uint32_t previous, const uint8_t *bytes, size_t length);

#endif

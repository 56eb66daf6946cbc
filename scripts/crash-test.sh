#!/usr/bin/env bash
# Kills vhdedit at every mutating system call (pwrite64, write, fsync, ftruncate, rename, unlink, …) of a put
# (raw and dynamic VHD), a generalize (dynamic and fixed VHD) and a convert, and checks each outcome is the
# image before or after, byte for byte, and e2fsck -fn clean. The default test run samples 8 points per run.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"
swift build --build-tests
VHDEDIT_CRASH_POINTS="${VHDEDIT_CRASH_POINTS:-1000}" swift test --skip-build --filter ProcessCrashTests 2>&1 \
  | grep -E 'kill points|✘|Test run'

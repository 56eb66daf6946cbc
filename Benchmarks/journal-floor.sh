#!/usr/bin/env bash
# The least any reader spends on a journal's log, for scale beside Benchmarks/journal-replay.sh's stress row:
# reads a journal's bytes once and looks at every byte of each descriptor, commit and revoke block, nothing
# else, three ways (Benchmarks/journal-floor/floor.c says which). Medians of RUNS runs.
#   Benchmarks/journal-floor.sh                 builds journal-replay.sh's stress image (10,000 one-block
#                                               transactions in a 128 MiB journal, debugfs) and measures it
#   Benchmarks/journal-floor.sh IMAGE           a raw ext4 image whose journal is one extent (4 KiB blocks)
# Not part of CI; needs gcc, e2fsprogs.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
gcc -O2 -pthread -o "$work/floor" "$repo/Benchmarks/journal-floor/floor.c"
image="${1:-}"
if [ -z "$image" ]; then
  mkdir -p "$work/tree/etc"
  echo "bench-vm" >"$work/tree/etc/hostname"
  mkfs.ext4 -q -F -J size=128 -d "$work/tree" "$work/fs.img" 1G
  head -c 4096 /dev/urandom >"$work/block.bin"
  { echo "jo -c"; for i in $(seq 0 9999); do echo "jw -b $((200000 + i)) $work/block.bin"; done; echo "jc"; } \
    >"$work/cmds"
  debugfs -w -f "$work/cmds" "$work/fs.img" >/dev/null 2>&1
  image="$work/fs.img"
fi
first=$(debugfs -R "bmap <8> 0" "$image" 2>/dev/null)
bytes=$(debugfs -R "stat <8>" "$image" 2>/dev/null | sed -n 's/.*Size: \([0-9]*\).*/\1/p' | head -1)
last=$(debugfs -R "bmap <8> $((bytes / 4096 - 1))" "$image" 2>/dev/null)
if [ "$last" != $((first + bytes / 4096 - 1)) ]; then
  echo "the journal of $image is not one run of blocks from $first: not measured" >&2
  exit 1
fi
echo "journal: $((bytes / 1048576)) MiB from filesystem block $first"
for _ in $(seq "$runs"); do "$work/floor" "$image" $((first * 4096)) "$bytes"; done >"$work/out"
for way in "pread, 1 thread" "pread, 2 threads" "mmap, 2 threads"; do
  grep "^$way:" "$work/out" | awk '{print $(NF > 4 ? 4 : NF - 1)}' | sort -n |
    awk -v way="$way" '{a[NR] = $1} END {printf "%-17s median %6.2f ms of %d runs\n", way ":", a[int((NR + 1) / 2)], NR}'
done

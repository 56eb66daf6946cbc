#!/usr/bin/env bash
# Journal replay: vhdedit against e2fsck on the same bytes, and the issue's three targets, each printed with
# "met" or "missed". Builds (with real tools) a 1 GiB ext4 with a 128 MiB journal full of small committed
# transactions (debugfs jo -c / jw / jc: one 4 KiB block each, outside the journal, CRC-32C v3 checksums), then
# times on fresh copies, the tools alternating run by run:
#   - vhdedit recover                          vs  e2fsck -E journal_only -y          (target: no slower)
#   - vhdedit cat on that image                 vs  the same cat on the recovered one  (a stress row: see below)
#   - a writing replay (vhdedit put on the captured image)                          (target: peak RSS <= 32 MiB)
# and, with root and loop devices, captures made by the kernel (a 1 GiB ext4 loop-mounted, written, copied while
# still mounted): a light one (files written, one fsync'ed) and two "fsync storms" (thousands of appends each
# fsync'ed: the kernel commits one small transaction each, the densest log a running system leaves), with the
# default 32 MiB journal and with a 128 MiB one. vhdedit cat on each vs the same cat on its recovered copy is
# the issue's target (a read-only command on a captured 1 GiB image <= 2x the clean image).
# The debugfs-made log above (10,000 one-block transactions filling a 128 MiB journal) is denser than any the
# kernel left in these storms; a read-only command must read and checksum every descriptor and commit block of
# it (80 MB), so it is printed with the cost of only reading the journal's bytes once (dd), for scale.
# Wall times are medians of RUNS runs (milliseconds, from date +%s%N); CPU (user+sys) and peak RSS come from
# /usr/bin/time. Not part of CI; runs unattended (no prompts, temporary files removed on exit).
#   Benchmarks/journal-replay.sh                    RUNS=5, TRANSACTIONS=10000
#   VHDEDIT=PATH Benchmarks/journal-replay.sh       time this binary instead of building one (release)
#   BIG=1 Benchmarks/journal-replay.sh              also a 1 GiB journal (peak RSS for a large journal)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-5}"
transactions="${TRANSACTIONS:-10000}"
work="$(mktemp -d)"
trap 'umount "$work/mnt" 2>/dev/null || true; rm -rf "$work"' EXIT
bin="${VHDEDIT:-}"
if [ -z "$bin" ]; then
  (cd "$repo" && swift build -c release --product vhdedit >&2)
  bin="$(cd "$repo" && swift build -c release --show-bin-path)/vhdedit"
fi
echo "machine: $(nproc) cores, $(uptime | sed 's/.*load average/load average/')"
echo "tools: $("$bin" --version 2>/dev/null | head -1), $(e2fsck -V 2>&1 | head -1)"

mkdir -p "$work/tree/etc"
echo "bench-vm" >"$work/tree/etc/hostname"
echo "motd" >"$work/motd"
mkfs.ext4 -q -F -J size=128 -d "$work/tree" "$work/fs.img" 1G
head -c 4096 /dev/urandom >"$work/block.bin"
{
  echo "jo -c"
  for i in $(seq 0 $((transactions - 1))); do echo "jw -b $((200000 + i)) $work/block.bin"; done
  echo "jc"
} >"$work/cmds"
started=$(date +%s%N)
debugfs -w -f "$work/cmds" "$work/fs.img" >/dev/null 2>&1
echo "fixture: $transactions transactions written by debugfs in $((($(date +%s%N) - started) / 1000000)) ms"
dumpe2fs -h "$work/fs.img" 2>/dev/null | grep -E "needs_recovery|Total journal size|Journal start" | sed 's/^/fixture: /' || true
cp --sparse=always "$work/fs.img" "$work/recovered.img"
e2fsck -E journal_only -y "$work/recovered.img" >/dev/null 2>&1 || true

# median of the numbers in a file, one a line
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
maximum() { sort -n "$1" | tail -1; }
# one run of a case: name, source image (copied fresh to $work/run.img), command... ($work/run.img in it)
run_case() {
  local name="$1" source="$2"; shift 2
  cp --sparse=always "$source" "$work/run.img"
  sync
  local started ended
  started=$(date +%s%N)
  /usr/bin/time -f "%U %S %M" -o "$work/t" "$@" >/dev/null 2>"$work/err" || { echo "$name failed:"; cat "$work/err"; exit 1; }
  ended=$(date +%s%N)
  echo $(((ended - started) / 1000000)) >>"$work/$name.ms"
  read -r user system rss <"$work/t"
  echo "$user $system" | awk '{printf "%d\n", ($1 + $2) * 1000}' >>"$work/$name.cpu"
  echo "$rss" >>"$work/$name.rss"
}
report() {  # name
  printf '%-22s wall %6s ms   cpu %6s ms   peak RSS %6s KiB\n' "$1" "$(median "$work/$1.ms")" \
    "$(median "$work/$1.cpu")" "$(maximum "$work/$1.rss")"
}
verdict() {  # what, condition (awk expression over $1 $2), value1, value2, detail
  if awk -v a="$3" -v b="$4" "BEGIN {exit !($2)}"; then result=met; else result=missed; fi
  printf 'target %-58s %s (%s)\n' "$1:" "$result" "$5"
}

for _ in $(seq "$runs"); do
  run_case recover "$work/fs.img" "$bin" recover "$work/run.img"
  run_case e2fsck "$work/fs.img" e2fsck -E journal_only -y "$work/run.img"
  run_case cat-captured "$work/fs.img" "$bin" cat "$work/run.img" /etc/hostname
  run_case cat-clean "$work/recovered.img" "$bin" cat "$work/run.img" /etc/hostname
  run_case put-captured "$work/fs.img" "$bin" put "$work/run.img" "$work/motd" /etc/motd
done
for name in recover e2fsck cat-captured cat-clean put-captured; do report "$name"; done

# Captures as image farms get them: a 1 GiB ext4 loop-mounted, written, copied while still mounted (root and loop
# devices needed; skipped otherwise). A read-only command on each against its recovered copy.
#   capture NAME MKFS-OPTIONS WORKLOAD    WORKLOAD: light (50 files written, two renamed or removed, one
#                                         fsync'ed) or a number N (N appends to one file, each fsync'ed)
captures=()
mkdir -p "$work/mnt"
capture() {
  local name="$1" options="$2" workload="$3"
  # shellcheck disable=SC2086
  mkfs.ext4 -q -F $options -d "$work/tree" "$work/live.img" 1G
  mount -o loop "$work/live.img" "$work/mnt" 2>/dev/null || return 1
  if [ "$workload" = light ]; then
    for i in $(seq 1 50); do head -c 8192 /dev/urandom >"$work/mnt/file$i"; done
    mv "$work/mnt/file1" "$work/mnt/renamed"; rm "$work/mnt/file2"
    sync "$work/mnt/file50"
  else
    python3 -c 'import os, sys
fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o644)
for i in range(int(sys.argv[2])):
    os.write(fd, b"%08d\n" % i)
    os.fsync(fd)' "$work/mnt/appended.log" "$workload"
  fi
  cp --sparse=always "$work/live.img" "$work/$name.img"
  umount "$work/mnt"
  cp --sparse=always "$work/$name.img" "$work/$name-recovered.img"
  "$bin" recover "$work/$name-recovered.img" 2>/dev/null | sed -n "s/^.*: filesystem: /$name: /p" || true
  for _ in $(seq "$runs"); do
    run_case "cat-$name" "$work/$name.img" "$bin" cat "$work/run.img" /etc/hostname
    run_case "cat-$name-clean" "$work/$name-recovered.img" "$bin" cat "$work/run.img" /etc/hostname
  done
  report "cat-$name"; report "cat-$name-clean"
  captures+=("$name")
}
if capture capture-light "" light; then
  capture storm-32MiB "" 3000
  capture storm-128MiB "-J size=128" 12000
else
  echo "capture: cannot loop-mount here; skipped"
fi

# For scale: reading the debugfs-made log's journal once, 256 KiB at a time, with nothing else done (dd).
journal_first=$(debugfs -R "bmap <8> 0" "$work/fs.img" 2>/dev/null)
for _ in $(seq "$runs"); do
  run_case dd-journal "$work/fs.img" dd if="$work/run.img" of=/dev/null bs=256K iflag=skip_bytes \
    skip=$((journal_first * 4096)) count=512
done
report dd-journal

big=no
if [ "${BIG:-0}" = 1 ]; then
  # A 1 GiB journal holding 2,200 transactions of 100 distinct blocks each (in free blocks between the journal,
  # which mke2fs puts in the middle of this 5 GiB filesystem, and the bitmaps of flex group 2 at block 1 Mi).
  mkfs.ext4 -q -F -J size=1024 -d "$work/tree" "$work/big.img" 5G
  first=$(($(debugfs -R "bmap <8> 262143" "$work/big.img" 2>/dev/null) + 1000))
  head -c $((100 * 4096)) /dev/urandom >"$work/hundred.bin"
  {
    for t in $(seq 0 2199); do
      echo "jo -c"
      echo "jw -b $(seq -s, $((first + t * 100)) $((first + t * 100 + 99))) $work/hundred.bin"
      echo "jc"
    done
  } >"$work/big.cmds"
  debugfs -w -f "$work/big.cmds" "$work/big.img" >/dev/null 2>&1
  dumpe2fs -h "$work/big.img" 2>/dev/null | grep -E "Total journal size|Journal start" | sed 's/^/big fixture: /' || true
  run_case recover-1GiB-journal "$work/big.img" "$bin" recover "$work/run.img"
  run_case put-1GiB-journal "$work/big.img" "$bin" put "$work/run.img" "$work/motd" /etc/motd
  run_case cat-1GiB-journal "$work/big.img" "$bin" cat "$work/run.img" /etc/hostname
  run_case e2fsck-1GiB-journal "$work/big.img" e2fsck -E journal_only -y "$work/run.img"
  for name in recover-1GiB-journal put-1GiB-journal cat-1GiB-journal e2fsck-1GiB-journal; do report "$name"; done
  big=yes
fi

# Same result check: both recoveries give the same blocks (superblock times aside) and e2fsck -fn is clean.
cp --sparse=always "$work/fs.img" "$work/a.img"
"$bin" recover "$work/a.img" >/dev/null
differing=$({ cmp -l "$work/a.img" "$work/recovered.img" || true; } | awk '{o = $1 - 1025; if (o < 0 || o > 1023 || !((o >= 48 && o <= 51) || (o >= 376 && o <= 383) || o == 628 || o >= 1020)) n++} END {print n + 0}')
echo "check: bytes differing from e2fsck's replay outside the superblock's times and checksum: $differing"
if e2fsck -fn "$work/a.img" >/dev/null 2>&1; then echo "check: e2fsck -fn clean after vhdedit recover"; else echo "check: e2fsck -fn NOT clean after vhdedit recover"; fi

echo
verdict "recover <= e2fsck -E journal_only (128 MiB journal, wall)" 'a <= b' "$(median "$work/recover.ms")" \
  "$(median "$work/e2fsck.ms")" "$(median "$work/recover.ms") ms vs $(median "$work/e2fsck.ms") ms; cpu $(median "$work/recover.cpu") vs $(median "$work/e2fsck.cpu") ms"
rss=$(cat "$work"/*.rss | sort -n | tail -1)
verdict "peak RSS <= 32 MiB (every vhdedit run above)" 'a <= b' "$rss" 32768 "largest $rss KiB"
for name in "${captures[@]}"; do
  verdict "read-only cat, kernel capture $name <= 2x clean (wall)" 'a <= 2 * b' \
    "$(median "$work/cat-$name.ms")" "$(median "$work/cat-$name-clean.ms")" \
    "$(median "$work/cat-$name.ms") ms vs $(median "$work/cat-$name-clean.ms") ms"
done
if [ "${#captures[@]}" = 0 ]; then echo "target read-only cat on kernel captures: not measured (no loop devices)"; fi
awk -v a="$(median "$work/cat-captured.ms")" -v b="$(median "$work/cat-clean.ms")" -v d="$(median "$work/dd-journal.ms")" \
  'BEGIN {printf "stress read-only cat, debugfs-made 128 MiB log of 10,000 transactions: %d ms vs %d ms clean (%.1fx); dd of the journal alone: %d ms\n", a, b, a / b, d}'
if [ "$big" = no ]; then echo "(BIG=1 adds a 1 GiB journal to the RSS target)"; fi

#!/usr/bin/env bash
# Journal replay: vhdedit against e2fsck on the same bytes. Builds (with real tools) a 1 GiB ext4 with a
# 128 MiB journal full of small committed transactions (debugfs jo -c / jw / jc: one 4 KiB block each, outside the journal, CRC-32C
# v3 checksums), then times, on fresh copies:
#   - vhdedit recover            vs  e2fsck -E journal_only -y
#   - vhdedit cat (replay in memory) on the captured image  vs  the same cat on the recovered image
# and reports medians and peak RSS (/usr/bin/time). Not part of CI.
#   Benchmarks/journal-replay.sh                    RUNS=3, TRANSACTIONS=10000
#   VHDEDIT=PATH Benchmarks/journal-replay.sh       time this binary instead of building one (release)
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
runs="${RUNS:-3}"
transactions="${TRANSACTIONS:-10000}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
bin="${VHDEDIT:-}"
if [ -z "$bin" ]; then
  (cd "$repo" && swift build -c release --product vhdedit >&2)
  bin="$(cd "$repo" && swift build -c release --show-bin-path)/vhdedit"
fi

mkdir -p "$work/tree/etc"
echo "bench-vm" >"$work/tree/etc/hostname"
mkfs.ext4 -q -F -J size=128 -d "$work/tree" "$work/fs.img" 1G
head -c 4096 /dev/urandom >"$work/block.bin"
{
  echo "jo -c"
  for i in $(seq 0 $((transactions - 1))); do echo "jw -b $((200000 + i)) $work/block.bin"; done
  echo "jc"
} >"$work/cmds"
started=$(date +%s.%N)
debugfs -w -f "$work/cmds" "$work/fs.img" >/dev/null 2>&1
echo "fixture: $transactions transactions written by debugfs in $(echo "$(date +%s.%N) - $started" | bc) s"
dumpe2fs -h "$work/fs.img" 2>/dev/null | grep -E "needs_recovery|Journal size|Journal start" | sed 's/^/fixture: /' || true

# median of the first field of each line
median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
measure() {  # name, source image, as-is|recovered, command... (on a fresh copy of the source at $work/run.img)
  local name="$1" source="$2" state="$3"; shift 3
  : >"$work/$name.times"; : >"$work/$name.rss"
  for _ in $(seq "$runs"); do
    cp --sparse=always "$source" "$work/run.img"
    if [ "$state" = recovered ]; then "$bin" recover "$work/run.img" >/dev/null; fi
    sync
    /usr/bin/time -f "%e %M" -o "$work/t" "$@" >/dev/null 2>&1 || true
    read -r seconds rss <"$work/t"
    echo "$seconds" >>"$work/$name.times"; echo "$rss" >>"$work/$name.rss"
  done
  printf '%-22s %8s s   peak RSS %8s KiB\n' "$name" "$(median <"$work/$name.times")" "$(median <"$work/$name.rss")"
}
measure vhdedit-recover "$work/fs.img" as-is "$bin" recover "$work/run.img"
measure e2fsck-journal_only "$work/fs.img" as-is e2fsck -E journal_only -y "$work/run.img"
measure cat-captured "$work/fs.img" as-is "$bin" cat "$work/run.img" /etc/hostname
measure cat-clean "$work/fs.img" recovered "$bin" cat "$work/run.img" /etc/hostname
# A capture as image farms get them: a 1 GiB ext4 loop-mounted, a few files written and one fsync'ed, copied while
# mounted (root and loop devices needed; skipped otherwise). A read-only command on it against the recovered copy.
mkdir -p "$work/mnt"
mkfs.ext4 -q -F -d "$work/tree" "$work/live.img" 1G
if mount -o loop "$work/live.img" "$work/mnt" 2>/dev/null; then
  for i in $(seq 1 50); do head -c 8192 /dev/urandom >"$work/mnt/file$i"; done
  mv "$work/mnt/file1" "$work/mnt/renamed"; rm "$work/mnt/file2"
  sync "$work/mnt/file50"
  cp --sparse=always "$work/live.img" "$work/captured.img"
  umount "$work/mnt"
  cp --sparse=always "$work/captured.img" "$work/run.img"
  "$bin" recover "$work/run.img" 2>/dev/null | sed -n 's/^.*: filesystem: /capture: /p' || true
  measure cat-captured-1GiB "$work/captured.img" as-is "$bin" cat "$work/run.img" /etc/hostname
  measure cat-clean-1GiB "$work/captured.img" recovered "$bin" cat "$work/run.img" /etc/hostname
else
  echo "capture: cannot loop-mount here; skipped"
fi

# Same result check: both recoveries give the same blocks (superblock times aside) and e2fsck -fn is clean.
cp --sparse=always "$work/fs.img" "$work/a.img"; cp --sparse=always "$work/fs.img" "$work/b.img"
"$bin" recover "$work/a.img" >/dev/null
e2fsck -E journal_only -y "$work/b.img" >/dev/null 2>&1 || true
differing=$({ cmp -l "$work/a.img" "$work/b.img" || true; } | awk '{o = $1 - 1025; if (o < 0 || o > 1023 || !((o >= 48 && o <= 51) || (o >= 376 && o <= 383) || o == 628 || o >= 1020)) n++} END {print n + 0}')
echo "check: bytes differing outside the superblock's times and checksum: $differing"
e2fsck -fn "$work/a.img" >/dev/null 2>&1 && echo "check: e2fsck -fn clean after vhdedit recover"

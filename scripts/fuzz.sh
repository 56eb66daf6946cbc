#!/usr/bin/env bash
# Builds the libFuzzer targets of Tests/Fuzz with the fuzzer and address sanitizers and runs each for a fixed
# time with a fixed seed. Seed corpora are made at run time: tiny images from real tools (qemu-img, sfdisk,
# sgdisk, mkfs) and real files; nothing large is committed. Crashes are kept in .build-fuzz/crashes/<target>.
#   scripts/fuzz.sh            60 s per target
#   scripts/fuzz.sh --ci       10 s per target (the whole run stays well under 4 minutes)
#   scripts/fuzz.sh TARGET...  only these targets
# libFuzzer runs with -seed=1, so a run's mutation sequence starts the same each time. A crash, a precondition
# failure (targets check idempotence of edits), a leak, a timeout or an out-of-memory fails the run (exit 1).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"
seconds=60
targets=()

for arg in "$@"; do
  case "$arg" in
    --ci) seconds=10 ;;
    *) targets+=("$arg"); ;;
  esac
done
fuzz_dir="Tests/Fuzz"
scratch="$fuzz_dir/.build-fuzz"
if [ ${#targets[@]} -eq 0 ]; then
  mapfile -t targets < <(cd "$fuzz_dir/Sources" && ls -d Fuzz?* | grep -v FuzzSupport)
fi
# Seeds, corpora and logs live in memory where /dev/shm is a writable tmpfs: libFuzzer writes every new input as a
# file, and on a disk filesystem creating those hundreds of files cost FuzzGuestConfig about 14 % of its CPU time.
work="$( { [ -w /dev/shm ] && mktemp -d -p /dev/shm vhdedit-fuzz.XXXXXX 2>/dev/null; } || mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Swift's own crash backtracer reads the stack under ASan and reports a bogus overflow; libFuzzer reports instead.
export SWIFT_BACKTRACE=enable=no
# One build of every target (incremental after the first); a failed build fails the run, with its errors.
started=$(date +%s)
# Optimized (-c release keeps every precondition and bounds check; the project has no assert()): the same
# checks per execution at two to three times the executions per second of a debug build.
if ! (cd "$fuzz_dir" && swift build -c release -Xswiftc -sanitize=fuzzer,address --scratch-path .build-fuzz) \
    >"$work/build.log" 2>&1; then
  grep -E 'error:' "$work/build.log" | head -20 || tail -20 "$work/build.log"
  echo "fuzz: build FAILED"
  exit 1
fi
echo "fuzz: sanitizer build $(( $(date +%s) - started )) s"
bin="$scratch/release"

# Seeds from real tools, written into $work/seeds/<target>/.
make_seeds() {
  local target="$1" out="$work/seeds/$1"
  mkdir -p "$out"
  case "$target" in
    FuzzVHD)
      for kind in dynamic fixed; do
        qemu-img create -q -f vpc -o subformat=$kind "$work/t.vhd" 1M
        if [ $kind = fixed ]; then tail -c 512 "$work/t.vhd" >"$out/$kind.vhd"; else cp "$work/t.vhd" "$out/$kind.vhd"; fi
        rm -f "$work/t.vhd"
      done
      qemu-img create -q -f vpc -o subformat=dynamic "$work/parent.vhd" 1M
      qemu-img create -q -f vpc -o subformat=dynamic,force_size=on "$out/force.vhd" 3000K ;;
    FuzzVHDX)
      # A qemu VHDX (with a log entry from an allocating write) in FuzzVHDX's chunk format; flags 0 and 15.
      qemu-img create -q -f vhdx -o block_size=1M,log_size=1M "$work/t.vhdx" 8M
      qemu-io -f vhdx -c 'write -P 0x5a 512k 1M' "$work/t.vhdx" >/dev/null
      python3 - "$work/t.vhdx" "$out" <<'PY'
import struct, sys
image = open(sys.argv[1], 'rb').read()
pieces = [(0, 0, image[64 << 10:(64 << 10) + 80]), (1, 0, image[192 << 10:(192 << 10) + 96]),
          (2, 0, image[1 << 20:(1 << 20) + 8192]), (3, 0, image[2 << 20:(2 << 20) + 64]),
          (4, 0, image[3 << 20:(3 << 20) + 256]), (4, 4096, image[(3 << 20) + (64 << 10):(3 << 20) + (64 << 10) + 64])]
body = b''.join(struct.pack('<BHH', kind, offset, len(data)) + data for kind, offset, data in pieces)
for flags in (0, 15):
    open('%s/qemu-%d' % (sys.argv[2], flags), 'wb').write(bytes([flags]) + body)
PY
      rm -f "$work/t.vhdx" ;;
    FuzzPartitionTable)
      truncate -s 2M "$work/mbr.img"
      printf 'label: dos\n,512K,L\n,,E\n,256K,L\n,,S\n' | sfdisk -q "$work/mbr.img" >/dev/null
      head -c 65536 "$work/mbr.img" >"$out/mbr"; dd if="$work/mbr.img" of="$out/ebr" bs=512 skip=1024 count=8 status=none
      truncate -s 2M "$work/gpt.img"
      sgdisk -q -n1:2048:+256K -t1:8300 -c1:root -n2:0:+256K -t2:ef00 "$work/gpt.img" >/dev/null
      head -c 24576 "$work/gpt.img" >"$out/gpt" ;;
    FuzzQcow2)
      # Small clusters keep whole images under max_len: plain, v2, extended L2, compressed zlib/zstd.
      qemu-img create -q -f raw "$work/q.raw" 64K
      qemu-io -f raw -c 'write -P 0x5a 0 8K' -c 'write -P 0x33 40K 4K' "$work/q.raw" >/dev/null
      for o in cluster_size=512 cluster_size=1024,compat=0.10 cluster_size=16384,extended_l2=on; do
        qemu-img convert -O qcow2 -o "$o" "$work/q.raw" "$out/${o//[=,]/-}.qcow2"
      done
      for t in zlib zstd; do qemu-img convert -c -O qcow2 -o compression_type=$t,cluster_size=512 "$work/q.raw" "$out/c-$t.qcow2"; done
      rm -f "$work/q.raw" ;;
    FuzzGuestConfig)
      for f in /etc/passwd /etc/group /etc/os-release /etc/fstab /etc/sudoers /etc/ssh/sshd_config /etc/default/grub; do
        [ -r "$f" ] && head -c 4096 "$f" >"$out/$(basename "$f")" || true
      done
      # A cloud-config (selector byte 'c': the cloud-config reader) in Azure's guides' resource-disk form.
      printf 'c#cloud-config\ndisk_setup:\n  ephemeral0:\n    layout: [66, [33, 82]]\nfs_setup:\n  - device: ephemeral0.2\n    filesystem: swap\nmounts:\n  - ["ephemeral0.2", "none", "swap", "sw", "0", "0"]\nswap: {size: 0}\n\n' >"$out/cloud.cfg" ;;
    FuzzExt4)
      mkdir -p "$work/tree/etc" "$work/tree/dir/deep"
      printf 'fuzz\n' >"$work/tree/etc/hostname"; printf 'root:x:0:0::/root:/bin/sh\n' >"$work/tree/etc/passwd"
      printf 'deep\n' >"$work/tree/dir/deep/file"; ln -sf /etc/passwd "$work/tree/link"
      head -c 3000 /dev/zero | tr '\0' 'x' >"$work/tree/dir/big"
      # 64 KiB filesystems cut after their last non-zero byte (the target zero-fills them back to 64 KiB).
      for kind in ext2 ext4; do
        rm -f "$work/$kind.img"; truncate -s 64K "$work/$kind.img"
        E2FSPROGS_FAKE_TIME=1700000000 mkfs.$kind -q -F -b 1024 -N 24 -O ^has_journal,^resize_inode -d "$work/tree" \
          "$work/$kind.img" >/dev/null
        python3 -c 'import sys; d=open(sys.argv[1],"rb").read().rstrip(b"\0"); open(sys.argv[2],"wb").write(d)' \
          "$work/$kind.img" "$out/$kind"
      done ;;
  esac
  # Targets may also write seeds of their own format (VHDEDIT_FUZZ_SEEDS).
  VHDEDIT_FUZZ_SEEDS="$out" "$bin/$target" >/dev/null 2>&1 || true
}

# Sets children_ms to the CPU milliseconds (user + system) of this shell's finished children, from the
# `times` builtin run in this shell (a command substitution would be a subshell with none).
children_cpu_ms() {
  times >"$work/times"
  children_ms=$(tail -1 "$work/times" | awk '{ n = 0; for (i = 1; i <= 2; i++) { split($i, p, /[ms]/); n += p[1] * 60000 + p[2] * 1000 } print int(n) }')
}

status=0
for target in "${targets[@]}"; do
  make_seeds "$target"
  corpus="$work/corpus/$target"
  crashes="$scratch/crashes/$target"
  mkdir -p "$corpus" "$crashes"
  printf 'fuzz: %-20s %3ss ' "$target" "$seconds"
  max_len=8192; case "$target" in FuzzVHD|FuzzVHDX|FuzzQcow2) max_len=65536 ;; FuzzExt4) max_len=32768 ;; esac
  children_cpu_ms; cpu_before=$children_ms
  if "$bin/$target" -seed=1 -max_total_time="$seconds" -max_len=$max_len -rss_limit_mb=2048 -timeout=10 \
      -artifact_prefix="$crashes/" -print_final_stats=1 "$corpus" "$work/seeds/$target" >"$work/$target.log" 2>&1; then
    runs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/$target.log" | grep -Eo '[0-9]+$' || echo '?')
    cov=$(grep -Eo 'cov: [0-9]+' "$work/$target.log" | tail -1 || true)
    rate=$(grep -Eo 'stat::average_exec_per_sec: *[0-9]+' "$work/$target.log" | grep -Eo '[0-9]+$' || echo '?')
    # Per CPU second too: on a shared machine the wall-clock rate says more about the load than the target.
    children_cpu_ms; cpu_ms=$(( children_ms - cpu_before ))
    per_cpu=$( [ "$runs" != '?' ] && [ "$cpu_ms" -gt 0 ] && echo $(( runs * 1000 / cpu_ms )) || echo '?')
    echo "ok: $runs executions ($rate/s; $per_cpu per CPU second), $cov, 0 crashes"
  else
    status=1
    echo "FAILED (input kept in $crashes)"
    grep -E 'ERROR|SUMMARY|Fatal|failed|Test unit written' "$work/$target.log" | head -5
  fi
done
exit $status

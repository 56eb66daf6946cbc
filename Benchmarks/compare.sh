#!/usr/bin/env bash
# compare.sh: vhdedit side by side with the tools people use today, timed in one run on this machine.
#
# Usage (from anywhere; needs root or sudo only to apt-get install a missing tool):
#   Benchmarks/compare.sh
#   RUNS=3 SIZE_MIB=1024 OUT=/tmp/compare.md Benchmarks/compare.sh
#
# Environment:
#   RUNS=5          timed runs of every command (after one untimed warm-up); medians are reported
#   SIZE_MIB=1024   size of the convert image (a multiple of 8)
#   OUT=FILE        also write the results (machine, table, targets) as Markdown to FILE
#   ONLY=LIST       comma-separated groups to run: convert,cat,generalize,batch,vhdx,formats (default: all)
#                   (lvm and resize run only when named: ONLY=lvm; LVM_RUNS=15 timed runs in the lvm group)
#   BATCH_N=100     images in the batch group (copies of one small dynamic VHD)
#   BATCH_JOBS=2    --jobs of the timed batch run
#   VHDEDIT=PATH    time this vhdedit binary instead of building one (`swift build -c release` in the repo)
#   BASELINE=PATH   also time this (older) vhdedit binary's durable convert in the same run, for before/after rows
#   SYSPREP=0       skip virt-sysprep even where it is installed; SYSPREP_TIMEOUT=300 bounds its one run (s)
#   TMPDIR=DIR      where the temporary fixtures go (everything generated is removed at exit)
#
# What is compared (A/B alternating in every run, so drift and cache warmth hit both sides alike):
#   convert     `vhdedit convert` vs `qemu-img convert`: dynamic VHD -> raw, raw -> fixed VHD, raw -> dynamic VHD,
#               qcow2 (64 KiB clusters, made by qemu-img from the same image) -> fixed VHD,
#               on a SIZE_MIB image of mixed data (per 8 MiB: 3 MiB random, 1 MiB text, 1 MiB written zeros,
#               3 MiB hole). Like for like: vhdedit's default (durable: fsync, rename, folder fsync) against
#               `qemu-img convert -t writeback` (flushed at close), and `vhdedit convert --no-sync` against
#               qemu-img's default (cache=unsafe: nothing flushed); the durable default against qemu-img's
#               default is shown too. And the page-cache copy rate (the faster of `dd bs=4M conv=sparse` and
#               `cp --sparse=always` of the same cached file, no flush: the bytes a converter moves)
#   cat         `vhdedit cat` of a small file and of a 1 MiB file on a dynamic VHD vs `debugfs -R 'cat …'` on the
#               raw partition already extracted from it (extraction not timed)
#   generalize  `vhdedit generalize` on a 1 GiB dynamic VHD vs the DIY pipeline (qemu-img convert to raw +
#               `debugfs -w` script making the same changes + qemu-img convert back) and vs virt-sysprep when
#               libguestfs is installed (it is never installed by this script); and vhdedit generalize on the
#               same guest in a 1 TiB (virtual) dynamic VHD
#   vhdx        `vhdedit convert` of a dynamic VHDX (qemu-img convert -O vhdx of the convert group's mixed-data raw)
#               to a fixed VHD (--round-to-mib) vs `qemu-img convert -f vhdx -O vpc -o subformat=fixed`, durable
#               vs `-t writeback` and --no-sync vs qemu-img's default; our output checked with qemu-img compare
#   batch       `vhdedit generalize --jobs BATCH_JOBS --json IMG...` over BATCH_N fresh copies (cp --sparse=always,
#               made untimed before every run) of one 64 MiB dynamic VHD holding the same guest, beside the same
#               batch with --jobs 1; afterwards the JSON lines must report BATCH_N successes and every image must
#               be e2fsck -fn clean with its host keys gone
# Every result of ours is checked once after timing (qemu-img compare, cmp, debugfs + e2fsck -fn): a fast wrong
# answer is reported as WRONG, never as a pass.
#
# Targets (printed PASS/MISS):
#   convert ≥ 1.0× qemu-img's throughput (each like-for-like pair) and ≥ 70 % of the page-cache copy rate (the
#   unflushed --no-sync convert; the durable one's share is printed for information); cat ≤ 1.5× debugfs-on-raw;
#   generalize ≤ 30 ms and flat in image size (1 TiB ≤ 1.25× the 1 GiB time); a batch of 100 images ≤ 5 s with
#   --jobs 2 (on a 2-core machine); peak RSS ≤ 32 MiB for every vhdedit command. Times are wall clock
#   (date +%s%N around the process), peak RSS is /usr/bin/time's %M; the formats group also prints the median CPU
#   time (user + system, /usr/bin/time's %U + %S) of each convert, which a busy machine does not inflate.
set -euo pipefail
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(dirname "$here")
fixtures="$here/fixtures.sh"
RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-1024}
OUT=${OUT:-}
ONLY=${ONLY:-convert,cat,generalize,batch,vhdx,formats}
BATCH_N=${BATCH_N:-100}
BATCH_JOBS=${BATCH_JOBS:-2}
SYSPREP_TIMEOUT=${SYSPREP_TIMEOUT:-300}
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { echo "compare.sh: RUNS must be a positive integer" >&2; exit 2; }
[[ "$BATCH_N" =~ ^[1-9][0-9]*$ ]] && [[ "$BATCH_JOBS" =~ ^[1-9][0-9]*$ ]] ||
  { echo "compare.sh: BATCH_N and BATCH_JOBS must be positive integers" >&2; exit 2; }
[[ "$SIZE_MIB" =~ ^[1-9][0-9]*$ ]] && [ $((SIZE_MIB % 8)) -eq 0 ] ||
  { echo "compare.sh: SIZE_MIB must be a positive multiple of 8" >&2; exit 2; }

log() { printf 'compare.sh: %s\n' "$*" >&2; }
wants() { [[ ",$ONLY," == *",$1,"* ]]; }

# --- tools -----------------------------------------------------------------------------------------------------
install_missing() {
  local missing=() pair
  for pair in /usr/bin/time:time qemu-img:qemu-utils debugfs:e2fsprogs mkfs.ext4:e2fsprogs e2fsck:e2fsprogs \
    sfdisk:fdisk; do
    command -v "${pair%%:*}" >/dev/null 2>&1 || missing+=("${pair##*:}")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  DEBIAN_FRONTEND=noninteractive $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
}
install_missing

if [ -n "${VHDEDIT:-}" ]; then
  bin=$VHDEDIT
else
  log "building vhdedit (release)"
  (cd "$repo" && swift build -c release --product vhdedit >&2)
  bin="$(cd "$repo" && swift build -c release --show-bin-path)/vhdedit"
fi
[ -x "$bin" ] || { log "no vhdedit binary at $bin"; exit 2; }
has_command() { "$bin" "$1" --help >/dev/null 2>&1; }

load_start=$(cut -d' ' -f1-3 /proc/loadavg)
work=$(mktemp -d "${TMPDIR:-/tmp}/vhdedit-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT

# --- timing ----------------------------------------------------------------------------------------------------
declare -A TIMES RSS FAILED WRONG
# CPU[KEY]: the CPU times (user + system, ms) of KEY's runs, as TIMES: on a busy machine they tell the work done.
declare -A CPU
WARMUP=""
# timed KEY CMD...: one run of CMD; its wall time (µs) is appended to TIMES[KEY] and its peak RSS (KiB) kept as the
# maximum in RSS[KEY] (nothing is recorded during the warm-up). Standard output goes to $work/KEY.out (for the
# checks), standard error to $work/KEY.err.
timed() {
  local key=$1 t0 t1 rss
  shift
  t0=$(date +%s%N)
  if ! /usr/bin/time -f '%M %U %S' -o "$work/$key.rss" "$@" >"$work/$key.out" 2>"$work/$key.err"; then
    FAILED[$key]=1
    log "$key failed: $*"
    tail -n 5 "$work/$key.err" | sed 's/^/    /' >&2
  fi
  t1=$(date +%s%N)
  [ -n "$WARMUP" ] && return 0
  TIMES[$key]+="$(((t1 - t0) / 1000)) "
  CPU[$key]+="$(tail -n 1 "$work/$key.rss" | awk '{ printf "%d", 1000 * ($2 + $3) }') "
  rss=$(tail -n 1 "$work/$key.rss" | cut -d' ' -f1)
  [[ "$rss" =~ ^[0-9]+$ ]] || rss=0
  if [ "$rss" -gt "${RSS[$key]:-0}" ]; then RSS[$key]=$rss; fi
  return 0
}
median() {
  printf '%s\n' $1 | sort -n |
    awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2) }'
}
# ab RUN F1 F2 [F3...]: runs the functions in turn (each prepares untimed, then calls `timed`), starting with a
# different one in each run (F1 F2 F3, F2 F3 F1, ...) so that no side always goes first.
ab() {
  local run=$1 i n
  shift
  n=$#
  local fns=("$@")
  for ((i = 0; i < n; i++)); do "${fns[$(((run + i) % n))]}"; done
}
# rounds FUNCTION: FUNCTION 0 as an unrecorded warm-up, then FUNCTION 1..RUNS.
rounds() {
  local run
  WARMUP=1
  "$1" 0
  WARMUP=""
  for ((run = 1; run <= RUNS; run++)); do "$1" "$run"; done
}

ms() { awk -v us="$1" 'BEGIN { if (us < 10000) printf "%.1f ms", us / 1000; else if (us < 10000000) printf "%.0f ms", us / 1000; else printf "%.1f s", us / 1e6 }'; }
mib() { awk -v kib="$1" 'BEGIN { printf "%.1f MiB", kib / 1024 }'; }
rate() { awk -v us="$1" -v mib="$SIZE_MIB" 'BEGIN { printf "%.0f MiB/s", mib / (us / 1e6) }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f×", a / b }'; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a <= b) }'; }

ROWS=()
TARGETS=()
rss_targets=()
# row TITLE KEY_OURS KEY_THEIRS THEIR_NAME [throughput]: one line of the table (medians, ratio, peak RSS).
row() {
  local title=$1 ours=$2 theirs=$3 name=$4 tp=${5:-} mo mt a b note=""
  mo=$(median "${TIMES[$ours]:-0}")
  [ -n "${FAILED[$ours]:-}" ] && note=" **FAILED**"
  [ -n "${WRONG[$ours]:-}" ] && note=" **WRONG OUTPUT**"
  mt=$(median "${TIMES[$theirs]:-0}")
  a="$(ms "$mo")"
  b="$(ms "$mt")"
  if [ -n "$tp" ]; then a="$a ($(rate "$mo"))"; b="$b ($(rate "$mt"))"; fi
  ROWS+=("| $title$note | $a | $name: $b | $(ratio "$mo" "$mt") | $(mib "${RSS[$ours]:-0}") | $(mib "${RSS[$theirs]:-0}") |")
}
# check TEXT CONDITION...: a PASS line when CONDITION succeeds, a MISS line otherwise.
check() {
  local text=$1
  shift
  if "$@"; then TARGETS+=("- PASS: $text"); else TARGETS+=("- **MISS**: $text"); fi
}
# broken KEY...: whether any of the keys failed or gave a wrong result.
broken() {
  local key
  for key in "$@"; do if [ -n "${WRONG[$key]:-}${FAILED[$key]:-}" ]; then return 0; fi; done
  return 1
}
unavailable() { log "vhdedit has no $1 command yet: $1 skipped"; ROWS+=("| $1 | not in this build | — | — | — | — |"); }
# throughput_targets TITLE OURS QEMU_DURABLE OURS_NOSYNC QEMU: the like-for-like convert targets (durable against
# qemu-img -t writeback, --no-sync against qemu-img's default), each at least qemu-img's throughput.
throughput_targets() {
  local title=$1 pair ours theirs what mo mt
  for pair in "$2:$3:durable vs qemu-img -t writeback" "$4:$5:--no-sync vs qemu-img default"; do
    IFS=: read -r ours theirs what <<<"$pair"
    mo=$(median "${TIMES[$ours]}")
    mt=$(median "${TIMES[$theirs]}")
    if broken "$ours"; then
      TARGETS+=("- **MISS**: convert $title ($what): the command failed or its output was wrong")
    else
      check "convert $title ($what): $(awk -v a="$mo" -v b="$mt" 'BEGIN { printf "%.2f", b / a }')× qemu-img's throughput (target ≥ 1.0×)" \
        le "$mo" "$mt"
    fi
  done
}

# --- convert ---------------------------------------------------------------------------------------------------
clean() { rm -f "$work"/dst.* "$work/copy.raw"; sync; }
ours_d2r() { clean; timed ours-d2r "$bin" convert "$work/src-dynamic.vhd" "$work/dst.raw" --to raw; }
qemu_d2r() { clean; timed qemu-d2r qemu-img convert -f vpc -O raw "$work/src-dynamic.vhd" "$work/dst.raw"; }
ours_r2f() { clean; timed ours-r2f "$bin" convert "$work/src.raw" "$work/dst.vhd" --to fixed; }
qemu_r2f() {
  clean
  timed qemu-r2f qemu-img convert -f raw -O vpc -o subformat=fixed,force_size=on "$work/src.raw" "$work/dst.vhd"
}
ours_r2d() { clean; timed ours-r2d "$bin" convert "$work/src.raw" "$work/dst.vhd" --to dynamic; }
ours_d2r_nosync() { clean; timed ours-d2r-nosync "$bin" convert "$work/src-dynamic.vhd" "$work/dst.raw" --to raw --no-sync; }
ours_r2f_nosync() { clean; timed ours-r2f-nosync "$bin" convert "$work/src.raw" "$work/dst.vhd" --to fixed --no-sync; }
ours_r2d_nosync() { clean; timed ours-r2d-nosync "$bin" convert "$work/src.raw" "$work/dst.vhd" --to dynamic --no-sync; }
base_d2r() { clean; timed base-d2r "$BASELINE" convert "$work/src-dynamic.vhd" "$work/dst.raw" --to raw; }
base_r2f() { clean; timed base-r2f "$BASELINE" convert "$work/src.raw" "$work/dst.vhd" --to fixed; }
base_r2d() { clean; timed base-r2d "$BASELINE" convert "$work/src.raw" "$work/dst.vhd" --to dynamic; }
qemu_r2d() {
  clean
  timed qemu-r2d qemu-img convert -f raw -O vpc -o subformat=dynamic,force_size=on "$work/src.raw" "$work/dst.vhd"
}
# qemu-img convert flushes nothing by default (its output cache mode is "unsafe"): the data is still dirty in the
# page cache when it exits. vhdedit's output is durable (fsync, rename, fsync of the folder). `-t writeback`
# makes qemu-img flush at close: the like-for-like reference, shown beside the default.
qemu_d2r_durable() {
  clean
  timed qemu-d2r-durable qemu-img convert -t writeback -f vpc -O raw "$work/src-dynamic.vhd" "$work/dst.raw"
}
qemu_r2f_durable() {
  clean
  timed qemu-r2f-durable qemu-img convert -t writeback -f raw -O vpc -o subformat=fixed,force_size=on \
    "$work/src.raw" "$work/dst.vhd"
}
qemu_r2d_durable() {
  clean
  timed qemu-r2d-durable qemu-img convert -t writeback -f raw -O vpc -o subformat=dynamic,force_size=on \
    "$work/src.raw" "$work/dst.vhd"
}
# qcow2 (qemu-img convert -O qcow2 of the same mixed image, 64 KiB clusters) -> fixed VHD.
ours_q2f() { clean; timed ours-q2f "$bin" convert "$work/src.qcow2" "$work/dst.vhd" --to fixed; }
ours_q2f_nosync() { clean; timed ours-q2f-nosync "$bin" convert "$work/src.qcow2" "$work/dst.vhd" --to fixed --no-sync; }
qemu_q2f() {
  clean
  timed qemu-q2f qemu-img convert -f qcow2 -O vpc -o subformat=fixed,force_size=on "$work/src.qcow2" "$work/dst.vhd"
}
qemu_q2f_durable() {
  clean
  timed qemu-q2f-durable qemu-img convert -t writeback -f qcow2 -O vpc -o subformat=fixed,force_size=on \
    "$work/src.qcow2" "$work/dst.vhd"
}
# The page-cache copy rate: copies of the same cached source with no flush, by dd skipping all-zero 4 MiB blocks
# (conv=sparse, as the converters skip zero runs) and by cp --sparse=always (which also skips the source's holes,
# as the converters do); the faster of the two is the rate the target compares with.
page_cache_copy() {
  clean
  timed pagecache dd if="$work/src.raw" of="$work/copy.raw" bs=4M conv=sparse status=none
  clean
  timed pagecache-cp cp --sparse=always "$work/src.raw" "$work/copy.raw"
}
BASELINE=${BASELINE:-}
convert_round() {
  local k extra
  for k in d2r r2f r2d q2f; do
    extra=""
    if [ -n "$BASELINE" ] && [ "$k" != q2f ]; then extra="base_$k"; fi
    ab "$1" "ours_$k" "ours_${k}_nosync" "qemu_$k" "qemu_${k}_durable" $extra
  done
  page_cache_copy
}

convert_group() {
  has_command convert || { unavailable convert; return; }
  log "building a ${SIZE_MIB} MiB mixed-data image"
  bash "$fixtures" mixed-raw "$work/src.raw" "$SIZE_MIB"
  bash "$fixtures" vhd "$work/src.raw" "$work/src-dynamic.vhd" dynamic
  qemu-img convert -f raw -O qcow2 "$work/src.raw" "$work/src.qcow2"
  cat "$work/src.raw" "$work/src-dynamic.vhd" "$work/src.qcow2" >/dev/null # the sources in the page cache
  log "convert: warm-up + $RUNS runs"
  rounds convert_round
  # Our outputs, checked once against the source by qemu-img (outside the timing).
  local spec to key source
  local format
  local sync
  for spec in raw:d2r:src-dynamic.vhd:raw fixed:r2f:src.raw:vpc dynamic:r2d:src.raw:vpc fixed:q2f:src.qcow2:vpc; do
    IFS=: read -r to key source format <<<"$spec"
    for sync in "" --no-sync; do
      rm -f "$work/check.out"
      if ! "$bin" convert "$work/$source" "$work/check.out" --to "$to" $sync >/dev/null 2>&1 ||
        ! qemu-img compare -q -f raw -F "$format" "$work/src.raw" "$work/check.out" >/dev/null 2>&1; then
        WRONG[ours-$key${sync:+-nosync}]=1
        log "convert --to $to $sync: convert failed or qemu-img compare found its output differs from the source"
      fi
    done
    rm -f "$work/check.out"
  done
  clean
  local pc mo mt k title
  local pc_dd pc_cp
  pc_dd=$(median "${TIMES[pagecache]}")
  pc_cp=$(median "${TIMES[pagecache-cp]}")
  pc=$pc_dd
  if [ "$pc_cp" -lt "$pc" ]; then pc=$pc_cp; fi
  ROWS+=("| page-cache copy, ${SIZE_MIB} MiB | — | dd bs=4M conv=sparse: $(ms "$pc_dd") ($(rate "$pc_dd")) | — | — | $(mib "${RSS[pagecache]}") |")
  ROWS+=("| page-cache copy, ${SIZE_MIB} MiB | — | cp --sparse=always: $(ms "$pc_cp") ($(rate "$pc_cp")) | — | — | $(mib "${RSS[pagecache-cp]}") |")
  for spec in "d2r:dynamic VHD → raw" "r2f:raw → fixed VHD" "r2d:raw → dynamic VHD" "q2f:qcow2 → fixed VHD"; do
    k=${spec%%:*} title=${spec#*:}
    row "convert $title, ${SIZE_MIB} MiB, durable" "ours-$k" "qemu-$k-durable" "qemu-img -t writeback" throughput
    row "convert $title, ${SIZE_MIB} MiB, --no-sync" "ours-$k-nosync" "qemu-$k" "qemu-img (default, unsafe)" throughput
    row "convert $title, ${SIZE_MIB} MiB, durable (not like for like)" "ours-$k" "qemu-$k" "qemu-img (default, unsafe)" throughput
    if [ -n "$BASELINE" ] && [ -n "${TIMES[base-$k]:-}" ]; then
      row "convert $title, ${SIZE_MIB} MiB, durable, this build vs BASELINE" "ours-$k" "base-$k" "BASELINE vhdedit" throughput
    fi
    local mo_ns
    throughput_targets "$title" "ours-$k" "qemu-$k-durable" "ours-$k-nosync" "qemu-$k"
    mo_ns=$(median "${TIMES[ours-$k-nosync]}")
    mo=$(median "${TIMES[ours-$k]}")
    if ! broken "ours-$k-nosync"; then
      check "convert $title --no-sync: $(awk -v a="$mo_ns" -v p="$pc" 'BEGIN { printf "%.0f", 100 * p / a }') % of the page-cache copy rate (target ≥ 70 %)" \
        le "$mo_ns" "$(awk -v p="$pc" 'BEGIN { print p / 0.7 }')"
    fi
    TARGETS+=("- info: convert $title, durable: $(awk -v a="$mo" -v p="$pc" 'BEGIN { printf "%.0f", 100 * p / a }') % of the (unflushed) page-cache copy rate, $(awk -v a="$mo" -v b="$(median "${TIMES[qemu-$k]}")" 'BEGIN { printf "%.2f", b / a }')× the throughput of qemu-img's unflushed default")
    rss_targets+=("ours-$k:convert $title" "ours-$k-nosync:convert $title --no-sync")
  done
}

# --- guest images (cat and generalize) -------------------------------------------------------------------------
guest_ready=""
guest_images() {
  if [ -n "$guest_ready" ]; then return; fi
  log "building the guest images (ext4 by mkfs.ext4 -d in an sfdisk MBR; 1 GiB and 1 TiB dynamic VHDs)"
  bash "$fixtures" guest-tree "$work/tree"
  bash "$fixtures" guest-disk "$work/guest-1g.raw" 1G "$work/tree"
  bash "$fixtures" vhd "$work/guest-1g.raw" "$work/guest-1g.vhd" dynamic
  dd if="$work/guest-1g.raw" of="$work/guest-1g.part" bs=1M skip=1 conv=sparse status=none
  rm -f "$work/guest-1g.raw"
  if wants generalize; then
    bash "$fixtures" guest-disk "$work/guest-1t.raw" 1T "$work/tree"
    bash "$fixtures" vhd "$work/guest-1t.raw" "$work/guest-1t.vhd" dynamic
    rm -f "$work/guest-1t.raw"
  fi
  guest_ready=1
}

# --- cat -------------------------------------------------------------------------------------------------------
small_file=/etc/motd
big_file=/usr/share/bench/one-mib.bin
ours_cat_small() { timed ours-cat-small "$bin" cat "$work/guest-1g.vhd" "$small_file"; }
debugfs_cat_small() { timed debugfs-cat-small debugfs -R "cat $small_file" "$work/guest-1g.part"; }
ours_cat_1m() { timed ours-cat-1m "$bin" cat "$work/guest-1g.vhd" "$big_file"; }
debugfs_cat_1m() { timed debugfs-cat-1m debugfs -R "cat $big_file" "$work/guest-1g.part"; }
cat_round() {
  ab "$1" ours_cat_small debugfs_cat_small
  ab "$1" ours_cat_1m debugfs_cat_1m
}

cat_group() {
  has_command cat || { unavailable cat; return; }
  guest_images
  log "cat: warm-up + $RUNS runs"
  rounds cat_round
  local spec key file mo mt
  for spec in "small:$small_file" "1m:$big_file"; do
    key=${spec%%:*} file=${spec#*:}
    cmp -s "$work/ours-cat-$key.out" "$work/tree$file" || { WRONG[ours-cat-$key]=1; log "vhdedit cat $file: wrong bytes"; }
    cmp -s "$work/debugfs-cat-$key.out" "$work/tree$file" || log "debugfs cat $file: wrong bytes (baseline suspect)"
    row "cat $file ($(stat -c %s "$work/tree$file") bytes)" "ours-cat-$key" "debugfs-cat-$key" "debugfs on raw"
    mo=$(median "${TIMES[ours-cat-$key]}")
    mt=$(median "${TIMES[debugfs-cat-$key]}")
    if broken "ours-cat-$key"; then
      TARGETS+=("- **MISS**: cat $file: the command failed or printed wrong bytes")
    else
      check "cat $file: $(ratio "$mo" "$mt") debugfs-on-raw's time (target ≤ 1.5×)" \
        le "$mo" "$(awk -v b="$mt" 'BEGIN { print 1.5 * b }')"
    fi
    rss_targets+=("ours-cat-$key:cat $file")
  done
}

# --- generalize ------------------------------------------------------------------------------------------------
# The DIY pipeline makes the changes `waagent -deprovision` makes on this guest (its waagent.conf sets
# RegenerateSshHostKeyPair=y and DeleteRootPassword=y): SSH host keys, DHCP leases, hostname (hostname file,
# sysconfig network, DHCP_HOSTNAME), root password locked, /var/lib/waagent, /var/log/azure, root's history, the
# agent log, resolv.conf. Its input files are prepared untimed (generous to it).
diy_script() {
  local script="$work/diy.debugfs" k
  printf 'localhost.localdomain' >"$work/diy-hostname"
  sed 's/^HOSTNAME=.*/HOSTNAME=localhost.localdomain/' "$work/tree/etc/sysconfig/network" >"$work/diy-network"
  grep -v '^DHCP_HOSTNAME=' "$work/tree/etc/sysconfig/network-scripts/ifcfg-eth0" >"$work/diy-ifcfg"
  { echo 'root:*LOCK*:14600::::::'; grep -v '^root:' "$work/tree/etc/shadow"; } >"$work/diy-shadow"
  {
    for k in rsa ecdsa ed25519; do echo "rm /etc/ssh/ssh_host_${k}_key"; echo "rm /etc/ssh/ssh_host_${k}_key.pub"; done
    echo "rm /var/lib/dhclient/dhclient-eth0.leases"
    echo "rmdir /var/lib/dhclient"
    (cd "$work/tree" && find var/lib/waagent var/log/azure -type f | sed 's|^|rm /|')
    (cd "$work/tree" && find var/lib/waagent var/log/azure -depth -type d | sed 's|^|rmdir /|')
    echo "rm /root/.bash_history"
    echo "rm /var/log/waagent.log"
    echo "rm /etc/resolv.conf"
    echo "cd /etc"
    echo "rm hostname"
    echo "write $work/diy-hostname hostname"
    echo "rm shadow"
    echo "write $work/diy-shadow shadow"
    echo "sif shadow mode 0100000"
    echo "cd /etc/sysconfig"
    echo "rm network"
    echo "write $work/diy-network network"
    echo "cd /etc/sysconfig/network-scripts"
    echo "rm ifcfg-eth0"
    echo "write $work/diy-ifcfg ifcfg-eth0"
  } >"$script"
  {
    echo 'set -euo pipefail'
    echo "qemu-img convert -f vpc -O raw '$work/gen-diy.vhd' '$work/gen-diy.raw'"
    echo "debugfs -w -f '$script' '$work/gen-diy.raw?offset=1048576' >/dev/null"
    echo "qemu-img convert -f raw -O vpc -o subformat=dynamic,force_size=on '$work/gen-diy.raw' '$work/gen-diy-out.vhd'"
  } >"$work/diy.sh"
}
fresh() { cp --sparse=always -f "$work/$1" "$work/$2"; sync; }
ours_gen() { fresh guest-1g.vhd gen-ours.vhd; timed ours-gen "$bin" generalize "$work/gen-ours.vhd"; }
ours_gen_1g() { fresh guest-1g.vhd gen-ours.vhd; timed ours-gen-1g "$bin" generalize "$work/gen-ours.vhd"; }
ours_gen_1t() { fresh guest-1t.vhd gen-ours-1t.vhd; timed ours-gen-1t "$bin" generalize "$work/gen-ours-1t.vhd"; }
diy_gen() { rm -f "$work"/gen-diy*; fresh guest-1g.vhd gen-diy.vhd; timed diy-gen bash "$work/diy.sh"; }
# virt-sysprep boots an appliance (minutes per image under TCG): it runs once, outside the rounds, bounded by
# SYSPREP_TIMEOUT seconds; a run that does not finish is reported as such, not as a time.
sysprep_gen() {
  fresh guest-1g.vhd gen-sysprep.vhd
  timed sysprep-gen timeout "$SYSPREP_TIMEOUT" virt-sysprep --format vpc -a "$work/gen-sysprep.vhd"
}
have_sysprep=""
generalize_round() {
  ab "$1" ours_gen diy_gen
  ab "$1" ours_gen_1t ours_gen_1g
}

generalize_group() {
  has_command generalize || { unavailable generalize; return; }
  guest_images
  diy_script
  if [ "${SYSPREP:-1}" != 0 ] && command -v virt-sysprep >/dev/null 2>&1; then have_sysprep=1; fi
  log "generalize: warm-up + $RUNS runs"
  rounds generalize_round
  if [ -n "$have_sysprep" ]; then
    log "generalize: virt-sysprep once (timeout ${SYSPREP_TIMEOUT} s)"
    sysprep_gen
  fi
  # The last generalized images, checked: files gone, hostname reset, e2fsck -fn clean (qemu-img + debugfs).
  local spec file key fs bad m1 m1t
  for spec in gen-ours:ours-gen gen-ours-1t:ours-gen-1t gen-diy-out:diy-gen; do
    file=${spec%%:*} key=${spec#*:} bad=""
    qemu-img convert -f vpc -O raw "$work/$file.vhd" "$work/check.raw"
    fs="$work/check.raw?offset=1048576"
    debugfs -R "stat /etc/ssh/ssh_host_rsa_key" "$fs" 2>&1 | grep -q "not found" || bad="host key still there;"
    debugfs -R "stat /var/lib/waagent" "$fs" 2>&1 | grep -q "not found" || bad="$bad /var/lib/waagent still there;"
    [ "$(debugfs -R "cat /etc/hostname" "$fs" 2>/dev/null | tr -d '\n')" = localhost.localdomain ] ||
      bad="$bad hostname not reset;"
    e2fsck -fn "$fs" >/dev/null 2>&1 || bad="$bad e2fsck -fn not clean;"
    if [ -n "$bad" ]; then WRONG[$key]=1; log "generalize ($file):$bad"; fi
    rm -f "$work/check.raw"
  done
  row "generalize, 1 GiB dynamic VHD" ours-gen diy-gen "DIY qemu-img + debugfs -w"
  if [ -n "$have_sysprep" ] && [ -n "${FAILED[sysprep-gen]:-}" ]; then
    ROWS+=("| generalize vs virt-sysprep | $(ms "$(median "${TIMES[ours-gen]:-0}")") | virt-sysprep: did not finish in ${SYSPREP_TIMEOUT} s (one run) | — | $(mib "${RSS[ours-gen]:-0}") | $(mib "${RSS[sysprep-gen]:-0}") |")
  elif [ -n "$have_sysprep" ]; then
    row "generalize, 1 GiB dynamic VHD" ours-gen sysprep-gen "virt-sysprep"
  else
    ROWS+=("| generalize vs virt-sysprep | — | not installed (libguestfs) | — | — | — |")
  fi
  row "generalize, 1 TiB virtual dynamic VHD" ours-gen-1t ours-gen-1g "vhdedit on 1 GiB"
  m1=$(median "${TIMES[ours-gen-1g]}")
  m1t=$(median "${TIMES[ours-gen-1t]}")
  if broken ours-gen ours-gen-1t; then
    TARGETS+=("- **MISS**: generalize: the command failed or the result was wrong")
  else
    check "generalize 1 GiB: $(ms "$m1") (target ≤ 30 ms)" le "$m1" 30000
    check "generalize 1 TiB: $(ms "$m1t") (target ≤ 30 ms)" le "$m1t" 30000
    check "generalize flat in size: 1 TiB takes $(ratio "$m1t" "$m1") the 1 GiB time (target ≤ 1.25×)" \
      le "$m1t" "$(awk -v b="$m1" 'BEGIN { print 1.25 * b }')"
  fi
  rss_targets+=("ours-gen:generalize 1 GiB" "ours-gen-1t:generalize 1 TiB")
}

# --- batch -----------------------------------------------------------------------------------------------------
# BATCH_N copies of one small dynamic VHD, refreshed (untimed) before every timed run, generalized by one command.
batch_copies() {
  local i
  rm -rf "$work/farm"
  mkdir -p "$work/farm"
  for ((i = 0; i < BATCH_N; i++)); do
    cp --sparse=always --reflink=never "$work/farm-src.vhd" "$work/farm/img$i.vhd"
  done
  sync
}
batch_images() { local i; for ((i = 0; i < BATCH_N; i++)); do printf '%s\n' "$work/farm/img$i.vhd"; done; }
ours_batch() {
  batch_copies
  mapfile -t images < <(batch_images)
  timed ours-batch "$bin" generalize --jobs "$BATCH_JOBS" --json "${images[@]}"
}
ours_batch_1() {
  batch_copies
  mapfile -t images < <(batch_images)
  timed ours-batch-1 "$bin" generalize --jobs 1 --json "${images[@]}"
}
batch_round() { ab "$1" ours_batch ours_batch_1; }

# batch_verify: fresh copies generalized once more, untimed, by the same --jobs BATCH_JOBS command; its JSON lines
# must count BATCH_N successes and every image it left must be e2fsck -fn clean with its host keys gone.
batch_verify() {
  local out="$work/batch-check.out" ok summary bad="" i fs
  batch_copies
  mapfile -t images < <(batch_images)
  "$bin" generalize --jobs "$BATCH_JOBS" --json "${images[@]}" >"$out" 2>/dev/null || bad="exit status $?;"
  ok=$(grep -c '^{"image":"[^"]*","ok":true,' "$out" || true)
  summary=$(grep '^{"summary"' "$out" | grep -o '"succeeded":[0-9]*' | cut -d: -f2)
  [ "$ok" = "$BATCH_N" ] || bad="$bad $ok of $BATCH_N JSON lines ok;"
  [ "${summary:-}" = "$BATCH_N" ] || bad="$bad summary succeeded=${summary:-none};"
  for ((i = 0; i < BATCH_N; i++)); do
    qemu-img convert -f vpc -O raw "$work/farm/img$i.vhd" "$work/check.raw"
    fs="$work/check.raw?offset=1048576"
    e2fsck -fn "$fs" >/dev/null 2>&1 || bad="$bad img$i e2fsck -fn not clean;"
    debugfs -R "stat /etc/ssh/ssh_host_rsa_key" "$fs" 2>&1 | grep -q "not found" || bad="$bad img$i host key still there;"
    rm -f "$work/check.raw"
  done
  if [ -n "$bad" ]; then WRONG[ours-batch]=1; log "batch:$bad"; fi
}

batch_group() {
  has_command generalize || { unavailable "batch generalize"; return; }
  log "building the batch image (64 MiB dynamic VHD, the generalize guest) and $BATCH_N copies per run"
  if [ ! -d "$work/tree" ]; then bash "$fixtures" guest-tree "$work/tree"; fi
  bash "$fixtures" guest-disk "$work/farm-src.raw" 64M "$work/tree"
  bash "$fixtures" vhd "$work/farm-src.raw" "$work/farm-src.vhd" dynamic
  rm -f "$work/farm-src.raw"
  log "batch: warm-up + $RUNS runs of $BATCH_N images (--jobs $BATCH_JOBS and --jobs 1)"
  rounds batch_round
  batch_verify
  rm -rf "$work/farm"
  local m mj1
  row "generalize batch of $BATCH_N images (64 MiB dynamic VHDs), --jobs $BATCH_JOBS" ours-batch ours-batch-1 "vhdedit --jobs 1"
  m=$(median "${TIMES[ours-batch]}")
  mj1=$(median "${TIMES[ours-batch-1]}")
  if broken ours-batch; then
    TARGETS+=("- **MISS**: batch generalize: the command failed or an image was wrong")
  else
    check "batch generalize of $BATCH_N images with --jobs $BATCH_JOBS on $(nproc) cores: $(ms "$m") ($(awk -v us="$m" -v n="$BATCH_N" 'BEGIN { printf "%.1f", us / 1000 / n }') ms per image; --jobs 1: $(ms "$mj1")) (target ≤ 5 s for 100)" \
      le "$m" "$(awk -v n="$BATCH_N" 'BEGIN { print 5000000 * n / 100 }')"
  fi
  rss_targets+=("ours-batch:generalize batch (largest of the parent and its children)")
}

# --- resize ----------------------------------------------------------------------------------------------------
# (ONLY=resize, or add it to ONLY.) `vhdedit resize --size 30G --grow-partition --grow-filesystem` of a 1 GiB fixed
# VHD (MBR, one ext4 partition, the generalize guest) against the pipeline without vhdedit: qemu-img convert to
# raw, qemu-img resize (VHD cannot be resized by qemu-img), sfdisk growing partition 1, resize2fs on the partition
# (offset= io option, new size in blocks; it sets a plain file's length to the filesystem's size, ignoring the
# offset, so truncate puts the disk's last MiB back), qemu-img convert back to a fixed VHD. Both on fresh sparse copies; both
# results checked afterwards (qemu-img info size, e2fsck -fn, the same dumpe2fs block and group counts).
resize_blocks=$(((30 * 1024 * 1024 * 1024 - 1048576) / 4096))
ours_resize() { fresh resize-1g.vhd resize-ours.vhd; timed ours-resize "$bin" resize "$work/resize-ours.vhd" --size 30G --grow-partition --grow-filesystem; }
pipeline_resize() {
  rm -f "$work"/resize-pipe*
  fresh resize-1g.vhd resize-pipe.vhd
  timed pipeline-resize bash -c "set -e
    qemu-img convert -f vpc -O raw '$work/resize-pipe.vhd' '$work/resize-pipe.raw'
    qemu-img resize -q -f raw '$work/resize-pipe.raw' 30G
    echo ', +' | sfdisk -q -N 1 '$work/resize-pipe.raw'
    resize2fs '$work/resize-pipe.raw?offset=1048576' $resize_blocks
    truncate -s 30G '$work/resize-pipe.raw'
    qemu-img convert -f raw -O vpc -o subformat=fixed,force_size=on '$work/resize-pipe.raw' '$work/resize-pipe-out.vhd'"
}
resize_round() { ab "$1" ours_resize pipeline_resize; }
resize_group() {
  has_command resize || { unavailable resize; return; }
  if [ ! -d "$work/tree" ]; then bash "$fixtures" guest-tree "$work/tree"; fi
  bash "$fixtures" guest-disk "$work/resize-1g.raw" 1G "$work/tree"
  bash "$fixtures" vhd "$work/resize-1g.raw" "$work/resize-1g.vhd" fixed
  rm -f "$work/resize-1g.raw"
  log "resize: warm-up + $RUNS runs"
  rounds resize_round
  local spec file key bad ours_count theirs_count m mp
  qemu-img convert -f vpc -O raw "$work/resize-ours.vhd" "$work/check.raw"
  ours_count=$(dumpe2fs -h "$work/check.raw?offset=1048576" 2>/dev/null | grep -E '^(Block|Inode) count')
  theirs_count=$(dumpe2fs -h "$work/resize-pipe.raw?offset=1048576" 2>/dev/null | grep -E '^(Block|Inode) count')
  for spec in resize-ours.vhd:ours-resize resize-pipe-out.vhd:pipeline-resize; do
    file=${spec%%:*} key=${spec#*:} bad=""
    qemu-img info -f vpc --output=json "$work/$file" | grep -q "\"virtual-size\": 32212254720" || bad="size not 30 GiB;"
    [ "$file" = resize-ours.vhd ] || qemu-img convert -f vpc -O raw "$work/$file" "$work/check.raw"
    e2fsck -fn "$work/check.raw?offset=1048576" >/dev/null 2>&1 || bad="$bad e2fsck -fn not clean;"
    if [ -n "$bad" ]; then WRONG[$key]=1; log "resize ($file):$bad"; fi
  done
  [ "$ours_count" = "$theirs_count" ] || { WRONG[ours-resize]=1; log "resize: block/inode counts differ from resize2fs"; }
  rm -f "$work/check.raw" "$work"/resize-pipe*
  row "resize 1 GiB fixed VHD to 30 GiB (disk, partition, ext4)" ours-resize pipeline-resize "qemu-img convert/resize/convert + sfdisk + resize2fs"
  m=$(median "${TIMES[ours-resize]}")
  mp=$(median "${TIMES[pipeline-resize]}")
  if broken ours-resize; then
    TARGETS+=("- **MISS**: resize: the command failed or the result was wrong")
  else
    check "resize 1 GiB fixed VHD to 30 GiB: $(ms "$m") (target ≤ 100 ms)" le "$m" 100000
    check "resize: $(ratio "$m" "$mp") the pipeline's time (target ≤ 0.1×)" le "$m" "$(awk -v b="$mp" 'BEGIN { print 0.1 * b }')"
  fi
  rss_targets+=("ours-resize:resize 1 GiB to 30 GiB")
}

# --- VHDX -> fixed VHD ------------------------------------------------------------------------------------------
ours_x2f() { clean; timed ours-x2f "$bin" convert "$work/src.vhdx" "$work/dst.vhd" --to fixed --round-to-mib; }
ours_x2f_nosync() {
  clean
  timed ours-x2f-nosync "$bin" convert "$work/src.vhdx" "$work/dst.vhd" --to fixed --round-to-mib --no-sync
}
qemu_x2f() { clean; timed qemu-x2f qemu-img convert -f vhdx -O vpc -o subformat=fixed,force_size=on "$work/src.vhdx" "$work/dst.vhd"; }
qemu_x2f_durable() {
  clean
  timed qemu-x2f-durable qemu-img convert -t writeback -f vhdx -O vpc -o subformat=fixed,force_size=on \
    "$work/src.vhdx" "$work/dst.vhd"
}
vhdx_round() { ab "$1" ours_x2f ours_x2f_nosync qemu_x2f qemu_x2f_durable; }
vhdx_group() {
  has_command convert || { unavailable "convert (VHDX)"; return; }
  log "building a ${SIZE_MIB} MiB dynamic VHDX of mixed data (qemu-img convert -O vhdx)"
  [ -f "$work/src.raw" ] || bash "$fixtures" mixed-raw "$work/src.raw" "$SIZE_MIB"
  qemu-img convert -f raw -O vhdx -o subformat=dynamic "$work/src.raw" "$work/src.vhdx"
  cat "$work/src.vhdx" >/dev/null
  log "vhdx: warm-up + $RUNS runs"
  rounds vhdx_round
  local sync key mo mt pair ours theirs what
  for sync in "" --no-sync; do
    rm -f "$work/check.out"
    if ! "$bin" convert "$work/src.vhdx" "$work/check.out" --to fixed --round-to-mib $sync >/dev/null 2>&1 ||
      ! qemu-img compare -q -f raw -F vpc "$work/src.raw" "$work/check.out" >/dev/null 2>&1; then
      WRONG[ours-x2f${sync:+-nosync}]=1
      log "convert VHDX --to fixed $sync: convert failed or qemu-img compare found its output differs"
    fi
  done
  rm -f "$work/check.out"
  clean
  row "convert dynamic VHDX → fixed VHD, ${SIZE_MIB} MiB, durable" ours-x2f qemu-x2f-durable "qemu-img -t writeback" throughput
  row "convert dynamic VHDX → fixed VHD, ${SIZE_MIB} MiB, --no-sync" ours-x2f-nosync qemu-x2f "qemu-img (default, unsafe)" throughput
  throughput_targets "VHDX → fixed VHD" "ours-x2f" "qemu-x2f-durable" "ours-x2f-nosync" "qemu-x2f"
  rss_targets+=("ours-x2f:convert VHDX → fixed VHD" "ours-x2f-nosync:convert VHDX → fixed VHD --no-sync")
}

# --- LVM -------------------------------------------------------------------------------------------------------
# (ONLY=lvm, or add it to ONLY; needs root, /dev/loop-control and lvm2.) The guest of the generalize group in a
# 1000 MiB ext4 (mkfs.ext4 -d), placed byte for byte in two 1 GiB dynamic VHDs: an MBR partition at 1 MiB, and
# an LVM2 root (partition 1 of type 8e a PV of rootvg, made by real pvcreate/vgcreate/lvcreate on a loop device
# with --driverloaded n; rootvg/rootlv holds the filesystem at the extents `lvs -o seg_pe_ranges` and `pvs -o
# pe_start` name). Timed, alternating, LVM_RUNS times each (default 15, after a warm-up): opening the root
# (`vhdedit cat IMG /etc/hostname`) on both, and `vhdedit generalize` on fresh copies of both. The LVM results are
# checked afterwards: the LV reassembled from lvm's map is e2fsck -fn clean with the agent state and root's history
# gone and the hostname reset, and the PV label and metadata bytes are unchanged.
# Then the same four commands again, timed by their CPU time (user + system, getrusage), which a loaded machine
# does not inflate the way it inflates the wall clock; printed for information beside the targets.
# Targets: opening an LVM root costs ≤ 2 ms more than the same filesystem in a partition (difference of the cat
# medians); generalize on an LVM root ≤ 30 ms (median). Wall clock, as every target of this script.
LVM_RUNS=${LVM_RUNS:-15}
lvm_tool() { LVM_SUPPRESS_FD_WARNINGS=1 "$1" --devices "$lvm_loop" --config "backup/backup=0 backup/archive=0" "${@:2}"; }
lvm_images() {
  local fs="$work/lvm-fs.img" loop_size ranges first extent
  [ -d "$work/tree" ] || bash "$fixtures" guest-tree "$work/tree"
  E2FSPROGS_FAKE_TIME=1700000000 mkfs.ext4 -q -F -d "$work/tree" "$fs" 1000M
  for layout in part lvm; do
    truncate -s 1G "$work/lvm-$layout.raw"
    printf 'label: dos\nlabel-id: 0x5eed0002\nstart=2048, type=%s\n' "$([ $layout = part ] && echo 83 || echo 8e)" |
      sfdisk -q --no-reread --no-tell-kernel "$work/lvm-$layout.raw"
  done
  dd if="$fs" of="$work/lvm-part.raw" bs=1M seek=1 conv=notrunc,sparse status=none
  loop_size=$(((1 << 30) - 1048576))
  lvm_loop=$(losetup -f --show -o 1048576 --sizelimit "$loop_size" "$work/lvm-lvm.raw")
  lvm_tool pvcreate -q -y "$lvm_loop" >/dev/null
  lvm_tool vgcreate -q rootvg "$lvm_loop" >/dev/null
  lvm_tool lvcreate -q --driverloaded n -an -Zn -y -L 1000M -n rootlv rootvg >/dev/null
  lvm_pe_start=$(lvm_tool pvs --noheadings --nosuffix --units b -o pe_start "$lvm_loop" | tr -d ' ')
  extent=$(lvm_tool vgs --noheadings --nosuffix --units b -o vg_extent_size rootvg | tr -d ' ')
  ranges=$(lvm_tool lvs --noheadings -o seg_pe_ranges rootvg/rootlv | tr -d ' ')
  losetup -d "$lvm_loop"
  # One linear segment: "/dev/loopN:FIRST-LAST".
  [[ "$ranges" =~ ^[^:]+:([0-9]+)-[0-9]+$ ]] || { log "lvm: unexpected segment map '$ranges'"; return 1; }
  first=${BASH_REMATCH[1]}
  lvm_lv_offset=$((1048576 + lvm_pe_start + first * extent))
  dd if="$fs" of="$work/lvm-lvm.raw" bs=1M seek=$((lvm_lv_offset / 1048576)) conv=notrunc,sparse status=none
  [ $((lvm_lv_offset % 1048576)) -eq 0 ] || { log "lvm: LV not MiB-aligned"; return 1; }
  lvm_metadata=$(head -c $((1048576 + lvm_pe_start)) "$work/lvm-lvm.raw" | sha256sum)
  for layout in part lvm; do
    bash "$fixtures" vhd "$work/lvm-$layout.raw" "$work/lvm-$layout.vhd" dynamic
    rm -f "$work/lvm-$layout.raw"
  done
  rm -f "$fs"
}
ours_lvm_open_part() { timed lvm-open-part "$bin" cat "$work/lvm-part.vhd" /etc/hostname; }
ours_lvm_open_lvm() { timed lvm-open-lvm "$bin" cat "$work/lvm-lvm.vhd" /etc/hostname; }
ours_lvm_gen_part() { fresh lvm-part.vhd lvm-gen-part.vhd; timed lvm-gen-part "$bin" generalize "$work/lvm-gen-part.vhd"; }
ours_lvm_gen_lvm() { fresh lvm-lvm.vhd lvm-gen-lvm.vhd; timed lvm-gen-lvm "$bin" generalize "$work/lvm-gen-lvm.vhd"; }
# lvm_cpu RUNS (LABEL PREP CMD)...: the commands run alternately RUNS times (after one warm-up round), PREP untimed
# before each; prints "LABEL WALL_US CPU_US" medians, CPU being the child's user + system time (getrusage, µs
# resolution): on a loaded machine the wall clock mostly measures waiting for a core, the CPU time does not.
lvm_cpu() {
  python3 - "$@" <<'PY'
import resource, statistics, subprocess, sys, time
runs, rest = int(sys.argv[1]), sys.argv[2:]
jobs = [rest[i:i + 3] for i in range(0, len(rest), 3)]
times = {label: ([], []) for label, _, _ in jobs}
for run in range(runs + 1):
    for label, prep, command in jobs[run % len(jobs):] + jobs[:run % len(jobs)]:
        subprocess.run(prep, shell=True, check=True)
        before, start = resource.getrusage(resource.RUSAGE_CHILDREN), time.perf_counter()
        subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall, after = time.perf_counter() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
        if run:
            times[label][0].append(wall * 1e6)
            times[label][1].append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1e6)
for label, (wall, cpu) in times.items():
    print(label, int(statistics.median(wall)), int(statistics.median(cpu)))
PY
}
lvm_round() {
  ab "$1" ours_lvm_open_part ours_lvm_open_lvm
  ab "$1" ours_lvm_gen_part ours_lvm_gen_lvm
}
lvm_group() {
  if [ "$(id -u)" -ne 0 ] || [ ! -e /dev/loop-control ] || ! command -v lvcreate >/dev/null 2>&1; then
    log "lvm: needs root, /dev/loop-control and lvm2 (lvcreate): skipped"
    ROWS+=("| LVM root | skipped: needs root, loop devices and lvm2 | — | — | — | — |")
    TARGETS+=("- **MISS**: LVM: not measured (needs root, loop devices and lvm2)")
    return
  fi
  log "lvm: building the partition and LVM root images (mkfs.ext4 -d, sfdisk, pvcreate/vgcreate/lvcreate)"
  lvm_images || { TARGETS+=("- **MISS**: LVM: the fixture could not be built"); return; }
  local saved=$RUNS bad="" m_part m_lvm m_gen extra
  RUNS=$LVM_RUNS
  log "lvm: warm-up + $RUNS runs"
  rounds lvm_round
  RUNS=$saved
  [ "$(cat "$work/lvm-open-lvm.out")" = "$(cat "$work/lvm-open-part.out")" ] || { WRONG[lvm-open-lvm]=1; log "lvm: cat differs"; }
  qemu-img convert -f vpc -O raw "$work/lvm-gen-lvm.vhd" "$work/check.raw"
  [ "$(head -c $((1048576 + lvm_pe_start)) "$work/check.raw" | sha256sum)" = "$lvm_metadata" ] ||
    bad="the PV label or metadata changed;"
  dd if="$work/check.raw" of="$work/check.lv" bs=1M skip=$((lvm_lv_offset / 1048576)) count=1000 conv=sparse status=none
  debugfs -R "stat /var/lib/waagent" "$work/check.lv" 2>&1 | grep -q "not found" || bad="$bad /var/lib/waagent still there;"
  debugfs -R "stat /root/.bash_history" "$work/check.lv" 2>&1 | grep -q "not found" || bad="$bad root's history still there;"
  [ "$(debugfs -R "cat /etc/hostname" "$work/check.lv" 2>/dev/null | tr -d '\n')" = localhost.localdomain ] ||
    bad="$bad hostname not reset;"
  e2fsck -fn "$work/check.lv" >/dev/null 2>&1 || bad="$bad e2fsck -fn not clean;"
  rm -f "$work/check.raw" "$work/check.lv"
  if [ -n "$bad" ]; then WRONG[lvm-gen-lvm]=1; log "lvm generalize:$bad"; fi
  log "lvm: CPU time, $LVM_RUNS alternating runs of each"
  local cpu
  cpu=$(lvm_cpu "$LVM_RUNS" \
    open-part true "'$bin' cat '$work/lvm-part.vhd' /etc/hostname" \
    open-lvm true "'$bin' cat '$work/lvm-lvm.vhd' /etc/hostname" \
    gen-part "cp --sparse=always -f '$work/lvm-part.vhd' '$work/lvm-gen-part.vhd'" "'$bin' generalize '$work/lvm-gen-part.vhd'" \
    gen-lvm "cp --sparse=always -f '$work/lvm-lvm.vhd' '$work/lvm-gen-lvm.vhd'" "'$bin' generalize '$work/lvm-gen-lvm.vhd'")
  cpu_of() { awk -v k="$1" '$1 == k { print $3 }' <<<"$cpu"; }
  ROWS+=("| CPU time (user + system, medians of $LVM_RUNS): open the root, LVM vs partition | $(ms "$(cpu_of open-lvm)") | partition: $(ms "$(cpu_of open-part)") | $(ratio "$(cpu_of open-lvm)" "$(cpu_of open-part)") | — | — |")
  ROWS+=("| CPU time (user + system, medians of $LVM_RUNS): generalize, LVM vs partition | $(ms "$(cpu_of gen-lvm)") | partition: $(ms "$(cpu_of gen-part)") | $(ratio "$(cpu_of gen-lvm)" "$(cpu_of gen-part)") | — | — |")
  row "open the root (cat /etc/hostname), LVM root vs partition, 1 GiB dynamic VHD" lvm-open-lvm lvm-open-part "same ext4 in a partition"
  row "generalize, LVM root vs partition, 1 GiB dynamic VHD" lvm-gen-lvm lvm-gen-part "same ext4 in a partition"
  m_part=$(median "${TIMES[lvm-open-part]}")
  m_lvm=$(median "${TIMES[lvm-open-lvm]}")
  m_gen=$(median "${TIMES[lvm-gen-lvm]}")
  extra=$((m_lvm - m_part))
  if broken lvm-open-lvm lvm-gen-lvm; then
    TARGETS+=("- **MISS**: LVM: a command failed or a result was wrong")
  else
    check "open an LVM root: $(awk -v us="$extra" 'BEGIN { printf "%+.2f ms", us / 1000 }') over the same filesystem in a partition ($(ms "$m_lvm") vs $(ms "$m_part"), medians of $LVM_RUNS) (target ≤ 2 ms more)" \
      le "$extra" 2000
    check "generalize on an LVM root: $(ms "$m_gen") median of $LVM_RUNS (partition: $(ms "$(median "${TIMES[lvm-gen-part]}")")) (target ≤ 30 ms)" \
      le "$m_gen" 30000
    TARGETS+=("- (information) CPU time of opening an LVM root: $(awk -v a="$(cpu_of open-lvm)" -v b="$(cpu_of open-part)" 'BEGIN { printf "%+.2f ms", (a - b) / 1000 }') over the partition; of generalize: $(awk -v a="$(cpu_of gen-lvm)" -v b="$(cpu_of gen-part)" 'BEGIN { printf "%+.2f ms", (a - b) / 1000 }') (load average now: $(cut -d' ' -f1 /proc/loadavg))")
  fi
  rss_targets+=("lvm-gen-lvm:generalize on an LVM root")
}

# --- formats: qcow2 and VHDX inputs, and the VHD rows on a small image -----------------------------------------
# (ONLY=formats.) The input-format targets, each printed PASS/MISS:
#   - qcow2 (64 KiB clusters) -> fixed VHD and dynamic VHDX -> fixed VHD of SIZE_MIB MiB of random data
#     (dd if=/dev/urandom; nothing to skip), and zlib- and zstd-compressed qcow2 (qemu-img convert -c of the
#     convert group's mixed data) -> fixed VHD: ≥ 1.0× qemu-img's throughput, durable vs `-t writeback` and
#     --no-sync vs qemu-img's default;
#   - `cat` of a small file from a qcow2 of the 1 GiB guest disk ≤ 1.5× debugfs on the raw partition;
#   - on a 256 MiB image: dynamic VHD -> raw --no-sync ≥ 1.0× qemu-img's default, `cat` of a small file from a
#     dynamic VHD ≤ 1.5× debugfs on the raw partition (the 1 GiB rows are in the convert and cat groups);
#   - peak RSS ≤ 32 MiB for each.
# Every output is checked once after timing (qemu-img compare, cmp).
FORMAT_SPECS=(
  "rq2f:rnd.qcow2:qcow2:qcow2 → fixed VHD, random data"
  "rx2f:rnd.vhdx:vhdx:dynamic VHDX → fixed VHD, random data"
  "zq2f:src-zlib.qcow2:qcow2:zlib-compressed qcow2 → fixed VHD"
  "sq2f:src-zstd.qcow2:qcow2:zstd-compressed qcow2 → fixed VHD"
)
# format_ours KEY SOURCE [--no-sync] / format_qemu KEY SOURCE FORMAT [-t writeback]: one timed convert to a fixed VHD.
format_ours() {
  local key=$1 source=$2
  shift 2
  clean
  timed "ours-$key${1:+-nosync}" "$bin" convert "$work/$source" "$work/dst.vhd" --to fixed --round-to-mib "$@"
}
format_qemu() {
  local key=$1 source=$2 format=$3
  shift 3
  clean
  timed "qemu-$key${1:+-durable}" qemu-img convert "$@" -f "$format" -O vpc -o subformat=fixed,force_size=on \
    "$work/$source" "$work/dst.vhd"
}
for spec in "${FORMAT_SPECS[@]}"; do
  IFS=: read -r k source format _ <<<"$spec"
  eval "fmt_ours_$k() { format_ours $k $source; }"
  eval "fmt_ours_${k}_nosync() { format_ours $k $source --no-sync; }"
  eval "fmt_qemu_$k() { format_qemu $k $source $format; }"
  eval "fmt_qemu_${k}_durable() { format_qemu $k $source $format -t writeback; }"
done
ours_d2r_256_nosync() {
  clean
  timed ours-d2r256-nosync "$bin" convert "$work/small-dynamic.vhd" "$work/dst.raw" --to raw --no-sync
}
qemu_d2r_256() { clean; timed qemu-d2r256 qemu-img convert -f vpc -O raw "$work/small-dynamic.vhd" "$work/dst.raw"; }
ours_cat_qcow2() { timed ours-cat-qcow2 "$bin" cat "$work/guest-1g.qcow2" "$small_file"; }
debugfs_cat_qcow2() { timed debugfs-cat-qcow2 debugfs -R "cat $small_file" "$work/guest-1g.part"; }
ours_cat_256() { timed ours-cat-256 "$bin" cat "$work/guest-256m.vhd" "$small_file"; }
debugfs_cat_256() { timed debugfs-cat-256 debugfs -R "cat $small_file" "$work/guest-256m.part"; }
formats_round() {
  local spec k
  for spec in "${FORMAT_SPECS[@]}"; do
    k=${spec%%:*}
    ab "$1" "fmt_ours_$k" "fmt_ours_${k}_nosync" "fmt_qemu_$k" "fmt_qemu_${k}_durable"
  done
  ab "$1" ours_d2r_256_nosync qemu_d2r_256
  ab "$1" ours_cat_qcow2 debugfs_cat_qcow2
  ab "$1" ours_cat_256 debugfs_cat_256
}
# format_cat_check KEY IMAGE-TITLE: the cat row and its target.
format_cat_check() {
  local key=$1 what=$2 mo mt
  cmp -s "$work/ours-cat-$key.out" "$work/tree$small_file" || { WRONG[ours-cat-$key]=1; log "vhdedit cat $small_file ($what): wrong bytes"; }
  row "cat $small_file from $what" "ours-cat-$key" "debugfs-cat-$key" "debugfs on raw"
  mo=$(median "${TIMES[ours-cat-$key]}")
  mt=$(median "${TIMES[debugfs-cat-$key]}")
  if broken "ours-cat-$key"; then
    TARGETS+=("- **MISS**: cat $small_file from $what: the command failed or printed wrong bytes")
  else
    check "cat $small_file from $what: $(ratio "$mo" "$mt") debugfs-on-raw's time (target ≤ 1.5×)" \
      le "$mo" "$(awk -v b="$mt" 'BEGIN { print 1.5 * b }')"
  fi
  rss_targets+=("ours-cat-$key:cat $small_file from $what")
}
formats_group() {
  has_command convert || { unavailable "convert (qcow2, VHDX)"; return; }
  log "building ${SIZE_MIB} MiB of random data as qcow2 and VHDX, compressed qcow2 (zlib, zstd) of mixed data"
  dd if=/dev/urandom of="$work/rnd.raw" bs=1M count="$SIZE_MIB" status=none iflag=fullblock
  qemu-img convert -f raw -O qcow2 "$work/rnd.raw" "$work/rnd.qcow2"
  qemu-img convert -f raw -O vhdx -o subformat=dynamic "$work/rnd.raw" "$work/rnd.vhdx"
  [ -f "$work/src.raw" ] || bash "$fixtures" mixed-raw "$work/src.raw" "$SIZE_MIB"
  qemu-img convert -c -f raw -O qcow2 -o compression_type=zlib "$work/src.raw" "$work/src-zlib.qcow2"
  qemu-img convert -c -f raw -O qcow2 -o compression_type=zstd "$work/src.raw" "$work/src-zstd.qcow2"
  log "building the 256 MiB images (mixed data as a dynamic VHD; the guest disk) and the guest as qcow2"
  bash "$fixtures" mixed-raw "$work/small.raw" 256
  bash "$fixtures" vhd "$work/small.raw" "$work/small-dynamic.vhd" dynamic
  guest_images
  qemu-img convert -f vpc -O qcow2 "$work/guest-1g.vhd" "$work/guest-1g.qcow2"
  bash "$fixtures" guest-disk "$work/guest-256m.raw" 256M "$work/tree"
  bash "$fixtures" vhd "$work/guest-256m.raw" "$work/guest-256m.vhd" dynamic
  dd if="$work/guest-256m.raw" of="$work/guest-256m.part" bs=1M skip=1 conv=sparse status=none
  rm -f "$work/guest-256m.raw"
  cat "$work"/rnd.qcow2 "$work"/rnd.vhdx "$work"/src-z*.qcow2 "$work/small-dynamic.vhd" >/dev/null
  log "formats: warm-up + $RUNS runs"
  rounds formats_round
  local spec k source format title sync reference pair ours theirs what mo mt
  for spec in "${FORMAT_SPECS[@]}"; do
    IFS=: read -r k source format title <<<"$spec"
    reference=$work/src.raw
    [[ "$source" == rnd.* ]] && reference=$work/rnd.raw
    for sync in "" --no-sync; do
      rm -f "$work/check.out"
      if ! "$bin" convert "$work/$source" "$work/check.out" --to fixed --round-to-mib $sync >/dev/null 2>&1 ||
        ! qemu-img compare -q -f raw -F vpc "$reference" "$work/check.out" >/dev/null 2>&1; then
        WRONG[ours-$k${sync:+-nosync}]=1
        log "convert $title $sync: convert failed or qemu-img compare found its output differs from the source"
      fi
    done
    rm -f "$work/check.out"
    row "convert $title, ${SIZE_MIB} MiB, durable" "ours-$k" "qemu-$k-durable" "qemu-img -t writeback" throughput
    row "convert $title, ${SIZE_MIB} MiB, --no-sync" "ours-$k-nosync" "qemu-$k" "qemu-img (default, unsafe)" throughput
    throughput_targets "$title" "ours-$k" "qemu-$k-durable" "ours-$k-nosync" "qemu-$k"
    rss_targets+=("ours-$k:convert $title" "ours-$k-nosync:convert $title --no-sync")
    TARGETS+=("- info: convert $title, median CPU time (user + system): durable $(median "${CPU[ours-$k]}") ms vs qemu-img -t writeback $(median "${CPU[qemu-$k-durable]}") ms; --no-sync $(median "${CPU[ours-$k-nosync]}") ms vs qemu-img $(median "${CPU[qemu-$k]}") ms")
  done
  rm -f "$work/check.out"
  if ! "$bin" convert "$work/small-dynamic.vhd" "$work/check.out" --to raw --no-sync >/dev/null 2>&1 ||
    ! cmp -s "$work/small.raw" "$work/check.out"; then
    WRONG[ours-d2r256-nosync]=1
    log "convert 256 MiB dynamic VHD --to raw --no-sync: failed or its output differs from the source"
  fi
  rm -f "$work/check.out"
  clean
  local small_size=$SIZE_MIB
  SIZE_MIB=256
  row "convert dynamic VHD → raw, 256 MiB, --no-sync" ours-d2r256-nosync qemu-d2r256 "qemu-img (default, unsafe)" throughput
  SIZE_MIB=$small_size
  mo=$(median "${TIMES[ours-d2r256-nosync]}")
  mt=$(median "${TIMES[qemu-d2r256]}")
  if broken ours-d2r256-nosync; then
    TARGETS+=("- **MISS**: convert dynamic VHD → raw, 256 MiB (--no-sync vs qemu-img default): failed or wrong output")
  else
    check "convert dynamic VHD → raw, 256 MiB (--no-sync vs qemu-img default): $(awk -v a="$mo" -v b="$mt" 'BEGIN { printf "%.2f", b / a }')× qemu-img's throughput (target ≥ 1.0×)" \
      le "$mo" "$mt"
  fi
  rss_targets+=("ours-d2r256-nosync:convert dynamic VHD → raw, 256 MiB --no-sync")
  TARGETS+=("- info: convert dynamic VHD → raw, 256 MiB, median CPU time (user + system): --no-sync $(median "${CPU[ours-d2r256-nosync]}") ms vs qemu-img $(median "${CPU[qemu-d2r256]}") ms")
  format_cat_check qcow2 "a qcow2 (1 GiB guest disk)"
  format_cat_check 256 "a dynamic VHD (256 MiB guest disk)"
  rm -f "$work"/rnd.* "$work"/src-z*.qcow2 "$work"/small*
}

if wants convert; then convert_group; fi
if wants cat; then cat_group; fi
if wants generalize; then generalize_group; fi
if wants batch; then batch_group; fi
if wants resize; then resize_group; fi
if wants vhdx; then vhdx_group; fi
if wants lvm; then lvm_group; fi
if wants formats; then formats_group; fi

for entry in "${rss_targets[@]}"; do
  key=${entry%%:*} title=${entry#*:}
  check "peak RSS of vhdedit $title: $(mib "${RSS[$key]:-0}") (target ≤ 32 MiB)" le "${RSS[$key]:-0}" 32768
done

# --- report ----------------------------------------------------------------------------------------------------
report() {
  echo "## vhdedit compared ($(date -u +%Y-%m-%d), RUNS=$RUNS medians, SIZE_MIB=$SIZE_MIB)"
  echo
  echo "Machine: $(nproc) vCPU ($(lscpu 2>/dev/null | sed -n 's/^Model name: *//p' | head -1)), $(free -g | awk '/^Mem:/ {print $2}') GiB RAM, Linux $(uname -r)"
  echo "Load average at start: $load_start; at end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine shares the cores)"
  echo "Tools: $(qemu-img --version | head -1); $(debugfs -V 2>&1 | head -1); $(swift --version 2>/dev/null | head -1 || echo swift: n/a); vhdedit $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo
  echo "| Operation | vhdedit | Other tool | vhdedit/other (time) | vhdedit peak RSS | other peak RSS |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
  echo
  echo "Targets:"
  echo
  printf '%s\n' "${TARGETS[@]}"
}
report
if [ -n "$OUT" ]; then report >"$OUT"; log "wrote $OUT"; fi

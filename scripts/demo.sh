#!/usr/bin/env bash
# The main job on a shipped test image: inspect it, plan a generalization (dry run), generalize it, and check
# that a second run finds nothing left to do. Works on a copy; the shipped image is never changed.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"
bash scripts/setup.sh
swift build -c release --product vhdedit
bin="$(swift build -c release --show-bin-path)/vhdedit"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
image="$work/centos6-dynamic.vhd"
cp TestImages/centos6-dynamic.vhd "$image"

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
step "$bin" info "$image"
step "$bin" inspect "$image"
step "$bin" azure-prepare "$image"
step "$bin" generalize --delete-user --only defaults,secrets --dry-run "$image"
step "$bin" generalize --delete-user --only defaults,secrets "$image"
step "$bin" generalize --dry-run "$image"
step "$bin" convert "$image" "$work/centos6-fixed.vhd" --to fixed --round-to-mib
step "$bin" check "$work/centos6-fixed.vhd"

#!/usr/bin/env bash
# Builds the DocC documentation of every library module (swift-docc-plugin) and fails when DocC warns: a broken
# symbol link, an undocumented parameter, a topic that names nothing. Part of scripts/test.sh.
#   scripts/docs.sh           check only (archives in .build/plugins/Swift-DocC/outputs/)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"
targets=(HostSystem BlockIO DiskLayout Ext4 GuestConfig ImagePrep Decompression SELinuxLabels VHDEditKit)
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
arguments=()
for target in "${targets[@]}"; do arguments+=(--target "$target"); done
if ! swift package generate-documentation "${arguments[@]}" >"$log" 2>&1; then
  tail -30 "$log"
  echo "docs: generate-documentation FAILED"
  exit 1
fi
# DocC's own warnings start the line; compiler diagnostics (path:line:col: warning:) are the build's business.
if grep -q '^warning:' "$log"; then
  grep -A3 '^warning:' "$log" | head -60
  echo "docs: $(grep -c '^warning:' "$log") DocC warning(s)"
  exit 1
fi
echo "docs: ${#targets[@]} modules documented without warnings (.build/plugins/Swift-DocC/outputs/)"

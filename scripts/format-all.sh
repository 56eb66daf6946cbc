#!/usr/bin/env bash
# Applies the checked-in swift-format configuration (.swift-format) in place to every Swift file of the
# repository (scripts/swift-format-files.sh lists them), then lints them all strictly (LINT_ALL=1
# scripts/lint.sh) and prints what the formatter could not fix (rules such as naming are lint-only).
# Meant to run once on main after the open branches are merged, as its own commit; then put a line `*` in
# scripts/swift-format-strict.txt so that CI keeps every file clean.
#   scripts/format-all.sh          format in place, then lint every file strictly
#   scripts/format-all.sh --check  change nothing: list the files the formatter would change (exit 1 if any)
set -euo pipefail
cd "$(dirname "$0")/.."
FORMAT="$(command -v swift-format || echo /opt/swift/usr/bin/swift-format)"
[ -x "$FORMAT" ] || { echo "format-all: swift-format not found" >&2; exit 2; }
mapfile -t files < <(bash scripts/swift-format-files.sh)
if [ "${1:-}" = --check ]; then
  changed=0
  for file in "${files[@]}"; do
    if ! "$FORMAT" format --configuration .swift-format "$file" | cmp -s - "$file"; then
      echo "$file"
      changed=$((changed + 1))
    fi
  done
  echo "format-all: $changed of ${#files[@]} files would change"
  [ "$changed" = 0 ]
  exit
fi
"$FORMAT" format --in-place --parallel --configuration .swift-format "${files[@]}"
echo "format-all: formatted ${#files[@]} files in place"
LINT_ALL=1 bash scripts/lint.sh

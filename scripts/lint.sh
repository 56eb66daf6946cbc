#!/usr/bin/env bash
# swift-format lint with the checked-in configuration (.swift-format: 4-space indentation, 120-column lines as
# the code keeps them, the rule set the code follows). Two parts:
#   1. strict: the files listed in scripts/swift-format-strict.txt must lint clean (a finding fails: exit 1);
#   2. report: every other Swift file of Sources/ and Tests/ is linted and the number of findings per rule is
#      printed; this part never fails, since the tree has not been reformatted (and is not, here).
# Skipped with a note when swift-format is not installed.
set -euo pipefail
cd "$(dirname "$0")/.."
FORMAT="$(command -v swift-format || echo /opt/swift/usr/bin/swift-format)"
if [ ! -x "$FORMAT" ]; then
  echo "lint: swift-format not found; skipped"
  exit 0
fi
mapfile -t strict < <(grep -v '^#' scripts/swift-format-strict.txt | grep -v '^$')
"$FORMAT" lint --strict --configuration .swift-format "${strict[@]}"
echo "lint: ${#strict[@]} files clean (strict)"
report="$(find Sources Tests -name '*.swift' -not -path '*/.build*' | sort | grep -vxF -f <(printf '%s\n' "${strict[@]}") \
  | xargs "$FORMAT" lint --configuration .swift-format 2>&1 || true)"
echo "lint: report only, findings by rule in the other files:"
printf '%s\n' "$report" | grep -o '\[[A-Za-z]*\]' | sort | uniq -c | sort -rn || true

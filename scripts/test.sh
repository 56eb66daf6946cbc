#!/usr/bin/env bash
# The whole test suite: system packages, build, then every test. The README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin:/usr/sbin:/sbin"
bash scripts/setup.sh
swift build --build-tests
swift test --skip-build

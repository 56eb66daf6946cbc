#!/usr/bin/env bash
# The Swift files swift-format formats and lints: every *.swift of the repository's own code (Package.swift
# manifests included), build folders and checked-out dependencies left out. One path a line, sorted.
set -euo pipefail
cd "$(dirname "$0")/.."
find . -name '*.swift' -not -path '*/.build*' -not -path '*/.swiftpm/*' -not -path './.git/*' \
  | sed 's|^\./||' | LC_ALL=C sort

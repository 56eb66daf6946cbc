#!/usr/bin/env python3
"""Counts the public declarations of each module under Sources/ and those without a `///` doc comment.

A public declaration is a line that starts (after attributes such as `@inlinable`) with `public` or `open`,
except `public import`. It is documented when the nearest line above it that is not an attribute is a `///`
line. Usage: scripts/doc-coverage.py [--list] [MODULE...]  (--list prints each undocumented declaration).
Exit status 0 always: a report, not a gate.
"""
import os
import re
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Sources")
DECLARATION = re.compile(r"^\s*(?:@[\w.]+(?:\([^)]*\))?\s+)*(?:public|open)\b(?!\s+import\b)(?!\s*[=.(\[:,)])")
ATTRIBUTE = re.compile(r"^\s*@[\w.]+(?:\(.*\))?\s*$")


def undocumented(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    total, missing = 0, []
    for index, line in enumerate(lines):
        if not DECLARATION.match(line):
            continue
        total += 1
        above = index - 1
        while above >= 0 and ATTRIBUTE.match(lines[above]):
            above -= 1
        if above < 0 or not lines[above].strip().startswith("///"):
            missing.append((index + 1, line.strip()))
    return total, missing


def main(arguments):
    listing = "--list" in arguments
    wanted = [a for a in arguments if not a.startswith("--")]
    grand_total = grand_missing = 0
    for module in sorted(os.listdir(ROOT)):
        folder = os.path.join(ROOT, module)
        if not os.path.isdir(folder) or (wanted and module not in wanted):
            continue
        total, missing = 0, []
        for directory, _, names in os.walk(folder):
            for name in sorted(names):
                if name.endswith(".swift"):
                    path = os.path.join(directory, name)
                    count, gaps = undocumented(path)
                    total += count
                    missing += [(os.path.relpath(path, ROOT), line, text) for line, text in gaps]
        if total == 0:
            continue
        grand_total += total
        grand_missing += len(missing)
        print(f"{module}: {len(missing)} of {total} public declarations without a doc comment")
        if listing:
            for path, line, text in missing:
                print(f"  {path}:{line}: {text}")
    print(f"all: {grand_missing} of {grand_total}")


if __name__ == "__main__":
    main(sys.argv[1:])

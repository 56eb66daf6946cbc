#!/usr/bin/python3
"""Validates vhdedit --json output against docs/schemas (JSON Schema draft 2020-12).

Usage: /usr/bin/python3 validate-json.py [--lines] < OUTPUT
Each JSON document (or, with --lines, each line) is checked against the schema its "schema" member names
("vhdedit.check/1" -> docs/schemas/check.schema.json, whose $id is urn:vhdedit:schema:check:1). Prints one
line per problem and exits 1 when any document is invalid or names no known schema.
"""
import json
import pathlib
import sys

from jsonschema import Draft202012Validator, RefResolver

folder = pathlib.Path(__file__).resolve().parent.parent / "docs" / "schemas"
store = {}
for path in sorted(folder.glob("*.schema.json")):
    schema = json.loads(path.read_text())
    Draft202012Validator.check_schema(schema)
    store[schema["$id"]] = schema

text = sys.stdin.read()
documents = [json.loads(line) for line in text.splitlines() if line.strip()] if "--lines" in sys.argv[1:] \
    else [json.loads(text)]
problems = 0
for number, document in enumerate(documents, 1):
    name = document.get("schema") if isinstance(document, dict) else None
    if not isinstance(name, str) or not name.startswith("vhdedit.") or "/" not in name:
        print(f"document {number}: no \"schema\" member naming a vhdedit schema")
        problems += 1
        continue
    command, major = name[len("vhdedit."):].rsplit("/", 1)
    schema = store.get(f"urn:vhdedit:schema:{command}:{major}")
    if schema is None:
        print(f"document {number}: {name}: no such schema in {folder}")
        problems += 1
        continue
    validator = Draft202012Validator(schema, resolver=RefResolver.from_schema(schema, store=store))
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        location = "/".join(str(part) for part in error.absolute_path) or "(top)"
        print(f"document {number} ({name}): {location}: {error.message}")
        problems += 1
sys.exit(1 if problems else 0)

"""Validates SARIF files against a JSON schema (the official SARIF 2.1.0 schema).

Usage: validate_sarif.py SCHEMA FILE... — prints every violation, exits 1 if there is any.
The schema is draft 2020-12: the validator class is picked from its `$schema`, with the
format checker on (URIs, dates).
"""

import json
import sys

import jsonschema


def main() -> int:
    schema_path, *files = sys.argv[1:]
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
    failed = 0
    for path in files:
        with open(path, encoding="utf-8") as f:
            document = json.load(f)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path))
        for e in errors:
            where = "/".join(str(p) for p in e.absolute_path)
            print(f"{path}: /{where}: {e.message}")
        failed += bool(errors)
    print(f"{len(files) - failed} of {len(files)} SARIF files valid", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

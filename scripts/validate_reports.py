"""Reads forklint's CI reports the way their consumers do (tests/output_formats.rs).

Usage:
  validate_reports.py gitlab SCHEMA FILE   GitLab Code Quality: the root is an array (GitLab's
                                           parser iterates it) and every entry is valid against
                                           GitLab's own entry schema (tests/schemas/).
  validate_reports.py rdjson SCHEMA FILE   reviewdog's rdjson: the document is valid against
                                           reviewdog's DiagnosticResult schema.
  validate_reports.py junit FILE           JUnit XML read with junitparser; prints what it read
                                           as JSON (suites, cases, results) for the test to check.

Prints every violation and exits 1 if there is any.
"""

import json
import sys

import jsonschema


def validator(schema_path):
    with open(schema_path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema, format_checker=cls.FORMAT_CHECKER)


def report(errors, where=""):
    for e in errors:
        path = "/".join(str(p) for p in e.absolute_path)
        print(f"{where}/{path}: {e.message}")
    return len(errors)


def gitlab(schema_path, path):
    v = validator(schema_path)
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    if not isinstance(document, list):
        print(f"the root is a {type(document).__name__}, not an array")
        return 1
    return sum(report(list(v.iter_errors(entry)), f"/{i}") for i, entry in enumerate(document))


def rdjson(schema_path, path):
    v = validator(schema_path)
    with open(path, encoding="utf-8") as f:
        document = json.load(f)
    return report(list(v.iter_errors(document)))


def junit(path):
    from junitparser import JUnitXml

    xml = JUnitXml.fromfile(path)
    out = {"name": xml.name, "tests": xml.tests, "failures": xml.failures, "suites": []}
    for suite in xml:
        cases = []
        for case in suite:
            cases.append(
                {
                    "name": case.name,
                    "classname": case.classname,
                    "passed": case.is_passed,
                    # Attributes junitparser has no accessor for (Ruff's `line`, `column`).
                    "attributes": dict(case._elem.attrib),
                    "properties": {
                        p.get("name"): p.get("value")
                        for p in case._elem.iter("property")
                    },
                    "results": [
                        {"kind": type(r).__name__, "message": r.message, "text": r.text}
                        for r in case.result
                    ],
                }
            )
        out["suites"].append(
            {
                "name": suite.name,
                "tests": suite.tests,
                "failures": suite.failures,
                "package": suite._elem.get("package"),
                "cases": cases,
            }
        )
    print(json.dumps(out))
    return 0


def main() -> int:
    kind, *args = sys.argv[1:]
    return 1 if {"gitlab": gitlab, "rdjson": rdjson, "junit": junit}[kind](*args) else 0


if __name__ == "__main__":
    sys.exit(main())

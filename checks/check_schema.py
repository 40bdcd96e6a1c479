"""The JSON Schema (draft 2020-12) of `apmdm check --json` output, version 2.

docs/check-json.md shows this schema verbatim (a test keeps the two equal) and explains each
field; tests validate real output against it with ``jsonschema``.
"""

from __future__ import annotations

_COUNT = {"type": "object", "required": ["rows", "failed"], "additionalProperties": False,
          "properties": {"rows": {"type": "integer", "minimum": 0},
                         "failed": {"type": "integer", "minimum": 0}}}
_METRICS = {"type": "object", "additionalProperties": {"type": "integer"}}

SCHEMA: dict = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "apmdm check results",
    "type": "object",
    "required": ["format", "version", "ok", "verdict", "provenance", "counts", "suites",
                 "results"],
    "additionalProperties": False,
    "properties": {
        "format": {"const": "apmdm-check"},
        "version": {"const": 2},
        "ok": {"type": "boolean"},
        "verdict": {"enum": ["ALL HOLD", "FAILED", "ILLUSTRATIONS ONLY"]},
        "provenance": {
            "type": "object",
            "required": ["toolkit", "toolkit_version", "git_commit", "git_dirty", "python",
                         "numpy", "seed", "options", "started", "seconds"],
            "additionalProperties": False,
            "properties": {
                "toolkit": {"const": "apmdm"},
                "toolkit_version": {"type": "string"},
                "git_commit": {"type": ["string", "null"]},
                "git_dirty": {"type": ["boolean", "null"]},
                "python": {"type": "string"},
                "numpy": {"type": "string"},
                "seed": {"type": "integer"},
                "options": {
                    "type": "object",
                    "required": ["theorems", "quick", "compiled", "seed"],
                    "additionalProperties": False,
                    "properties": {"theorems": {"type": "array", "items": {"type": "string"}},
                                   "quick": {"type": "boolean"},
                                   "compiled": {"type": "boolean"},
                                   "seed": {"type": "integer"}},
                },
                "started": {"type": "string", "format": "date-time"},
                "seconds": {"type": "number", "minimum": 0},
            },
        },
        "counts": {
            "type": "object",
            "required": ["rows", "failed", "categories"],
            "additionalProperties": False,
            "properties": {
                "rows": {"type": "integer", "minimum": 0},
                "failed": {"type": "integer", "minimum": 0},
                "categories": {
                    "type": "object",
                    "required": ["proved-instance", "schedule", "illustration"],
                    "additionalProperties": False,
                    "properties": {"proved-instance": _COUNT, "schedule": _COUNT,
                                   "illustration": _COUNT},
                },
            },
        },
        "suites": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["theorem", "name", "compiled", "started", "seconds", "rows",
                             "failed"],
                "additionalProperties": False,
                "properties": {"theorem": {"type": "string"}, "name": {"type": "string"},
                               "compiled": {"type": "boolean"},
                               "started": {"type": "string", "format": "date-time"},
                               "seconds": {"type": "number", "minimum": 0},
                               "rows": {"type": "integer", "minimum": 1},
                               "failed": {"type": "integer", "minimum": 0}},
            },
        },
        "results": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["theorem", "construction", "program", "n", "ok", "category",
                             "relation", "claim", "measured", "bound", "instances",
                             "outputs_equal", "detail", "seconds"],
                "additionalProperties": False,
                "properties": {
                    "theorem": {"type": "string"},
                    "construction": {"type": "string"},
                    "program": {"type": "string"},
                    "n": {"type": "integer"},
                    "ok": {"type": "boolean"},
                    "category": {"enum": ["proved-instance", "schedule", "illustration"]},
                    "relation": {"enum": ["within", "exceeds"]},
                    "claim": {"type": "string"},
                    "measured": _METRICS,
                    "bound": _METRICS,
                    "instances": {"type": "integer", "minimum": 0},
                    "outputs_equal": {"type": "boolean"},
                    "detail": {"type": "string"},
                    "seconds": {"type": ["number", "null"], "minimum": 0},
                },
            },
        },
    },
}

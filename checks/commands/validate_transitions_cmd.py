"""`apmdm validate-transitions FILE`: check process data against the transition g.

Exit status 0 if every line satisfies g(x_k, y_k, c_k) = x_(k+1) with y_k free of MASK and
the lines chain; 1 with ``file:line: what`` for the first inconsistent line; 2 (via the CLI's
error handler) if the file is malformed. Format: ``docs/process-data.md``.
"""

from __future__ import annotations

import argparse
import json
import sys

from machines.transitions import validate_transitions


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate-transitions",
        help="check (x_k, y_k, c_k, x_k+1) JSON Lines against the AP-MDM transition g",
        description="Check every line of an apmdm-transitions file: y_k has no MASK, x_k equals "
                    "the previous line's x_(k+1), and g(x_k, y_k, c_k) = x_(k+1). Exit 0 if all "
                    "hold, 1 naming the first inconsistent line, 2 if the file is malformed.")
    p.add_argument("file", help="an apmdm-transitions JSON Lines file")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    report = validate_transitions(args.file)
    if args.json:
        print(json.dumps({"path": report.path, "ok": report.ok,
                          "transitions": report.transitions, "line": report.line,
                          "problem": report.problem}))
    elif report.ok:
        print(report.message())
    else:
        print(report.message(), file=sys.stderr)
    return 0 if report.ok else 1

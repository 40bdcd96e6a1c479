"""`apmdm validate-transitions FILE` and `apmdm export-transitions TARGET -o FILE`.

``validate-transitions`` checks process data against the transition g.

Exit status 0 if every line satisfies g(x_k, y_k, c_k) = x_(k+1) with y_k free of MASK and
the lines chain; 1 with ``file:line: what`` for the first inconsistent line; 2 (via the CLI's
error handler) if the file is malformed. Format: ``docs/process-data.md``.

``export-transitions`` runs any registered trace target (see `apmdm trace list`) and writes
its run as (x_k, y_k, c_k, x_(k+1)) lines, atomically.
"""

from __future__ import annotations

import argparse
import json
import sys

from apmdm.checks.catalogue import trace_targets
from apmdm.checks.commands.common import add_max_bytes, add_timeout, positive
from apmdm.checks.trace_target import build_run
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.jsonl import check_output_paths, escape_control
from apmdm.machines.process import DEFAULT_MAX_WORK
from apmdm.machines.transitions import export_transitions, validate_transitions


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "validate-transitions",
        help="check (x_k, y_k, c_k, x_k+1) JSON Lines against the AP-MDM transition g",
        description="Check every line of an apmdm-transitions file: y_k has no MASK, x_k equals "
                    "the previous line's x_(k+1), and g(x_k, y_k, c_k) = x_(k+1). Exit 0 if all "
                    "hold, 1 naming the first inconsistent line, 2 if the file is malformed.")
    p.add_argument("file", help="an apmdm-transitions JSON Lines file")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    add_max_bytes(p)
    add_timeout(p)
    p.set_defaults(handler=run)
    e = sub.add_parser(
        "export-transitions",
        help="run a trace target and write its (x_k, y_k, c_k, x_k+1) transitions",
        description="Run a registered trace target (see `apmdm trace list`) and write every step "
                    "as an apmdm-transitions JSON Lines file, atomically.")
    e.add_argument("target", help="a trace target, e.g. task-parity, task-sudoku, task-mincut")
    e.add_argument("--model", help="model (default: the target's only model)")
    e.add_argument("--n", type=int, default=8, help="size parameter (default 8)")
    e.add_argument("--seed", type=int, default=0, help="seed for the input (default 0)")
    e.add_argument("--dense-controls", action="store_true",
                   help="write c_k as one [remask, insert, delete] triple per position")
    e.add_argument("-o", "--output", required=True, help="file to write")
    e.add_argument("--max-work", type=int, default=None, metavar="W",
                   help=f"positions processed by the run, at most (default {DEFAULT_MAX_WORK})")
    add_timeout(e)
    e.set_defaults(handler=run_export)


def run(args: argparse.Namespace) -> int:
    report = validate_transitions(args.file, args.max_bytes)
    if report.ok and report.digest is None:
        print(f"apmdm validate-transitions: warning: {escape_control(report.path)} is a "
              "version-1 file without a content digest; only g was checked", file=sys.stderr)
    if args.json:
        print(json.dumps({"path": report.path, "ok": report.ok,
                          "transitions": report.transitions, "line": report.line,
                          "problem": report.problem, "digest": report.digest}))
    elif report.ok:
        print(report.message())
    else:
        print(report.message(), file=sys.stderr)
    return 0 if report.ok else 1


def run_export(args: argparse.Namespace) -> int:
    targets = trace_targets()
    target = targets.get(args.target)
    if target is None:
        raise InvalidArgumentError(f"unknown trace target {args.target!r}; available: "
                                   + ", ".join(targets))
    model = args.model or (target.models[0] if len(target.models) == 1 else None)
    if model not in target.models:
        raise InvalidArgumentError(f"{args.target}: choose --model from "
                                   + ", ".join(target.models))
    if args.max_work is not None:
        positive(args.max_work, "--max-work")
    check_output_paths({"-o": args.output}, {})
    built = build_run(target, model, args.n, args.seed, args.max_work)
    summary = export_transitions(built.process, built.canvas, built.limits, args.output,
                                 built.construction, built.parameters, args.dense_controls)
    stop = summary.stop.value if summary.stop else "none"
    print(f"{summary.path}: {summary.transitions} transitions of {built.construction} "
          f"(n={args.n}, seed={args.seed}), stop {stop}")
    return 0

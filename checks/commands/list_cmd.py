"""`apmdm list`: what is registered (programs, machines, constructions, tasks)."""

from __future__ import annotations

import argparse
import json

from apmdm.checks.registry import list_entries, load_suites


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "list",
        help="list registered programs, machines, constructions and checks",
        description="List everything registered: PRAM programs with their bounds, "
        "Turing machines, constructions, tasks and check suites.",
    )
    p.add_argument("--kind", help="only entries of this kind (e.g. pram-program)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    entries = list_entries()
    suites = load_suites()
    rows = [(e.kind, e.name, e.summary) for e in entries]
    rows += [("check", s.name, f"Theorem {s.theorem}: {s.description}") for s in suites]
    if args.kind:
        rows = [r for r in rows if r[0] == args.kind]
    if args.json:
        print(json.dumps([{"kind": k, "name": n, "summary": s} for k, n, s in rows], indent=2))
        return 0
    width = max((len(r[1]) for r in rows), default=4)
    kinds = max((len(r[0]) for r in rows), default=4)
    for k, n, s in rows:
        print(f"{k:<{kinds}}  {n:<{width}}  {s}")
    return 0

"""`apmdm list`: every catalogue entry (programs, machines, constructions, compiled
constructions, E-FASP programs, trace targets, check suites)."""

from __future__ import annotations

import argparse
import json

from apmdm.checks.catalogue import Kind, entries


def register(sub: argparse._SubParsersAction) -> None:
    kinds = ", ".join(k.value for k in Kind)
    p = sub.add_parser(
        "list",
        help="list programs, machines, constructions, trace targets and check suites",
        description="List the catalogue: PRAM programs with their bounds, Turing machines, "
        "constructions, compiled constructions, E-FASP programs, trace targets and check "
        f"suites. Kinds: {kinds}.",
    )
    p.add_argument("--kind", help=f"only entries of this kind ({kinds})")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    rows = entries(Kind.parse(args.kind) if args.kind else None)
    if args.json:
        print(json.dumps([e.to_json() for e in rows], indent=2))
        return 0
    kinds = max((len(e.kind.value) for e in rows), default=4)
    width = max((len(e.name) for e in rows), default=4)
    for e in rows:
        print(f"{e.kind.value:<{kinds}}  {e.name:<{width}}  {e.summary}")
    return 0

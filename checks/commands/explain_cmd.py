"""`apmdm explain CONSTRUCTION`: layers, heads, MLP widths and the named residual layout of
a compiled transformer, with its depth and width figures."""

from __future__ import annotations

import argparse
import json

from apmdm.checks.catalogue import build_compiled
from apmdm.constructions.efasp.explain import explain


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("explain", help="describe a compiled transformer (layers, heads, widths)",
                       description="Print the layers, attention heads (what each attends to), "
                                   "MLP widths and the named residual layout of a compiled "
                                   "transformer, plus its depth and width.")
    p.add_argument("construction", help="construction name, e.g. efasp or efasp:reverse")
    p.add_argument("--program", help="program of the construction (e.g. histogram)")
    p.add_argument("--n", type=int, default=16, help="size: max canvas length (default 16)")
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    model = build_compiled(args.construction, args.program, args.n)
    ex = explain(model.spec)
    if args.json:
        print(json.dumps({"construction": args.construction, "program": args.program,
                          "n": args.n, **ex.figures()}, indent=2))
    else:
        print(ex.text)
    return 0

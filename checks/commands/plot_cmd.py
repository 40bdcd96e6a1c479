"""`apmdm plot RESULTS.json -o DIR`: the growth figures of a sweep (PNG and SVG).

Needs matplotlib (``pip install 'apmdm[plot]'``); without it, a one-line error naming the extra.
``--table FILE`` also writes the growth table as Markdown (the table of ``docs/``).
"""

from __future__ import annotations

import argparse

from apmdm.checks.sweep import growth
from apmdm.checks.sweep.plot import write_figures
from apmdm.checks.sweep.results import load_results
from apmdm.machines.jsonl import write_chunks_atomic


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("plot", help="draw the growth figures of a sweep (needs [plot])",
                       description="Write PNG and SVG figures of an `apmdm sweep` results file: "
                                   "per theorem measured vs bound, the ARM/MDM/AP-MDM comparison "
                                   "per PRAM program, and the Turing-machine pair.")
    p.add_argument("results", metavar="RESULTS.json", help="an `apmdm sweep` results file")
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="directory for figures")
    p.add_argument("--table", metavar="FILE", help="also write the growth table as Markdown")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    doc = load_results(args.results)
    paths = write_figures(doc, args.output)
    if args.table:
        rows = growth.analyse(doc["cells"])
        text = growth.render_markdown(growth.table(rows)) + "\n"
        write_chunks_atomic(args.table, (text.encode("utf-8"),))
        paths.append(args.table)
    for path in paths:
        print(path)
    return 0

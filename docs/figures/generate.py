"""Regenerate the growth figures and tables of the docs (one command).

    python docs/figures/generate.py [--workers N] [--resume]

Runs the default sweep (``apmdm sweep --default``; ``--workers`` as for the sweep, default one
per core when dask.distributed is installed), writes ``docs/figures/results.json`` and
``results.json.csv``, the figures (``apmdm plot``: PNG and SVG) into ``docs/figures/``, the full
growth table ``docs/figures/growth-table.md``, and replaces the table between the markers
``<!-- growth-table:begin -->`` / ``<!-- growth-table:end -->`` on the theorem pages with that
theorem's rows. ``--resume`` continues an interrupted run from its journal. Exit status: the
sweep's (non-zero if a cell fails or the data contradicts a claim). Needs the ``[plot]`` extra.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time

from apmdm.checks.cli import main as apmdm
from apmdm.checks.sweep import growth
from apmdm.checks.sweep.plot import write_figures
from apmdm.checks.sweep.results import journal_path, load_results
from apmdm.machines.jsonl import write_chunks_atomic

HERE = os.path.dirname(os.path.abspath(__file__))
DOCS = os.path.dirname(HERE)
RESULTS = os.path.join(HERE, "results.json")
PAGES = {"1": "theorem-1.md", "4": "theorem-4.md"}
BEGIN, END = "<!-- growth-table:begin -->", "<!-- growth-table:end -->"


def replace_block(text: str, block: str) -> str:
    pattern = re.compile(re.escape(BEGIN) + ".*?" + re.escape(END), re.S)
    if not pattern.search(text):
        raise SystemExit(f"generate.py: no {BEGIN} ... {END} block on the page")
    return pattern.sub(lambda _: f"{BEGIN}\n{block}\n{END}", text)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    sweep = ["sweep", "--default", "-o", RESULTS]
    if args.workers is not None:
        sweep += ["--workers", str(args.workers)]
    if args.resume and os.path.exists(journal_path(RESULTS)):
        sweep += ["--resume", journal_path(RESULTS)]
    start = time.monotonic()
    status = apmdm(sweep)
    if status == 2:
        return status
    doc = load_results(RESULTS)
    for path in write_figures(doc, HERE):
        print(os.path.relpath(path, DOCS))
    rows = growth.analyse(doc["cells"])
    write_chunks_atomic(os.path.join(HERE, "growth-table.md"),
                        ((growth.render_markdown(growth.table(rows)) + "\n").encode(),))
    for theorem, page in PAGES.items():
        mine = [r for r in rows if r.theorem == theorem]
        path = os.path.join(DOCS, page)
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        new = replace_block(text, growth.render_markdown(growth.table(mine)))
        write_chunks_atomic(path, (new.encode("utf-8"),))
    print(f"generate.py: sweep and figures in {time.monotonic() - start:.0f} s wall",
          file=sys.stderr)
    return status


if __name__ == "__main__":
    sys.exit(main())

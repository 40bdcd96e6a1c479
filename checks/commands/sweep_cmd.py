"""`apmdm sweep`: run constructions over a geometric range of n and analyse their growth.

A thin layer over :mod:`apmdm.checks.sweep`: builds the plan (``--default``, or
``--construction`` / ``--program`` / ``--n``), runs it in-process (``--workers 1``) or on Dask
(``--workers N``: a loopback-only local cluster; ``--scheduler tcp://HOST:PORT``: an existing
one), appends each finished cell to ``RESULTS.journal`` as it arrives, writes ``RESULTS`` (JSON,
byte-identical whatever the workers) and ``RESULTS.csv`` atomically, and prints the growth table.
Exit status 0 only if every cell holds its bound and no claim is contradicted by the data.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

from apmdm.checks.progress import Progress
from apmdm.checks.sweep import growth
from apmdm.checks.sweep.plan import (
    DEFAULT_CAPS,
    DEFAULT_PROGRAMS,
    SweepPlan,
    build_plan,
    construction_names,
    default_plan,
    parse_sizes,
)
from apmdm.checks.sweep.results import (
    Journal,
    csv_text,
    dumps_results,
    journal_path,
    read_journal,
    results_document,
)
from apmdm.checks.sweep.runner import run_plan
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.jsonl import write_chunks_atomic

COMPILED = {"pram-mdm": "pram-mdm-compiled", "pram-apmdm": "pram-apmdm-compiled"}


def default_workers() -> int:
    """One worker per core when dask.distributed is installed (found without importing it),
    else 1 (in-process)."""
    if importlib.util.find_spec("distributed") is None:
        return 1
    return max(1, os.cpu_count() or 1)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="run constructions over n = 4..4096 and fit their growth",
                       description="Run constructions on programs over a geometric range of n, "
                                   "record steps/context/tokens against the reference machine and "
                                   "the bound, fit log-log slopes against n and against the "
                                   "theorem's resource, and fail if the data contradicts a claim. "
                                   "Format: docs/sweep.md.")
    p.add_argument("--default", action="store_true",
                   help="the default sweep (the docs figures); the other plan options are ignored")
    p.add_argument("--construction", action="append", metavar="NAME",
                   choices=construction_names(),
                   help=f"construction to run (repeatable): {', '.join(construction_names())}")
    p.add_argument("--program", action="append", metavar="NAME|FILE.pram",
                   help="PRAM library program, PRAM assembly file, or TM library machine "
                        "(repeatable; default: prefix-sum, sum, zeros-then-ones)")
    p.add_argument("--n", default="4..4096", metavar="A..B|LIST",
                   help="sizes: powers of two from A to B, or a list (default 4..4096)")
    p.add_argument("--no-caps", action="store_true",
                   help="ignore the per-construction size caps of the default sweep")
    p.add_argument("--compiled", action="store_true",
                   help="use the compiled transformer as next-step function (PRAM MDM/AP-MDM)")
    p.add_argument("--seed", type=int, default=0, help="seed for the inputs")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="1: in-process (no Dask); N >= 2: a local Dask cluster on 127.0.0.1 "
                        "(default: one per core if dask.distributed is installed, else 1)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT", help="use an existing Dask cluster")
    p.add_argument("-o", "--output", default="sweep-results.json", metavar="FILE",
                   help="results JSON (also FILE.csv, and FILE.journal while running)")
    p.add_argument("--resume", metavar="FILE",
                   help="a journal (or results JSON) of an earlier run: skip its finished cells")
    p.set_defaults(handler=run)


def plan_from_args(args: argparse.Namespace) -> SweepPlan:
    if args.default:
        return default_plan(args.seed)
    names = args.construction or ["pram-arm", "pram-mdm", "pram-apmdm", "tm-arm", "tm-apmdm"]
    if args.compiled:
        names = [COMPILED.get(n, n) for n in names]
    programs: dict[str, list[str]] = {k: list(v) for k, v in DEFAULT_PROGRAMS.items()}
    if args.program:
        from apmdm.machines.tm_library import LIBRARY as TM_LIBRARY
        programs = {"pram": [p for p in args.program if p not in TM_LIBRARY],
                    "tm": [p for p in args.program if p in TM_LIBRARY]}
    for program in programs["pram"]:
        validate_pram_program(program)
    caps = None if args.no_caps else DEFAULT_CAPS
    return build_plan(names, programs, parse_sizes(args.n), args.seed, caps)


def validate_pram_program(program: str) -> None:
    """Fail before any cell runs: a library name must exist, a file must parse."""
    from apmdm.checks.sweep.cells import is_program_file
    if is_program_file(program):
        from apmdm.machines.pram.assembly import load_program_file
        load_program_file(program)
        return
    from apmdm.machines.pram.library import LIBRARY
    if program not in LIBRARY:
        raise InvalidArgumentError(f"--program {program!r}: not a PRAM library program, a Turing "
                                   "machine of the TM library, or a .pram file")


def run(args: argparse.Namespace) -> int:
    plan = plan_from_args(args)
    workers = args.workers if args.workers is not None else default_workers()
    if workers < 1:
        raise InvalidArgumentError(f"--workers {workers}: expected at least 1")
    out = args.output
    done = read_journal(args.resume) if args.resume else {}
    kept = [(c, done[c]) for c in plan.cells if c in done]
    journal = Journal(journal_path(out), kept)
    try:
        with Progress(len(plan), "sweep") as bar:
            results = run_plan(plan, workers=workers, scheduler=args.scheduler, journal=journal,
                               done=dict(kept), progress=bar)
    finally:
        journal.close()
    records = [r.record for r in results]
    rows = growth.analyse(records)
    bad_rows = growth.contradicted(rows)
    ok = all(r["ok"] for r in records) and not bad_rows
    doc = results_document(records, args.seed, [r.to_json() for r in rows], ok)
    write_chunks_atomic(out, (dumps_results(doc),))
    write_chunks_atomic(out + ".csv", (csv_text(results).encode("utf-8"),))
    os.unlink(journal.path)
    print(growth.render_text(growth.table(rows)))
    failed = sum(1 for r in records if not r["ok"])
    seconds = sum(r.seconds for r in results)
    print(f"\n{len(records)} cells ({len(kept)} resumed), {failed} failed, "
          f"{len(bad_rows)} claims contradicted; cell time {seconds:.1f}s; "
          f"results: {out}, {out}.csv")
    if not ok:
        print("apmdm sweep: FAILED", file=sys.stderr)
    return 0 if ok else 1

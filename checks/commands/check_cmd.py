"""`apmdm check [THEOREM...]`: run the registered theorem checkers and print measured vs bound.

Generic over :func:`apmdm.checks.catalogue.suites`: every :class:`CheckSuite` whose
theorem id is selected (all by default) runs its default sweep (``--quick``: a smaller one)
and returns :class:`CheckRow` results. The command prints

* a summary, one row per construction: instances checked, whether all outputs were equal, the
  largest measured/bound ratio for steps and for context (and for any other metric a suite
  reports), the time the suite took, and the verdict;
* unless ``--brief``, the detail rows (program, size, measured (bound) per metric), sorted so
  that the constructions checked on the same program and size sit next to each other.

``--json -`` prints ``{"version": 1, "ok": bool, "results": [row, ...]}`` to stdout instead
of the tables; ``--json FILE`` writes it atomically and still prints the tables. The exit
status is 0 only if every row holds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from apmdm.checks.catalogue import suites as catalogue_suites
from apmdm.checks.suite import CheckOptions, CheckRow, CheckSuite
from apmdm.machines.errors import InvalidArgumentError

JSON_VERSION = 1


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("check", help="run the theorem checkers and compare measurements "
                                     "with the bounds",
                       description="Run the construction checkers of the selected theorems "
                                   "(all by default) on their default sweep and print measured "
                                   "steps/context against the bounds. Exit status 0 only if "
                                   "everything holds.")
    p.add_argument("theorems", nargs="*", metavar="THEOREM",
                   help="theorem ids to check (e.g. 1 4); default: all registered")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON ('-' = stdout)")
    p.add_argument("--quick", action="store_true", help="a smaller sweep")
    p.add_argument("--seed", type=int, default=0, help="seed for inputs and random programs")
    p.add_argument("--compiled", action="store_true",
                   help="use compiled transformers as next-step functions where supported")
    p.add_argument("--brief", action="store_true", help="print the summary only")
    p.set_defaults(handler=run)


def select_suites(theorems: list[str]) -> list[CheckSuite]:
    suites = list(catalogue_suites())
    if not theorems:
        return suites
    known = sorted({s.theorem for s in suites})
    unknown = [t for t in theorems if t not in known]
    if unknown:
        raise InvalidArgumentError(f"no checker registered for theorem {unknown[0]!r} "
                                   f"(registered: {', '.join(known) or 'none'})")
    return [s for s in suites if s.theorem in theorems]


def run_suites(suites: list[CheckSuite], options: CheckOptions) -> tuple[list[CheckRow], dict]:
    rows: list[CheckRow] = []
    seconds: dict[str, float] = {}
    for suite in suites:
        start = time.perf_counter()
        try:
            got = list(suite.run(options))
        except Exception as exc:  # a crashing suite is a failed check, reported, not a traceback
            got = [CheckRow(suite.theorem, suite.name, "<suite>", 0, False, {}, {}, 0, False,
                            f"suite crashed: {type(exc).__name__}: {exc}")]
        if not got:
            got = [CheckRow(suite.theorem, suite.name, "<suite>", 0, False, {}, {}, 0, False,
                            "suite returned no results")]
        elapsed = time.perf_counter() - start
        for name in {r.construction for r in got}:   # a suite's time, per construction it ran
            seconds[name] = seconds.get(name, 0.0) + elapsed
        rows.extend(got)
    return rows, seconds


def ratio(measured: int, bound: int) -> float:
    if bound <= 0:
        return 0.0 if measured <= 0 else float("inf")
    return measured / bound


def summary(rows: list[CheckRow], seconds: dict[str, float]) -> list[list[str]]:
    table = [["theorem", "construction", "instances", "outputs equal", "max steps/bound",
              "max context/bound", "other (max ratio)", "seconds", "verdict"]]
    keys = sorted({(r.theorem, r.construction) for r in rows})
    for theorem, name in keys:
        mine = [r for r in rows if (r.theorem, r.construction) == (theorem, name)]
        metrics = sorted({m for r in mine for m in r.measured})
        worst = {m: max((ratio(r.measured[m], r.bound[m]) for r in mine
                         if m in r.measured and m in r.bound), default=None) for m in metrics}
        other = ", ".join(f"{m} {_fmt(worst[m])}" for m in metrics
                          if m not in ("steps", "context"))
        table.append([theorem, name, str(sum(r.instances for r in mine)),
                      "yes" if all(r.outputs_equal for r in mine) else "NO",
                      _fmt(worst.get("steps")), _fmt(worst.get("context")), other or "-",
                      f"{seconds.get(name, 0.0):.1f}",
                      "ok" if all(r.ok for r in mine) else "FAIL"])
    return table


def details(rows: list[CheckRow]) -> list[list[str]]:
    table = [["program", "n", "theorem", "construction", "steps (bound)", "context (bound)",
              "other (bound)", "ok", "detail"]]
    for r in sorted(rows, key=lambda r: (r.program, r.n, r.theorem, r.construction)):
        other = ", ".join(f"{m} {v} ({r.bound.get(m, '?')})" for m, v in r.measured.items()
                          if m not in ("steps", "context"))
        table.append([r.program, str(r.n), r.theorem, r.construction,
                      _pair(r, "steps"), _pair(r, "context"), other or "-",
                      "ok" if r.ok else "FAIL", r.detail])
    return table


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def _pair(r: CheckRow, metric: str) -> str:
    if metric not in r.measured:
        return "-"
    return f"{r.measured[metric]} ({r.bound.get(metric, '?')})"


def render(table: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for k, row in enumerate(table):
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def to_json(rows: list[CheckRow]) -> dict:
    return {"version": JSON_VERSION, "ok": bool(rows) and all(r.ok for r in rows),
            "results": [r.to_json() for r in rows]}


def run(args: argparse.Namespace) -> int:
    suites = select_suites(args.theorems)
    if not suites:
        raise InvalidArgumentError("no check suites are registered")
    options = CheckOptions(seed=args.seed, compiled=args.compiled, quick=args.quick)
    rows, seconds = run_suites(suites, options)
    doc = to_json(rows)
    text = json.dumps(doc, indent=1, sort_keys=False) + "\n"
    if args.json == "-":
        sys.stdout.write(text)
    else:
        if args.json:
            from apmdm.machines.trace import write_atomic
            write_atomic(args.json, text.encode("utf-8"))
        print(render(summary(rows, seconds)))
        if not args.brief:
            print()
            print(render(details(rows)))
        print()
        failed = sum(1 for r in rows if not r.ok)
        print(f"{len(rows)} rows, {failed} failed: {'ALL HOLD' if not failed else 'FAILED'}")
    return 0 if doc["ok"] else 1

"""`apmdm check [THEOREM...]`: run the registered theorem checkers and print measured vs bound.

Generic over :func:`apmdm.checks.catalogue.suites`. What runs (docs/check-json.md):

* ``apmdm check``: every plain (function-level) suite of the selected theorems (all by
  default): schedules, contrasts and illustrations;
* ``apmdm check --compiled``: the transformer-level suites instead, those whose next-step
  function is a compiled exact transformer (Theorems 1, 3 and 4). Naming a theorem without
  a compiled construction is a one-line error, never a silent plain run.

Every row has a category (``proved-instance``, ``schedule``, ``illustration``), a relation
(``within``/``exceeds``) and a claim. The command prints

* a summary, one row per construction: category, instances checked, whether all outputs
  were equal, the largest measured/bound ratio for steps and for context (and any other
  metric; for an ``exceeds`` row the smallest factor by which it exceeds), the rows' own time,
  and the verdict;
* unless ``--brief``, the detail rows (program, size, measured (bound) per metric, claim);
* the counts per category and per suite time; the verdict ALL HOLD needs no failed row and at
  least one row that is not an illustration (illustrations alone never hold anything).

``--json -`` prints the results (schema version 2, docs/check-json.md) to stdout instead of
the tables; ``--json FILE`` writes them atomically and still prints the tables. The exit status
is 0 only if the verdict is ALL HOLD.
"""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import time
from dataclasses import dataclass, replace

from apmdm.checks.progress import Progress
from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, Relation
from apmdm.machines.errors import CheckerUnavailableError, InvalidArgumentError

JSON_FORMAT = "apmdm-check"
JSON_VERSION = 2
ALL_HOLD, FAILED, ILLUSTRATIONS_ONLY = "ALL HOLD", "FAILED", "ILLUSTRATIONS ONLY"


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
                   help="run the transformer-level suites (compiled exact transformers as f; "
                        "theorems 1, 3, 4) instead of the function-level ones")
    p.add_argument("--brief", action="store_true", help="print the summary only")
    p.set_defaults(handler=run)


def catalogue_suites() -> tuple[CheckSuite, ...]:
    """The catalogue's suites; a checker module that fails to import is a typed error."""
    try:
        from apmdm.checks.catalogue import suites
        return suites()
    except ImportError as exc:
        raise CheckerUnavailableError(f"a checker cannot be imported: {type(exc).__name__}: "
                                      f"{exc}") from None


def select_suites(theorems: list[str], compiled: bool = False) -> list[CheckSuite]:
    """The suites of ``theorems`` (all if empty) at the requested level (see module doc)."""
    every = list(catalogue_suites())
    known = sorted({s.theorem for s in every})
    unknown = [t for t in theorems if t not in known]
    if unknown:
        raise InvalidArgumentError(f"no checker registered for theorem {unknown[0]!r} "
                                   f"(registered: {', '.join(known) or 'none'})")
    chosen = [s for s in every if not theorems or s.theorem in theorems]
    level = [s for s in chosen if s.compiled == compiled]
    missing = [t for t in (theorems or []) if not any(s.theorem == t for s in level)]
    if compiled and missing:
        have = sorted({s.theorem for s in every if s.compiled})
        raise InvalidArgumentError(f"--compiled: theorem {missing[0]} has no compiled "
                                   f"construction (compiled suites exist for theorems "
                                   f"{', '.join(have)})")
    if missing:
        raise InvalidArgumentError(f"theorem {missing[0]} has only compiled suites; "
                                   "use --compiled")
    if not level:
        raise InvalidArgumentError("no check suites are registered for this selection")
    return level


@dataclass(frozen=True)
class SuiteRun:
    """When a suite ran and how long it took (wall clock)."""

    theorem: str
    name: str
    compiled: bool
    started: str   # UTC, ISO 8601
    seconds: float
    rows: int
    failed: int

    def to_json(self) -> dict:
        return {"theorem": self.theorem, "name": self.name, "compiled": self.compiled,
                "started": self.started, "seconds": round(self.seconds, 3), "rows": self.rows,
                "failed": self.failed}


def _failed_row(suite: CheckSuite, detail: str) -> CheckRow:
    return CheckRow(suite.theorem, suite.name, "<suite>", 0, False, {}, {}, 0, False, detail)


def consistent(row: CheckRow) -> CheckRow:
    """Fail closed on a checker bug: a row that says ok while its measured/bound pairs
    contradict its relation becomes a failed row."""
    if row.ok and not row.relation_holds():
        return replace(row, ok=False, detail=f"{row.detail}; row says ok but measured/bound "
                                             f"contradict its relation {row.relation.value!r}")
    return row


def run_suites(suites: list[CheckSuite], options: CheckOptions,
               progress: Progress | None = None) -> tuple[list[CheckRow], list[SuiteRun]]:
    rows: list[CheckRow] = []
    runs: list[SuiteRun] = []
    for suite in suites:
        if progress is not None:   # stderr, and only on a terminal (apmdm.checks.progress)
            progress.current(f"theorem {suite.theorem}: {suite.name}")
        started = _utc_now()
        start = time.perf_counter()
        try:
            got = [consistent(r) for r in suite.run(options)]
        except ImportError as exc:   # a missing module is an error, never a skipped check
            got = [_failed_row(suite, f"import error: {type(exc).__name__}: {exc}")]
        except Exception as exc:  # a crashing suite is a failed check, reported, not a traceback
            got = [_failed_row(suite, f"suite crashed: {type(exc).__name__}: {exc}")]
        if not got:
            got = [_failed_row(suite, "suite returned no results")]
        elapsed = time.perf_counter() - start
        runs.append(SuiteRun(suite.theorem, suite.name, suite.compiled, started, elapsed,
                             len(got), sum(1 for r in got if not r.ok)))
        rows.extend(got)
        if progress is not None:
            progress.advance(f"theorem {suite.theorem}: {suite.name}")
    return rows, runs


def verdict(rows: list[CheckRow]) -> str:
    if not rows or any(not r.ok for r in rows):
        return FAILED
    if all(r.category is Category.ILLUSTRATION for r in rows):
        return ILLUSTRATIONS_ONLY
    return ALL_HOLD


def category_counts(rows: list[CheckRow]) -> dict[str, dict[str, int]]:
    return {c.value: {"rows": sum(1 for r in rows if r.category is c),
                      "failed": sum(1 for r in rows if r.category is c and not r.ok)}
            for c in Category}


def ratio(measured: int, bound: int) -> float:
    if bound <= 0:
        return 0.0 if measured <= 0 else float("inf")
    return measured / bound


def _worst(rows: list[CheckRow], metric: str) -> str:
    """Largest measured/bound over ``within`` rows; smallest over ``exceeds`` rows."""
    pairs = [(r.relation, ratio(r.measured[metric], r.bound[metric])) for r in rows
             if metric in r.measured and metric in r.bound]
    within = [x for rel, x in pairs if rel is Relation.WITHIN]
    exceeds = [x for rel, x in pairs if rel is Relation.EXCEEDS]
    parts = ([f"{max(within):.2f}"] if within else []) + (
        [f"exceeds x{min(exceeds):.2f}"] if exceeds else [])
    if not parts:
        return "measured" if any(metric in r.measured for r in rows) else "-"
    return ", ".join(parts)


def _own_seconds(rows: list[CheckRow]) -> str:
    """Sum of the rows' own times (rows computed together with others carry None and are not
    counted; their time is in the suite's)."""
    timed = [r.seconds for r in rows if r.seconds is not None]
    return f"{sum(timed):.1f}" if timed else "-"


def summary(rows: list[CheckRow]) -> list[list[str]]:
    table = [["theorem", "construction", "category", "instances", "outputs equal",
              "max steps/bound", "max context/bound", "other (max ratio)", "seconds", "verdict"]]
    keys = sorted({(r.theorem, r.construction, r.category.value) for r in rows})
    for theorem, name, category in keys:
        mine = [r for r in rows if (r.theorem, r.construction, r.category.value)
                == (theorem, name, category)]
        metrics = sorted({m for r in mine for m in r.measured} - {"steps", "context"})
        other = ", ".join(f"{m} {_worst(mine, m)}" for m in metrics)
        table.append([theorem, name, category, str(sum(r.instances for r in mine)),
                      "yes" if all(r.outputs_equal for r in mine) else "NO",
                      _worst(mine, "steps"), _worst(mine, "context"), other or "-",
                      _own_seconds(mine), "ok" if all(r.ok for r in mine) else "FAIL"])
    return table


def details(rows: list[CheckRow]) -> list[list[str]]:
    table = [["program", "n", "theorem", "construction", "steps (bound)", "context (bound)",
              "other (bound)", "ok", "claim; detail"]]
    for r in sorted(rows, key=lambda r: (r.program, r.n, r.theorem, r.construction)):
        other = ", ".join(f"{m} {_pair(r, m)}" for m in r.measured
                          if m not in ("steps", "context"))
        text = "; ".join(x for x in (r.claim, r.detail) if x)
        table.append([r.program, str(r.n), r.theorem, r.construction,
                      _pair(r, "steps"), _pair(r, "context"), other or "-",
                      "ok" if r.ok else "FAIL", text])
    return table


def _pair(r: CheckRow, metric: str) -> str:
    if metric not in r.measured:
        return "-"
    if metric not in r.bound:
        return f"{r.measured[metric]} (measured)"
    sign = "> " if r.relation is Relation.EXCEEDS else ""
    return f"{r.measured[metric]} ({sign}{r.bound[metric]})"


def render(table: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    lines = []
    for k, row in enumerate(table):
        cells = [c.ljust(w) for c, w in zip(row, widths, strict=True)]
        lines.append("  ".join(cells).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def footer(rows: list[CheckRow], runs: list[SuiteRun]) -> str:
    counts = category_counts(rows)
    failed = sum(1 for r in rows if not r.ok)
    per = ", ".join(f"{c} {v['rows']} ({v['failed']} failed)" for c, v in counts.items())
    lines = ["suite times: " + ", ".join(f"{s.name} {s.seconds:.1f}s" for s in runs),
             f"{len(rows)} rows, {failed} failed: {per}"]
    v = verdict(rows)
    note = ""
    if v == ILLUSTRATIONS_ONLY:
        note = " (illustrations alone hold nothing)"
    elif v == ALL_HOLD and not counts[Category.PROVED_INSTANCE.value]["rows"]:
        note = " (no transformer-level row: the schedules hold; see --compiled)"
    lines.append(v + note)
    return "\n".join(lines)


def to_json(rows: list[CheckRow], runs: list[SuiteRun] | None = None,
            provenance: dict | None = None) -> dict:
    v = verdict(rows)
    return {"format": JSON_FORMAT, "version": JSON_VERSION, "ok": v == ALL_HOLD, "verdict": v,
            "provenance": provenance or {},
            "counts": {"rows": len(rows), "failed": sum(1 for r in rows if not r.ok),
                       "categories": category_counts(rows)},
            "suites": [s.to_json() for s in runs or []],
            "results": [r.to_json() for r in rows]}


def _utc_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def run(args: argparse.Namespace) -> int:
    from apmdm.machines.provenance import provenance

    suites = select_suites(args.theorems, args.compiled)
    options = CheckOptions(seed=args.seed, compiled=args.compiled, quick=args.quick)
    started, start = _utc_now(), time.perf_counter()
    with Progress(len(suites), "check") as bar:
        rows, runs = run_suites(suites, options, bar)
    prov = provenance(args.seed, {"theorems": list(args.theorems), "quick": args.quick,
                                  "compiled": args.compiled, "seed": args.seed})
    prov.update(started=started, seconds=round(time.perf_counter() - start, 3))
    doc = to_json(rows, runs, prov)
    text = json.dumps(doc, indent=1, sort_keys=False) + "\n"
    if args.json == "-":
        sys.stdout.write(text)
    else:
        if args.json:
            from apmdm.machines.trace import write_atomic
            write_atomic(args.json, text.encode("utf-8"))
        print(render(summary(rows)))
        if not args.brief:
            print()
            print(render(details(rows)))
        print()
        print(footer(rows, runs))
    return 0 if doc["ok"] else 1

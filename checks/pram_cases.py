"""PRAM instances for the Theorem 1 and 4 checkers: library programs, random programs, rows.

A :class:`PramCase` is one (program, input, variant) with the bounds a construction is compiled
with: the library's declared ``T(n)`` and ``S(n)`` when the program comes from the library, the
interpreter's measured running time and memory span otherwise (the tightest valid bounds).

:func:`check_case` runs one construction on one case next to the PRAM interpreter and returns a
:class:`~apmdm.checks.suite.CheckRow`: outputs compared cell by cell, steps and context measured by
the generation loop's own counters, and both held against the construction's bound.
:func:`random_rows` draws random valid halting programs with the hypothesis strategies of
:mod:`checks.strategies` (seeded, no example database), checks each one, and on a failure lets
hypothesis shrink it to a minimal failing program, reported in the row's ``detail``.
"""

from __future__ import annotations

import dataclasses
import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from hypothesis import HealthCheck, Verbosity, given, settings
from hypothesis import seed as hypothesis_seed
from hypothesis.strategies import SearchStrategy

from apmdm.checks.strategies import PramInstance, mixed_pram_instances
from apmdm.checks.suite import CheckOptions, CheckRow
from apmdm.checks.tightness import held_from_below
from apmdm.machines.errors import ApmdmError
from apmdm.machines.pram import PRAM, PRAMResult, Program, Variant

RANDOM_LABEL = "random-programs"


@dataclass(frozen=True)
class PramCase:
    """One instance: ``size`` is the library's size parameter (the input length otherwise)."""

    label: str
    program: Program
    inputs: tuple[int, ...]
    variant: Variant
    size: int
    time_bound: int | None = None
    memory_bound: int | None = None

    def reference(self) -> PRAMResult:
        """The PRAM interpreter's run (memoised: several constructions check one case)."""
        return _reference(self)


@functools.lru_cache(maxsize=256)
def _reference(case: PramCase) -> PRAMResult:
    return PRAM(case.program, case.variant).run(case.inputs)


@dataclass(frozen=True)
class Outcome:
    """What one construction did on one case (before it becomes a row)."""

    output: tuple[int, ...] | None
    steps: int
    context: int
    error: str = ""
    # further measured metrics (e.g. the compiled transformer's depth and width), each held
    # against the bound of the same name
    extra: tuple[tuple[str, int], ...] = ()

    def measured(self) -> dict[str, int]:
        return {"steps": self.steps, "context": self.context, **dict(self.extra)}


def with_slack(out: Outcome, bound: dict[str, int],
               allowed: dict[str, int]) -> tuple[Outcome, dict[str, int]]:
    """Hold ``out``'s metrics in ``allowed`` from below too (:mod:`apmdm.checks.tightness`)."""
    measured, full = held_from_below(out.measured(), bound, allowed)
    extra = tuple((k, v) for k, v in measured.items() if k not in ("steps", "context"))
    return dataclasses.replace(out, extra=extra), full


# A runner compiles a construction for a case, runs it, and returns its Outcome together with
# the bound dict; it receives the reference result for the sizes it may use (T, S, P).
Runner = Callable[[PramCase, PRAMResult], tuple[Outcome, dict[str, int]]]


def check_case(theorem: str, construction: str, case: PramCase, runner: Runner) -> CheckRow:
    """One row for one case; ``seconds`` is this case's own time (reference run included)."""
    start = time.perf_counter()
    ref = case.reference()
    c = ref.counters
    try:
        outcome, bound = runner(case, ref)
    except ApmdmError as exc:
        outcome, bound = Outcome(None, 0, 0, f"{type(exc).__name__}: {exc}"), {"steps": 0,
                                                                                "context": 0}
    equal = outcome.output == ref.output
    measured = outcome.measured()
    within = all(measured.get(k, 0) <= v for k, v in bound.items()) and set(measured) <= set(bound)
    detail = (f"input length {len(case.inputs)}, P={c.processors} T={c.time} S={c.memory_span}"
              + (f" T_bound={case.time_bound}" if case.time_bound else "")
              + (f" S_bound={case.memory_bound}" if case.memory_bound else ""))
    if outcome.error:
        detail += f"; {outcome.error}"
    elif not equal:
        detail += "; output differs from the PRAM interpreter's"
    return CheckRow(theorem, construction, case.label, case.size, equal and within and
                    not outcome.error, measured, dict(bound), 1, equal, detail,
                    seconds=time.perf_counter() - start)


def case_rows(theorem: str, construction: str, cases: list[PramCase],
              runner: Runner) -> list[CheckRow]:
    """One row per case; zero cases is one failing row (a sweep that checks nothing fails)."""
    if not cases:
        return [CheckRow(theorem, construction, "library", 0, False, {}, {}, 0, False,
                         "no case selected: a sweep with zero cases fails")]
    return [check_case(theorem, construction, case, runner) for case in cases]


# --- library programs --------------------------------------------------------------------------


def library_programs() -> dict:
    """The PRAM program library. An import error propagates: a missing library is an error,
    never a silently shorter sweep."""
    from apmdm.machines.pram.library import LIBRARY

    return dict(LIBRARY)


SIZES = (4, 8, 16, 32, 64)
QUICK_SIZES = (4, 8)


def library_cases(sizes: tuple[int, ...], seed: int) -> list[PramCase]:
    """One case per (library program, size in ``sizes`` it allows): input from
    ``make_input(n, Random)``, compiled with the declared bounds T(n) and S(n)."""
    cases = []
    for name, lib in sorted(library_programs().items()):
        for n in sizes:
            if n not in lib.sizes:
                continue
            rng = random.Random(f"{seed}:{name}:{n}")
            bounds = lib.bounds.at(n)
            cases.append(PramCase(name, lib.program, tuple(lib.make_input(n, rng)), lib.variant,
                                  n, bounds.time, max(bounds.memory, 1)))
    return cases


def sweep_sizes(options: CheckOptions) -> tuple[int, ...]:
    return QUICK_SIZES if options.quick else SIZES


def declared_sizes(case: PramCase) -> tuple[int, int, int]:
    """(P, T_bound, S_bound) without running the program (for sweep budgets)."""
    n = len(case.inputs)
    return (case.program.processor_count(n), case.time_bound or 1,
            case.memory_bound or max(n, 1))


# --- random programs ---------------------------------------------------------------------------


def case_from_instance(inst: PramInstance) -> PramCase:
    return PramCase(RANDOM_LABEL, inst.program, inst.inputs, inst.variant, len(inst.inputs))


def random_rows(theorem: str, construction: str, runner: Runner, options: CheckOptions,
                count: int, instances: SearchStrategy | None = None) -> list[CheckRow]:
    """Check ``count`` random programs (drawn from ``instances``, default
    :func:`mixed_pram_instances`: random programs plus halt-right-after-store programs);
    one aggregated row (plus the shrunk failure, if any)."""
    rows: list[CheckRow] = []
    failures: list[CheckRow] = []

    @hypothesis_seed(options.seed)
    @settings(max_examples=count, deadline=None, database=None, verbosity=Verbosity.quiet,
              suppress_health_check=list(HealthCheck))
    @given(mixed_pram_instances() if instances is None else instances)
    def prop(inst: PramInstance) -> None:
        row = check_case(theorem, construction, case_from_instance(inst), runner)
        if not row.ok:
            failures.append(row)
            raise AssertionError(row.detail)
        if not failures:
            rows.append(row)

    start = time.perf_counter()
    try:
        prop()
    except AssertionError:
        pass
    seconds = time.perf_counter() - start
    if not rows and not failures:   # fail closed: a sweep that checked nothing is a failure
        return [CheckRow(theorem, construction, RANDOM_LABEL, 0, False, {}, {}, 0, False,
                         "no random program was checked", seconds=seconds)]
    out = [replace(aggregate(rows, failures[-1] if failures else None), seconds=seconds)]
    if failures:
        shrunk = failures[-1]
        out.append(CheckRow(shrunk.theorem, shrunk.construction, "random-minimal-failure",
                            shrunk.n, False, shrunk.measured, shrunk.bound, 1,
                            shrunk.outputs_equal, shrunk.detail, seconds=shrunk.seconds))
    return out


def aggregate(rows: list[CheckRow], failure: CheckRow | None) -> CheckRow:
    """One row for many random instances: each metric from the instance with its largest ratio."""
    every = rows + ([failure] if failure else [])
    first = every[0]
    measured, bound = {}, {}
    metrics = list(dict.fromkeys(m for r in every for m in r.measured))
    for metric in metrics:
        worst = max(every, key=lambda r: r.measured.get(metric, 0) / max(r.bound.get(metric, 0), 1))
        measured[metric], bound[metric] = worst.measured.get(metric, 0), worst.bound.get(metric, 0)
    ok = all(r.ok for r in every)
    detail = (f"{len(every)} random programs (1-4 processors, inputs of length 0-6); each "
              "metric shown for the instance with the largest measured/bound ratio")
    if failure:
        detail += "; FAILED (see random-minimal-failure)"
    return CheckRow(first.theorem, first.construction, RANDOM_LABEL,
                    max(r.n for r in every), ok, measured, bound, len(every),
                    all(r.outputs_equal for r in every), detail)

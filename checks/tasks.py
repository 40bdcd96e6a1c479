"""Check suite "tasks" (theorem id "task"): the paper's tasks run as constructed AP-MDMs.

Each row runs a task process on a batch of instances of one size and checks the answer
against an independent reference (parity: ``sum(bits) % 2``; Sudoku: a validity check of
the final board and equality with the generator's unique solution; min-cut: networkx's
minimum cut value equals the number of deleted edges, the result is a subgraph of the input
and s cannot reach t). Measured: ``steps``, ``context`` (max canvas length),
``tokens_written`` (unmask operations, i.e. tokens an MDM/ARM would need fresh slots for)
and ``edits`` (all unmask/remask/insert/delete operations). Bounds: parity steps ≤ 2n + 1
and context ≤ n + 1; Sudoku context = 4m² (constant); min-cut steps ≤ F(2N+1) + 2N + 3 and
context ≤ initial + N + E. A row is ok iff every instance is correct and within its bounds;
where bounds vary per instance the row shows the instance closest to its step bound.

Also registers the trace targets "task-parity", "task-sudoku" and "task-mincut" and the
`apmdm list` entries of kind "task".
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, labelled, timed
from apmdm.checks.trace_target import TraceableRun, TraceTarget
from apmdm.constructions.tasks.mincut import (
    MINCUT_PROCESS,
    MINCUT_SCHEMA,
    MinCutInstance,
    mincut_canvas,
    mincut_context_bound,
    mincut_limits,
    mincut_step_bound,
    random_instance,
    run_mincut,
)
from apmdm.constructions.tasks.parity import (
    PARITY_PROCESS,
    PARITY_SCHEMA,
    PARITY_VOCABULARY,
    parity_canvas,
    parity_limits,
    parity_step_bound,
    random_bits,
    run_parity,
)
from apmdm.constructions.tasks.sudoku import (
    SUDOKU_PROCESS,
    read_sudoku_canvas,
    sudoku_canvas,
    sudoku_limits,
    sudoku_schema,
    sudoku_vocabulary,
)
from apmdm.constructions.tasks.sudoku_puzzles import (
    GeneratedPuzzle,
    generate_puzzle,
    is_valid_solution,
)
from apmdm.machines.errors import ApmdmError, InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Model

THEOREM = "task"


@dataclass(frozen=True)
class InstanceResult:
    """One instance: correct?, its costs and bounds (bound ``None`` = no bound)."""

    correct: bool
    steps: int
    context: int
    tokens_written: int
    edits: int
    step_bound: int | None
    context_bound: int
    note: str = ""

    @property
    def within(self) -> bool:
        return ((self.step_bound is None or self.steps <= self.step_bound)
                and self.context <= self.context_bound)

    @property
    def tightness(self) -> float:
        return self.steps / self.step_bound if self.step_bound else self.steps


def _row(construction: str, program: str, n: int, results: list[InstanceResult]) -> CheckRow:
    worst = max(results, key=lambda r: (r.tightness, r.context))
    correct = sum(r.correct for r in results)
    within = all(r.within for r in results)
    measured = {"steps": worst.steps, "context": worst.context,
                "tokens_written": worst.tokens_written, "edits": worst.edits}
    bound = {"context": worst.context_bound}
    if worst.step_bound is not None:
        bound["steps"] = worst.step_bound
    mean_steps = sum(r.steps for r in results) / len(results)
    notes = sorted({r.note for r in results if r.note})
    detail = (f"{correct}/{len(results)} correct; mean steps {mean_steps:.1f}; max tokens "
              f"written {max(r.tokens_written for r in results)}"
              + ("" if within else "; BOUND EXCEEDED") + (f"; {notes[0]}" if notes else ""))
    return CheckRow(THEOREM, construction, program, n, correct == len(results) and within,
                    measured, bound, len(results), correct == len(results), detail)


def _guard(fn: Callable[[], InstanceResult], context_bound: int) -> InstanceResult:
    """Run one instance; a typed error from a (broken) process counts as a wrong answer."""
    try:
        return fn()
    except ApmdmError as exc:
        return InstanceResult(False, 0, 0, 0, 0, None, context_bound, f"error: {exc}")


# --- parity ------------------------------------------------------------------------------------


def parity_instance(bits: tuple[int, ...], process: GenerationProcess) -> InstanceResult:
    def go() -> InstanceResult:
        r = run_parity(bits, process)
        return InstanceResult(r.correct, r.steps, r.max_context, r.tokens_written, r.edits,
                              parity_step_bound(len(bits)), len(bits) + 1)
    return _guard(go, len(bits) + 1)


def parity_rows(opts: CheckOptions, process: GenerationProcess = PARITY_PROCESS) -> list[CheckRow]:
    exhaustive = 8 if opts.quick else 12
    start = time.perf_counter()
    sizes = ((64, 20), (1000, 3)) if opts.quick else ((100, 100), (1000, 20), (10_000, 1))
    res = [parity_instance(bits, process) for n in range(exhaustive + 1)
           for bits in itertools.product((0, 1), repeat=n)]
    rows = [_row("parity", f"all inputs with n <= {exhaustive}", exhaustive, res)]
    rows[0] = replace(rows[0], seconds=time.perf_counter() - start)
    for n, count in sizes:
        rows.append(timed(lambda n=n, count=count: _row("parity", "random bits", n, [
            parity_instance(random_bits(n, opts.seed * 1_000_003 + i), process)
            for i in range(count)])))
    return labelled(rows, Category.SCHEDULE, "answer = sum(bits) % 2; steps <= 2n+1; "
                    "context <= n+1")


# --- sudoku ------------------------------------------------------------------------------------


def sudoku_instance(g: GeneratedPuzzle, process: GenerationProcess) -> InstanceResult:
    m = g.puzzle.m
    context = 4 * m * m

    def go() -> InstanceResult:
        r = process.run(sudoku_canvas(g.puzzle), sudoku_limits(m))
        out = read_sudoku_canvas(r.final)
        ok = (r.halted and out.solution is not None
              and is_valid_solution(g.puzzle, out.solution) and out.solution == g.solution)
        c = r.counters
        return InstanceResult(ok, c.steps, c.max_context, c.tokens_written,
                              c.unmasks + c.remasks + c.inserts + c.deletes, None, context)
    return _guard(go, context)


def sudoku_rows(opts: CheckOptions, process: GenerationProcess = SUDOKU_PROCESS) -> list[CheckRow]:
    plan = ((2, 5), (3, 3), (4, 1)) if opts.quick else ((2, 20), (3, 12), (4, 2))
    rows = [timed(lambda k=k, count=count: _row(
        "sudoku", "random unique-solution puzzles", k * k,
        [sudoku_instance(generate_puzzle(k, opts.seed * 1_000_003 + i), process)
         for i in range(count)])) for k, count in plan]
    return labelled(rows, Category.SCHEDULE, "final board valid and = the unique solution; "
                    "context = 4m^2 (steps: measured, no bound)")


# --- min-cut -----------------------------------------------------------------------------------


def mincut_instance(inst: MinCutInstance, process: GenerationProcess) -> InstanceResult:
    def go() -> InstanceResult:
        r = run_mincut(inst, process)
        return InstanceResult(r.correct, r.steps, r.max_context, r.tokens_written, r.edits,
                              mincut_step_bound(inst, r.flow), mincut_context_bound(inst))
    return _guard(go, mincut_context_bound(inst))


def mincut_rows(opts: CheckOptions, process: GenerationProcess = MINCUT_PROCESS) -> list[CheckRow]:
    plan = ((4, 10), (10, 10), (30, 5)) if opts.quick else ((4, 50), (6, 50), (10, 50),
                                                           (20, 30), (30, 30))
    rows = [timed(lambda n=n, count=count: _row(
        "mincut", "random digraphs, s=0, t=n-1", n,
        [mincut_instance(random_instance(n, opts.seed * 1_000_003 + i), process)
         for i in range(count)])) for n, count in plan]
    return labelled(rows, Category.SCHEDULE, "deleted edges = networkx min-cut value, s cannot "
                    "reach t; steps <= F(2N+1)+2N+3; context <= initial + N + E")


def run_tasks(opts: CheckOptions) -> list[CheckRow]:
    return parity_rows(opts) + sudoku_rows(opts) + mincut_rows(opts)


SUITE = CheckSuite(THEOREM, "tasks",
                   "the paper's tasks (parity, Sudoku, min-cut editing) as constructed AP-MDMs: "
                   "exact answers, steps, context vs tokens written",
                   run_tasks)
SUITES = (SUITE,)


# --- trace targets and list entries -------------------------------------------------------------


def _need_apmdm(model: str) -> None:
    if model != Model.APMDM.value:
        raise InvalidArgumentError(f"the task processes are AP-MDMs; model {model!r} is not "
                                   "available")


def _trace_parity(model: str, n: int, seed: int) -> TraceableRun:
    _need_apmdm(model)
    if n < 0:
        raise InvalidArgumentError(f"parity needs n ≥ 0 bits, got {n}")
    bits = random_bits(n, seed)
    return TraceableRun(PARITY_PROCESS, parity_canvas(bits), parity_limits(n), "parity",
                        {"n": n, "seed": seed}, list(PARITY_VOCABULARY), PARITY_SCHEMA)


def _trace_sudoku(model: str, n: int, seed: int) -> TraceableRun:
    _need_apmdm(model)
    k = next((k for k in range(2, 5) if k * k == n), None)
    if k is None:
        raise InvalidArgumentError(f"sudoku: n is the board side m = k² (4, 9 or 16), got {n}")
    g = generate_puzzle(k, seed)
    return TraceableRun(SUDOKU_PROCESS, sudoku_canvas(g.puzzle), sudoku_limits(n), "sudoku",
                        {"m": n, "seed": seed, "puzzle": str(g.puzzle)}, sudoku_vocabulary(n),
                        sudoku_schema(n))


def _trace_mincut(model: str, n: int, seed: int) -> TraceableRun:
    _need_apmdm(model)
    inst = random_instance(n, seed)
    return TraceableRun(MINCUT_PROCESS, mincut_canvas(inst), mincut_limits(inst), "mincut",
                        {"n": n, "seed": seed, "edges": [list(e) for e in inst.edges]},
                        {"size": n * n + 4 * n + 3,
                         "description": "graph/cut, (s,i), (t,i), (v,i), (e,u,v), labels 0..n-1 "
                                        "and '-', flows 0/1"}, MINCUT_SCHEMA)


# Target names carry a "task-" prefix: the PRAM library already has a program "parity".
TRACE_TARGETS = (
    TraceTarget("task-parity", (Model.APMDM.value,),
                "parity of n random bits by elimination (BOS b1..bn)", _trace_parity),
    TraceTarget("task-sudoku", (Model.APMDM.value,),
                "DFS Sudoku solver on a random m x m puzzle (n = m = 4, 9, 16)", _trace_sudoku),
    TraceTarget("task-mincut", (Model.APMDM.value,),
                "Edmonds-Karp min-cut deletion on a random n-vertex digraph", _trace_mincut),
)

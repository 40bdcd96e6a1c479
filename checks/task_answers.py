"""Decoded answers of the task processes and traceable runs on a user's instance files.

The answer functions read a final canvas and compare it with an independent reference:

* parity: the bit left on the canvas against ``sum(bits) % 2``;
* Sudoku: the decoded grid (compact text) against the bitmask solver of
  :mod:`constructions.tasks.sudoku_puzzles`; equal iff the grid is a valid solution of the
  puzzle (a puzzle with several solutions has more than one right answer), or both say
  ``unsolvable``;
* min-cut: the deleted edges against networkx's maximum flow; equal iff as many edges were
  deleted as the minimum cut value, s cannot reach t and the result is a subgraph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from apmdm.checks.trace_target import Answer, TraceableRun
from apmdm.machines.errors import ApmdmError, InvalidArgumentError


def parity_answer(bits: Sequence[int]) -> Callable[[tuple], Answer]:
    from apmdm.constructions.tasks.parity import parity_of_canvas

    reference = sum(bits) % 2

    def answer(final: tuple) -> Answer:
        try:
            got = parity_of_canvas(final)
        except ApmdmError as exc:
            return Answer(f"not decodable: {exc}", reference, False)
        return Answer(got, reference, got == reference)
    return answer


def sudoku_answer(puzzle, final) -> tuple[str, str, bool]:
    """(decoded, reference, correct) for a Sudoku run's final canvas: the solution in compact
    form, ``unsolvable`` or ``unfinished``."""
    from apmdm.constructions.tasks.sudoku import read_sudoku_canvas
    from apmdm.constructions.tasks.sudoku_puzzles import (
        Puzzle,
        format_puzzle,
        is_valid_solution,
        solve,
    )

    out = read_sudoku_canvas(final)
    ref = solve(puzzle)
    reference = "unsolvable" if ref is None else format_puzzle(Puzzle(puzzle.k, ref))
    if out.solution is not None:
        try:
            decoded = format_puzzle(Puzzle(puzzle.k, tuple(out.solution)))
        except ApmdmError:   # a grid with conflicts or out-of-range values
            return f"invalid grid {list(out.solution)[:8]}...", reference, False
        correct = ref is not None and is_valid_solution(puzzle, tuple(out.solution))
    else:
        decoded = "unsolvable" if out.unsolvable else "unfinished"
        correct = ref is None and out.unsolvable
    return decoded, reference, correct


def sudoku_answer_of(puzzle) -> Callable[[tuple], Answer]:
    def answer(final: tuple) -> Answer:
        return Answer(*sudoku_answer(puzzle, final))
    return answer


def mincut_answer(instance) -> Callable[[tuple], Answer]:
    from apmdm.constructions.tasks.mincut import check_final, max_flow_value, read_mincut_canvas

    flow = max_flow_value(instance)

    def answer(final: tuple) -> Answer:
        deleted, disconnected, subgraph = check_final(instance, final)
        left = read_mincut_canvas(final)
        if left is None:
            return Answer("not a finished graph canvas", {"min_cut": flow}, False)
        pool = list(left)
        cut = []
        for e in instance.edges:
            if e in pool:
                pool.remove(e)
            else:
                cut.append([instance.names[e[0]], instance.names[e[1]]])
        decoded = {"deleted": len(instance.edges) - len(left), "cut_edges": cut}
        return Answer(decoded, {"min_cut": flow},
                      deleted == flow and disconnected and subgraph)
    return answer


def _need_apmdm(model: str | None) -> None:
    if model not in (None, "apmdm", "ap-mdm"):
        raise InvalidArgumentError(f"the task processes are AP-MDMs; model {model!r} is not "
                                   "available")


def sudoku_file_run(path: str, model: str | None) -> tuple[TraceableRun, str]:
    """The Sudoku process on the first puzzle of ``path`` (and a note saying which)."""
    from apmdm.checks.instance_files import read_sudoku_file
    from apmdm.constructions.tasks.sudoku import (
        SUDOKU_PROCESS,
        sudoku_canvas,
        sudoku_limits,
        sudoku_schema,
        sudoku_vocabulary,
    )

    _need_apmdm(model)
    puzzles = read_sudoku_file(path)
    line, puzzle = puzzles[0]
    note = f"puzzle on line {line}" + (f" (first of {len(puzzles)})" if len(puzzles) > 1 else "")
    run = TraceableRun(SUDOKU_PROCESS, sudoku_canvas(puzzle), sudoku_limits(puzzle.m), "sudoku",
                       {"m": puzzle.m, "file": str(path), "line": line, "puzzle": str(puzzle)},
                       sudoku_vocabulary(puzzle.m), sudoku_schema(puzzle.m),
                       answer=sudoku_answer_of(puzzle))
    return run, note


def graph_file_run(path: str, model: str | None, source: str | None,
                   sink: str | None) -> tuple[TraceableRun, str]:
    """The min-cut process on the graph of ``path``."""
    from apmdm.checks.instance_files import graph_instance, read_graph_file
    from apmdm.constructions.tasks.mincut import (
        MINCUT_PROCESS,
        MINCUT_SCHEMA,
        mincut_canvas,
        mincut_limits,
    )

    _need_apmdm(model)
    inst = graph_instance(read_graph_file(path), source, sink)
    n = inst.n
    params = {"n": n, "file": str(path), "s": inst.names[inst.s], "t": inst.names[inst.t],
              "vertices": list(inst.names), "edges": [list(e) for e in inst.edges]}
    vocab = {"size": n * n + 4 * n + 3,
             "description": "graph/cut, (s,i), (t,i), (v,i), (e,u,v), labels 0..n-1 and '-', "
                            "flows 0/1"}
    run = TraceableRun(MINCUT_PROCESS, mincut_canvas(inst), mincut_limits(inst), "mincut",
                       params, vocab, MINCUT_SCHEMA, answer=mincut_answer(inst))
    return run, f"{n} vertices, {len(inst.edges)} unit arcs, s={params['s']} t={params['t']}"

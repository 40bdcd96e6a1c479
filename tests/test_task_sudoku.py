"""Generalized Sudoku by an in-canvas DFS: parsing, generator, solutions checked against an
independent exact-cover (DLX-style Algorithm X) solver written here."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.suite import CheckOptions
from apmdm.checks.tasks import sudoku_rows
from apmdm.constructions.tasks.sudoku import (
    SUDOKU_PROCESS,
    read_sudoku_canvas,
    sudoku_canvas,
    sudoku_limits,
    sudoku_next_step,
)
from apmdm.constructions.tasks.sudoku_puzzles import (
    Puzzle,
    format_puzzle,
    generate_puzzle,
    is_valid_solution,
    parse_puzzle,
)
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Model, StepOutput
from apmdm.machines.tokens import MASK

# --- an independent solver: Knuth's Algorithm X on dict-of-sets (exact cover) ----------------


def dlx_solutions(p: Puzzle, limit: int = 3) -> list[tuple[int, ...]]:
    k, m = p.k, p.k * p.k
    rows = {}
    for r in range(m):
        for c in range(m):
            for v in range(1, m + 1):
                b = (r // k) * k + c // k
                rows[(r, c, v)] = [("cell", r, c), ("row", r, v), ("col", c, v), ("box", b, v)]
    cols: dict = {}
    for key, cons in rows.items():
        for con in cons:
            cols.setdefault(con, set()).add(key)

    def select(key):
        removed = []
        for con in rows[key]:
            for other in cols[con]:
                for con2 in rows[other]:
                    if con2 != con:
                        cols[con2].remove(other)
            removed.append(cols.pop(con))
        return removed

    def deselect(key, removed):
        for con in reversed(rows[key]):
            cols[con] = removed.pop()
            for other in cols[con]:
                for con2 in rows[other]:
                    if con2 != con:
                        cols[con2].add(other)

    chosen = []
    for i, v in enumerate(p.cells):
        if v:
            key = (i // m, i % m, v)
            chosen.append(key)
            select(key)
    out: list = []

    def search():
        if len(out) >= limit:
            return
        if not cols:
            grid = [0] * (m * m)
            for r, c, v in chosen:
                grid[r * m + c] = v
            out.append(tuple(grid))
            return
        con = min(cols, key=lambda c: len(cols[c]))
        for key in sorted(cols[con]):
            chosen.append(key)
            removed = select(key)
            search()
            deselect(key, removed)
            chosen.pop()

    search()
    return out


def _solve(p: Puzzle):
    r = SUDOKU_PROCESS.run(sudoku_canvas(p), sudoku_limits(p.m))
    return r, read_sudoku_canvas(r.final)


# --- parsing --------------------------------------------------------------------------------

PUZZLE_81 = ("53..7....6..195....98....6.8...6...34..8.3..17...2...6.6....28....419..5....8..79")


def test_parse_81_character_format_with_dots_and_zeros():
    p = parse_puzzle(PUZZLE_81)
    q = parse_puzzle(PUZZLE_81.replace(".", "0"))
    assert p == q and p.m == 9 and p.cells[:3] == (5, 3, 0)
    assert format_puzzle(p) == PUZZLE_81
    assert parse_puzzle("\n".join(PUZZLE_81[i:i + 9] for i in range(0, 81, 9))) == p


def test_parse_grid_and_letters_for_16x16():
    g = generate_puzzle(4, 0)
    text = format_puzzle(g.puzzle)
    assert any(ch in text for ch in "ABCDEFG")
    assert parse_puzzle(text) == g.puzzle
    assert parse_puzzle(format_puzzle(g.puzzle, grid=True)) == g.puzzle


@pytest.mark.parametrize("text, what", [
    ("123", "not a generalized Sudoku"),
    ("x" + "." * 80, "row 1, column 1"),
    ("5" + "." * 14 + "5", "not a digit of a 4x4"),
    ("55" + "." * 79, "conflicting givens"),
    ("1" + "." * 8 + "1" + "." * 71, "conflicting givens"),
    ("1" + "." * 9 + "1" + "." * 70, "conflicting givens"),
])
def test_bad_puzzles_raise_typed_errors(text, what):
    with pytest.raises(InvalidArgumentError, match=what):
        parse_puzzle(text)


# --- the process ------------------------------------------------------------------------------


def test_famous_puzzle_solved_and_equal_to_the_unique_solution():
    p = parse_puzzle(PUZZLE_81)
    run, out = _solve(p)
    assert out.solved and is_valid_solution(p, out.solution)
    assert dlx_solutions(p) == [out.solution]
    assert run.counters.max_context == run.counters.final_context == 324


@pytest.mark.parametrize("k, seeds", [(2, range(10)), (3, range(4))])
def test_generated_puzzles_are_unique_and_solved(k, seeds):
    for seed in seeds:
        g = generate_puzzle(k, seed)
        assert dlx_solutions(g.puzzle) == [g.solution]
        _, out = _solve(g.puzzle)
        assert out.solution == g.solution


def test_16x16_puzzle():
    g = generate_puzzle(4, 2)
    _, out = _solve(g.puzzle)
    assert out.solved and is_valid_solution(g.puzzle, out.solution)
    assert out.solution == g.solution


def test_generator_is_deterministic():
    assert generate_puzzle(3, 11) == generate_puzzle(3, 11)
    assert generate_puzzle(3, 11).puzzle != generate_puzzle(3, 12).puzzle


@st.composite
def small_puzzles(draw):
    """Random consistent 4×4 boards: some have several solutions, some none."""
    rng = random.Random(draw(st.integers(0, 10 ** 6)))
    cells = [0] * 16
    for i in rng.sample(range(16), draw(st.integers(0, 9))):
        cells[i] = rng.randint(1, 4)
        try:
            Puzzle(2, tuple(cells))
        except InvalidArgumentError:
            cells[i] = 0
    return Puzzle(2, tuple(cells))


@settings(max_examples=80, deadline=None)
@given(small_puzzles())
def test_process_agrees_with_exact_cover_on_any_4x4(p):
    sols = dlx_solutions(p, limit=1000)
    run, out = _solve(p)
    assert run.halted
    if sols:
        assert out.solved and out.solution in sols and is_valid_solution(p, out.solution)
    else:
        assert out.unsolvable and not out.solved


def test_every_step_is_remask_then_fill_and_the_length_is_constant():
    g = generate_puzzle(3, 5)
    canvas = sudoku_canvas(g.puzzle)
    n = len(canvas)
    for rec in SUDOKU_PROCESS.run_stepwise(canvas, sudoku_limits(9)):
        assert len(rec.after) == n
        if MASK in rec.before:  # fill step: writes every mask, remasks nothing
            assert MASK not in rec.after and not rec.output.remask
        else:                   # remask step (or the final no-op)
            assert not rec.events.unmasked
        assert not rec.output.insert and not rec.output.delete


def test_f_rejects_a_canvas_no_step_makes():
    canvas = list(sudoku_canvas(generate_puzzle(2, 0).puzzle))
    canvas[1] = MASK  # a lone depth mask
    with pytest.raises(InvalidArgumentError):
        sudoku_next_step(tuple(canvas))


def _writes_invalid_digits(canvas):
    """Broken: every forced fill writes the next digit instead of the only candidate."""
    out = sudoku_next_step(canvas)
    toks = dict(out.tokens)
    for pos, tok in list(toks.items()):
        if pos % 4 == 2 and tok == "F":
            m = round((len(canvas) // 4) ** 0.5)
            toks[pos - 2] = toks[pos - 2] % m + 1
    return StepOutput(toks, out.remask, out.insert, out.delete)


def test_checker_fails_on_a_broken_process():
    rows = sudoku_rows(CheckOptions(quick=True),
                       GenerationProcess(Model.APMDM, _writes_invalid_digits))
    assert not all(r.ok for r in rows)


def test_checker_passes_on_the_real_process():
    assert all(r.ok for r in sudoku_rows(CheckOptions(quick=True)))


@pytest.mark.slow
def test_200_random_9x9_puzzles():
    for seed in range(200):
        g = generate_puzzle(3, 10_000 + seed)
        _, out = _solve(g.puzzle)
        assert out.solution == g.solution and is_valid_solution(g.puzzle, out.solution)

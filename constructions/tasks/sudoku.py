"""Generalized Sudoku solved by an AP-MDM depth-first search that lives in the canvas.

Canvas [paper: 81 cells × (value, colour, marker, separator) = 324 tokens for 9×9; the
token values below are ours]: cell ``i`` (row-major) occupies positions ``4i .. 4i+3``:

* ``V`` value: ``1..m`` or ``"."`` (empty);
* ``D`` depth ("colour"): the decision depth the cell was written at; givens, empty cells
  and fills forced before any decision have depth 0, the ``d``-th open decision and the
  fills forced after it have depth ``d``;
* ``M`` marker: ``"G"`` given, ``"E"`` empty, ``"F"`` forced fill, ``"B"`` branch (a
  decision), ``"X"`` contradiction (the paper's skull), ``("R", v)`` branch whose value
  ``v`` was refuted, on its way to the next value;
* ``S`` separator: ``","`` inside a row, ``";"`` at the end of a row (never changes).

The depth-first search's stack is the set of ``B`` cells ordered by depth, so the next step
is a function of the canvas alone. Each action is two AP-MDM steps, remask then fill
[paper]; on a canvas without MASK, f chooses the action and remasks the tokens it changes,
on a canvas with MASK it fills them (the mask pattern tells which action):

==================================  =================================  =====================
canvas has no MASK                   remasked (step 1)                  filled (step 2)
==================================  =================================  =====================
a cell marked ``("R", v)``, V = v   its V                              next candidate > v,
                                                                       or ``"."``
a cell marked ``("R", v)``, V ≠ v   its M                              ``B`` (or ``X`` if V
                                                                       is ``"."``)
some ``X`` cell, deepest branch d   V,D,M of every ``X`` cell and of   those → ``. 0 E``;
                                    every ``F`` cell of depth d; M of  the branch's M →
                                    the depth-d branch                 ``("R", V)``
no ``E`` cell                       nothing: solved (fixed point)
otherwise                           V,D,M of the empty cell with the   0 candidates → ``. 0
                                    fewest candidates (MRV, first      X``; 1 → ``v d F``;
                                    on ties)                           more → ``v d+1 B``
                                                                       (smallest v)
==================================  =================================  =====================

(``d`` in the last row is the current depth: the largest depth of a ``B`` cell, 0 if none.)
An ``X`` with no branch left means the puzzle has no solution: nothing more to do (fixed
point). Length never changes (no insert or delete), so the context is constant, ``4m²``.
Values are tried in increasing order and a refuted branch moves to the next larger
candidate, so the search is a complete DFS; with MRV it visits far fewer nodes than a
row-major order.

Cost of f: O(m²) bit operations per step (row/column/box bitmasks), never O(canvas²).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apmdm.constructions.tasks.sudoku_puzzles import Puzzle
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput
from apmdm.machines.tokens import MASK, Canvas

EMPTY = "."
GIVEN, OPEN, FORCED, BRANCH, SKULL, REFUTED = "G", "E", "F", "B", "X", "R"
CELL_WIDTH = 4
_NOOP = StepOutput({})


def sudoku_canvas(p: Puzzle) -> Canvas:
    """The initial canvas of ``p``: givens ``v 0 G``, empty cells ``. 0 E``, separators."""
    m = p.m
    out: list = []
    for i, v in enumerate(p.cells):
        sep = ";" if i % m == m - 1 else ","
        out += [v, 0, GIVEN, sep] if v else [EMPTY, 0, OPEN, sep]
    return tuple(out)


def sudoku_vocabulary(m: int) -> list:
    """Every token a run on an m×m board can write (depths up to m², refuted markers)."""
    values = list(range(1, m + 1))
    depths = list(range(m * m + 1))
    markers = [GIVEN, OPEN, FORCED, BRANCH, SKULL] + [(REFUTED, v) for v in values]
    return [EMPTY] + sorted(set(values) | set(depths)) + markers + [",", ";"]


class _Geometry:
    """Cell → (row, column, box) tables for one board size."""

    def __init__(self, cells: int):
        k = round(cells ** 0.25)
        m = k * k
        if k < 2 or m * m != cells:
            raise InvalidArgumentError(f"a Sudoku canvas has 4·m² positions with m = k², k ≥ 2; "
                                       f"got {cells} cells")
        self.k, self.m = k, m
        self.full = (1 << (m + 1)) - 2
        self.where = [(i // m, m + i % m, 2 * m + (i // m // k) * k + (i % m) // k)
                      for i in range(cells)]


_GEOMETRY: dict[int, _Geometry] = {}


def _geometry(cells: int) -> _Geometry:
    g = _GEOMETRY.get(cells)
    if g is None:
        g = _GEOMETRY[cells] = _Geometry(cells)
    return g


def _unit_masks(geo: _Geometry, values: Sequence) -> list[int]:
    used = [0] * (3 * geo.m)
    for i, v in enumerate(values):
        if type(v) is int:
            r, c, b = geo.where[i]
            bit = 1 << v
            used[r] |= bit
            used[c] |= bit
            used[b] |= bit
    return used


def _candidates(geo: _Geometry, used: list[int], i: int) -> int:
    r, c, b = geo.where[i]
    return geo.full & ~(used[r] | used[c] | used[b])


def _lowest_value(mask: int, above: int = 0) -> int | None:
    mask &= ~((1 << (above + 1)) - 1)
    return (mask & -mask).bit_length() - 1 if mask else None


def _depth(values_d: Sequence, markers: Sequence) -> int:
    return max((d for d, mk in zip(values_d, markers, strict=True) if mk == BRANCH), default=0)


def _cell_positions(cells: Sequence[int], parts: Sequence[int]) -> frozenset[int]:
    return frozenset(CELL_WIDTH * i + p for i in cells for p in parts)


def sudoku_next_step(canvas: Canvas) -> StepOutput:
    """f for the Sudoku search: a pure function of the canvas (see the module docstring)."""
    if len(canvas) % CELL_WIDTH:
        raise InvalidArgumentError(f"a Sudoku canvas has 4 tokens per cell; length {len(canvas)}")
    geo = _geometry(len(canvas) // CELL_WIDTH)
    if MASK in canvas:
        return _fill(geo, canvas)
    return _remask(geo, canvas)


def _remask(geo: _Geometry, canvas: Canvas) -> StepOutput:
    values, depths, markers = canvas[0::4], canvas[1::4], canvas[2::4]
    for i, mk in enumerate(markers):
        if type(mk) is tuple:  # ("R", v): advance the refuted branch
            part = 0 if values[i] == mk[1] else 2
            return StepOutput({}, remask=frozenset((CELL_WIDTH * i + part,)))
    if SKULL in markers:
        branches = [i for i, mk in enumerate(markers) if mk == BRANCH]
        if not branches:
            return _NOOP  # contradiction with no decision left: no solution
        d = max(depths[i] for i in branches)
        top = next(i for i in branches if depths[i] == d)
        clear = [i for i, mk in enumerate(markers)
                 if mk == SKULL or (mk == FORCED and depths[i] == d)]
        return StepOutput({}, remask=_cell_positions(clear, (0, 1, 2)) | {CELL_WIDTH * top + 2})
    if OPEN not in markers:
        return _NOOP  # solved
    used = _unit_masks(geo, values)
    best, best_count = -1, geo.m + 1
    for i, mk in enumerate(markers):
        if mk == OPEN:
            cnt = _candidates(geo, used, i).bit_count()
            if cnt < best_count:
                best, best_count = i, cnt
                if cnt == 0:
                    break
    return StepOutput({}, remask=_cell_positions((best,), (0, 1, 2)))


def _fill(geo: _Geometry, canvas: Canvas) -> StepOutput:
    values, depths, markers = canvas[0::4], canvas[1::4], canvas[2::4]
    full, m_only, v_only = [], [], []
    for i in range(len(values)):
        vm, dm, mm = values[i] is MASK, depths[i] is MASK, markers[i] is MASK
        if vm and dm and mm:
            full.append(i)
        elif mm and not vm and not dm:
            m_only.append(i)
        elif vm and not dm and not mm:
            v_only.append(i)
        elif vm or dm or mm:
            raise InvalidArgumentError(f"cell {i} has a mask pattern no Sudoku step makes")
    if full and len(m_only) == 1 and not v_only:  # backtrack: clear, mark the branch refuted
        tokens = {}
        for i in full:
            tokens.update({4 * i: EMPTY, 4 * i + 1: 0, 4 * i + 2: OPEN})
        c = m_only[0]
        tokens[4 * c + 2] = (REFUTED, values[c])
        return StepOutput(tokens)
    if len(full) == 1 and not m_only and not v_only:  # decide the cell
        c = full[0]
        used = _unit_masks(geo, values)
        cand = _candidates(geo, used, c)
        d = _depth(depths, markers)
        count = cand.bit_count()
        if count == 0:
            cell = (EMPTY, 0, SKULL)
        elif count == 1:
            cell = (_lowest_value(cand), d, FORCED)
        else:
            cell = (_lowest_value(cand), d + 1, BRANCH)
        return StepOutput({4 * c: cell[0], 4 * c + 1: cell[1], 4 * c + 2: cell[2]})
    if len(v_only) == 1 and not full and not m_only:  # next value of a refuted branch
        c = v_only[0]
        mk = markers[c]
        if type(mk) is not tuple:
            raise InvalidArgumentError(f"cell {c}: masked value without a refuted marker")
        used = _unit_masks(geo, values)
        nxt = _lowest_value(_candidates(geo, used, c), mk[1])
        return StepOutput({4 * c: EMPTY if nxt is None else nxt})
    if len(m_only) == 1 and not full and not v_only:  # the advanced branch's marker
        c = m_only[0]
        return StepOutput({4 * c + 2: BRANCH if type(values[c]) is int else SKULL})
    raise InvalidArgumentError("the masks on this canvas match no Sudoku step")


SUDOKU_PROCESS = GenerationProcess(Model.APMDM, sudoku_next_step, name="sudoku")


def sudoku_limits(m: int, max_steps: int = 2_000_000) -> Limits:
    return Limits(max_steps=max_steps, max_context=CELL_WIDTH * m * m)


@dataclass(frozen=True)
class SudokuOutcome:
    """What a final canvas says: ``solution`` (row-major digits) or ``None``."""

    solved: bool
    unsolvable: bool
    solution: tuple[int, ...] | None


def read_sudoku_canvas(canvas: Sequence) -> SudokuOutcome:
    """Decode a final canvas: solved (every value a digit, no X), unsolvable (an X and no
    branch), or neither (the run did not finish)."""
    values, markers = tuple(canvas[0::4]), tuple(canvas[2::4])
    if MASK in canvas:
        return SudokuOutcome(False, False, None)
    if all(type(v) is int for v in values) and SKULL not in markers:
        return SudokuOutcome(True, False, values)
    unsolvable = SKULL in markers and BRANCH not in markers and not any(
        type(mk) is tuple for mk in markers)
    return SudokuOutcome(False, unsolvable, None)


# -- inspection --------------------------------------------------------------------------------


def sudoku_schema(m: int) -> dict:
    """What each token means, for trace viewers (written into the trace header)."""
    return {"construction": "sudoku", "m": m,
            "layout": "cell i (row-major) at positions 4i..4i+3: value, depth, marker, "
                      "separator",
            "roles": {"period": CELL_WIDTH,
                      "names": ["value", "depth", "marker", "separator"],
                      "meanings": ["1..m or '.' (empty)", "decision depth the cell was "
                                   "written at", "G given, E empty, F forced, B branch, "
                                   "X contradiction, (R, v) refuted branch",
                                   "',' inside a row, ';' at its end"]},
            "kinds": [{"name": "refuted marker", "match": {"type": "list", "length": 2},
                       "fields": [["tag", "R: refuted branch"],
                                  ["value", "the value that was refuted"]]},
                      {"name": "number", "match": {"type": "int"},
                       "fields": [["value", "a digit (value role) or a depth (depth role)"]]},
                      {"name": "symbol", "match": {"type": "str"},
                       "fields": [["word", "'.', a marker letter or a separator"]]}]}


def sudoku_state(canvas: Sequence) -> dict:
    """The board a canvas encodes: values (``"."`` empty, None masked), markers, depth."""
    cells = len(canvas) // CELL_WIDTH
    m = _geometry(cells).m if cells else 0

    def show(tok: object) -> object:
        return None if tok is MASK else list(tok) if isinstance(tok, tuple) else tok

    values = [show(v) for v in canvas[0::CELL_WIDTH]]
    markers = [show(v) for v in canvas[2::CELL_WIDTH]]
    depths = [d for d in canvas[1::CELL_WIDTH] if type(d) is int]
    return {"grid": [values[r * m:(r + 1) * m] for r in range(m)],
            "markers": [markers[r * m:(r + 1) * m] for r in range(m)],
            "depth": max(depths, default=0),
            "outcome": ("solved" if read_sudoku_canvas(canvas).solved else "searching")}

"""Generalized Sudoku boards (m = k², k ≥ 2): parsing, validation and a seeded generator.

A :class:`Puzzle` is a box size ``k`` and ``m² = k⁴`` cells in row-major order, ``0`` for an
empty cell and ``1..m`` for a given digit.

Text formats [decision, the common 81-character format generalized]:

* compact: ``m²`` characters, whitespace ignored; ``0`` or ``.`` is an empty cell, ``1``-``9``
  are 1–9 and ``A``-``Z`` (any case) are 10–35 (so 16×16 uses ``1``-``9``, ``A``-``G``);
  the board size is read off the length (16, 81, 256, 625, …);
* grid: whitespace- (or comma-) separated decimal integers, ``0`` for empty, ``m²`` of them;
  chosen automatically when there are exactly m² fields, all decimal, and some field has
  more than one character (e.g. ``10``).

Bad input raises :class:`InvalidArgumentError` naming the row and column. Conflicting givens
(two equal digits in a row, column or box) are rejected; a consistent puzzle without a
solution is accepted (the search process then ends without one).

The generator (:func:`generate_puzzle`) fills a random solved grid by randomized search, then
removes givens in a random order while the puzzle keeps exactly one solution (checked by
:func:`count_solutions`, a bitmask depth-first search with fewest-candidates choice). It is
deterministic in the seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from apmdm.machines.errors import InvalidArgumentError

_DIGITS = "123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class Puzzle:
    """A generalized Sudoku: box size ``k``, side ``m = k²``, cells row-major, 0 = empty."""

    k: int
    cells: tuple[int, ...]

    def __post_init__(self) -> None:
        k = self.k
        if isinstance(k, bool) or not isinstance(k, int) or not 2 <= k <= 5:
            raise InvalidArgumentError(f"box size k must be an integer in 2..5, got {k!r}")
        m = k * k
        if len(self.cells) != m * m:
            raise InvalidArgumentError(f"a {m}x{m} board has {m * m} cells, got {len(self.cells)}")
        for i, v in enumerate(self.cells):
            if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= m:
                raise InvalidArgumentError(
                    f"cell (row {i // m + 1}, column {i % m + 1}) is {v!r}, not in 0..{m}")
        _check_givens(self)

    @property
    def m(self) -> int:
        return self.k * self.k

    @property
    def empty_cells(self) -> int:
        return sum(1 for v in self.cells if v == 0)

    def __str__(self) -> str:
        return format_puzzle(self)


def units(k: int) -> list[list[int]]:
    """The 3m units (rows, columns, boxes) of an m×m board as lists of cell indices."""
    m = k * k
    rows = [[r * m + c for c in range(m)] for r in range(m)]
    cols = [[r * m + c for r in range(m)] for c in range(m)]
    boxes = [[(br * k + r) * m + bc * k + c for r in range(k) for c in range(k)]
             for br in range(k) for bc in range(k)]
    return rows + cols + boxes


def _check_givens(p: Puzzle) -> None:
    m = p.m
    for unit in units(p.k):
        seen: dict[int, int] = {}
        for i in unit:
            v = p.cells[i]
            if v and v in seen:
                j = seen[v]
                raise InvalidArgumentError(
                    f"conflicting givens: {v} at (row {j // m + 1}, column {j % m + 1}) and "
                    f"(row {i // m + 1}, column {i % m + 1})")
            seen[v] = i


def _side_from_cells(count: int) -> int:
    for k in range(2, 6):
        if k ** 4 == count:
            return k
    raise InvalidArgumentError(f"{count} cells is not a generalized Sudoku board "
                               "(expected 16, 81, 256 or 625 cells)")


def parse_puzzle(text: str) -> Puzzle:
    """Parse the compact or the grid format (see the module docstring)."""
    if not isinstance(text, str):
        raise InvalidArgumentError("a puzzle is text")
    fields = text.replace(",", " ").split()
    if (len(fields) in (16, 81, 256, 625) and any(len(f) > 1 for f in fields)
            and all(f.isdigit() for f in fields)):
        return _parse_grid(fields)
    chars = "".join(text.split())
    k = _side_from_cells(len(chars))
    m = k * k
    cells = []
    for i, ch in enumerate(chars):
        if ch in "0.":
            cells.append(0)
            continue
        v = _DIGITS.find(ch.upper()) + 1
        if v == 0 or v > m:
            raise InvalidArgumentError(f"character {ch!r} at (row {i // m + 1}, column "
                                       f"{i % m + 1}) is not a digit of a {m}x{m} board")
        cells.append(v)
    return Puzzle(k, tuple(cells))


def _parse_grid(fields: list[str]) -> Puzzle:
    k = _side_from_cells(len(fields))
    return Puzzle(k, tuple(int(f) for f in fields))


def format_puzzle(p: Puzzle, grid: bool = False) -> str:
    """Compact text (``.`` for empty) or, with ``grid``, one row of integers per line."""
    if grid:
        m = p.m
        return "\n".join(" ".join(str(v) for v in p.cells[r * m:(r + 1) * m]) for r in range(m))
    return "".join(_DIGITS[v - 1] if v else "." for v in p.cells)


# --- a bitmask solver (used by the generator) -----------------------------------------------


class _Board:
    """Bitmask state for fast candidate computation; used only by the generator."""

    def __init__(self, k: int, cells: list[int]):
        m = k * k
        self.k, self.m, self.cells = k, m, cells
        self.full = (1 << (m + 1)) - 2
        self.row = [0] * m
        self.col = [0] * m
        self.box = [0] * m
        self.where = [(i // m, i % m, (i // m // k) * k + (i % m) // k) for i in range(m * m)]
        for i, v in enumerate(cells):
            if v:
                self.place(i, v)

    def place(self, i: int, v: int) -> None:
        r, c, b = self.where[i]
        bit = 1 << v
        self.row[r] |= bit
        self.col[c] |= bit
        self.box[b] |= bit
        self.cells[i] = v

    def clear(self, i: int, v: int) -> None:
        r, c, b = self.where[i]
        bit = ~(1 << v)
        self.row[r] &= bit
        self.col[c] &= bit
        self.box[b] &= bit
        self.cells[i] = 0

    def candidates(self, i: int) -> int:
        r, c, b = self.where[i]
        return self.full & ~(self.row[r] | self.col[c] | self.box[b])

    def most_constrained(self) -> tuple[int, int]:
        best, best_mask, best_count = -1, 0, 99
        for i, v in enumerate(self.cells):
            if v == 0:
                mask = self.candidates(i)
                cnt = mask.bit_count()
                if cnt < best_count:
                    best, best_mask, best_count = i, mask, cnt
                    if cnt <= 1:
                        break
        return best, best_mask


def _search(board: _Board, limit: int, rng: random.Random | None, found: list) -> None:
    i, mask = board.most_constrained()
    if i < 0:
        found.append(tuple(board.cells))
        return
    values = [v for v in range(1, board.m + 1) if mask >> v & 1]
    if rng is not None:
        rng.shuffle(values)
    for v in values:
        board.place(i, v)
        _search(board, limit, rng, found)
        board.clear(i, v)
        if len(found) >= limit:
            return


def count_solutions(p: Puzzle, limit: int = 2) -> int:
    """Number of solutions of ``p``, counting stops at ``limit``."""
    found: list = []
    _search(_Board(p.k, list(p.cells)), limit, None, found)
    return len(found)


def solve(p: Puzzle) -> tuple[int, ...] | None:
    """One solution (the first in increasing value order), or ``None``."""
    found: list = []
    _search(_Board(p.k, list(p.cells)), 1, None, found)
    return found[0] if found else None


def random_grid(k: int, rng: random.Random) -> tuple[int, ...]:
    """A uniformly shuffled-search solved m×m grid."""
    found: list = []
    _search(_Board(k, [0] * (k ** 4)), 1, rng, found)
    return found[0]


@dataclass(frozen=True)
class GeneratedPuzzle:
    puzzle: Puzzle
    solution: tuple[int, ...]
    seed: int


def generate_puzzle(k: int, seed: int, min_givens: int | None = None) -> GeneratedPuzzle:
    """A puzzle with exactly one solution, deterministic in ``seed``.

    Givens are removed in a random order while uniqueness holds, stopping early once only
    ``min_givens`` remain (default: none for 4×4 and 9×9, 45% of the cells for larger boards,
    where full minimization is slow).
    """
    rng = random.Random(f"sudoku-{k}-{seed}")
    m = k * k
    solution = random_grid(k, rng)
    if min_givens is None:
        min_givens = 0 if k <= 3 else (m * m * 45) // 100
    cells = list(solution)
    order = list(range(m * m))
    rng.shuffle(order)
    givens = m * m
    for i in order:
        if givens <= min_givens:
            break
        v = cells[i]
        cells[i] = 0
        if count_solutions(Puzzle(k, tuple(cells)), 2) != 1:
            cells[i] = v
        else:
            givens -= 1
    return GeneratedPuzzle(Puzzle(k, tuple(cells)), solution, seed)


def is_valid_solution(p: Puzzle, grid: tuple[int, ...]) -> bool:
    """Independent check: every unit is a permutation of 1..m and every given is kept."""
    m = p.m
    if len(grid) != m * m or any(not isinstance(v, int) or isinstance(v, bool) for v in grid):
        return False
    if any(g and g != v for g, v in zip(p.cells, grid, strict=True)):
        return False
    want = set(range(1, m + 1))
    return all({grid[i] for i in unit} == want for unit in units(p.k))

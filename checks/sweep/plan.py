"""Which cells a sweep runs: size ranges, per-construction caps and the default sweep.

Sizes are powers of two over a range (``--n 4..4096``), or an explicit list (``--n 4,8,12``).
A construction's cap (:data:`DEFAULT_CAPS`) is the largest n the *default* sweep runs it at
[decision]: chosen so that the whole default sweep fits in about 10 minutes on a 2-core machine
at today's speed. The caps are data: raise them when the interpreter or the generation loop
gets faster (``docs/sweep.md`` lists the measured cost per cell).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from apmdm.checks.sweep.cells import CONSTRUCTIONS, PRAM, TM, Cell, construction
from apmdm.machines.errors import InvalidArgumentError

MAX_N = 1 << 20

# The default sweep: (construction, program) series and the largest n each runs at.
DEFAULT_SERIES: tuple[tuple[str, str, int], ...] = (
    ("pram-arm", "prefix-sum", 256),
    ("pram-mdm", "prefix-sum", 1024),
    ("pram-apmdm", "prefix-sum", 4096),
    ("pram-arm", "sum", 256),
    ("pram-mdm", "sum", 1024),
    ("pram-apmdm", "sum", 4096),
    ("pram-apmdm-compiled", "prefix-sum", 16),
    ("pram-mdm-compiled", "prefix-sum", 8),
    ("tm-arm", "zeros-then-ones", 256),
    ("tm-apmdm", "zeros-then-ones", 256),
)
DEFAULT_N = (4, 4096)
# A construction's cap when a sweep names it without the default series (``--no-caps``: none).
DEFAULT_CAPS: dict[str, int] = {
    name: max(cap for c, _, cap in DEFAULT_SERIES if c == name)
    for name in dict.fromkeys(c for c, _, _ in DEFAULT_SERIES)}
DEFAULT_PROGRAMS = {PRAM: ("prefix-sum", "sum"), TM: ("zeros-then-ones",)}


@dataclass(frozen=True)
class SweepPlan:
    """The cells of a sweep, in the order their results are written."""

    cells: tuple[Cell, ...]

    def __len__(self) -> int:
        return len(self.cells)


def parse_sizes(text: str) -> tuple[int, ...]:
    """``A..B`` (powers of two from A to B; A and B need not be powers of two: the ends are
    included) or a comma-separated list."""
    text = text.strip()
    try:
        if ".." in text:
            lo_text, hi_text = text.split("..", 1)
            lo, hi = int(lo_text), int(hi_text)
            if lo < 1 or hi < lo or hi > MAX_N:
                raise ValueError
            sizes = {lo, hi}
            p = 1
            while p <= hi:
                if p >= lo:
                    sizes.add(p)
                p *= 2
            return tuple(sorted(sizes))
        sizes = tuple(sorted({int(x) for x in text.split(",") if x.strip()}))
        if not sizes or sizes[0] < 1 or sizes[-1] > MAX_N:
            raise ValueError
        return sizes
    except ValueError:
        raise InvalidArgumentError(f"--n {text!r}: expected A..B (powers of two, 1 <= A <= B <= "
                                   f"{MAX_N}) or a list such as 4,8,16") from None


def default_plan(seed: int = 0) -> SweepPlan:
    sizes = parse_sizes(f"{DEFAULT_N[0]}..{DEFAULT_N[1]}")
    return SweepPlan(tuple(Cell(c, p, n, seed) for c, p, cap in DEFAULT_SERIES
                           for n in sizes if n <= cap))


def build_plan(constructions: Iterable[str], programs: Mapping[str, Iterable[str]],
               sizes: tuple[int, ...], seed: int,
               caps: Mapping[str, int] | None = None) -> SweepPlan:
    """Every (construction, program of its kind, n in ``sizes`` up to its cap) cell."""
    cells = []
    for name in constructions:
        spec = construction(name)
        cap = (caps or {}).get(name, MAX_N)
        for program in programs.get(spec.kind, ()):
            cells.extend(Cell(name, program, n, seed) for n in sizes if n <= cap)
    if not cells:
        raise InvalidArgumentError("the sweep has no cells (check --construction, --program "
                                   "and --n against the caps)")
    return SweepPlan(tuple(cells))


def construction_names() -> tuple[str, ...]:
    return tuple(c.name for c in CONSTRUCTIONS)

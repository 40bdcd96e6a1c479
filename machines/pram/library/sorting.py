"""Bitonic sort, EREW, O(log² n): ``n`` integers at ``0 .. n-1`` sorted ascending in place.

Output region ``(0, n)``. Any n >= 1 (not only powers of two): see :func:`kit.bitonic_sort`.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from apmdm.machines.pram.library import kit

VALUE_RANGE = 1000


def build_bitonic_sort():
    a = kit.Asm("bitonic-sort", processors="max(1, n)", output=(0, "n"))
    length, base = a.alloc(2)
    a.nin(length).const(base, 0)
    kit.bitonic_sort(a, base, length)
    return a.build()


def random_keys(n: int, rng: random.Random) -> tuple[int, ...]:
    """Random integers with deliberate repeats (a small range half the time)."""
    top = VALUE_RANGE if rng.random() < 0.5 else max(1, n // 4)
    return tuple(rng.randint(-top, top) for _ in range(n))


def oracle_sorted(inputs: Sequence[int]) -> tuple[int, ...]:
    return tuple(sorted(inputs))

"""Scan and reductions: prefix sums, sum, parity (all EREW, O(log n)) and a sequential sum.

Input convention: ``n`` integers at addresses ``0 .. n-1`` (size parameter = input length).

* ``prefix-sum``: inclusive prefix sums in place; output region ``(0, n)``.
* ``sum`` / ``parity``: tree reduction with ``+`` / ``xor`` in place; output region ``(0, 1)``.
* ``seq-sum``: one processor adds the cells left to right; output region ``(n, 1)``.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from functools import reduce as fold
from operator import xor

import numpy as np

from apmdm.machines.pram.isa import Op, Program, ProgramBuilder
from apmdm.machines.pram.library import kit

VALUE_RANGE = 100  # |input value| <= 100 keeps every partial sum far below 2^31


def build_prefix_sum(pad: int = 0) -> Program:
    """Hillis–Steele scan; ``pad`` no-ops per round give a deliberately slower variant."""
    a = kit.Asm("prefix-sum", processors="max(1, n)", output=(0, "n"))
    length, base = a.alloc(2)
    a.nin(length).const(base, 0)
    kit.scan(a, Op.ADD, base, length, pad)
    return a.build()


def build_reduction(name: str, op: Op) -> Program:
    a = kit.Asm(name, processors="max(1, (n+1)/2)", output=(0, 1))
    length, base = a.alloc(2)
    a.nin(length).const(base, 0)
    kit.reduce(a, op, base, length)
    return a.build()


def build_seq_sum() -> Program:
    """acc = 0; for i in 0..n-1: acc += M[i]; M[n] = acc  (one processor)."""
    b = ProgramBuilder("seq-sum", processors=1, output=("n", 1), registers=5)
    length, i, acc, c, x = range(5)
    b.nin(length).const(i, 0).const(acc, 0)
    b.label("loop").lt(c, i, length).jz(c, "done")
    b.load(x, i, 0).add(acc, acc, x).addi(i, i, 1).jmp("loop")
    b.label("done").store(length, 0, acc)
    return b.build()


def random_values(n: int, rng: random.Random) -> tuple[int, ...]:
    return tuple(rng.randint(-VALUE_RANGE, VALUE_RANGE) for _ in range(n))


def random_bits(n: int, rng: random.Random) -> tuple[int, ...]:
    return tuple(rng.randint(0, 1) for _ in range(n))


def oracle_prefix_sum(inputs: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(v) for v in np.cumsum(np.asarray(inputs, dtype=np.int64)))


def oracle_sum(inputs: Sequence[int]) -> tuple[int, ...]:
    return (int(np.asarray(inputs, dtype=np.int64).sum()),)


def oracle_parity(inputs: Sequence[int]) -> tuple[int, ...]:
    return (fold(xor, inputs, 0),)

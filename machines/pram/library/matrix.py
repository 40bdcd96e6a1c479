"""Matrix products with d³ processors: integer (CREW, O(log d)) and Boolean (CRCW-common, O(1)).

Input (size parameter d = the dimension): ``d`` at address 0, then A (d×d, row-major) at
``1 .. d²`` and B at ``d²+1 .. 2d²``; input length ``2d² + 1``. Output region
``(2d²+1, d²)``: C = A·B row-major.

Processor count. A size expression sees only the input length 2d²+1, from which it cannot
take square roots; we declare ``2^(3·floor(clog2(2d²)/2))`` processors, which is exactly d³
when d is a power of two and less than 8·d³ otherwise (our decision; processors
p >= d³ stay idle). Processor p < d³ stands for (i, j, k) with p = (i·d + j)·d + k.

* ``matmul-int``: processor (i, j, k) writes ``A[i][k]·B[k][j]`` into a scratch cell
  ``T[p]`` (at 3d²+1+p); a tree reduction over k (rounds s = 1, 2, ... < d, processor with
  k ≡ 0 mod 2s and k+s < d adds T[p+s]) leaves the sum in T[(i·d+j)·d]; processor k = 0 copies
  it to C. ``A[i][k]`` is read by all j in one step: CREW.
* ``matmul-bool``: processor (i, j, k) writes 1 into ``C[i][j]`` iff ``A[i][k] != 0`` and
  ``B[k][j] != 0``; all writers of a cell write the same value: CRCW-common, constant time.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from apmdm.machines.pram.library import kit

PROCESSORS = "2^(3*(clog2(n-1)/2))"
VALUE_RANGE = 9


def _setup(a: kit.Asm, r: list[int]) -> None:
    """Registers: d, dd = d², act = (p < d³), k (+d if idle), ij, i, j, A/B addresses - 1."""
    p = a.PID
    zero, one, d, dd, ddd, act, k, ij, i, j, na, t, aa, ba = r
    a.const(zero, 0).const(one, 1).load(d, zero, 0).mul(dd, d, d).mul(ddd, dd, d)
    a.lt(act, p, ddd).mod(k, p, d).div(ij, p, d).div(i, ij, d).mod(j, ij, d)
    a.sub(na, one, act).mul(t, na, d).add(k, k, t)                     # idle: k >= d
    a.mul(aa, i, d).add(aa, aa, k)                                      # A[i][k] at aa + 1
    a.mul(ba, k, d).add(ba, ba, j).add(ba, ba, dd)                      # B[k][j] at ba + 1


def build_matmul_int():
    a = kit.Asm("matmul-int", processors=PROCESSORS, output=("n", "(n-1)/2"))
    r = a.alloc(14)
    zero, one, d, dd, ddd, act, k, ij, i, j, na, t, aa, ba = r
    tb, ta, x, y, s, s2, c, c2, ca = a.alloc(9)
    _setup(a, r)
    a.add(tb, dd, dd).add(tb, tb, dd).addi(tb, tb, 1).add(ta, tb, a.PID)   # T[p] at 3d²+1+p
    a.when(act, lambda: a.load(x, aa, 1).load(y, ba, 1).mul(x, x, y).store(ta, 0, x))
    a.const(s, 1)
    a.label("round").lt(c, s, d).jz(c, "end")
    a.add(s2, s, s).mod(c, k, s2).eq(c, c, zero)
    a.add(c2, k, s).lt(c2, c2, d).and_(c, c, c2)
    a.when(c, lambda: a.load(x, ta, 0).add(y, ta, s).load(y, y, 0).add(x, x, y).store(ta, 0, x))
    a.add(s, s, s).jmp("round")
    a.label("end").eq(c, k, zero)
    a.when(c, lambda: a.load(x, ta, 0).add(ca, dd, dd).add(ca, ca, ij).store(ca, 1, x))
    return a.build()


def build_matmul_bool():
    a = kit.Asm("matmul-bool", processors=PROCESSORS, output=("n", "(n-1)/2"))
    r = a.alloc(14)
    zero, one, d, dd, ddd, act, k, ij, i, j, na, t, aa, ba = r
    x, y, c, ca = a.alloc(4)
    _setup(a, r)
    a.add(ca, dd, dd).add(ca, ca, ij)                                   # C[i][j] at ca + 1
    a.when(act, lambda: a.load(x, aa, 1).load(y, ba, 1).ne(x, x, zero).ne(y, y, zero)
           .and_(c, x, y))
    a.when(c, lambda: a.store(ca, 1, one))
    return a.build()


def _random_matrices(d: int, rng: random.Random, low: int, high: int) -> tuple[int, ...]:
    return (d,) + tuple(rng.randint(low, high) for _ in range(2 * d * d))


def random_int_matrices(d: int, rng: random.Random) -> tuple[int, ...]:
    return _random_matrices(d, rng, -VALUE_RANGE, VALUE_RANGE)


def random_bool_matrices(d: int, rng: random.Random) -> tuple[int, ...]:
    """0/1 entries; the density varies so that both sparse and dense products occur."""
    density = rng.choice((0.1, 0.3, 0.5, 0.9))
    return (d,) + tuple(int(rng.random() < density) for _ in range(2 * d * d))


def _split(inputs: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    d = inputs[0]
    flat = np.asarray(inputs[1:], dtype=np.int64)
    return flat[:d * d].reshape(d, d), flat[d * d:].reshape(d, d)


def oracle_matmul_int(inputs: Sequence[int]) -> tuple[int, ...]:
    a, b = _split(inputs)
    return tuple(int(v) for v in (a @ b).ravel())


def oracle_matmul_bool(inputs: Sequence[int]) -> tuple[int, ...]:
    a, b = _split(inputs)
    return tuple(int(v) for v in ((a != 0).astype(np.int64) @ (b != 0).astype(np.int64)
                                  > 0).ravel())

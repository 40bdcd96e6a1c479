"""Declared bounds T(n), P(n), S(n) of the PRAM program library, with explicit constants.

``n`` is each program's *size parameter* (input length, vertex count or matrix dimension;
see ``docs/pram-programs.md``). T counts parallel steps until every processor halted, P the
processors, S the memory span (largest address touched + 1, the input included). These are
the interpreter's counters (``machines.pram.interpreter``).

Every constant below is derived from the program's loop structure [decision: our programs,
our counts], not fitted. The library's parallel programs run in *lock step*: every branch
that depends on data is balanced (a conditional block of k straight-line instructions costs
k + 2 steps whether taken or not), and loop trip counts depend only on n, so for a
data-oblivious program T(n) is exact on every input (``exact_time``). Notation:
``L = ceil_log(n, 2)`` = ⌈log₂ n⌉ (0 for n <= 1), the number of doubling rounds
(d = 1, 2, 4, ... while d < n).

Building blocks (counts in steps):

* scan (Hillis–Steele), per round: ``lt, jz`` (loop test) + ``le`` (active?) + conditional
  block of 5 (sub, load, load, add, store → 7) + ``add, jmp`` = **12**; setup 6; exit 2.
* tree reduction, per round: ``lt, jz`` + 4 index/test instructions + conditional block of 6
  (→ 8) + ``add, jmp`` = **16**; setup 1; exit 2.
* bitonic sort: L stages, stage s has s inner rounds, inner round = ``xor, lt, lt, and`` +
  conditional block of 7 (→ 9) + ``shr, mov, jnz`` = **16**; per stage 6 (``lt, jz, addi,
  shr`` + ``add, jmp``); setup 4; exit 2: ``16·L(L+1)/2 + 6L + 6 = 8L² + 14L + 6``.

Exactness: sympy's ``log(n, 2)`` of a non-power of two is irrational and ``ceiling`` of it
would rely on numerical evaluation, so ⌈log_b x⌉ is the function :class:`ceil_log`, which
evaluates with integer arithmetic as soon as its arguments are numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import sympy

n = sympy.Symbol("n", integer=True, positive=True)


def ceil_log_int(x: int, base: Fraction | int = 2) -> int:
    """Smallest k >= 0 with base**k >= x (so 0 for x <= 1); exact integer arithmetic."""
    b = Fraction(base)
    if b <= 1:
        raise ValueError(f"ceil_log base must exceed 1, got {base}")
    k, power = 0, Fraction(1)
    while power < x:
        power *= b
        k += 1
    return k


class ceil_log(sympy.Function):  # noqa: N801  (reads as the math function it is)
    """⌈log_b x⌉ as a sympy function; exact for integer x and rational b > 1."""

    nargs = 2

    @classmethod
    def eval(cls, x, b):
        if x.is_Integer and b.is_Rational:
            return sympy.Integer(ceil_log_int(int(x), Fraction(int(b.p), int(b.q))))
        return None


L = ceil_log(n, 2)


@dataclass(frozen=True)
class BoundValues:
    """T, P, S evaluated at one integer n."""

    n: int
    time: int
    processors: int
    memory: int


@dataclass(frozen=True)
class ProgramBounds:
    """Declared T(n), P(n), S(n) of one library program, with the derivation of the constants."""

    name: str
    time: sympy.Expr
    processors: sympy.Expr
    memory: sympy.Expr
    exact_time: bool
    derivation: str

    def at(self, size: int) -> BoundValues:
        return BoundValues(size, evaluate(self.time, size), evaluate(self.processors, size),
                           evaluate(self.memory, size))

    def summary(self) -> str:
        return f"T={self.time}, P={self.processors}, S={self.memory}"


def evaluate(expr: sympy.Expr, size: int) -> int:
    """The exact integer value of a bound expression at n = size (size >= 1)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"bounds are defined for integer n >= 1, got {size!r}")
    value = sympy.sympify(expr).subs(n, size)
    if not value.is_Integer:
        raise ValueError(f"bound {expr} did not evaluate to an integer at n={size}: {value}")
    return int(value)


def _bounds(name: str, time, processors, memory, exact: bool, derivation: str) -> ProgramBounds:
    return ProgramBounds(name, sympy.sympify(time), sympy.sympify(processors),
                         sympy.sympify(memory), exact, " ".join(derivation.split()))


MATMUL_PROCESSORS = 2 ** (3 * sympy.floor(ceil_log(2 * n**2, 2) / 2))

AS_ROUNDS = ceil_log(n, sympy.Rational(3, 2)) + 1

BOUNDS: dict[str, ProgramBounds] = {b.name: b for b in (
    _bounds("prefix-sum", 12 * L + 11, n, n, True, """
        pid, nin, const (3) + scan (6 + 12·L + 2). P = n. S = n: the scan works in place."""),
    _bounds("sum", 16 * L + 6, sympy.Max(1, sympy.ceiling(n / 2)), n, True, """
        pid, nin, const (3) + reduction (1 + 16·L + 2). One processor per pair: ⌈n/2⌉.
        In place: S = n."""),
    _bounds("parity", 16 * L + 6, sympy.Max(1, sympy.ceiling(n / 2)), n, True, """
        The sum program with xor instead of add: same counts."""),
    _bounds("seq-sum", 6 * n + 6, 1, n + 1, True, """
        nin, const, const (3); per element lt, jz, load, add, addi, jmp (6); exit lt, jz (2);
        final store (1). Result at cell n: S = n + 1."""),
    _bounds("list-rank", 11 * L + 9, n, 2 * n, True, """
        pid, nin, load, ne, add, store, const (7); per round lt, jz, add, load, load, add,
        store, store, mov, add, jmp (11); exit 2. next[] in place, rank[] at n..2n-1: S = 2n."""),
    _bounds("connected-components", 62 * AS_ROUNDS + 34, 2 * n, 4 * n + 1, False, """
        Setup 20 steps; per iteration 62 = 1 (flag reset) + 2·15 (star computation: store,
        load, add, load, ne, conditional block of 3 (→ 5), load, add, load, and, store)
        + 2·10 (hooking: 3 loads, compare, and, conditional block of 3 (→ 5)) + 9 (shortcut:
        load, add, load, ne, and, conditional block of 2 (→ 4)) + 2 (load flag, jnz);
        minimum labels 14 (2 + two conditional blocks of 4 (→ 6)). Iterations: at most
        ⌈log_{3/2} n⌉ that change something (the Awerbuch–Shiloach bound [literature]),
        plus one that observes no change. P = 2n (one per arc). S = 2n (edges) + n (D)
        + n (star flags / labels) + 1 (flag)."""),
    _bounds("bitonic-sort", 8 * L**2 + 14 * L + 9, n, n, True, """
        pid, nin, const (3) + bitonic network (8L² + 14L + 6). In place: S = n."""),
    _bounds("matmul-int", 17 * ceil_log(n, 2) + 39, MATMUL_PROCESSORS,
            n**3 + 3 * n**2 + 1, True, """
        n = the dimension d. Setup 19 (index arithmetic), scratch address 4, product block
        4 (→ 6), const 1 = 30; reduction over k, per round lt, jz, add, mod, eq, add, lt,
        and + block of 5 (→ 7) + add, jmp = 17, for ⌈log₂ d⌉ rounds; exit 2; copy-out eq +
        block of 4 (→ 6). P = 2^(3·⌊⌈log₂ 2d²⌉/2⌋) = d³ for d a power of two (< 8d³ else).
        S = 2d²+1 (input) + d² (C) + d³ (scratch products)."""),
    _bounds("matmul-bool", 31, MATMUL_PROCESSORS, 3 * n**2 + 1, True, """
        n = the dimension d. Setup 19, C address 2, block of 5 (→ 7), block of 1 (→ 3):
        constant time. S = 2d²+1 (input) + d² (C); cells of C that stay 0 are not written,
        so the measured span can be smaller."""),
    _bounds("dyck1", 28 * L + 28, n, n + 1, True, """
        pid, nin, const (3) + scan (12L + 8) + last-position fix addi, eq + block of 4 (→ 6)
        + min-reduction (16L + 3) + eq + block of 3 (→ 5). Answer at cell n: S = n + 1."""),
    _bounds("dyck-k", 8 * L**2 + 42 * L + 65, n, 4 * n + 1, True, """
        Setup 13 (constants, bases, sign, store); scan 12L + 8; level and key 6; skeleton
        test 6; bitonic sort of the keys 8L² + 14L + 6; pair test 5 + block of 9 (→ 11);
        store ok 2; min-reduction 16L + 3; copy-out 1 + block of 2 (→ 4). Memory: word n,
        answer 1, prefix sums n, keys n, ok flags n: S = 4n + 1."""),
    _bounds("seq-dyck", 12 * n + 5, 1, 2 * n + 1, False, """
        nin (1); per symbol at most 12 (an open takes 10: lt, jz, load, addi, lt, jnz, add,
        store, addi, jmp; a matched close 12: lt, jz, load, addi, lt, jnz, jz, add, load,
        addi, add, jz); end lt, jz, eq, store (4). A rejection halts early. Stack at
        n+1..: S <= 2n + 1."""),
)}

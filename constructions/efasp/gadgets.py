"""The gadget library: one-hidden-layer ReLU MLPs, exact on declared integer domains.

A gadget computes ``sum_u c_u relu(a_u(x)) + c_0`` where each ``a_u`` is an integer affine
form of residual dimensions; its value is written to one fresh residual dimension, and the
feature it implements is ``extra(x) + that dimension`` (``extra`` affine, folded into later
linear maps for free). ``width`` = number of hidden units. Derivations (``d`` integer unless
said otherwise; for a rational ``d = P/c`` with ``c <= C`` the same gadgets are used with
the argument scaled by ``C``, because ``C d`` is then either ``>= 0`` or ``<= -1`` when
compared with 0, exactly as for integers):

* **identity / linear maps**: free: affine forms fold into the next linear map.
* **step** ``[d >= 0] = relu(d + 1) - relu(d)``: ``d >= 0`` gives ``(d+1) - d = 1``;
  ``d <= -1`` gives ``0 - 0``. Width 2. ``a < b`` is ``[b - a - 1 >= 0]``, etc.
* **equality** ``[d == 0] = relu(d+1) - 2 relu(d) + relu(d-1)``: 1 at 0; for ``d >= 1``
  ``(d+1) - 2d + (d-1) = 0``; for ``d <= -1`` all three are 0. Width 3.
* **max** ``max(a, b) = b + relu(a - b)``, **min** ``min(a, b) = a - relu(a - b)``. Width 1.
* **select** ``c ? a : b = b + relu(a - b - B(1-c)) - relu(b - a - B(1-c))`` with
  ``B >= max |a - b|``: ``c = 1`` gives ``b + (a - b)``; ``c = 0`` makes both arguments
  ``<= 0``. Width 2.
* **and** of k booleans ``relu(sum - (k-1))``; **or** ``sum - relu(sum - 1)``; **xor**
  ``a + b - 2 relu(a + b - 1)``; **not** ``1 - a`` (free). Width 1.
* **lookup** ``f`` on ``[lo, hi]``: the piecewise-linear interpolant
  ``f(lo) + s_lo (x - lo) + sum_k (s_k - s_{k-1}) relu(x - k)`` with ``s_k = f(k+1) - f(k)``;
  exact at every integer. Width = number of slope changes (<= hi - lo - 1).
* **mul** ``a * b`` (two variables, ``a`` on the smaller domain ``[la, ha]``): layer 1 makes
  the steps ``t_k = [a >= k]`` for ``k = la+1..ha`` (``ha - la`` dimensions, width
  ``2 (ha - la)``); layer 2 sums ``select(t_k, b, 0)`` so ``a b = la b + sum_k t_k b``
  (width ``2 (ha - la)``). Width grows with the domain of ``a``: reported, never hidden.
* **times_length** ``m * L`` for a mean over the whole canvas (``m = S/L``) given the bits
  ``l_b`` of ``L - 1``: ``m L = m + sum_b 2^b select(l_b, m, 0)``; every hidden unit reads the
  single rational dimension ``m`` and the output ``S`` is an integer. Width ``2 (bits + 1)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Affine:
    """``const + sum coeff * dim`` over named residual dimensions, integer coefficients."""

    terms: tuple[tuple[str, int], ...] = ()
    const: int = 0

    @staticmethod
    def of(terms: Mapping[str, int] | Iterable[tuple[str, int]] = (), const: int = 0) -> Affine:
        acc: dict[str, int] = {}
        for k, v in (terms.items() if isinstance(terms, Mapping) else terms):
            acc[k] = acc.get(k, 0) + v
        return Affine(tuple(sorted((k, v) for k, v in acc.items() if v != 0)), const)

    @staticmethod
    def dim(name: str) -> Affine:
        return Affine(((name, 1),), 0)

    def __add__(self, other: Affine | int) -> Affine:
        if isinstance(other, int):
            return Affine(self.terms, self.const + other)
        return Affine.of(self.terms + other.terms, self.const + other.const)

    __radd__ = __add__

    def __sub__(self, other: Affine | int) -> Affine:
        return self + (-1) * other if isinstance(other, Affine) else self + (-other)

    def __rsub__(self, other: int) -> Affine:
        return (-1) * self + other

    def __mul__(self, k: int) -> Affine:
        return Affine.of([(d, c * k) for d, c in self.terms], self.const * k)

    __rmul__ = __mul__

    def __neg__(self) -> Affine:
        return self * -1

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(d for d, _ in self.terms)


@dataclass(frozen=True)
class Gadget:
    """``value = sum_u coeffs[u] * relu(units[u]) + const``, written to one dimension."""

    units: tuple[Affine, ...]
    coeffs: tuple[int, ...]
    const: int
    kind: str

    @property
    def width(self) -> int:
        return len(self.units)


def step(d: Affine, scale: int = 1) -> Gadget:
    """``[d >= 0]`` for integer ``d`` (or rational with denominators <= ``scale``)."""
    s = d * scale
    return Gadget((s + 1, s), (1, -1), 0, "step")


def equal_zero(d: Affine, scale: int = 1) -> Gadget:
    """``[d == 0]``."""
    s = d * scale
    return Gadget((s + 1, s, s - 1), (1, -2, 1), 0, "equality")


def relu_of(d: Affine, kind: str) -> Gadget:
    return Gadget((d,), (1,), 0, kind)


def select(cond: Affine, a: Affine, b: Affine, bound: int) -> tuple[Gadget, Affine]:
    """``cond ? a : b`` (cond boolean, ``bound >= max |a - b|``); value = extra + dim."""
    pen = (1 - cond) * bound
    return Gadget((a - b - pen, b - a - pen), (1, -1), 0, "select"), b


def and_all(args: list[Affine]) -> Gadget:
    total = sum(args[1:], args[0])
    return Gadget((total - (len(args) - 1),), (1,), 0, "and")


def or_all(args: list[Affine]) -> tuple[Gadget, Affine]:
    total = sum(args[1:], args[0])
    return Gadget((total - 1,), (-1,), 0, "or"), total


def xor(a: Affine, b: Affine) -> tuple[Gadget, Affine]:
    return Gadget((a + b - 1,), (-2,), 0, "xor"), a + b


def lookup(x: Affine, lo: int, values: list[int]) -> tuple[Gadget, Affine]:
    """Interpolant of ``values[k - lo]`` at integer ``x`` in ``[lo, lo + len(values) - 1]``."""
    slopes = [values[k + 1] - values[k] for k in range(len(values) - 1)]
    first = slopes[0] if slopes else 0
    units, coeffs = [], []
    for k in range(1, len(slopes)):
        change = slopes[k] - slopes[k - 1]
        if change:
            units.append(x - (lo + k))
            coeffs.append(change)
    extra = (x - lo) * first + values[0]
    return Gadget(tuple(units), tuple(coeffs), 0, "lookup"), extra


def select_sum(conds: list[Affine], weights: list[int], x: Affine, bound: int,
               kind: str) -> Gadget:
    """``sum_k weights[k] * (conds[k] ? x : 0)`` for ``|x| <= bound``."""
    units, coeffs = [], []
    for c, w in zip(conds, weights, strict=True):
        pen = (1 - c) * bound
        units += [x - pen, -1 * x - pen]
        coeffs += [w, -w]
    return Gadget(tuple(units), tuple(coeffs), 0, kind)

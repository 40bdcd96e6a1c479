"""Theorem 4: AP-MDM simulates PRAM in optimal time and optimal space.

Statement [paper]: an S(n)-memory PRAM program running T(n) steps is simulated by an AP-MDM
with context O(S(n)) and O(T(n)) steps; polynomial context therefore reaches PSPACE.

Constants our construction achieves (:mod:`constructions.pram.apmdm`; derived, not fitted):

* context: S memory cells (S = the memory bound the construction is compiled with, S ≥ n)
  plus a pair of positions per processor: ``context = S + d·P`` with **d = 2**, which is at
  most ``2·(S + P)``; it does not depend on T. [decision] Processor state is counted as
  memory: the space of a run is ``S' = S + P`` (:func:`space_with_processors`), and the
  context is at most ``SPACE_FACTOR·S'`` with **SPACE_FACTOR = 2**: O(S) when P = O(S),
  O(S + P) in general (matmul-bool has P = d³ > S);
* steps: each PRAM step is one *advance* step plus, if it writes, one *commit* step, and the
  run ends with one fixed-point step: ``steps ≤ a·T + b`` with **a = 2, b = 1**.

Turing-machine contrast [decision] (:mod:`constructions.tm.arm`, :mod:`constructions.tm.apmdm`),
for a TM run of T_tm steps visiting ``space`` cells on an input of length n:

* ARM (one record per TM step, then EOS): ``steps = T_tm + 1``, ``context = n + T_tm + 2``,
  i.e. Θ(TM time);
* AP-MDM (tape edited in place, two sentinels, cells inserted at the ends): ``steps ≤ 2·T_tm
  + 2`` and ``context ≤ n + space + 4``: Θ(TM space), independent of time.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

n = sympy.Symbol("n", nonnegative=True, integer=True)
P = sympy.Symbol("P", positive=True, integer=True)
T = sympy.Symbol("T", nonnegative=True, integer=True)
S = sympy.Symbol("S", positive=True, integer=True)
SPACE = sympy.Symbol("space", positive=True, integer=True)

STEPS_A = 2
STEPS_B = 1
SLOTS_PER_PROCESSOR = 2
TM_APMDM_STEPS_A = 2
TM_APMDM_STEPS_B = 2
TM_APMDM_CONTEXT_EXTRA = 4
# Tightness [decision, from the layout]: the canvas is exactly S + 2P (gap 0); a run takes at
# least one advance step per PRAM step plus the final fixed-point step, T + 1 <= steps, so
# the gap to 2T + 1 is at most T (:func:`apmdm_steps_slack`).
APMDM_CONTEXT_SLACK = 0
SPACE_FACTOR = 2

STATEMENT = ("an S-memory PRAM program running T steps is simulated by an AP-MDM with "
             "context O(S) and O(T) steps")


@dataclass(frozen=True)
class Theorem4Bounds:
    apmdm_steps: sympy.Expr = STEPS_A * T + STEPS_B
    apmdm_context: sympy.Expr = S + SLOTS_PER_PROCESSOR * P
    tm_arm_steps: sympy.Expr = T + 1
    tm_arm_context: sympy.Expr = n + T + 2
    tm_apmdm_steps: sympy.Expr = TM_APMDM_STEPS_A * T + TM_APMDM_STEPS_B
    tm_apmdm_context: sympy.Expr = n + SPACE + TM_APMDM_CONTEXT_EXTRA


BOUNDS = Theorem4Bounds()


def _int(expr: sympy.Expr, subs: dict) -> int:
    return int(expr.subs(subs))


def apmdm_steps_bound(time: int) -> int:
    """AP-MDM steps allowed for a PRAM run of ``time`` steps: ``2T + 1``."""
    return _int(BOUNDS.apmdm_steps, {T: time})


def apmdm_context_bound(memory: int, processors: int) -> int:
    """AP-MDM context allowed: ``S + 2P`` (S = the compiled memory bound)."""
    return _int(BOUNDS.apmdm_context, {S: memory, P: processors})


def space_with_processors(memory: int, processors: int) -> int:
    """S' = S + P: the memory span plus one word of state per processor [decision]."""
    return memory + processors


def apmdm_steps_slack(time: int) -> int:
    """How far below ``2T + 1`` the AP-MDM's steps may be: ``T``."""
    return time


def tm_arm_steps_bound(time: int) -> int:
    return _int(BOUNDS.tm_arm_steps, {T: time})


def tm_arm_context_bound(n_input: int, time: int) -> int:
    return _int(BOUNDS.tm_arm_context, {n: n_input, T: time})


def tm_apmdm_steps_bound(time: int) -> int:
    return _int(BOUNDS.tm_apmdm_steps, {T: time})


def tm_apmdm_context_bound(n_input: int, space: int) -> int:
    return _int(BOUNDS.tm_apmdm_context, {n: n_input, SPACE: space})

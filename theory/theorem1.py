"""Theorem 1: MDM simulates PRAM in optimal parallel time; context pays for total work.

Statement [paper]: a PRAM program with P(n) processors and T(n) parallel steps is simulated by
an MDM in O(T(n)) decoding steps with context O(P(n)·T(n)); PRAM(P, T) ⊆ MDM(O(P·T), O(T)).

Constants our construction achieves (:mod:`constructions.pram.mdm`; derived, not fitted):

* context: the canvas is the input (n tokens) plus T blocks of P slot tokens, where T is the
  time bound the construction is compiled with: ``context = n + c·P·T`` with **c = 1**;
* steps: block t is filled at step t (t = 1..T_run); if the bound is loose, one more step
  fills every remaining block with halted copies: ``steps ≤ a·T + b`` with **a = 1, b = 1**
  (T = the PRAM's running time; when the bound is tight the run takes exactly T steps);
* token width: one slot is a tuple of 6 + R ints (t, pid, pc, halted, write address, write
  value, R registers), each O(log n) bits for the programs we run.

Contrast [decision] (:mod:`constructions.pram.arm`): the chain-of-thought ARM writes the same
P·T slots one per step, then copies the L output cells out (one token each, the latest write
of that address, found by f from the canvas), then EOS: ``steps = P·T + L + 1`` and
``context = n + 1 + P·T + L + 1 = n + P·T + L + 2`` (prompt = input + separator; the final
canvas ends with the L copied cells and EOS). Both grow with the total work.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

n = sympy.Symbol("n", nonnegative=True, integer=True)
P = sympy.Symbol("P", positive=True, integer=True)
T = sympy.Symbol("T", positive=True, integer=True)
R = sympy.Symbol("R", positive=True, integer=True)
L = sympy.Symbol("L", nonnegative=True, integer=True)   # output cells (ARM copy-out)

STEPS_A = 1
STEPS_B = 1
CONTEXT_C = 1
SLOT_HEADER = 6
# Tightness [decision, from the layout]: how far below its bound a measurement may be. The MDM
# fills one block per PRAM step, plus one step when the time bound is loose: T or T + 1 steps
# (gap <= 1); its canvas is exactly n + P·T_bound (gap 0). The ARM meets both bounds exactly.
# The checker holds these too, so a loosened constant (a = 2, c = 2, ...) fails a row.
MDM_STEPS_SLACK = 1
MDM_CONTEXT_SLACK = 0
ARM_STEPS_SLACK = 0
ARM_CONTEXT_SLACK = 0

STATEMENT = ("PRAM(P, T) ⊆ MDM(O(P·T), O(T)): a PRAM program with P processors and T steps is "
             "simulated by an MDM in O(T) steps with context O(P·T)")


@dataclass(frozen=True)
class Theorem1Bounds:
    """Explicit bounds as sympy expressions in n, P, T (and R for the slot width)."""

    mdm_steps: sympy.Expr = STEPS_A * T + STEPS_B
    mdm_context: sympy.Expr = n + CONTEXT_C * P * T
    arm_steps: sympy.Expr = P * T + L + 1
    arm_context: sympy.Expr = n + P * T + L + 2
    slot_width: sympy.Expr = SLOT_HEADER + R


BOUNDS = Theorem1Bounds()


def _int(expr: sympy.Expr, subs: dict) -> int:
    return int(expr.subs(subs))


def mdm_steps_bound(time: int) -> int:
    """MDM steps allowed for a PRAM run of ``time`` steps: ``T + 1``."""
    return _int(BOUNDS.mdm_steps, {T: time})


def mdm_context_bound(n_input: int, processors: int, time_bound: int) -> int:
    """MDM context allowed: ``n + P·T`` (T = the compiled time bound)."""
    return _int(BOUNDS.mdm_context, {n: n_input, P: processors, T: time_bound})


def arm_steps_bound(processors: int, time: int, outputs: int) -> int:
    """Chain-of-thought ARM steps: ``P·T + L + 1`` (L = output cells copied out)."""
    return _int(BOUNDS.arm_steps, {P: processors, T: time, L: outputs})


def arm_context_bound(n_input: int, processors: int, time: int, outputs: int) -> int:
    """Chain-of-thought ARM context: ``n + P·T + L + 2``."""
    return _int(BOUNDS.arm_context, {n: n_input, P: processors, T: time, L: outputs})

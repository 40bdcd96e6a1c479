"""Theorem 1: MDM simulates PRAM in optimal parallel time; context pays for total work.

Statement [paper]: a PRAM program with P(n) processors and T(n) parallel steps is simulated by
an MDM in O(T(n)) decoding steps with context O(P(n)·T(n)); PRAM(P, T) ⊆ MDM(O(P·T), O(T)).

Constants our construction achieves (:mod:`constructions.pram.mdm`; derived, not fitted):

* context: the canvas is the input (n tokens), T blocks of P slot tokens, where T is the
  time bound the construction is compiled with, and the output block of m positions, one per
  cell of the program's output region (the answer sits there, copied out by the model;
  [decision]): ``context = n + c·P·T + m`` with **c = 1**. m is a separate term: a cell of
  the output region that is neither an input nor written reads 0, so m is bounded by the
  program's declared output region, not by its work (m ≤ n + P·T whenever every output cell
  is an input or written; on the library m/(n + P·T) ≤ 0.15);
* steps: block t is filled at step t (t = 1..T_run); block T_run is the first whose
  processors have all halted, so step T_run + 1 is the copy-out: it fills the output block
  (and, if the bound is loose, every remaining slot block with halted copies, in the same
  step). ``steps ≤ a·T + b`` with **a = 1, b = 1** (T = the PRAM's running time), and the
  run takes exactly T + 1 steps when m ≥ 1, loose bound or tight. (Only a program with an
  empty output region and a tight bound ends after T steps: no mask is left after block T.);
* token width: one slot is a tuple of 6 + R ints (t, pid, pc, halted, write address, write
  value, R registers), each O(log n) bits for the programs we run.

Contrast [decision] (:mod:`constructions.pram.arm`): the chain-of-thought ARM writes the same
P·T slots one per step, then copies the L output cells out (one token each, the latest write
of that address, found by f from the canvas), then EOS: ``steps = P·T + L + 1`` and
``context = n + 1 + P·T + L + 1 = n + P·T + L + 2`` (prompt = input + separator; the final
canvas ends with the L copied cells and EOS). Both grow with the total work. (L and the
MDM's m count the same cells, the program's output region.)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

n = sympy.Symbol("n", nonnegative=True, integer=True)
P = sympy.Symbol("P", positive=True, integer=True)
T = sympy.Symbol("T", positive=True, integer=True)
R = sympy.Symbol("R", positive=True, integer=True)
M = sympy.Symbol("m", nonnegative=True, integer=True)   # output cells, MDM output block
L = sympy.Symbol("L", nonnegative=True, integer=True)   # output cells (ARM copy-out)

STEPS_A = 1
STEPS_B = 1
CONTEXT_C = 1
SLOT_HEADER = 6
# Tightness [decision, from the layout]: how far below its bound a measurement may be. The MDM
# fills one block per PRAM step, plus the copy-out step: exactly T + 1 steps when the output
# region is non-empty (gap 0); T when it is empty and the bound tight (gap 1, see
# mdm_steps_slack); its canvas is exactly n + P·T_bound + m (gap 0). The ARM meets both bounds
# exactly. The checker holds these too, so a loosened constant (a = 2, c = 2, ...) fails a row.
MDM_STEPS_SLACK = 1           # the largest gap, any output length (mdm_steps_slack(m) <= it)
MDM_CONTEXT_SLACK = 0
ARM_STEPS_SLACK = 0
ARM_CONTEXT_SLACK = 0

STATEMENT = ("PRAM(P, T) ⊆ MDM(O(P·T), O(T)): a PRAM program with P processors and T steps is "
             "simulated by an MDM in O(T) steps with context O(P·T)")


@dataclass(frozen=True)
class Theorem1Bounds:
    """Explicit bounds as sympy expressions in n, P, T, m (and R for the slot width)."""

    mdm_steps: sympy.Expr = STEPS_A * T + STEPS_B
    mdm_context: sympy.Expr = n + CONTEXT_C * P * T + M
    arm_steps: sympy.Expr = P * T + L + 1
    arm_context: sympy.Expr = n + P * T + L + 2
    slot_width: sympy.Expr = SLOT_HEADER + R


BOUNDS = Theorem1Bounds()


def _int(expr: sympy.Expr, subs: dict) -> int:
    return int(expr.subs(subs))


def mdm_steps_bound(time: int) -> int:
    """MDM steps allowed for a PRAM run of ``time`` steps: ``T + 1``."""
    return _int(BOUNDS.mdm_steps, {T: time})


def mdm_steps_slack(output_cells: int) -> int:
    """How far below :func:`mdm_steps_bound` the MDM's steps may be: 0 when the output block
    is non-empty (the copy-out step always runs), 1 otherwise (tight bound: T steps)."""
    return 0 if output_cells else MDM_STEPS_SLACK


def mdm_context_bound(n_input: int, processors: int, time_bound: int, output_cells: int) -> int:
    """MDM context allowed: ``n + P·T + m`` (T = the compiled time bound, m = output cells)."""
    return _int(BOUNDS.mdm_context, {n: n_input, P: processors, T: time_bound, M: output_cells})


def arm_steps_bound(processors: int, time: int, outputs: int) -> int:
    """Chain-of-thought ARM steps: ``P·T + L + 1`` (L = output cells copied out)."""
    return _int(BOUNDS.arm_steps, {P: processors, T: time, L: outputs})


def arm_context_bound(n_input: int, processors: int, time: int, outputs: int) -> int:
    """Chain-of-thought ARM context: ``n + P·T + L + 2``."""
    return _int(BOUNDS.arm_context, {n: n_input, P: processors, T: time, L: outputs})

"""Theorem 6: AP-MDM generation is hard to simulate by ARM (PRESERVE). Bounds of OUR solvers.

Statement [paper]: under standard complexity assumptions, some constant-depth AP-MDM's
generation cannot be simulated by any constant-depth ARM or Masked-ARM; the obstacle is
tracking which token sits where after many insert/delete edits (the PRESERVE problem).

Reconstruction [decision] (see :mod:`constructions.preserve`): an instance is an initial canvas
of n0 values, E edit steps (AP-MDM control bits + fill values) and a query. Let
``I = Σ_t |E_t|`` be the number of instruction tokens and ``script = E + I`` (one header per
step). The checker holds our two solvers to these exact bounds:

AP-MDM (canvas ``data SEP script``):
* steps   ≤ E + 2                       (one per step, one cleanup, one fixed point)
* context ≤ n0 + 1 + script + max_t |insert_t|
* extra steps per query = 0             (the answer is read at position q of the final canvas)

ARM replay (prompt ``data SEP script query``; the edits stay in its context):
* generated tokens per query ≤ E + 3    (a chain of ≤ E + 1 positions, the answer, EOS)
* context ≤ n0 + 1 + script + 1 + E + 3
* instruction tokens read per query ≤ I

These are upper bounds on our constructions, not the paper's lower bound: the paper's claim
is that no constant-depth ARM can avoid a cost growing with the number of edits; our
measurement shows how this particular replay's context and per-query work grow with E.

Pure: only sympy.
"""

from __future__ import annotations

import sympy

E, n0, script, max_ins, instr = sympy.symbols("E n0 script max_ins I", integer=True,
                                              nonnegative=True)

STATEMENT = (
    "Under standard assumptions some constant-depth AP-MDM's generation cannot be simulated by "
    "any constant-depth ARM or Masked-ARM: tracking tokens through many insert/delete edits "
    "(PRESERVE) is too hard for constant depth."
)
RECONSTRUCTION = (
    "PRESERVE (ours): initial canvas + E AP-MDM edit steps (control bits, fill values) + query "
    "position; answer = the cell at that position after all edits (MASK or value with the "
    "step/position that wrote it)."
)

APMDM_STEPS = E + 2
APMDM_CONTEXT = n0 + 1 + script + max_ins
APMDM_QUERY_STEPS = sympy.Integer(0)
ARM_GENERATED = E + 3
ARM_CONTEXT = n0 + 1 + script + 1 + E + 3
ARM_WORK = instr


def _value(expr: sympy.Expr, **values: int) -> int:
    subs = {sym: values[sym.name] for sym in expr.free_symbols}
    out = expr.subs(subs)
    if not out.is_integer:
        raise ValueError(f"bound {expr} is not an integer at {values}")
    return int(out)


def apmdm_bounds(steps: int, n_initial: int, script_len: int, max_inserts: int) -> dict[str, int]:
    return {"steps": _value(APMDM_STEPS, E=steps),
            "context": _value(APMDM_CONTEXT, n0=n_initial, script=script_len,
                              max_ins=max_inserts)}


def arm_bounds(steps: int, n_initial: int, script_len: int, instructions: int) -> dict[str, int]:
    return {"generated": _value(ARM_GENERATED, E=steps),
            "context": _value(ARM_CONTEXT, n0=n_initial, script=script_len, E=steps),
            "work": _value(ARM_WORK, I=instructions)}

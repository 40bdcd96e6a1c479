"""Parity's elimination next-step function as an E-FASP program, compiled to a transformer.

Same canvas and rule as :mod:`constructions.tasks.parity` (``BOS b1 … bn``; look at the
window of positions 1 and 2; delete the masks there, else remask the 0s, or both bits if
they are ``1 1``). Only the encoding is ours [decision]: one token field ``sym`` with
``BOS -> 0``, bit ``b -> b + 1`` (MASK has ``is_mask = 1`` and field 0).

Per position ``i`` (``L`` = canvas length, ``W`` = the window ``{1, 2}`` ∩ canvas):

* ``in_window = [i ∈ {1, 2}]`` (a lookup on the position: 3 hidden units);
* ``any_masked = max_{j ∈ W} is_mask_j`` and ``all_ones = min_{j ∈ W} [sym_j = 2]``
  (two aggregations over the window, default 0 when ``W`` is empty);
* ``pair = [L - 1 >= 2]`` (the window holds two positions; ``L - 1 = seq_max(pos)``);
* ``delete_i = in_window ∧ is_mask_i`` (when a window position is masked, the reference
  rule deletes exactly the masked window positions; otherwise no window position is masked);
* ``remask_i = in_window ∧ ¬any_masked ∧ (is_zero_i ∨ (pair ∧ all_ones))``, written as one
  threshold: with ``v = 2 is_zero + pair + all_ones ∈ [0, 4]``, ``v >= 2`` iff
  ``is_zero ∨ (pair ∧ all_ones)``; then ``3 in_window - 3 any_masked + v >= 5`` iff all three
  conjuncts hold (``in_window = 0`` or ``any_masked = 1`` leave at most 4);
* token ``y_i`` = the current token (``sym`` read back through the vocabulary); the process
  never unmasks, and g never reads ``y`` at a window mask (it is deleted), so the token is
  a don't-care that we make the identity.

The reference f returns no tokens at all (sparse output); :func:`same_step_output` compares
the two outputs as g sees them: equal control sets and equal tokens wherever g reads one.

``apmdm explain parity --n N`` shows the compiled weights (registered below).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from apmdm.constructions.efasp.compiler import CompiledProgram, compile_program
from apmdm.constructions.efasp.lang import Program
from apmdm.constructions.tasks.parity import BOS, PARITY_VOCABULARY
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Model, StepOutput, mask_positions
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer import CompiledTransformer

_SYM = {BOS: 0, 0: 1, 1: 2}


def _encode(token: Any) -> tuple[int]:
    if isinstance(token, bool) or token not in _SYM:
        raise InvalidArgumentError(f"not a parity token: {token!r}")
    return (_SYM[token],)


def parity_program() -> Program:
    """The parity next-step function as an E-FASP program (independent of ``n``)."""
    p = Program("parity", (("sym", 0, 2),), encode=_encode,
                decode=lambda f: PARITY_VOCABULARY[f[0]],
                description="parity elimination: delete window masks, else remask 0s / 1 1")
    sym, mask, pos = p.token_field("sym"), p.is_mask("is_mask"), p.position("pos")
    in_window = p.lookup(pos, {1: 1, 2: 1}, 0, name="in_window")
    any_masked = p.seq_max(mask, where=in_window, default=0, name="any_masked")
    is_one = p.compare(sym, "==", 2, name="is_one")
    all_ones = p.seq_min(is_one, where=in_window, default=0, name="all_ones")
    pair = p.compare(p.seq_max(pos, name="last"), ">=", 2, name="pair")
    is_zero = p.compare(sym, "==", 1, name="is_zero")   # MASK has sym 0: never a zero bit
    score = p.linear([(in_window, 3), (any_masked, -3), (is_zero, 2), (pair, 1),
                      (all_ones, 1)], name="remask_score")
    remask = p.compare(score, ">=", 5, name="remask")
    delete = p.and_(in_window, mask, name="delete")
    p.output_vocab(sym, PARITY_VOCABULARY)
    p.output_controls(remask=remask, delete=delete)
    return p


def compile_parity(n: int) -> CompiledProgram:
    """The compiled parity transformer for inputs of up to ``n`` bits (canvas ``n + 1``)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidArgumentError(f"n must be a positive integer, got {n!r}")
    return compile_program(parity_program(), n + 1)


def compiled_parity_process(n: int) -> GenerationProcess:
    """The parity AP-MDM whose next-step function is the compiled transformer."""
    return GenerationProcess(Model.APMDM, compile_parity(n).next_step(), name="parity-efasp")


def same_step_output(canvas: Sequence[Any], a: StepOutput, b: StepOutput) -> bool:
    """Equal as g sees them: same remask/insert/delete sets and the same ``y_i`` at every
    masked position g reads (not remasked, not deleted)."""
    if (a.remask, a.insert, a.delete) != (b.remask, b.insert, b.delete):
        return False
    for i in mask_positions(canvas):
        if i in a.remask or i in a.delete:
            continue
        try:
            ya, yb = a.token_at(i), b.token_at(i)
        except (KeyError, IndexError):
            return False
        if ya is MASK or ya != yb:
            return False
    return True


def build_transformer(n: int) -> CompiledTransformer:
    """The parity elimination f compiled for canvases of length at most ``n``."""
    compiled = compile_program(parity_program(), n)
    base = compiled.transformer
    return CompiledTransformer(base.spec, base.codec, base.name,
                               {"compiled_program": compiled, "stats": dict(compiled.stats)})

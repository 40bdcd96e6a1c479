"""Parity as an AP-MDM elimination process (the paper's parity task, hand-built).

Canvas: ``BOS b1 … bn`` with ``BOS`` the string ``"BOS"`` and bits the ints 0 and 1.

The next-step function looks only at the (at most two) positions right after ``BOS``
[paper]:

* if one of them holds MASK: set the delete bit on each such MASK (the previous step
  remasked it), nothing else;
* otherwise, with ``w`` the bits at positions 1..min(2, n): remask every 0 of ``w``; if ``w``
  is two 1s, remask both (1 xor 1 = 0).

Each remask/delete round removes at least one bit and keeps the parity of the number of
ones, so the run ends (fixed point: the rule does nothing) at ``BOS`` (even) or ``BOS 1``
(odd). A lone ``0`` after ``BOS`` is remasked and deleted too [decision: the paper's window
is two bits; with one bit left we apply the same rule to the one bit].

Cost: each round is two steps and removes ≥ 1 bit, plus the final fixed-point step, so
``steps ≤ 2n + 1`` (:func:`parity_step_bound`) and context ``≤ n + 1`` (it never grows).

The rule is position-wise (a position reads itself and whether it is position 1 or 2 and
what its neighbour in the window holds), which is what a compiled transformer needs.
The output is sparse: no tokens (nothing is ever unmasked) and control sets of size ≤ 2,
so f costs O(1); the loop's g is O(n) per step in C.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput
from apmdm.machines.tokens import MASK, Canvas

BOS = "BOS"
PARITY_VOCABULARY = (BOS, 0, 1)
_NOTHING: dict[int, object] = {}


def parity_next_step(canvas: Canvas) -> StepOutput:
    """f for parity: a pure function of the canvas (see the module docstring)."""
    window = range(1, min(3, len(canvas)))
    masked = [i for i in window if canvas[i] is MASK]
    if masked:
        return StepOutput(_NOTHING, delete=frozenset(masked))
    bits = [canvas[i] for i in window]
    if len(bits) == 2 and bits[0] == 1 and bits[1] == 1:
        return StepOutput(_NOTHING, remask=frozenset(window))
    return StepOutput(_NOTHING, remask=frozenset(i for i in window if canvas[i] == 0))


PARITY_PROCESS = GenerationProcess(Model.APMDM, parity_next_step, name="parity")


def parity_canvas(bits: Sequence[int]) -> Canvas:
    """The initial canvas ``BOS b1 … bn``; raises on anything but 0/1 ints."""
    for i, b in enumerate(bits):
        if isinstance(b, bool) or b not in (0, 1):
            raise InvalidArgumentError(f"parity bit {i} is {b!r}, not 0 or 1")
    return (BOS, *bits)


def parity_of_canvas(canvas: Sequence) -> int:
    """Read the answer off a final canvas: ``BOS`` → 0, ``BOS 1`` → 1; raises otherwise."""
    final = tuple(canvas)
    if final == (BOS,):
        return 0
    if final == (BOS, 1):
        return 1
    raise InvalidArgumentError(f"not a final parity canvas: {final[:8]!r}"
                               f"{'…' if len(final) > 8 else ''}")


def parity_step_bound(n: int) -> int:
    """Steps ≤ 2n + 1: two steps per removed bit (at least one per round) + the fixed point."""
    return 2 * n + 1


def parity_limits(n: int) -> Limits:
    return Limits(max_steps=parity_step_bound(n) + 8, max_context=n + 1)


def random_bits(n: int, seed: int) -> tuple[int, ...]:
    """``n`` uniform random bits, deterministic in ``seed``."""
    rng = random.Random(seed)
    return tuple(rng.getrandbits(1) for _ in range(n))


@dataclass(frozen=True)
class ParityRun:
    """One parity run: the input, the answer read off the final canvas, and the costs."""

    bits_count: int
    expected: int
    answer: int | None      # None if the final canvas is not a final parity canvas
    steps: int
    max_context: int
    tokens_written: int
    edits: int              # unmask + remask + insert + delete operations

    @property
    def correct(self) -> bool:
        return self.answer == self.expected


def run_parity(bits: Sequence[int], process: GenerationProcess = PARITY_PROCESS) -> ParityRun:
    """Run ``process`` (the parity process by default) on ``bits`` and score it."""
    canvas = parity_canvas(bits)
    result = process.run(canvas, parity_limits(len(bits)))
    try:
        answer: int | None = parity_of_canvas(result.final)
    except InvalidArgumentError:
        answer = None
    c = result.counters
    return ParityRun(len(bits), sum(bits) % 2, answer if result.halted else None, c.steps,
                     c.max_context, c.tokens_written, c.unmasks + c.remasks + c.inserts + c.deletes)


# -- inspection --------------------------------------------------------------------------------

PARITY_SCHEMA = {
    "construction": "parity",
    "layout": "BOS b1 ... bn; the bits after BOS are eliminated two at a time",
    "kinds": [{"name": "bos", "match": {"type": "str", "values": [BOS]},
               "fields": [["word", "beginning of sequence"]]},
              {"name": "bit", "match": {"type": "int"}, "fields": [["bit", "an input bit"]]}],
}


def parity_state(canvas: Sequence) -> dict:
    """Bits left, ones among them (the parity is invariant), masks pending deletion."""
    bits = [b for b in canvas[1:] if b is not MASK]
    return {"bits_left": len(bits), "ones": sum(bits), "parity": sum(bits) % 2,
            "masked": sum(1 for b in canvas if b is MASK)}

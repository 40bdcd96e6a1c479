"""Theorem 3 at the function level: AO-MDM -> Masked-ARM by log, replay and copy-out.

Given an AO-MDM (a next-step function that fills exactly one masked position per step) and
its initial canvas ``x0`` of length S with ``m`` masks, :func:`build_masked_arm` returns a
Masked-ARM whose canvas is

    [x0 with every MASK shown as BLANK]  +  [m record slots, all MASK]  +  [m copy slots, all MASK]

(length ``S + 2m <= 3·S``). Its next-step function sees only that canvas:

1. *rebuild*: the AO canvas is the canvas region with BLANK -> MASK, where each position
   ``p`` then takes the token of the rightmost filled record ``(p, y)`` naming it (rightmost
   exact match on the position field: the latest record wins);
2. *decide*: apply the AO next-step function to the rebuilt canvas, check that it obeys the
   AO-MDM restriction, and read its decision ``(p, y)``: the unique masked position it fills;
3. *log*: write the record ``(p, y)`` into the leftmost record slot (every other slot keeps
   its remask bit = stays masked), as the Masked-ARM restriction demands.

If the AO process has an EOS token and a record wrote it, the AO run has stopped: every
record slot still free gets the PAD record instead (the Masked-ARM must fill the leftmost
mask, and the copy slots sit at fixed positions).

4. *copy out* [decision]: copy slot ``j`` (position ``S + m + j``) receives the rebuilt AO
   token at the ``j``-th BLANK of the region (the ``j``-th mask of x0), or BLANK if the AO run
   stopped (EOS) before filling it. The last copy slot fills the last mask: the run stops
   with no mask left, after exactly ``2m`` steps.

So the AO-MDM's final canvas sits at designated positions: position ``p`` of the region where
x0 has a token (the prompt, never rewritten), copy slot ``j`` for the ``j``-th mask of x0.
:func:`copied_out_answer` reads those positions and nothing else; the records are working
memory. (The compiled version, :mod:`constructions.masked_arm.compiled`, keeps the log-only
layout; see docs/theorem-3.md.)

The layer accounting of the transformer version (constant ``k`` extra layers) is in
:mod:`theory.theorem3`; :func:`extra_layer_plan` lists those layers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from apmdm.machines.errors import ConstructionError, InvalidArgumentError, RestrictionViolation
from apmdm.machines.process import (
    GenerationProcess,
    Model,
    NextStep,
    StepOutput,
    check_restriction,
    mask_positions,
)
from apmdm.machines.tokens import MASK, Canvas, is_token
from apmdm.theory.theorem3 import EXTRA_LAYERS

BLANK = "<blank>"
HALT = ("<halt>",)   # the compiled version's EOS record (constructions.masked_arm.compiled)
PAD = ("<pad>",)     # a record slot left over after the AO-MDM wrote its EOS


@dataclass(frozen=True)
class LoggedLayout:
    """Where things are on the Masked-ARM canvas: ``[0, size)`` canvas region, then the
    record slots, then the copy slots (function level: one per mask; compiled: none)."""

    size: int  # S, the AO canvas length
    slots: int  # m, the number of record slots (masks of the AO initial canvas)
    blank: Any = BLANK
    copies: int = 0  # copy-out slots after the records

    @property
    def records_end(self) -> int:
        return self.size + self.slots

    @property
    def length(self) -> int:
        return self.size + self.slots + self.copies


def rebuild_ao_canvas(canvas: Sequence[Any], layout: LoggedLayout) -> Canvas:
    """The AO canvas encoded by a Masked-ARM canvas (rightmost exact match on position)."""
    region = [MASK if t == layout.blank else t for t in canvas[: layout.size]]
    latest: dict[int, Any] = {}
    for slot in range(layout.size, layout.records_end):
        rec = canvas[slot]
        if rec is MASK:
            break
        if rec == HALT or rec == PAD:
            continue
        latest[rec[0]] = rec[1]  # later records overwrite earlier ones: rightmost wins
    for p, y in latest.items():
        region[p] = y
    return tuple(region)


def decode_ao_canvas(canvas: Sequence[Any], layout: LoggedLayout) -> Canvas:
    """The AO-MDM's final canvas rebuilt from the *records* (an aggregation over the log).
    The answer of a finished run is read by :func:`copied_out_answer` instead; this stays
    for inspection and for the compiled, log-only layout."""
    return rebuild_ao_canvas(canvas, layout)


def copied_out_answer(final: Sequence[Any], ao_canvas: Sequence[Any],
                      blank: Any = BLANK) -> Canvas:
    """The AO-MDM's final canvas read from designated positions only: for each position p of
    the initial AO canvas ``ao_canvas`` (S positions, m masks), the region cell p if x0 has a
    token there, else copy slot ``S + m + j`` for the j-th mask (BLANK there = still MASK).
    Positions are fixed by (S, m) from ``ao_canvas``; no record is read."""
    S = len(ao_canvas)
    masks = [p for p, t in enumerate(ao_canvas) if t is MASK]
    if len(final) != S + 2 * len(masks):
        raise ConstructionError(f"the final canvas has length {len(final)}, expected "
                                f"S + 2m = {S + 2 * len(masks)}")
    out = list(final[:S])
    for j, p in enumerate(masks):
        y = final[S + len(masks) + j]
        if y is MASK:
            raise ConstructionError(f"copy slot {j} holds {y!r}, not a copied AO token")
        out[p] = MASK if y == blank else y
    return tuple(out)


def _first_mask(canvas: Sequence[Any], start: int) -> int | None:
    try:
        return canvas.index(MASK, start)
    except ValueError:
        return None


@dataclass(frozen=True)
class LoggedMaskedARM:
    """The Masked-ARM next-step function: rebuild, decide, log. Pure in (data, canvas)."""

    ao_step: NextStep
    layout: LoggedLayout
    ao_eos: Any = None

    def __call__(self, canvas: Canvas) -> StepOutput:
        lay = self.layout
        slot = _first_mask(canvas, lay.size)
        if slot is None:
            raise ConstructionError("Masked-ARM called on a canvas with no free slot")
        rest = frozenset(range(slot + 1, lay.length))
        if slot >= lay.records_end:
            return StepOutput({slot: self.copied(canvas, slot - lay.records_end)}, remask=rest)
        if slot > lay.size and self.ao_eos is not None:
            last = canvas[slot - 1]
            if last == PAD or (len(last) == 2 and last[1] == self.ao_eos):
                return StepOutput({slot: PAD}, remask=rest)
        record = self.ao_decision(rebuild_ao_canvas(canvas, lay), slot - lay.size + 1)
        return StepOutput({slot: record}, remask=rest)

    def copied(self, canvas: Canvas, j: int) -> Any:
        """Copy step j: the rebuilt AO token at the j-th BLANK of the region (BLANK if the AO
        run ended before filling it)."""
        lay = self.layout
        blanks = [p for p in range(lay.size) if canvas[p] == lay.blank]
        if j >= len(blanks):
            raise ConstructionError(f"copy slot {j} has no BLANK of the region to copy")
        y = rebuild_ao_canvas(canvas, lay)[blanks[j]]
        return lay.blank if y is MASK else y

    def ao_decision(self, ao_canvas: Canvas, ao_step: int) -> tuple:
        """Run the AO next-step function on the rebuilt canvas; return its record ``(p, y)``."""
        masks = mask_positions(ao_canvas)
        if not masks:
            raise ConstructionError(f"AO canvas has no mask at AO step {ao_step}")
        out = self.ao_step(ao_canvas)
        if not isinstance(out, StepOutput):
            raise ConstructionError(f"AO next-step function returned {type(out).__name__}")
        try:
            check_restriction(Model.AOMDM, ao_canvas, out, masks, ao_step)
        except RestrictionViolation as exc:
            raise ConstructionError(f"the AO next-step function is not an AO-MDM: {exc}") from exc
        filled = [p for p in masks if p not in out.remask]
        p = filled[0]
        y = out.token_at(p)
        if y is MASK or not is_token(y) or y == self.layout.blank:
            raise ConstructionError(f"AO step {ao_step} writes {y!r} at {p}: not a usable token")
        return (p, y)


@dataclass(frozen=True)
class MaskedARMSimulation:
    """What :func:`build_masked_arm` returns: the process, its initial canvas and layout."""

    process: GenerationProcess
    canvas: Canvas
    layout: LoggedLayout

    def decode(self, final: Sequence[Any]) -> Canvas:
        """The answer at its designated positions (:func:`copied_out_answer`)."""
        lay = self.layout
        x0 = tuple(MASK if t == lay.blank else t for t in self.canvas[:lay.size])
        return copied_out_answer(final, x0, lay.blank)


def logged_initial_canvas(ao_canvas: Sequence[Any], blank: Any = BLANK) -> Canvas:
    """``[x0 with MASK -> BLANK] + [m record slots] + [m copy slots]`` (all slots MASK)."""
    if any(t == blank for t in ao_canvas if t is not MASK):
        raise InvalidArgumentError(f"the AO canvas already uses the BLANK token {blank!r}")
    m = sum(1 for t in ao_canvas if t is MASK)
    region = tuple(blank if t is MASK else t for t in ao_canvas)
    return region + (MASK,) * (2 * m)


def build_masked_arm(
    ao_step: NextStep, ao_canvas: Sequence[Any], ao_eos: Any = None
) -> MaskedARMSimulation:
    """The Masked-ARM that simulates the AO-MDM ``(ao_step, ao_eos)`` started on ``ao_canvas``."""
    ao_canvas = tuple(ao_canvas)
    canvas = logged_initial_canvas(ao_canvas)
    m = (len(canvas) - len(ao_canvas)) // 2
    layout = LoggedLayout(len(ao_canvas), m, BLANK, m)
    f = LoggedMaskedARM(ao_step, layout, ao_eos)
    process = GenerationProcess(Model.MASKED_ARM, f, name="ao-to-masked-arm")
    return MaskedARMSimulation(process, canvas, layout)


@dataclass(frozen=True)
class ExtraLayer:
    """One layer the transformer version adds, and what it computes."""

    name: str
    attention: str
    mlp: str


def extra_layer_plan() -> tuple[ExtraLayer, ...]:
    """The extra layers of the transformer version (see :mod:`theory.theorem3`)."""
    plan = (
        ExtraLayer(
            "rebuild",
            "canvas-region position i attends to the filled record slots whose position field "
            "equals i, rightmost first (rightmost exact match); in parallel, a head counts the "
            "BLANKs of the region at or left of i (the rank of a mask of x0)",
            "token := matched record token if a match exists, MASK if the token is BLANK, "
            "else keep",
        ),
        ExtraLayer(
            "broadcast-decision",
            "every position attends to the unique canvas-region position whose fill bit is "
            "set (its remask bit is off); in parallel, copy slot S + m + j attends to the "
            "BLANK region position of rank j + 1 (exact match) and reads its rebuilt token",
            "copy (p, y) of the AO decision into every position's stream",
        ),
        ExtraLayer(
            "log",
            "every slot attends to the masked slots of least index (leftmost free slot)",
            "the leftmost free slot outputs the record (p, y), PAD after an EOS record, or, "
            "past the record slots, the copied token; the others keep remask",
        ),
    )
    assert len(plan) == EXTRA_LAYERS
    return plan

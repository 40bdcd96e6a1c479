"""Theorem 3 at the function level: AO-MDM -> Masked-ARM by log and replay.

Given an AO-MDM (a next-step function that fills exactly one masked position per step) and
its initial canvas ``x0`` of length S with ``m`` masks, :func:`build_masked_arm` returns a
Masked-ARM whose canvas is

    [x0 with every MASK shown as BLANK]  +  [m record slots, all MASK]

(length ``S + m <= 2·S``). Its next-step function sees only that canvas:

1. *rebuild*: the AO canvas is the canvas region with BLANK -> MASK, where each position
   ``p`` then takes the token of the rightmost filled record ``(p, y)`` naming it (rightmost
   exact match on the position field: the latest record wins);
2. *decide*: apply the AO next-step function to the rebuilt canvas, check that it obeys the
   AO-MDM restriction, and read its decision ``(p, y)``: the unique masked position it fills;
3. *log*: write the record ``(p, y)`` into the leftmost record slot (every other record slot
   keeps its remask bit = stays masked), as the Masked-ARM restriction demands.

If the AO process has an EOS token and the last record wrote it, the next step writes the
HALT record instead; HALT is the Masked-ARM's EOS, so both runs stop. :func:`decode_ao_canvas`
rebuilds the AO canvas from a Masked-ARM canvas; after the run it is the AO-MDM's final canvas.

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
HALT = ("<halt>",)


@dataclass(frozen=True)
class LoggedLayout:
    """Where things are on the Masked-ARM canvas: ``[0, size)`` canvas region, then slots."""

    size: int  # S, the AO canvas length
    slots: int  # m, the number of record slots (masks of the AO initial canvas)
    blank: Any = BLANK

    @property
    def length(self) -> int:
        return self.size + self.slots


def rebuild_ao_canvas(canvas: Sequence[Any], layout: LoggedLayout) -> Canvas:
    """The AO canvas encoded by a Masked-ARM canvas (rightmost exact match on position)."""
    region = [MASK if t == layout.blank else t for t in canvas[: layout.size]]
    latest: dict[int, Any] = {}
    for slot in range(layout.size, layout.length):
        rec = canvas[slot]
        if rec is MASK:
            break
        if rec == HALT:
            continue
        latest[rec[0]] = rec[1]  # later records overwrite earlier ones: rightmost wins
    for p, y in latest.items():
        region[p] = y
    return tuple(region)


def decode_ao_canvas(canvas: Sequence[Any], layout: LoggedLayout) -> Canvas:
    """Alias of :func:`rebuild_ao_canvas` for a finished run: the AO-MDM's final canvas."""
    return rebuild_ao_canvas(canvas, layout)


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
            raise ConstructionError("Masked-ARM called on a canvas with no free record slot")
        rest = frozenset(range(slot + 1, lay.length))
        if slot > lay.size and self.ao_eos is not None:
            last = canvas[slot - 1]
            if last != HALT and last[1] == self.ao_eos:
                return StepOutput({slot: HALT}, remask=rest)
        record = self.ao_decision(rebuild_ao_canvas(canvas, lay), slot - lay.size + 1)
        return StepOutput({slot: record}, remask=rest)

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
        return decode_ao_canvas(final, self.layout)


def logged_initial_canvas(ao_canvas: Sequence[Any], blank: Any = BLANK) -> Canvas:
    """``[x0 with MASK -> BLANK] + [one MASK record slot per mask of x0]``."""
    if any(t == blank for t in ao_canvas if t is not MASK):
        raise InvalidArgumentError(f"the AO canvas already uses the BLANK token {blank!r}")
    m = sum(1 for t in ao_canvas if t is MASK)
    region = tuple(blank if t is MASK else t for t in ao_canvas)
    return region + (MASK,) * m


def build_masked_arm(
    ao_step: NextStep, ao_canvas: Sequence[Any], ao_eos: Any = None
) -> MaskedARMSimulation:
    """The Masked-ARM that simulates the AO-MDM ``(ao_step, ao_eos)`` started on ``ao_canvas``."""
    ao_canvas = tuple(ao_canvas)
    canvas = logged_initial_canvas(ao_canvas)
    layout = LoggedLayout(len(ao_canvas), len(canvas) - len(ao_canvas))
    f = LoggedMaskedARM(ao_step, layout, ao_eos)
    process = GenerationProcess(Model.MASKED_ARM, f, eos=HALT, name="ao-to-masked-arm")
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
            "equals i, rightmost first (rightmost exact match)",
            "token := matched record token if a match exists, MASK if the token is BLANK, "
            "else keep",
        ),
        ExtraLayer(
            "broadcast-decision",
            "every position attends to the unique canvas-region position whose fill bit is "
            "set (its remask bit is off)",
            "copy (p, y) of the AO decision into every position's stream",
        ),
        ExtraLayer(
            "log",
            "every record slot attends to the masked record slots of least index (leftmost "
            "free slot)",
            "the leftmost free slot outputs the record token (p, y); the others keep remask",
        ),
    )
    assert len(plan) == EXTRA_LAYERS
    return plan

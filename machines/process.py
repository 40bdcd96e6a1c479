"""Generation processes: the AP-MDM transition g and the models that restrict it.

Every sequence model here is driven by a *next-step function* ``f(canvas) -> StepOutput``
that sees the current canvas (an immutable tuple) and nothing else. ``StepOutput`` gives,
per position, a candidate token ``y_i`` (never MASK) and a control triple
``(remask, insert, delete)``; the controls are stored sparsely as sets of positions.

The transition ``g`` is the paper's Algorithm 1, exactly: build the next canvas position by
position, left to right:

* if ``delete`` is set and the current token is MASK, emit nothing (its insert bit is
  ignored too);
* else emit MASK if ``remask`` is set; otherwise ``y_i`` if the current token is MASK;
  otherwise keep the current token;
* then, if ``insert`` is set, emit one extra MASK right after.

MDM, AO-MDM, Masked-ARM and ARM are restrictions of the same loop, checked every step
(:func:`check_restriction`). Positions in :class:`StepEvents` refer to the canvas *before*
the step; positions are re-encoded from 0 after every step.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from itertools import filterfalse
from operator import countOf
from typing import Any

from apmdm.machines.errors import (
    InvalidArgumentError,
    RestrictionViolation,
    SizeLimitExceeded,
    WorkLimitExceeded,
)
from apmdm.machines.tokens import MASK, Canvas, all_tokens, is_token


class Model(str, Enum):
    """The generation-process family. Values are the names used in traces and the CLI."""

    APMDM = "ap-mdm"
    MDM = "mdm"
    AOMDM = "ao-mdm"
    MASKED_ARM = "masked-arm"
    ARM = "arm"

    @property
    def is_mdm_family(self) -> bool:
        return self in (Model.MDM, Model.AOMDM, Model.MASKED_ARM)


class StopReason(str, Enum):
    """Why a run stopped. Recorded in results and traces."""

    EOS = "eos"  # an EOS token was written
    NO_MASK = "no-mask"  # MDM family: no mask left
    FIXED_POINT = "fixed-point"  # the step left the canvas unchanged
    CYCLE = "cycle"  # the canvas revisited an earlier canvas
    STEP_LIMIT = "step-limit"  # the step limit was reached

    @property
    def halted(self) -> bool:
        return self is not StopReason.STEP_LIMIT


_EMPTY: frozenset[int] = frozenset()
_INT = frozenset({int})


@dataclass(frozen=True)
class StepOutput:
    """The output of a next-step function for one canvas.

    ``tokens`` is either a sequence of length ``len(canvas)`` (dense ``y``) or a mapping
    ``position -> token`` that must cover every position g reads ``y`` at (masked positions
    without the remask bit). ``remask``/``insert``/``delete`` are the positions whose bit is set.
    """

    tokens: Sequence[Any] | Mapping[int, Any]
    remask: frozenset[int] = _EMPTY
    insert: frozenset[int] = _EMPTY
    delete: frozenset[int] = _EMPTY

    @classmethod
    def dense(
        cls, tokens: Sequence[Any], controls: Sequence[tuple[bool, bool, bool]]
    ) -> StepOutput:
        """Build from per-position tokens and per-position (remask, insert, delete) bits."""
        if len(tokens) != len(controls):
            raise InvalidArgumentError(
                f"tokens ({len(tokens)}) and controls ({len(controls)}) differ in length"
            )
        rem = frozenset(i for i, c in enumerate(controls) if c[0])
        ins = frozenset(i for i, c in enumerate(controls) if c[1])
        dele = frozenset(i for i, c in enumerate(controls) if c[2])
        return cls(tuple(tokens), rem, ins, dele)

    def controls_at(self, i: int) -> tuple[bool, bool, bool]:
        return (i in self.remask, i in self.insert, i in self.delete)

    def token_at(self, i: int) -> Any:
        """``y_i``; KeyError/IndexError if a sparse output does not give it."""
        return self.tokens[i]

    def dense_tokens(self, canvas: Sequence[Any]) -> tuple:
        """``y`` for every position; a sparse output is completed with the canvas token
        (or, at masked positions it does not cover, with ``fill``-free error)."""
        if isinstance(self.tokens, Mapping):
            out = []
            for i, cur in enumerate(canvas):
                if i in self.tokens:
                    out.append(self.tokens[i])
                elif cur is not MASK:
                    out.append(cur)
                else:
                    raise InvalidArgumentError(f"no token y_{i} given for masked position {i}")
            return tuple(out)
        return tuple(self.tokens)


NextStep = Callable[[Canvas], StepOutput]


@dataclass(frozen=True)
class StepEvents:
    """What one application of g did, in positions of the canvas before the step."""

    unmasked: tuple[int, ...]
    remasked: tuple[int, ...]  # decoded tokens turned into MASK (masks kept masked are not listed)
    inserted: tuple[int, ...]  # a MASK was inserted right after each of these positions
    deleted: tuple[int, ...]  # masks removed


def mask_positions(canvas: Sequence[Any]) -> list[int]:
    """Positions holding MASK, found with C-level scans."""
    out: list[int] = []
    start = 0
    index = canvas.index
    try:
        while True:
            i = index(MASK, start)
            out.append(i)
            start = i + 1
    except ValueError:
        return out


def _check_positions(name: str, positions: frozenset[int], n: int) -> None:
    if not positions:
        return
    if set(map(type, positions)) <= _INT and min(positions) >= 0 and max(positions) < n:
        return  # the common case, decided at C speed; otherwise find the first bad one
    for p in positions:
        if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < n:
            raise InvalidArgumentError(f"{name} position {p!r} outside the canvas of length {n}")


def _check_tokens_shape(out: StepOutput, n: int) -> None:
    toks = out.tokens
    if isinstance(toks, (list, tuple)):
        if len(toks) != n:
            raise InvalidArgumentError(f"f returned {len(toks)} tokens for a canvas of length {n}")
        if MASK in toks:
            i = next(j for j, t in enumerate(toks) if t is MASK)
            raise InvalidArgumentError(f"f returned MASK as y_{i}; y is never MASK")
    elif isinstance(toks, Mapping) and MASK in toks.values():
        bad = [i for i, t in toks.items() if t is MASK]
        if bad:
            raise InvalidArgumentError(f"f returned MASK as y_{min(bad)}; y is never MASK")


def apply_transition(
    canvas: Canvas, out: StepOutput, masks: list[int] | None = None
) -> tuple[Canvas, StepEvents]:
    """The transition g (Algorithm 1). Returns the next canvas and what changed.

    Raises :class:`InvalidArgumentError` if a control position is outside the canvas or a
    ``y_i`` that g reads is MASK or not a token. Every token g writes is validated here, where
    it enters the canvas, once; tokens already on the canvas are not re-validated.

    A step without insert and delete bits (every MDM step, most AP-MDM steps) takes a fast
    path: copy the canvas, write the ``y`` at the unmasked positions (validated together by
    :func:`machines.tokens.all_tokens`) and MASK at the remasked ones. Anything it cannot
    decide (a missing or invalid ``y``) goes to :func:`apply_transition_reference`, which
    raises the error; ``tests/test_process_fast_path.py`` checks the two agree.

    ``masks``, if given, must be the MASK positions of ``canvas`` in ascending order (what
    :func:`mask_positions` returns); the fast path keeps their order.
    """
    if masks is None:
        masks = mask_positions(canvas)
    if not out.insert and not out.delete:
        fast = _apply_in_place(canvas, out, masks)
        if fast is not None:
            return fast[0], fast[1]
    _check_output(out, len(canvas))
    return _apply_reference(canvas, out, masks)


def transition_with_masks(
    canvas: Canvas, out: StepOutput, masks: list[int]
) -> tuple[Canvas, StepEvents, list[int]]:
    """:func:`apply_transition` plus the MASK positions of the next canvas (the run loop's
    form). After a step without insert and delete bits the positions are unchanged and the
    masks are exactly the remasked positions (every other mask was filled), so no scan."""
    if not out.insert and not out.delete:
        fast = _apply_in_place(canvas, out, masks)
        if fast is not None:
            return fast
    nxt, events = apply_transition(canvas, out, masks)
    return nxt, events, mask_positions(nxt)


def apply_transition_reference(
    canvas: Canvas, out: StepOutput, masks: list[int] | None = None
) -> tuple[Canvas, StepEvents]:
    """The transition g (Algorithm 1) position by position: the reference for the fast path
    of :func:`apply_transition` (same result, events and errors)."""
    _check_output(out, len(canvas))
    return _apply_reference(canvas, out, mask_positions(canvas) if masks is None else masks)


def _check_output(out: StepOutput, n: int) -> None:
    _check_positions("remask", out.remask, n)
    _check_positions("insert", out.insert, n)
    _check_positions("delete", out.delete, n)
    _check_tokens_shape(out, n)


def _apply_in_place(
    canvas: Canvas, out: StepOutput, masks: list[int]
) -> tuple[Canvas, StepEvents, list[int]] | None:
    """g for a step without insert/delete bits, with the next canvas's MASK positions (the
    remasked ones), or None whenever the reference could raise: a remask position that is not
    an int inside the canvas, a ``y`` sequence of the wrong length or holding MASK, a MASK
    anywhere in a ``y`` mapping, a ``y`` g reads that is missing or not a token. The caller
    then runs the reference path, which raises the exact error."""
    n = len(canvas)
    remask, tokens = out.remask, out.tokens
    try:
        order = sorted(remask)
    except TypeError:
        return None
    if order and not (countOf(map(type, order), int) == len(order) and order[0] >= 0
                      and order[-1] < n):
        return None
    if type(tokens) is not dict and isinstance(tokens, (list, tuple)) and (
            len(tokens) != n or MASK in tokens):
        return None
    if not order:
        fill = masks
    elif type(remask) is frozenset or type(remask) is set:
        fill = list(filterfalse(remask.__contains__, masks))      # sorted, as masks are
    else:
        fill = sorted(set(masks).difference(order))
    try:
        ys = list(map(tokens.__getitem__, fill))
    except (KeyError, IndexError, TypeError):
        return None
    # a mapping with exactly the keys read holds MASK only among ys, which all_tokens rejects
    if (type(tokens) is dict or isinstance(tokens, Mapping)) and len(tokens) != len(fill) \
            and MASK in tokens.values():
        return None
    if not all_tokens(ys):
        return None
    result = list(canvas)
    # plain loops: the interpreter's specialised list store beats map(result.__setitem__)
    for i, y in zip(fill, ys, strict=True):
        result[i] = y
    if len(fill) == len(masks):     # every mask filled: no remask position held MASK
        remasked = order
    else:
        remasked = list(filterfalse(frozenset(masks).__contains__, order))
    for i in order:
        result[i] = MASK
    return tuple(result), StepEvents(tuple(fill), tuple(remasked), (), ()), order


def _apply_reference(
    canvas: Canvas, out: StepOutput, masks: list[int]
) -> tuple[Canvas, StepEvents]:
    n = len(canvas)
    remask, insert, delete = out.remask, out.insert, out.delete
    special = sorted(set(masks).union(remask, insert, delete))
    result: list[Any] = []
    unmasked: list[int] = []
    remasked: list[int] = []
    inserted: list[int] = []
    deleted: list[int] = []
    prev = 0
    for i in special:
        if prev < i:
            result.extend(canvas[prev:i])
        prev = i + 1
        cur = canvas[i]
        if cur is MASK and i in delete:
            deleted.append(i)
            continue
        if i in remask:
            result.append(MASK)
            if cur is not MASK:
                remasked.append(i)
        elif cur is MASK:
            try:
                y = out.token_at(i)
            except (KeyError, IndexError):
                raise InvalidArgumentError(
                    f"f gave no token y_{i} for masked position {i}"
                ) from None
            if y is MASK or not is_token(y):
                raise InvalidArgumentError(f"y_{i} = {y!r} is not a token (y is never MASK)")
            result.append(y)
            unmasked.append(i)
        else:
            result.append(cur)
        if i in insert:
            result.append(MASK)
            inserted.append(i)
    if prev < n:
        result.extend(canvas[prev:])
    events = StepEvents(tuple(unmasked), tuple(remasked), tuple(inserted), tuple(deleted))
    return tuple(result), events


def arm_prompt(prompt: Sequence[Any]) -> Canvas:
    """The ARM canvas for a prompt: the prompt followed by the single slot to be written."""
    return tuple(prompt) + (MASK,)


def check_restriction(
    model: Model, canvas: Canvas, out: StepOutput, masks: list[int], step: int, eos: Any = None
) -> None:
    """Raise :class:`RestrictionViolation` if ``out`` breaks ``model``'s rule on ``canvas``."""
    name = model.value
    if model is Model.APMDM:
        return
    if model is Model.ARM:
        last = len(canvas) - 1
        if masks != [last]:
            pos = next((m for m in masks if m != last), last)
            raise RestrictionViolation(
                name, step, pos, "an ARM canvas has exactly one MASK, the last position"
            )
        for label, s in (("remask", out.remask), ("delete", out.delete)):
            if s:
                raise RestrictionViolation(name, step, min(s), f"ARM sets no {label} bit")
        try:
            y = out.token_at(last)
        except (KeyError, IndexError):
            raise RestrictionViolation(name, step, last,
                                       "ARM gives no token for its slot") from None
        wanted = _EMPTY if (eos is not None and y == eos) else frozenset((last,))
        if out.insert != wanted:
            bad = min(out.insert ^ wanted) if out.insert ^ wanted else last
            raise RestrictionViolation(
                name,
                step,
                bad,
                "ARM inserts exactly one slot after the last position (none once EOS is written)",
            )
        return
    # MDM family
    if out.insert:
        raise RestrictionViolation(name, step, min(out.insert), "insert bit set in an MDM")
    if out.delete:
        raise RestrictionViolation(name, step, min(out.delete), "delete bit set in an MDM")
    mask_set = set(masks)
    decoded_remask = [p for p in out.remask if p not in mask_set]
    if decoded_remask:
        raise RestrictionViolation(
            name, step, min(decoded_remask), "remask bit set on a decoded token in an MDM"
        )
    filled = [m for m in masks if m not in out.remask]
    if model is Model.AOMDM and len(filled) != 1:
        raise RestrictionViolation(
            name,
            step,
            filled[1] if len(filled) > 1 else None,
            f"AO-MDM unmasks exactly one position per step, not {len(filled)}",
        )
    if model is Model.MASKED_ARM and not masks:
        raise RestrictionViolation(
            name, step, None, "Masked-ARM unmasks exactly the leftmost mask each step; the "
            "canvas has no MASK"
        )
    if model is Model.MASKED_ARM and filled != masks[:1]:
        pos = (
            filled[0]
            if filled and filled[0] != masks[0]
            else (filled[1] if len(filled) > 1 else masks[0])
        )
        raise RestrictionViolation(
            name, step, pos, "Masked-ARM unmasks exactly the leftmost mask each step"
        )


# Positions processed by a run (sum over steps of the canvas length a step reads). [decision]
# A position costs from about 35 ns (an ARM step appending to a long canvas) to several us (a
# step that simulates a PRAM step), so this bounds a run to roughly 10 s .. a few minutes;
# --timeout bounds wall-clock time exactly. The default sizes of every trace target stay
# below it (the largest: matmul-bool --model arm --n 8, 1.3e8 positions, 5 s).
DEFAULT_MAX_WORK = 1_000_000_000


@dataclass(frozen=True)
class Limits:
    """Every run is bounded: a step limit, a context (canvas length) limit and a work limit
    (positions processed: the sum over steps of the canvas length the step reads). The work
    limit is not part of a run's semantics (traces do not record it) and is not compared."""

    max_steps: int = 100_000
    max_context: int = 1_000_000
    max_work: int = field(default=DEFAULT_MAX_WORK, compare=False)

    def __post_init__(self) -> None:
        for name in ("max_steps", "max_context", "max_work"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InvalidArgumentError(f"Limits.{name} must be a positive integer, got {v!r}")


@dataclass(frozen=True)
class StepRecord:
    """One step of a run, as yielded by :meth:`GenerationProcess.run_stepwise`."""

    step: int  # 1-based index of this step
    before: Canvas
    output: StepOutput
    after: Canvas
    events: StepEvents
    stop: StopReason | None  # set on the last step of a run


@dataclass(frozen=True)
class RunCounters:
    """Cost counters, accumulated as a by-product of running."""

    steps: int = 0
    initial_context: int = 0
    max_context: int = 0
    final_context: int = 0
    unmasks: int = 0
    remasks: int = 0
    inserts: int = 0
    deletes: int = 0

    @property
    def tokens_written(self) -> int:
        """Tokens written = unmask operations (each writes one token into a slot)."""
        return self.unmasks


@dataclass(frozen=True)
class RunResult:
    model: Model
    initial: Canvas
    final: Canvas
    stop: StopReason
    counters: RunCounters
    cycle_start: int | None = None  # for CYCLE: the step index whose canvas was revisited

    @property
    def halted(self) -> bool:
        return self.stop.halted


class _Counter:
    """Mutable accumulator behind :class:`RunCounters` (private to the run loop)."""

    __slots__ = ("steps", "initial", "max", "unmasks", "remasks", "inserts", "deletes")

    def __init__(self, n: int):
        self.steps = 0
        self.initial = n
        self.max = n
        self.unmasks = self.remasks = self.inserts = self.deletes = 0

    def add(self, ev: StepEvents, length: int) -> None:
        self.steps += 1
        self.max = max(self.max, length)
        self.unmasks += len(ev.unmasked)
        self.remasks += len(ev.remasked)
        self.inserts += len(ev.inserted)
        self.deletes += len(ev.deleted)

    def freeze(self, final_len: int) -> RunCounters:
        return RunCounters(
            self.steps,
            self.initial,
            self.max,
            final_len,
            self.unmasks,
            self.remasks,
            self.inserts,
            self.deletes,
        )


@dataclass(frozen=True)
class GenerationProcess:
    """A model of the family together with its next-step function.

    ``eos``: if given, writing this token stops the run. Cycle detection is exact and uses
    O(1) extra memory (Brent's checkpoints): a run whose canvas returns to an earlier canvas
    stops with :attr:`StopReason.CYCLE` within twice the cycle's entry-plus-period steps.
    """

    model: Model
    next_step: NextStep
    eos: Any = None
    name: str = ""

    def run_stepwise(
        self, canvas: Sequence[Any], limits: Limits = Limits()
    ) -> Iterator[StepRecord]:
        """Yield one :class:`StepRecord` per step; the last one carries the stop reason.

        A canvas that needs no step (an MDM canvas without masks) yields nothing; use
        :meth:`run` for the result in every case.
        """
        for rec, _ in self._loop(tuple(canvas), limits):
            if rec is not None:  # a canvas that needs no step yields nothing
                yield rec

    def run(self, canvas: Sequence[Any], limits: Limits = Limits()) -> RunResult:
        """Fast-forward :meth:`run_stepwise` and return the result with its counters."""
        result = None
        for _, res in self._loop(tuple(canvas), limits):
            result = res
        assert result is not None
        return result

    def _loop(
        self, canvas: Canvas, limits: Limits
    ) -> Iterator[tuple[StepRecord | None, RunResult | None]]:
        model = self.model
        if len(canvas) > limits.max_context:
            raise SizeLimitExceeded(
                f"initial canvas length {len(canvas)} exceeds max_context {limits.max_context}"
            )
        initial = canvas
        counter = _Counter(len(canvas))
        masks = mask_positions(canvas)
        if model.is_mdm_family and not masks:
            yield (
                None,
                RunResult(model, initial, canvas, StopReason.NO_MASK, counter.freeze(len(canvas))),
            )
            return
        checkpoint, checkpoint_step, power = canvas, 0, 1
        step = 0
        work = 0
        while True:
            step += 1
            work += len(canvas)
            if work > limits.max_work:
                raise WorkLimitExceeded(
                    f"{model.value}: positions processed exceed the work limit "
                    f"{limits.max_work} at step {step} (raise it with --max-work)")
            out = self.next_step(canvas)
            if not isinstance(out, StepOutput):
                raise InvalidArgumentError(
                    f"next-step function returned {type(out).__name__}, "
                    f"not StepOutput, at step {step}"
                )
            check_restriction(model, canvas, out, masks, step, self.eos)
            nxt, ev, next_masks = transition_with_masks(canvas, out, masks)
            if len(nxt) > limits.max_context:
                raise SizeLimitExceeded(
                    f"{model.value}: context {len(nxt)} exceeds max_context {limits.max_context} "
                    f"at step {step}"
                )
            counter.add(ev, len(nxt))
            masks = next_masks
            stop, cycle_start = self._stop_reason(
                out, canvas, nxt, ev, masks, checkpoint, checkpoint_step
            )
            if stop is None and step >= limits.max_steps:
                stop = StopReason.STEP_LIMIT
            rec = StepRecord(step, canvas, out, nxt, ev, stop)
            if stop is not None:
                yield (
                    rec,
                    RunResult(model, initial, nxt, stop, counter.freeze(len(nxt)), cycle_start),
                )
                return
            yield rec, None
            canvas = nxt
            if step == power:  # Brent: move the checkpoint at powers of two
                checkpoint, checkpoint_step, power = nxt, step, power * 2

    def _stop_reason(
        self,
        out: StepOutput,
        before: Canvas,
        after: Canvas,
        ev: StepEvents,
        masks: list[int],
        checkpoint: Canvas,
        checkpoint_step: int,
    ) -> tuple[StopReason | None, int | None]:
        if self.eos is not None and any(out.token_at(i) == self.eos for i in ev.unmasked):
            return StopReason.EOS, None
        if self.model.is_mdm_family and not masks:
            return StopReason.NO_MASK, None
        if after == before:
            return StopReason.FIXED_POINT, None
        if after == checkpoint:
            return StopReason.CYCLE, checkpoint_step
        return None, None

"""Theorem 5 with the paper's kind of randomness: every position samples its own y and c.

[paper] A stochastic AP-MDM samples, independently at every position i, the token y_i and
the control bits c_i = (remask, insert, delete) from distributions that f computes from the
canvas; g then builds the next canvas. [decision] The generator (ours; the joint-draw variant
in :mod:`constructions.dyck.apmdm` draws one outcome for the whole canvas instead, a stronger
kind of randomness). Canvas::

    BOS  w  SEP  MASK...       (w: the word so far, letters of Dyck-k; SEP: fixed marker)

Interior masks sit between BOS and SEP, *suffix* masks after SEP; since SEP is a decoded
token, the two never touch, and the phase is a function of the canvas. One round:

1. *grow* (no interior mask, one suffix mask): every gap (BOS and each letter: the insert
   lands right after it) sets its insert bit **independently** with probability
   ``1 / (2·g)`` (g = number of gaps; 0 once a pair more would pass ``max_length``); the
   suffix mask keeps its remask bit and sets its insert bit (two suffix masks: "tried").
2. *decide* (two suffix masks): if no gap inserted, **stop**: the first suffix mask gets EOS,
   the second is deleted (final canvas ``BOS w SEP EOS``). Otherwise every interior mask keeps
   its remask bit and sets its insert bit (a pair of masks), and the second suffix mask is
   deleted. Deterministic.
3. *fill-left* (interior mask pairs): the left mask of each pair samples its letter x
   **independently**, uniformly from the 2k letters; the right mask stays masked.
4. *fill-right* (single interior masks, each right of a letter): y = the inverse of the left
   neighbour. Deterministic.

Why every run ends in a Dyck word: a round inserts cancelling pairs ``x x⁻¹`` at distinct gaps
of a member (that is, one after another), which keeps membership; a run stops only in step 2
with no mask left in the word. Why every member is reached: a member of length 2m > 0 has an
adjacent pair ``x x⁻¹``; deleting it leaves a member of length 2m − 2, reached by induction;
from it the round that inserts only at that gap (each other gap declines, probability
> 0), then fills x (probability 1/(2k)) rebuilds the word; then the stop (no gap inserts)
has probability > 0. The stop probability of a grow step is ``(1 − 1/(2g))^g ≥ 1/2``, so a
run ends with probability 1.

Costs, exactly (:mod:`theory.theorem5`): a word of length n = 2m built in r rounds
(1 ≤ r ≤ m; r = 0 for the empty word) takes 4r + 2 steps; the most over all runs is
``4m + 2 = 2n + 2`` (one pair per round). Every run's widest canvas is the last grow step's
``BOS w SEP MASK MASK``: context ``n + 4``.

Randomness: :meth:`PerPositionDyck.laws` returns, for every position, its finite law (outcome,
integer weight); a sampling run draws one 64-bit number per position whose law has more than
one outcome (left to right, from a seeded ``random.Random``), nothing else. The explorer
(:func:`explore_per_position`) applies g to every element of the product of the laws.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from apmdm.constructions.dyck.apmdm import (
    BOS,
    DRAW_BITS,
    EOS,
    SAMPLE_LIMITS,
    Exploration,
    check_generator_sizes,
)
from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.process import (
    GenerationProcess,
    Limits,
    Model,
    RunResult,
    StepOutput,
    apply_transition,
)
from apmdm.machines.tokens import MASK, Canvas
from apmdm.theory.dyck import alphabet, inverse

SEP = "SEP"
PHASES = ("grow", "decide", "fill-left", "fill-right")


@dataclass(frozen=True)
class PositionOutcome:
    """One value of a position's sample: its token y (None: g does not read it) and bits c."""

    token: Any = None
    remask: bool = False
    insert: bool = False
    delete: bool = False


KEEP = PositionOutcome()
Law = tuple[tuple[PositionOutcome, int], ...]   # (outcome, integer weight > 0)
KEEP_LAW: Law = ((KEEP, 1),)


def assemble(outcomes: Sequence[PositionOutcome]) -> StepOutput:
    """The next-step output made of one outcome per position."""
    return assemble_at(tuple(enumerate(outcomes)))


def assemble_at(chosen: Sequence[tuple[int, PositionOutcome]]) -> StepOutput:
    """The next-step output from ``(position, outcome)`` pairs; every other position KEEP."""
    return StepOutput({i: o.token for i, o in chosen if o.token is not None},
                      frozenset(i for i, o in chosen if o.remask),
                      frozenset(i for i, o in chosen if o.insert),
                      frozenset(i for i, o in chosen if o.delete))


def pick(law: Law, draw: int) -> PositionOutcome:
    """The outcome a 64-bit ``draw`` selects: ``(draw · total) >> 64`` against the
    cumulative weights."""
    total = sum(w for _, w in law)
    target = (draw * total) >> DRAW_BITS
    acc = 0
    for outcome, w in law:
        acc += w
        if target < acc:
            return outcome
    raise AssertionError("unreachable: target < total")


@dataclass(frozen=True)
class PerPositionDyck:
    """The per-position pair-insertion AP-MDM for Dyck-k (see the module docstring).

    ``max_length``: if given, no gap inserts once a pair more would pass it (sampling safety;
    the support is then cut at that length). Subclasses may override :meth:`laws` (tests do,
    to build deliberately broken generators)."""

    k: int = 2
    max_length: int | None = None
    name: str = field(default="dyck-per-position", compare=False)

    def __post_init__(self) -> None:
        check_generator_sizes(self.k, self.max_length)

    eos = EOS

    def initial_canvas(self) -> Canvas:
        return (BOS, SEP, MASK)

    # --- phase of a canvas -------------------------------------------------------------

    def split(self, canvas: Canvas) -> tuple[int, list[int], int]:
        """``(sep, interior masks, suffix masks)``; raises on a canvas this process never
        builds."""
        if len(canvas) < 3 or canvas[0] != BOS or SEP not in canvas:
            raise ConstructionError("a per-position Dyck canvas is 'BOS w SEP MASK...'")
        sep = canvas.index(SEP)
        suffix = canvas[sep + 1:]
        if suffix == (EOS,):
            return sep, [], 0
        if not suffix or any(t is not MASK for t in suffix):
            raise ConstructionError(f"the suffix after SEP must be masks or EOS, got {suffix!r}")
        interior = [i for i in range(1, sep) if canvas[i] is MASK]
        return sep, interior, len(suffix)

    def phase(self, canvas: Canvas) -> str:
        """One of :data:`PHASES`, or "done"."""
        sep, interior, suffix = self.split(canvas)
        if suffix == 0:
            return "done"
        if suffix == 2:
            if any(canvas[i - 1] is MASK or canvas[i + 1] is MASK for i in interior):
                raise ConstructionError("decide phase with adjacent interior masks")
            return "decide"
        if suffix != 1:
            raise ConstructionError(f"{suffix} suffix masks; expected 1 or 2")
        if not interior:
            return "grow"
        singles = [i for i in interior if canvas[i - 1] is not MASK and canvas[i + 1] is not MASK]
        if len(singles) == len(interior):
            return "fill-right"
        lefts = [i for i in interior if canvas[i + 1] is MASK]
        if all(canvas[i - 1] is not MASK and canvas[i + 2] is not MASK for i in lefts) and \
                len(lefts) * 2 == len(interior):
            return "fill-left"
        raise ConstructionError(f"interior masks at {interior}: neither pairs nor singles")

    def letters(self, canvas: Canvas) -> int:
        """Decoded letters between BOS and SEP."""
        sep = canvas.index(SEP)
        return sum(1 for t in canvas[1:sep] if t is not MASK)

    # --- f: one law per position --------------------------------------------------------

    def insert_law(self, canvas: Canvas, gaps: int) -> Law:
        """A gap's insert bit: 1 with probability 1/(2g), or never once a pair more would pass
        ``max_length``."""
        if self.max_length is not None and self.letters(canvas) + 2 > self.max_length:
            return KEEP_LAW
        return ((PositionOutcome(insert=True), 1), (KEEP, 2 * gaps - 1))

    def laws(self, canvas: Canvas) -> tuple[Law, ...]:
        """f(canvas): the finite law of (y_i, c_i) at every position i."""
        ph = self.phase(canvas)
        sep, interior, _ = self.split(canvas)
        out = [KEEP_LAW] * len(canvas)
        stay = ((PositionOutcome(remask=True), 1),)
        if ph == "grow":
            for gap in range(sep):                     # BOS and each letter
                out[gap] = self.insert_law(canvas, sep)
            out[sep + 1] = ((PositionOutcome(remask=True, insert=True), 1),)
        elif ph == "decide":
            if not interior:
                out[sep + 1] = ((PositionOutcome(token=EOS), 1),)
            else:
                for i in interior:
                    out[i] = ((PositionOutcome(remask=True, insert=True), 1),)
                out[sep + 1] = stay
            out[sep + 2] = ((PositionOutcome(delete=True), 1),)
        elif ph == "fill-left":
            for i in interior:
                if canvas[i + 1] is MASK:
                    out[i] = tuple((PositionOutcome(token=x), 1) for x in alphabet(self.k))
                else:
                    out[i] = stay
            out[sep + 1] = stay
        elif ph == "fill-right":
            for i in interior:
                out[i] = ((PositionOutcome(token=inverse((canvas[i - 1],))[0]), 1),)
            out[sep + 1] = stay
        else:
            raise ConstructionError("no step is defined on a finished Dyck canvas")
        return tuple(out)

    def next_step(self, canvas: Canvas, draws: Iterator[int]) -> StepOutput:
        """Sample every position independently: one 64-bit draw per position whose law has
        more than one outcome, left to right."""
        chosen = []
        for law in self.laws(canvas):
            if len(law) == 1:
                chosen.append(law[0][0])
                continue
            draw = next(draws)
            if isinstance(draw, bool) or not isinstance(draw, int) \
                    or not 0 <= draw < 1 << DRAW_BITS:
                raise InvalidArgumentError(f"draw must be an integer in [0, 2^{DRAW_BITS}), "
                                           f"got {draw!r}")
            chosen.append(pick(law, draw))
        return assemble(chosen)


def per_position_process(gen: PerPositionDyck, seed: int) -> GenerationProcess:
    """A fresh AP-MDM process whose per-position draws come from ``random.Random(seed)``."""
    rng = random.Random(seed)

    def draws() -> Iterator[int]:
        while True:
            yield rng.getrandbits(DRAW_BITS)

    stream = draws()

    def f(canvas: Canvas) -> StepOutput:
        return gen.next_step(canvas, stream)

    return GenerationProcess(Model.APMDM, f, eos=EOS, name=gen.name)


def per_position_word(canvas: Sequence) -> tuple:
    """The word of a finished canvas ``BOS w SEP EOS``."""
    if len(canvas) < 3 or canvas[0] != BOS or tuple(canvas[-2:]) != (SEP, EOS):
        raise ConstructionError("not a finished per-position Dyck canvas (BOS ... SEP EOS)")
    return tuple(canvas[1:-2])


def sample_per_position(gen: PerPositionDyck, seed: int,
                        limits: Limits = SAMPLE_LIMITS) -> RunResult:
    """One sampled run."""
    return per_position_process(gen, seed).run(gen.initial_canvas(), limits)


def product_outcomes(canvas: Canvas, laws: Sequence[Law], max_new: int) -> Iterator[StepOutput]:
    """Every element of the product of the per-position laws whose inserts at decoded
    positions (new interior masks, each to become a pair) number at most ``max_new``.
    Positions whose law is KEEP contribute nothing and are skipped."""
    active = [(i, law) for i, law in enumerate(laws) if law != KEEP_LAW]
    chosen: list[tuple[int, PositionOutcome]] = []

    def walk(a: int, new: int) -> Iterator[StepOutput]:
        if a == len(active):
            yield assemble_at(chosen)
            return
        i, law = active[a]
        for outcome, _ in law:
            grows = outcome.insert and canvas[i] is not MASK
            if grows and new + 1 > max_new:
                continue
            chosen.append((i, outcome))
            yield from walk(a + 1, new + grows)
            chosen.pop()

    yield from walk(0, 0)


def explore_per_position(gen: PerPositionDyck, max_length: int) -> Exploration:
    """Apply g to every outcome of the product of the per-position laws, on every reachable
    canvas whose word fits in ``max_length``.

    Runs reach a canvas after different numbers of steps, so each canvas is expanded once, in
    an order where every edge goes forward — the key (decoded letters, phase index) strictly
    grows along every step (grow → decide → fill-left keep the letters and advance the phase;
    fill-left adds j letters; fill-right adds j more and returns to grow) — carrying the
    most steps and the widest canvas over all paths into it."""
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0:
        raise InvalidArgumentError(f"max_length must be a non-negative integer, got {max_length!r}")
    start = gen.initial_canvas()

    keys: dict[Canvas, tuple[int, int]] = {}

    def key(c: Canvas) -> tuple[int, int]:
        if c not in keys:
            keys[c] = (gen.letters(c), PHASES.index(gen.phase(c)))
        return keys[c]

    longest: dict[Canvas, int] = {start: 0}
    widest: dict[Canvas, int] = {start: len(start)}
    heap = [(key(start), 0, start)]       # (key, arrival order, canvas): canvases never compared
    queued = {start}
    words: set = set()
    steps: dict[int, int] = {}
    context: dict[int, int] = {}
    transitions = 0
    while heap:
        _, _, canvas = heapq.heappop(heap)
        depth, wide = longest[canvas] + 1, widest[canvas]
        budget = (max_length - gen.letters(canvas)) // 2
        masks = [i for i, t in enumerate(canvas) if t is MASK]
        for out in product_outcomes(canvas, gen.laws(canvas), budget):
            nxt, _ = apply_transition(canvas, out, list(masks))
            transitions += 1
            width = max(wide, len(nxt))
            if nxt[-1] == EOS:
                w = per_position_word(nxt)
                words.add(w)
                steps[len(w)] = max(steps.get(len(w), 0), depth)
                context[len(w)] = max(context.get(len(w), 0), width)
                continue
            if key(nxt) <= key(canvas):
                raise ConstructionError(f"step from {canvas!r} to {nxt!r} does not move forward")
            longest[nxt] = max(longest.get(nxt, 0), depth)
            widest[nxt] = max(widest.get(nxt, 0), width)
            if nxt not in queued:
                queued.add(nxt)
                heapq.heappush(heap, (key(nxt), len(queued), nxt))
    return Exploration(gen.k, max_length, frozenset(words), steps, context, transitions,
                       len(queued))

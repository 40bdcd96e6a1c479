"""A stochastic AP-MDM whose support is the two-sided Dyck-k language (Theorem 5).

[paper] For k ≥ 2 some stochastic AP-MDM generates exactly the two-sided Dyck-k words.
[decision] The generator (our reconstruction; the sources only say "pair insertion"): start
from ``BOS MASK`` (the trailing MASK is the *end slot*) and repeat a round of three g-steps:

1. *open*: the canvas has only the end slot masked. A random draw either **stops** (fill the
   end slot with EOS: the run ends, the word is everything between BOS and EOS) or picks a
   gap ``p`` (after BOS or after a letter) and sets the insert bit there: one interior MASK.
   The end slot keeps its remask bit (it stays masked).
2. *double*: one interior MASK. Keep it masked (remask bit) and set its insert bit: two
   adjacent interior masks.
3. *fill*: two adjacent interior masks. A random draw picks a letter x of the 2k letters;
   fill the pair with ``x, x⁻¹``.

Every canvas determines its phase (count and place of the masks), so the next-step function
sees only the canvas. **Stochasticity is an explicit input**: we model the stochastic AP-MDM
as ``f(canvas, draw)`` where ``draw`` is a 64-bit integer from a seeded ``random.Random``.
:meth:`DyckGenerator.choices` lists the finite set of outcomes available on a canvas with
integer weights; the draw selects one by ``(draw · total) >> 64`` against the cumulative
weights, and :meth:`DyckGenerator.step_output` turns the outcome into a
:class:`~apmdm.machines.process.StepOutput`. The only thing a sampling run carries between steps is
its position in the random stream (the sampling noise), never computation state.

Support: the explorer (:func:`explore`) applies g to every outcome of every reachable canvas
(breadth first, canvases deduplicated) and collects the words at EOS. Every reached word is a
member (each round inserts a cancelling pair; reduction removes it again); every member is
reached (reverse a free reduction: a member of length 2m > 0 contains an adjacent pair
``x, x⁻¹``; deleting it leaves a member of length 2m − 2, so induction re-inserts it).
A word of length n = 2m takes exactly 3m + 1 steps and context n + 2.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.process import (
    GenerationProcess,
    Limits,
    Model,
    RunResult,
    StepOutput,
    apply_transition,
    mask_positions,
)
from apmdm.machines.tokens import MASK, Canvas
from apmdm.theory.dyck import alphabet

BOS = "BOS"
EOS = "EOS"
DRAW_BITS = 64
SAMPLE_LIMITS = Limits(10_000, 100_000)


@dataclass(frozen=True)
class DyckChoice:
    """One random outcome: ``kind`` is "stop", "insert" (after ``position``), "double"
    or "fill" (the pair with ``letter`` and its inverse)."""

    kind: str
    position: int = -1
    letter: int = 0



def check_generator_sizes(k: object, max_length: object) -> None:
    """Typed errors for a Dyck generator's alphabet size ``k`` (a positive int) and its
    optional length cap ``max_length`` (an int >= 0 or None)."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise InvalidArgumentError(f"k must be a positive integer, got {k!r}")
    if max_length is not None and (isinstance(max_length, bool)
                                   or not isinstance(max_length, int) or max_length < 0):
        raise InvalidArgumentError(f"max_length must be >= 0, got {max_length!r}")

@dataclass(frozen=True)
class DyckGenerator:
    """The pair-insertion AP-MDM for Dyck-k.

    ``stop_num/stop_den``: probability of stopping on an *open* canvas. ``max_length``: if
    given, a word of that length must stop (sampling safety; the support is then cut at that
    length). Subclasses may override :meth:`choices` / :meth:`step_output` (tests do, to build
    deliberately broken generators).
    """

    k: int = 2
    stop_num: int = 1
    stop_den: int = 3
    max_length: int | None = None
    name: str = field(default="dyck-pair-insertion", compare=False)

    def __post_init__(self) -> None:
        check_generator_sizes(self.k, self.max_length)
        if not (isinstance(self.stop_num, int) and isinstance(self.stop_den, int)
                and 0 < self.stop_num < self.stop_den):
            raise InvalidArgumentError(
                f"stop probability {self.stop_num}/{self.stop_den} must lie strictly in (0, 1)")

    eos = EOS

    def initial_canvas(self) -> Canvas:
        return (BOS, MASK)

    # --- phase of a canvas -------------------------------------------------------------

    def phase(self, canvas: Canvas) -> str:
        """"open", "double", "fill" or "done"; raises on a canvas this process never builds."""
        self._check_frame(canvas)
        if canvas[-1] == EOS:
            return "done"
        interior = mask_positions(canvas[:-1])
        if not interior:
            return "open"
        if len(interior) == 1:
            return "double"
        if len(interior) == 2 and interior[1] == interior[0] + 1:
            return "fill"
        raise ConstructionError(f"Dyck canvas has masks at {interior}; expected at most a pair")

    def _check_frame(self, canvas: Canvas) -> None:
        if len(canvas) < 2 or canvas[0] != BOS:
            raise ConstructionError("a Dyck canvas starts with BOS and ends with the end slot")
        if canvas[-1] is not MASK and canvas[-1] != EOS:
            raise ConstructionError("the last position of a Dyck canvas is MASK or EOS")

    def word_length_bound(self, canvas: Canvas) -> int:
        """The length of the word this canvas will have once its open pair is filled."""
        n = len(canvas) - 2
        return n + (n % 2)

    # --- f(canvas, draw) ----------------------------------------------------------------

    def choices(self, canvas: Canvas) -> tuple[tuple[DyckChoice, int], ...]:
        """The random outcomes available on ``canvas`` with their integer weights."""
        ph = self.phase(canvas)
        if ph == "open":
            gaps = len(canvas) - 1  # after BOS and after each letter
            stop = ((DyckChoice("stop"), self.stop_num * gaps),)
            if self.max_length is not None and len(canvas) - 2 >= self.max_length:
                return stop
            grow = self.stop_den - self.stop_num
            return stop + tuple((DyckChoice("insert", p), grow) for p in range(gaps))
        if ph == "double":
            (m,) = mask_positions(canvas[:-1])
            return ((DyckChoice("double", m), 1),)
        if ph == "fill":
            m = mask_positions(canvas[:-1])[0]
            return tuple((DyckChoice("fill", m, x), 1) for x in alphabet(self.k))
        return ()

    def step_output(self, canvas: Canvas, choice: DyckChoice) -> StepOutput:
        """The next-step output for one outcome (pure in canvas and choice)."""
        end = len(canvas) - 1
        if choice.kind == "stop":
            return StepOutput({end: EOS})
        if choice.kind == "insert":
            return StepOutput({}, remask=frozenset((end,)), insert=frozenset((choice.position,)))
        if choice.kind == "double":
            m = choice.position
            return StepOutput({}, remask=frozenset((m, end)), insert=frozenset((m,)))
        if choice.kind == "fill":
            m = choice.position
            return StepOutput({m: choice.letter, m + 1: -choice.letter},
                              remask=frozenset((end,)))
        raise ConstructionError(f"unknown Dyck choice {choice.kind!r}")

    def next_step(self, canvas: Canvas, draw: int) -> StepOutput:
        """``f(canvas, draw)``: pick the outcome the 64-bit ``draw`` selects, then output it."""
        if isinstance(draw, bool) or not isinstance(draw, int) or not 0 <= draw < 1 << DRAW_BITS:
            raise InvalidArgumentError(
                f"draw must be an integer in [0, 2^{DRAW_BITS}), got {draw!r}")
        options = self.choices(canvas)
        if not options:
            raise ConstructionError("no step is defined on a finished Dyck canvas")
        total = sum(w for _, w in options)
        target = (draw * total) >> DRAW_BITS
        acc = 0
        for choice, w in options:
            acc += w
            if target < acc:
                return self.step_output(canvas, choice)
        raise AssertionError("unreachable: target < total")


def sampling_process(gen: DyckGenerator, seed: int) -> GenerationProcess:
    """A fresh AP-MDM process whose draws come from ``random.Random(seed)``.

    Each call builds a new stream, so the same seed gives the same run."""
    rng = random.Random(seed)

    def f(canvas: Canvas) -> StepOutput:
        return gen.next_step(canvas, rng.getrandbits(DRAW_BITS))

    return GenerationProcess(Model.APMDM, f, eos=EOS, name=gen.name)


def word_of(canvas: Sequence) -> tuple:
    """The generated word of a finished canvas ``BOS w EOS``."""
    if len(canvas) < 2 or canvas[0] != BOS or canvas[-1] != EOS:
        raise ConstructionError("not a finished Dyck canvas (BOS ... EOS)")
    return tuple(canvas[1:-1])


def sample(gen: DyckGenerator, seed: int, limits: Limits = SAMPLE_LIMITS) -> RunResult:
    """One sampled run of the generator."""
    return sampling_process(gen, seed).run(gen.initial_canvas(), limits)


@dataclass(frozen=True)
class Exploration:
    """What the explorer found: every word reachable with length ≤ ``max_length``.

    ``steps_by_length[n]`` / ``context_by_length[n]``: the most steps / largest context over
    all runs that end in a word of length n. ``transitions``: g applications performed."""

    k: int
    max_length: int
    words: frozenset
    steps_by_length: dict
    context_by_length: dict
    transitions: int
    canvases: int


def explore(gen: DyckGenerator, max_length: int) -> Exploration:
    """Apply g to every outcome of every reachable canvas whose word fits in ``max_length``.

    Breadth first, so every path to a canvas has the same depth (each round is 3 steps):
    the depth at which an EOS canvas appears is the step count of every run reaching it."""
    if isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 0:
        raise InvalidArgumentError(f"max_length must be a non-negative integer, got {max_length!r}")
    start = gen.initial_canvas()
    frontier = [start]
    seen = {start}
    words: set = set()
    steps: dict[int, int] = {}
    context: dict[int, int] = {}
    widest: dict[Canvas, int] = {start: len(start)}
    transitions = 0
    depth = 0
    while frontier:
        depth += 1
        nxt_frontier = []
        for canvas in frontier:
            wide = widest[canvas]
            full = gen.word_length_bound(canvas) + 2 > max_length
            masks = mask_positions(canvas)
            for choice, _ in gen.choices(canvas):
                if full and choice.kind == "insert":
                    continue  # a pair more would exceed max_length: the word is never counted
                nxt, _ev = apply_transition(canvas, gen.step_output(canvas, choice), list(masks))
                transitions += 1
                if nxt and nxt[-1] == EOS:
                    w = word_of(nxt)
                    if len(w) <= max_length:
                        words.add(w)
                        n = len(w)
                        steps[n] = max(steps.get(n, 0), depth)
                        context[n] = max(context.get(n, 0), wide, len(nxt))
                    continue
                if gen.word_length_bound(nxt) > max_length or nxt in seen:
                    continue
                seen.add(nxt)
                widest[nxt] = max(wide, len(nxt))
                nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return Exploration(gen.k, max_length, frozenset(words), steps, context, transitions, len(seen))

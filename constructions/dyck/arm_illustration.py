"""ARM side of Theorem 5: an ILLUSTRATION, not a proof.

[paper] Any fixed (constant-depth) ARM fails to have support exactly the two-sided Dyck-k
language beyond some length, because deciding membership (the word problem of the free
group F_k, k ≥ 2) is NC¹-hard while a constant-depth transformer step is in TC⁰.

Why membership is what an ARM needs: an ARM that generates Dyck words appends one letter at a
time and must decide, after every prefix, whether it may write EOS. Every prefix extends to a
member, so letters can always be allowed; its support is then exactly the set of prefixes on
which its stop rule says yes. Support = language iff the stop rule decides membership.

[decision] What we run: an ARM whose next-step function draws a letter or EOS (explicit
64-bit draw, as in :mod:`constructions.dyck.apmdm`) and allows EOS iff a fixed *stop rule*
accepts the prefix. Two rules, both of fixed depth, neither compiled to transformer weights:

* :class:`BalancedCountRule` (one counting layer): accept iff every generator occurs as
  often as its inverse. Exact for k = 1 (F_1 = Z), unsound for k ≥ 2: it accepts ``abAB``.
* :class:`RoundReductionRule` (``depth`` rounds): each round replaces every maximal run in
  which each adjacent pair cancels (``x, x⁻¹, x, ...``) by its remainder (empty if its length
  is even, its first letter if odd); accept iff the word is empty after ``depth`` rounds.
  Each round needs run boundaries, the parity of a position inside its run and a re-indexing
  (prefix counts): a constant number of counting layers. The rule is sound (it only cancels)
  and every round removes at least 2 letters of a non-reduced word, so it accepts every member
  of length ≤ 2·depth; the nested word ``(ab…)(…BA)`` of length 2·depth + 2 needs one round
  per nesting level, so it fails first at length 2·depth + 2.

:func:`first_failure` finds, by brute force over all words of increasing length, the first
length at which a rule disagrees with membership, and returns the witness.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import product

from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.process import (
    GenerationProcess,
    Model,
    StepOutput,
    apply_transition,
    arm_prompt,
    check_restriction,
)
from apmdm.machines.tokens import MASK, Canvas
from apmdm.theory.dyck import alphabet, reduce_word

BOS = "BOS"
EOS = "EOS"
DRAW_BITS = 64


@dataclass(frozen=True)
class BalancedCountRule:
    """Accept iff #a_i = #a_i⁻¹ for every i (one counting layer)."""

    name: str = "balanced-count"

    def accepts(self, word: Sequence[int]) -> bool:
        tally: dict[int, int] = {}
        for x in word:
            tally[abs(x)] = tally.get(abs(x), 0) + (1 if x > 0 else -1)
        return not any(tally.values())

    def predicted_first_failure(self, k: int) -> int | None:
        """4 for k ≥ 2 (``abAB``); never for k = 1."""
        return 4 if k >= 2 else None


@dataclass(frozen=True)
class RoundReductionRule:
    """``depth`` rounds of parallel run cancellation; accept iff nothing is left."""

    depth: int = 1

    def __post_init__(self) -> None:
        if isinstance(self.depth, bool) or not isinstance(self.depth, int) or self.depth < 0:
            raise InvalidArgumentError(f"depth must be a non-negative integer, got {self.depth!r}")

    @property
    def name(self) -> str:
        return f"round-reduction-{self.depth}"

    @staticmethod
    def one_round(word: Sequence[int]) -> tuple[int, ...]:
        """Replace each maximal cancelling run by its parity remainder."""
        out: list[int] = []
        i, n = 0, len(word)
        while i < n:
            j = i
            while j + 1 < n and word[j + 1] == -word[j]:
                j += 1
            if (j - i + 1) % 2:
                out.append(word[i])
            i = j + 1
        return tuple(out)

    def accepts(self, word: Sequence[int]) -> bool:
        w = tuple(word)
        for _ in range(self.depth):
            w = self.one_round(w)
        return not w

    def predicted_first_failure(self, k: int) -> int | None:
        return 2 * self.depth + 2


StopRule = BalancedCountRule | RoundReductionRule


@dataclass(frozen=True)
class Failure:
    """The first length where ``rule`` and membership disagree, with one witness word."""

    rule: str
    k: int
    length: int | None       # None: no disagreement up to the searched length
    witness: tuple[int, ...] | None
    kind: str                # "emits-non-member", "misses-member" or "none"
    words_checked: int


def first_failure(rule: StopRule, k: int, max_length: int) -> Failure:
    """Scan all words of length 0, 1, ..., max_length; stop at the first disagreement."""
    letters = alphabet(k)
    checked = 0
    for n in range(max_length + 1):
        for word in product(letters, repeat=n):
            checked += 1
            acc, mem = rule.accepts(word), not reduce_word(word)
            if acc != mem:
                kind = "emits-non-member" if acc else "misses-member"
                return Failure(rule.name, k, n, word, kind, checked)
    return Failure(rule.name, k, None, None, "none", checked)


@dataclass(frozen=True)
class StoppingARM:
    """The ARM: draw uniformly among the 2k letters and (if the rule accepts the prefix) EOS."""

    k: int
    rule: StopRule

    def initial_canvas(self) -> Canvas:
        return arm_prompt((BOS,))

    def prefix_word(self, canvas: Canvas) -> tuple[int, ...]:
        if len(canvas) < 2 or canvas[0] != BOS or canvas[-1] is not MASK:
            raise ConstructionError("an ARM Dyck canvas is BOS, letters, then one MASK")
        return tuple(canvas[1:-1])

    def choices(self, canvas: Canvas) -> tuple:
        """Tokens the ARM may write next: all letters, plus EOS iff the rule accepts."""
        word = self.prefix_word(canvas)
        return alphabet(self.k) + ((EOS,) if self.rule.accepts(word) else ())

    def step_output(self, canvas: Canvas, token) -> StepOutput:
        last = len(canvas) - 1
        ins = frozenset() if token == EOS else frozenset((last,))
        return StepOutput({last: token}, insert=ins)

    def next_step(self, canvas: Canvas, draw: int) -> StepOutput:
        options = self.choices(canvas)
        return self.step_output(canvas, options[(draw * len(options)) >> DRAW_BITS])


def arm_sampling_process(arm: StoppingARM, seed: int) -> GenerationProcess:
    """An ARM process whose draws come from ``random.Random(seed)`` (fresh per call)."""
    rng = random.Random(seed)
    return GenerationProcess(Model.ARM, lambda c: arm.next_step(c, rng.getrandbits(DRAW_BITS)),
                             eos=EOS, name=f"arm-{arm.rule.name}")


def arm_support(arm: StoppingARM, max_length: int) -> frozenset:
    """Every word the ARM can emit with length ≤ max_length, by applying g to every choice
    on every reachable prefix (the ARM restriction is checked at each transition)."""
    words: set = set()
    frontier = [arm.initial_canvas()]
    step = 0
    while frontier:
        step += 1
        nxt_frontier = []
        for canvas in frontier:
            for token in arm.choices(canvas):
                out = arm.step_output(canvas, token)
                check_restriction(Model.ARM, canvas, out, [len(canvas) - 1], step, EOS)
                nxt, _ = apply_transition(canvas, out)
                if token == EOS:
                    words.add(tuple(nxt[1:-1]))
                elif len(nxt) - 2 <= max_length:  # nxt = BOS, word, MASK
                    nxt_frontier.append(nxt)
        frontier = nxt_frontier
    return frozenset(words)

"""Theorem 5 with per-position sampling: every position samples its own y and c; the support
is exactly two-sided Dyck-k (exhaustive), and the checker fails on broken samplers."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.suite import CheckOptions
from apmdm.checks.theorem5 import PER_POSITION, check_sampling, check_support, per_position_rows
from apmdm.constructions.dyck.apmdm import BOS, EOS
from apmdm.constructions.dyck.per_position import (
    KEEP,
    KEEP_LAW,
    SEP,
    PerPositionDyck,
    PositionOutcome,
    assemble,
    explore_per_position,
    per_position_process,
    per_position_word,
    pick,
    product_outcomes,
    sample_per_position,
)
from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.process import Limits, StopReason, apply_transition
from apmdm.machines.tokens import MASK
from apmdm.theory import theorem5
from apmdm.theory.dyck import enumerate_members, is_member

OPTIONS = CheckOptions(quick=True)


@dataclass(frozen=True)
class NeverAtGapZero(PerPositionDyck):
    """Broken: the gap after BOS never inserts (its law is KEEP)."""

    def laws(self, canvas):
        laws = list(super().laws(canvas))
        if self.phase(canvas) == "grow":
            laws[0] = KEEP_LAW
        return tuple(laws)


@dataclass(frozen=True)
class CopiesInsteadOfInverts(PerPositionDyck):
    """Broken: the right mask of a pair copies x instead of x⁻¹ for the letter 2."""

    def laws(self, canvas):
        laws = list(super().laws(canvas))
        if self.phase(canvas) == "fill-right":
            for i, t in enumerate(canvas):
                if t is MASK and canvas[i - 1] == 2 and canvas[i + 1] != MASK and i > 0:
                    laws[i] = ((PositionOutcome(token=2), 1),)
        return tuple(laws)


def test_per_position_rows_pass_quick():
    rows = per_position_rows(OPTIONS, PerPositionDyck)
    assert rows and all(r.ok for r in rows), [r for r in rows if not r.ok]
    support = [r for r in rows if r.construction == "dyck-per-position:support"
               and r.program == "dyck-2"]
    assert [r.measured["words"] for r in support] == [1, 4, 28, 232]


def test_never_inserting_at_gap_zero_fails_the_check():
    rows = per_position_rows(OPTIONS, NeverAtGapZero)
    bad = [r for r in rows if r.construction.endswith(":support") and r.n == 2]
    assert bad and not any(r.ok for r in bad)
    assert all("missed" in r.detail and not r.outputs_equal for r in bad)


def test_copying_instead_of_inverting_fails_support_and_sampling():
    rows = check_support(CopiesInsteadOfInverts(2), 4, PER_POSITION)
    assert not rows[1].ok and "non-members" in rows[1].detail
    row = check_sampling(CopiesInsteadOfInverts(2), 200, 0, PER_POSITION)
    assert not row.ok and row.measured["nonmembers"] > 0


def test_a_loosened_bound_fails_from_below():
    loose = replace(PER_POSITION, steps_bound=lambda n: 2 * n + 3)
    rows = check_support(PerPositionDyck(2), 4, loose)
    assert not any(r.ok for r in rows)


def test_grow_laws_are_independent_bits_one_per_gap():
    gen = PerPositionDyck(2)
    canvas = (BOS, 1, -1, SEP, MASK)
    laws = gen.laws(canvas)
    gaps = 3
    for i in range(gaps):
        assert laws[i] == ((PositionOutcome(insert=True), 1), (KEEP, 2 * gaps - 1))
    assert laws[3] == KEEP_LAW
    assert laws[4] == ((PositionOutcome(remask=True, insert=True), 1),)
    # the product has 2^3 elements: every subset of gaps
    assert len(list(product_outcomes(canvas, laws, 3))) == 8
    assert len(list(product_outcomes(canvas, laws, 1))) == 4


def test_golden_round_and_stop():
    gen = PerPositionDyck(2)
    c0 = gen.initial_canvas()
    grow = assemble([PositionOutcome(insert=True), KEEP,
                     PositionOutcome(remask=True, insert=True)])
    c1, _ = apply_transition(c0, grow)
    assert c1 == (BOS, MASK, SEP, MASK, MASK) and gen.phase(c1) == "decide"
    c2, _ = apply_transition(c1, next(product_outcomes(c1, gen.laws(c1), 0)))
    assert c2 == (BOS, MASK, MASK, SEP, MASK) and gen.phase(c2) == "fill-left"
    fill = [o for o in product_outcomes(c2, gen.laws(c2), 0)]
    assert len(fill) == 4                      # 2k letters for the one pair
    c3, _ = apply_transition(c2, fill[3])
    assert c3 == (BOS, -2, MASK, SEP, MASK) and gen.phase(c3) == "fill-right"
    c4, _ = apply_transition(c3, next(product_outcomes(c3, gen.laws(c3), 0)))
    assert c4 == (BOS, -2, 2, SEP, MASK) and gen.phase(c4) == "grow"
    stop = assemble([KEEP, KEEP, KEEP, KEEP, PositionOutcome(remask=True, insert=True)])
    c5, _ = apply_transition(c4, stop)
    c6, _ = apply_transition(c5, next(product_outcomes(c5, gen.laws(c5), 0)))
    assert c6 == (BOS, -2, 2, SEP, EOS) and per_position_word(c6) == (-2, 2)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([2, 3]))
def test_sampled_words_are_members_within_the_bounds(seed, k):
    res = sample_per_position(PerPositionDyck(k, max_length=30), seed)
    assert res.stop is StopReason.EOS
    w = per_position_word(res.final)
    assert is_member(w, k)
    assert res.counters.steps <= theorem5.per_position_steps_bound(len(w))
    assert (res.counters.steps - 2) % 4 == 0                       # 4 per round, +2 to stop
    assert res.counters.max_context == theorem5.per_position_context_bound(len(w))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32))
def test_every_step_is_an_element_of_the_product_of_the_laws(seed):
    gen = PerPositionDyck(2, max_length=12)
    for rec in per_position_process(gen, seed).run_stepwise(gen.initial_canvas(),
                                                            Limits(200, 200)):
        assert apply_transition(rec.before, rec.output)[0] == rec.after
        outs = list(product_outcomes(rec.before, gen.laws(rec.before), 10**6))
        assert rec.output in outs


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(0, 2**64 - 1), min_size=8, max_size=8))
def test_each_position_reads_its_own_draw(draws):
    """One draw per position with a non-trivial law, left to right: changing the draw of one
    gap changes only that gap's insert bit."""
    gen = PerPositionDyck(2)
    canvas = (BOS, 1, -1, 2, -2, SEP, MASK)
    laws = gen.laws(canvas)
    out = gen.next_step(canvas, iter(draws))
    expect = {i for i in range(5) if pick(laws[i], draws[i]).insert}
    assert set(out.insert) - {6} == expect


def test_same_seed_same_run_and_explorer_costs():
    gen = PerPositionDyck(2, max_length=20)
    assert sample_per_position(gen, 7).final == sample_per_position(gen, 7).final
    exp = explore_per_position(PerPositionDyck(2), 4)
    for n in (0, 2, 4):
        assert {w for w in exp.words if len(w) == n} == set(enumerate_members(2, n))
        assert exp.steps_by_length[n] == theorem5.per_position_steps_bound(n) == 2 * n + 2
        assert exp.context_by_length[n] == theorem5.per_position_context_bound(n) == n + 4


def test_bad_input_errors():
    with pytest.raises(InvalidArgumentError):
        PerPositionDyck(0)
    with pytest.raises(InvalidArgumentError):
        explore_per_position(PerPositionDyck(2), -1)
    gen = PerPositionDyck(2)
    with pytest.raises(ConstructionError):
        gen.phase((BOS, 1, MASK))                       # no SEP
    with pytest.raises(ConstructionError):
        gen.laws((BOS, SEP, EOS))                       # finished
    with pytest.raises(ConstructionError):
        gen.phase((BOS, MASK, MASK, MASK, SEP, MASK))   # three interior masks in a row
    with pytest.raises(InvalidArgumentError):
        gen.next_step((BOS, 1, -1, SEP, MASK), iter([-1, 0, 0]))
    rng = random.Random(0)
    out = gen.next_step(gen.initial_canvas(), iter([rng.getrandbits(64)]))
    assert 2 in out.insert and out.insert <= {0, 2}     # the suffix always, gap 0 maybe


def test_trace_target_records_a_per_position_run():
    from apmdm.checks.catalogue import trace_targets
    from apmdm.machines.trace import dumps_trace, record_trace

    def traced():
        run = trace_targets()["dyck-per-position"].build("ap-mdm", 8, 4)
        return record_trace(run.process, run.canvas, run.limits, run.construction,
                            run.parameters, run.vocabulary, run.schema)

    first, second = traced(), traced()
    assert dumps_trace(first) == dumps_trace(second)          # same seed, same bytes
    assert first.stop.value == "eos" and first.construction == "dyck-per-position"
    with pytest.raises(InvalidArgumentError):
        trace_targets()["dyck-per-position"].build("ap-mdm", 7, 0)
    with pytest.raises(InvalidArgumentError):
        trace_targets()["dyck-per-position"].build("mdm", 8, 0)

"""Theorem 5: the pair-insertion AP-MDM, its explorer, its checker (and that it can fail)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.suite import CheckOptions
from apmdm.checks.theorem5 import check_arm_rule, check_sampling, check_support, run_suite
from apmdm.constructions.dyck.apmdm import (
    BOS,
    EOS,
    DyckChoice,
    DyckGenerator,
    explore,
    sample,
    sampling_process,
    word_of,
)
from apmdm.constructions.dyck.arm_illustration import (
    BalancedCountRule,
    RoundReductionRule,
    StoppingARM,
    arm_sampling_process,
    arm_support,
    first_failure,
)
from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.process import Limits, StepOutput, StopReason, apply_transition
from apmdm.machines.tokens import MASK
from apmdm.theory import theorem5
from apmdm.theory.dyck import enumerate_members, is_member


@dataclass(frozen=True)
class EmitsNonMember(DyckGenerator):
    """Broken: the letter b is filled as (b, b) instead of (b, B)."""

    def step_output(self, canvas, choice):
        if choice.kind == "fill" and choice.letter == 2:
            return StepOutput({choice.position: 2, choice.position + 1: 2},
                              remask=frozenset((len(canvas) - 1,)))
        return super().step_output(canvas, choice)


@dataclass(frozen=True)
class MissesMember(DyckGenerator):
    """Broken: never draws the pair (B, b)."""

    def choices(self, canvas):
        return tuple((c, w) for c, w in super().choices(canvas)
                     if not (c.kind == "fill" and c.letter == -2))


def test_quick_suite_passes():
    rows = run_suite(CheckOptions(quick=True))
    assert rows and all(r.ok for r in rows), [r for r in rows if not r.ok]
    support = [r for r in rows if r.construction == "dyck-pair-insertion:support"
               and r.program == "dyck-2"]
    assert [r.n for r in support] == [0, 2, 4, 6, 8]
    assert [r.measured["words"] for r in support] == [1, 4, 28, 232, 2092]


def test_support_checker_fails_on_non_member_generator():
    rows = check_support(EmitsNonMember(k=2), 4)
    assert not all(r.ok for r in rows)
    bad = [r for r in rows if r.n == 2][0]
    assert not bad.ok and not bad.outputs_equal and "non-members 1" in bad.detail


def test_support_checker_fails_on_generator_that_misses_a_member():
    rows = check_support(MissesMember(k=2), 4)
    bad = [r for r in rows if r.n == 2][0]
    assert not bad.ok and "missed 1" in bad.detail and "(-2, 2)" in bad.detail


def test_sampling_checker_fails_on_non_member_generator():
    row = check_sampling(EmitsNonMember(k=2), 60, 0)
    assert not row.ok and row.measured["nonmembers"] > 0


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.sampled_from([2, 3]))
def test_sampled_words_are_members_with_exact_cost(seed, k):
    gen = DyckGenerator(k=k, max_length=30)
    res = sample(gen, seed)
    assert res.stop is StopReason.EOS
    w = word_of(res.final)
    assert is_member(w, k)
    assert res.counters.steps == theorem5.steps_bound(len(w))
    assert res.counters.max_context == theorem5.context_bound(len(w))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32))
def test_every_step_is_g_and_f_sees_only_canvas_and_draw(seed):
    gen = DyckGenerator(k=2, max_length=12)
    for rec in sampling_process(gen, seed).run_stepwise(gen.initial_canvas(), Limits(100, 100)):
        assert apply_transition(rec.before, rec.output)[0] == rec.after
        # the output is one of the finitely many outcomes available on this canvas
        outs = [gen.step_output(rec.before, c) for c, _ in gen.choices(rec.before)]
        assert rec.output in outs
    assert gen.next_step(gen.initial_canvas(), 123) == gen.next_step(gen.initial_canvas(), 123)


def test_same_seed_same_run():
    gen = DyckGenerator(k=2, max_length=20)
    assert sample(gen, 7).final == sample(gen, 7).final


def test_golden_round():
    gen = DyckGenerator(k=2)
    c0 = gen.initial_canvas()
    c1, _ = apply_transition(c0, gen.step_output(c0, DyckChoice("insert", 0)))
    c2, _ = apply_transition(c1, gen.step_output(c1, DyckChoice("double", 1)))
    c3, _ = apply_transition(c2, gen.step_output(c2, DyckChoice("fill", 1, -2)))
    c4, _ = apply_transition(c3, gen.step_output(c3, DyckChoice("stop")))
    assert (c1, c2, c3, c4) == ((BOS, MASK, MASK), (BOS, MASK, MASK, MASK),
                                (BOS, -2, 2, MASK), (BOS, -2, 2, EOS))
    assert [gen.phase(c) for c in (c0, c1, c2, c4)] == ["open", "double", "fill", "done"]


def test_explorer_counts_and_costs():
    exp = explore(DyckGenerator(k=2), 6)
    for n in range(0, 7, 2):
        assert {w for w in exp.words if len(w) == n} == set(enumerate_members(2, n))
        assert exp.steps_by_length[n] == theorem5.steps_bound(n)
        assert exp.context_by_length[n] == theorem5.context_bound(n)


def test_bad_input_errors():
    gen = DyckGenerator(k=2)
    with pytest.raises(ConstructionError):
        gen.phase((MASK, MASK))
    with pytest.raises(ConstructionError):
        gen.phase((BOS, MASK, 1, MASK, MASK))
    with pytest.raises(InvalidArgumentError):
        gen.next_step(gen.initial_canvas(), -1)
    with pytest.raises(InvalidArgumentError):
        DyckGenerator(k=2, stop_num=0)
    with pytest.raises(InvalidArgumentError):
        explore(gen, -2)


# --- the ARM illustration ---------------------------------------------------------------------


def test_arm_rule_first_failures():
    assert first_failure(BalancedCountRule(), 2, 6).witness == (1, 2, -1, -2)
    assert first_failure(BalancedCountRule(), 1, 8).length is None  # exact for F_1 = Z
    for d in (0, 1, 2):
        f = first_failure(RoundReductionRule(d), 2, 2 * d + 2)
        assert f.length == theorem5.round_rule_first_failure(d) and f.kind == "misses-member"


def test_arm_support_through_g_equals_rule_acceptance():
    arm = StoppingARM(2, RoundReductionRule(1))
    support = arm_support(arm, 4)
    members = {w for n in (0, 2, 4) for w in enumerate_members(2, n)}
    assert support <= members and (1, 1, -1, -1) in members - support
    assert support == {w for w in members if RoundReductionRule(1).accepts(w)}
    res = arm_sampling_process(arm, 0).run(arm.initial_canvas(), Limits(400, 1000))
    if res.stop is StopReason.EOS:
        assert is_member(res.final[1:-1], 2)


@dataclass(frozen=True)
class WrongPrediction(RoundReductionRule):
    def predicted_first_failure(self, k):
        return 2 * self.depth + 4


def test_arm_row_fails_on_wrong_prediction():
    assert check_arm_rule(RoundReductionRule(1), 2, 6).ok
    assert not check_arm_rule(WrongPrediction(1), 2, 6).ok


def test_counts_row_fails_when_one_method_is_off_by_one(monkeypatch):
    from apmdm.checks import theorem5 as checker
    from apmdm.checks.theorem5 import check_counts

    assert check_counts(2, 6, 4).ok
    real = checker.count_by_transfer
    monkeypatch.setattr(checker, "count_by_transfer",
                        lambda k, n: real(k, n) + (n == 4))   # broken: one extra word at n=4
    row = check_counts(2, 6, 4)
    assert not row.ok and "4:[28, 29]!" in row.detail

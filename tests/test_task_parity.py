"""Parity as an AP-MDM elimination process: exhaustive for n ≤ 12, bounds, golden trace."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.suite import CheckOptions
from apmdm.checks.tasks import parity_rows
from apmdm.constructions.tasks.parity import (
    BOS,
    PARITY_PROCESS,
    parity_canvas,
    parity_limits,
    parity_next_step,
    parity_of_canvas,
    parity_step_bound,
    run_parity,
)
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Model, StepOutput, StopReason
from apmdm.machines.tokens import MASK


def test_exhaustive_up_to_12_correct_and_within_bounds():
    for n in range(13):
        for bits in itertools.product((0, 1), repeat=n):
            r = run_parity(bits)
            assert r.correct, bits
            assert r.steps <= parity_step_bound(n)
            assert r.max_context <= n + 1


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1), max_size=300))
def test_random_inputs(bits):
    r = run_parity(bits)
    assert r.answer == sum(bits) % 2
    assert r.steps <= 2 * len(bits) + 1


def test_golden_trace():
    canvases = [rec.after for rec in PARITY_PROCESS.run_stepwise(parity_canvas([1, 0, 1, 1, 0]),
                                                                 parity_limits(5))]
    assert canvases == [
        (BOS, 1, MASK, 1, 1, 0),
        (BOS, 1, 1, 1, 0),
        (BOS, MASK, MASK, 1, 0),
        (BOS, 1, 0),
        (BOS, 1, MASK),
        (BOS, 1),
        (BOS, 1),  # fixed point
    ]


def test_final_states_and_stop_reason():
    even = PARITY_PROCESS.run(parity_canvas([1, 1, 0]), parity_limits(3))
    odd = PARITY_PROCESS.run(parity_canvas([0, 1, 0]), parity_limits(3))
    assert even.final == (BOS,) and odd.final == (BOS, 1)
    assert even.stop is StopReason.FIXED_POINT and odd.stop is StopReason.FIXED_POINT


def test_f_is_sparse_and_local():
    out = parity_next_step(parity_canvas([0, 1] + [1] * 10_000))
    assert out.remask == frozenset({1}) and not out.tokens
    out = parity_next_step((BOS, MASK, MASK, 1))
    assert out.delete == frozenset({1, 2}) and not out.remask


def test_bad_input_is_rejected():
    with pytest.raises(InvalidArgumentError):
        parity_canvas([0, 2])
    with pytest.raises(InvalidArgumentError):
        parity_canvas([True])
    with pytest.raises(InvalidArgumentError):
        parity_of_canvas((BOS, 0))


def _skips_a_remask(canvas):
    """Broken: on a pair of ones it remasks only the first, so one 1 survives."""
    out = parity_next_step(canvas)
    if len(out.remask) == 2:
        return StepOutput({}, remask=frozenset({1}))
    return out


def _never_deletes(canvas):
    """Broken: remasks but never deletes (runs into a cycle/fixed point on masks)."""
    out = parity_next_step(canvas)
    return StepOutput({1: 0, 2: 0}) if out.delete else out


@pytest.mark.parametrize("f", [_skips_a_remask, _never_deletes])
def test_checker_fails_on_a_broken_process(f):
    rows = parity_rows(CheckOptions(quick=True), GenerationProcess(Model.APMDM, f))
    assert not all(r.ok for r in rows)
    assert not all(r.outputs_equal for r in rows)


def test_checker_passes_on_the_real_process():
    assert all(r.ok for r in parity_rows(CheckOptions(quick=True)))


@pytest.mark.slow
def test_long_inputs_up_to_10000():
    rng = random.Random(7)
    for i in range(100):
        n = 10_000 if i < 3 else rng.randint(1, 10_000)
        bits = [rng.getrandbits(1) for _ in range(n)]
        r = run_parity(bits)
        assert r.correct and r.steps <= 2 * n + 1

"""Theorem 2: serial simulation of transformer MDM runs, op counting, and its failure modes."""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from apmdm.checks.catalogue import suites
from apmdm.checks.suite import CheckOptions
from apmdm.checks.theorem2 import check_contrast, check_mdm_run, mdm_instances, run_suite, sweep
from apmdm.constructions.serial.nets import (
    binary_counter_apmdm,
    counter_canvas,
    left_to_right_mdm,
    locator_model,
    masked_canvas,
)
from apmdm.constructions.serial.simulation import (
    CountedForward,
    network_shape,
    simulate_apmdm,
    simulate_mdm,
)
from apmdm.machines.errors import CompiledModelMismatch
from apmdm.machines.process import Limits, StopReason
from apmdm.theory.theorem2 import (
    HeadShape,
    LayerShape,
    NetworkShape,
    S,
    ops_bound,
    pass_coefficients,
    pass_ops,
)


class SkipsAttentionScores(CountedForward):
    """Broken on purpose: computes the scores but does not count them."""

    def scores(self, t, q, k):
        return q @ k.T


class WrongValues(CountedForward):
    """Broken on purpose: the MLP output is off by one everywhere."""

    def mlp(self, t, mlp, num, den):
        return super().mlp(t, mlp, num, den) + 1.0


def test_worst_case_mdm_run_is_counted_exactly():
    res = check_mdm_run(left_to_right_mdm(), masked_canvas(8))
    assert res.ok and res.count_matches
    assert res.passes == res.effective_steps == 7
    assert res.ops <= ops_bound(network_shape(left_to_right_mdm().spec), 8)


def test_shape_read_from_weights_and_quadratic_coefficient():
    shape = network_shape(left_to_right_mdm().spec)
    assert shape == NetworkShape(12, 4, 2, (LayerShape((HeadShape(2, 2),) * 2, 5),), 2)
    a, _ = pass_coefficients(shape)
    assert a == 2 * (2 + 2 + 3)  # per head: k scores + v sums + 3 selection ops, times S²


def test_closed_form_by_hand_for_one_head():
    # d=1, no features, one head k=v=1, no MLP, one output, no controls:
    # embed S; proj 3S; scores S²; select 3S²-2S; sum S²; finish 2S; readout S+S; g S
    shape = NetworkShape(1, 0, 0, (LayerShape((HeadShape(1, 1),)),), 1, True, False)
    assert pass_ops(shape) == 5 * S**2 + 7 * S


def test_counter_that_skips_attention_is_caught():
    res = check_mdm_run(left_to_right_mdm(), masked_canvas(8), SkipsAttentionScores)
    assert not res.count_matches and not res.ok
    assert res.closed_form - res.ops == res.passes * 2 * 8 * 8 * 2  # 2 heads, S²·k each


def test_sweep_with_skipping_counter_fails():
    assert not sweep(10, 8, 0, SkipsAttentionScores).ok


def test_recomputation_is_verified_against_the_forward_pass():
    with pytest.raises(CompiledModelMismatch):
        simulate_mdm(left_to_right_mdm(), masked_canvas(5), forward_cls=WrongValues)


def test_idle_step_ends_the_run():
    stay = locator_model("always-stay", {"isM": 1}, 0)  # every mask keeps its remask bit
    run = simulate_mdm(stay, masked_canvas(6))
    assert run.passes == 1 and run.effective_steps == 0
    assert run.ended_by_idle_step and run.stop is StopReason.FIXED_POINT
    assert check_mdm_run(stay, masked_canvas(6)).ok


def test_passes_never_exceed_context_even_with_prefilled_cells():
    res = check_mdm_run(left_to_right_mdm(), ("B", 1, 0, 1, 0, 0))
    assert res.passes == 0 and res.ok  # no mask: no pass at all


@settings(max_examples=40, deadline=None)
@given(mdm_instances(max_size=10))
def test_random_transformer_mdms_respect_the_bound(inst):
    res = check_mdm_run(inst.model, inst.canvas)
    assert res.ok, res.describe()
    assert res.passes <= len(inst.canvas)


def test_apmdm_counter_rewrites_in_place():
    run = simulate_apmdm(binary_counter_apmdm(), counter_canvas(4), Limits(100, 5))
    assert run.final == ("B", 1, 1, 1, 1)
    assert run.passes == 2**5 - 1 and run.context == 5


def test_contrast_exceeds_mdm_bound_and_can_fail():
    con = check_contrast(6)
    assert con.ok and con.passes == 127 and con.ratio > 1
    small = check_contrast(3)  # 15 passes on context 4: not yet above c·S³·ℓ(S)
    assert not small.ok


def test_suite_registered_and_quick_run_passes():
    assert "theorem2-serial-simulation" in {s.name for s in suites()}
    rows = run_suite(CheckOptions(quick=True))
    assert rows and all(r.ok for r in rows), [r.detail for r in rows if not r.ok]

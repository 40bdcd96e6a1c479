"""Theorem 3: AO-MDM -> Masked-ARM by log and replay; the checker must be able to fail."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings

from apmdm.checks.catalogue import suites
from apmdm.checks.suite import CheckOptions
from apmdm.checks.theorem3 import (
    AOInstance,
    RandomAOMDM,
    ao_mdm_instances,
    check_instance,
    run_suite,
    sweep,
)
from apmdm.constructions.masked_arm.schedule import (
    BLANK,
    HALT,
    LoggedMaskedARM,
    MaskedARMSimulation,
    build_masked_arm,
    extra_layer_plan,
    rebuild_ao_canvas,
)
from apmdm.constructions.serial.nets import left_to_right_mdm, masked_canvas
from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Model, StepOutput
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer.model import transformer_next_step
from apmdm.theory.theorem3 import EXTRA_LAYERS, context_bound, steps_bound


def reverse_order_ao(size: int) -> RandomAOMDM:
    return RandomAOMDM(3, tuple(range(1, size + 1)), (0, 1, 2, 2, 1), tuple(reversed(range(size))))


def test_golden_reverse_order_run():
    inst = AOInstance(reverse_order_ao(4), (MASK, 1, MASK, MASK))
    sim = build_masked_arm(inst.ao_step, inst.canvas)
    assert sim.canvas == (BLANK, 1, BLANK, BLANK, MASK, MASK, MASK)
    assert sim.process.model is Model.MASKED_ARM
    run = sim.process.run(sim.canvas)
    records = run.final[4:]
    assert [r[0] for r in records] == [3, 2, 0]  # the AO order, logged left to right
    res = check_instance(inst)
    assert res.ok and res.outputs_equal and res.order_equal
    assert res.decoded_final == res.ao_final
    assert res.masked_arm_length == 7 <= context_bound(4)


def test_rightmost_record_wins_in_rebuild():
    sim = build_masked_arm(reverse_order_ao(2), (MASK, MASK))
    canvas = (BLANK, BLANK, (0, 1), (0, 2))
    assert rebuild_ao_canvas(canvas, sim.layout) == (2, MASK)


def test_eos_adds_one_halt_step():
    ao = RandomAOMDM(2, (1, 1, 1), (0,), (0, 1, 2))  # always writes 0
    res = check_instance(AOInstance(ao, (MASK, MASK, MASK), eos=0))
    assert res.ok and res.ao_steps == 1 and res.masked_arm_steps == 2 == steps_bound(1)
    sim = build_masked_arm(ao, (MASK, MASK, MASK), 0)
    assert sim.process.run(sim.canvas).final[4] == HALT


@settings(max_examples=80, deadline=None)
@given(ao_mdm_instances(max_size=10))
def test_random_ao_mdms_are_simulated(inst):
    res = check_instance(inst)
    assert res.ok, (res.measured, res.bound, res.ao_final, res.decoded_final)
    assert res.masked_arm_length <= 2 * res.size


def test_transformer_ao_f_is_simulated():
    model = left_to_right_mdm()  # fills exactly one mask per step: an AO-MDM
    res = check_instance(AOInstance(transformer_next_step(model), masked_canvas(12)))
    assert res.ok and res.ao_steps == 11 and res.ao_final[1:] == (1,) * 11


def test_layer_plan_is_k():
    assert len(extra_layer_plan()) == EXTRA_LAYERS == 3


# --- the checker fails on broken constructions ---------------------------------------------


class DroppingMaskedARM(LoggedMaskedARM):
    """Broken on purpose: the rebuild ignores the first record."""

    def __call__(self, canvas):
        start = self.layout.size
        if canvas[start] is not MASK:
            canvas = canvas[:start] + (HALT,) + canvas[start + 1 :]
        return super().__call__(canvas)


def dropping_build(ao_step, ao_canvas, ao_eos=None) -> MaskedARMSimulation:
    good = build_masked_arm(ao_step, ao_canvas, ao_eos)
    f = DroppingMaskedARM(ao_step, good.layout, ao_eos)
    process = GenerationProcess(Model.MASKED_ARM, f, eos=HALT, name="dropping")
    return MaskedARMSimulation(process, good.canvas, good.layout)


def test_checker_fails_when_a_record_is_dropped():
    res = check_instance(AOInstance(reverse_order_ao(4), (MASK, 1, MASK, MASK)), dropping_build)
    assert not res.ok
    assert not res.order_equal


def test_sweep_finds_the_dropped_record():
    res = sweep(60, 6, 0, dropping_build)
    assert not res.ok and res.failure


def test_result_fails_when_a_bound_is_exceeded():
    good = check_instance(AOInstance(reverse_order_ao(3), (MASK, MASK, MASK)))
    assert good.ok
    too_long = replace(good, masked_arm_length=2 * good.size + 1)
    too_slow = replace(good, masked_arm_steps=good.ao_steps + 2)
    too_deep = replace(good, extra_layers=EXTRA_LAYERS + 1)
    assert not too_long.ok and not too_slow.ok and not too_deep.ok


# --- bad input ----------------------------------------------------------------------------


def test_blank_in_ao_canvas_is_refused():
    with pytest.raises(InvalidArgumentError):
        build_masked_arm(reverse_order_ao(2), (BLANK, MASK))


def test_non_ao_next_step_is_refused():
    def two_at_once(canvas):
        return StepOutput({i: 0 for i, t in enumerate(canvas) if t is MASK})

    sim = build_masked_arm(two_at_once, (MASK, MASK))
    with pytest.raises(ConstructionError, match="not an AO-MDM"):
        sim.process.run(sim.canvas)


def test_suite_registered_and_quick_run_passes():
    names = {s.name for s in suites()}
    assert "theorem3-ao-to-masked-arm" in names
    rows = run_suite(CheckOptions(quick=True))
    assert rows and all(r.ok for r in rows)
    assert all(r.measured["context"] <= r.bound["context"] for r in rows)

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
    PAD,
    LoggedMaskedARM,
    MaskedARMSimulation,
    build_masked_arm,
    copied_out_answer,
    extra_layer_plan,
    rebuild_ao_canvas,
)
from apmdm.constructions.serial.nets import left_to_right_mdm, masked_canvas
from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Model, StepOutput
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer.model import transformer_next_step
from apmdm.theory.theorem3 import (
    EXTRA_LAYERS,
    copyout_context_bound,
    copyout_steps_bound,
)


def reverse_order_ao(size: int) -> RandomAOMDM:
    return RandomAOMDM(3, tuple(range(1, size + 1)), (0, 1, 2, 2, 1), tuple(reversed(range(size))))


def test_golden_reverse_order_run():
    inst = AOInstance(reverse_order_ao(4), (MASK, 1, MASK, MASK))
    sim = build_masked_arm(inst.ao_step, inst.canvas)
    assert sim.canvas == (BLANK, 1, BLANK, BLANK) + (MASK,) * 6
    assert sim.process.model is Model.MASKED_ARM
    run = sim.process.run(sim.canvas)
    records = run.final[4:7]
    assert [r[0] for r in records] == [3, 2, 0]  # the AO order, logged left to right
    res = check_instance(inst)
    assert res.ok and res.outputs_equal and res.order_equal
    assert res.decoded_final == res.ao_final
    # the copy slots hold the generated tokens at positions 0, 2, 3, in position order
    assert run.final[7:] == (res.ao_final[0], res.ao_final[2], res.ao_final[3])
    assert res.masked_arm_length == 10 <= copyout_context_bound(4)
    assert res.masked_arm_steps == 6 == copyout_steps_bound(3)
    assert run.stop.value != "eos"   # no HALT record: the last copy fills the last mask


def test_rightmost_record_wins_in_rebuild():
    sim = build_masked_arm(reverse_order_ao(2), (MASK, MASK))
    canvas = (BLANK, BLANK, (0, 1), (0, 2))
    assert rebuild_ao_canvas(canvas, sim.layout) == (2, MASK)


def test_eos_pads_the_record_slots_and_copies_blank_for_unfilled_masks():
    ao = RandomAOMDM(2, (1, 1, 1), (0,), (0, 1, 2))  # always writes 0
    res = check_instance(AOInstance(ao, (MASK, MASK, MASK), eos=0))
    assert res.ok and res.ao_steps == 1 and res.masked_arm_steps == 6 == copyout_steps_bound(3)
    assert res.ao_final == (0, MASK, MASK) == res.decoded_final
    sim = build_masked_arm(ao, (MASK, MASK, MASK), 0)
    final = sim.process.run(sim.canvas).final
    assert final[3:] == ((0, 0), PAD, PAD, 0, BLANK, BLANK)


def test_answer_is_read_only_at_designated_positions():
    """Corrupting the records (or the BLANKs of the region) changes nothing; corrupting a
    copy slot or a prompt cell changes the answer."""
    x0 = (MASK, 1, MASK, MASK)
    sim = build_masked_arm(reverse_order_ao(4), x0)
    final = sim.process.run(sim.canvas).final
    answer = sim.decode(final)
    assert answer == copied_out_answer(final, x0)
    junk = tuple(("junk", i) if 4 <= i < 7 or final[i] == BLANK else t
                 for i, t in enumerate(final))
    assert copied_out_answer(junk, x0) == answer == sim.decode(junk)
    for i in (1, 7, 8, 9):
        hit = final[:i] + (("other", i),) + final[i + 1:]
        assert copied_out_answer(hit, x0) != answer


@settings(max_examples=60, deadline=None)
@given(ao_mdm_instances(max_size=8))
def test_copied_answer_agrees_with_the_ao_machine(inst):
    """Agreement with the reference machine: the copy slots alone give the AO final canvas."""
    res = check_instance(inst)
    sim = build_masked_arm(inst.ao_step, inst.canvas, inst.eos)
    final = sim.process.run(sim.canvas).final
    m = sum(1 for t in inst.canvas if t is MASK)
    copies = final[len(inst.canvas) + m:]
    expect = tuple(BLANK if res.ao_final[p] is MASK else res.ao_final[p]
                   for p, t in enumerate(inst.canvas) if t is MASK)
    assert copies == expect
    assert res.ok and res.decoded_final == res.ao_final


@settings(max_examples=80, deadline=None)
@given(ao_mdm_instances(max_size=10))
def test_random_ao_mdms_are_simulated(inst):
    res = check_instance(inst)
    assert res.ok, (res.measured, res.bound, res.ao_final, res.decoded_final)
    assert res.masked_arm_length <= 3 * res.size


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
    too_long = replace(good, masked_arm_length=3 * good.size + 1)
    too_slow = replace(good, masked_arm_steps=2 * 3 + 1)
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


class LogOrderCopyARM(LoggedMaskedARM):
    """Broken copy-out: copy slot j gets the j-th *record's* token (log order), not the token
    at the j-th mask of x0 (position order)."""

    def copied(self, canvas, j):
        rec = canvas[self.layout.size + j]
        return rec[1] if len(rec) == 2 else self.layout.blank


def log_order_build(ao_step, ao_canvas, ao_eos=None) -> MaskedARMSimulation:
    good = build_masked_arm(ao_step, ao_canvas, ao_eos)
    f = LogOrderCopyARM(ao_step, good.layout, ao_eos)
    return MaskedARMSimulation(GenerationProcess(Model.MASKED_ARM, f, name="log-order"),
                               good.canvas, good.layout)


def test_checker_fails_when_the_copy_out_is_in_log_order():
    # reverse order: the log is positions 3..0, the copy slots need 0..3; AO final 2, 1, 2, 2
    res = check_instance(AOInstance(reverse_order_ao(4), (MASK,) * 4), log_order_build)
    assert res.order_equal and not res.outputs_equal and not res.ok
    assert not sweep(60, 6, 0, log_order_build).ok


def test_checker_reads_the_answer_itself_not_through_the_construction():
    """A construction whose own decode aggregates the records (the old design) but writes
    nothing useful in the copy slots still fails: the checker reads the designated positions."""

    class RecordsOnly(LoggedMaskedARM):
        def copied(self, canvas, j):
            return self.layout.blank

    class AggregatingSimulation(MaskedARMSimulation):
        def decode(self, final):
            return rebuild_ao_canvas(final, self.layout)

    def build(ao_step, ao_canvas, ao_eos=None):
        good = build_masked_arm(ao_step, ao_canvas, ao_eos)
        f = RecordsOnly(ao_step, good.layout, ao_eos)
        return AggregatingSimulation(GenerationProcess(Model.MASKED_ARM, f, name="records-only"),
                                     good.canvas, good.layout)

    inst = AOInstance(reverse_order_ao(4), (MASK, 1, MASK, MASK))
    sim = build(inst.ao_step, inst.canvas)
    final = sim.process.run(sim.canvas).final
    assert sim.decode(final) == check_instance(inst).ao_final    # its own decode is right
    res = check_instance(inst, build)
    assert not res.outputs_equal and not res.ok

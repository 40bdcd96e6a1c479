"""Theorem 2 on the PRAM interpreter: a P = 1 program runs the exact transformer MDM.

Default tests are cheap (a few CPU-seconds): small canvases of the 1-layer locator family,
one pass of a compiled Theorem-1 MDM, and deliberately broken compilations (a dropped score
term, two off-by-ones in g, a wrong time constant, a too-small bound) that must fail. The
full runs (S = 32, a whole Theorem-1 run) are ``@pytest.mark.slow``.
"""

from __future__ import annotations

import dataclasses
import functools
import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apmdm.checks.suite import Category, CheckOptions
from apmdm.checks.theorem2 import check_mdm_run, mdm_instances
from apmdm.checks.theorem2_pram import (
    _checked,
    check_pram_run,
    pram_sweep,
    run_suite,
    theorem1_instance,
)
from apmdm.constructions.efasp.programs import build_example, random_canvas
from apmdm.constructions.serial.nets import left_to_right_mdm, locator_model, masked_canvas
from apmdm.constructions.serial.pram_forward import (
    H_LAYERS,
    check_supported,
    mdm_program,
    network_counts,
    run_mdm_on_pram,
)
from apmdm.constructions.serial.simulation import CountedForward, network_shape
from apmdm.machines.errors import ApmdmError, InvalidArgumentError, PrecisionError
from apmdm.machines.pram.isa import Instr, Op
from apmdm.machines.process import GenerationProcess, Limits, Model, StopReason
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer.model import transformer_next_step
from apmdm.theory.theorem2 import S, pram_constant, pram_time, pram_time_bound


def _reference(model, canvas, steps):
    return GenerationProcess(Model.MDM, transformer_next_step(model)).run(
        canvas, Limits(max_steps=steps))


def _patched(piece: str, offset: int, make) -> object:
    """The program with the instruction ``offset`` after the end of ``piece`` replaced."""
    sp = mdm_program()
    ins = list(sp.program.instructions)
    at = sp.starts[piece] + sp.costs[piece] + offset
    ins[at] = make(ins[at])
    return dataclasses.replace(sp.program, instructions=tuple(ins))


def _fails(model, canvas, **kw) -> bool:
    try:
        return not check_pram_run(model, canvas, **kw).ok
    except ApmdmError:
        return True


# --- the program -----------------------------------------------------------------------------


def test_one_generic_program_of_constant_length():
    sp = mdm_program()
    assert sp is mdm_program()
    assert len(sp.program.instructions) < 1000 and sp.program.num_registers <= 64
    assert sp.program.processor_count(10**6) == 1


@pytest.mark.parametrize("s", [1, 2, 6])
def test_left_to_right_matches_the_mdm_and_the_time_formula(s):
    model, canvas = left_to_right_mdm(), masked_canvas(s)
    res = check_pram_run(model, canvas)
    assert res.ok and res.canvas_equal and res.stop_equal
    assert res.passes == s - 1 and res.time == res.time_formula <= res.time_bound


@settings(max_examples=10, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(mdm_instances(max_size=6))
def test_random_locator_mdms_agree_with_the_mdm_machine(inst):
    res = _checked(inst)  # raises if only one side refuses, or they refuse differently
    assert res is None or res.ok, res.describe()


def test_compiled_theorem1_mdm_one_pass():
    inst = theorem1_instance("sum", 1)
    run = run_mdm_on_pram(inst.model, inst.canvas, max_passes=1)
    ref = _reference(inst.model, inst.canvas, 1)
    assert run.stop is StopReason.STEP_LIMIT is ref.stop
    assert run.final == ref.final != inst.canvas
    costs, net = mdm_program().costs, network_counts(inst.model)
    assert run.time == pram_time(costs, net, len(inst.canvas), run.passes, *run.events)


def test_the_bound_is_a_cubic_in_s():
    costs, net = mdm_program().costs, network_counts(left_to_right_mdm())
    bound = pram_time_bound(costs, net)
    assert bound.as_poly(S).degree() == 3
    assert all(bound.subs(S, s) <= pram_constant(costs, net) * s**3 for s in range(1, 40))


def test_unsupported_networks_are_refused():
    spec = left_to_right_mdm().spec
    with pytest.raises(InvalidArgumentError, match="causal"):
        check_supported(dataclasses.replace(spec, causal=True))


def _masked_example(name: str, rng: random.Random) -> tuple:
    canvas = list(random_canvas(name, 8, 8, rng))
    for i in rng.sample(range(8), 3):
        canvas[i] = MASK
    return tuple(canvas)


def _same_run(model, canvas, program=None) -> bool:
    ref = _reference(model, canvas, len(canvas) + 1)
    run = run_mdm_on_pram(model, canvas, program=program)
    formula = pram_time(mdm_program().costs, network_counts(model), len(canvas), run.passes,
                        *run.events)
    return run.final == ref.final and run.stop is ref.stop and run.time == formula


@pytest.mark.parametrize("name", ["count", "sort"])
def test_rational_dimensions_match_the_mdm_machine(name):
    # E-FASP examples with mean heads (count: an MLP over a rational dimension; sort: queries
    # reading rational dimensions), run as MDMs (no controls: every mask fills in one pass)
    model = build_example(name, 8)
    assert network_counts(model).rational
    assert _same_run(model, _masked_example(name, random.Random(1)))


@settings(max_examples=6, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
@given(st.sampled_from(["count", "histogram"]),
       st.lists(st.sampled_from([0, 1, 2, 3, MASK]), min_size=1, max_size=8))
def test_rational_networks_on_random_canvases(name, canvas):
    # the PRAM's run equals the MDM machine's, or the PRAM refuses a token outside the
    # codec's domain exactly when the machine's final canvas cannot be encoded
    model, canvas = _example(name), tuple(canvas)
    ref = _reference(model, canvas, len(canvas) + 1)
    try:
        run = run_mdm_on_pram(model, canvas)
    except InvalidArgumentError:
        with pytest.raises(InvalidArgumentError, match="outside its domain"):
            model.codec.encode_canvas(ref.final)
        return
    assert run.final == ref.final and run.stop is ref.stop


@functools.cache
def _example(name: str):
    return build_example(name, 8)


class SkipsQueryScaling(CountedForward):
    """Broken on purpose: scales a rational query but does not count the scaling."""

    def query(self, t, h, x, den):
        before = dict(t.counts)
        q = super().query(t, h, x, den)
        t.counts["projection"] = before["projection"] + x.shape[0] * x.shape[1] * \
            h.w_q.shape[1]
        return q


def test_cost_model_on_rational_queries():
    # sort's queries read rational dimensions: the cost model scales them as the forward
    # pass does (recomputation verified), counts 3·S·k for it, and a counter that skips it
    # is caught by the closed form
    model, canvas = build_example("sort", 8), _masked_example("sort", random.Random(1))
    assert any(hd.rational_query for layer in network_shape(model.spec).layers
               for hd in layer.heads)
    assert check_mdm_run(model, canvas).ok
    assert not check_mdm_run(model, canvas, SkipsQueryScaling).count_matches


def test_a_mean_head_storing_the_wrong_count_is_caught():
    model, canvas = build_example("count", 8), _masked_example("count", random.Random(2))
    sp = mdm_program()
    value = sp.program.instructions[sp.starts["mean_out_term"]].args[0]  # the register of S
    # DEN[dim] = S instead of the count c
    prog = _patched("mean_out_term", -3, lambda i: Instr(Op.STORE, (i.args[0], 0, value)))
    assert _same_run(model, canvas)
    try:
        assert not _same_run(model, canvas, prog)
    except ApmdmError:
        pass


# --- deliberately broken compilations fail ---------------------------------------------------


def test_a_dropped_score_term_is_caught():
    # the score loop runs k - 1 times: both heads lose their "± pos_j" tie-break, so the
    # arg-max sets are ties whose pick average is not an integer (the run stops, typed)
    prog = _patched("score_head", 0, lambda i: Instr(Op.ADDI, (i.args[0], i.args[1], -1)))
    assert check_pram_run(left_to_right_mdm(), masked_canvas(8)).ok
    with pytest.raises(PrecisionError, match="not an integer"):
        check_pram_run(left_to_right_mdm(), masked_canvas(8), program=prog)


def test_a_dropped_attention_weight_is_caught():
    def drop(image):  # first layer, second head (leftmost mask): drop one entry of W_k
        layer = image[image[H_LAYERS] + 1]
        head = image[layer + 3 + 1]
        image[image[head + 3]] -= 1
    assert _fails(left_to_right_mdm(), masked_canvas(8), edit=drop)


def test_g_skipping_the_last_position_is_caught():
    # readout loop count S - 1 instead of S (const I, 0 then mov CI, S)
    prog = _patched("ro_head", 1, lambda i: Instr(Op.ADDI, (i.args[0], i.args[1], -1)))
    res = check_pram_run(left_to_right_mdm(), masked_canvas(6), program=prog)
    assert not res.canvas_equal and not res.ok


def test_g_remask_threshold_off_by_one_is_caught():
    # remask iff logit >= 0 instead of > 0; the model's leftmost mask has logit exactly 0
    model = locator_model("threshold", {"isM": 2, "eq": -1}, -1)  # decoded: logit < 0
    assert check_pram_run(model, masked_canvas(5)).ok
    prog = _patched("ro_bits", -9, lambda i: Instr(Op.LE, i.args))
    assert mdm_program().program.instructions[mdm_program().starts["ro_bits"] + 1].op is Op.LT
    res = check_pram_run(model, masked_canvas(5), program=prog)
    assert not res.canvas_equal and not res.ok


def test_a_wrong_time_constant_or_bound_is_caught():
    model, canvas = left_to_right_mdm(), masked_canvas(4)
    res = check_pram_run(model, canvas)
    run = run_mdm_on_pram(model, canvas)
    costs = dict(mdm_program().costs, spmv_entry=mdm_program().costs["spmv_entry"] - 1)
    assert pram_time(costs, network_counts(model), 4, run.passes, *run.events) != run.time
    assert not dataclasses.replace(res, time_formula=res.time - 1).ok
    assert not dataclasses.replace(res, constant=1).ok


def test_quick_suite_rows_are_proved_instances():
    rows = run_suite(CheckOptions(quick=True))
    assert rows and all(r.ok and r.category is Category.PROVED_INSTANCE for r in rows)
    assert all({"time", "ops"} <= set(r.measured) for r in rows)


# --- larger runs -------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("s", [16, 32])
def test_left_to_right_larger(s):
    res = check_pram_run(left_to_right_mdm(), masked_canvas(s))
    assert res.ok and res.passes == s - 1


@pytest.mark.slow
@pytest.mark.parametrize(("program", "n"), [("sum", 1), ("seq-sum", 1), ("sum", 2)])
def test_compiled_theorem1_whole_run(program, n):
    inst = theorem1_instance(program, n)
    res = check_pram_run(inst.model, inst.canvas)
    assert res.ok, res.describe()


@pytest.mark.slow
def test_pram_sweep_larger():
    res = pram_sweep(40, 10, seed_value=3)
    assert not res.failure and res.instances > 0

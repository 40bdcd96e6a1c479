"""Theorem 3 at the transformer level: compiled Masked-ARM from an AO-MDM E-FASP program."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings

from apmdm.checks.theorem3_compiled import (
    AOProgramSpec,
    ao_program,
    ao_program_instances,
    check_program_instance,
    sweep_compiled,
)
from apmdm.constructions.efasp import Program, compile_program, evaluate
from apmdm.constructions.efasp.gadgets import Affine
from apmdm.constructions.efasp.lower import HeadOp
from apmdm.constructions.masked_arm.compiled import (
    BLANK,
    DEFAULT_PARTS,
    HALT,
    cell,
    compile_masked_arm,
    log_initial_canvas,
    log_slot_ops,
    rebuild_from_log,
    rebuild_head,
)
from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.process import Limits
from apmdm.machines.tokens import MASK
from apmdm.theory.theorem3 import COMPILED_EXTRA_LAYERS

LEFT = AOProgramSpec("leftmost", 4, 3, (1, 1, 1, 1), (0, 1, 2), (), True)
NEIGHBOUR = AOProgramSpec("neighbour", 5, 3, (1, -1, 2, 0), (2, 0, 1, 1), (), False)


def test_golden_leftmost_run():
    res = check_program_instance(LEFT, (MASK, 1, MASK, MASK))
    assert res.ok and res.outputs_equal and res.order_equal
    assert res.ao_final == res.decoded_final == (2, 1, 2, 0)
    assert res.masked_arm_length == 7 <= 2 * 4
    assert res.extra_layers == 2 == COMPILED_EXTRA_LAYERS


@pytest.mark.parametrize("vocab_readout", [True, False])
def test_golden_eos_run_writes_halt(vocab_readout):
    spec = replace(LEFT, eos=2, vocab_readout=vocab_readout)   # the first token written is 2
    res = check_program_instance(spec, (MASK, 1, MASK, MASK))
    assert res.ok and res.ao_steps == 1 and res.masked_arm_steps == 2
    model = compile_masked_arm(ao_program(spec), 4, 2)
    sim = model.simulation((MASK, 1, MASK, MASK))
    run = sim.process.run(sim.canvas)
    assert run.final[4:] == ((0, 2), HALT, MASK) and run.stop.value == "eos"
    assert model.extra_layers <= COMPILED_EXTRA_LAYERS


def test_log_canvas_and_rebuild():
    canvas = log_initial_canvas((MASK, 1, MASK))
    assert canvas == (cell(0, BLANK), cell(1, 1), cell(2, BLANK), MASK, MASK)
    assert rebuild_from_log(canvas, 3) == (MASK, 1, MASK)
    assert rebuild_from_log(canvas[:3] + ((2, 0), (2, 1)), 3) == (MASK, 1, 1)  # rightmost wins
    assert rebuild_from_log(canvas[:3] + ((0, 2), HALT), 3) == (2, 1, MASK)
    with pytest.raises(InvalidArgumentError):
        log_initial_canvas((BLANK, MASK))


def test_every_ao_node_is_reproduced_at_every_step():
    """Differential check: at each Masked-ARM step, every AO node's value at the region
    positions equals the reference evaluator on the rebuilt AO canvas."""
    for spec, canvas in ((NEIGHBOUR, (MASK, 2, MASK, MASK, 0)), (LEFT, (MASK,) * 4)):
        prog = ao_program(spec)
        model = compile_masked_arm(prog, len(canvas))
        sim = model.simulation(canvas)
        steps = 0
        for rec in sim.process.run_stepwise(sim.canvas, Limits(20, 20)):
            ao_canvas = rebuild_from_log(rec.before, len(canvas))
            ref = evaluate(prog, ao_canvas, 2 * len(canvas))
            got = model.ao_node_values(rec.before)
            for name in ref:
                assert got[name] == ref[name], (name, rec.step, ao_canvas)
            steps += 1
        assert steps == sum(1 for t in canvas if t is MASK)


@settings(max_examples=60, deadline=None)
@given(ao_program_instances(max_size=6))
def test_random_ao_programs_are_simulated(inst):
    spec, canvas = inst
    res = check_program_instance(spec, canvas)
    assert res.ok, (spec, canvas, res)
    assert res.masked_arm_length <= 2 * res.size
    assert res.extra_layers <= COMPILED_EXTRA_LAYERS


def test_sweep_passes_and_measures_k():
    res = sweep_compiled(30, 7, seed_value=3)
    assert res.ok, res.failure
    assert res.instances == 30 and res.max_extra_layers <= COMPILED_EXTRA_LAYERS


def test_depth_is_ao_depth_plus_measured_k_across_sizes():
    prog = ao_program(replace(LEFT, size=8))
    for size in (2, 8, 32):
        model = compile_masked_arm(prog, size)
        assert model.depth == compile_program(prog, size).spec.depth + model.extra_layers
        assert model.extra_layers <= COMPILED_EXTRA_LAYERS


# --- the checker fails on broken transformations ---------------------------------------------


def _no_record_rebuild(token_inputs, n):
    """Broken: the rebuild matches cells only, so logged records are never replayed."""
    good = rebuild_head(token_inputs, n)
    key = good.key[:2] + (Affine.dim("in.field:t3.cell"),) + good.key[3:]
    return HeadOp(good.name, good.query, key, good.values, False, False, good.note)


def _off_by_one_log(n):
    """Broken: the slot rule looks two positions back instead of one."""
    ops, remask = log_slot_ops(n)
    prev = ops[0]
    query = (prev.query[0] - 2 * n,) + prev.query[1:]
    return [replace(prev, query=query)] + ops[1:], remask


def _unscoped(op, bounds):
    """Broken: the AO heads also see the record slots."""
    return op


def _eos_ignored(ao_program, eos, n):
    """Broken: never notices that the EOS was logged, so the Masked-ARM keeps going."""
    return [], Affine()


@pytest.mark.parametrize("broken", [
    replace(DEFAULT_PARTS, rebuild=_no_record_rebuild),
    replace(DEFAULT_PARTS, log=_off_by_one_log),
    replace(DEFAULT_PARTS, scope=_unscoped),
    replace(DEFAULT_PARTS, eos=_eos_ignored),
])
def test_checker_fails_on_broken_transformations(broken):
    res = sweep_compiled(40, 6, seed_value=0, parts=broken)
    assert not res.ok and res.failure


def test_dropped_rebuild_fails_on_a_fixed_instance():
    res = check_program_instance(LEFT, (MASK, 1, MASK, MASK),
                                 replace(DEFAULT_PARTS, rebuild=_no_record_rebuild))
    assert not res.ok and not res.order_equal


def test_measured_layers_over_the_bound_fail():
    res = check_program_instance(LEFT, (MASK, 1, MASK, MASK))
    assert not replace(res, extra_layers=COMPILED_EXTRA_LAYERS + 1).ok


# --- bad input ----------------------------------------------------------------------------


def test_program_without_remask_is_refused():
    p = Program("no-controls", (("tok", 0, 1),), encode=lambda t: (t,), decode=lambda f: f[0])
    p.output_fields(p.token_field("tok"))
    with pytest.raises(ConstructionError, match="remask"):
        compile_masked_arm(p, 3)


def test_wrong_canvas_length_and_size_are_refused():
    model = compile_masked_arm(ao_program(LEFT), 4)
    with pytest.raises(InvalidArgumentError):
        model.simulation((MASK, MASK))
    with pytest.raises(InvalidArgumentError):
        compile_masked_arm(ao_program(LEFT), 0)


def _random_case(template, size, seed_value):
    import random
    rng = random.Random(seed_value)
    prio = tuple(rng.sample(range(size), size)) if template == "priority" else ()
    spec = AOProgramSpec(template, size, 3, (1, -2, 2, 1), (0, 1, 2, 2, 1), prio,
                         seed_value % 2 == 0, rng.choice((None, 0, 1, 2)))
    canvas = tuple(MASK if rng.random() < 0.7 else rng.randint(0, 2) for _ in range(size))
    return spec, canvas[:-1] + (MASK,)


def test_larger_canvas():
    spec, canvas = _random_case("neighbour", 20, 1)
    res = check_program_instance(spec, canvas)
    assert res.ok and res.extra_layers <= COMPILED_EXTRA_LAYERS


@pytest.mark.slow
@pytest.mark.parametrize("template", ["leftmost", "rightmost", "neighbour", "priority"])
def test_size_64(template):
    for seed_value in range(4):
        spec, canvas = _random_case(template, 64, seed_value)
        res = check_program_instance(spec, canvas)
        assert res.ok and res.masked_arm_length <= 128, (seed_value, res)

"""Parity compiled as an E-FASP transformer agrees with the reference f on every step."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.catalogue import build_compiled
from apmdm.constructions.efasp import evaluate
from apmdm.constructions.tasks.parity import (
    PARITY_PROCESS,
    parity_canvas,
    parity_limits,
    parity_next_step,
    run_parity,
)
from apmdm.constructions.tasks.parity_compiled import (
    compile_parity,
    compiled_parity_process,
    parity_program,
    same_step_output,
)
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Model, StepOutput
from apmdm.machines.tokens import MASK


def _check_run(bits, f) -> int:
    """Step through the reference run; compare the compiled f on every canvas. Returns steps."""
    steps = 0
    for rec in PARITY_PROCESS.run_stepwise(parity_canvas(bits), parity_limits(len(bits))):
        got = f(rec.before)
        assert same_step_output(rec.before, rec.output, got), (bits, rec.before, got)
        steps += 1
    return steps


def _memo(f):
    """f is a pure function of the canvas, so equal canvases need one forward pass."""
    cache: dict = {}

    def g(canvas):
        if canvas not in cache:
            cache[canvas] = f(canvas)
        return cache[canvas]

    return g


def test_exhaustive_small_inputs_every_step_and_answers():
    """All 2^11 - 1 inputs with n <= 10: the compiled process runs, every one of its steps is
    compared with the reference f on the same canvas, and every answer is correct."""
    f = _memo(compile_parity(10).next_step())
    process = GenerationProcess(Model.APMDM, f, name="parity-efasp")
    runs = steps = 0
    for n in range(0, 11):
        for bits in itertools.product((0, 1), repeat=n):
            for rec in process.run_stepwise(parity_canvas(bits), parity_limits(n)):
                ref = parity_next_step(rec.before)
                assert same_step_output(rec.before, ref, rec.output), (bits, rec.before)
                steps += 1
            run = run_parity(bits, process)
            assert run.correct and run.steps == run_parity(bits).steps, (bits, run)
            runs += 1
    assert runs == 2 ** 11 - 1 and steps > 2 ** 11


def test_random_inputs_up_to_256():
    f = compile_parity(256).next_step()
    process = compiled_parity_process(256)
    rng = random.Random(7)
    for n in (11, 17, 40, 100, 255, 256):
        bits = tuple(rng.getrandbits(1) for _ in range(n))
        _check_run(bits, f)
        run = run_parity(bits, process)
        assert run.correct and run.steps == run_parity(bits).steps


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from((0, 1)), min_size=1, max_size=64))
def test_hypothesis_random_inputs(bits):
    _check_run(tuple(bits), compile_parity(64).next_step())


@settings(max_examples=150, deadline=None)
@given(st.lists(st.sampled_from(("BOS", 0, 1, MASK)), min_size=1, max_size=12))
def test_compiled_equals_reference_evaluator_on_any_canvas(canvas):
    """Node by node, on arbitrary canvases over the vocabulary (reachable or not)."""
    model = compile_parity(11)
    model.check_against(canvas, evaluate(parity_program(), canvas, 12))


def test_depth_and_width_are_constant_in_n():
    stats = {n: compile_parity(n).stats for n in (4, 64, 1024)}
    assert len({(s["depth"], s["width"]) for s in stats.values()}) == 1
    assert stats[4]["depth"] <= 3


def test_registered_for_explain():
    model = build_compiled("parity", None, 64)
    assert model.spec.max_length == 64 and model.spec.depth == compile_parity(63).stats["depth"]


def test_same_step_output_detects_differences():
    canvas = ("BOS", MASK, 1)
    ref = parity_next_step(canvas)
    assert same_step_output(canvas, ref, compile_parity(4).step(canvas))
    assert not same_step_output(canvas, ref, StepOutput({}, delete=frozenset({1, 2})))
    assert not same_step_output(canvas, ref, StepOutput({1: 0}))


def test_checker_fails_on_a_broken_program():
    """A program that forgets the '1 1' rule disagrees with the reference on some step."""
    p = parity_program()
    nodes = [nd for nd in p.nodes if nd.name != "remask_score"]
    idx = next(k for k, nd in enumerate(p.nodes) if nd.name == "remask_score")
    broken = p.nodes[idx]
    coeffs, const = broken.params
    args = broken.args
    keep = [k for k, a in enumerate(args) if a != "all_ones"]
    nodes.insert(idx, type(broken)(broken.name, broken.op, tuple(args[k] for k in keep),
                                   (tuple(coeffs[k] for k in keep), const)))
    p.nodes = nodes
    from apmdm.constructions.efasp import compile_program
    f = compile_program(p, 8).next_step()
    with pytest.raises(AssertionError):
        _check_run((1, 1, 0), f)


def test_bad_size_is_refused():
    with pytest.raises(InvalidArgumentError):
        compile_parity(0)

"""E-FASP: malformed programs, example programs vs references, broken models detected,
depth constant and width logarithmic in n."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from apmdm.constructions.efasp import Program, compile_program, evaluate, reference_step
from apmdm.constructions.efasp.compiler import CompiledProgram
from apmdm.constructions.efasp.explain import explain
from apmdm.constructions.efasp.programs import EXAMPLES, random_canvas
from apmdm.machines.errors import CompiledModelMismatch, InvalidEFASPProgramError
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer import CompiledTransformer, Head, Layer


def _prog() -> Program:
    return Program("p", (("tok", 0, 3),), lambda t: (t,), lambda f: f[0])


def _malformed(kind: str) -> Program:
    p = _prog()
    tok = p.token_field("tok")
    if kind == "rational-into-max":
        p.max(p.seq_mean(tok, name="m"), tok, name="bad")
    elif kind == "non-bool-where":
        p.seq_max(tok, where=tok, name="bad")
    elif kind == "unknown-arg":
        p._add("max", (tok, "ghost"), (), "bad")
    elif kind == "unknown-op":
        p._add("sqrt", (tok,), (), "bad")
    elif kind == "two-rationals":
        p.compare(p.seq_mean(tok, name="m1"), "<", p.seq_mean(tok, name="m2"), name="bad")
    elif kind == "bad-compare":
        p.compare(tok, "=~", 1, name="bad")
    elif kind == "duplicate":
        p.position("bad")
        p.position("bad")
    elif kind == "vocab-range":
        p.output_vocab(p.linear([(tok, 1)], 1, name="bad"), ("a", "b", "c", "d"))
        return p
    p.output_fields(tok)
    return p


@pytest.mark.parametrize("kind", ["rational-into-max", "non-bool-where", "unknown-arg",
                                  "unknown-op", "two-rationals", "bad-compare", "duplicate",
                                  "vocab-range"])
def test_malformed_programs_name_the_node(kind):
    with pytest.raises(InvalidEFASPProgramError, match="node 'bad'|'bad'"):
        compile_program(_malformed(kind), 8)


def test_missing_output_is_rejected():
    p = _prog()
    p.token_field("tok")
    with pytest.raises(InvalidEFASPProgramError, match="no token output"):
        compile_program(p, 8)


def test_scaling_by_a_feature_is_rejected():
    p = _prog()
    tok = p.token_field("tok")
    with pytest.raises(InvalidEFASPProgramError, match="Program.mul"):
        tok * tok  # noqa: B018


@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("n", [4, 8, 16])
def test_examples_match_task_reference_and_evaluator(name, n):
    build, task = EXAMPLES[name]
    model = compile_program(build(n), n)
    f = model.next_step()
    rng = random.Random(n)
    for length in sorted({1, 2, n // 2, n}):
        for _ in range(3):
            canvas = random_canvas(name, length, n, rng)
            out = f(canvas)
            assert list(out.tokens) == task(canvas), canvas
            assert out == reference_step(model.program, canvas, n)
            model.check_against(canvas, evaluate(model.program, canvas, n))


def _tampered(model: CompiledProgram) -> CompiledProgram:
    """The same model with one head's key weights corrupted (a broken construction)."""
    spec = model.spec
    layers = list(spec.layers)
    li = next(i for i, ly in enumerate(layers) if ly.heads and ly.heads[-1].w_k.any())
    h = layers[li].heads[-1]
    wk = -h.w_k  # the head now finds the minimum instead of the maximum
    layers[li] = Layer(layers[li].heads[:-1] + (Head(h.name, h.w_q, wk, h.w_v, h.out_dims,
                                                     h.mean, h.causal, h.note),),
                       layers[li].mlp)
    bad_spec = type(spec)(**{**spec.__dict__, "layers": tuple(layers)})
    bad = CompiledTransformer(bad_spec, model.transformer.codec, "tampered")
    return CompiledProgram(model.program, model.max_length, model.types, model.node_values,
                           model.slots, bad, model.stats)


def test_differential_check_catches_a_broken_model():
    model = compile_program(EXAMPLES["reverse"][0](8), 8)
    bad = _tampered(model)
    canvas = (1, 2, 3, 4, 5, 6)
    ref = evaluate(model.program, canvas, 8)
    model.check_against(canvas, ref)
    with pytest.raises(CompiledModelMismatch,
                       match="node .* at position 0: .*residual dimensions: last.top"):
        bad.check_against(canvas, ref)


def test_masked_positions_and_controls():
    p = Program("ctl", (("tok", 0, 5),), lambda t: (t,), lambda f: f[0])
    tok, mask, pos = p.token_field("tok"), p.is_mask("mask"), p.position("pos")
    p.output_fields(p.select(mask, p.min(pos, 5, name="cap"), tok, name="y"))
    p.output_controls(remask=p.compare(pos, "==", 0, name="first"), insert=mask,
                      delete=p.and_(mask, p.compare(pos, ">", 2, name="late"), name="d"))
    model = compile_program(p, 8)
    canvas = (MASK, 3, MASK, MASK, 4)
    assert model.step(canvas) == reference_step(p, canvas, 8)
    out = model.step(canvas)
    assert out.remask == {0} and out.insert == {0, 2, 3} and out.delete == {3}


# residual dimensions added per doubling of n: count / histogram read the bits of L - 1 once
# (one more position bit feature and its copy read at position L - 1); sort
# has 8 per key bit (the bit, its key feature, its value at position 0 and its mismatch
# there; per count_match level the rational 1/|A|, the converted count, the position-0 term
# and the select)
LOG_SLOPE = {"length": 0, "count": 2, "histogram": 2, "reverse": 0, "sort": 8, "dyck1": 0}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_depth_constant_width_logarithmic(name):
    sizes = [4, 8, 16, 32, 64, 128, 256, 512, 1024]
    figs = [explain(compile_program(EXAMPLES[name][0](n), n).spec).figures() for n in sizes]
    assert len({f["depth"] for f in figs}) == 1
    logs = np.log2(sizes)
    for key in ("width", "max_mlp_width"):
        widths = np.array([f[key] for f in figs], dtype=float)
        slope, intercept = np.polyfit(logs, widths, 1)
        # exact linear fit in log2 n (the only n-dependence is the number of bits)
        assert np.allclose(widths, slope * logs + intercept, atol=1e-9), (key, widths)
        if key == "width":
            assert math.isclose(slope, LOG_SLOPE[name], abs_tol=1e-9), slope

"""The exact AHA forward pass: ties, means, the precision guard, spec validation, adapter."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from apmdm.constructions.efasp import Program, compile_program
from apmdm.machines.errors import InvalidArgumentError, PrecisionError, SizeLimitExceeded
from apmdm.machines.process import GenerationProcess, Limits, Model, StopReason
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer import (
    MLP,
    CompiledTransformer,
    Head,
    Layer,
    TokenCodec,
    TokenReadout,
    TransformerSpec,
    forward,
    transformer_next_step,
)

CODEC = TokenCodec(("tok",), ((0, 100),), lambda t: (t,), lambda f: f[0])


def _spec(layers, dims=("tok", "pos", "out"), rational=(False, False, False), readout=2):
    d = len(dims)
    w_tok = np.zeros((1, d))
    w_tok[0, 0] = 1
    w_pos = np.zeros((1, d))
    w_pos[0, 1] = 1
    r = np.zeros((d, 1))
    r[readout, 0] = 1
    return TransformerSpec(tuple(dims), tuple(rational), ("field:tok",), ("pos",), w_tok, w_pos,
                           tuple(layers), TokenReadout("fields", r, np.zeros(1), ("tok",)),
                           max_length=64, field_names=("tok",), name="test").validate()


def _col(d, entries):
    m = np.zeros((d, 1))
    for k, v in entries.items():
        m[k, 0] = v
    return m


def test_aha_averages_over_all_tied_maxima_exactly():
    # score_j = tok_j: attend to all positions holding the max token; mean of pos -> Fraction
    head = Head("h", np.zeros((3, 1)), _col(3, {0: 1}), _col(3, {1: 1}), (2,), mean=True)
    spec = _spec([Layer((head,), None)], rational=(False, False, True), readout=0)
    # query column zero -> all scores 0 -> uniform over all keys
    res = forward(spec, CODEC.encode_canvas((5, 1, 5, 2)))
    assert res.column("out") == [Fraction(3, 2)] * 4


def test_aha_ties_are_exact_and_pick_head_must_be_integer():
    # query = pos_i, key = tok_j: position 0 has query 0, so all its keys tie
    head = Head("h", _col(3, {1: 1}), _col(3, {0: 1}), _col(3, {1: 1}), (2,), mean=False)
    spec = _spec([Layer((head,), None)])
    # position 0 has query 0: every key ties -> average of positions 0..3 = 3/2: not integer
    with pytest.raises(PrecisionError, match="pick head average 6/4 .* position 0"):
        forward(spec, CODEC.encode_canvas((5, 1, 5, 2)))
    # unique maxima everywhere except position 0 with one key -> fine
    res = forward(spec, CODEC.encode_canvas((7,)))
    assert res.column("out") == [0]


def test_causal_head_sees_only_the_prefix():
    head = Head("h", np.zeros((3, 1)), np.zeros((3, 1)), _col(3, {0: 1}), (2,), mean=True,
                causal=True)
    spec = _spec([Layer((head,), None)], rational=(False, False, True), readout=0)
    res = forward(spec, CODEC.encode_canvas((4, 2, 0, 6)))
    assert res.column("out") == [Fraction(4), Fraction(3), Fraction(2), Fraction(3)]


def test_precision_guard_names_layer_and_dimension():
    big = float(2 ** 52)
    w1 = _col(3, {0: big})
    mlp = MLP(w1, np.zeros(1), np.array([[0.0, 0.0, 4.0]]), np.zeros(3))
    spec = _spec([Layer((), mlp)])
    forward(spec, CODEC.encode_canvas((0, 0)))  # value 0: fine
    with pytest.raises(PrecisionError, match="layer 0 mlp"):
        forward(spec, CODEC.encode_canvas((3, 1)))


def test_precision_guard_on_compiled_program_out_of_range():
    p = Program("big", (("tok", 0, 2 ** 40),), lambda t: (t,), lambda f: f[0])
    tok = p.token_field("tok")
    p.output_fields(p.rightmost_match(tok, tok, tok, name="m"))
    model = compile_program(p, 8)
    assert model.step((5, 7)).tokens == (5, 7)
    with pytest.raises(PrecisionError, match="head m"):
        model.step((2 ** 40, 3))


def test_mlp_output_must_be_an_integer():
    # MLP reads a rational mean and copies it: 1/2 is not an integer -> PrecisionError
    head = Head("h", np.zeros((4, 1)), np.zeros((4, 1)), _col(4, {0: 1}), (2,), mean=True)
    dims = ("tok", "pos", "m", "out")
    w1 = np.zeros((4, 1))
    w1[2, 0] = 1
    w2 = np.zeros((1, 4))
    w2[0, 3] = 1
    spec = _spec([Layer((head,), MLP(w1, np.zeros(1), w2, np.zeros(4)))], dims=dims,
                 rational=(False, False, True, False), readout=3)
    assert forward(spec, CODEC.encode_canvas((2, 4))).column("out") == [3, 3]
    with pytest.raises(PrecisionError, match="not an integer"):
        forward(spec, CODEC.encode_canvas((1, 0)))


@pytest.mark.parametrize("breakage", ["attn-reads-rational", "two-rationals", "fraction",
                                      "pick-writes-rational"])
def test_spec_validation_rejects_inexact_structures(breakage):
    dims = ("tok", "pos", "m", "m2", "out")
    rat = (False, False, True, True, False)
    h1 = Head("h1", np.zeros((5, 1)), np.zeros((5, 1)), _col(5, {0: 1}), (2,), mean=True)
    h2 = Head("h2", np.zeros((5, 1)), np.zeros((5, 1)), _col(5, {1: 1}), (3,), mean=True)
    w1 = np.zeros((5, 1))
    w1[2, 0] = 1
    w2 = np.zeros((1, 5))
    w2[0, 4] = 1
    layers = [Layer((h1, h2), None), Layer((), MLP(w1, np.zeros(1), w2, np.zeros(5)))]
    _spec(layers, dims, rat, readout=4)  # the unbroken spec is valid
    if breakage == "attn-reads-rational":  # a key (a query may read one rational dim)
        layers.append(Layer((Head("h3", _col(5, {0: 1}), _col(5, {2: 1}), _col(5, {0: 1}),
                                  (4,)),), None))
    elif breakage == "two-rationals":
        w1[3, 0] = 1
    elif breakage == "fraction":
        w2[0, 4] = 0.5
    else:
        layers.append(Layer((Head("h3", np.zeros((5, 1)), np.zeros((5, 1)), _col(5, {0: 1}),
                                  (3,)),), None))
    with pytest.raises(InvalidArgumentError):
        _spec(layers, dims, rat, readout=4)


def test_size_limit_on_long_canvas():
    p = Program("id", (("tok", 0, 3),), lambda t: (t,), lambda f: f[0])
    p.output_fields(p.token_field("tok"))
    model = compile_program(p, 4)
    with pytest.raises(SizeLimitExceeded):
        model.step((0,) * 5)


def test_adapter_drives_an_mdm_run():
    # fill every mask with the canvas length; decoded tokens are kept
    p = Program("fill", (("tok", 0, 64),), lambda t: (t,), lambda f: f[0])
    tok, mask = p.token_field("tok"), p.is_mask("mask")
    length = p.linear([(p.seq_max(p.position("pos"), name="last"), 1)], 1, name="len")
    p.output_fields(p.select(mask, length, tok, name="y"))
    model = compile_program(p, 16)
    f = transformer_next_step(CompiledTransformer(model.spec, p.codec, "fill"))
    res = GenerationProcess(Model.MDM, f).run((3, MASK, MASK, 9), Limits(max_steps=5))
    assert res.final == (3, 4, 4, 9) and res.stop is StopReason.NO_MASK
    assert f((MASK,) * 3) == f((MASK,) * 3)  # pure: same canvas, same output


def _two_dim_head(q_weights, k_weights):
    w_q, w_k = np.zeros((3, 2)), np.zeros((3, 2))
    for (row, col), v in q_weights.items():
        w_q[row, col] = v
    for (row, col), v in k_weights.items():
        w_k[row, col] = v
    head = Head("h", w_q, w_k, _col(3, {1: 1}), (2,), mean=False)
    return _spec([Layer((head,), None)])


def test_score_guard_pairs_query_and_key_dimensions():
    """The bound is sum_d max|q_d| max|k_d|. Query (2^34 tok, 0), key (tok, 2^34 pos):
    scores 2^34 tok_i tok_j <= 2^46 are exact, though max_i |q_i|_1 * max_j |k_j|_inf is
    about 2^75; the arg-max of a query with tok > 0 is {0, 2} (tok 64), mean position 1."""
    spec = _two_dim_head({(0, 0): 2 ** 34}, {(0, 0): 1, (1, 1): 2 ** 34})
    res = forward(spec, CODEC.encode_canvas((64, 3, 64, 1)))
    assert res.column("out") == [1, 1, 1, 1]
    # ... while the same magnitudes on one shared dimension can reach 2^53: refused
    big = _two_dim_head({(0, 0): 2 ** 34}, {(0, 0): 2 ** 34})
    with pytest.raises(PrecisionError, match="attention scores may reach"):
        forward(big, CODEC.encode_canvas((64, 3, 64, 1)))

"""Attention whose query reads one rational dimension: exact arg-max sets (ties included)
against a brute-force Fraction computation, the precision guard on the scaled query, the
spec rules (one rational per query, none in keys or values), and the softmax bound."""

from __future__ import annotations

import random
from fractions import Fraction

import numpy as np
import pytest

from apmdm.constructions.efasp import compile_program
from apmdm.constructions.efasp.programs import EXAMPLES, random_canvas
from apmdm.machines.errors import InvalidArgumentError, PrecisionError
from apmdm.machines.transformer import (
    Head,
    Layer,
    TokenCodec,
    TokenReadout,
    TransformerSpec,
    forward,
    softmax_beta_bound,
)
from apmdm.machines.transformer.softmax import score_gap

CODEC = TokenCodec(("tok",), ((0, 100),), lambda t: (t,), lambda f: f[0])
DIMS = ("one", "pos", "pos_sq", "tok", "m", "m2", "out")
D = len(DIMS)
RAT = (False, False, False, False, True, True, True)


def _w(cols: list[dict[str, float]]) -> np.ndarray:
    m = np.zeros((D, len(cols)))
    for c, entries in enumerate(cols):
        for name, v in entries.items():
            m[DIMS.index(name), c] = v
    return m


def _spec(second: Head) -> TransformerSpec:
    """Layer 0: ``m = mean(tok)``, ``m2 = mean(pos)`` (rational); layer 1: ``second``."""
    w_tok = _w([{"tok": 1}]).T
    w_pos = _w([{"one": 1}, {"pos": 1}, {"pos_sq": 1}]).T
    zero = np.zeros((D, 1))
    mean_tok = Head("m", zero, zero, _w([{"tok": 1}]), (DIMS.index("m"),), mean=True)
    mean_pos = Head("m2", zero, zero, _w([{"pos": 1}]), (DIMS.index("m2"),), mean=True)
    readout = TokenReadout("fields", _w([{"tok": 1}]), np.zeros(1), ("tok",))
    return TransformerSpec(DIMS, RAT, ("field:tok",), ("one", "pos", "pos_sq"), w_tok, w_pos,
                           (Layer((mean_tok, mean_pos), None), Layer((second,), None)),
                           readout, max_length=64, field_names=("tok",), name="rq").validate()


def _vertex_head(int_weight: float = 1.0) -> Head:
    # score_ij = -m_i j^2 + 2 c j  (c = int_weight): a concave parabola in j, vertex c/m_i
    return Head("vertex", _w([{"m": 1}, {"one": int_weight}]), _w([{"pos_sq": -1}, {"pos": 2}]),
                _w([{"pos": 1}]), (DIMS.index("out"),), mean=True)


def _brute(canvas: tuple) -> list[Fraction]:
    n = len(canvas)
    m = Fraction(sum(canvas), n)
    scores = [-m * j * j + 2 * j for j in range(n)]
    top = max(scores)
    arg = [j for j in range(n) if scores[j] == top]
    return [Fraction(sum(arg), len(arg))] * n


def test_rational_query_matches_fraction_arithmetic_including_ties():
    spec = _spec(_vertex_head())
    # mean 2/13: j = 6 and j = 7 tie at 84/13; in float64 with m = 2/13 rounded, the two
    # scores differ in the last bit (6.461538461538462 vs 6.461538461538461)
    tie = (2,) + (0,) * 12
    m = 2 / 13
    assert -m * 36 + 12 != -m * 49 + 14
    assert _brute(tie) == [Fraction(13, 2)] * 13
    canvases = [tie, (0, 1, 1), (0, 0, 0, 0), (1, 1), (7,), (0, 2, 0, 0, 0, 0)]
    rng = random.Random(3)
    canvases += [tuple(rng.randint(0, rng.choice((1, 3, 100))) for _ in range(rng.randint(1, 64)))
                 for _ in range(200)]
    for canvas in canvases:
        assert forward(spec, CODEC.encode_canvas(canvas)).column("out") == _brute(canvas), canvas


def test_scaled_query_is_guarded():
    spec = _spec(_vertex_head(float(2 ** 50)))
    forward(spec, CODEC.encode_canvas((3,)))  # den 1: 2^50 fits
    with pytest.raises(PrecisionError, match="scaled by the denominator of 'm'"):
        forward(spec, CODEC.encode_canvas((3,) * 8))  # den 8: 8 * 2^50 = 2^53


@pytest.mark.parametrize("breakage", ["two-in-query", "in-key", "in-value"])
def test_spec_allows_one_rational_per_query_only(breakage):
    q, k, v = _w([{"m": 1}, {"one": 1}]), _w([{"pos_sq": -1}, {"pos": 2}]), _w([{"pos": 1}])
    if breakage == "two-in-query":
        q = _w([{"m": 1}, {"one": 1, "m2": 1}])
    elif breakage == "in-key":
        k = _w([{"pos_sq": -1}, {"pos": 2, "m2": 1}])
    else:
        v = _w([{"pos": 1, "m2": 1}])
    with pytest.raises(InvalidArgumentError, match="rational"):
        _spec(Head("bad", q, k, v, (DIMS.index("out"),), mean=True))


def test_softmax_bound_uses_the_rational_gap_and_agrees():
    n = 8
    model = compile_program(EXAMPLES["sort"][0](n), n)
    spec = model.spec
    gaps = [score_gap(spec, h, n) for ly in spec.layers for h in ly.heads]
    rational_query = [h.name for ly in spec.layers for h in ly.heads
                      if any(spec.rational[t] and h.w_q[t].any() for t in range(spec.width))]
    assert rational_query and all(name.endswith(".rest") for name in rational_query)
    assert sorted(set(gaps)) == [1 / n, 1.0]
    bound = softmax_beta_bound(spec, model.transformer.codec.bounds)
    assert bound.max_score_error < 0.5 and bound.max_readout_error < 0.5
    rng = random.Random(2)
    for _ in range(30):
        canvas = random_canvas("sort", rng.randint(1, n), n, rng)
        soft = model.next_step("softmax", bound.beta)(canvas)
        assert soft == model.next_step()(canvas), canvas

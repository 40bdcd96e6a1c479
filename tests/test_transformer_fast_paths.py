"""The exact forward pass's fast paths against the plain dense evaluation.

The pass computes an arg-max set once per distinct query row, takes a gather for a unique
maximum and a 0/1 product ``A [V | 1]`` only for tied rows, blocks the scores, and multiplies
only the nonzero rows / columns of the MLP weights. Each must give exactly what the dense
evaluation gives (``A`` the full 0/1 arg-max matrix, ``S = A V``, ``c = A 1``), including
the pick head's divisibility error naming the first offending position.
"""

from __future__ import annotations

import importlib
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.constructions.efasp import compile_program
from apmdm.constructions.efasp.programs import EXAMPLES, random_canvas
from apmdm.machines.errors import PrecisionError
from apmdm.machines.transformer import Head, forward

fw = importlib.import_module("apmdm.machines.transformer.forward")


def dense_sums(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool):
    s = q @ k.T
    if causal:
        s[np.triu_indices(len(q), 1)] = -np.inf
    a = (s == s.max(axis=1, keepdims=True)).astype(np.float64)
    return a @ v, a.sum(axis=1)


def int_matrix(draw, rows: int, cols: int, lo: int, hi: int) -> np.ndarray:
    flat = draw(st.lists(st.integers(lo, hi), min_size=rows * cols, max_size=rows * cols))
    return np.array(flat, dtype=np.float64).reshape(rows, cols)


@st.composite
def head_inputs(draw):
    n = draw(st.integers(1, 70))
    kd = draw(st.integers(0, 3))
    vd = draw(st.integers(1, 3))
    # few query patterns (shared rows), small key range (ties), or a position key (unique)
    patterns = int_matrix(draw, draw(st.integers(1, 4)), kd, -2, 2)
    q = patterns[draw(st.lists(st.integers(0, len(patterns) - 1), min_size=n, max_size=n))]
    k = int_matrix(draw, n, kd, -2, 2)
    if kd and draw(st.booleans()):
        k[:, 0] = np.arange(n) * draw(st.sampled_from([1, -1]))
    v = int_matrix(draw, n, vd, -3, 3)
    return q.reshape(n, kd), k, v, draw(st.booleans()), draw(st.booleans())


@settings(max_examples=300, deadline=None)
@given(head_inputs(), st.sampled_from([None, 8 * 16, 8 * 16 * 64]))
def test_aha_head_equals_dense(case, block_bytes):
    q, k, v, causal, mean = case
    old = fw.SCORE_BLOCK_BYTES
    try:
        if block_bytes is not None:   # force several blocks (at least 16 rows each)
            fw.SCORE_BLOCK_BYTES = block_bytes
        head = Head("h", np.zeros((1, q.shape[1])), np.zeros((1, q.shape[1])),
                    np.zeros((1, v.shape[1])), tuple(range(v.shape[1])), mean=mean)
        spec = type("S", (), {"dim_names": tuple(f"d{t}" for t in range(v.shape[1]))})()
        total, count = dense_sums(q, k, v, causal)
        tally = {"attention": 0.0}
        if mean:
            got_s, got_c = fw._aha_head(spec, "h", head, q, k, v, causal, tally)
            assert np.array_equal(got_s, total) and np.array_equal(got_c, count)
            return
        bad = np.remainder(total, count[:, None]) != 0
        if bad.any():
            i, t = map(int, np.argwhere(bad)[0])
            msg = (f"average {int(total[i, t])}/{int(count[i])} is not an integer at "
                   f"position {i}, dimension 'd{t}'")
            with pytest.raises(PrecisionError, match=msg):
                fw._aha_head(spec, "h", head, q, k, v, causal, tally)
            return
        got, none = fw._aha_head(spec, "h", head, q, k, v, causal, tally)
        assert none is None and np.array_equal(got, total / count[:, None])
    finally:
        fw.SCORE_BLOCK_BYTES = old


def test_distinct_rows_inverts():
    rng = np.random.default_rng(3)
    for n, kd in ((1, 2), (5, 0), (50, 1), (50, 3)):
        q = rng.integers(-1, 2, (n, kd)).astype(np.float64)
        rows, inv = fw._distinct_rows(q)
        back = q if inv is None else rows[inv]
        assert np.array_equal(back, q)
        assert len({tuple(r) for r in rows}) == len(rows)


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_flops_count_what_was_multiplied(name):
    """The tally counts the products performed: never more than the dense evaluation."""
    n = 64
    model = compile_program(EXAMPLES[name][0](n), n)
    fields = model.transformer.codec.encode_canvas(random_canvas(name, n, n, random.Random(1)))
    res = forward(model.spec, fields)
    d = model.spec.width
    dense_attn = sum(2 * n * d * (2 * h.w_q.shape[1] + h.w_v.shape[1])
                     + 2 * n * n * (h.w_q.shape[1] + h.w_v.shape[1] + 1)
                     for layer in model.spec.layers for h in layer.heads)
    dense_mlp = sum(4.0 * n * d * layer.mlp.width for layer in model.spec.layers
                    if layer.mlp is not None)
    assert 0 < res.flops["attention"] <= dense_attn
    assert 0 <= res.flops["mlp"] <= dense_mlp
    soft = forward(model.spec, fields, "softmax", 50.0)
    assert soft.flops["mlp"] == dense_mlp   # softmax mode multiplies densely

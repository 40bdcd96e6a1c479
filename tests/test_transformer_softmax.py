"""Softmax attention at the certified beta reproduces the AHA decisions; far below, not."""

from __future__ import annotations

import random

import pytest

from apmdm.constructions.efasp import compile_program
from apmdm.constructions.efasp.programs import EXAMPLES, random_canvas
from apmdm.machines.transformer import softmax_beta_bound

N = 16


def _decisions(model, canvas, mode, beta=None):
    out = model.next_step(mode, beta)(canvas)
    return tuple(out.tokens), out.remask, out.insert, out.delete


@pytest.mark.parametrize("name", ["reverse", "histogram", "dyck1", "count"])
def test_certified_beta_agrees_and_small_beta_disagrees(name):
    model = compile_program(EXAMPLES[name][0](N), N)
    bound = softmax_beta_bound(model.spec, model.transformer.codec.bounds)
    assert bound.max_score_error < 0.5 and bound.max_readout_error < 0.5
    rng = random.Random(1)
    canvases = [random_canvas(name, rng.randint(1, N), N, rng) for _ in range(25)]
    if name == "dyck1":  # a word with one bad prefix: a blurred seq_min misses it
        canvases.append(tuple("(()))(()"))
    for c in canvases:
        assert _decisions(model, c, "softmax", bound.beta) == _decisions(model, c, "aha"), c
    low = bound.beta / 50
    assert any(_decisions(model, c, "softmax", low) != _decisions(model, c, "aha")
               for c in canvases), f"no disagreement at beta={low} (certified {bound.beta})"


def test_bound_grows_with_length():
    build = EXAMPLES["reverse"][0]
    small = compile_program(build(8), 8)
    big = compile_program(build(64), 64)
    b_small = softmax_beta_bound(small.spec, small.transformer.codec.bounds).beta
    b_big = softmax_beta_bound(big.spec, big.transformer.codec.bounds).beta
    assert b_big > b_small

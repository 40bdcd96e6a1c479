"""Slow sweep: every example program exact at lengths up to 1024 (run with -m slow)."""

from __future__ import annotations

import random

import pytest

from apmdm.constructions.efasp import compile_program
from apmdm.constructions.efasp.programs import EXAMPLES, random_canvas

SIZES = [4, 16, 64, 256, 1024]


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXAMPLES))
@pytest.mark.parametrize("n", SIZES)
def test_example_exact_up_to_1024(name, n):
    build, task = EXAMPLES[name]
    model = compile_program(build(n), n)
    f = model.next_step()
    rng = random.Random(n)
    for length in sorted({1, n // 3 or 1, n}):
        canvas = random_canvas(name, length, n, rng)
        assert list(f(canvas).tokens) == task(canvas)

"""The vectorised PRAM engine against the scalar reference loop (differential tests).

Every comparison is on the whole outcome: output, memory and counters of a run, or the type and
message of the error it raises (the message names step, processor, instruction and address).
"""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apmdm.checks.strategies import RANDOM_LIMITS, pram_inputs, pram_programs
from apmdm.machines.errors import ApmdmError
from apmdm.machines.pram import PRAM, PRAMLimits, ProgramBuilder, Variant, vector
from apmdm.machines.pram.library import LIBRARY
from apmdm.machines.pram.vector import int64_safe, run_vectorised
from tests import pram_test_programs

ALL = list(Variant)
SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(run):
    try:
        return run()
    except ApmdmError as exc:
        return type(exc).__name__, str(exc)


# group storage: the default, every partial group as a mask, every one as sorted ids
DENSE_SETTINGS = (vector.DENSE_FROM, 0.0, 2.0)


def both(program, inputs, variant, limits=RANDOM_LIMITS, force=True, processors=None):
    """(vectorised outcome, scalar outcome); the vectorised one under every group storage,
    which must all agree."""
    machine = PRAM(program, variant, limits)
    fast = []
    saved = vector.DENSE_FROM
    try:
        for setting in DENSE_SETTINGS:
            vector.DENSE_FROM = setting
            fast.append(outcome(lambda: run_vectorised(machine, inputs, processors, force)))
    finally:
        vector.DENSE_FROM = saved
    slow = outcome(lambda: machine.run_scalar(inputs, processors))
    return (fast[0] if fast.count(fast[0]) == len(fast) else fast), slow


limits_strategy = st.sampled_from([
    RANDOM_LIMITS,
    PRAMLimits(max_steps=2_000, max_abs_value=40),      # value errors
    PRAMLimits(max_steps=2_000, max_address=9),         # address errors
    PRAMLimits(max_steps=25, max_work=60),              # step and work limits
])


@st.composite
def cases(draw, max_processors: int = 4):
    program = draw(pram_programs(10, max_processors))
    inputs = draw(pram_inputs(draw(st.integers(0, 6))))
    return program, inputs, draw(st.sampled_from(ALL)), draw(limits_strategy)


def check(case):
    program, inputs, variant, limits = case
    fast, slow = both(program, inputs, variant, limits)
    assert fast == slow


@settings(max_examples=120, **SETTINGS)
@given(cases())
def test_random_programs_match_the_scalar_loop(case):
    check(case)


@settings(max_examples=20, **SETTINGS)
@given(cases(max_processors=40))
def test_random_programs_with_many_processors_match(case):
    """More processors than VECTOR_FROM, without forcing: groups, hand-over below SCALAR_BELOW."""
    program, inputs, variant, limits = case
    assert both(program, inputs, variant, limits, force=False)[0] == both(
        program, inputs, variant, limits)[1]


@pytest.mark.slow
@settings(max_examples=1_000, **SETTINGS)
@given(cases(max_processors=24))
def test_random_programs_match_the_scalar_loop_slow(case):
    check(case)


@pytest.mark.parametrize("variant", ALL)
@pytest.mark.parametrize("make", [pram_test_programs.prefix_sums,
                                  pram_test_programs.concurrent_writes,
                                  pram_test_programs.read_after_write])
def test_hand_written_programs(make, variant):
    for inputs in ((), (3,), (1, -2, 3, 4, 5), tuple(range(-8, 9))):
        fast, slow = both(make(), inputs, variant)
        assert fast == slow


def _library_cases(limit: int):
    rng = random.Random(14)
    for name in sorted(LIBRARY):
        lib = LIBRARY[name]
        cap = min(limit, 16) if name.startswith("matmul") else limit
        sizes = [s for s in lib.sizes if s <= cap]
        for size in sizes if limit > 17 else sizes[:1] + sizes[-2:]:
            yield name, lib.make_input(size, rng)


@pytest.mark.parametrize("name,inputs", list(_library_cases(9)))
def test_library_programs_match(name, inputs):
    lib = LIBRARY[name]
    for variant in ALL:
        fast, slow = both(lib.program, inputs, variant, PRAMLimits(), force=True)
        assert fast == slow, (name, variant)


@pytest.mark.slow
@pytest.mark.parametrize("name,inputs", list(_library_cases(256)))
def test_library_programs_match_slow(name, inputs):
    lib = LIBRARY[name]
    for variant in ALL:
        fast, slow = both(lib.program, inputs, variant, PRAMLimits(), force=False)
        assert fast == slow, (name, variant)


def test_limits_beyond_int64_run_on_the_scalar_loop():
    big = PRAMLimits(max_abs_value=2**90)
    assert not int64_safe(big) and int64_safe(PRAMLimits())
    b = ProgramBuilder("square", processors=32, output=(0, 1), registers=2)
    b.const(0, 2**40).mul(0, 0, 0).const(1, 0).store(1, 0, 0)
    fast, slow = both(b.build(), (), Variant.CRCW_PRIORITY, big)
    assert fast == slow and fast.output == (2**80,)


def test_shift_past_the_value_limit_raises_like_the_scalar_loop():
    b = ProgramBuilder("shl", processors=20, output=(0, 1), registers=3)
    b.pid(0).const(1, 40).shl(2, 0, 1)
    fast, slow = both(b.build(), (), Variant.CRCW_PRIORITY, PRAMLimits())
    assert fast == slow and fast[0] == "SizeLimitExceeded" and "processor 1," in fast[1]


def test_a_broken_write_rule_is_caught(monkeypatch):
    """Priority resolved as lowest-id-wins: the comparison must see the difference."""
    prog = pram_test_programs.concurrent_writes()
    assert both(prog, (), Variant.CRCW_PRIORITY)[0] == both(prog, (), Variant.CRCW_PRIORITY)[1]
    original = vector._Engine._resolve

    def lowest_wins(self, writes):
        saved = self.pram
        self.pram = PRAM(saved.program, Variant.CRCW_ARBITRARY, saved.limits)
        try:
            return original(self, writes)
        finally:
            self.pram = saved

    monkeypatch.setattr(vector._Engine, "_resolve", lowest_wins)
    fast, slow = both(prog, (), Variant.CRCW_PRIORITY)
    assert fast != slow

"""Turing machine -> ARM (context = time) and -> AP-MDM (tape in place, context = space)."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.theorem4 import TM_APMDM_NAME, TM_ARM_NAME, tm_row
from apmdm.constructions.tm.apmdm import LEFT, RIGHT, TMToAPMDM, compile_tm_apmdm
from apmdm.constructions.tm.arm import TMToARM, compile_tm_arm
from apmdm.machines.process import StepOutput
from apmdm.machines.resources import Resources
from apmdm.machines.tm_library import LIBRARY, get_machine
from apmdm.theory import theorem4 as th

MACHINES = sorted(LIBRARY)


def run_both(machine, word):
    ref = machine.run(word)
    n = len(word)
    arm = compile_tm_arm(machine, n)
    a = arm.process().run(arm.initial_canvas(word), arm.limits(Resources.of_tm(ref)))
    ap = compile_tm_apmdm(machine, n)
    b = ap.process().run(ap.initial_canvas(word), ap.limits(Resources.of_tm(ref)))
    return ref, (arm, a), (ap, b)


@pytest.mark.parametrize("name", MACHINES)
def test_all_short_words(name):
    m = get_machine(name)
    for n in range(0, 7):
        for w in itertools.product(sorted(m.input_symbols), repeat=n):
            ref, (arm, a), (ap, b) = run_both(m, w)
            assert arm.decode(a.final) == (ref.state, ref.output) == ap.decode(b.final)
            assert a.counters.steps == th.tm_arm_steps_bound(ref.steps)
            assert a.counters.max_context == th.tm_arm_context_bound(n, ref.steps)
            assert b.counters.steps <= th.tm_apmdm_steps_bound(ref.steps)
            assert b.counters.max_context <= th.tm_apmdm_context_bound(n, ref.space)


@settings(max_examples=40, deadline=None)
@given(st.sampled_from(MACHINES), st.integers(7, 20), st.randoms(use_true_random=False))
def test_random_longer_words(name, n, rnd):
    m = get_machine(name)
    w = tuple(rnd.choice(sorted(m.input_symbols)) for _ in range(n))
    ref, (arm, a), (ap, b) = run_both(m, w)
    assert arm.decode(a.final) == (ref.state, ref.output) == ap.decode(b.final)
    assert b.counters.max_context <= th.tm_apmdm_context_bound(n, ref.space)


def test_arm_context_grows_with_time_apmdm_with_space():
    m = get_machine("zeros-then-ones")
    w = tuple("0" * 12 + "1" * 12)
    ref, (_, a), (_, b) = run_both(m, w)
    assert ref.steps > 10 * ref.space                 # quadratic time, linear space
    assert a.counters.max_context == 24 + ref.steps + 2
    assert b.counters.max_context <= 24 + ref.space + 4 < a.counters.max_context / 5


def test_tape_grows_by_insertion_at_both_ends():
    m = get_machine("binary-increment")
    ap = compile_tm_apmdm(m, 3)
    res = ap.process().run(ap.initial_canvas(tuple("111")), ap.limits(Resources(50, 50)))
    assert res.final[0] == LEFT and res.final[-1] == RIGHT
    assert ap.decode(res.final) == ("done", tuple("1000"))
    assert res.counters.inserts > res.counters.deletes - 2


def test_f_reads_only_the_canvas_shuffled_replay():
    ap = compile_tm_apmdm(get_machine("palindromes"), 4)
    word = tuple("0110")
    recs = list(ap.process().run_stepwise(ap.initial_canvas(word), ap.limits(Resources(100, 10))))
    order = list(range(len(recs)))
    random.Random(5).shuffle(order)
    for k in order:
        assert compile_tm_apmdm(get_machine("palindromes"), 4).next_step(recs[k].before) \
            == recs[k].output


def test_checker_fails_on_wrong_tm_construction():
    class WrongWrite(TMToAPMDM):
        def _fill(self, canvas, h, rule):
            out = super()._fill(canvas, h, rule)
            toks = {i: (t if isinstance(t, tuple) or t == LEFT else "1") for i, t in
                    out.tokens.items()}
            return StepOutput(toks, out.remask)

    good = tm_row(TM_APMDM_NAME, "binary-increment", tuple("0101"))
    bad = tm_row(TM_APMDM_NAME, "binary-increment", tuple("0101"),
                 compiler=lambda m, n: WrongWrite(m, n))
    assert good.ok and not bad.ok and not bad.outputs_equal
    assert tm_row(TM_ARM_NAME, "palindromes", tuple("0110")).ok


def test_arm_checker_fails_on_wrong_tm_construction():
    class ReadsBlankARM(TMToARM):
        """Broken: a cell written by an earlier record reads as blank (the log is ignored)."""

        def _symbol(self, canvas, records, cell):
            return canvas[cell] if 0 <= cell < self.n else self.machine.blank

    bad = tm_row(TM_ARM_NAME, "palindromes", tuple("0110"),
                 compiler=lambda m, n: ReadsBlankARM(m, n))
    assert not bad.ok and not bad.outputs_equal

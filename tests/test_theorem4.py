"""Theorem 4: PRAM -> AP-MDM compiler (memory in place) and its checker."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings

from apmdm.checks.pram_cases import PramCase, library_programs
from apmdm.checks.strategies import pram_instances
from apmdm.checks.suite import CheckOptions
from apmdm.checks.theorem4 import check_apmdm, run_apmdm_suite
from apmdm.constructions.pram.apmdm import PramToAPMDM, compile_apmdm
from apmdm.constructions.pram.slot import T_
from apmdm.machines.errors import ConstructionError
from apmdm.machines.pram import PRAM, Variant
from apmdm.machines.process import StepOutput, StopReason
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import MASK
from apmdm.theory import theorem4 as th
from tests.pram_test_programs import concurrent_writes, prefix_sums, read_after_write

X = (3, 1, 4, 1, 5, 9, 2, 6)


def run(program, inputs, memory, variant=Variant.CRCW_PRIORITY, time_bound=200):
    con = compile_apmdm(program, len(inputs), memory, variant)
    res = con.process().run(con.initial_canvas(inputs), con.limits(Resources(time_bound, 0)))
    return con, res


def test_costs_on_prefix_sums_context_independent_of_time():
    prog = prefix_sums()
    ref = PRAM(prog).run(X)
    con, res = run(prog, X, 8)
    assert con.decode(res.final) == ref.output
    assert res.stop is StopReason.FIXED_POINT
    assert res.counters.max_context == 8 + 2 * 8 == th.apmdm_context_bound(8, 8)
    assert res.counters.steps <= th.apmdm_steps_bound(ref.counters.time)


def test_each_pram_step_is_advance_then_commit():
    prog = read_after_write()
    con = compile_apmdm(prog, 1, 2)
    recs = list(con.process().run_stepwise(con.initial_canvas((5,)), con.limits(Resources(10, 0))))
    # steps: const, load, addi, store(+commit), load, store(+commit), halt, fixed point
    assert len(recs) == 7 + 2 + 1
    store = recs[3]
    assert store.events.remasked and 0 in store.events.remasked       # cell 0 remasked
    assert recs[4].events.unmasked == (0,) and recs[4].after[0] == 6  # then filled
    assert recs[-1].before == recs[-1].after


def test_concurrent_write_winners():
    prog = concurrent_writes()
    for variant, winner in ((Variant.CRCW_PRIORITY, 4), (Variant.CRCW_ARBITRARY, 1)):
        con, res = run(prog, (), 5, variant)
        assert con.decode(res.final) == PRAM(prog, variant).run(()).output == (winner,) * 5


def test_memory_bound_too_small_is_an_error():
    with pytest.raises(ConstructionError, match="memory bound"):
        run(read_after_write(), (5,), 1)


def test_f_reads_only_the_canvas_shuffled_replay():
    con = compile_apmdm(prefix_sums(), 8, 8)
    records = list(con.process().run_stepwise(con.initial_canvas(X), con.limits(Resources(100, 0))))
    order = list(range(len(records)))
    random.Random(3).shuffle(order)
    fresh = compile_apmdm(prefix_sums(), 8, 8)
    for k in order:
        assert fresh.next_step(records[k].before) == records[k].output


def _check_instance(inst):
    x = inst.inputs
    S = max(inst.memory_span, len(x), 1)
    con, res = run(inst.program, x, S, inst.variant, inst.time)
    assert con.decode(res.final) == inst.result.output
    assert res.counters.steps <= th.apmdm_steps_bound(inst.time)
    assert res.counters.max_context <= th.apmdm_context_bound(S, con.processors)


@settings(max_examples=100, deadline=None)
@given(pram_instances())
def test_random_programs_agree(inst):
    _check_instance(inst)


@pytest.mark.slow
@settings(max_examples=600, deadline=None)
@given(pram_instances(max_items=14))
def test_random_programs_agree_many(inst):
    _check_instance(inst)


LIBRARY = library_programs()
LIB_CASES = [(name, n) for name, lib in sorted(LIBRARY.items())
             for n in (4, 8, 16, 32, 64) if n in lib.sizes]


def _lib_case(name, n):
    lib = LIBRARY[name]
    b = lib.bounds.at(n)
    inputs = tuple(lib.make_input(n, random.Random(n)))
    return PramCase(name, lib.program, inputs, lib.variant, n, b.time, max(b.memory, 1))


def _cheap(name, n):
    b = LIBRARY[name].bounds.at(n)
    return (b.memory + 2 * b.processors) * b.time <= 150_000


@pytest.mark.parametrize("name,n", [c for c in LIB_CASES if _cheap(*c)])
def test_library_programs_agree(name, n):
    row = check_apmdm([_lib_case(name, n)])[0]
    assert row.ok, row.detail


@pytest.mark.slow
@pytest.mark.parametrize("name,n", [c for c in LIB_CASES if not _cheap(*c)])
def test_library_programs_agree_large(name, n):
    row = check_apmdm([_lib_case(name, n)])[0]
    assert row.ok, row.detail


# --- the checker fails on broken constructions ---------------------------------------------------


class ThreeStepsPerPramStep(PramToAPMDM):
    """Broken schedule: advance fills the new slots but retires the old ones (and remasks the
    written cells) in a separate step: three AP-MDM steps per writing PRAM step."""

    def next_step(self, canvas):
        self._check_shape(canvas)
        base = self.memory_size
        doubles = [p for p in range(self.processors)
                   if canvas[base + 2 * p] is not MASK and canvas[base + 2 * p + 1] is not MASK]
        if doubles:
            remask = {i for i in range(base, len(canvas)) if canvas[i] is MASK}
            for p in doubles:
                a, b = canvas[base + 2 * p], canvas[base + 2 * p + 1]
                old, new = (base + 2 * p, b) if a[T_] < b[T_] else (base + 2 * p + 1, a)
                remask.add(old)
                if new[4] != -1:
                    remask.add(new[4])
            return StepOutput({}, frozenset(remask))
        if any(canvas[a] is MASK for a in range(base)):
            return self._commit(canvas, [a for a in range(base) if canvas[a] is MASK])
        out = self._advance(canvas)
        keep = frozenset(i for i in out.remask if canvas[i] is MASK)
        return StepOutput(out.tokens, keep)


class LowestIdWins(PramToAPMDM):
    """Broken: concurrent writes resolved in favour of the lowest processor id."""

    def _winner(self, writers):
        return min(writers, key=lambda s: s[1])


def case(program, inputs, variant=Variant.CRCW_PRIORITY):
    return PramCase(program.name, program, tuple(inputs), variant, len(inputs))


CASES = [case(read_after_write(), (5,)), case(prefix_sums(), X), case(concurrent_writes(), ())]


def test_checker_passes_the_real_construction():
    assert all(r.ok for r in check_apmdm(CASES))


def test_checker_fails_on_one_step_too_many_per_pram_step():
    rows = check_apmdm(CASES, lambda p, n, s, v: ThreeStepsPerPramStep(p, n, s, v))
    assert all(r.outputs_equal for r in rows)
    assert not any(r.ok for r in rows)
    assert all(r.measured["steps"] > r.bound["steps"] for r in rows)


def test_checker_fails_on_wrong_write_winner():
    rows = check_apmdm(CASES, lambda p, n, s, v: LowestIdWins(p, n, s, v))
    assert not rows[2].ok and not rows[2].outputs_equal


def test_suite_runs_quick_and_holds():
    rows = run_apmdm_suite(CheckOptions(seed=2, quick=True))
    assert rows and all(r.ok for r in rows)

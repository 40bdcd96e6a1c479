"""Theorem 1: PRAM -> MDM compiler, its checker, and the chain-of-thought ARM contrast."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings

from apmdm.checks.pram_cases import PramCase, library_programs
from apmdm.checks.strategies import pram_instances
from apmdm.checks.suite import CheckOptions
from apmdm.checks.theorem1 import check_arm, check_mdm, run_mdm_suite
from apmdm.constructions.pram.arm import PramToARM, compile_arm
from apmdm.constructions.pram.mdm import PramToMDM, compile_mdm
from apmdm.constructions.pram.slot import HALTED, NO_WRITE, WADDR, WVAL, write_rank
from apmdm.machines.errors import ConstructionError, RestrictionViolation
from apmdm.machines.pram import PRAM, Variant
from apmdm.machines.process import GenerationProcess, Model, StepOutput
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import MASK
from apmdm.theory import theorem1 as th
from tests.pram_test_programs import concurrent_writes, prefix_sums, read_after_write

X = (3, 1, 4, 1, 5, 9, 2, 6)


def run_mdm(program, inputs, time_bound, variant=Variant.CRCW_PRIORITY):
    con = compile_mdm(program, len(inputs), time_bound, variant)
    res = con.process().run(con.initial_canvas(inputs), con.limits())
    return con, res


def case(program, inputs, variant=Variant.CRCW_PRIORITY, time_bound=None):
    return PramCase(program.name, program, tuple(inputs), variant, len(inputs), time_bound)


# --- the construction ------------------------------------------------------------------------


def test_layout_and_costs_on_prefix_sums():
    prog = prefix_sums()
    ref = PRAM(prog).run(X)
    T, P = ref.counters.time, ref.counters.processors
    m = len(ref.output)
    con, res = run_mdm(prog, X, T + 5)
    assert con.initial_canvas(X)[:8] == X
    assert con.initial_canvas(X)[8:] == (MASK,) * (P * (T + 5) + m)
    assert con.decode(res.final) == ref.output == res.final[-m:]        # the output block
    assert res.counters.steps == T + 1 == th.mdm_steps_bound(T)         # loose bound: T + 1
    assert res.counters.max_context == 8 + P * (T + 5) + m == th.mdm_context_bound(8, P, T + 5,
                                                                                     m)
    tight, res2 = run_mdm(prog, X, T)                                  # tight: T + 1 as well
    assert res2.counters.steps == T + 1 and tight.decode(res2.final) == ref.output


def test_block_t_is_filled_at_step_t_then_the_output_block():
    prog = prefix_sums()
    ref = PRAM(prog).run(X)
    T = ref.counters.time
    con = compile_mdm(prog, 8, T)
    records = list(con.process().run_stepwise(con.initial_canvas(X), con.limits()))
    assert len(records) == T + 1
    for rec in records[:T]:
        start = 8 + (rec.step - 1) * 8
        assert rec.events.unmasked == tuple(range(start, start + 8))
        assert all(s[0] == rec.step for s in rec.after[start:start + 8])
    out = records[-1]                                  # step T + 1: the copy-out
    assert out.events.unmasked == tuple(range(con.output_start, con.context))
    assert out.after[con.output_start:] == ref.output


def test_priority_and_arbitrary_concurrent_writes():
    prog = concurrent_writes()
    for variant, winner in ((Variant.CRCW_PRIORITY, 4), (Variant.CRCW_ARBITRARY, 1)):
        ref = PRAM(prog, variant).run(())
        con, res = run_mdm(prog, (), ref.counters.time, variant)
        assert con.decode(res.final) == ref.output == (winner,) * 5


def test_time_bound_too_small_is_reported():
    prog = prefix_sums()
    T = PRAM(prog).run(X).counters.time
    con, res = run_mdm(prog, X, T - 1)
    with pytest.raises(ConstructionError, match="time bound"):
        con.decode(res.final)


def test_halted_copies_carry_no_write():
    prog = prefix_sums()
    T = PRAM(prog).run(X).counters.time
    con, res = run_mdm(prog, X, T + 3)
    last_blocks = res.final[8 + 8 * T:con.output_start]
    assert len(last_blocks) == 8 * 3
    assert all(s[HALTED] == 1 and s[WADDR] == NO_WRITE for s in last_blocks)


def test_runs_under_mdm_restriction():
    con = compile_mdm(prefix_sums(), 8, 50)
    assert con.process().model is Model.MDM

    def cheating(canvas):  # an f that rewrites a decoded token is refused by the MDM loop
        out = con.next_step(canvas)
        return type(out)(out.tokens, out.remask | {0})
    with pytest.raises(RestrictionViolation):
        GenerationProcess(Model.MDM, cheating).run(con.initial_canvas(X), con.limits())


def test_f_reads_only_the_canvas_shuffled_replay():
    """f is a pure function of (compiled program, canvas): replaying it on the recorded
    canvases in a shuffled order gives exactly the outputs of the run, in any order."""
    prog = prefix_sums()
    con = compile_mdm(prog, 8, 50)
    records = list(con.process().run_stepwise(con.initial_canvas(X), con.limits()))
    order = list(range(len(records)))
    random.Random(7).shuffle(order)
    fresh = compile_mdm(prog, 8, 50)
    for k in order:
        assert fresh.next_step(records[k].before) == records[k].output
        assert con.next_step(records[k].before) == records[k].output


# --- agreement with the interpreter ------------------------------------------------------------


def _check_instance(inst):
    x, T = inst.inputs, inst.time
    con, res = run_mdm(inst.program, x, T + 1, inst.variant)
    assert con.decode(res.final) == inst.result.output
    assert res.counters.steps <= th.mdm_steps_bound(T)
    assert res.counters.max_context <= th.mdm_context_bound(len(x), con.processors, T + 1,
                                                            con.output_length)
    arm = compile_arm(inst.program, len(x), inst.variant)
    res = arm.process().run(arm.initial_canvas(x), arm.limits(Resources(T, 0)))
    assert arm.decode(res.final) == inst.result.output
    L = inst.program.output_region(len(x))[1]
    assert res.counters.steps == th.arm_steps_bound(arm.processors, T, L)


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
    inputs = tuple(lib.make_input(n, random.Random(n)))
    return PramCase(name, lib.program, inputs, lib.variant, n, lib.bounds.at(n).time)


def _cheap(name, n):
    b = LIBRARY[name].bounds.at(n)
    return (b.processors * b.time + n) * b.time <= 300_000


@pytest.mark.parametrize("name,n", [c for c in LIB_CASES if _cheap(*c)])
def test_library_programs_agree(name, n):
    row = check_mdm([_lib_case(name, n)])[0]
    assert row.ok, row.detail


def _feasible(name, n):
    """Cases whose MDM run fits in minutes: (n + P*T) * T <= 6e7. Left out: matmul-int at
    d = 16, 32 and matmul-bool at d = 32 (contexts of 0.4M-4M wide tokens)."""
    b = LIBRARY[name].bounds.at(n)
    return (b.processors * b.time + n) * b.time <= 60_000_000


@pytest.mark.slow
@pytest.mark.parametrize("name,n", [c for c in LIB_CASES if not _cheap(*c) and _feasible(*c)])
def test_library_programs_agree_large(name, n):
    row = check_mdm([_lib_case(name, n)])[0]
    assert row.ok, row.detail


# --- the checker fails on broken constructions ---------------------------------------------------


class EarliestWrite(PramToMDM):
    """Broken: a read returns the earliest write to the address instead of the latest."""

    def _prefer(self, new_rank, old_rank):
        return new_rank < old_rank


class OffByOneBlock(PramToMDM):
    """Broken: reads at step t see blocks 1..t-2 only (one block stale)."""

    def _visible_blocks(self, t):
        return max(t - 2, 0)


class TwoStepsPerBlock(PramToMDM):
    """Broken schedule: each block is filled in two steps (processor 0 first, then the rest)."""

    def _current_block(self, canvas):
        P = self.processors
        for t in range(1, self.time_bound + 1):
            start = self._pos(t, 0)
            if any(tok is MASK for tok in canvas[start:start + P]):
                return t
        return self.time_bound + 1          # only the output block is left

    def _fill_plan(self, canvas, t):
        start = self._pos(t, 0)
        return range(1) if canvas[start] is MASK else range(1, self.processors)


def broken(cls):
    return lambda program, n, T, variant: cls(program, n, T, variant)


CASES = [case(read_after_write(), (5,)), case(prefix_sums(), X), case(concurrent_writes(), ())]


def test_checker_passes_the_real_construction():
    assert all(r.ok for r in check_mdm(CASES))
    assert all(r.ok for r in check_arm(CASES))


@pytest.mark.parametrize("cls", [EarliestWrite, OffByOneBlock])
def test_checker_fails_on_wrong_reads(cls):
    rows = check_mdm(CASES, broken(cls))
    assert not rows[0].ok and not rows[0].outputs_equal


def test_checker_fails_on_one_step_too_many_per_pram_step():
    rows = check_mdm(CASES[1:], broken(TwoStepsPerBlock))   # programs with P >= 2
    assert all(r.outputs_equal for r in rows)           # right answers ...
    assert not any(r.ok for r in rows)                  # ... but too many steps
    assert rows[0].measured["steps"] > rows[0].bound["steps"]


def test_suite_runs_quick_and_holds():
    rows = run_mdm_suite(CheckOptions(seed=1, quick=True))
    assert rows and all(r.ok for r in rows)
    assert any(r.program == "random-programs" and r.instances >= 20 for r in rows)


class LowestRankWinsARM(PramToARM):
    """Broken ARM contrast: a read after concurrent writes returns the lowest-priority write."""

    def _lookup(self, canvas, visible, addr):
        P = self.processors
        for block_end in range(len(visible), 0, -P):
            block = visible[block_end - P:block_end]
            hits = [(write_rank(self.variant, q, P), s[WVAL]) for q, s in enumerate(block)
                    if s[WADDR] == addr and s[WADDR] != NO_WRITE]
            if hits:
                return min(hits)[1]
        return canvas[addr] if addr < self.n else 0


class EveryRecordTwiceARM(PramToARM):
    """Broken ARM contrast: right records, but each one written twice (2·P·T steps)."""

    def next_step(self, canvas):
        last = len(canvas) - 1
        records = canvas[self.n + 1:last]
        if len(records) % 2:
            return StepOutput({last: records[-1]}, insert=frozenset((last,)))
        out = super().next_step(canvas[:self.n + 1] + records[::2] + (MASK,))
        inner = self.n + 1 + len(records) // 2
        return StepOutput({last: out.tokens[inner]}, insert=frozenset((last,)) if out.insert
                          else frozenset())


def test_arm_checker_fails_on_wrong_write_winner():
    rows = check_arm(CASES, lambda p, n, v: LowestRankWinsARM(p, n, v))
    assert not rows[2].ok and not rows[2].outputs_equal


def test_arm_checker_fails_on_every_record_twice():
    rows = check_arm(CASES, lambda p, n, v: EveryRecordTwiceARM(p, n, v))
    assert not any(r.ok for r in rows)
    # the run stops at the construction's own step limit P*T+L+1, before its EOS
    assert all("does not end with EOS" in r.detail for r in rows), [r.detail for r in rows]

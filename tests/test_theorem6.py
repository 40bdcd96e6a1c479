"""Theorem 6 (PRESERVE, our reconstruction): solvers agree with the oracle; checker can fail."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.catalogue import trace_targets
from apmdm.checks.suite import CheckOptions
from apmdm.checks.theorem6 import check_edits, run_suite
from apmdm.constructions.preserve import (
    EditStep,
    PreserveAPMDM,
    PreserveARMReplay,
    PreserveInstance,
    apmdm_canvas,
    apmdm_process,
    arm_canvas,
    arm_process,
    backward_chain,
    final_data,
    oracle_cells,
    parse_block,
    random_instance,
    step_back,
    validate_instance,
)
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import Limits, StopReason
from apmdm.machines.tokens import MASK
from apmdm.machines.trace import read_trace, record_trace, write_trace

instances = st.builds(random_instance, st.integers(0, 10**6), st.integers(1, 12),
                      st.integers(0, 24), st.integers(1, 4), st.integers(0, 100))


def _drop_first_delete(e: EditStep) -> EditStep:
    if not e.delete:
        return e
    return EditStep(e.remask + (e.delete[0],), e.insert, e.delete[1:], e.fills)


@dataclass(frozen=True)
class IgnoresOneDeletion(PreserveAPMDM):
    """Broken: keeps the first deleted mask of every block masked instead of deleting it."""

    def block_edit(self, block):
        return _drop_first_delete(parse_block(block))


@dataclass(frozen=True)
class ReplayIgnoresOneDeletion(PreserveARMReplay):
    def block_edit(self, block):
        return _drop_first_delete(parse_block(block))


@settings(max_examples=80, deadline=None)
@given(instances)
def test_apmdm_and_chain_equal_oracle(inst):
    validate_instance(inst)
    oracle = oracle_cells(inst)
    res = apmdm_process().run(apmdm_canvas(inst), Limits(len(inst.edits) + 4, 10_000))
    assert res.stop is StopReason.FIXED_POINT
    assert final_data(res.final) == oracle
    assert res.counters.steps == len(inst.edits) + (2 if inst.edits else 1)
    for q in range(len(oracle)):
        assert backward_chain(inst, q)[0] == oracle[q]


@settings(max_examples=40, deadline=None)
@given(instances, st.integers(0, 10**6))
def test_arm_replay_equals_oracle(inst, r):
    oracle = oracle_cells(inst)
    q = r % len(oracle)
    replay = PreserveARMReplay()
    res = arm_process(replay).run(arm_canvas(replay, inst, q), Limits(len(inst.edits) + 4, 10**5))
    assert res.stop is StopReason.EOS
    assert replay.answer_of(res.final) == oracle[q]
    assert res.counters.steps <= len(inst.edits) + 3


def test_quick_suite_passes():
    rows = run_suite(CheckOptions(quick=True))
    assert rows and all(r.ok for r in rows), [r for r in rows if not r.ok]


def test_checker_fails_on_solver_that_ignores_a_deletion():
    rows = check_edits(16, 3, 0, solver=IgnoresOneDeletion())
    apmdm = [r for r in rows if r.construction == "preserve:apmdm"][0]
    assert not apmdm.ok and "differs from the oracle" in apmdm.detail


def test_checker_fails_on_replay_that_ignores_a_deletion():
    rows = check_edits(16, 3, 0, replay=ReplayIgnoresOneDeletion())
    arm = [r for r in rows if r.construction == "preserve:arm-replay"][0]
    assert not arm.ok and "oracle" in arm.detail


def test_golden_step_back():
    # old canvas a b _ c ; delete the mask at 2, insert after 0, remask 3
    e = EditStep(remask=(3,), insert=(0,), delete=(2,))
    # new canvas: a _ b _(c remasked)
    assert step_back(e, 1, 0) == ("kept", 0)
    assert step_back(e, 1, 1) == ("written", MASK)
    assert step_back(e, 1, 2) == ("kept", 1)
    assert step_back(e, 1, 3) == ("written", MASK)
    inst = PreserveInstance((5, 6), (EditStep(remask=(0,)), EditStep(fills=((0, 9),))), 0)
    assert oracle_cells(inst) == [(9, 2, 0), (6, 0, 1)]


@pytest.mark.parametrize("edit,message", [
    (EditStep(delete=(0,)), "no mask"),
    (EditStep(insert=(5,)), "outside"),
    (EditStep(fills=((0, 1),)), "no open mask"),
    (EditStep(insert=(1, 0)), "not sorted"),
])
def test_invalid_instances_name_the_problem(edit, message):
    with pytest.raises(InvalidArgumentError, match=message):
        validate_instance(PreserveInstance((1, 2, 3), (edit,), 0))


def test_missing_fill_and_bad_query():
    with pytest.raises(InvalidArgumentError, match="step 2: position 0 needs a fill"):
        validate_instance(PreserveInstance((1,), (EditStep(remask=(0,)), EditStep()), 0))
    with pytest.raises(InvalidArgumentError, match="query"):
        validate_instance(PreserveInstance((1,), (), 3))


@pytest.mark.parametrize("target,model", [("dyck", "ap-mdm"), ("preserve", "ap-mdm"),
                                          ("preserve", "arm")])
def test_trace_targets_round_trip(tmp_path, target, model):
    built = trace_targets()[target].build(model, 6, 1)
    trace = record_trace(built.process, built.canvas, built.limits, built.construction,
                         built.parameters, built.vocabulary)
    path = tmp_path / "t.jsonl"
    write_trace(trace, str(path))
    assert read_trace(str(path)).stop is trace.stop

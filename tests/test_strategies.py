"""The exported hypothesis strategies produce valid, halting programs with the promised
features (branches, indirect addressing, concurrent writes) and agree with the interpreter."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.strategies import RANDOM_LIMITS, pram_instances, pram_programs
from apmdm.machines.pram import PRAM, Op, Program


@settings(max_examples=60, deadline=None)
@given(pram_instances())
def test_instances_are_valid_and_halting(inst):
    assert isinstance(inst.program, Program)
    again = PRAM(inst.program, inst.variant, RANDOM_LIMITS).run(inst.inputs)
    assert again == inst.result                     # deterministic, halts, no error
    assert inst.time >= 1


@settings(max_examples=60, deadline=None)
@given(pram_programs())
def test_jumps_go_forward_except_counted_loops(program):
    for i, ins in enumerate(program.instructions):
        if ins.op in (Op.JMP, Op.JZ, Op.JNZ):
            target = ins.args[-1]
            # backward jumps only close counted loops: jnz r7 right after addi r7, r7, -1
            assert target > i or (ins.op is Op.JNZ and ins.args[0] == 7
                                  and program.instructions[i - 1].args == (7, 7, -1))


def test_features_occur_in_a_sample():
    seen = {"branch": 0, "indirect": 0, "concurrent_write": 0, "loop": 0}

    @settings(max_examples=150, deadline=None, database=None)
    @given(pram_instances())
    def collect(inst):
        ops = [ins.op for ins in inst.program.instructions]
        seen["branch"] += any(op in (Op.JZ, Op.JNZ) for op in ops)
        seen["loop"] += any(ins.op is Op.JNZ and ins.args[0] == 7
                            for ins in inst.program.instructions)
        seen["indirect"] += any(op in (Op.LOAD, Op.STORE) for op in ops)
        for step in PRAM(inst.program, inst.variant).run_stepwise(inst.inputs):
            writes = [a.address for a in step.accesses if a.kind == "W"]
            if len(writes) != len(set(writes)):
                seen["concurrent_write"] += 1
                break

    collect()
    assert all(v >= 5 for v in seen.values()), seen


@given(st.data())
@settings(max_examples=20, deadline=None)
def test_addresses_never_negative(data):
    inst = data.draw(pram_instances())
    for step in PRAM(inst.program, inst.variant).run_stepwise(inst.inputs):
        assert all(0 <= a.address <= 18 for a in step.accesses)

"""The ARM contrast of Theorem 1 copies its answer out: after the last block of slot records
it writes one token per output cell (the latest write of that address, found by f from the
canvas), then EOS; ``decode`` reads only those L positions (issue 19, item 3)."""

from __future__ import annotations

from hypothesis import given, settings

from apmdm.checks.pram_cases import PramCase
from apmdm.checks.strategies import pram_instances
from apmdm.checks.theorem1 import check_arm
from apmdm.constructions.pram.arm import EOS, SEP, PramToARM, compile_arm
from apmdm.machines.errors import ConstructionError
from apmdm.machines.pram import PRAM, Variant
from apmdm.machines.process import StepOutput
from apmdm.machines.resources import Resources
from apmdm.theory import theorem1 as th
from tests.pram_test_programs import concurrent_writes, prefix_sums, read_after_write

X = (3, 1, 4, 1, 5, 9, 2, 6)


def _run(program, inputs, variant=Variant.CRCW_PRIORITY):
    ref = PRAM(program, variant).run(inputs)
    con = compile_arm(program, len(inputs), variant)
    res = con.process().run(con.initial_canvas(inputs), con.limits(Resources.of_pram(ref.counters)))
    return con, ref, res


def test_layout_ends_with_the_copied_cells_then_eos():
    prog = prefix_sums()
    con, ref, res = _run(prog, X)
    c = ref.counters
    L = prog.output_region(len(X))[1]
    final = res.final
    assert final[len(X)] == SEP and final[-1] == EOS
    assert final[-1 - L:-1] == ref.output
    records = final[len(X) + 1:-1 - L]
    assert len(records) == c.processors * c.time and all(isinstance(s, tuple) for s in records)
    assert res.counters.steps == th.arm_steps_bound(c.processors, c.time, L)
    assert res.counters.max_context == th.arm_context_bound(len(X), c.processors, c.time, L)


def test_decode_reads_only_the_designated_positions():
    prog = prefix_sums()
    con, ref, res = _run(prog, X)
    final = list(res.final)
    L = con.outputs
    designated = set(range(len(final) - 1 - L, len(final) - 1))
    # corrupt every other position (input, separator, every slot record): nothing changes
    scrambled = [final[i] if i in designated or i == len(final) - 1 else ("junk", i)
                 for i in range(len(final))]
    assert con.decode(tuple(scrambled)) == ref.output
    # corrupting one designated cell changes the answer
    j = len(final) - 1 - L
    hit = list(final)
    hit[j] = hit[j] + 1
    assert con.decode(tuple(hit)) != ref.output


def test_decode_refuses_a_canvas_without_copied_cells():
    prog = prefix_sums()
    con, _, res = _run(prog, X)
    no_copy = res.final[:-1 - con.outputs] + (EOS,)
    try:
        con.decode(no_copy)
    except ConstructionError as exc:
        assert "output cells" in str(exc)
    else:
        raise AssertionError("a canvas whose last L positions are slots was decoded")


@settings(max_examples=60, deadline=None)
@given(pram_instances())
def test_copied_cells_agree_with_the_interpreter(inst):
    x = inst.inputs
    con = compile_arm(inst.program, len(x), inst.variant)
    res = con.process().run(con.initial_canvas(x), con.limits(Resources(inst.time, 0)))
    L = inst.program.output_region(len(x))[1]
    assert res.final[-1 - L:-1] == inst.result.output
    assert con.decode(res.final) == inst.result.output
    assert res.counters.steps == th.arm_steps_bound(con.processors, inst.time, L)


class FirstBlockCopyARM(PramToARM):
    """Broken copy-out: the output cells are looked up in block 1 only (not the latest write)."""

    def _copy_out(self, canvas, records, j, last):
        out = super()._copy_out(canvas, records[:self.processors], j, last)
        return StepOutput(out.tokens, insert=out.insert)


class NoCopyARM(PramToARM):
    """Broken copy-out: EOS right after the last block (the old layout): nothing to read."""

    def _copy_out(self, canvas, records, j, last):
        return StepOutput({last: EOS})


def _cases():
    def case(program, inputs):
        return PramCase(program.name, program, tuple(inputs), Variant.CRCW_PRIORITY,
                        len(inputs), None)
    return [case(read_after_write(), (5,)), case(prefix_sums(), X), case(concurrent_writes(), ())]


def test_checker_passes_the_copy_out_and_fails_broken_ones():
    assert all(r.ok for r in check_arm(_cases()))
    first = check_arm(_cases(), lambda p, n, v: FirstBlockCopyARM(p, n, v))
    assert not first[1].ok and not first[1].outputs_equal     # prefix sums: many blocks
    none = check_arm(_cases(), lambda p, n, v: NoCopyARM(p, n, v))
    assert not any(r.ok for r in none)

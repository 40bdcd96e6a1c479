"""Theorem 1: the answer sits at designated canvas positions (the copy-out block).

The MDM fills an output block of m = |output region| positions in one step after the PRAM
ends; ``decode`` reads those positions and nothing else. Reference construction and compiled
transformer alike, against the PRAM interpreter."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.compiled import run_differential
from apmdm.checks.pram_cases import PramCase, library_programs
from apmdm.checks.strategies import pram_instances
from apmdm.checks.theorem1 import check_mdm
from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
from apmdm.constructions.pram.mdm import PramToMDM, compile_mdm
from apmdm.constructions.pram.slot import WADDR, WVAL
from apmdm.machines.errors import CompiledModelMismatch, ConstructionError
from apmdm.machines.pram import PRAM, Variant
from apmdm.machines.process import GenerationProcess, Model, StopReason
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer.model import token_readout, transformer_next_step
from apmdm.theory import theorem1 as th
from tests.pram_test_programs import concurrent_writes, prefix_sums, read_after_write

X = (3, 1, 4, 1, 5, 9, 2, 6)


def _run(con, inputs):
    return con.process().run(con.initial_canvas(inputs), con.limits())


def _prefix_run(slack: int = 2):
    prog = prefix_sums()
    ref = PRAM(prog).run(X)
    con = compile_mdm(prog, 8, ref.counters.time + slack)
    return con, _run(con, X), ref


# --- decode reads the output block only -------------------------------------------------------


def test_corrupting_cells_outside_the_block_does_not_change_decode():
    con, res, ref = _prefix_run()
    final = list(res.final)
    assert con.decode(res.final) == ref.output
    start, m = prefix_sums().output_region(8)
    for i in range(con.output_start):            # every input and slot cell
        tok = final[i]
        if isinstance(tok, tuple):               # a slot now "writes" 777 to an output cell
            tok = tok[:WADDR] + (start + i % m, 777) + tok[WVAL + 1:]
        else:
            tok = -tok - 1
        final[i] = tok
    assert con.decode(tuple(final)) == ref.output


def test_corrupting_a_block_cell_changes_decode():
    con, res, ref = _prefix_run()
    final = list(res.final)
    final[con.output_start + 3] = 777
    got = con.decode(tuple(final))
    assert got[3] == 777 and got != ref.output
    assert got[:3] + got[4:] == ref.output[:3] + ref.output[4:]


def test_a_masked_block_cell_is_a_typed_error():
    con, res, _ = _prefix_run()
    for q in (0, con.output_length - 1):
        final = list(res.final)
        final[con.output_start + q] = MASK
        with pytest.raises(ConstructionError, match=f"output position {con.output_start + q} "
                                                    "is masked"):
            con.decode(tuple(final))
    final = list(res.final)
    final[con.output_start] = (1, 2, 3)
    with pytest.raises(ConstructionError, match="non-int"):
        con.decode(tuple(final))


def test_time_bound_too_small_leaves_the_block_masked_and_stops_at_a_fixed_point():
    prog = prefix_sums()
    T = PRAM(prog).run(X).counters.time
    con = compile_mdm(prog, 8, T - 1)
    res = _run(con, X)
    assert res.stop is StopReason.FIXED_POINT and res.counters.steps == T
    assert all(tok is MASK for tok in res.final[con.output_start:])
    assert all(tok is not MASK for tok in res.final[:con.output_start])
    with pytest.raises(ConstructionError, match="time bound T = .* too small"):
        con.decode(res.final)


def test_the_copy_out_step_is_the_last_and_fills_only_the_block_when_tight():
    prog = concurrent_writes()          # P = 4, m = 5
    ref = PRAM(prog).run(())
    T = ref.counters.time
    for bound, fills in ((T, 5), (T + 2, 5 + 2 * 4)):
        con = compile_mdm(prog, 0, bound)
        records = list(con.process().run_stepwise((MASK,) * con.context, con.limits()))
        last = records[-1]
        assert len(records) == T + 1 and last.stop is StopReason.NO_MASK
        assert len(last.events.unmasked) == fills
        assert last.events.unmasked[-5:] == tuple(range(con.output_start, con.context))
        assert last.after[con.output_start:] == ref.output == con.decode(last.after)


# --- agreement with the PRAM interpreter (hypothesis) -----------------------------------------


def _agree(program, inputs, variant, time, slack):
    ref_out, n = PRAM(program, variant).run(inputs).output, len(inputs)
    con = compile_mdm(program, n, time + slack, variant)
    res = _run(con, inputs)
    m = con.output_length
    assert res.final[con.output_start:] == ref_out == con.decode(res.final)
    assert res.counters.max_context == th.mdm_context_bound(n, con.processors, time + slack, m)
    # T + 1 exactly (the copy-out step); T when there is nothing to copy and the bound is tight
    assert th.mdm_steps_bound(time) - res.counters.steps <= th.mdm_steps_slack(m)


@settings(max_examples=60, deadline=None)
@given(pram_instances(), st.integers(0, 2))
def test_random_programs_block_equals_interpreter(inst, slack):
    _agree(inst.program, inst.inputs, inst.variant, inst.time, slack)


LIBRARY = library_programs()


def _small(name):
    lib = LIBRARY[name]
    n = min(lib.sizes)
    b = lib.bounds.at(n)
    return (n + b.processors * b.time) * b.time <= 40_000


SMALL = sorted(name for name in LIBRARY if _small(name))


@settings(max_examples=12, deadline=None)
@given(st.sampled_from(SMALL), st.integers(0, 2 ** 16), st.integers(0, 1))
def test_library_programs_block_equals_interpreter(name, seed, slack):
    lib = LIBRARY[name]
    n = min(lib.sizes)
    inputs = tuple(lib.make_input(n, random.Random(seed)))
    time = PRAM(lib.program, lib.variant).run(inputs).counters.time
    _agree(lib.program, inputs, lib.variant, time, slack)


def test_small_library_set_is_not_empty():
    assert len(SMALL) >= 5, SMALL


# --- a construction that copies out wrongly fails the checker ---------------------------------


class CopiesTheNextCell(PramToMDM):
    """Broken copy-out: output position q gets cell start + q + 1."""

    def _copy_out(self, memory):
        start, m = self.program.output_region(self.n)
        return {self.output_start + q: memory.get(start + q + 1, 0) for q in range(m)}


class NeverCopiesOut(PramToMDM):
    """Broken: the simulation is right but the output block is never filled."""

    def _copy_out(self, memory):
        return {}


def _cases():
    out = []
    for prog, inputs in ((read_after_write(), (5,)), (prefix_sums(), X),
                         (concurrent_writes(), ())):
        T = PRAM(prog).run(inputs).counters.time
        out.append(PramCase(prog.name, prog, inputs, Variant.CRCW_PRIORITY, len(inputs), T))
    return out


def test_checker_fails_a_wrong_copy_out():
    rows = check_mdm(_cases(), lambda p, n, T, v: CopiesTheNextCell(p, n, T, v))
    assert not any(r.ok for r in rows)
    assert not any(r.outputs_equal for r in rows[1:])       # prefix sums, concurrent writes


def test_checker_fails_a_missing_copy_out():
    rows = check_mdm(_cases(), lambda p, n, T, v: NeverCopiesOut(p, n, T, v))
    assert not any(r.ok for r in rows)
    assert all("is masked" in r.detail for r in rows), [r.detail for r in rows]


# --- the compiled transformer fills the block itself ------------------------------------------


def _sum_case(n: int = 4):
    lib = LIBRARY["sum"]
    inputs = tuple(lib.make_input(n, random.Random(5)))
    ref = PRAM(lib.program, lib.variant).run(inputs)
    return lib, inputs, ref


def test_compiled_copy_out_tight_bound_with_fewer_cells_than_processors():
    """sum at n = 4: P = 2 > m = 1; with a tight bound the copy-out step sees only the
    output block masked and reads halting from block T (the halted_last aggregation)."""
    lib, inputs, ref = _sum_case()
    T, S = ref.counters.time, max(ref.counters.memory_span, 4)
    con = compile_mdm_efasp(lib.program, 4, T, lib.variant, S)
    assert con.reference.output_length < con.reference.processors
    res = run_differential(Model.MDM, con.reference.next_step, con.compiled,
                           con.initial_canvas(inputs), con.limits(), "thm1-mdm")
    assert res.counters.steps == T + 1
    assert res.final[con.reference.output_start:] == ref.output == con.decode(res.final)


def test_compiled_time_bound_too_small_fills_nothing_then_decode_raises():
    lib, inputs, ref = _sum_case()
    T, S = ref.counters.time, max(ref.counters.memory_span, 4)
    con = compile_mdm_efasp(lib.program, 4, T - 1, lib.variant, S)
    res = run_differential(Model.MDM, con.reference.next_step, con.compiled,
                           con.initial_canvas(inputs), con.limits(), "thm1-mdm")
    assert res.stop is StopReason.FIXED_POINT
    with pytest.raises(ConstructionError, match="is masked"):
        con.decode(res.final)


def test_compiled_program_versus_wrong_copy_out_names_the_copy_node():
    lib, inputs, ref = _sum_case()
    T, S = ref.counters.time, max(ref.counters.memory_span, 4)
    con = compile_mdm_efasp(lib.program, 4, T + 1, lib.variant, S)
    r = con.reference
    wrong = CopiesTheNextCell(r.program, r.n, r.time_bound, r.variant)
    with pytest.raises(CompiledModelMismatch) as err:
        run_differential(Model.MDM, wrong.next_step, con.compiled, con.initial_canvas(inputs),
                         con.limits(), "vs-wrong-copy-out")
    msg = str(err.value)
    assert f"step {T + 1}" in msg and f"position {r.output_start}" in msg
    assert "output node 'copied'" in msg


def test_compiled_copy_out_head_broken_is_caught():
    lib, inputs, ref = _sum_case()
    T, S = ref.counters.time, max(ref.counters.memory_span, 4)
    con = compile_mdm_efasp(lib.program, 4, T, lib.variant, S)
    spec = con.compiled.transformer.spec
    index = spec.dim_names.index("in.pos")
    layers, hit = [], False
    for layer in spec.layers:
        heads = []
        for h in layer.heads:
            if h.name.startswith("out.slot"):   # tie-break +j -> -j: copies the earliest write
                wk = h.w_k.copy()
                wk[index] = -wk[index]
                h, hit = dataclasses.replace(h, w_k=wk), True
            heads.append(h)
        layers.append(dataclasses.replace(layer, heads=tuple(heads)))
    assert hit
    model = dataclasses.replace(con.compiled.transformer,
                                spec=dataclasses.replace(spec, layers=tuple(layers)).validate())
    broken = dataclasses.replace(con.compiled, transformer=model)
    with pytest.raises(CompiledModelMismatch) as err:
        run_differential(Model.MDM, con.reference.next_step, broken,
                         con.initial_canvas(inputs), con.limits(), "broken-copy-out")
    msg = str(err.value)
    assert f"step {T + 1}" in msg and "transformer differs from its E-FASP program" in msg
    assert "out.slot" in msg


def test_compiled_fields_stay_in_the_codec_domain_at_every_filled_position():
    """The compiled MDM writes every field of every token it fills inside the codec's declared
    domain, the output block included (its ``t`` is T+1): a consumer that keeps the raw fields
    (the serial PRAM of Theorem 2) re-embeds them without a decode/encode round trip."""
    lib, inputs, ref = _sum_case(2)
    con = compile_mdm_efasp(lib.program, 2, ref.counters.time, lib.variant)
    model = con.compiled.transformer
    lo, hi = np.array(model.codec.bounds).T
    steps = list(GenerationProcess(Model.MDM, transformer_next_step(model)).run_stepwise(
        con.initial_canvas(inputs), con.limits()))
    for step in steps:
        filled = [i for i, t in enumerate(step.before) if t is MASK and step.after[i] is not MASK]
        vals = token_readout(model.run(step.before), np.array(filled))
        assert np.all((vals >= lo) & (vals <= hi)), (step.before, filled)
    assert steps[-1].after[con.reference.output_start:] == ref.output

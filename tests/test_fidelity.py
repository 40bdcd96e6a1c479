"""Each check tests the theorem's claim: mutants of the constructions and of the declared
constants fail `apmdm check` rows (not only tests that pin a constant)."""

from __future__ import annotations

import dataclasses
import random
from types import SimpleNamespace

import sympy

from apmdm.checks import theorem3 as c3
from apmdm.checks import theorem5 as c5
from apmdm.checks.compiled import compiled_mdm_runner, shape_bound, with_shape
from apmdm.checks.pram_cases import (
    Outcome,
    PramCase,
    check_case,
    library_programs,
    random_rows,
)
from apmdm.checks.strategies import halt_after_store_instances
from apmdm.checks.suite import CheckOptions
from apmdm.checks.theorem1 import check_arm, check_mdm, mdm_runner
from apmdm.checks.theorem4 import apmdm_runner, check_apmdm
from apmdm.constructions.dyck.apmdm import DyckGenerator
from apmdm.constructions.pram.apmdm import PramToAPMDM
from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
from apmdm.constructions.pram.mdm import compile_mdm
from apmdm.constructions.pram.slot import WADDR, WVAL
from apmdm.machines.pram import PRAM
from apmdm.machines.process import StepOutput
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer.spec import Layer
from apmdm.theory import theorem1 as th1
from apmdm.theory import theorem3 as th3
from apmdm.theory import theorem4 as th4
from apmdm.theory import theorem5 as th5
from tests.pram_test_programs import concurrent_writes, prefix_sums, read_after_write


def _cases():
    from apmdm.machines.pram import Variant
    out = []
    for prog, inputs in ((read_after_write(), (5,)), (prefix_sums(), (3, 1, 4, 1, 5)),
                         (concurrent_writes(), ())):
        T = PRAM(prog, Variant.CRCW_PRIORITY).run(inputs).counters.time
        out.append(PramCase(prog.name, prog, inputs, Variant.CRCW_PRIORITY, len(inputs), T))
    return out


# --- Theorem 1: the context check can fail ---------------------------------------------------


def test_theorem1_padding_one_extra_block_fails_the_context_check():
    cases = _cases()
    assert all(r.ok for r in check_mdm(cases))

    def padded(program, n, T, variant):       # one block more than the time bound needs
        return compile_mdm(program, n, T + 1, variant)

    rows = check_mdm(cases, padded)
    assert all(r.outputs_equal for r in rows)           # right answers ...
    assert not any(r.ok for r in rows)                  # ... in too much context
    assert all(r.measured["context"] > r.bound["context"] for r in rows)


# --- loosened constants are caught by the check rows (bounds held from below) ----------------


def test_theorem1_steps_constant_a2_fails_a_row(monkeypatch):
    monkeypatch.setattr(th1, "BOUNDS", dataclasses.replace(th1.BOUNDS,
                                                           mdm_steps=2 * th1.T + 1))
    rows = check_mdm(_cases())
    assert not all(r.ok for r in rows)
    assert any(r.measured["steps slack"] > r.bound["steps slack"] for r in rows)


def test_theorem1_arm_and_theorem4_loosened_constants_fail(monkeypatch):
    monkeypatch.setattr(th1, "BOUNDS", dataclasses.replace(th1.BOUNDS,
                                                           arm_context=th1.n + 2 * th1.P * th1.T))
    monkeypatch.setattr(th4, "BOUNDS", dataclasses.replace(th4.BOUNDS,
                                                           apmdm_steps=3 * th4.T + 1))
    assert not all(r.ok for r in check_arm(_cases()))
    rows = check_apmdm(_cases())
    assert any(r.measured["steps slack"] > r.bound["steps slack"] for r in rows)


def test_theorem3_k4_fails_the_sweep_behind_the_check_rows(monkeypatch):
    assert c3.sweep(3, 5, 0).ok
    monkeypatch.setattr(th3, "EXTRA_LAYERS", 4)
    res = c3.sweep(3, 5, 0)                # what each `apmdm check 3` function-level row runs
    assert not res.ok and "layers slack" in res.failure


def test_theorem5_steps_2n_plus_1_fails_a_check_row(monkeypatch):
    monkeypatch.setattr(th5, "STEPS_BOUND", 2 * th5.n + 1)
    rows = c5.check_support(DyckGenerator(2), 6)
    assert not all(r.ok for r in rows)
    assert any(r.measured["steps slack"] > 0 for r in rows if r.n >= 2)


def test_real_constants_hold_from_below():
    assert all(r.ok for r in check_mdm(_cases()) + check_arm(_cases()) + check_apmdm(_cases()))
    assert all(r.ok for r in c5.check_support(DyckGenerator(2), 6))


# --- compiled rows hold the transformer's depth and width ------------------------------------


def _seq_sum(n):
    lib = library_programs()["seq-sum"]
    b = lib.bounds.at(n)
    return PramCase("seq-sum", lib.program, tuple(lib.make_input(n, random.Random(n))),
                    lib.variant, n, b.time, max(b.memory, 1))


def _deeper_with_n(program, n, T, variant, S):
    """Broken compiler: correct outputs, but n // 8 extra (empty) layers: depth grows with n."""
    con = compile_mdm_efasp(program, n, T, variant, S)
    spec = con.compiled.spec
    extra = tuple(Layer((), None) for _ in range(n // 8))
    deeper = dataclasses.replace(spec, layers=spec.layers + extra)
    model = dataclasses.replace(con.compiled.transformer, spec=deeper)
    return dataclasses.replace(con, compiled=dataclasses.replace(con.compiled, transformer=model))


def test_compiled_depth_growing_with_n_fails():
    good = compiled_mdm_runner()
    bad = compiled_mdm_runner(_deeper_with_n)
    assert check_case("1", "thm1-mdm", _seq_sum(8), good).ok
    small = check_case("1", "thm1-mdm", _seq_sum(4), bad)
    large = check_case("1", "thm1-mdm", _seq_sum(8), bad)
    assert small.ok                                      # n = 4: no extra layer yet
    assert large.outputs_equal and not large.ok          # n = 8: right answer, one layer deeper
    assert large.measured["depth"] == large.bound["depth"] + 1


def test_compiled_width_over_its_bound_fails():
    lib = library_programs()["seq-sum"]
    declared = shape_bound("1", lib.program, 62)
    spec = SimpleNamespace(depth=declared["depth"], width=declared["width"] + 1, layers=())
    con = SimpleNamespace(compiled=SimpleNamespace(spec=spec), context=62)
    out, bound = with_shape("1", con, lib.program, Outcome((1,), 1, 62), {"steps": 1,
                                                                          "context": 62})
    measured = out.measured()
    assert measured["width"] > bound["width"]
    # and at the bound it holds; a shallower model is caught from below
    spec.width, spec.depth = declared["width"], declared["depth"] - 1
    out, bound = with_shape("1", con, lib.program, Outcome((1,), 1, 62), {"steps": 1,
                                                                          "context": 62})
    assert out.measured()["depth slack"] > bound["depth slack"]


def test_width_bound_is_logarithmic_in_the_context():
    from apmdm.theory import compiled_pram as cp
    a = cp.width_bound(10, 5, 2, 2 ** 10, 0)
    b = cp.width_bound(10, 5, 2, 2 ** 20, 0)
    assert b - a == (10 + 5 + 1 + 16 * 2) * 10
    assert sympy.Integer(cp.depth_bound("1", True)) == 20


# --- survivor: a halted processor's stale write must not compete in a commit -----------------


class _StaleCommit(PramToAPMDM):
    """Broken commit: every current slot naming the cell competes, fresh or not."""

    def _commit(self, canvas, masked_cells):
        slots = self._current_slots(canvas)
        fills = {a: self._winner([s for s in slots if s[WADDR] == a])[WVAL]
                 for a in masked_cells}
        keep = frozenset(i for i in range(self.memory_size, len(canvas)) if canvas[i] is MASK)
        return StepOutput(fills, keep)


def test_stale_write_commit_is_caught_by_the_random_rows():
    opts = CheckOptions(seed=0)
    good = random_rows("4", "pram-apmdm", apmdm_runner(), opts, 6, halt_after_store_instances())
    assert good and all(r.ok for r in good)
    bad = random_rows("4", "pram-apmdm", apmdm_runner(lambda p, n, S, v: _StaleCommit(p, n, S, v)),
                      opts, 6, halt_after_store_instances())
    assert not bad[0].ok and bad[-1].program == "random-minimal-failure"
    assert not bad[-1].outputs_equal
    mdm = random_rows("1", "pram-mdm", mdm_runner(), opts, 6, halt_after_store_instances())
    assert all(r.ok for r in mdm)


# --- Theorem 4 space: processor state counted in S' = S + P ----------------------------------


def test_matmul_bool_context_within_twice_s_prime():
    from apmdm.constructions.pram.apmdm import compile_apmdm
    from apmdm.machines.resources import Resources
    lib = library_programs()["matmul-bool"]
    for d in (8, 16):
        inputs = tuple(lib.make_input(d, random.Random(d)))
        b = lib.bounds.at(d)
        ref = PRAM(lib.program, lib.variant).run(inputs)
        S, P = max(b.memory, 1), ref.counters.processors
        con = compile_apmdm(lib.program, len(inputs), S, lib.variant)
        res = con.process().run(con.initial_canvas(inputs), con.limits(Resources(b.time, S, P)))
        assert con.decode(res.final) == ref.output
        context = res.counters.max_context
        assert context == th4.apmdm_context_bound(S, P)
        assert context <= th4.SPACE_FACTOR * th4.space_with_processors(S, P)
        assert P > S and context > 4 * S          # O(S + P), not O(S): the docs say so

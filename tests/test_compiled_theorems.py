"""Theorems 1 and 4 run as compiled transformers: differential tests against the reference
next-step functions, outputs against the PRAM interpreter, depth / width against n, and
deliberately broken models that the differential checker must catch."""

from __future__ import annotations

import dataclasses
import math
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apmdm.checks.catalogue import build_compiled
from apmdm.checks.compiled import (
    MDM_BUDGET,
    compiled_apmdm_runner,
    compiled_library_cases,
    compiled_mdm_runner,
    run_compiled_suite,
    run_differential,
    supported_instances,
)
from apmdm.checks.pram_cases import case_from_instance, check_case
from apmdm.checks.suite import CheckOptions
from apmdm.constructions.pram.compiled.apmdm import compile_apmdm_efasp
from apmdm.constructions.pram.compiled.common import low_digit_base
from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
from apmdm.constructions.pram.mdm import PramToMDM
from apmdm.machines.errors import CompiledModelMismatch, ConstructionError, WordSizeExceeded
from apmdm.machines.pram import PRAM, Variant
from apmdm.machines.pram.library import LIBRARY
from apmdm.machines.process import Model
from apmdm.machines.transformer.export import load_transformer, save_transformer
from apmdm.machines.transformer.forward import forward

RUNNERS = {"1": compiled_mdm_runner, "4": compiled_apmdm_runner}
RUNNER_NAMES = {"1": "thm1-mdm", "4": "thm4-apmdm"}


def _ids(cases):
    return [f"{c.label}-n{c.size}" for c in cases]


DEFAULT_CASES = {th: compiled_library_cases((4, 8), 0, th, MDM_BUDGET) for th in ("1", "4")}
# the slow sweep: n in {4, 8, 16} up to context^2 * steps <= SLOW_BUDGET (the larger Theorem-1
# canvases of matmul and connected-components hold 7,500 to 439,000 wide tokens)
SLOW_BUDGET = 3e9
ALL_CASES = {th: compiled_library_cases((4, 8, 16), 0, th, SLOW_BUDGET) for th in ("1", "4")}


# --- differential runs: compiled f == reference f on every step, output == interpreter ------


def _tiny(theorem: str):
    """The wiring case of the default run: prefix-sum at n = 4."""
    return next(c for c in DEFAULT_CASES[theorem] if c.label == "prefix-sum" and c.size == 4)


@pytest.mark.parametrize("theorem", ["1", "4"])
def test_compiled_wiring_on_one_tiny_case(theorem):
    row = check_case(theorem, "x", _tiny(theorem), RUNNERS[theorem]())
    assert row.ok and row.outputs_equal, row.detail


# The broad sweep (every supported library program at n in {4, 8, 16} within SLOW_BUDGET)
# runs in the slow set and in `apmdm check --compiled`.
@pytest.mark.slow
@pytest.mark.parametrize("case", ALL_CASES["1"], ids=_ids(ALL_CASES["1"]))
def test_theorem1_compiled_library(case):
    row = check_case("1", "thm1-mdm", case, RUNNERS["1"]())
    assert row.ok and row.outputs_equal, row.detail


@pytest.mark.slow
@pytest.mark.parametrize("case", ALL_CASES["4"], ids=_ids(ALL_CASES["4"]))
def test_theorem4_compiled_library(case):
    row = check_case("4", "thm4-apmdm", case, RUNNERS["4"]())
    assert row.ok and row.outputs_equal, row.detail


def test_library_coverage_is_what_the_docs_say():
    for theorem in ("1", "4"):
        assert {c.label for c in ALL_CASES[theorem]} == set(LIBRARY)
    assert len(LIBRARY) == 12


@pytest.mark.slow
@settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck))
@given(supported_instances())
def test_random_programs_compiled_200(inst):
    for theorem in ("1", "4"):
        row = check_case(theorem, "x", case_from_instance(inst), RUNNERS[theorem]())
        assert row.ok and row.outputs_equal, row.detail


def test_compiled_suite_wiring(monkeypatch):
    """`apmdm check --compiled` wiring on one tiny case and one random program; the suite's
    own sweep runs in the slow set (test_check_compiled_suite_quick)."""
    from apmdm.checks import compiled

    monkeypatch.setattr(compiled, "compiled_library_cases", lambda *a: [_tiny("4")])
    monkeypatch.setattr(compiled, "RANDOM_QUICK", 1)
    rows = run_compiled_suite("4", CheckOptions(seed=1, compiled=True, quick=True))
    assert [r.program for r in rows] == ["prefix-sum", "random-programs"]
    assert all(r.ok and r.category.value == "proved-instance" for r in rows)


@pytest.mark.slow
@pytest.mark.parametrize("theorem", ["1", "4"])
def test_check_compiled_suite_quick(theorem):
    rows = run_compiled_suite(theorem, CheckOptions(seed=1, compiled=True, quick=True))
    assert rows and all(r.ok for r in rows)
    assert {r.construction for r in rows} == {RUNNER_NAMES[theorem]}


# --- unsupported programs are refused by name ----------------------------------------------


def test_unsupported_variant_raises():
    lib = LIBRARY["prefix-sum"]
    with pytest.raises(ConstructionError, match="crcw-arbitrary"):
        compile_apmdm_efasp(lib.program, 4, 4, 40, Variant.CRCW_ARBITRARY)


def test_word_overflow_is_a_typed_error():
    lib = LIBRARY["prefix-sum"]
    con = compile_mdm_efasp(lib.program, 4, 35, lib.variant, 4, word_bits=12)
    with pytest.raises(WordSizeExceeded, match="w = 12 bits"):
        con.initial_canvas((5000, 0, 0, 0))


# --- the differential checker catches broken models -----------------------------------------


def _prefix_sum_mdm(n: int = 8):
    lib = LIBRARY["prefix-sum"]
    b = lib.bounds.at(n)
    inputs = tuple(lib.make_input(n, random.Random(3)))
    return compile_mdm_efasp(lib.program, n, b.time, lib.variant, b.memory), inputs


def _with_head(compiled, prefix: str, change):
    """A copy of ``compiled`` whose head named ``prefix...`` has ``change(head)`` applied."""
    spec = compiled.transformer.spec
    layers = []
    hit = False
    for layer in spec.layers:
        heads = []
        for h in layer.heads:
            if h.name.startswith(prefix):
                h, hit = change(h), True
            heads.append(h)
        layers.append(dataclasses.replace(layer, heads=tuple(heads)))
    assert hit
    new_spec = dataclasses.replace(spec, layers=tuple(layers)).validate()
    model = dataclasses.replace(compiled.transformer, spec=new_spec)
    return dataclasses.replace(compiled, transformer=model)


def test_broken_read_head_earliest_write_is_caught():
    con, inputs = _prefix_sum_mdm()
    index = con.compiled.spec.dim_names.index("in.pos")

    def earliest(h):   # the tie-break +j becomes -j: the read picks the earliest write
        wk = h.w_k.copy()
        wk[index] = -wk[index]
        return dataclasses.replace(h, w_k=wk)

    broken = _with_head(con.compiled, "mem.slot", earliest)
    with pytest.raises(CompiledModelMismatch) as err:
        run_differential(Model.MDM, con.reference.next_step, broken,
                         con.initial_canvas(inputs), con.limits(), "broken")
    msg = str(err.value)
    assert "step " in msg and "position " in msg
    assert "transformer differs from its E-FASP program" in msg and "mem.slot" in msg


def test_one_perturbed_mlp_weight_is_caught():
    con, inputs = _prefix_sum_mdm(4)
    spec = con.compiled.spec
    last = max(i for i, ly in enumerate(spec.layers) if ly.mlp is not None)
    mlp = spec.layers[last].mlp
    b2 = mlp.b2.copy()
    b2[spec.dim_names.index(next(d for d in spec.dim_names if d.startswith("w")))] += 1
    layers = list(spec.layers)
    layers[last] = dataclasses.replace(layers[last], mlp=dataclasses.replace(mlp, b2=b2))
    model = dataclasses.replace(con.compiled.transformer,
                                spec=dataclasses.replace(spec, layers=tuple(layers)))
    broken = dataclasses.replace(con.compiled, transformer=model)
    with pytest.raises(CompiledModelMismatch, match="residual"):
        run_differential(Model.MDM, con.reference.next_step, broken,
                         con.initial_canvas(inputs), con.limits(), "broken")


class _EarliestWins(PramToMDM):
    def _prefer(self, new_rank, old_rank):
        return new_rank < old_rank


def test_program_versus_broken_reference_names_an_output_dimension():
    con, inputs = _prefix_sum_mdm()
    ref = con.reference
    wrong = _EarliestWins(ref.program, ref.n, ref.time_bound, ref.variant)
    with pytest.raises(CompiledModelMismatch) as err:
        run_differential(Model.MDM, wrong.next_step, con.compiled, con.initial_canvas(inputs),
                         con.limits(), "vs-broken-reference")
    msg = str(err.value)
    assert "E-FASP program differs from the reference construction" in msg
    assert "output node" in msg and "residual dimensions" in msg


# --- depth constant, width logarithmic -------------------------------------------------------


SIZES = (4, 8, 16, 32, 64, 128, 256)


@pytest.mark.parametrize("construction", ["thm1-mdm", "thm4-apmdm"])
@pytest.mark.parametrize("program", ["prefix-sum", "sum"])
def test_depth_constant_width_logarithmic(construction, program):
    figs = [build_compiled(construction, program, n) for n in SIZES]
    depths = {m.spec.depth for m in figs}
    widths = np.array([m.spec.width for m in figs], dtype=float)
    logs = np.log2(np.array([m.spec.max_length for m in figs], dtype=float))
    assert len(depths) == 1
    # least-squares fit width = a + b log2(L) (L = context, n <= L <= n^2 log n) holds tightly
    b, a = np.polyfit(logs, widths, 1)
    assert np.max(np.abs(widths - (a + b * logs))) <= 0.02 * widths.max()
    assert 0 <= b <= 12
    # and it is not linear in the context: doubling steps add a bounded number of dimensions
    assert np.all(np.diff(widths) <= 6 * (math.log2(256) - math.log2(128) + 1) * 2)
    assert widths[-1] < widths[0] + 64


@pytest.mark.parametrize("construction", ["thm1-mdm", "thm4-apmdm"])
@pytest.mark.parametrize("program, sizes", [
    pytest.param("dyck-k", SIZES, marks=pytest.mark.slow),   # compiles at n up to 256
    ("matmul-int", (2, 4, 8, 16)),
])
def test_dividing_programs_width_affine_in_the_word_size(construction, program, sizes):
    """Programs with div/mod: depth constant, and the width is ``c0 + c1 w + K`` exactly
    (every bit-level gadget has w + O(1) units; K = low_digit_base(w, L) <= 512 comparisons
    give the low digit of a quotient), with w <= log2(L) + 8."""
    figs = [build_compiled(construction, program, n) for n in sizes]
    assert len({m.spec.depth for m in figs}) == 1
    ws = [m.info["word_bits"] for m in figs]
    ks = [low_digit_base(w, m.spec.max_length) for w, m in zip(ws, figs, strict=True)]
    assert all(1 < k <= 512 for k in ks)
    widths = [m.spec.width - k for m, k in zip(figs, ks, strict=True)]
    for m, w in zip(figs, ws, strict=True):
        assert w <= math.log2(m.spec.max_length) + 8
    assert len(set(ws)) >= 3
    (w0, d0), (w1, d1) = sorted(set(zip(ws, widths, strict=True)))[:2]
    slope = (d1 - d0) // (w1 - w0)
    assert slope * (w1 - w0) == d1 - d0
    assert all(d == d0 + slope * (w - w0) for w, d in zip(ws, widths, strict=True))


def test_registry_build_explain_and_export_roundtrip(tmp_path):
    model = build_compiled("thm4-apmdm", "prefix-sum", 4)
    path = tmp_path / "m.npz"
    save_transformer(model.spec, str(path), str(tmp_path / "m.json"))
    loaded = load_transformer(str(path))
    lib = LIBRARY["prefix-sum"]
    con = compile_apmdm_efasp(lib.program, 4, 4, lib.bounds.at(4).time, lib.variant)
    fields = con.compiled.transformer.codec.encode_canvas(con.initial_canvas((1, 2, 3, 4)))
    a, b = forward(model.spec, fields), forward(loaded, fields)
    assert np.array_equal(a.num, b.num)
    assert PRAM(lib.program, lib.variant).run((1, 2, 3, 4)).output == (1, 3, 6, 10)


# --- the E-FASP additions the compiled theorems use ------------------------------------------


def _feature_program():
    from apmdm.constructions.efasp import Program
    p = Program("additions", (("a", -8, 7), ("k", -1, 5)), encode=lambda t: t,
                decode=lambda f: f)
    a, k = p.token_field("a"), p.token_field("k")
    bits = [p.token_field_bit("a", b, name=f"a{b}") for b in range(4)]
    blk, slot = p.position_div(3, 2, name="blk"), p.position_mod(3, 2, name="slot")
    sq = p.token_field_sq("k", name="ksq")
    key = p.linear([(k, 1)], 1, name="key")           # k + 1: its square from the embedding
    key_sq = p.linear([(sq, 1), (k, 2)], 1, name="key_sq")
    got = p.rightmost_match(slot, key, a, where=p.compare(blk, ">=", 0, name="w"),
                            default=-3, name="got", key_sq=key_sq)
    recon = p.linear([(b, 1 << i) for i, b in enumerate(bits[:3])] + [(bits[3], -8)],
                     name="recon")
    p.output_fields(p.linear([(got, 1), (recon, 0)], name="o1"),
                    p.linear([(recon, 1), (blk, 0)], name="o2"))
    return p


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(-8, 7), st.integers(-1, 5)), min_size=1, max_size=12))
def test_efasp_additions_compiled_equals_evaluator(st_canvas):
    from apmdm.constructions.efasp import compile_program, evaluate
    p = _feature_program()
    model = compile_program(p, 12)
    canvas = [tuple(t) for t in st_canvas]
    model.check_against(canvas, evaluate(p, canvas, 12))
    assert evaluate(p, canvas, 12)["recon"] == [t[0] for t in canvas]


def test_efasp_key_sq_must_be_the_square():
    from apmdm.constructions.efasp import Program, evaluate
    from apmdm.machines.errors import InvalidEFASPProgramError
    p = Program("bad-sq", (("k", 0, 5),), encode=lambda t: (t,), decode=lambda f: f[0])
    k = p.token_field("k")
    p.output_fields(p.rightmost_match(k, k, k, key_sq=k, name="m"))
    with pytest.raises(InvalidEFASPProgramError, match="key_sq"):
        evaluate(p, [2, 3], 4)

"""The compiled step's speed paths against their references.

* attention without the ``n x n`` scores (:func:`forward` with ``fast=True``) against the dense
  exact pass (``fast=False``): on random heads (ties forced by small value ranges) and on every
  compiled construction (library PRAM programs under Theorems 1 and 4, parity, the E-FASP
  examples, Theorem 3 compiled), residual streams compared exactly;
* the incremental canvas encode against the full encode;
* the sparse step output (tokens only where g reads them) against the dense one: same runs;
* the word size fixed by n: an instance that needs more bits is a typed error naming the bound.
"""

from __future__ import annotations

import importlib
import random
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apmdm.checks.compiled import compiled_apmdm_runner, compiled_mdm_runner
from apmdm.checks.pram_cases import PramCase, check_case
from apmdm.constructions.efasp import compile_program
from apmdm.constructions.efasp.programs import EXAMPLES, random_canvas
from apmdm.constructions.pram.compiled.apmdm import compile_apmdm_efasp
from apmdm.constructions.pram.compiled.common import default_word_bits
from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
from apmdm.constructions.tasks.parity import BOS
from apmdm.constructions.tasks.parity_compiled import compile_parity
from apmdm.machines.errors import InvalidArgumentError, WordSizeExceeded
from apmdm.machines.pram.library import LIBRARY
from apmdm.machines.process import GenerationProcess, Limits, Model
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer import forward
from apmdm.machines.transformer.embedding import IncrementalEncoder, TokenCodec

fw = importlib.import_module("apmdm.machines.transformer.forward")


@pytest.fixture
def always_fast(monkeypatch):
    """Take the fast paths at every size (by default small heads stay dense)."""
    monkeypatch.setattr(fw, "FAST_MIN_WORK", 0)
    monkeypatch.setattr(fw, "FAST_COST_FACTOR", 0.0)


def dense_sums(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool):
    s = q @ k.T
    if causal:
        s[np.triu_indices(len(q), 1)] = -np.inf
    a = (s == s.max(axis=1, keepdims=True)).astype(np.float64)
    return a @ v, a.sum(axis=1)


@st.composite
def scalar_query_heads(draw):
    """Distinct queries varying in one column (the others constant), integer keys and values
    from small ranges (many ties), or a constant query with a causal mask."""
    causal = draw(st.booleans())
    n = draw(st.integers(1, 24))
    d = draw(st.integers(1, 4))
    lo, hi = draw(st.sampled_from([(-2, 2), (-5, 5), (0, 3), (-40, 40)]))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    k = rng.integers(lo, hi + 1, size=(n, d)).astype(np.float64)
    v = rng.integers(-9, 10, size=(n, draw(st.integers(0, 3)))).astype(np.float64)
    row = rng.integers(lo, hi + 1, size=d).astype(np.float64)
    if causal:
        return np.tile(row, (n, 1)), k, v, True
    col = draw(st.integers(0, d - 1))
    m = draw(st.integers(2, 12))
    a = rng.choice(np.arange(-30, 31), size=min(m, 61), replace=False).astype(np.float64)
    q = np.tile(row, (len(a), 1))
    q[:, col] = a
    return q, k, v, False


@settings(max_examples=100, deadline=None, derandomize=True)
@given(scalar_query_heads())
def test_fast_sums_equal_dense(case):
    q, k, v, causal = case
    with patch.object(fw, "FAST_MIN_WORK", 0), patch.object(fw, "FAST_COST_FACTOR", 0.0):
        got = fw._fast_sums(q, k, v, causal, None)
    assert got is not None
    want = dense_sums(q, k, v, causal)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_fast_path_only_where_cheaper():
    assert not fw._fast_is_cheaper(256, 27648, 66)    # few distinct queries: dense blocks
    assert fw._fast_is_cheaper(3072, 3072, 66)


def test_fast_sums_refuse_other_queries(always_fast):
    q = np.array([[1.0, 2.0], [3.0, 4.0]])   # two varying columns
    k = np.ones((5, 2))
    assert fw._fast_sums(q, k, np.ones((5, 1)), False, None) is None
    assert fw._fast_sums(q, k, np.ones((5, 1)), True, None) is None


def test_envelope_tie_between_groups():
    """a = 0 ties every group with the same b: the whole key set is the arg-max set."""
    a = np.array([-1.0, 0.0, 1.0])
    x = np.array([-2.0, -1.0, 0.0, 1.0, 2.0])
    b = np.zeros(5)
    v = np.arange(5.0)[:, None]
    total, count = fw._envelope_sums(a, x, b, v, None)
    assert count.tolist() == [1, 5, 1] and total[:, 0].tolist() == [0, 10, 4]


def assert_same_pass(spec, fields) -> None:
    fast, dense = forward(spec, fields), forward(spec, fields, fast=False)
    assert np.array_equal(fast.num, dense.num)
    assert np.array_equal(np.broadcast_to(fast.den, fast.num.shape),
                          np.broadcast_to(dense.den, dense.num.shape))


def run_canvases(process: GenerationProcess, canvas, limits, every: int = 1) -> list:
    out = [canvas]
    for i, rec in enumerate(process.run_stepwise(canvas, limits)):
        if i % every == 0:
            out.append(rec.after)
    return out


LIBRARY_N = {"prefix-sum": 8, "list-rank": 8, "bitonic-sort": 8, "dyck-k": 4}
SLOW = {"bitonic-sort", "dyck-k"}   # wide transformers: a minute or more each


@pytest.mark.parametrize("name", [pytest.param(nm, marks=pytest.mark.slow) if nm in SLOW else nm
                                  for nm in sorted(LIBRARY_N)])
def test_fast_attention_on_compiled_pram(name, always_fast):
    lib, n = LIBRARY[name], LIBRARY_N[name]
    bounds = lib.bounds.at(n)
    inputs = lib.make_input(n, random.Random(1))
    t1 = compile_mdm_efasp(lib.program, n, bounds.time, lib.variant, max(bounds.memory, 1))
    t4 = compile_apmdm_efasp(lib.program, n, max(bounds.memory, 1), bounds.time, lib.variant)
    for con, limits in ((t1, t1.limits()), (t4, t4.limits())):
        canvases = run_canvases(con.process(), con.initial_canvas(inputs), limits, every=3)
        codec = con.compiled.transformer.codec
        for c in canvases:
            assert_same_pass(con.compiled.spec, codec.encode_canvas(c))


def test_fast_attention_on_parity_and_examples(always_fast):
    par = compile_parity(12)
    rng = random.Random(3)
    for _ in range(3):
        canvas = (BOS,) + tuple(rng.choice((0, 1, MASK)) for _ in range(11))
        try:
            fields = par.transformer.codec.encode_canvas(canvas)
        except InvalidArgumentError:
            continue
        assert_same_pass(par.spec, fields)
    for name in sorted(EXAMPLES):
        build, _task = EXAMPLES[name]
        model = compile_program(build(16), 16)
        for _ in range(2):
            canvas = random_canvas(name, 16, 16, rng)
            assert_same_pass(model.spec, model.transformer.codec.encode_canvas(canvas))


def test_fast_attention_on_theorem3_compiled(always_fast):
    from apmdm.checks.theorem3_compiled import ao_program, ao_program_instances
    from apmdm.constructions.masked_arm.compiled import compile_masked_arm

    @settings(max_examples=6, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(ao_program_instances())
    def prop(inst):
        spec, canvas = inst
        prog = ao_program(spec)
        ao = compile_program(prog, len(canvas))
        assert_same_pass(ao.spec, ao.transformer.codec.encode_canvas(canvas))
        arm = compile_masked_arm(prog, len(canvas), spec.eos)
        sim = arm.simulation(canvas)
        for c in run_canvases(sim.process, sim.canvas, Limits(max_steps=4 * len(canvas)))[:4]:
            assert_same_pass(arm.transformer.spec, arm.transformer.codec.encode_canvas(c))

    prop()


# --- incremental encode -----------------------------------------------------------------------


def small_codec() -> TokenCodec:
    return TokenCodec(("a", "b"), ((0, 9), (-5, 5)), lambda t: (t[0], t[1]),
                      lambda f: (f[0], f[1]))


tokens = st.one_of(st.just(MASK), st.tuples(st.integers(0, 9), st.integers(-5, 5)))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.lists(tokens, max_size=10), min_size=1, max_size=6), st.randoms())
def test_incremental_encode_equals_full(canvases, rnd):
    codec, enc = small_codec(), IncrementalEncoder(small_codec())
    prev: list = []
    for c in canvases:
        # keep some objects identical to the previous canvas, as a generation step does
        c = [prev[i] if i < len(prev) and rnd.random() < 0.5 else t for i, t in enumerate(c)]
        assert np.array_equal(enc.encode(tuple(c)), codec.encode_canvas(c))
        prev = c


def test_incremental_encode_rejects_and_recovers():
    enc = IncrementalEncoder(small_codec())
    good = ((1, 1), MASK, (2, 2))
    enc.encode(good)
    with pytest.raises(InvalidArgumentError, match="position 2"):
        enc.encode(((3, 3), MASK, (2, 99)))
    assert np.array_equal(enc.encode(good), small_codec().encode_canvas(good))


# --- sparse step output and the word size ----------------------------------------------------


def test_sparse_output_gives_the_same_run():
    lib = LIBRARY["prefix-sum"]
    b = lib.bounds.at(8)
    con = compile_mdm_efasp(lib.program, 8, b.time, lib.variant, b.memory)
    start = con.initial_canvas(lib.make_input(8, random.Random(2)))
    sparse = con.process().run(start, con.limits())
    dense = GenerationProcess(Model.MDM, con.compiled.next_step()).run(start, con.limits())
    assert sparse.final == dense.final and sparse.counters == dense.counters
    out = con.compiled.generation_step()(start)
    assert set(out.tokens) == {i for i, t in enumerate(start) if t is MASK} - out.remask


def test_word_size_is_fixed_by_n_and_named_when_exceeded():
    lib = LIBRARY["prefix-sum"]
    b = lib.bounds.at(4)
    con = compile_mdm_efasp(lib.program, 4, b.time, lib.variant, b.memory)
    w = con.word_bits
    assert w == default_word_bits(con.context)      # from n and the declared bounds only
    big = (1 << w, 1, 2, 3)
    case = PramCase("prefix-sum", lib.program, big, lib.variant, 4, b.time, b.memory)
    for runner, theorem in ((compiled_mdm_runner(), "1"), (compiled_apmdm_runner(), "4")):
        row = check_case(theorem, "x", case, runner)
        assert not row.ok and "WordSizeExceeded" in row.detail, row.detail
    with pytest.raises(WordSizeExceeded, match=f"w = {w} bits"):
        con.initial_canvas(big)
    edge = ((1 << w) - 1, 1, 2, -(1 << w))     # fits the word, but the prefix sums leave it
    row = check_case("1", "x", PramCase("prefix-sum", lib.program, edge, lib.variant, 4, b.time,
                                        b.memory), compiled_mdm_runner())
    assert not row.ok and "WordSizeExceeded" in row.detail, row.detail


def row_by_row(codec: TokenCodec, canvas) -> np.ndarray:
    out = np.zeros((len(canvas), 1 + len(codec.field_names)), dtype=np.int64)
    for i, tok in enumerate(canvas):
        codec.encode_into(out, i, tok)
    return out


odd_tokens = st.one_of(tokens, st.tuples(st.sampled_from([True, 1.5, 10, -6, 2 ** 70, "x"]),
                                         st.integers(-5, 5)))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(odd_tokens, max_size=8))
def test_vectorised_encode_equals_row_by_row(canvas):
    """Same array, or the same typed error at the same position, as the scalar encode."""
    codec = small_codec()
    try:
        want = row_by_row(codec, canvas)
    except InvalidArgumentError as exc:
        with pytest.raises(InvalidArgumentError) as got:
            codec.encode_canvas(canvas)
        assert str(got.value) == str(exc)
        return
    assert np.array_equal(codec.encode_canvas(canvas), want)

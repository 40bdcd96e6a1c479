"""The PRAM program library: outputs against independent oracles, declared bounds, variants.

The oracles here are written independently of the library (numpy, networkx, ``sorted``, a
stack recognizer, a sequential list walk) and inputs come from hypothesis strategies, not
from the library's own generators.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.catalogue import Kind, entries
from apmdm.machines.errors import (
    CommonWriteConflictError,
    ConcurrentReadError,
    ConcurrentWriteError,
    InvalidArgumentError,
)
from apmdm.machines.pram import PRAM, PRAMCounters, Variant
from apmdm.machines.pram.expr import clog2
from apmdm.machines.pram.library import LIBRARY, check_bounds, get_program
from apmdm.machines.pram.library.basic import build_prefix_sum
from apmdm.theory.pram_bounds import BOUNDS, ceil_log_int, evaluate
from apmdm.theory.pram_bounds import n as N_SYMBOL

FEW = settings(max_examples=25, deadline=None)


def run(name: str, inputs) -> tuple[int, ...]:
    return get_program(name).run(tuple(inputs)).output


# --- independent oracles -------------------------------------------------------------------


def stack_dyck(word) -> int:
    stack = []
    for sym in word:
        if sym > 0:
            stack.append(sym)
        elif not stack or stack.pop() != -sym:
            return 0
    return int(not stack)


def walk_ranks(nxt) -> tuple[int, ...]:
    def rank(i: int) -> int:
        steps = 0
        while nxt[i] != i:
            i, steps = nxt[i], steps + 1
        return steps
    return tuple(rank(i) for i in range(len(nxt)))


def nx_min_labels(n: int, edges) -> tuple[int, ...]:
    g = nx.Graph()
    g.add_nodes_from(range(n))
    g.add_edges_from(edges)
    label = {}
    for comp in nx.connected_components(g):
        for v in comp:
            label[v] = min(comp)
    return tuple(label[v] for v in range(n))


# --- strategies ----------------------------------------------------------------------------

values = st.lists(st.integers(-1000, 1000), min_size=1, max_size=40)


@st.composite
def linked_lists(draw):
    order = draw(st.permutations(list(range(draw(st.integers(1, 40))))))
    nxt = list(range(len(order)))
    for a, b in zip(order, order[1:], strict=False):
        nxt[a] = b
    return nxt


@st.composite
def graphs(draw):
    n = draw(st.integers(1, 16))
    vertex = st.integers(0, n - 1)
    edges = draw(st.lists(st.tuples(vertex, vertex), min_size=n, max_size=n))
    return n, edges


@st.composite
def matrices(draw, low: int, high: int):
    d = draw(st.integers(1, 4))
    entries = st.lists(st.integers(low, high), min_size=d * d, max_size=d * d)
    return d, draw(entries), draw(entries)


@st.composite
def dyck_words(draw, k: int):
    """Balanced words built by inserting matched pairs, then maybe one symbol changed."""
    if draw(st.booleans()):
        symbols = [t for t in range(-k, k + 1) if t]
        return draw(st.lists(st.sampled_from(symbols), min_size=1, max_size=30))
    word: list[int] = []
    for _ in range(draw(st.integers(1, 15))):
        at, t = draw(st.integers(0, len(word))), draw(st.integers(1, k))
        word[at:at] = [t, -t]
    if draw(st.booleans()):
        word[draw(st.integers(0, len(word) - 1))] = draw(st.sampled_from(
            [t for t in range(-k, k + 1) if t]))
    return word


# --- outputs against oracles ---------------------------------------------------------------


@FEW
@given(values)
def test_prefix_sum_matches_numpy(xs):
    assert run("prefix-sum", xs) == tuple(np.cumsum(xs).tolist())


@FEW
@given(values)
def test_sum_and_seq_sum_match_numpy(xs):
    assert run("sum", xs) == (int(np.sum(xs)),)
    assert run("seq-sum", xs) == (int(np.sum(xs)),)


@FEW
@given(st.lists(st.integers(0, 1), min_size=1, max_size=40))
def test_parity_matches_numpy(bits):
    assert run("parity", bits) == (int(np.bitwise_xor.reduce(bits)),)


@FEW
@given(linked_lists())
def test_list_rank_matches_walk(nxt):
    out = run("list-rank", nxt)
    assert out == walk_ranks(nxt)


@FEW
@given(graphs())
def test_connected_components_match_networkx(graph):
    n, edges = graph
    flat = [v for e in edges for v in e]
    assert run("connected-components", flat) == nx_min_labels(n, edges)


@FEW
@given(values)
def test_bitonic_sort_matches_sorted(xs):
    assert run("bitonic-sort", xs) == tuple(sorted(xs))


@FEW
@given(matrices(-9, 9))
def test_matmul_int_matches_numpy(case):
    d, a, b = case
    expected = (np.array(a).reshape(d, d) @ np.array(b).reshape(d, d)).ravel().tolist()
    assert run("matmul-int", [d, *a, *b]) == tuple(expected)


@FEW
@given(matrices(0, 1))
def test_matmul_bool_matches_numpy(case):
    d, a, b = case
    product = np.array(a).reshape(d, d) @ np.array(b).reshape(d, d)
    assert run("matmul-bool", [d, *a, *b]) == tuple((product > 0).astype(int).ravel().tolist())


@FEW
@given(dyck_words(1))
def test_dyck1_matches_stack(word):
    assert run("dyck1", word) == (stack_dyck(word),)


@settings(max_examples=40, deadline=None)
@given(dyck_words(3))
def test_dyck_k_and_seq_dyck_match_stack(word):
    assert run("dyck-k", word) == (stack_dyck(word),)
    assert run("seq-dyck", word) == (stack_dyck(word),)


def test_connected_components_exhaustive_small_graphs():
    """Every multiset of n edge slots on n <= 4 vertices (all labelings included)."""
    for n in range(1, 5):
        pairs = [(u, v) for u in range(n) for v in range(u, n)]
        for edges in itertools.combinations_with_replacement(pairs, n):
            flat = [x for e in edges for x in e]
            result = get_program("connected-components").run(flat)
            assert result.output == nx_min_labels(n, edges), edges
            assert check_bounds(get_program("connected-components"), n, result.counters).ok


# --- declared bounds -----------------------------------------------------------------------


def sweep(lib, sizes, seed: int = 0) -> None:
    for n in sizes:
        inputs = lib.make_input(n, random.Random(f"{seed}:{lib.name}:{n}"))
        assert len(inputs) == lib.input_length(n) and lib.size_of(len(inputs)) == n
        result = lib.run(inputs)
        assert result.output == lib.oracle(inputs), (lib.name, n)
        verdict = check_bounds(lib, n, result.counters)
        assert verdict.ok, verdict.violations
        if lib.bounds.exact_time:
            assert verdict.measured["T"] == verdict.bound["T"], (lib.name, n)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_bounds_hold_on_small_sizes(name):
    lib = LIBRARY[name]
    limit = 8 if name.startswith("matmul") else 64
    sweep(lib, [n for n in lib.sizes if n <= limit])


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_bounds_hold_on_all_sizes(name):
    lib = LIBRARY[name]
    assert max(lib.sizes) >= (32 if name.startswith("matmul") else 256)
    for seed in range(3):
        sweep(lib, lib.sizes, seed)


def test_slowed_program_is_caught_by_the_bound_check():
    lib = get_program("prefix-sum")
    slowed = replace(lib, program=build_prefix_sum(pad=1))
    for n in (2, 16, 64):
        xs = lib.make_input(n, random.Random(n))
        result = slowed.run(xs)
        assert result.output == lib.oracle(xs)          # still correct, only slower
        verdict = check_bounds(slowed, n, result.counters)
        assert not verdict.ok and verdict.ratios["T"] > 1
        assert any(v.startswith("T = ") for v in verdict.violations)


def test_bound_check_flags_processors_and_memory():
    lib = get_program("dyck-k")
    b = lib.bounds.at(16)
    fine = PRAMCounters(b.time, b.processors, 0, b.memory, 0)
    assert check_bounds(lib, 16, fine).ok
    assert check_bounds(lib, 16, fine).ratios == {"T": 1.0, "P": 1.0, "S": 1.0}
    for bad in (replace(fine, processors=b.processors + 1), replace(fine, memory_span=b.memory + 1),
                replace(fine, time=b.time + 1)):
        assert not check_bounds(lib, 16, bad).ok


def test_ceil_log_is_exact():
    for x in list(range(1, 300)) + [2**20 - 1, 2**20, 2**20 + 1]:
        assert ceil_log_int(x, 2) == clog2(x)
        assert ceil_log_int(x, 3) == next(k for k in range(64) if 3**k >= x)
    for x in list(range(1, 200)) + [3**k for k in range(1, 30)]:
        assert ceil_log_int(x, Fraction(3, 2)) == next(j for j in range(200) if 3**j >= x * 2**j)
    assert evaluate(BOUNDS["prefix-sum"].time, 256) == 12 * 8 + 11
    assert evaluate(BOUNDS["prefix-sum"].time, 257) == 12 * 9 + 11
    assert evaluate(BOUNDS["matmul-int"].processors, 16) == 16**3
    assert evaluate(BOUNDS["sum"].processors, 7) == 4
    assert BOUNDS["sum"].time.free_symbols == {N_SYMBOL}


# --- variants, lock step, registry ---------------------------------------------------------


@pytest.mark.parametrize("name, weaker, inputs, error", [
    ("list-rank", Variant.EREW, [1, 2, 2], ConcurrentReadError),
    ("matmul-int", Variant.EREW, [2] + [1] * 8, ConcurrentReadError),
    ("matmul-bool", Variant.CREW, [2] + [1] * 8, ConcurrentWriteError),
    ("connected-components", Variant.CRCW_COMMON, [0, 1, 1, 2, 2, 0], CommonWriteConflictError),
])
def test_declared_variant_is_needed(name, weaker, inputs, error):
    lib = get_program(name)
    assert lib.run(inputs).output == lib.oracle(inputs)
    with pytest.raises(error):
        lib.run(inputs, variant=weaker)


def test_components_under_arbitrary_crcw_keep_the_partition_not_the_minimum():
    lib = get_program("connected-components")
    edges = [(0, 1), (1, 2), (2, 0)]
    flat = [v for e in edges for v in e]
    arbitrary = lib.run(flat, variant=Variant.CRCW_ARBITRARY).output
    assert len(set(arbitrary)) == 1 and arbitrary != lib.oracle(flat)


@pytest.mark.parametrize("name", sorted(LIBRARY))
def test_every_processor_runs_in_lock_step(name):
    """Every processor is active at every step: balanced branches, uniform trip counts."""
    lib = LIBRARY[name]
    inputs = lib.make_input(lib.sizes[3], random.Random(7))
    pram = PRAM(lib.program, lib.variant)
    p = lib.program.processor_count(len(inputs))
    steps = list(pram.run_stepwise(inputs))
    assert all(s.active == p for s in steps)


def test_get_program_names_the_unknown_and_the_known():
    with pytest.raises(InvalidArgumentError, match="no-such.*known: .*dyck-k"):
        get_program("no-such")
    lib = get_program("sum")
    with pytest.raises(InvalidArgumentError, match="not in the allowed sizes"):
        lib.check_size(10**6)


def test_list_entries_show_every_program_with_bounds_and_variant():
    listed = {e.name: e for e in entries(Kind.PROGRAM)}
    assert set(listed) == set(LIBRARY)
    for name, e in listed.items():
        assert e.kind is Kind.PROGRAM
        assert LIBRARY[name].variant.value in e.summary and "T=" in e.summary


def test_docs_list_every_program_with_its_bounds():
    text = (Path(__file__).resolve().parents[1] / "docs" / "pram-programs.md").read_text()
    for name, lib in LIBRARY.items():
        assert f"`{name}`" in text
        assert str(lib.bounds.time) in text, name


def test_docs_assembly_example_runs_in_its_stated_time():
    import re

    assembly = pytest.importorskip("apmdm.machines.pram.assembly")
    text = (Path(__file__).resolve().parents[1] / "docs" / "pram-programs.md").read_text()
    block = re.search(r"```\n(; tree sum.*?)```", text, re.S)
    assert block is not None
    program = assembly.parse_program(block.group(1), "docs/pram-programs.md")
    for n in (1, 2, 3, 5, 8, 13, 32):
        xs = list(range(-3, n - 3))
        result = PRAM(program, Variant.EREW).run(xs)
        assert result.output == (sum(xs),)
        assert result.counters.time == 14 * clog2(n) + 5


@pytest.mark.slow
def test_connected_components_exhaustive_five_vertices():
    lib = get_program("connected-components")
    pairs = [(u, v) for u in range(5) for v in range(u, 5)]
    for edges in itertools.combinations_with_replacement(pairs, 5):
        flat = [x for e in edges for x in e]
        result = lib.run(flat)
        assert result.output == nx_min_labels(5, edges), edges
        assert check_bounds(lib, 5, result.counters).ok

"""Min-cut graph editing (Edmonds–Karp as AP-MDM edits), verified against networkx."""

from __future__ import annotations

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.suite import CheckOptions
from apmdm.checks.tasks import mincut_rows
from apmdm.constructions.tasks.mincut import (
    HEADER_CUT,
    MINCUT_PROCESS,
    instance_from_edges,
    instance_from_networkx,
    mincut_canvas,
    mincut_context_bound,
    mincut_limits,
    mincut_next_step,
    mincut_step_bound,
    random_instance,
    read_mincut_canvas,
    run_mincut,
)
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Model, StepOutput
from apmdm.machines.tokens import MASK


def _nx_cut_value(inst):
    g = nx.DiGraph()
    g.add_nodes_from(range(inst.n))
    for u, v in inst.edges:
        if u != v:
            g.add_edge(u, v, capacity=g[u][v]["capacity"] + 1 if g.has_edge(u, v) else 1)
    return nx.minimum_cut(g, inst.s, inst.t)[0]


def _assert_correct(inst):
    r = run_mincut(inst)
    assert r.correct, r
    assert r.deleted == _nx_cut_value(inst)
    assert r.steps <= mincut_step_bound(inst, r.flow)
    assert r.max_context <= mincut_context_bound(inst)
    return r


def test_fifty_random_small_graphs():
    for i in range(50):
        _assert_correct(random_instance(4 + i % 9, i))


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 9).flatmap(lambda n: st.tuples(
    st.just(n), st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=30))))
def test_any_edge_list_including_parallel_arcs_and_loops(data):
    n, edges = data
    _assert_correct(instance_from_edges(edges, 0, n - 1, n=n))


def test_final_canvas_is_the_graph_minus_the_cut():
    inst = instance_from_edges([(0, 1), (0, 2), (1, 3), (2, 3), (1, 2)], 0, 3)
    r = MINCUT_PROCESS.run(mincut_canvas(inst), mincut_limits(inst))
    left = read_mincut_canvas(r.final)
    assert left is not None and len(left) == 3
    expected = (HEADER_CUT,) + mincut_canvas(instance_from_edges(left, 0, 3, n=4))[1:]
    assert r.final == expected


def test_networkx_inputs():
    g = nx.DiGraph([("a", "b"), ("b", "c"), ("a", "c")])
    inst = instance_from_networkx(g, "a", "c")
    assert inst.names == ("a", "b", "c") and _assert_correct(inst).deleted == 2
    u = nx.Graph([(0, 1), (1, 2)])  # undirected: two arcs per edge
    inst = instance_from_networkx(u, 0, 2)
    assert len(inst.edges) == 4 and _assert_correct(inst).deleted == 1
    mg = nx.MultiDiGraph([(0, 1), (0, 1), (1, 2)])
    assert _assert_correct(instance_from_networkx(mg, 0, 1)).deleted == 2


def test_already_disconnected_graph_deletes_nothing():
    inst = instance_from_edges([(1, 0), (2, 3)], 0, 3)
    r = _assert_correct(inst)
    assert r.deleted == 0


def test_every_step_keeps_the_context_bound_and_uses_insert():
    inst = random_instance(12, 4)
    inserted = 0
    for rec in MINCUT_PROCESS.run_stepwise(mincut_canvas(inst), mincut_limits(inst)):
        assert len(rec.after) <= mincut_context_bound(inst)
        inserted += len(rec.events.inserted)
    assert inserted == inst.n + len(inst.edges)


@pytest.mark.parametrize("call", [
    lambda: instance_from_edges([(0, 1)], 0, 0),
    lambda: instance_from_edges([(0, -1)], 0, 1),
    lambda: instance_from_edges(["ab"], 0, 1),
    lambda: instance_from_networkx(nx.DiGraph([(0, 1)]), 0, 5),
    lambda: instance_from_networkx([(0, 1)], 0, 1),
    lambda: random_instance(1, 0),
])
def test_bad_input_raises_typed_errors(call):
    with pytest.raises(InvalidArgumentError):
        call()


def test_f_rejects_a_foreign_canvas():
    with pytest.raises(InvalidArgumentError):
        mincut_next_step(("graph", 1, 2))
    with pytest.raises(InvalidArgumentError):
        mincut_next_step(("graph", ("s", 0), ("t", 1), ("v", 0), MASK))


def _spares_one_cut_edge(canvas):
    """Broken: when deleting the cut, it leaves the last cut edge in place."""
    out = mincut_next_step(canvas)
    if 0 in out.remask:
        edges = sorted(p for p in out.remask if type(canvas[p]) is tuple and canvas[p][0] == "e")
        if edges:
            return StepOutput(out.tokens, out.remask - {edges[-1], edges[-1] + 1})
    return out


def test_checker_fails_on_a_broken_process():
    rows = mincut_rows(CheckOptions(quick=True), GenerationProcess(Model.APMDM,
                                                                   _spares_one_cut_edge))
    assert not all(r.ok for r in rows)


def test_checker_passes_on_the_real_process():
    assert all(r.ok for r in mincut_rows(CheckOptions(quick=True)))


@pytest.mark.slow
def test_500_random_graphs_4_to_30_nodes():
    for i in range(500):
        _assert_correct(random_instance(4 + i % 27, 1000 + i))

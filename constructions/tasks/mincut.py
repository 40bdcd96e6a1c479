"""Graph editing: delete a minimum s–t cut with an AP-MDM running Edmonds–Karp as edits.

The paper's graph-edit task [paper]: a directed unit-capacity graph with source s and sink
t; the process runs Edmonds–Karp as edits (BFS layers by remask/fill, augmenting paths flip
edge slots, insert creates slots, then the cut edges are remasked and deleted) and ends with
the graph minus a minimum s–t cut. The canvas encoding and step schedule below are ours.

Canvas [decision]. The plain graph (input, and output with header ``"cut"``)::

    P  ("s", s)  ("t", t)  ("v", 0) … ("v", N-1)  ("e", u1, v1) … ("e", uE, vE)

``P`` is ``"graph"`` (to do) or ``"cut"`` (done); an edge is one wide token. While the
search runs, every vertex token is followed by a *label slot* (BFS distance from s, or
``"-"`` unreached) and every edge token by a *flow slot* (0 or 1).

Schedule (f reads the canvas only; each row is one step):

=====================  =========================================================================
setup 1                plain canvas, ``P = "graph"``: insert a slot after every vertex and edge
setup 2 / reset 2      label of s masked: labels → 0 for s, ``"-"`` otherwise; flows → 0
bfs 1                  no MASK, t unreached, ℓ the largest label: remask the labels of the
                       unreached vertices with a residual arc from a vertex labelled ℓ
bfs 2                  labels masked (not s's): fill ℓ + 1
flip 1                 no MASK, t reached: trace a shortest path back from t (first residual
                       arc into each vertex from the layer below) and remask its flow slots
flip 2 + reset 1       flows masked: flow 0 → 1 on a forward arc (label goes up), 1 → 0 on a
                       backward arc; at the same time remask every label that is not ``"-"``
cleanup 1              no MASK, t unreached and no new vertex: remask P, every slot, and every
                       edge token (u, v) with u reached and v not (the minimum cut)
cleanup 2              P masked: delete every other MASK, fill P with ``"cut"``
done                   plain canvas with ``P = "cut"``: nothing (fixed point)
=====================  =========================================================================

Residual arcs: an edge (u, v) with flow 0 is the arc u → v, with flow 1 the arc v → u.
Unit capacities and shortest augmenting paths make this Edmonds–Karp; at the end the reached
set S is the source side of a minimum cut and every edge from S to its complement is
saturated, so the number of deleted edges equals the maximum flow.

Bounds (F = maximum flow): steps ≤ F·(2N + 1) + 2N + 3, context ≤ initial + N + E.

Input: a networkx ``DiGraph``/``MultiDiGraph``, or an edge list of int pairs. An undirected
``Graph`` is read as two arcs per edge [decision]. Self-loops are kept and never cut;
parallel arcs count with their multiplicity.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import networkx as nx

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput
from apmdm.machines.tokens import MASK, Canvas

HEADER_GRAPH, HEADER_CUT = "graph", "cut"
UNREACHED = "-"
_NOOP = StepOutput({})


@dataclass(frozen=True)
class MinCutInstance:
    """A graph on vertices 0..n-1 (``names[i]`` is the input's name of vertex i)."""

    n: int
    s: int
    t: int
    edges: tuple[tuple[int, int], ...]
    names: tuple[Any, ...]

    def __post_init__(self) -> None:
        if self.n < 2:
            raise InvalidArgumentError(
                f"a min-cut instance needs at least 2 vertices, got {self.n}")
        for name, v in (("s", self.s), ("t", self.t)):
            if not 0 <= v < self.n:
                raise InvalidArgumentError(f"{name} = {v} is not a vertex")
        if self.s == self.t:
            raise InvalidArgumentError("s and t must be different vertices")
        for j, (u, v) in enumerate(self.edges):
            if not (0 <= u < self.n and 0 <= v < self.n):
                raise InvalidArgumentError(
                    f"edge {j} ({u}, {v}) has an endpoint outside 0..{self.n - 1}")


def _int_vertex(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidArgumentError(f"{where}: {value!r} is not a vertex number (an int ≥ 0)")
    return value


def instance_from_edges(edges: Iterable[Sequence[int]], s: int, t: int,
                        n: int | None = None) -> MinCutInstance:
    """Edge list of (u, v) int pairs; vertices 0..n-1 (default n = 1 + largest vertex)."""
    pairs = []
    for j, e in enumerate(edges):
        if isinstance(e, (str, bytes)) or not isinstance(e, Sequence) or len(e) != 2:
            raise InvalidArgumentError(f"edge {j} is {e!r}, not a pair (u, v)")
        pairs.append((_int_vertex(e[0], f"edge {j}"), _int_vertex(e[1], f"edge {j}")))
    s, t = _int_vertex(s, "s"), _int_vertex(t, "t")
    top = max([s, t] + [max(p) for p in pairs])
    size = top + 1 if n is None else n
    return MinCutInstance(size, s, t, tuple(pairs), tuple(range(size)))


def instance_from_networkx(graph: nx.Graph, s: Any, t: Any) -> MinCutInstance:
    """A networkx graph; vertices numbered in sorted order (insertion order if unsortable)."""
    if not isinstance(graph, nx.Graph):
        raise InvalidArgumentError(f"expected a networkx graph, got {type(graph).__name__}")
    nodes = list(graph.nodes)
    try:
        nodes = sorted(nodes)
    except TypeError:
        pass
    index = {v: i for i, v in enumerate(nodes)}
    for name, v in (("s", s), ("t", t)):
        if v not in index:
            raise InvalidArgumentError(f"{name} = {v!r} is not a node of the graph")
    arcs = []
    for u, v in graph.edges():
        arcs.append((index[u], index[v]))
        if not graph.is_directed() and u != v:
            arcs.append((index[v], index[u]))
    return MinCutInstance(len(nodes), index[s], index[t], tuple(arcs), tuple(nodes))


def mincut_canvas(inst: MinCutInstance) -> Canvas:
    return ((HEADER_GRAPH, ("s", inst.s), ("t", inst.t))
            + tuple(("v", i) for i in range(inst.n))
            + tuple(("e", u, v) for u, v in inst.edges))


def _is_item(tok: Any, tag: str) -> bool:
    return type(tok) is tuple and len(tok) >= 2 and tok[0] == tag


class _Layout:
    """Where things are on a canvas: vertex/edge token positions and their slots."""

    def __init__(self, canvas: Canvas):
        if len(canvas) < 3 or not _is_item(canvas[1], "s") or not _is_item(canvas[2], "t"):
            raise InvalidArgumentError("not a min-cut canvas (expected P, (s, ·), (t, ·) first)")
        self.s, self.t = canvas[1][1], canvas[2][1]
        self.vertex_slot: dict[int, int] = {}
        self.edges: list[tuple[int, int, int, int | None]] = []  # (position, u, v, flow slot)
        self.slotted = False
        i, n = 3, len(canvas)
        while i < n:
            tok = canvas[i]
            slot = i + 1 if i + 1 < n and type(canvas[i + 1]) is not tuple else None
            if _is_item(tok, "v"):
                self.vertex_slot[tok[1]] = slot  # type: ignore[assignment]
            elif _is_item(tok, "e"):
                self.edges.append((i, tok[1], tok[2], slot))
            else:
                raise InvalidArgumentError(f"position {i}: {tok!r} is not a vertex or edge token")
            if slot is not None:
                self.slotted = True
                i += 1
            i += 1
        known = self.vertex_slot
        if list(known) != list(range(len(known))) or self.s not in known or \
                self.t not in known or any(u not in known or v not in known
                                           for _, u, v, _ in self.edges):
            raise InvalidArgumentError("min-cut canvas: vertices must be 0..N-1 in order and "
                                       "contain s, t and every edge's endpoints")
        if self.slotted and (None in self.vertex_slot.values()
                             or any(e[3] is None for e in self.edges)):
            raise InvalidArgumentError("min-cut canvas with slots on some items only")

    def labels(self, canvas: Canvas) -> dict[int, Any]:
        return {v: canvas[p] for v, p in self.vertex_slot.items()}

    def arcs(self, canvas: Canvas) -> list[tuple[int, int, int]]:
        """Residual arcs (tail, head, flow-slot position)."""
        out = []
        for _, u, v, slot in self.edges:
            flow = canvas[slot]
            out.append((u, v, slot) if flow == 0 else (v, u, slot))
        return out


def mincut_next_step(canvas: Canvas) -> StepOutput:
    """f for min-cut editing: a pure function of the canvas (schedule in the module docstring)."""
    if canvas and canvas[0] is MASK:  # cleanup 2
        masks = frozenset(i for i in range(1, len(canvas)) if canvas[i] is MASK)
        return StepOutput({0: HEADER_CUT}, delete=masks)
    lay = _Layout(canvas)
    has_mask = MASK in canvas
    if not lay.slotted:
        if canvas[0] == HEADER_GRAPH and not has_mask:
            items = frozenset(range(3, len(canvas)))
            return StepOutput({}, insert=items)
        if canvas[0] == HEADER_CUT and not has_mask:
            return _NOOP
        raise InvalidArgumentError("plain min-cut canvas in an unknown state")
    if has_mask:
        return _fill(lay, canvas)
    return _choose(lay, canvas)


def _fill(lay: _Layout, canvas: Canvas) -> StepOutput:
    labels = lay.labels(canvas)
    masked_flows = [(u, v, slot) for _, u, v, slot in lay.edges if canvas[slot] is MASK]
    if labels[lay.s] is MASK:  # setup 2 / reset 2
        tokens = {p: (0 if v == lay.s else UNREACHED)
                  for v, p in lay.vertex_slot.items() if canvas[p] is MASK}
        tokens.update({slot: 0 for _, _, slot in masked_flows})
        return StepOutput(tokens)
    if masked_flows:  # flip 2, and reset 1 at once
        tokens = {}
        for u, v, slot in masked_flows:
            lu, lv = labels[u], labels[v]
            if type(lu) is not int or type(lv) is not int or abs(lu - lv) != 1:
                raise InvalidArgumentError(f"flow slot {slot} masked off the augmenting path")
            tokens[slot] = 1 if lv == lu + 1 else 0
        reset = frozenset(p for v, p in lay.vertex_slot.items() if labels[v] != UNREACHED)
        return StepOutput(tokens, remask=reset)
    layer = max(lab for lab in labels.values() if type(lab) is int) + 1  # bfs 2
    return StepOutput({p: layer for v, p in lay.vertex_slot.items() if canvas[p] is MASK})


def _choose(lay: _Layout, canvas: Canvas) -> StepOutput:
    labels = lay.labels(canvas)
    arcs = lay.arcs(canvas)
    if type(labels[lay.t]) is int:  # flip 1
        return StepOutput({}, remask=frozenset(_path_slots(lay, labels, arcs)))
    top = max(lab for lab in labels.values() if type(lab) is int)
    new = {b for a, b, _ in arcs if labels[a] == top and labels[b] == UNREACHED}
    if new:  # bfs 1
        return StepOutput({}, remask=frozenset(lay.vertex_slot[v] for v in new))
    reached = {v for v, lab in labels.items() if lab != UNREACHED}  # cleanup 1
    cut = [pos for pos, u, v, _ in lay.edges if u in reached and v not in reached]
    slots = list(lay.vertex_slot.values()) + [slot for *_, slot in lay.edges]
    return StepOutput({}, remask=frozenset([0, *cut, *slots]))


def _path_slots(lay: _Layout, labels: dict[int, Any], arcs: list) -> list[int]:
    into: dict[int, list[tuple[int, int]]] = {}
    for a, b, slot in arcs:
        into.setdefault(b, []).append((a, slot))
    x, out = lay.t, []
    while x != lay.s:
        want = labels[x] - 1
        a, slot = next((a, slot) for a, slot in into.get(x, []) if labels[a] == want)
        out.append(slot)
        x = a
    return out


MINCUT_PROCESS = GenerationProcess(Model.APMDM, mincut_next_step, name="mincut")


def max_flow_value(inst: MinCutInstance) -> int:
    """Reference maximum flow (= minimum cut) from networkx, capacities = arc multiplicities."""
    g = nx.DiGraph()
    g.add_nodes_from(range(inst.n))
    for u, v in inst.edges:
        if u != v:
            cap = g[u][v]["capacity"] + 1 if g.has_edge(u, v) else 1
            g.add_edge(u, v, capacity=cap)
    value, _ = nx.minimum_cut(g, inst.s, inst.t)
    return int(value)


def mincut_step_bound(inst: MinCutInstance, flow: int) -> int:
    return flow * (2 * inst.n + 1) + 2 * inst.n + 3


def mincut_context_bound(inst: MinCutInstance) -> int:
    return 3 + 2 * inst.n + 2 * len(inst.edges)


def mincut_limits(inst: MinCutInstance) -> Limits:
    flow_upper = len(inst.edges)
    return Limits(max_steps=mincut_step_bound(inst, flow_upper) + 8,
                  max_context=mincut_context_bound(inst))


def read_mincut_canvas(canvas: Sequence) -> tuple[tuple[int, int], ...] | None:
    """The edges left on a final canvas (``None`` if it is not a finished plain canvas)."""
    if not canvas or canvas[0] != HEADER_CUT or MASK in canvas:
        return None
    try:
        lay = _Layout(tuple(canvas))
    except InvalidArgumentError:
        return None
    if lay.slotted:
        return None
    return tuple((u, v) for _, u, v, _ in lay.edges)


def random_instance(n: int, seed: int) -> MinCutInstance:
    """A random directed graph on ``n`` vertices (arc probability drawn per graph so the
    average out-degree is 1–4), s = 0, t = n - 1; deterministic in ``seed``."""
    if n < 2:
        raise InvalidArgumentError(f"a min-cut instance needs at least 2 vertices, got {n}")
    rng = random.Random(f"mincut-{n}-{seed}")
    p = min(1.0, rng.uniform(1.0, 4.0) / max(1, n - 1))
    edges = tuple((u, v) for u in range(n) for v in range(n) if u != v and rng.random() < p)
    return MinCutInstance(n, 0, n - 1, edges, tuple(range(n)))


@dataclass(frozen=True)
class MinCutRun:
    n: int
    edges: int
    flow: int                 # reference maximum flow (networkx)
    deleted: int | None       # edges the process deleted (None: bad final canvas)
    disconnected: bool        # s cannot reach t on the final graph
    subgraph: bool            # the final edges are a sub-multiset of the input's
    steps: int
    max_context: int
    tokens_written: int
    edits: int

    @property
    def correct(self) -> bool:
        return self.subgraph and self.disconnected and self.deleted == self.flow


def check_final(inst: MinCutInstance, final: Sequence) -> tuple[int | None, bool, bool]:
    """(deleted count, s–t disconnected, final ⊆ input) for a final canvas, independently."""
    left = read_mincut_canvas(final)
    if left is None:
        return None, False, False
    pool: dict[tuple[int, int], int] = {}
    for e in inst.edges:
        pool[e] = pool.get(e, 0) + 1
    for e in left:
        pool[e] = pool.get(e, 0) - 1
    subgraph = all(c >= 0 for c in pool.values())
    g = nx.DiGraph()
    g.add_nodes_from(range(inst.n))
    g.add_edges_from(left)
    return len(inst.edges) - len(left), not nx.has_path(g, inst.s, inst.t), subgraph


def run_mincut(inst: MinCutInstance, process: GenerationProcess = MINCUT_PROCESS) -> MinCutRun:
    result = process.run(mincut_canvas(inst), mincut_limits(inst))
    deleted, disconnected, subgraph = check_final(inst, result.final) if result.halted else (
        None, False, False)
    c = result.counters
    return MinCutRun(inst.n, len(inst.edges), max_flow_value(inst), deleted, disconnected,
                     subgraph, c.steps, c.max_context, c.tokens_written,
                     c.unmasks + c.remasks + c.inserts + c.deletes)


# -- inspection --------------------------------------------------------------------------------

MINCUT_SCHEMA = {
    "construction": "mincut",
    "layout": "P (s, i) (t, i) then vertex tokens (v, i) and edge tokens (e, u, v), each "
              "followed by its slot (label for a vertex, flow for an edge) during the search",
    "kinds": [
        {"name": "edge", "match": {"type": "list", "length": 3, "tag": "e"},
         "fields": [["tag", "e"], ["u", "tail"], ["v", "head"]]},
        {"name": "vertex", "match": {"type": "list", "length": 2, "tag": "v"},
         "fields": [["tag", "v"], ["i", "vertex id"]]},
        {"name": "source", "match": {"type": "list", "length": 2, "tag": "s"},
         "fields": [["tag", "s"], ["i", "source vertex"]]},
        {"name": "sink", "match": {"type": "list", "length": 2, "tag": "t"},
         "fields": [["tag", "t"], ["i", "sink vertex"]]},
        {"name": "slot value", "match": {"type": "int"},
         "fields": [["value", "BFS label of a vertex, or flow 0/1 of an edge"]]},
        {"name": "word", "match": {"type": "str"},
         "fields": [["word", "'graph' / 'cut' (phase token P) or '-' (unreached vertex)"]]},
    ],
}


def mincut_state(canvas: Sequence) -> dict:
    """The graph a canvas encodes: phase token, source/sink, BFS labels, edges with flows."""
    lay = _Layout(tuple(canvas))
    labels = lay.labels(tuple(canvas)) if lay.slotted else {}

    def show(tok: Any) -> Any:
        return None if tok is MASK else tok

    return {"phase": show(canvas[0]), "s": lay.s, "t": lay.t,
            "labels": [show(labels.get(v)) for v in range(len(lay.vertex_slot))],
            "edges": [{"u": u, "v": v, "flow": show(canvas[slot]) if slot is not None else None}
                      for _, u, v, slot in lay.edges]}

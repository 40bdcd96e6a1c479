"""Connected components by star hooking and pointer jumping (Awerbuch–Shiloach), CRCW.

Input: an undirected graph on vertices ``0 .. n-1`` given as exactly n edge slots, the edge
list ``u_0, v_0, u_1, v_1, ...`` at addresses ``0 .. 2n-1`` (input length 2n). Unused slots
hold self-loops ``(u, u)``, which connect nothing. (A graph with more edges than vertices is
encoded by adding isolated padding vertices; our decision, because the output region must be
a function of the input length.) Output region ``(2n, n)``: for every vertex the minimum vertex
id of its connected component.

Processors: 2n, one per arc; processor p owns arc ``E[p] -> E[p xor 1]`` and, if p < n,
vertex p. Memory: ``D`` (parent pointers, then the labels) at 2n.., ``STAR`` (star flags,
reused for the minimum labels) at 3n.., a change flag at 4n.

Each iteration (62 steps, see :mod:`theory.pram_bounds`):

1. flag = 0; compute star flags (a vertex is in a star iff its tree has height <= 1);
2. conditional star hooking: for arc (u, v) with u in a star and D[v] < D[u]: D[D[u]] = D[v];
3. recompute star flags;
4. unconditional star hooking: u in a star and D[v] != D[u]: D[D[u]] = D[v];
5. shortcut: D[w] = D[D[w]];
6. if nothing changed in 2, 4 or 5 (flag still 0): stop.

Concurrent writes of different values to D[D[u]] need an arbitrary-CRCW rule (any winner is
correct). Finally the component minimum: vertex processor p writes w = n-1-p into
``M[D[w]]``; under Priority-CRCW the highest processor id, i.e. the smallest w, wins. That
last step is why the declared variant is crcw-priority; under crcw-arbitrary the partition is
still right but the labels are not the minimum ids.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import networkx as nx

from apmdm.machines.pram.library import kit


def _star(a: kit.Asm, r: dict) -> None:
    """star[w] = 1; if D[w] != D[D[w]]: star[w] = star[D[D[w]]] = 0; star[w] &= star[D[w]]."""
    one, zero, sw, dw, db, sb = r["one"], r["zero"], r["sw"], r["dw"], r["db"], r["sb"]
    d, dd, c, t, s1, s2 = r["tmp"]
    a.store(sw, 0, one).load(d, dw, 0).add(t, db, d).load(dd, t, 0).ne(c, d, dd)
    a.when(c, lambda: a.store(sw, 0, zero).add(t, sb, dd).store(t, 0, zero))
    a.load(s1, sw, 0).add(t, sb, d).load(s2, t, 0).and_(s1, s1, s2).store(sw, 0, s1)


def _hook(a: kit.Asm, r: dict, cmp_op: str) -> None:
    """For arc (u, v): if star[u] and D[v] cmp D[u]: D[D[u]] = D[v]; flag = 1."""
    du, dv, su, c, t = r["tmp"][:5]
    a.load(du, r["dU"], 0).load(dv, r["dV"], 0).load(su, r["sU"], 0)
    getattr(a, cmp_op)(c, dv, du).and_(c, c, su)
    a.when(c, lambda: a.add(t, r["db"], du).store(t, 0, dv).store(r["fa"], 0, r["one"]))


def build_connected_components():
    a = kit.Asm("connected-components", processors="max(1, n)", output=("n", "n/2"))
    p = a.PID
    (length, zero, one, two, nv, db, sb, fa, isv, w, dw, sw,
     u, q, v, dU, dV, sU, f, wr) = a.alloc(20)
    r = {"one": one, "zero": zero, "sw": sw, "dw": dw, "db": db, "sb": sb, "fa": fa,
         "dU": dU, "dV": dV, "sU": sU, "tmp": a.alloc(6)}
    d, dd, c, t, m = r["tmp"][:5]
    # setup (20 steps); n/2 by a shift, so the compiled transformers (no div gadget) cover it
    a.nin(length).const(zero, 0).const(one, 1).const(two, 2).shr(nv, length, one)
    a.mov(db, length).add(sb, db, nv).add(fa, sb, nv)
    a.lt(isv, p, nv).mul(w, p, isv).add(dw, db, w).add(sw, sb, w)  # w = p, or 0 if p >= n
    a.load(u, p, 0).xor(q, p, one).load(v, q, 0)
    a.add(dU, db, u).add(dV, db, v).add(sU, sb, u)
    a.store(dw, 0, w)                                                # D[w] = w
    # one iteration (62 steps)
    a.label("iterate").store(fa, 0, zero)
    _star(a, r)
    _hook(a, r, "lt")
    _star(a, r)
    _hook(a, r, "ne")
    a.load(d, dw, 0).add(t, db, d).load(dd, t, 0).ne(c, d, dd).and_(c, c, isv)
    a.when(c, lambda: a.store(dw, 0, dd).store(fa, 0, one))
    a.load(f, fa, 0).jnz(f, "iterate")
    # minimum label per component (14 steps): M[D[w]] = w, smallest w wins; D[p] = M[D[p]]
    a.sub(wr, nv, one).sub(wr, wr, p)
    a.when(isv, lambda: a.add(t, db, wr).load(d, t, 0).add(t, sb, d).store(t, 0, wr))
    a.when(isv, lambda: a.load(d, dw, 0).add(t, sb, d).load(m, t, 0).store(dw, 0, m))
    return a.build()


def random_graph(n: int, rng: random.Random) -> tuple[int, ...]:
    """n edge slots on n vertices, from a mix of families (sparse random, paths, cycles)."""
    family = rng.choice(("random", "random", "path", "cycles"))
    perm = list(range(n))
    rng.shuffle(perm)
    edges: list[tuple[int, int]] = []
    if family == "random":
        m = rng.randint(0, n)
        edges = [(rng.randrange(n), rng.randrange(n)) for _ in range(m)]
    elif family == "path":
        cut = rng.randint(1, n)
        edges = [(perm[i], perm[i + 1]) for i in range(cut - 1)]
    else:
        start = 0
        while start < n:
            size = rng.randint(1, max(1, n // 3))
            block = perm[start:start + size]
            edges += [(block[i], block[(i + 1) % len(block)]) for i in range(len(block))]
            start += size
        edges = edges[:n]
    edges += [(x, x) for x in (rng.randrange(n) for _ in range(n - len(edges)))]
    rng.shuffle(edges)
    flat: list[int] = []
    for x, y in edges:
        flat += [x, y] if rng.random() < 0.5 else [y, x]
    return tuple(flat)


def oracle_components(inputs: Sequence[int]) -> tuple[int, ...]:
    """Minimum vertex id of each vertex's component, via networkx.connected_components."""
    n = len(inputs) // 2
    graph = nx.Graph()
    graph.add_nodes_from(range(n))
    graph.add_edges_from(zip(inputs[0::2], inputs[1::2], strict=True))
    label = [0] * n
    for comp in nx.connected_components(graph):
        low = min(comp)
        for vertex in comp:
            label[vertex] = low
    return tuple(label)

"""List ranking by pointer jumping (Wyllie), CREW, O(log n).

Input: ``next[0..n-1]`` at addresses ``0 .. n-1``; ``next[i]`` is the successor of node i and
a tail points to itself (the input may be a forest of lists; the generator makes one list).
Output region ``(n, n)``: ``rank[i]`` = number of links from i to the tail of its list.

Processor i: ``rank[i] = 0 if next[i] == i else 1``; then ``clog2(n)`` rounds of
``rank[i] += rank[next[i]]; next[i] = next[next[i]]``. After round r every pointer spans
2^r links (or ends at the tail), and a list has at most n-1 links, so clog2(n) rounds
suffice. Several processors read the tail's cells in one step: concurrent reads, CREW.
The ``next`` array is overwritten in place.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from apmdm.machines.pram.library import kit


def build_list_rank():
    a = kit.Asm("list-rank", processors="max(1, n)", output=("n", "n"))
    p = a.PID
    length, nx, r, ra, s, c, t, rn, nn = a.alloc(9)
    a.nin(length)
    a.load(nx, p, 0).ne(r, nx, p).add(ra, length, p).store(ra, 0, r).const(s, 1)
    a.label("round").lt(c, s, length).jz(c, "end")
    a.add(t, length, nx).load(rn, t, 0).load(nn, nx, 0)
    a.add(r, r, rn).store(ra, 0, r).store(p, 0, nn).mov(nx, nn)
    a.add(s, s, s).jmp("round")
    a.label("end")
    return a.build()


def random_list(n: int, rng: random.Random) -> tuple[int, ...]:
    """One list through all n nodes in a random order."""
    order = list(range(n))
    rng.shuffle(order)
    nxt = [0] * n
    for a, b in zip(order, order[1:], strict=False):
        nxt[a] = b
    if n:
        nxt[order[-1]] = order[-1]
    return tuple(nxt)


def oracle_list_rank(inputs: Sequence[int]) -> tuple[int, ...]:
    """Walk each list to its tail (sequential, memoised)."""
    n = len(inputs)
    rank: list[int | None] = [None] * n
    for start in range(n):
        path = []
        node = start
        while rank[node] is None and inputs[node] != node:
            path.append(node)
            node = inputs[node]
            if len(path) > n:
                raise ValueError("list-rank input contains a cycle")
        base = 0 if inputs[node] == node and rank[node] is None else rank[node]
        if rank[node] is None:
            rank[node] = 0
        for k, v in enumerate(reversed(path), start=1):
            rank[v] = base + k
    return tuple(int(v) for v in rank)

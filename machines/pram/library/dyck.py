"""Dyck-language recognition: Dyck-1 (EREW, O(log n)), Dyck-k (EREW, O(log² n)), sequential.

Input: a word of length n >= 1 at ``0 .. n-1``; bracket type t >= 1 opens as ``t`` and closes
as ``-t`` (Dyck-1 uses only +1 / -1). Output region ``(n, 1)``: 1 if the word is well
nested (every prefix has at least as many opens as closes, the totals are equal and, for
Dyck-k, every close has the type of the open it matches), else 0. Symbols outside
``{±1, ..., ±k}`` (in particular 0) are outside the programs' domain.

``dyck1``: h = inclusive prefix sums (Hillis–Steele scan, in place); processor n-1 replaces
h[n-1] by -|h[n-1]|; the word is balanced iff the minimum (tree reduction) is >= 0.

``dyck-k`` (our algorithm; all phases EREW):

1. s_i = sign(x_i); h = prefix sums of s (scan); the skeleton is Dyck-1 iff every h_i >= 0
   and h_{n-1} = 0.
2. level_i = h_i for an open, h_i + 1 for a close (the depth *inside* the pair), and the
   sort key ``key_i = level_i · n + i``.
3. Bitonic sort of the keys. If the skeleton is Dyck-1, the positions of one level, in order,
   alternate open, close, open, close, ... and each open is matched by the close right after
   it (between an open at level L and its match the height stays >= L, so no other level-L
   symbol occurs). Each level has an even number of positions, so in the sorted order the
   pairs (0,1), (2,3), ... are exactly the matched pairs.
4. Processor 2t checks x[key_{2t} mod n] + x[key_{2t+1} mod n] = 0 (the types match).
5. ok_i = skeleton test ∧ pair test; an AND (min) reduction gives the answer.

``seq-dyck``: one processor with a stack in memory (at n+1 ..), early exit on a mismatch.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from apmdm.machines.pram.isa import Op, ProgramBuilder
from apmdm.machines.pram.library import kit


def build_dyck1():
    a = kit.Asm("dyck1", processors="max(1, n)", output=("n", 1))
    p = a.PID
    length, zero, last, c, x, y = a.alloc(6)
    a.nin(length).const(zero, 0)
    kit.scan(a, Op.ADD, zero, length)
    a.addi(last, length, -1).eq(c, p, last)
    a.when(c, lambda: a.load(x, p, 0).sub(y, zero, x).min(x, x, y).store(p, 0, x))
    kit.reduce(a, Op.MIN, zero, length)
    a.eq(c, p, zero)
    a.when(c, lambda: a.load(x, zero, 0).le(x, zero, x).store(length, 0, x))
    return a.build()


def build_dyck_k():
    a = kit.Asm("dyck-k", processors="max(1, n)", output=("n", 1))
    p = a.PID
    (length, zero, one, hb, kb, ob, x, pos, neg, s, ha, h, key, ka, okv, last, c, c2,
     t, u, v, oa) = a.alloc(22)
    a.nin(length).const(zero, 0).const(one, 1)
    a.addi(hb, length, 1).add(kb, hb, length).add(ob, kb, length)     # H, K, OK bases
    a.load(x, p, 0).lt(pos, zero, x).lt(neg, x, zero).sub(s, pos, neg)
    a.add(ha, hb, p).store(ha, 0, s)
    kit.scan(a, Op.ADD, hb, length)
    a.load(h, ha, 0).add(key, h, neg).mul(key, key, length).add(key, key, p)
    a.add(ka, kb, p).store(ka, 0, key)
    a.le(okv, zero, h)                                                  # h_i >= 0
    a.addi(last, length, -1).ne(c, p, last).eq(c2, h, zero).or_(c, c, c2).and_(okv, okv, c)
    kit.bitonic_sort(a, kb, length)
    a.and_(c, p, one).eq(c, c, zero).addi(t, p, 1).lt(c2, t, length).and_(c, c, c2)
    a.when(c, lambda: a.load(u, ka, 0).load(v, ka, 1).mod(u, u, length).mod(v, v, length)
           .load(u, u, 0).load(v, v, 0).add(u, u, v).eq(u, u, zero).and_(okv, okv, u))
    a.add(oa, ob, p).store(oa, 0, okv)
    kit.reduce(a, Op.MIN, ob, length)
    a.eq(c, p, zero)
    a.when(c, lambda: a.load(u, ob, 0).store(length, 0, u))
    return a.build()


def build_seq_dyck():
    """Stack check, one processor; registers start at 0 (sp = i = 0, zero = 0)."""
    b = ProgramBuilder("seq-dyck", processors=1, output=("n", 1), registers=8)
    length, i, sp, zero, c, x, t, y = range(8)
    b.nin(length)
    b.label("loop").lt(c, i, length).jz(c, "done")
    b.load(x, i, 0).addi(i, i, 1).lt(c, x, zero).jnz(c, "close")
    b.add(t, length, sp).store(t, 1, x).addi(sp, sp, 1).jmp("loop")     # push an open
    b.label("close").jz(sp, "reject")
    b.add(t, length, sp).load(y, t, 0).addi(sp, sp, -1).add(y, y, x).jz(y, "loop")
    b.label("reject").halt()                                            # output cell stays 0
    b.label("done").eq(c, sp, zero).store(length, 0, c)
    return b.build()


def random_dyck(n: int, k: int, rng: random.Random) -> tuple[int, ...]:
    """Often a well-nested word (n even), sometimes with one symbol changed; else a random word."""
    word: list[int] = []
    if n % 2 == 0 and rng.random() < 0.75:
        stack: list[int] = []
        for pos in range(n):
            left = n - pos
            if stack and (len(stack) == left or rng.random() < 0.5):
                word.append(-stack.pop())
            else:
                stack.append(rng.randint(1, k))
                word.append(stack[-1])
        if rng.random() < 0.4 and n:
            at = rng.randrange(n)
            word[at] = rng.choice([t for t in range(-k, k + 1) if t != 0])
    else:
        word = [rng.choice([t for t in range(-k, k + 1) if t != 0]) for _ in range(n)]
    return tuple(word)


DYCK_K_TYPES = 3


def random_dyck1(n: int, rng: random.Random) -> tuple[int, ...]:
    return random_dyck(n, 1, rng)


def random_dyck_k(n: int, rng: random.Random) -> tuple[int, ...]:
    return random_dyck(n, DYCK_K_TYPES, rng)


def oracle_dyck(inputs: Sequence[int]) -> tuple[int, ...]:
    """Stack recognizer: accept iff every close matches the type of the innermost open."""
    stack: list[int] = []
    for sym in inputs:
        if sym > 0:
            stack.append(sym)
        elif sym < 0 and stack and stack[-1] == -sym:
            stack.pop()
        else:
            return (0,)
    return (int(not stack),)

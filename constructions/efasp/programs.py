"""Example E-FASP programs (the classic first tasks of program-to-transformer compilers),
each with a plain-Python reference of the task itself.

Each builder takes ``max_length`` (some programs size their token domain by it) and returns
a :class:`~apmdm.constructions.efasp.lang.Program` whose output token at every position is:

* ``length``: the canvas length;
* ``count``: how many tokens equal 1 (tokens 0..3);
* ``histogram``: how many tokens equal mine (tokens 0..3);
* ``reverse``: the token at the mirrored position ``L - 1 - i`` (tokens 0..9);
* ``sort``: the ``i``-th smallest key (distinct keys from ``[0, max_length)``), with
  O(log n) width and constant depth. With ``B`` key bits, ``key_j < key_i`` iff the keys
  first differ at a bit ``b`` where ``key_i`` has 1 and ``key_j`` has 0, so
  ``rank_i = #{j : key_j < key_i} = sum over the bits b set in key_i of C_b(i)``, where
  ``C_b(i) = #{j : key_j agrees with key_i above bit b and has bit b = 0}`` is one
  ``count_match`` (a selector width: ``B - 1 - b`` bit-equality pairs plus the pair
  ``(0, bit_b)``). Then ``rank_i^2`` is read by a table lookup head (``rank_i < L``, so
  position ``rank_i`` exists and holds ``pos_sq``), and position ``i`` picks the key whose
  rank is ``i`` with ``rightmost_match(pos, rank, key, key_sq=rank^2)``. The bit features
  of the keys are shared by all ``B`` counts, so the width is ``O(B)``;
* ``dyck1``: 1 iff the parenthesis word is balanced (Dyck-1), else 0; uses a prefix mean
  (one causal head) and exact comparisons of means with 0.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from apmdm.constructions.efasp.lang import Program

SMALL_VOCAB = 4


def _int_program(name: str, hi: int, description: str) -> Program:
    return Program(name, (("tok", 0, hi),), encode=lambda t: (t,), decode=lambda f: f[0],
                   description=description)


def length_program(max_length: int) -> Program:
    p = _int_program("length", SMALL_VOCAB - 1, "every position outputs the canvas length")
    pos = p.position("pos")
    p.output_fields(p.linear([(p.seq_max(pos, name="last"), 1)], 1, name="length"))
    return p


def count_program(max_length: int) -> Program:
    p = _int_program("count", SMALL_VOCAB - 1, "every position outputs #{j : tok_j = 1}")
    tok = p.token_field("tok")
    p.output_fields(p.seq_sum(p.compare(tok, "==", 1, name="is1"), name="count"))
    return p


def histogram_program(max_length: int) -> Program:
    p = _int_program("histogram", SMALL_VOCAB - 1,
                     "position i outputs #{j : tok_j = tok_i}")
    tok = p.token_field("tok")
    parts = []
    for v in range(SMALL_VOCAB):
        is_v = p.compare(tok, "==", v, name=f"is{v}")
        c_v = p.seq_sum(is_v, name=f"count{v}")
        parts.append((p.select(is_v, c_v, 0, name=f"mine{v}"), 1))
    p.output_fields(p.linear(parts, name="hist"))
    return p


def reverse_program(max_length: int) -> Program:
    p = _int_program("reverse", 9, "position i outputs tok_{L-1-i}")
    tok, pos = p.token_field("tok"), p.position("pos")
    last = p.seq_max(pos, name="last")
    p.output_fields(p.rightmost_match(last - pos, pos, tok, name="rev"))
    return p


def sort_program(max_length: int) -> Program:
    k_dom = max_length
    p = _int_program("sort", k_dom - 1, "position i outputs the i-th smallest (distinct) key")
    tok, pos = p.token_field("tok"), p.position("pos")
    nbits = max(1, (k_dom - 1).bit_length())
    bits = [p.token_field_bit("tok", b, name=f"bit{b}") for b in range(nbits)]
    less = []
    for b in range(nbits):
        # keys that agree with mine above bit b and have bit b = 0
        pairs = [(bits[c], bits[c]) for c in range(b + 1, nbits)] + [(0, bits[b])]
        below = p.count_match(pairs, name=f"below{b}")
        less.append((p.select(bits[b], below, 0, name=f"less{b}"), 1))
    rank = p.linear(less, name="rank")  # #{j : key_j < key_i}, always < L
    rank_sq = p.rightmost_match(rank, pos, p.position_sq(name="pos_sq"), name="rank_sq")
    p.output_fields(p.rightmost_match(pos, rank, tok, name="sorted", key_sq=rank_sq))
    return p


def dyck1_program(max_length: int) -> Program:
    p = Program("dyck1", (("delta", -1, 1),), encode=lambda t: ({"(": 1, ")": -1}[t],),
                decode=lambda f: f[0], description="1 iff the word is balanced (Dyck-1)")
    delta = p.token_field("delta")
    prefix = p.seq_mean(delta, prefix=True, name="prefix_mean")
    ok = p.compare(prefix, ">=", 0, name="prefix_ok")
    all_ok = p.seq_min(ok, name="all_ok")
    total_zero = p.compare(p.seq_mean(delta, name="mean"), "==", 0, name="total_zero")
    p.output_vocab(p.and_(all_ok, total_zero, name="balanced"), (0, 1))
    return p


# --- plain-Python references of the tasks -----------------------------------------------


def ref_length(canvas: Sequence[Any]) -> list:
    return [len(canvas)] * len(canvas)


def ref_count(canvas: Sequence[Any]) -> list:
    return [sum(1 for t in canvas if t == 1)] * len(canvas)


def ref_histogram(canvas: Sequence[Any]) -> list:
    return [sum(1 for u in canvas if u == t) for t in canvas]


def ref_reverse(canvas: Sequence[Any]) -> list:
    return list(reversed(canvas))


def ref_sort(canvas: Sequence[Any]) -> list:
    return sorted(canvas)


def ref_dyck1(canvas: Sequence[Any]) -> list:
    depth, ok = 0, True
    for t in canvas:
        depth += 1 if t == "(" else -1
        ok = ok and depth >= 0
    return [int(ok and depth == 0)] * len(canvas)


EXAMPLES: dict[str, tuple[Callable[[int], Program], Callable[[Sequence[Any]], list]]] = {
    "length": (length_program, ref_length),
    "count": (count_program, ref_count),
    "histogram": (histogram_program, ref_histogram),
    "reverse": (reverse_program, ref_reverse),
    "sort": (sort_program, ref_sort),
    "dyck1": (dyck1_program, ref_dyck1),
}


def random_canvas(name: str, n: int, max_length: int, rng: Any) -> tuple:
    """A random input for example ``name`` (``rng`` a ``random.Random``)."""
    if name == "sort":
        return tuple(rng.sample(range(max_length), n))
    if name == "dyck1":
        if rng.random() < 0.5:  # a balanced word half of the time
            word, depth = [], 0
            for i in range(n):
                left = n - i
                if depth == 0 or (depth < left and rng.random() < 0.5):
                    word.append("(")
                    depth += 1
                else:
                    word.append(")")
                    depth -= 1
            return tuple(word)
        return tuple(rng.choice("()") for _ in range(n))
    hi = 9 if name == "reverse" else SMALL_VOCAB - 1
    return tuple(rng.randint(0, hi) for _ in range(n))


def build_example(name: str, n: int):
    """Example ``name`` compiled to an exact AHA transformer for canvases of length <= ``n``
    (a :class:`~apmdm.machines.transformer.CompiledTransformer`)."""
    from apmdm.constructions.efasp.compiler import compile_program
    from apmdm.machines.transformer import CompiledTransformer

    compiled = compile_program(EXAMPLES[name][0](n), n)
    base = compiled.transformer
    return CompiledTransformer(base.spec, base.codec, base.name,
                               {"compiled_program": compiled, "stats": dict(compiled.stats)})


"""Compiler pass 2-4: allocate input dimensions, lower aggregations to heads and local maps
to gadgets (an IR of :class:`HeadOp` / :class:`GadgetOp` over named dimensions).

Heads ([decision] score constructions; all scores are integers):

* ``rightmost_match(q, k, v, w)``: ``score_j = 2N q k_j - N k_j^2 + N w_j + j`` where
  ``N = max_length > j``. Since ``2 q k - k^2 = q^2 - (q - k)^2``, a key equal to the query
  beats every other key by at least ``N > j``, the ``where`` bit adds ``N``, and ``+ j``
  breaks ties towards the rightmost position, so the arg-max is one position (a *pick*
  head). It returns ``(v_j, k_j, w_j)``; an equality gadget checks ``k_j == q`` and a select
  gadget returns ``v_j`` or the default. ``k^2`` comes from the embedding for a position
  or token field (``pos_sq``, ``field_sq``) and otherwise from a lookup gadget (width
  reported).
* ``seq_max(x, w)``: ``score_j = x_j + R w_j`` with ``R = hi - lo + 1``: every arg-max key has
  the same ``x`` and ``w``, so the average is exact (pick); ``seq_min`` uses ``-x``.
* ``seq_mean(x, w, prefix)``: ``score_j = w_j`` (0 without where; causal if prefix); values
  ``select(w, x, 0)``: a *mean* head writing a rational dimension.
* ``quotient(a, b)`` (``b >= 1``): ``score_j = (2a - b + 1) j - b j^2`` over the positions
  ``j``, a pick head reading ``j``. As a function of real ``x`` the score is
  ``-b (x - v)^2 + const`` with vertex ``v = (2a - b + 1) / (2b)``. Writing ``a = q b + r``
  with ``0 <= r < b`` gives ``v = q + (2r - b + 1) / (2b)`` and ``|2r - b + 1| <= b - 1 < b``,
  so ``|v - q| < 1/2``: ``q`` is the unique integer nearest the vertex, hence the unique
  arg-max when ``0 <= q <= L - 1``. If ``q < 0`` every position lies right of the vertex and
  ``j = 0`` wins; if ``q >= L`` every position lies left of it and ``j = L - 1`` wins. The
  query ``(2a - b + 1, -b)`` is affine in the arguments (no gadget); the keys are the
  embedding features ``pos`` and ``pos_sq``. Scores are integers bounded by
  ``L |2a - b + 1| + L^2 b`` (the forward pass guards 2^53).
* ``count_match(pairs, w)`` = ``#{j : w_j and k_p(j) == q_p(i) for every pair p}`` (booleans;
  ``m`` pairs), a *selector width* in three parts:

  1. *Anchor and mean head.* ``a_j = [j == 0] = relu(1 - j)``; ``e_j = w_j [j != 0]`` and
     the key features ``f_p(j) = (2 k_p(j) - 1) e_j`` come from ``AND(...) * [j != 0] =
     relu(s) - relu(s - j)`` gadgets (``s`` = the sum of the conjuncts minus (their
     number - 1)). Score ``sum_p (2 q_p(i) - 1) f_p(j) + e_j + (m + 1) a_j``: position 0 scores
     exactly ``m + 1``; ``j != 0`` with ``w_j`` scores ``1 + sum_p (+-1) <= m + 1``, with
     equality iff every pair matches (else ``<= m - 1``); ``j != 0`` without ``w_j``
     scores 0. So the arg-max set is ``A = {0} + {j != 0 : w_j, all pairs match}``, never
     empty, and the mean of the value ``a_j`` is ``r = 1/|A|`` (a rational dimension).
  2. *Conversion head* (rational to integer). ``score_j = -r (j + 1)^2 + 2 (j + 1)``: the
     query ``(r, 1)`` reads the rational ``r`` (allowed: one rational per query, see
     machines/transformer/forward.py, which scales row ``i`` by ``|A_i|`` to integer scores
     ``|A|^2 - (j + 1 - |A|)^2``), keys ``(-(j+1)^2, 2 (j+1))`` from ``pos``, ``pos_sq``.
     ``g(x) = -x^2/|A| + 2x`` is concave with maximum ``|A|`` at ``x = |A|`` and
     ``g(|A| +- 1) = |A| - 1/|A|``, so the arg-max is the one position ``j = |A| - 1``
     (``<= L - 1``, so it exists); a pick head reads ``pos_j = #{j != 0 in A}``.
  3. *Position 0.* A pick head with ``score_j = -j`` fetches ``k_p(0)`` and ``w_0``; the
     mismatches ``xor(q_p, k_p(0))`` (free if one side is a constant) and ``1 - w_0`` add
     up to ``t >= 0``, and ``relu(1 - t) = [t == 0]`` is 1 iff position 0 is counted.
     The count is ``pos_j + [t == 0]``.

  Key features, fetched values and mismatches are cached per affine form, so counts over
  the same keys share them (the sort example's ``B`` counts over ``B`` key bits use
  ``O(B)`` dimensions). Depth: fetch (attention), features and xors (MLP), mean head,
  ``[t == 0]`` (MLP), conversion head: 3 layers. Scores lie in ``[-m, m + 1]`` in the mean
  head and are at most ``|A| 2L + L^2`` (scaled) in the conversion head.
* ``seq_sum(x, w)``: the mean over the whole canvas times ``L`` via ``times_length``, with
  the bits of ``L - 1`` read once per program: ``len.last = seq_max(pos)``, then a pick head
  with ``score_j = 2 last j - j^2`` (unique maximum at ``j = last``) reading ``pos_bit:b``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from apmdm.constructions.efasp import gadgets as G
from apmdm.constructions.efasp.gadgets import Affine, Gadget
from apmdm.constructions.efasp.lang import Node, Program, Type
from apmdm.machines.errors import InvalidEFASPProgramError

ONE = "in.one"


@dataclass(frozen=True)
class HeadOp:
    name: str
    query: tuple[Affine, ...]
    key: tuple[Affine, ...]
    values: tuple[tuple[str, Affine], ...]
    mean: bool
    causal: bool
    note: str


@dataclass(frozen=True)
class GadgetOp:
    dim: str
    gadget: Gadget
    note: str


@dataclass
class Lowered:
    values: dict[str, Affine]
    ops: list
    inputs: dict[str, tuple[str, str]]   # dim -> ("token" | "position", feature)
    rational: set[str]


def _bound(t: Type) -> int:
    b = max(abs(t.lo), abs(t.hi))
    return int(b) if not isinstance(b, Fraction) else int(b.__ceil__())


class Lowering:
    def __init__(self, program: Program, types: dict[str, Type], max_length: int):
        self.p, self.t, self.n = program, types, max_length
        self.values: dict[str, Affine] = {}
        self.ops: list = []
        self.inputs: dict[str, tuple[str, str]] = {}
        self.rational: set[str] = set()
        self.length_bits: list[Affine] | None = None
        self.count_cache: dict[tuple, Affine] = {}   # count_match parts shared across nodes

    def run(self) -> Lowered:
        for nd in self.p.nodes:
            args = [self.values[a] for a in nd.args]
            self.values[nd.name] = getattr(self, "l_" + nd.op)(nd, args)
        return Lowered(self.values, self.ops, self.inputs, self.rational)

    # --- helpers ---
    def input(self, kind: str, feature: str) -> Affine:
        dim = "in." + feature
        self.inputs[dim] = (kind, feature)
        return Affine.dim(dim)

    def one(self) -> Affine:
        self.input("position", "one")
        return Affine()

    def gadget(self, dim: str, g: Gadget, note: str, extra: Affine | None = None) -> Affine:
        extra = Affine() if extra is None else extra
        if g.width == 0:
            return extra + g.const
        self.ops.append(GadgetOp(dim, g, note))
        return extra + Affine.dim(dim)

    def head(self, op: HeadOp) -> None:
        self.one()
        self.ops.append(op)

    def typ(self, nd: Node, k: int) -> Type:
        return self.t[nd.args[k]]

    # --- inputs ---
    def l_token_field(self, nd: Node, a: list) -> Affine:
        return self.input("token", f"field:{nd.params[0]}")

    def l_token_field_sq(self, nd: Node, a: list) -> Affine:
        return self.input("token", f"field_sq:{nd.params[0]}")

    def l_token_field_bit(self, nd: Node, a: list) -> Affine:
        return self.input("token", f"field_bit:{nd.params[0]}:{nd.params[1]}")

    def l_position_div(self, nd: Node, a: list) -> Affine:
        return self.input("position", f"pos_div:{nd.params[0]}:{nd.params[1]}")

    def l_position_mod(self, nd: Node, a: list) -> Affine:
        return self.input("position", f"pos_mod:{nd.params[0]}:{nd.params[1]}")

    def l_position_sq(self, nd: Node, a: list) -> Affine:
        return self.input("position", "pos_sq")

    def l_is_mask(self, nd: Node, a: list) -> Affine:
        return self.input("token", "is_mask")

    def l_position(self, nd: Node, a: list) -> Affine:
        return self.input("position", "pos")

    def l_const(self, nd: Node, a: list) -> Affine:
        return Affine(const=nd.params[0])

    # --- local maps ---
    def l_linear(self, nd: Node, a: list) -> Affine:
        coeffs, const = nd.params
        out = Affine(const=const)
        for c, v in zip(coeffs, a, strict=True):
            out = out + v * c
        return out

    def l_compare(self, nd: Node, a: list) -> Affine:
        d = a[0] - a[1]
        scale = self.n if (self.typ(nd, 0).rational or self.typ(nd, 1).rational) else 1
        op = nd.params[0]
        note = f"{nd.name}: {nd.args[0]} {op} {nd.args[1]}"
        if op == "==" or op == "!=":
            e = self.gadget(nd.name, G.equal_zero(d, scale), note)
            return e if op == "==" else 1 - e
        arg, negate = {">=": (d, False), "<=": (-d, False), ">": (-d, True),
                       "<": (d, True)}[op]
        s = self.gadget(nd.name, G.step(arg, scale), note)
        return 1 - s if negate else s

    def l_max(self, nd: Node, a: list) -> Affine:
        return self.gadget(nd.name, G.relu_of(a[0] - a[1], "max"), f"{nd.name}: max", a[1])

    def l_min(self, nd: Node, a: list) -> Affine:
        return a[0] - self.gadget(nd.name, G.relu_of(a[0] - a[1], "min"), f"{nd.name}: min")

    def _select(self, dim: str, cond: Affine, x: Affine, tx: Type, y: Affine, ty: Type,
                note: str) -> Affine:
        bound = int(max(abs(tx.hi - ty.lo), abs(ty.hi - tx.lo)))
        g, extra = G.select(cond, x, y, bound)
        return self.gadget(dim, g, note, extra)

    def l_select(self, nd: Node, a: list) -> Affine:
        return self._select(nd.name, a[0], a[1], self.typ(nd, 1), a[2], self.typ(nd, 2),
                            f"{nd.name}: select")

    def l_and(self, nd: Node, a: list) -> Affine:
        return a[0] if len(a) == 1 else self.gadget(nd.name, G.and_all(a), f"{nd.name}: and")

    def l_or(self, nd: Node, a: list) -> Affine:
        if len(a) == 1:
            return a[0]
        g, extra = G.or_all(a)
        return self.gadget(nd.name, g, f"{nd.name}: or", extra)

    def l_not(self, nd: Node, a: list) -> Affine:
        return 1 - a[0]

    def l_xor(self, nd: Node, a: list) -> Affine:
        g, extra = G.xor(a[0], a[1])
        return self.gadget(nd.name, g, f"{nd.name}: xor", extra)

    def l_lookup(self, nd: Node, a: list) -> Affine:
        t = self.typ(nd, 0)
        table, default = dict(nd.params[0]), nd.params[1]
        vals = [table.get(k, default) for k in range(t.lo, t.hi + 1)]
        g, extra = G.lookup(a[0], t.lo, vals)
        return self.gadget(nd.name, g, f"{nd.name}: lookup on [{t.lo}, {t.hi}]", extra)

    def l_mul(self, nd: Node, a: list) -> Affine:
        ta, tb = self.typ(nd, 0), self.typ(nd, 1)
        x, y, tx, ty = (a[0], a[1], ta, tb) if ta.hi - ta.lo <= tb.hi - tb.lo else \
            (a[1], a[0], tb, ta)
        conds = [self.gadget(f"{nd.name}.ge{k}", G.step(x - k), f"{nd.name}: [x >= {k}]")
                 for k in range(tx.lo + 1, tx.hi + 1)]
        base = y * tx.lo
        if not conds:
            return base
        g = G.select_sum(conds, [1] * len(conds), y, _bound(ty), "mul")
        return self.gadget(nd.name, g, f"{nd.name}: product (domain {tx.hi - tx.lo + 1})", base)

    # --- aggregations ---
    def square(self, nd: Node, key: Affine, tk: Type) -> Affine:
        """key^2 as an affine form: from the embedding if possible, else a lookup gadget."""
        if not key.terms:
            return Affine(const=key.const ** 2)
        if len(key.terms) == 1:
            dim, c = key.terms[0]
            kind_feature = self.inputs.get(dim)
            sq = None
            if kind_feature == ("position", "pos"):
                sq = self.input("position", "pos_sq")
            elif kind_feature and kind_feature[1].startswith("field:"):
                sq = self.input("token", "field_sq:" + kind_feature[1][6:])
            if sq is not None:
                e = key.const
                return sq * (c * c) + Affine.dim(dim) * (2 * c * e) + e * e
        vals = [k * k for k in range(tk.lo, tk.hi + 1)]
        g, extra = G.lookup(key, tk.lo, vals)
        return self.gadget(f"{nd.name}.keysq", g, f"{nd.name}: key^2 lookup on "
                                                  f"[{tk.lo}, {tk.hi}]", extra)

    def l_rightmost_match(self, nd: Node, a: list) -> Affine:
        q, k, v = a[:3]
        w = a[3] if nd.params[1] else None
        tk, tv, m = self.typ(nd, 1), self.typ(nd, 2), self.n
        has_sq = len(nd.params) > 2 and nd.params[2]
        ksq = a[-1] if has_sq else self.square(nd, k, tk)
        pos = self.input("position", "pos")
        query = [q * (2 * m), Affine(const=-m), Affine(const=1)]
        key = [k, ksq, pos]
        if w is not None:
            query.append(Affine(const=m))
            key.append(w)
        vals = [(f"{nd.name}.val", v), (f"{nd.name}.key", k)]
        if w is not None:
            vals.append((f"{nd.name}.w", w))
        names = nd.args
        note = (f"{nd.name}: rightmost j with {names[1]}_j == {names[0]}_i"
                + (f" and {names[3]}_j" if w is not None else "") + f"; reads {names[2]}_j")
        self.head(HeadOp(nd.name, tuple(query), tuple(key), tuple(vals), False, False, note))
        eq = self.gadget(f"{nd.name}.eq", G.equal_zero(Affine.dim(f"{nd.name}.key") - q),
                         f"{nd.name}: found key == query")
        cond = eq + (Affine.dim(f"{nd.name}.w") - 1 if w is not None else 0)
        d = nd.params[0]
        return self._select(f"{nd.name}.out", cond, Affine.dim(f"{nd.name}.val"), tv,
                            Affine(const=d), Type(d, d), f"{nd.name}: value or default")

    def _extreme(self, nd: Node, a: list, sign: int) -> Affine:
        tx = self.typ(nd, 0)
        has_where = nd.params[1]
        score = a[0] * sign
        if has_where:
            score = score + a[1] * int(tx.hi - tx.lo + 1)
        vals = [(f"{nd.name}.top", a[0])] + ([(f"{nd.name}.any", a[1])] if has_where else [])
        what = "max" if sign > 0 else "min"
        note = (f"{nd.name}: all j with {what} {nd.args[0]}_j"
                + (f" among {nd.args[1]}_j" if has_where else ""))
        self.head(HeadOp(nd.name, (Affine(const=1),), (score,), tuple(vals), False, False, note))
        top = Affine.dim(f"{nd.name}.top")
        if not has_where:
            return top
        d = nd.params[0]
        return self._select(f"{nd.name}.out", Affine.dim(f"{nd.name}.any"), top, tx,
                            Affine(const=d), Type(d, d), f"{nd.name}: value or default")

    def l_quotient(self, nd: Node, a: list) -> Affine:
        x, b = a
        pos = self.input("position", "pos")
        query = (x * 2 - b + 1, -b)
        key = (pos, self.input("position", "pos_sq"))
        note = (f"{nd.name}: the position j nearest ({nd.args[0]} - {nd.args[1]}/2 + 1/2) / "
                f"{nd.args[1]}, i.e. floor({nd.args[0]} / {nd.args[1]}) clamped to [0, L-1]")
        self.head(HeadOp(nd.name, query, key, ((f"{nd.name}.q", pos),), False, False, note))
        return Affine.dim(f"{nd.name}.q")

    def l_seq_max(self, nd: Node, a: list) -> Affine:
        return self._extreme(nd, a, 1)

    def l_seq_min(self, nd: Node, a: list) -> Affine:
        return self._extreme(nd, a, -1)

    def _mean(self, dim: str, nd: Node, x: Affine, w: Affine | None, prefix: bool,
              over_where: bool = True) -> Affine:
        """Mean of ``w ? x : 0`` over the where-set (``over_where``) or over all positions."""
        tx = self.typ(nd, 0)
        if w is not None:
            x = self._select(f"{dim}.xw", w, x, tx, Affine(), Type(0, 0),
                             f"{nd.name}: where ? x : 0")
        score = w if (w is not None and over_where) else Affine()
        note = (f"{nd.name}: mean of {nd.args[0]}_j over "
                + ("j <= i" if prefix else "all j")
                + (f" with {nd.args[1]}_j" if w is not None and over_where else "")
                + (f" (0 where not {nd.args[1]}_j)" if w is not None and not over_where else ""))
        self.head(HeadOp(dim, (Affine(const=1),), (score,), ((dim, x),), True, prefix, note))
        self.rational.add(dim)
        return Affine.dim(dim)

    def l_seq_mean(self, nd: Node, a: list) -> Affine:
        return self._mean(nd.name, nd, a[0], a[1] if nd.params[1] else None, nd.params[0])

    def bits_of_last(self) -> list[Affine]:
        if self.length_bits is None:
            pos = self.input("position", "pos")
            self.head(HeadOp("len.last", (Affine(const=1),), (pos,),
                             (("len.last", pos),), False, False, "len.last: all j with max j"))
            last = Affine.dim("len.last")
            nbits = max(1, (self.n - 1).bit_length())
            vals = tuple((f"len.bit{b}", self.input("position", f"pos_bit:{b}"))
                         for b in range(nbits))
            self.head(HeadOp("len.bits", (last * 2, Affine(const=-1)),
                             (pos, self.input("position", "pos_sq")), vals, False, False,
                             "len.bits: j == len.last; reads the bits of L - 1"))
            self.length_bits = [Affine.dim(f"len.bit{b}") for b in range(nbits)]
        return self.length_bits

    def l_seq_sum(self, nd: Node, a: list) -> Affine:
        w = a[1] if nd.params[0] else None
        mean = self._mean(f"{nd.name}.mean", nd, a[0], w, False, over_where=False)
        bits = self.bits_of_last()
        tx = self.typ(nd, 0)
        bound = max(_bound(tx), 1)
        g = G.select_sum(bits + [Affine(const=1)], [1 << b for b in range(len(bits))] + [1],
                         mean, bound, "times_length")
        return self.gadget(nd.name, g, f"{nd.name}: mean * L")

    # --- count_match: selector width with an anchor and a conversion head ---
    def count_anchor(self) -> Affine:
        """``[j == 0] = relu(1 - j)`` for an integer position ``j >= 0`` (one unit)."""
        if ("anchor",) not in self.count_cache:
            pos = self.input("position", "pos")
            self.count_cache[("anchor",)] = self.gadget(
                "count.anchor", G.relu_of(1 - pos, "anchor"), "count.anchor: [j == 0]")
        return self.count_cache[("anchor",)]

    def count_and_nonzero(self, nd: Node, conj: list[Affine]) -> Affine:
        """``AND(conj) * [j != 0]`` for booleans ``conj``: with ``s = sum(conj) - (k - 1)``
        (an integer ``<= 1``; the AND is ``relu(s)``), ``min(relu(s), j) = relu(s) -
        relu(s - j)`` (``s <= 0``: both terms 0 as ``j >= 0``; ``s = 1``: ``1 - relu(1 - j)
        = [j >= 1]``). One conjunct is 0/1 itself, so ``s - relu(s - j)``: one unit."""
        s = sum(conj[1:], conj[0]) - (len(conj) - 1) if conj else Affine(const=1)
        if not s.terms:
            return 1 - self.count_anchor() if s.const >= 1 else Affine()
        cached = self.count_cache.get(("nonzero", s))
        if cached is None:
            pos = self.input("position", "pos")
            dim = f"{nd.name}.nz{len(self.count_cache)}"
            if len(conj) == 1:
                g, extra = Gadget((s - pos,), (-1,), 0, "and-nonzero"), s
            else:
                g, extra = Gadget((s, s - pos), (1, -1), 0, "and-nonzero"), Affine()
            cached = self.gadget(dim, g, f"{dim}: {nd.name} key part * [j != 0]", extra)
            self.count_cache[("nonzero", s)] = cached
        return cached

    def count_at_zero(self, nd: Node, x: Affine) -> Affine:
        """``x_0`` (the value at position 0) by a pick head with ``score_j = -j``."""
        if not x.terms:
            return x
        cached = self.count_cache.get(("first", x))
        if cached is None:
            dim = f"{nd.name}.at0_{len(self.count_cache)}"
            pos = self.input("position", "pos")
            self.head(HeadOp(dim, (Affine(const=1),), (pos * -1,), ((dim, x),), False, False,
                             f"{dim}: j == 0 (min j); reads a key of {nd.name}"))
            cached = self.count_cache[("first", x)] = Affine.dim(dim)
        return cached

    def count_mismatch(self, nd: Node, q: Affine, k0: Affine) -> Affine:
        """``xor(q, k0)`` for booleans; free when one side is a constant."""
        if not q.terms or not k0.terms:
            c, x = (q, k0) if not q.terms else (k0, q)
            return x if c.const == 0 else 1 - x
        cached = self.count_cache.get(("xor", q, k0))
        if cached is None:
            dim = f"{nd.name}.ne{len(self.count_cache)}"
            g, extra = G.xor(q, k0)
            cached = self.gadget(dim, g, f"{dim}: {nd.name} query != key at j = 0", extra)
            self.count_cache[("xor", q, k0)] = cached
        return cached

    def l_count_match(self, nd: Node, a: list) -> Affine:
        m, has_where = nd.params
        qs, ks = [a[2 * t] for t in range(m)], [a[2 * t + 1] for t in range(m)]
        w = [a[2 * m]] if has_where else []
        anchor = self.count_anchor()
        elig = self.count_and_nonzero(nd, w)
        feats = [self.count_and_nonzero(nd, [k] + w) * 2 - elig for k in ks]
        query, key = count_scores(qs, feats, elig, anchor)
        inv, rest = f"{nd.name}.inv", f"{nd.name}.rest"
        self.head(HeadOp(inv, query, key, ((inv, anchor),), True, False,
                         f"{inv}: mean of [j == 0] over {{0}} + {{j != 0 matching}} = 1/|A|"))
        self.rational.add(inv)
        pos, psq = self.input("position", "pos"), self.input("position", "pos_sq")
        self.head(HeadOp(rest, (Affine.dim(inv), Affine(const=1)),
                         ((psq + pos * 2 + 1) * -1, pos * 2 + 2), ((rest, pos),), False, False,
                         f"{rest}: j + 1 == 1/{inv} (max of -{inv} (j+1)^2 + 2 (j+1))"))
        mism = [self.count_mismatch(nd, q, self.count_at_zero(nd, k))
                for q, k in zip(qs, ks, strict=True)]
        mism += [1 - self.count_at_zero(nd, x) for x in w]
        total = sum(mism, Affine())
        if not total.terms:
            first = Affine(const=int(total.const == 0))
        else:
            first = self.gadget(f"{nd.name}.first", G.relu_of(1 - total, "none-of"),
                                f"{nd.name}: position 0 matches (no mismatch)")
        return Affine.dim(rest) + first


def count_scores(qs: list[Affine], feats: list[Affine], elig: Affine,
                 anchor: Affine) -> tuple[tuple[Affine, ...], tuple[Affine, ...]]:
    """Query and key of the ``count_match`` mean head: ``score_j = sum_p (2 q_p - 1) f_p(j)
    + e_j + (m + 1) [j == 0]`` with ``f_p = (2 k_p - 1) e`` and ``e = where * [j != 0]``."""
    m = len(qs)
    query = tuple(q * 2 - 1 for q in qs) + (Affine(const=1), Affine(const=m + 1))
    return query, tuple(feats) + (elig, anchor)


def lower(program: Program, types: dict[str, Type], max_length: int) -> Lowered:
    try:
        return Lowering(program, types, max_length).run()
    except (KeyError, IndexError) as exc:  # pragma: no cover - typecheck prevents these
        raise InvalidEFASPProgramError(f"program {program.name}: cannot lower ({exc})") from None

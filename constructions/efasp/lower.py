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
* ``seq_sum(x, w)``: the mean over the whole canvas times ``L`` via ``times_length``, with
  the bits of ``L - 1`` read once per program: ``len.last = seq_max(pos)``, then a pick head
  with ``score_j = 2 last j - j^2`` (unique maximum at ``j = last``) reading ``pos_bit:b``.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from constructions.efasp import gadgets as G
from constructions.efasp.gadgets import Affine, Gadget
from constructions.efasp.lang import Node, Program, Type
from machines.errors import InvalidEFASPProgramError

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


def lower(program: Program, types: dict[str, Type], max_length: int) -> Lowered:
    try:
        return Lowering(program, types, max_length).run()
    except (KeyError, IndexError) as exc:  # pragma: no cover - typecheck prevents these
        raise InvalidEFASPProgramError(f"program {program.name}: cannot lower ({exc})") from None

"""Weights of a hand-built transformer, and the structural rules that keep it exact.

A :class:`TransformerSpec` is plain data (numpy arrays of integers, names, flags): the
forward pass (:mod:`machines.transformer.forward`) interprets it, the exporter writes it,
and nothing else is hidden in code.

Architecture ([paper]): embedding = token embedding + position features; then layers, each
multi-head attention followed by a ReLU MLP, both added to the residual stream; no layer
norm; average-hard attention (AHA); readouts for the token and three control logits.

Exactness rules ([decision], checked by :meth:`TransformerSpec.validate`):

* every weight and bias is an integer (stored as float64, |w| < 2^53);
* each residual dimension is either *integer* or *rational*. A rational dimension holds
  the exact average ``S/c`` of a ``mean`` head (numerator ``S`` and count ``c`` are both
  kept, see the forward pass); it is written by exactly one mean head and by nothing else;
* rational dimensions are read by MLP hidden units and attention queries, each hidden unit
  and each head's query reading at most one rational dimension; keys, values, the
  embedding and the readouts never touch them. A query row reading ``r = num/den`` is
  ``1/den`` times an integer vector, so scaling the row by ``den > 0`` gives integer scores
  with the same arg-max set (see the forward pass); averaged values are exact integers;
* a ``pick`` head (``mean=False``) writes integer dimensions: its average must be an
  integer on every input (the compiler proves it; the forward pass checks it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from apmdm.machines.errors import InvalidArgumentError

EXACT_LIMIT = float(2 ** 53)

# Position features: a fixed, named menu (recomputed from the position on every step).
#   "one"       constant 1
#   "pos"       j (0-based position)
#   "pos_sq"    j^2
#   "pos_bit:b" bit b of j
#   "pos_div:K:O" floor((j - O) / K)   (block index of a layout with blocks of K from O)
#   "pos_mod:K:O" (j - O) mod K        (slot inside that block)
# Token features: functions of the token's integer fields (a finite vocabulary makes each
# of them a row of an embedding table).
#   "is_mask"        1 iff the token is MASK
#   "field:F"        value of field F (0 at MASK)
#   "field_sq:F"     its square
#   "field_eq:F:v"   1 iff field F equals v
#   "field_bit:F:b"  bit b of field F in two's complement ((v >> b) & 1; 0 at MASK)


@dataclass(frozen=True, eq=False)
class Head:
    """One attention head. ``score[i, j] = (x_i W_q) . (x_j W_k)``; AHA averages
    ``x_j W_v`` over the arg-max set and writes it to ``out_dims``."""

    name: str
    w_q: np.ndarray          # (d, k)
    w_k: np.ndarray          # (d, k)
    w_v: np.ndarray          # (d, v)
    out_dims: tuple[int, ...]  # v residual dimensions (W_O is this placement)
    mean: bool = False       # False: "pick" head (integer average); True: rational output
    causal: bool = False     # keys restricted to j <= i
    note: str = ""


@dataclass(frozen=True, eq=False)
class MLP:
    """``out = relu(x W1 + b1) W2 + b2``, added to the residual."""

    w1: np.ndarray   # (d, h)
    b1: np.ndarray   # (h,)
    w2: np.ndarray   # (h, d)
    b2: np.ndarray   # (d,)
    notes: tuple[str, ...] = ()

    @property
    def width(self) -> int:
        return int(self.w1.shape[1])


@dataclass(frozen=True, eq=False)
class Layer:
    heads: tuple[Head, ...]
    mlp: MLP | None


@dataclass(frozen=True, eq=False)
class TokenReadout:
    """``kind == "vocab"``: logits ``x W + b`` over ``vocab`` (argmax, first index on ties;
    MASK is never in ``vocab``). ``kind == "fields"``: the integer values ``x W + b`` are the
    fields of a wide token, decoded by the codec."""

    kind: str
    w: np.ndarray        # (d, m)
    b: np.ndarray        # (m,)
    labels: tuple = ()   # vocab tokens (vocab) or field names (fields)


@dataclass(frozen=True, eq=False)
class TransformerSpec:
    dim_names: tuple[str, ...]
    rational: tuple[bool, ...]
    token_features: tuple[str, ...]
    position_features: tuple[str, ...]
    w_tok: np.ndarray    # (len(token_features), d)
    w_pos: np.ndarray    # (len(position_features), d)
    layers: tuple[Layer, ...]
    token_readout: TokenReadout
    control_w: np.ndarray | None = None   # (d, 3): remask, insert, delete
    control_b: np.ndarray | None = None   # (3,)
    causal: bool = False                  # causal mode: every head is causal
    max_length: int = 1024
    field_names: tuple[str, ...] = ()     # token fields, in codec order (after is_mask)
    name: str = ""
    notes: dict = field(default_factory=dict)

    @property
    def width(self) -> int:
        return len(self.dim_names)

    @property
    def depth(self) -> int:
        return len(self.layers)

    def validate(self) -> TransformerSpec:
        _SpecValidator(self).run()
        return self


class _SpecValidator:
    """Small named checks; each raises InvalidArgumentError naming the offending part."""

    def __init__(self, spec: TransformerSpec):
        self.s = spec
        self.d = len(spec.dim_names)
        self.rat = np.array(spec.rational, dtype=bool)

    def run(self) -> None:
        self.check_names()
        self.check_embedding()
        written: dict[int, str] = {}
        for li, layer in enumerate(self.s.layers):
            for h in layer.heads:
                self.check_head(li, h, written)
            if layer.mlp is not None:
                self.check_mlp(li, layer.mlp)
        self.check_readouts()

    def fail(self, where: str, msg: str) -> None:
        raise InvalidArgumentError(f"transformer {self.s.name or '<spec>'}: {where}: {msg}")

    def check_names(self) -> None:
        if len(self.s.rational) != self.d:
            self.fail("residual", "rational flags and dimension names differ in length")
        if len(set(self.s.dim_names)) != self.d:
            self.fail("residual", "dimension names are not unique")
        if isinstance(self.s.max_length, bool) or self.s.max_length < 1:
            self.fail("max_length", f"must be a positive integer, got {self.s.max_length!r}")

    def check_matrix(self, where: str, m: np.ndarray, shape: tuple) -> None:
        if not isinstance(m, np.ndarray) or m.shape != shape:
            got = getattr(m, "shape", type(m).__name__)
            self.fail(where, f"expected shape {shape}, got {got}")
        if m.dtype != np.float64:
            self.fail(where, f"expected float64 array, got {m.dtype}")
        if not np.all(np.isfinite(m)) or np.any(np.abs(m) >= EXACT_LIMIT):
            self.fail(where, "weights must be finite and below 2^53 in magnitude")
        if np.any(m != np.round(m)):
            self.fail(where, "weights must be integers")

    def check_no_rational_rows(self, where: str, m: np.ndarray) -> None:
        bad = np.flatnonzero(self.rat & np.any(m != 0, axis=1))
        if bad.size:
            self.fail(where, f"reads rational dimension {self.s.dim_names[bad[0]]!r}")

    def check_embedding(self) -> None:
        self.check_matrix("w_tok", self.s.w_tok, (len(self.s.token_features), self.d))
        self.check_matrix("w_pos", self.s.w_pos, (len(self.s.position_features), self.d))
        for where, m in (("w_tok", self.s.w_tok), ("w_pos", self.s.w_pos)):
            if np.any(m[:, self.rat] != 0):
                self.fail(where, "the embedding writes a rational dimension")

    def check_head(self, li: int, h: Head, written: dict[int, str]) -> None:
        where = f"layer {li} head {h.name}"
        k = h.w_q.shape[1] if isinstance(h.w_q, np.ndarray) and h.w_q.ndim == 2 else -1
        self.check_matrix(where + " w_q", h.w_q, (self.d, k))
        self.check_matrix(where + " w_k", h.w_k, (self.d, k))
        self.check_matrix(where + " w_v", h.w_v, (self.d, len(h.out_dims)))
        for nm, m in (("w_k", h.w_k), ("w_v", h.w_v)):
            self.check_no_rational_rows(f"{where} {nm}", m)
        read = np.flatnonzero(self.rat & np.any(h.w_q != 0, axis=1))
        if read.size > 1:
            self.fail(where + " w_q", "the query reads more than one rational dimension ("
                      + ", ".join(repr(self.s.dim_names[t]) for t in read) + ")")
        for dim in h.out_dims:
            if not 0 <= dim < self.d:
                self.fail(where, f"output dimension {dim} out of range")
            if bool(self.rat[dim]) != h.mean:
                kind = "rational" if self.rat[dim] else "integer"
                self.fail(where, f"{'mean' if h.mean else 'pick'} head writes {kind} "
                                 f"dimension {self.s.dim_names[dim]!r}")
            if h.mean:
                if dim in written:
                    self.fail(where, f"rational dimension {self.s.dim_names[dim]!r} already "
                                     f"written by {written[dim]}")
                written[dim] = where

    def check_mlp(self, li: int, mlp: MLP) -> None:
        where = f"layer {li} mlp"
        h = mlp.w1.shape[1] if isinstance(mlp.w1, np.ndarray) and mlp.w1.ndim == 2 else -1
        self.check_matrix(where + " w1", mlp.w1, (self.d, h))
        self.check_matrix(where + " b1", mlp.b1, (h,))
        self.check_matrix(where + " w2", mlp.w2, (h, self.d))
        self.check_matrix(where + " b2", mlp.b2, (self.d,))
        per_unit = np.count_nonzero(mlp.w1[self.rat, :], axis=0)
        if np.any(per_unit > 1):
            self.fail(where, f"hidden unit {int(np.argmax(per_unit > 1))} reads more than "
                             "one rational dimension")
        if np.any(mlp.w2[:, self.rat] != 0) or np.any(mlp.b2[self.rat] != 0):
            self.fail(where, "writes a rational dimension")

    def check_readouts(self) -> None:
        r = self.s.token_readout
        if r.kind not in ("vocab", "fields"):
            self.fail("token readout", f"unknown kind {r.kind!r}")
        m = len(r.labels)
        self.check_matrix("token readout w", r.w, (self.d, m))
        self.check_matrix("token readout b", r.b, (m,))
        self.check_no_rational_rows("token readout", r.w)
        if self.s.control_w is not None:
            self.check_matrix("control readout w", self.s.control_w, (self.d, 3))
            self.check_matrix("control readout b", self.s.control_b, (3,))
            self.check_no_rational_rows("control readout", self.s.control_w)

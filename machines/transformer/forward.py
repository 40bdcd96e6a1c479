"""The forward pass: exact average-hard attention (AHA), and a softmax mode beside it.

**Exact AHA** ([paper] semantics, [decision] implementation). The residual stream is a pair
of float64 arrays ``num`` and ``den`` of shape ``(n, d)``: dimension ``t`` at position ``i``
holds the rational ``num[i, t] / den[i, t]``. Integer dimensions have ``den == 1``; a
rational dimension holds the exact average ``S / c`` of a mean head (``S`` = sum of the
values over the arg-max set, ``c`` = its size). Derivation of exactness:

1. All weights are integers and the embedding is integer, so every query, key and value
   (which read integer dimensions only, see :mod:`machines.transformer.spec`) is an integer
   and every score ``q_i . k_j`` is an integer. The arg-max set ``{j : s_ij = max_j s_ij}``
   is decided with ``==`` on exact integers: ties and maxima are exact.
2. ``S = A V`` (``A`` the 0/1 arg-max matrix) and ``c = A 1`` are sums of integers: exact.
   A *pick* head must have ``c | S`` (checked; the average is then the exact integer
   ``S / c``); a *mean* head stores ``(S, c)`` unreduced.
3. An MLP hidden unit reads integer dimensions plus at most one rational dimension ``r``:
   its pre-activation is ``(den_r * (x_int W1 + b1) + num_r w_r) / den_r`` with an integer
   numerator, so its sign (the ReLU decision) is exact. The output
   ``sum_u W2[u] relu(pre_u)`` is grouped by the rational dimension each unit read; each
   group's numerator must be divisible by that dimension's ``den`` (checked), so MLP outputs
   are exact integers.
4. Float64 represents integers exactly below 2^53. The guard raises
   :class:`~machines.errors.PrecisionError`, naming layer, part, position and dimension,
   when a value (or a bound on every partial sum of a matrix product) reaches 2^53, or when
   a division in 2. or 3. is not exact.

**Softmax mode**: the same weights with ``softmax(beta * scores)`` in place of AHA, plain
float64 arithmetic and no exactness guard; see :mod:`machines.transformer.softmax` for the
inverse temperature that provably reproduces the AHA decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from machines.errors import InvalidArgumentError, PrecisionError
from machines.transformer.embedding import position_feature_matrix, token_feature_matrix
from machines.transformer.spec import EXACT_LIMIT, MLP, Head, TransformerSpec

ROW_BLOCK = 1024  # query rows per score block (bounds memory at n x ROW_BLOCK floats)


@dataclass(frozen=True, eq=False)
class ForwardResult:
    """Final residual stream: dimension t at position i is ``num[i, t] / den[i, t]``."""

    spec: TransformerSpec
    num: np.ndarray
    den: np.ndarray
    mode: str = "aha"

    def column(self, name: str) -> list:
        """Exact values of one named dimension (ints, or Fractions for rational dims)."""
        try:
            t = self.spec.dim_names.index(name)
        except ValueError:
            raise InvalidArgumentError(f"no residual dimension named {name!r}") from None
        if self.mode != "aha":
            return [float(x) for x in self.num[:, t]]
        if self.spec.rational[t]:
            return [Fraction(int(a), int(b))
                    for a, b in zip(self.num[:, t], self.den[:, t], strict=True)]
        return [int(x) for x in self.num[:, t]]


def embed(spec: TransformerSpec, fields: np.ndarray) -> np.ndarray:
    """The embedding of an encoded canvas (``fields`` from ``TokenCodec.encode_canvas``)."""
    n = fields.shape[0]
    tok = token_feature_matrix(spec.token_features, spec.field_names, fields)
    pos = position_feature_matrix(spec.position_features, n, spec.max_length)
    x = tok @ spec.w_tok + pos @ spec.w_pos
    _guard_matmul(tok, spec.w_tok, spec, "embedding (token)")
    _guard_matmul(pos, spec.w_pos, spec, "embedding (position)")
    return x


def forward(spec: TransformerSpec, fields: np.ndarray, mode: str = "aha",
            beta: float | None = None) -> ForwardResult:
    """Run the transformer on an encoded canvas. ``mode``: ``"aha"`` (exact, guarded) or
    ``"softmax"`` (needs ``beta``)."""
    if mode not in ("aha", "softmax"):
        raise InvalidArgumentError(f"mode must be 'aha' or 'softmax', got {mode!r}")
    if mode == "softmax" and (beta is None or not beta > 0):
        raise InvalidArgumentError(f"softmax mode needs a positive beta, got {beta!r}")
    num = embed(spec, fields)
    den = np.ones_like(num)
    for li, layer in enumerate(spec.layers):
        updates = [_head(spec, li, h, num, mode, beta) for h in layer.heads]
        for h, (s, c) in zip(layer.heads, updates, strict=True):
            dims = list(h.out_dims)
            if mode == "aha" and h.mean:
                num[:, dims] = s
                den[:, dims] = c[:, None]
            else:
                num[:, dims] += s
        _guard(num, spec, f"layer {li} attention output")
        if layer.mlp is not None:
            num += _mlp(spec, li, layer.mlp, num, den, mode)
            _guard(num, spec, f"layer {li} mlp output")
    return ForwardResult(spec, num, den, mode)


# --- attention ------------------------------------------------------------------------------


def _head(spec: TransformerSpec, li: int, h: Head, x: np.ndarray, mode: str,
          beta: float | None) -> tuple[np.ndarray, np.ndarray | None]:
    where = f"layer {li} head {h.name}"
    q, k, v = x @ h.w_q, x @ h.w_k, x @ h.w_v
    if mode == "aha":
        for nm, w in (("query", h.w_q), ("key", h.w_k), ("value", h.w_v)):
            _guard_matmul(x, w, spec, f"{where} {nm}")
        bound = np.abs(q).sum(axis=1).max(initial=0.0) * np.abs(k).max(initial=0.0)
        if bound >= EXACT_LIMIT:
            raise PrecisionError(f"{where}: attention scores may reach {bound:.3g} >= 2^53")
        if np.abs(v).max(initial=0.0) * len(x) >= EXACT_LIMIT:
            raise PrecisionError(f"{where}: value sums may reach 2^53")
    n = len(x)
    causal = h.causal or spec.causal
    total = np.empty((n, v.shape[1]))
    count = np.empty(n)
    cols = np.arange(n)
    for start in range(0, n, ROW_BLOCK):
        stop = min(n, start + ROW_BLOCK)
        s = q[start:stop] @ k.T
        if causal:
            s[cols[None, :] > np.arange(start, stop)[:, None]] = -np.inf
        top = s.max(axis=1, keepdims=True)
        if mode == "aha":
            a = (s == top).astype(np.float64)
            count[start:stop] = a.sum(axis=1)
            total[start:stop] = a @ v
        else:
            w = np.exp(beta * (s - top))
            w /= w.sum(axis=1, keepdims=True)
            total[start:stop] = w @ v
    if mode != "aha":
        return total, None
    if not h.mean:
        bad = np.remainder(total, count[:, None]) != 0
        if bad.any():
            i, t = map(int, np.argwhere(bad)[0])
            raise PrecisionError(
                f"{where}: pick head average {int(total[i, t])}/{int(count[i])} is not an "
                f"integer at position {i}, dimension {spec.dim_names[h.out_dims[t]]!r}")
        return total / count[:, None], None
    return total, count


# --- MLP ------------------------------------------------------------------------------------


def _rational_source(spec: TransformerSpec, mlp: MLP) -> np.ndarray:
    """For each hidden unit, the rational dimension it reads, or -1."""
    rat = np.flatnonzero(np.array(spec.rational, dtype=bool))
    src = np.full(mlp.w1.shape[1], -1)
    if rat.size:
        nz = mlp.w1[rat, :] != 0
        has = nz.any(axis=0)
        src[has] = rat[np.argmax(nz[:, has], axis=0)]
    return src


def _mlp(spec: TransformerSpec, li: int, mlp: MLP, num: np.ndarray, den: np.ndarray,
         mode: str) -> np.ndarray:
    where = f"layer {li} mlp"
    if mode != "aha":
        return np.maximum(num @ mlp.w1 + mlp.b1, 0.0) @ mlp.w2 + mlp.b2
    src = _rational_source(spec, mlp)
    rat_units = np.flatnonzero(src >= 0)
    w1_int = mlp.w1.copy()
    w1_int[np.array(spec.rational, dtype=bool), :] = 0.0
    pre = num @ w1_int + mlp.b1
    _guard_matmul(num, w1_int, spec, where + " hidden", bias=mlp.b1)
    if rat_units.size:
        r = src[rat_units]
        pre[:, rat_units] = pre[:, rat_units] * den[:, r] + num[:, r] * mlp.w1[r, rat_units]
        _guard(pre, spec, where + " hidden (scaled)", names=False)
    hidden = np.maximum(pre, 0.0)
    int_units = np.flatnonzero(src < 0)
    out = hidden[:, int_units] @ mlp.w2[int_units] + mlp.b2
    _guard_matmul(hidden[:, int_units], mlp.w2[int_units], spec, where + " output")
    order = np.argsort(src[rat_units], kind="stable")
    groups = np.split(rat_units[order], np.flatnonzero(np.diff(src[rat_units][order])) + 1)
    for units in groups if rat_units.size else []:
        rdim = src[units[0]]
        w2 = mlp.w2[units]
        cols = np.flatnonzero(np.any(w2 != 0, axis=0))
        g = hidden[:, units] @ w2[:, cols]
        _guard_matmul(hidden[:, units], w2[:, cols], spec, where + " output")
        c = den[:, rdim][:, None]
        bad = np.remainder(g, c) != 0
        if bad.any():
            i, t = map(int, np.argwhere(bad)[0])
            raise PrecisionError(
                f"{where}: output dimension {spec.dim_names[cols[t]]!r} at position {i} gets "
                f"{int(g[i, t])}/{int(c[i, 0])} from rational dimension "
                f"{spec.dim_names[rdim]!r}: not an integer")
        out[:, cols] += g / c
    return out


# --- the guard ------------------------------------------------------------------------------


def _guard(x: np.ndarray, spec: TransformerSpec, where: str, names: bool = True) -> None:
    if x.size == 0:
        return
    a = np.abs(x)
    if not np.all(a < EXACT_LIMIT):  # also catches NaN
        i, t = map(int, np.argwhere(~(a < EXACT_LIMIT))[0])
        label = spec.dim_names[t] if names else f"unit {t}"
        raise PrecisionError(f"{where}: value {x[i, t]:.6g} at position {i}, dimension "
                             f"{label!r} leaves the exact range |x| < 2^53")


def _guard_matmul(x: np.ndarray, w: np.ndarray, spec: TransformerSpec, where: str,
                  bias: np.ndarray | None = None) -> None:
    """Every partial sum of ``x @ w`` is bounded by ``sum_d max_i |x[i, d]| * |w[d, u]|``
    (per input dimension, so one large dimension does not inflate every column's bound)."""
    if x.size == 0 or w.size == 0:
        return
    bound = np.abs(x).max(axis=0) @ np.abs(w)
    if bias is not None:
        bound = bound + np.abs(bias)
    if not np.all(bound < EXACT_LIMIT):
        u = int(np.argmax(~(bound < EXACT_LIMIT)))
        label = spec.dim_names[u] if w.shape[1] == len(spec.dim_names) else f"column {u}"
        raise PrecisionError(f"{where}: partial sums for {label!r} may reach "
                             f"{bound[u]:.6g} >= 2^53")

"""The inverse temperature beta at which softmax attention provably reproduces AHA.

Derivation ([decision]; the paper only uses AHA). Run the same weights twice: exactly with
AHA, and in softmax mode with inverse temperature beta. Let ``eps`` bound, per residual
dimension, ``|x_softmax - x_aha|``; the embedding is identical, so ``eps = 0`` at first.

*Value bounds.* From the declared field domains and the position range ``[0, N)`` we get
``|feature| <= F`` per feature, and ``B = |W_tok|^T F_tok + |W_pos|^T F_pos`` bounds each
residual dimension. A head adds at most ``|W_v|^T B`` (an average never exceeds the
largest value); an MLP adds at most ``|W2|^T (|W1|^T B + |b1|) + |b2|``.

*Attention.* AHA scores are integers, so every key outside the arg-max set ``M`` scores at
least 1 below the maximum. With ``q' = q + dq``, ``k' = k + dk``, the score error is at most
``delta = sum_t (|dq_t| K_t + Q_t |dk_t| + |dq_t| |dk_t|)`` (``Q, K`` the bounds on
``|q|, |k|``, ``|dq| <= |W_q|^T eps``). If ``delta < 1/2``, normalising by the maximum gives
softmax weights ``u_j in [e^{-beta delta}, e^{beta delta}]`` on ``M`` and
``u_j <= e^{-beta (1 - delta)}`` off ``M``. Then the mass off ``M`` is at most
``O = n e^{-beta (1 - 2 delta)}``, and
``||w - a||_1 <= 2 O + (e^{2 beta delta} - 1) =: eta``,
where ``a`` is the uniform AHA distribution on ``M``. The head output error is at most
``eta * |W_v|^T B + |W_v|^T eps``.

*Heads whose query reads a rational dimension* ``r = num/den`` (the selector-width
conversion of E-FASP ``count_match``): row ``i``'s scores are integers divided by
``den_i``, a mean head's count, at most ``n``; so keys outside ``M`` score at least
``gap = 1/n`` below the maximum instead of 1. The same argument with 1 replaced by ``gap``
needs ``delta < gap/2`` and gives ``O = n e^{-beta (gap - 2 delta)}``. :func:`score_gap`
returns 1 or ``1/n`` per head, and ``max_score_error`` reports ``delta / gap``.

*MLP.* ReLU is 1-Lipschitz, so the output error is at most ``|W2|^T |W1|^T eps``.

*Readouts.* AHA token logits of our compiled models are integers with a unique maximum,
control logits are odd integers (``2 b - 1``) and field readouts are integers; all three
decisions survive an error below ``1/2``. :func:`softmax_beta_bound` returns the smallest
beta (on a bisection grid, relative step 1e-4) at which the propagated bound certifies
``delta < gap/2`` in every head and readout errors below ``1/2``. It is a sufficient
condition: agreement at smaller beta is possible, never guaranteed. Float64 rounding in the
softmax computation is ignored (its relative size, 1e-16, is far below the margins).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.transformer.spec import Head, TransformerSpec

MARGIN = 0.5


@dataclass(frozen=True)
class BetaBound:
    beta: float
    n: int                      # number of keys the bound allows for
    max_score_error: float      # the largest delta / gap over all heads, at beta
    max_readout_error: float    # the largest readout error, at beta


def feature_bounds(spec: TransformerSpec,
                   field_bounds: tuple[tuple[int, int], ...]) -> tuple[np.ndarray, np.ndarray]:
    """Bounds on |token feature| and |position feature| for canvases up to ``max_length``."""
    fb = dict(zip(spec.field_names, field_bounds, strict=True))
    tok = []
    for name in spec.token_features:
        parts = name.split(":")
        if name == "is_mask" or parts[0] in ("field_eq", "field_bit"):
            tok.append(1.0)
        else:
            lo, hi = fb[parts[1]]
            m = float(max(abs(lo), abs(hi)))
            tok.append(m * m if parts[0] == "field_sq" else m)
    last = float(spec.max_length - 1)
    pos = []
    for name in spec.position_features:
        parts = name.split(":")
        if parts[0] in ("pos_div", "pos_mod"):
            k, off = int(parts[1]), int(parts[2])
            pos.append(float(k - 1) if parts[0] == "pos_mod" else
                       float(max(abs(off) // k + 1, abs(last - off) // k + 1)))
            continue
        pos.append({"one": 1.0, "pos": last, "pos_sq": last * last}.get(name, 1.0))
    return np.array(tok), np.array(pos)


def value_bounds(spec: TransformerSpec, field_bounds: tuple[tuple[int, int], ...]) -> list:
    """Per-dimension bounds on |x| for the AHA run: one vector before each layer, one at
    the end (``len(layers) + 1`` vectors)."""
    ft, fp = feature_bounds(spec, field_bounds)
    b = np.abs(spec.w_tok).T @ ft + np.abs(spec.w_pos).T @ fp
    out = [b.copy()]
    for layer in spec.layers:
        add = np.zeros_like(b)
        for h in layer.heads:
            add[list(h.out_dims)] += np.abs(h.w_v).T @ b
        b = b + add
        if layer.mlp is not None:
            m = layer.mlp
            b = b + np.abs(m.w2).T @ (np.abs(m.w1).T @ b + np.abs(m.b1)) + np.abs(m.b2)
        out.append(b.copy())
    return out


def score_gap(spec: TransformerSpec, h: Head, n: int) -> float:
    """A lower bound on the AHA score gap of head ``h`` (max score minus any score outside
    the arg-max set) on canvases of length <= ``n``: 1 for integer scores; ``1/n`` when the
    query reads a rational dimension, whose scores are integers over the mean head's count
    ``den <= n`` (every count is the size of a nonempty set of at most ``n`` keys)."""
    rat = np.asarray(spec.rational, dtype=bool)
    return 1.0 / n if np.any(np.abs(h.w_q[rat]).sum(axis=1) > 0) else 1.0


def _propagate(spec: TransformerSpec, bounds: list, beta: float, n: int) -> tuple[float, float]:
    """(max delta / gap, max readout error) at ``beta``; inf if some head fails."""
    eps = np.zeros(spec.width)
    worst_delta = 0.0
    for layer, b in zip(spec.layers, bounds, strict=False):
        add = np.zeros_like(eps)
        for h in layer.heads:
            gap = score_gap(spec, h, n)
            dq, dk = np.abs(h.w_q).T @ eps, np.abs(h.w_k).T @ eps
            qb, kb = np.abs(h.w_q).T @ b, np.abs(h.w_k).T @ b
            delta = float(np.sum(dq * kb + qb * dk + dq * dk))
            worst_delta = max(worst_delta, delta / gap)
            if not delta < MARGIN * gap:
                return math.inf, math.inf
            with np.errstate(over="ignore"):
                eta = 2 * n * math.exp(-beta * (gap - 2 * delta)) + math.expm1(
                    min(2 * beta * delta, 700.0))
            add[list(h.out_dims)] += eta * (np.abs(h.w_v).T @ b) + np.abs(h.w_v).T @ eps
        eps = eps + add
        if layer.mlp is not None:
            eps = eps + np.abs(layer.mlp.w2).T @ (np.abs(layer.mlp.w1).T @ eps)
    err = np.abs(spec.token_readout.w).T @ eps
    if spec.control_w is not None:
        err = np.concatenate([err, np.abs(spec.control_w).T @ eps])
    return worst_delta, float(err.max(initial=0.0))


def softmax_beta_bound(spec: TransformerSpec, field_bounds: tuple[tuple[int, int], ...],
                       n: int | None = None, beta_cap: float = 1e7) -> BetaBound:
    """The smallest beta (to relative 1e-4) at which the bound above certifies that softmax
    attention makes every AHA decision of ``spec`` on canvases of length <= ``n``."""
    n = spec.max_length if n is None else n
    if n < 1 or n > spec.max_length:
        raise InvalidArgumentError(f"n must be in [1, {spec.max_length}], got {n}")
    bounds = value_bounds(spec, field_bounds)

    def ok(beta: float) -> bool:
        d, e = _propagate(spec, bounds, beta, n)
        return d < MARGIN and e < MARGIN

    hi = 1.0
    while not ok(hi):
        hi *= 2
        if hi > beta_cap:
            raise InvalidArgumentError(f"no beta below {beta_cap:g} is certified for "
                                       f"{spec.name or 'this transformer'}")
    lo = hi / 2 if hi > 1 else 0.0
    while hi - lo > 1e-4 * hi:
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    d, e = _propagate(spec, bounds, hi, n)
    return BetaBound(hi, n, d, e)

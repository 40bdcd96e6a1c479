"""The forward pass: exact average-hard attention (AHA), and a softmax mode beside it.

**Exact AHA** ([paper] semantics, [decision] implementation). The residual stream is a pair
of float64 arrays ``num`` and ``den`` of shape ``(n, d)``: dimension ``t`` at position ``i``
holds the rational ``num[i, t] / den[i, t]``. Integer dimensions have ``den == 1``; a
rational dimension holds the exact average ``S / c`` of a mean head (``S`` = sum of the
values over the arg-max set, ``c`` = its size). Derivation of exactness:

1. All weights are integers and the embedding is integer, so every key and value (which
   read integer dimensions only, see :mod:`machines.transformer.spec`) is an integer. A
   query reads integer dimensions and at most one rational dimension ``r = num_r / den_r``:
   row ``i`` is ``(den_r q_int + num_r w_r) / den_r``, so row ``i`` of the scores is an
   integer vector divided by the same ``den_r[i] > 0``. Multiplying the row by ``den_r[i]``
   keeps its arg-max set, so the pass uses the integer query ``den_r q_int + num_r w_r``
   (as the MLP does in 3.) and every score is an exact integer. The arg-max set
   ``{j : s_ij = max_j s_ij}`` is decided with ``==`` on exact integers.
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
   :class:`~apmdm.machines.errors.PrecisionError`, naming layer, part, position and dimension,
   when a value (or a bound on every partial sum of a matrix product, including the scaled
   query of 1.) reaches 2^53, or when a division in 2. or 3. is not exact.

**Evaluation order** ([decision]; the same values, bit for bit, as the plain evaluation of
1.-4., with less work):

* *Distinct queries.* Without a causal mask the arg-max set of row ``i`` depends on ``q_i``
  only, so it is computed once per distinct query row (rows sorted lexicographically, equal
  neighbours merged) and ``(S, c)`` copied to every row sharing it. A constant-query head
  (``seq_min``, ``seq_max``, ...) costs O(n) instead of O(n^2).
* *Unique maximum* (pick heads). Per block of scores: ``j* = argmax_j s_ij``; set
  ``s_ij* = -inf``; the arg-max set is ``{j*}`` iff the remaining maximum is ``< s_ij*``
  (an exact comparison of integers); then ``S = v_j*``, ``c = 1`` (a gather). Tied rows get
  ``s_ij*`` back and take the 0/1 product; after a block with more than half its rows tied
  the head stops probing.
* *0/1 product.* ``A = [s_ij == max_j s_ij]`` is written over the score block in place and
  one product ``A [V | 1]`` gives ``S`` and ``c``.
* *Blocks.* Scores are made in blocks of rows of about ``SCORE_BLOCK_BYTES`` so the arg-max
  passes read them from cache; a causal block uses the keys up to its last row only and
  masks the triangle ``j > i`` inside it.
* *Zero weights.* Projections (one product ``x [W_q | W_k | W_v]``) and the MLP multiply
  only the rows of the weights, and the columns of ``W2``, holding a nonzero weight: a zero
  weight adds an exact 0 to each sum and 0 to each guard bound.
* *Layout.* The residual stream is column-major (a pass reads or writes whole dimensions)
  and head and MLP updates are made column-major before they are added; the embedding
  writes only the input dimensions; ``den`` stays a read-only array of 1s until a mean head
  writes a count. The MLP's nonzero rows and columns are derived once per MLP.
* *Guards.* ``max_i |x[i, t]|`` is kept per dimension and refreshed only on the dimensions a
  layer's heads or MLP wrote; every bound above is computed from it (same bounds, same
  messages); a score bound pairs the query and key dimensions,
  ``sum_d max_i |q_id| max_j |k_jd|``. ``ForwardResult.flops`` counts the products actually
  performed. Softmax mode
  keeps the dense evaluation (its float64 rounding is unchanged).

**Attention without the n x n scores** ([decision]; same arg-max sets, sums, counts and
guards as the dense pass, which stays the reference: ``forward(..., fast=False)``; every path
is differential-tested against it on random heads and on every compiled construction). The
path is chosen per head from its structure -- causal or not -- and the shape of its integer
query, checked exactly on every call (so it can never apply to a head it does not fit); heads
with fewer than ``FAST_MIN_WORK`` query-key pairs, or whose estimated cost on the path is
above the dense blocks' (:func:`_fast_is_cheaper`; e.g. few distinct queries), stay on the
blocks above:

* *Scalar query* (non-causal; after merging equal rows, one query column varies, the others
  are the same in every row): ``s_ij = a_i x_j + b_j``. Exact-match and lookup heads
  (``rightmost_match``: query ``(2N q, -N, 1, ..)``, key ``(k, k^2, j, ..)``), the
  ``count_match`` conversion head and other one-argument heads have this form. The arg-max
  sets come from a divide and conquer over the keys grouped and sorted by ``x`` (the upper
  envelope of the lines ``a -> x_j a + b_j``): ``O((n + m) log m)`` scores instead of
  ``m n``. Proof in :func:`_envelope_sums`.
* *Prefix* (causal, one query for every row): ``s_ij = b_j`` for ``j <= i``; the arg-max set
  of row ``i`` is read off running maxima and prefix sums in ``O(n)``. Proof in
  :func:`_prefix_sums`.

Every score these paths compute is one of the dense pass's integer scores (the same
``< 2^53`` bound covers every partial sum in any order), so the paths decide with ``==`` on
the same exact integers; sums and counts are integer sums below ``n max |v| < 2^53``.

**Softmax mode**: the same weights with ``softmax(beta * scores)`` in place of AHA, plain
float64 arithmetic and no exactness guard; see :mod:`machines.transformer.softmax` for the
inverse temperature that provably reproduces the AHA decisions.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from apmdm.machines.errors import InvalidArgumentError, PrecisionError
from apmdm.machines.transformer.embedding import position_feature_matrix, token_feature_matrix
from apmdm.machines.transformer.spec import EXACT_LIMIT, MLP, Head, TransformerSpec

ROW_BLOCK = 1024  # softmax mode: query rows per score block (n x ROW_BLOCK floats)
SCORE_BLOCK_BYTES = 1 << 21  # exact mode: one block of scores (rows x n float64) fits in L2


@dataclass(frozen=True, eq=False)
class ForwardResult:
    """Final residual stream: dimension t at position i is ``num[i, t] / den[i, t]``
    (``den`` is a read-only array of 1s when no mean head wrote a count)."""

    spec: TransformerSpec
    num: np.ndarray
    den: np.ndarray
    mode: str = "aha"
    # floating-point operations of the matrix products the pass performed, by part
    # ("attention", "mlp"); products it skipped (see "Evaluation order") are not counted
    flops: dict = field(default_factory=dict)

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
    return _embed(spec, fields)[0]


def _embed(spec: TransformerSpec, fields: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x, cols)``: the embedding and the input dimensions it writes (every other column of
    ``x`` is an exact 0). ``x`` is column-major: the passes below read and write columns."""
    n = fields.shape[0]
    tok = token_feature_matrix(spec.token_features, spec.field_names, fields)
    pos = position_feature_matrix(spec.position_features, n, spec.max_length)
    _guard_matmul(tok, spec.w_tok, spec, "embedding (token)")
    _guard_matmul(pos, spec.w_pos, spec, "embedding (position)")
    cols = np.flatnonzero(np.any(spec.w_tok != 0, axis=0) | np.any(spec.w_pos != 0, axis=0))
    x = np.zeros((n, spec.w_tok.shape[1]), order="F")
    x[:, cols] = tok @ spec.w_tok[:, cols] + pos @ spec.w_pos[:, cols]
    return x, cols


def forward(spec: TransformerSpec, fields: np.ndarray, mode: str = "aha",
            beta: float | None = None, fast: bool = True) -> ForwardResult:
    """Run the transformer on an encoded canvas. ``mode``: ``"aha"`` (exact, guarded) or
    ``"softmax"`` (needs ``beta``). ``fast=False``: the exact pass without the attention fast
    paths of "Attention without the n x n scores" (the reference they are tested against)."""
    if mode not in ("aha", "softmax"):
        raise InvalidArgumentError(f"mode must be 'aha' or 'softmax', got {mode!r}")
    if mode == "softmax" and (beta is None or not beta > 0):
        raise InvalidArgumentError(f"softmax mode needs a positive beta, got {beta!r}")
    num, cols = _embed(spec, fields)
    den = np.broadcast_to(1.0, num.shape)   # read-only 1s until a mean head writes a count
    tally = {"attention": 0.0, "mlp": 0.0}
    colmax = np.zeros(num.shape[1])   # the embedding guard bounds these below 2^53
    colmax[cols] = _abs_colmax(num[:, cols])
    for li, layer in enumerate(spec.layers):
        updates = [_head(spec, li, h, num, mode, beta, den, colmax, tally, fast)
                   for h in layer.heads]
        for h, (s, c) in zip(layer.heads, updates, strict=True):
            dims = list(h.out_dims)
            s = np.asfortranarray(s)   # a column-major update of column-major columns
            if mode == "aha" and h.mean:
                if not den.flags.writeable:
                    den = np.ones_like(num)
                num[:, dims] = s
                den[:, dims] = c[:, None]
            else:
                num[:, dims] += s
        written = sorted({t for h in layer.heads for t in h.out_dims})
        _recheck_columns(num, written, colmax, spec, f"layer {li} attention output")
        if layer.mlp is not None:
            cols, delta = _mlp(spec, li, layer.mlp, num, den, mode, colmax, tally)
            num[:, cols] += delta
            _recheck_columns(num, cols, colmax, spec, f"layer {li} mlp output")
    return ForwardResult(spec, num, den, mode, tally)


# --- attention ------------------------------------------------------------------------------


def _head(spec: TransformerSpec, li: int, h: Head, x: np.ndarray, mode: str,
          beta: float | None, den: np.ndarray | None = None, colmax: np.ndarray | None = None,
          tally: dict | None = None, fast: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """One head's output: ``(S / c, None)`` for a pick head (or in softmax mode), ``(S, c)``
    for a mean head. ``colmax``: ``max_i |x[i, t]|`` per dimension (computed if None)."""
    where = f"layer {li} head {h.name}"
    q, k, v = _projections(x, h, tally, sparse=mode == "aha")
    causal = h.causal or spec.causal
    if mode == "aha":
        colmax = _abs_colmax(x) if colmax is None else colmax
        for nm, abs_w in zip(("query", "key", "value"), _head_plan(h).abs_w, strict=True):
            if colmax.size and abs_w.size:
                _bound_check(colmax @ abs_w, spec, f"{where} {nm}",
                             abs_w.shape[1] == len(spec.dim_names))
        q = _integer_query(spec, h, x, den, q, where)
        # |q_i . k_j| and its partial sums are at most sum_d max_i |q_id| * max_j |k_jd|
        bound = float(_abs_colmax(q) @ _abs_colmax(k)) if len(q) else 0.0
        if not bound < EXACT_LIMIT:
            raise PrecisionError(f"{where}: attention scores may reach {bound:.3g} >= 2^53")
        if np.abs(v).max(initial=0.0) * len(x) >= EXACT_LIMIT:
            raise PrecisionError(f"{where}: value sums may reach 2^53")
        return _aha_head(spec, where, h, q, k, v, causal, tally, fast)
    n = len(x)
    total = np.empty((n, v.shape[1]))
    cols = np.arange(n)
    for start in range(0, n, ROW_BLOCK):
        stop = min(n, start + ROW_BLOCK)
        s = _mm(q[start:stop], k.T, tally, "attention")
        if causal:
            s[cols[None, :] > np.arange(start, stop)[:, None]] = -np.inf
        top = s.max(axis=1, keepdims=True)
        w = np.exp(beta * (s - top))
        w /= w.sum(axis=1, keepdims=True)
        total[start:stop] = _mm(w, v, tally, "attention")
    return total, None


@dataclass(frozen=True, eq=False)
class _HeadPlan:
    """Derived once per head from its weights: the rows ``R`` some weight of
    ``W = [W_q | W_k | W_v]`` reads, ``W[R]``, and ``|W_q|, |W_k|, |W_v|`` for the guards."""

    rows: np.ndarray | None            # None: every row is read
    w_used: np.ndarray
    abs_w: tuple[np.ndarray, np.ndarray, np.ndarray]


_HEAD_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _head_plan(h: Head) -> _HeadPlan:
    plan = _HEAD_PLANS.get(h)
    if plan is None:
        w = np.hstack([h.w_q, h.w_k, h.w_v])
        rows = np.flatnonzero(np.any(w != 0, axis=1))
        full = rows.size == len(w)
        plan = _HeadPlan(None if full else rows, w if full else w[rows],
                         (np.abs(h.w_q), np.abs(h.w_k), np.abs(h.w_v)))
        _HEAD_PLANS[h] = plan
    return plan


def _projections(x: np.ndarray, h: Head, tally: dict | None, sparse: bool
                 ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``x W_q, x W_k, x W_v``. ``sparse`` (exact mode): as one product ``x[:, R] W[R]`` with
    ``W = [W_q | W_k | W_v]`` over the rows ``R`` some weight reads (a zero row adds exact
    zeros); else three plain products (softmax mode keeps float64 rounding as it was)."""
    if not sparse:
        return tuple(_mm(x, w, tally, "attention") for w in (h.w_q, h.w_k, h.w_v))
    plan = _head_plan(h)
    qkv = _mm(x if plan.rows is None else x[:, plan.rows], plan.w_used, tally, "attention")
    a, b = h.w_q.shape[1], 2 * h.w_q.shape[1]
    return qkv[:, :a], qkv[:, a:b], qkv[:, b:]


def _aha_head(spec: TransformerSpec, where: str, h: Head, q: np.ndarray, k: np.ndarray,
              v: np.ndarray, causal: bool, tally: dict | None, fast: bool = True
              ) -> tuple[np.ndarray, np.ndarray | None]:
    """Exact AHA for one head on integer ``q, k, v`` (see "Evaluation order").

    Without a causal mask the arg-max set of row ``i`` depends on ``q_i`` alone, so it is
    computed once per distinct query row and copied to the rows that share it. ``fast``: use
    the paths of "Attention without the n x n scores" where the head's query allows."""
    inv = None
    if not causal:
        q, inv = _distinct_rows(q)
    sums = _fast_sums(q, k, v, causal, tally) if fast else None
    total, count = sums if sums is not None else _argmax_sums(q, k, v, causal, not h.mean,
                                                                tally)
    if h.mean:
        return (total, count) if inv is None else (total[inv], count[inv])
    tied = np.flatnonzero(count != 1)   # rows with c = 1 hold S = S / c already
    if tied.size:
        sums, c = total[tied], count[tied, None]
        bad = np.remainder(sums, c) != 0
        if bad.any():
            rows = tied[bad.any(axis=1)]
            i = int(rows[0]) if inv is None else int(np.flatnonzero(np.isin(inv, rows))[0])
            r = i if inv is None else int(inv[i])
            t = int(np.flatnonzero(np.remainder(total[r], count[r]) != 0)[0])
            raise PrecisionError(
                f"{where}: pick head average {int(total[r, t])}/{int(count[r])} is not an "
                f"integer at position {i}, dimension {spec.dim_names[h.out_dims[t]]!r}")
        total[tied] = sums / c
    return (total if inv is None else total[inv]), None


# --- attention without the n x n scores ------------------------------------------------------

FAST_MIN_WORK = 1 << 15   # (query rows) x (keys) below this, the dense blocks are as fast
# [decision, measured] A fast path's element operations (sort, gathers, reductions over the
# values) cost about this many times one element of the dense blocks' score passes; a head
# takes the fast path only when its estimated cost is below the dense one (speed only: both
# give the same result).
FAST_COST_FACTOR = 8.0


def _fast_is_cheaper(m: int, n: int, dv: int) -> bool:
    """Estimated cost of a fast path (grouping ``n`` keys with ``dv`` values, then
    ``log2 m`` levels over ``n + m`` scores) below the dense ``2 m n``."""
    levels = max(1.0, float(np.log2(max(m, 2))))
    return FAST_COST_FACTOR * (n * (dv + 20) + 4 * (n + m) * levels) < 2.0 * m * n


def _fast_sums(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool,
               tally: dict | None) -> tuple[np.ndarray, np.ndarray] | None:
    """``(S, c)`` as :func:`_argmax_sums` computes them, by a path that never forms the
    ``m x n`` scores, or None if the head's query does not allow one (see the module
    docstring, "Attention without the n x n scores")."""
    m, n = len(q), len(k)
    if m * n < FAST_MIN_WORK or q.shape[1] == 0 or not _fast_is_cheaper(m, n, v.shape[1]):
        return None
    col = _varying_column(q)
    if causal:
        if col != -1 or m != n:   # prefix path: one query for every row
            return None
        return _prefix_sums(k @ q[0], v, tally)
    if col is None or col < 0:
        return None
    rest = q[0].copy()
    rest[col] = 0.0
    return _envelope_sums(q[:, col], k[:, col], k @ rest, v, tally)


def _varying_column(q: np.ndarray) -> int | None:
    """The one column of ``q`` whose value differs between rows; -1 if every row is equal,
    None if several columns vary."""
    varies = np.flatnonzero(np.any(q != q[0], axis=0))
    if varies.size > 1:
        return None
    return int(varies[0]) if varies.size else -1


def _prefix_sums(b: np.ndarray, v: np.ndarray, tally: dict | None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Causal head with one query for every row: ``s_ij = b_j`` for ``j <= i``.

    Proof. ``M_i = max_{j <= i} b_j`` is the running maximum, nondecreasing in ``i``. If
    ``j <= i`` and ``b_j = M_i`` then ``M_i = b_j <= M_j <= M_i``, so ``b_j = M_j = M_i``;
    conversely such a ``j`` is in the arg-max set. So the arg-max set of row ``i`` is
    ``{j <= i : b_j = M_j, M_j = M_i}``: the positions attaining their running maximum in the
    run of equal ``M`` that ends at ``i`` (``M`` is constant on runs). ``S_i`` and ``c_i`` are
    prefix sums of ``e_j v_j`` and ``e_j`` (``e_j = [b_j = M_j]``) minus their value before
    the run starts: integers below ``n max |v| < 2^53`` (guarded by the caller), so exact."""
    n = len(b)
    run_max = np.maximum.accumulate(b)
    e = (b == run_max).astype(np.float64)
    start = np.empty(n, dtype=bool)
    start[0] = True
    np.not_equal(run_max[1:], run_max[:-1], out=start[1:])
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))   # run start of row i
    ev1 = np.hstack([e[:, None] * v, e[:, None]])
    acc = np.cumsum(ev1, axis=0)
    before = np.vstack([np.zeros((1, ev1.shape[1])), acc[:-1]])[first]
    sums = acc - before
    if tally is not None:
        tally["attention"] += 4.0 * n * ev1.shape[1]
    return sums[:, :-1], sums[:, -1]


def _envelope_sums(a: np.ndarray, x: np.ndarray, b: np.ndarray, v: np.ndarray,
                   tally: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """Distinct queries whose scores are linear in one scalar: ``s_ij = a_i x_j + b_j``
    (``a_i`` distinct; ``x``, ``b`` integer keys), by divide and conquer on the upper
    envelope of the lines ``a -> x_j a + b_j``.

    Proof. Keys with the same slope ``x`` are parallel lines: only those with the largest
    ``b`` in their group can attain a maximum, and they do together; so group the keys by
    ``x`` (sorted ascending: groups ``g = 0 .. G-1``), keep per group ``B_g = max b``, the
    number ``N_g`` and the value sum ``V_g`` of its keys with ``b = B_g``. The arg-max set of
    row ``i`` is the union of the groups ``g`` maximising ``a_i X_g + B_g``. For groups
    ``p < q`` (``X_p < X_q``) the difference ``(X_q - X_p) a + (B_q - B_p)`` is strictly
    increasing in ``a``; hence if ``a < a'``, the smallest and the largest maximising group,
    ``l(a)`` and ``r(a)``, satisfy ``l(a) <= l(a')`` and ``r(a) <= r(a')`` (if ``q`` ties or
    beats ``p`` at ``a`` it beats it strictly at ``a'``). So with the queries sorted by
    ``a``, the middle query is evaluated over its group range, and the queries left of it
    need only groups ``<= r(mid)``, those right of it only groups ``>= l(mid)`` (the ranges
    are inherited from the ancestors by the same argument); each level of the recursion
    evaluates ``O(G + m)`` scores, ``O((G + m) log m)`` in all instead of ``m n``. Scores are
    the same integers as the dense ``q k^T`` (every partial sum is below the caller's bound
    ``< 2^53``, so every evaluation order is exact); the arg-max set is decided with ``==``;
    ``S = sum V_g``, ``c = sum N_g`` over the maximising groups, integer sums below
    ``n max |v| < 2^53``."""
    m = len(a)
    order = np.lexsort((b, x))
    xs, bs = x[order], b[order]
    new = np.empty(len(xs), dtype=bool)
    new[0] = True
    np.not_equal(xs[1:], xs[:-1], out=new[1:])
    starts = np.flatnonzero(new)
    group = np.cumsum(new) - 1
    ends = np.append(starts[1:], len(xs)) - 1
    gb = bs[ends]                                  # the largest b of each group
    top = (bs == gb[group]).astype(np.float64)
    gv = np.add.reduceat(v[order] * top[:, None], starts, axis=0) if v.shape[1] else \
        np.zeros((len(starts), 0))
    gn = np.add.reduceat(top, starts)
    gx = xs[starts]
    qorder = np.argsort(a, kind="stable")
    aq = a[qorder]
    total = np.empty((m, v.shape[1]))
    count = np.empty(m)
    work = 0
    # one level of the recursion at a time, every segment of it in one vectorised pass:
    # segment t holds the sorted queries qlo[t] .. qhi[t] and the groups glo[t] .. ghi[t]
    qlo, qhi = np.array([0]), np.array([m - 1])
    glo, ghi = np.array([0]), np.array([len(starts) - 1])
    while qlo.size:
        mid = (qlo + qhi) // 2
        lengths = ghi - glo + 1
        offsets = np.cumsum(lengths) - lengths
        size = int(lengths.sum())
        work += size
        seg = np.repeat(np.arange(qlo.size), lengths)
        idx = np.arange(size) - offsets[seg] + glo[seg]
        scores = aq[mid][seg] * gx[idx] + gb[idx]
        hit = np.flatnonzero(scores == np.maximum.reduceat(scores, offsets)[seg])
        first = np.flatnonzero(np.diff(seg[hit], prepend=-1))  # every segment has a hit
        last = np.append(first[1:], hit.size) - 1
        rows = qorder[mid]
        hits = idx[hit]
        total[rows] = np.add.reduceat(gv[hits], first, axis=0) if v.shape[1] else 0.0
        count[rows] = np.add.reduceat(gn[hits], first)
        lo_g, hi_g = hits[first], hits[last]
        left, right = qlo <= mid - 1, mid + 1 <= qhi
        qlo, qhi = np.concatenate([qlo[left], (mid + 1)[right]]), \
            np.concatenate([(mid - 1)[left], qhi[right]])
        glo, ghi = np.concatenate([glo[left], lo_g[right]]), \
            np.concatenate([hi_g[left], ghi[right]])
    if tally is not None:
        tally["attention"] += 2.0 * work + 2.0 * len(x) * (v.shape[1] + 1)
    return total, count


def _distinct_rows(q: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """``(rows, inv)`` with ``q == rows[inv]`` and the rows of ``rows`` distinct; ``inv`` is
    None when every row of ``q`` is distinct (then ``rows`` is ``q``)."""
    n = len(q)
    if n < 2:
        return q, None
    if q.shape[1] == 0 or bool(np.all(q == q[0])):
        return q[:1], np.zeros(n, dtype=np.intp)
    order = np.lexsort(q.T[::-1])
    qs = q[order]
    new = np.empty(n, dtype=bool)
    new[0] = True
    np.any(qs[1:] != qs[:-1], axis=1, out=new[1:])
    if new.all():
        return q, None
    inv = np.empty(n, dtype=np.intp)
    inv[order] = np.cumsum(new) - 1
    return qs[new], inv


def _argmax_sums(q: np.ndarray, k: np.ndarray, v: np.ndarray, causal: bool, probe: bool,
                 tally: dict | None) -> tuple[np.ndarray, np.ndarray]:
    """``(S, c)`` per query row: the sum of ``v_j`` over the arg-max set of ``q_i . k_j``
    (keys ``j <= i`` if causal) and its size. Scores are computed in blocks of rows that fit
    in cache. ``probe``: try the unique-maximum test first (see "Evaluation order")."""
    m, n = len(q), len(k)
    total = np.empty((m, v.shape[1]))
    count = np.ones(m)
    v1 = None                     # [v | 1]: one product gives S and c
    block = max(16, min(1024, SCORE_BLOCK_BYTES // (8 * max(n, 1))))
    buf = None if causal else np.empty((min(block, m), n))
    for start in range(0, m, block):
        stop = min(m, start + block)
        keys = stop if causal else n
        s = np.empty((stop - start, keys)) if causal else buf[:stop - start]
        _scores(q[start:stop], k[:keys], s, tally)
        if causal:  # key j > row i: the strict upper triangle of the block's diagonal square
            s[:, start:stop][np.triu_indices(stop - start, 1)] = -np.inf
        if probe:
            rows = np.arange(stop - start)
            idx = s.argmax(axis=1)
            top = s[rows, idx]
            total[start:stop] = v[idx]
            s[rows, idx] = -np.inf
            tied = np.flatnonzero(s.max(axis=1) >= top)
            if tied.size == 0:
                continue
            s = s[tied]
            s[np.arange(tied.size), idx[tied]] = top[tied]
            top, at = top[tied], start + tied
            probe = 2 * tied.size <= stop - start   # ties are common here: stop probing
        else:
            top, at = s.max(axis=1), slice(start, stop)
        np.equal(s, top[:, None], out=s, casting="unsafe")   # s is now the 0/1 matrix A
        if v1 is None:
            v1 = np.hstack([v, np.ones((n, 1))])
        sums = _mm(s, v1[:keys], tally, "attention")
        total[at], count[at] = sums[:, :-1], sums[:, -1]
    return total, count


def _scores(q: np.ndarray, k: np.ndarray, out: np.ndarray, tally: dict | None) -> None:
    """``out = q k^T``; a score dimension of 1 is an outer product (m n multiplications)."""
    if q.shape[1] == 1:
        np.multiply(q, k.T, out=out)
        if tally is not None:
            tally["attention"] += float(out.size)
    else:
        np.matmul(q, k.T, out=out)
        if tally is not None:
            tally["attention"] += 2.0 * out.size * q.shape[1]


def _mm(a: np.ndarray, b: np.ndarray, tally: dict | None, part: str) -> np.ndarray:
    """``a @ b``, adding its ``2 m k n`` floating-point operations to ``tally[part]``."""
    if tally is not None:
        tally[part] += 2.0 * a.shape[0] * a.shape[1] * b.shape[1]
    return a @ b


def _integer_query(spec: TransformerSpec, h: Head, x: np.ndarray, den: np.ndarray | None,
                   q: np.ndarray, where: str) -> np.ndarray:
    """``q`` unchanged if the query reads integer dimensions only. If it reads one rational
    dimension ``r = num_r / den_r`` (the spec allows at most one), row ``i`` of the query is
    ``(den_r q_int + num_r w_r) / den_r`` with ``q_int`` the integer part: return it times
    ``den_r[i] > 0``, an integer vector whose scores have the same arg-max set in row ``i``."""
    rat = np.flatnonzero(np.asarray(spec.rational, dtype=bool) & np.any(h.w_q != 0, axis=1))
    if rat.size == 0:
        return q
    if den is None:
        raise InvalidArgumentError(f"{where}: the query reads a rational dimension; the "
                                   "exact pass needs its denominators")
    r = int(rat[0])
    w_int = h.w_q.copy()
    w_int[r] = 0.0
    c, s = den[:, r:r + 1], x[:, r:r + 1]
    bound = (np.abs(c).max(initial=0.0) * (np.abs(x).max(axis=0) @ np.abs(w_int))
             + np.abs(s).max(initial=0.0) * np.abs(h.w_q[r]))
    if not np.all(bound < EXACT_LIMIT):
        raise PrecisionError(f"{where}: query scaled by the denominator of "
                             f"{spec.dim_names[r]!r} may reach {bound.max():.6g} >= 2^53")
    return c * (x @ w_int) + s * h.w_q[r][None, :]


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


@dataclass(frozen=True, eq=False)
class _MLPPlan:
    """What the exact pass needs of one MLP's weights, derived once per (MLP, rational flags):
    the rows of ``W1`` any integer unit reads, the output columns, the units reading a
    rational dimension grouped by that dimension, and ``|W|`` for the guards."""

    rational: tuple[bool, ...]
    src: np.ndarray
    rat_units: np.ndarray
    used: np.ndarray
    w1_used: np.ndarray
    abs_w1_used: np.ndarray
    int_units: np.ndarray | None      # None: every unit is an integer unit
    abs_w2_int: np.ndarray
    out_cols: np.ndarray
    w2_out: np.ndarray
    groups: tuple[tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray], ...]


_PLANS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _mlp_plan(spec: TransformerSpec, mlp: MLP) -> _MLPPlan:
    plan = _PLANS.get(mlp)
    if plan is not None and plan.rational == tuple(spec.rational):
        return plan
    src = _rational_source(spec, mlp)
    rat_units = np.flatnonzero(src >= 0)
    w1_int = mlp.w1
    if rat_units.size:  # else every row of a rational dimension is 0 already
        w1_int = mlp.w1.copy()
        w1_int[np.array(spec.rational, dtype=bool), :] = 0.0
    used = np.flatnonzero(np.any(w1_int != 0, axis=1))
    int_units = np.flatnonzero(src < 0) if rat_units.size else None
    w2_int = mlp.w2 if int_units is None else mlp.w2[int_units]
    out_cols = np.flatnonzero(np.any(mlp.w2 != 0, axis=0) | (mlp.b2 != 0))
    order = np.argsort(src[rat_units], kind="stable")
    split = np.split(rat_units[order], np.flatnonzero(np.diff(src[rat_units][order])) + 1)
    groups = []
    for units in split if rat_units.size else []:
        w2 = mlp.w2[units]
        cols = np.flatnonzero(np.any(w2 != 0, axis=0))
        groups.append((int(src[units[0]]), units, cols, w2[:, cols],
                       np.searchsorted(out_cols, cols)))
    plan = _MLPPlan(tuple(spec.rational), src, rat_units, used, w1_int[used],
                    np.abs(w1_int[used]), int_units, np.abs(w2_int), out_cols,
                    w2_int[:, out_cols], tuple(groups))
    _PLANS[mlp] = plan
    return plan


def _mlp(spec: TransformerSpec, li: int, mlp: MLP, num: np.ndarray, den: np.ndarray,
         mode: str, colmax: np.ndarray | None = None, tally: dict | None = None
         ) -> tuple[np.ndarray, np.ndarray]:
    """``(cols, delta)``: the MLP's output is ``delta`` on the residual columns ``cols`` and 0
    elsewhere. ``colmax``: ``max_i |num[i, t]|`` per dimension (computed if None). The exact
    pass multiplies only the rows of ``W1`` and the columns of ``W2`` that hold a nonzero
    weight (the others add exact zeros); which rows and columns those are is derived from
    the weights once (:func:`_mlp_plan`)."""
    where = f"layer {li} mlp"
    if mode != "aha":
        hidden = np.maximum(_mm(num, mlp.w1, tally, "mlp") + mlp.b1, 0.0)
        return np.arange(num.shape[1]), _mm(hidden, mlp.w2, tally, "mlp") + mlp.b2
    plan = _mlp_plan(spec, mlp)
    pre = _mm(num[:, plan.used], plan.w1_used, tally, "mlp")
    pre += mlp.b1
    colmax = _abs_colmax(num) if colmax is None else colmax
    _bound_check(colmax[plan.used] @ plan.abs_w1_used + np.abs(mlp.b1), spec,
                 where + " hidden", plan.abs_w1_used.shape[1] == len(spec.dim_names))
    if plan.rat_units.size:
        r = plan.src[plan.rat_units]
        pre[:, plan.rat_units] = (pre[:, plan.rat_units] * den[:, r]
                                  + num[:, r] * mlp.w1[r, plan.rat_units])
        _guard(pre, spec, where + " hidden (scaled)", names=False)
    hidden = np.maximum(pre, 0.0, out=pre)
    h_int = hidden if plan.int_units is None else hidden[:, plan.int_units]
    _bound_check(h_int.max(axis=0, initial=0.0) @ plan.abs_w2_int, spec,  # h >= 0
                 where + " output", plan.abs_w2_int.shape[1] == len(spec.dim_names))
    out = _mm(plan.w2_out.T, h_int.T, tally, "mlp").T   # column-major, like the residual
    out += mlp.b2[plan.out_cols]
    for rdim, units, cols, w2, at in plan.groups:
        g = _mm(hidden[:, units], w2, tally, "mlp")
        _guard_matmul(hidden[:, units], w2, spec, where + " output")
        c = den[:, rdim][:, None]
        bad = np.remainder(g, c) != 0
        if bad.any():
            i, t = map(int, np.argwhere(bad)[0])
            raise PrecisionError(
                f"{where}: output dimension {spec.dim_names[cols[t]]!r} at position {i} gets "
                f"{int(g[i, t])}/{int(c[i, 0])} from rational dimension "
                f"{spec.dim_names[rdim]!r}: not an integer")
        out[:, at] += g / c
    return plan.out_cols, out


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


def _abs_colmax(x: np.ndarray) -> np.ndarray:
    """``max_i |x[i, t]|`` per column (NaN if a column holds NaN), without an |x| temporary."""
    if x.shape[0] == 0:
        return np.zeros(x.shape[1])
    return np.maximum(x.max(axis=0), -x.min(axis=0))


def _recheck_columns(x: np.ndarray, cols: Sequence[int] | np.ndarray, colmax: np.ndarray,
                     spec: TransformerSpec, where: str) -> None:
    """:func:`_guard` of ``x`` (same check, same message) after a write to the columns
    ``cols``, refreshing their maxima in ``colmax``. The other columns passed the check
    before (or are bounded by the embedding guard), so checking ``cols`` is checking ``x``:
    every ``|x[i, t]| < 2^53`` iff every column maximum is (a NaN fails both)."""
    fresh = _abs_colmax(x[:, cols])
    if not np.all(fresh < EXACT_LIMIT):
        _guard(x, spec, where)
    colmax[cols] = fresh


def _guard_matmul(x: np.ndarray, w: np.ndarray, spec: TransformerSpec, where: str,
                  bias: np.ndarray | None = None) -> None:
    """Every partial sum of ``x @ w`` is bounded by ``sum_d max_i |x[i, d]| * |w[d, u]|``
    (per input dimension, so one large dimension does not inflate every column's bound)."""
    if x.size == 0 or w.size == 0:
        return
    _guard_bound(_abs_colmax(x), w, spec, where, bias)


def _bound_check(bound: np.ndarray, spec: TransformerSpec, where: str, named: bool) -> None:
    """Raise if some partial-sum bound reaches 2^53 (the message of :func:`_guard_bound`)."""
    if not np.all(bound < EXACT_LIMIT):
        u = int(np.argmax(~(bound < EXACT_LIMIT)))
        label = spec.dim_names[u] if named else f"column {u}"
        raise PrecisionError(f"{where}: partial sums for {label!r} may reach "
                             f"{bound[u]:.6g} >= 2^53")


def _guard_bound(colmax: np.ndarray, w: np.ndarray, spec: TransformerSpec, where: str,
                 bias: np.ndarray | None = None) -> None:
    """:func:`_guard_matmul` from the column maxima ``colmax`` of ``x``."""
    if colmax.size == 0 or w.size == 0:
        return
    bound = colmax @ np.abs(w)
    if bias is not None:
        bound = bound + np.abs(bias)
    _bound_check(bound, spec, where, w.shape[1] == len(spec.dim_names))

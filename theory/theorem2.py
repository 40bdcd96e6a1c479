"""Theorem 2: MDM context bounds serial time, MDM(S) ⊆ PRAM(1, Õ(S³)).

Statement [paper]: an MDM with context S(n) is simulated by one processor in Õ(S(n)³) time.
Reason [paper]: the run has at most S effective steps (each fills at least one of at most S
masks; write-once), each one encoder pass of constant depth costing Õ(S²).

Our accounting [decision]. The serial simulation recomputes every forward pass of the
transformer (the architecture of :mod:`machines.transformer`: embedding = token features and
position features times integer matrices; layers of average-hard attention heads whose
values are *placed* into residual dimensions, then a ReLU MLP; readouts) and counts *word
operations*: one multiply-add, addition, comparison, division or store on one value. Values
are rationals of O(log S) bits in the paper's constructions, so one word operation costs
O(log S) bit operations: that is the log factor of Õ. For a canvas of length S, width d,
n_t token features and n_p position features, per pass:

* embedding: ``S·(n_t + n_p)`` feature evaluations, ``S·(n_t + n_p)·d`` multiply-adds,
  ``S·d`` additions;
* per attention head with key width k and value width v: projections ``S·d·(2k + v)``;
  scores ``S²·k``; per query the maximum ``S−1`` comparisons, the arg-max indicator ``S``
  comparisons, the count ``S−1`` additions; the indicator-weighted value sum ``S²·v``; the
  finish ``2·S·v`` (a pick head divides and adds into the stream; a mean head stores the
  numerator and the count);
* per MLP with hidden width h, ``u`` hidden units reading a rational dimension and ``r``
  rational dimensions read: ``S·d·h + S·h`` (matmul, bias), ``3·S·u`` (rescaling by the
  count), ``S·h`` (ReLU), ``S·h·d + S·d`` (matmul, bias), ``2·S·d·r`` (exact division of each
  rational group and its addition), ``S·d`` (residual add);
* readout over m token outputs: ``S·d·m + S·m`` (+ ``S·(m−1)`` arg-max comparisons for a
  vocabulary readout); 3 control logits: ``3·(S·d + S + S)`` (logits, bias, sign tests);
* the transition g: ``S`` (one pass over the canvas).

So one pass costs ``A·S² + B·S`` with ``A = Σ_heads (k + v + 3)`` and ``B`` the linear
coefficient (:func:`pass_ops`). With S ≥ 1 a pass costs at most ``(A + B⁺)·S²`` and a run
makes at most S passes (each pass but a final idle one fills ≥ 1 of at most S masks; an idle
pass ends the run, and it can only happen when a mask is left, i.e. after ≤ S − 1 filling
passes), so

    ops ≤ c·S³  with  c = A + B⁺   (word operations; :func:`ops_constant`),

and the bit cost is ≤ c·S³·ℓ(S) with ℓ(S) = max(1, ⌈log₂ S⌉): the bound checked,
:func:`ops_bound`. c depends only on the architecture (depth, heads, d, k, v, h, m), which
is fixed for a fixed construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

S = sympy.Symbol("S", positive=True, integer=True)

STATEMENT = "MDM(S) ⊆ PRAM(1, Õ(S³)): at most S effective steps, each an Õ(S²) encoder pass"
N_CONTROLS = 3


@dataclass(frozen=True)
class HeadShape:
    key_dim: int  # k
    value_dim: int  # v


@dataclass(frozen=True)
class LayerShape:
    heads: tuple[HeadShape, ...]
    hidden: int = 0  # MLP hidden width h (0: no MLP in this layer)
    rational_units: int = 0  # u: hidden units that read a rational dimension
    rational_groups: int = 0  # r: distinct rational dimensions the MLP reads


@dataclass(frozen=True)
class NetworkShape:
    """The shapes that fix the serial cost of one forward pass."""

    width: int  # d
    token_features: int  # n_t
    position_features: int  # n_p
    layers: tuple[LayerShape, ...]
    readout: int  # m: token readout outputs
    argmax_readout: bool = True  # vocabulary readout (arg-max) or wide-token fields
    controls: bool = True  # three control logits

    @property
    def depth(self) -> int:
        return len(self.layers)

    @property
    def n_heads(self) -> int:
        return sum(len(layer.heads) for layer in self.layers)


def embed_ops(shape: NetworkShape, s: sympy.Expr = S) -> sympy.Expr:
    f = shape.token_features + shape.position_features
    return sympy.expand(s * f + s * f * shape.width + s * shape.width)


def head_ops(d: int, head: HeadShape, s: sympy.Expr = S) -> sympy.Expr:
    k, v = head.key_dim, head.value_dim
    proj = s * d * (2 * k + v)
    scores = s * s * k
    select = s * (s - 1) + s * s + s * (s - 1)  # maximum, indicator, count
    total = s * s * v  # indicator-weighted value sum
    finish = 2 * s * v  # pick: divide + add; mean: store numerator + count
    return sympy.expand(proj + scores + select + total + finish)


def mlp_ops(d: int, layer: LayerShape, s: sympy.Expr = S) -> sympy.Expr:
    h, u, r = layer.hidden, layer.rational_units, layer.rational_groups
    if h == 0:
        return sympy.Integer(0)
    hidden = s * d * h + s * h + 3 * s * u + s * h
    out = s * h * d + s * d + 2 * s * d * r + s * d
    return sympy.expand(hidden + out)


def readout_ops(shape: NetworkShape, s: sympy.Expr = S) -> sympy.Expr:
    d, m = shape.width, shape.readout
    token = s * d * m + s * m + (s * (m - 1) if shape.argmax_readout else 0)
    control = N_CONTROLS * (s * d + s + s) if shape.controls else 0
    return sympy.expand(token + control)


def pass_ops(shape: NetworkShape, s: sympy.Expr = S) -> sympy.Expr:
    """Word operations of one forward pass plus one application of g on a length-S canvas."""
    d = shape.width
    total = embed_ops(shape, s)
    for layer in shape.layers:
        for head in layer.heads:
            total += head_ops(d, head, s)
        total += mlp_ops(d, layer, s)
    total += readout_ops(shape, s)
    total += s  # the transition g
    return sympy.expand(total)


def pass_coefficients(shape: NetworkShape) -> tuple[int, int]:
    """(A, B) with one pass costing exactly A·S² + B·S."""
    poly = sympy.Poly(pass_ops(shape), S)
    coeffs = dict(zip(poly.monoms(), poly.coeffs(), strict=True))
    if not set(coeffs) <= {(2,), (1,)}:
        raise ValueError(f"a pass should cost A·S² + B·S, got {pass_ops(shape)}")
    return int(coeffs.get((2,), 0)), int(coeffs.get((1,), 0))


def ops_constant(shape: NetworkShape) -> int:
    """c = A + B⁺: one pass costs at most c·S² for every S ≥ 1."""
    a, b = pass_coefficients(shape)
    return a + max(b, 0)


def log_factor(s: int) -> int:
    """ℓ(S) = max(1, ⌈log₂ S⌉): words of O(log S) bits per value."""
    return max(1, (s - 1).bit_length())


def ops_bound(shape: NetworkShape, s: int) -> int:
    """The checked bound c·S³·ℓ(S)."""
    return ops_constant(shape) * s**3 * log_factor(s)


def run_ops(shape: NetworkShape, lengths: list[int] | tuple[int, ...]) -> int:
    """Closed-form count of a run whose passes saw canvases of these lengths."""
    a, b = pass_coefficients(shape)
    return sum(a * s * s + b * s for s in lengths)


def steps_bound(s: int) -> int:
    """At most S forward passes: each effective step fills at least one of at most S masks."""
    return s

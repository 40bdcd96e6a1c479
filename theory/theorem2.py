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
* per attention head with key width k and value width v: projections ``S·d·(2k + v)``
  (``+ 3·S·k`` when the query reads a rational dimension r: the integer query
  ``den_r·q_int + num_r·w_r`` of the forward pass);
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
    rational_query: bool = False  # the query reads a rational dimension (scaled: 3·S·k)


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
    if head.rational_query:  # q = den_r·q_int + num_r·w_r: two products and a sum per entry
        proj += 3 * s * k
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


# --- Theorem 2 on the PRAM interpreter: the P = 1 program's time ----------------------------
#
# [decision] constructions/serial/pram_forward.py compiles an MDM (exact transformer + g)
# into one generic PRAM program with P = 1, so its parallel time T is the number of
# instructions executed. Its loops are nested as below; every straight-line piece has a
# fixed length ``c[name]`` (instructions, read off the emitted program: PramCosts), every
# loop macro a fixed set-up and per-iteration overhead. With s = S the canvas length:
#
#   loop(N, body)      = loop_setup     + N·(body + loop_step)        (counter only)
#   loop_idx(N, body)  = loop_idx_setup + N·(body + loop_idx_step)    (counter and index)
#   spmv(nnz)          = spmv_setup + nnz·spmv_entry                  (sparse product)
#   fill(N)            = fill_setup + N·fill_cell,  copy(N) = copy_setup + N·copy_cell
#
#   T = pid + setup + loop(s, count_mask) + no_mask_test
#       + (no mask: no_mask_exit | passes·PASS + events + final) + halt
#   PASS = pass_head + fill(s·d) + EMBED + layers_head + loop over layers + layers_jmp
#          + READOUT + readout_jmp + pass_tail
#   EMBED = embed_head + loop_idx(s, embed_row + loop(n_f, feature) + embed_list
#                                  + spmv(nnz_emb) + embed_next)
#   per layer: layer_setup + loop over heads (HEAD) + out_head + loop over heads (OUT)
#              + mlp_test [+ mlp_setup + loop_idx(s, MLP_ROW)] + layer_next
#   HEAD = head_setup + fill(s(2k+v)) + loop_idx(s, PROJ) + loop_idx(s, QUERY) + head_next
#   QUERY = query_head + loop_idx(s, score_head + loop(k, score_term) + score_store)
#           + max_head + loop(s, max_term) + sum_head + fill(v)
#           + loop_idx(s, member_test [+ member_head + loop_idx(v, member_term)])
#           + events + loop_idx(v, finish_term)
#   READOUT = ro_head + loop_idx(s, ro_row + copy(3) + ro_ctrl + spmv(nnz_c) + ro_bits
#                                  + PATH + ro_next)
#   PATH = ro_decoded (decoded) | ro_mask + ro_stay (stays masked) | FILL (filled)
#
# The bracketed member part runs once per arg-max member (S² per head and pass at most: all
# tied); the program counts members and members·v, fills and stays in memory, so the formula
# is exact (:func:`pram_time`) and the worst case (:func:`pram_time_bound`: passes ≤ S,
# members ≤ S² per head and pass, fills ≤ S over the run, every other position the dearer of
# the decoded and stay paths) is a cubic a₃S³ + a₂S² + a₁S + a₀ in S whose coefficients
# depend on the network's shapes and nonzero counts only. For S ≥ 1 it is ≤ c_P·S³ with
# c_P = a₃ + a₂⁺ + a₁⁺ + a₀⁺ (:func:`pram_constant`); the check is T ≤ c_P·S³·ℓ(S).


@dataclass(frozen=True)
class PramNetwork:
    """What the program's time depends on: sizes and nonzero counts (S-independent)."""

    width: int  # d
    features: int  # n_f token + position features
    embed_nnz: int
    # per layer, per head (k, v, nnz W_q without a rational row, nnz W_k, nnz W_v, mean,
    # query reads a rational dimension)
    heads: tuple[tuple[tuple[int, int, int, int, int, int, int], ...], ...]
    # per layer (h, nnz W1 on integer dims, nnz W2 of integer units, nnz b2, units reading a
    # rational dimension, per rational dimension (nnz of its units' W2 rows, columns))
    mlps: tuple[tuple[int, int, int, int, int, tuple[tuple[int, int], ...]] | None, ...]
    vocab: bool
    readout: int  # m
    readout_nnz: int
    control_nnz: int
    fields: int  # F
    rational: bool = False  # some residual dimension is rational (denominators kept)


def _pass_parts(c: dict[str, int], net: PramNetwork, s: sympy.Expr
                ) -> tuple[sympy.Expr, int, int, int, int, int]:
    """(deterministic part of one pass, member cost, member-v cost, decoded, stay, fill)."""
    def loop(n, body):
        return c["loop_setup"] + n * (body + c["loop_step"])

    def loop_idx(n, body):
        return c["loop_idx_setup"] + n * (body + c["loop_idx_step"])

    def spmv(nnz):
        return c["spmv_setup"] + nnz * c["spmv_entry"]

    def fill(n):
        return c["fill_setup"] + n * c["fill_cell"]

    def copy(n):
        return c["copy_setup"] + n * c["copy_cell"]

    d = net.width
    embed = c["embed_head"] + loop_idx(s, c["embed_row"] + loop(net.features, c["feature"])
                                       + c["embed_list"] + spmv(net.embed_nnz)
                                       + c["embed_next"])
    layers = c["layers_head"] + c["loop_setup"] + c["layers_jmp"]
    for heads, mlp in zip(net.heads, net.mlps, strict=True):
        body = c["layer_setup"] + 2 * c["loop_setup"] + c["out_head"] + c["mlp_test"] \
            + c["layer_next"] + c["loop_step"]
        for k, v, nq, nk, nv, mean, qr in heads:
            proj = (c["proj_row"] + spmv(nq) + c["proj_k"] + spmv(nk) + c["proj_v"] + spmv(nv)
                    + c["qr_test"] + qr * (c["qr_setup"] + loop(k, c["qr_term"])))
            score = c["score_head"] + loop(k, c["score_term"]) + c["score_store"]
            finish = (loop_idx(v, c["mean_term"]) if mean else
                      loop_idx(v, c["finish_term"]) + c["pick_jmp"])
            query = (c["query_head"] + loop_idx(s, score) + c["max_head"]
                     + loop(s, c["max_term"]) + c["sum_head"] + fill(v)
                     + loop_idx(s, c["member_test"]) + c["events"] + c["finish_kind"]
                     + finish + c["count_store"])
            body += (c["head_setup"] + fill(s * (2 * k + v)) + loop_idx(s, proj)
                     + loop_idx(s, query) + c["head_next"] + c["loop_step"])
            out = (loop_idx(s, c["mean_row"] + loop(v, c["mean_out_term"])) if mean else
                   loop_idx(s, c["out_row"] + loop(v, c["out_term"])) + c["out_pick_jmp"])
            body += c["out_setup"] + out + c["out_next"] + c["loop_step"]
        if mlp is not None:
            h, n1, n2, nb, nr, groups = mlp
            grp = sum(c["grp_head"] + spmv(nnz) + c["grp_cols"] + loop(cols, c["grp_col"])
                      + c["grp_next"] + c["loop_step"] for nnz, cols in groups)
            row = (c["mlp_row"] + copy(h) + c["mlp_w1"] + spmv(n1) + c["rat_head"]
                   + loop(nr, c["rat_term"]) + c["relu_head"] + loop(h, c["relu"])
                   + c["mlp_w2"] + spmv(n2) + c["mlp_b2"] + spmv(nb) + c["grp_setup"]
                   + c["loop_setup"] + grp)
            body += c["mlp_setup"] + loop_idx(s, row)
        layers += body
    readout = c["ro_head"] + loop_idx(s, c["ro_row"] + copy(3) + c["ro_ctrl"]
                                      + spmv(net.control_nnz) + c["ro_bits"] + c["ro_next"])
    readout += c["readout_jmp"]
    if net.vocab:
        token = (c["vocab_head"] + loop_idx(net.readout, c["argmax_term"]) + c["vocab_tail"]
                 + copy(net.fields) + c["vocab_jmp"])
    else:
        token = c["fields_head"] + loop_idx(net.fields, c["field_term"])
    fill_path = (c["ro_mask"] + c["ro_fill"] + copy(net.readout) + c["ro_token"]
                 + spmv(net.readout_nnz) + c["ro_kind"] + token + c["ro_write"])
    den = c["den_one"] + fill(s * d) if net.rational else 0
    one_pass = (c["pass_head"] + fill(s * d) + c["den_test"] + den + embed + layers + readout
                + c["pass_tail"])
    member = c["member_head"] + c["loop_idx_setup"]
    member_v = c["member_term"] + c["loop_idx_step"]
    return (sympy.expand(one_pass), member, member_v, c["ro_decoded"],
            c["ro_mask"] + c["ro_stay"], fill_path)


def _start(c: dict[str, int], s: sympy.Expr) -> sympy.Expr:
    return 1 + c["setup"] + c["loop_setup"] + s * (c["count_mask"] + c["loop_step"]) \
        + c["no_mask_test"] + c["halt"]


def pram_time(c: dict[str, int], net: PramNetwork, s: int, passes: int, members: int,
              member_v: int, fills: int, stays: int) -> int:
    """The exact T of the program's run (from the run's events, counted by the program)."""
    if passes == 0:
        return int(_start(c, s) + c["no_mask_exit"])
    one_pass, member, mv, dec, stay, fill = _pass_parts(c, net, sympy.Integer(s))
    decoded = passes * s - fills - stays
    return int(_start(c, s) + passes * one_pass + members * member + member_v * mv
               + decoded * dec + stays * stay + fills * fill + c["final"])


def pram_time_bound(c: dict[str, int], net: PramNetwork, s: sympy.Expr = S) -> sympy.Expr:
    """Worst case of :func:`pram_time` over every run on a length-S canvas (see above)."""
    one_pass, member, mv, dec, stay, fill = _pass_parts(c, net, s)
    heads = [h for layer in net.heads for h in layer]
    per_pass_members = s * s * (len(heads) * member + sum(v for _, v, *_ in heads) * mv)
    worst = (_start(c, s) + s * (one_pass + per_pass_members + s * max(dec, stay))
             + s * fill + c["final"])
    return sympy.expand(worst)


def pram_constant(c: dict[str, int], net: PramNetwork) -> int:
    """c_P = a₃ + a₂⁺ + a₁⁺ + a₀⁺: T ≤ c_P·S³ for every S ≥ 1."""
    poly = sympy.Poly(pram_time_bound(c, net), S)
    coeffs = dict(zip(poly.monoms(), poly.coeffs(), strict=True))
    if not set(coeffs) <= {(3,), (2,), (1,), (0,)}:
        raise ValueError("the program's time should be a cubic in S")
    return int(coeffs.get((3,), 0)) + sum(max(int(coeffs.get((e,), 0)), 0) for e in (2, 1, 0))


def pram_bound(c: dict[str, int], net: PramNetwork, s: int) -> int:
    """The checked bound c_P·S³·ℓ(S)."""
    return pram_constant(c, net) * s**3 * log_factor(s)

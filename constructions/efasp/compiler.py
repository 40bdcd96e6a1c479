"""The E-FASP compiler: named passes from a program to transformer weights (tracr style).

``compile_program`` runs, in order:

1. :func:`~apmdm.constructions.efasp.typecheck.check_program` - validate, infer domains;
2. :func:`~apmdm.constructions.efasp.lower.lower` - allocate input dimensions (only the token and
   position features used), lower aggregations to attention heads and local maps to
   gadgets; linear maps stay affine forms over named dimensions;
3. :func:`schedule` - give each head an attention sublayer and each gadget an MLP sublayer,
   as early as its inputs allow (slot ``2l`` = attention of layer ``l``, ``2l+1`` = its MLP);
4. :func:`assemble` - lay out the residual stream (one named dimension per input feature,
   gadget and head output) and fill the weight matrices and readouts.

Depth is the longest chain of head/gadget dependencies, which depends on the program, not
on ``max_length``; width is the number of named dimensions, which grows with
``max_length`` only through the ``log2`` position bits of ``seq_sum`` and through gadgets
whose width is a domain size (``lookup``, ``mul``, ``key^2`` of a computed key).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from apmdm.constructions.efasp.gadgets import Affine
from apmdm.constructions.efasp.lang import Program, Type
from apmdm.constructions.efasp.lower import ONE, GadgetOp, HeadOp, Lowered, lower
from apmdm.constructions.efasp.typecheck import check_program
from apmdm.machines.errors import CompiledModelMismatch, InvalidEFASPProgramError
from apmdm.machines.process import NextStep, StepOutput
from apmdm.machines.transformer import (
    MLP,
    CompiledTransformer,
    Head,
    Layer,
    TokenReadout,
    TransformerSpec,
    step_output,
    transformer_generation_step,
    transformer_next_step,
)


@dataclass(frozen=True, eq=False)
class CompiledProgram:
    """A compiled E-FASP program: the transformer plus the map from nodes to dimensions."""

    program: Program
    max_length: int
    types: dict[str, Type]
    node_values: dict[str, Affine]
    slots: dict[str, int]          # op dimension/name -> sublayer slot
    transformer: CompiledTransformer
    stats: dict = field(default_factory=dict)

    @property
    def spec(self) -> TransformerSpec:
        return self.transformer.spec

    def next_step(self, mode: str = "aha", beta: float | None = None) -> NextStep:
        """The compiled transformer as a next-step function ``canvas -> StepOutput``."""
        return transformer_next_step(self.transformer, mode, beta)

    def generation_step(self, mode: str = "aha", beta: float | None = None) -> NextStep:
        """:meth:`next_step` giving ``y`` only where g reads it (for generation loops; see
        :func:`~apmdm.machines.transformer.model.transformer_generation_step`)."""
        return transformer_generation_step(self.transformer, mode, beta)

    def step(self, canvas: Sequence[Any]) -> StepOutput:
        """One step with the dense output (a token at every position): the reference path
        of :meth:`next_step`, which gives tokens only where g reads them."""
        return step_output(self.transformer.run(canvas), self.transformer.codec)

    def node_values_on(self, canvas: Sequence[Any]) -> dict[str, list]:
        """Every node's value read off the final residual stream (exact)."""
        res = self.transformer.run(canvas)
        index = {nm: t for t, nm in enumerate(self.spec.dim_names)}
        out = {}
        for name, aff in self.node_values.items():
            if not self.types[name].rational:
                vec = np.full(res.num.shape[0], float(aff.const))
                for d, c in aff.terms:
                    vec += c * res.num[:, index[d]]
                out[name] = [int(v) for v in vec]
            else:
                cols = {d: res.column(d) for d, _ in aff.terms}
                out[name] = [aff.const + sum(c * Fraction(cols[d][i]) for d, c in aff.terms)
                             for i in range(res.num.shape[0])]
        return out

    def first_mismatch(self, canvas: Sequence[Any], reference: dict[str, list]) -> str | None:
        """Describe the first node (in program order) and position where the compiled values
        differ from ``reference`` (e.g. ``evaluate(program, canvas)``), or None."""
        got = self.node_values_on(canvas)
        for nd in self.program.nodes:
            for i, (a, b) in enumerate(zip(got[nd.name], reference[nd.name], strict=True)):
                if a != b:
                    dims = ", ".join(d for d, _ in self.node_values[nd.name].terms) or "constant"
                    return (f"node {nd.name!r} at position {i}: compiled {a}, reference {b} "
                            f"(residual dimensions: {dims})")
        return None

    def check_against(self, canvas: Sequence[Any], reference: dict[str, list]) -> None:
        msg = self.first_mismatch(canvas, reference)
        if msg is not None:
            raise CompiledModelMismatch(f"program {self.program.name}: {msg}")


# --- pass 3: schedule -----------------------------------------------------------------------


def _op_reads(op: HeadOp | GadgetOp) -> set[str]:
    if isinstance(op, HeadOp):
        affs = list(op.query) + list(op.key) + [a for _, a in op.values]
    else:
        affs = list(op.gadget.units)
    return {d for a in affs for d in a.dims}


def _op_writes(op: HeadOp | GadgetOp) -> list[str]:
    return [d for d, _ in op.values] if isinstance(op, HeadOp) else [op.dim]


def schedule(lowered: Lowered) -> list[int]:
    """Earliest slot per op: heads on even slots, gadgets on odd slots."""
    avail = {d: -1 for d in lowered.inputs}
    slots = []
    for op in lowered.ops:
        ready = max((avail[d] for d in _op_reads(op)), default=-1)
        parity = 0 if isinstance(op, HeadOp) else 1
        slot = ready + 1 if (ready + 1) % 2 == parity else ready + 2
        slots.append(slot)
        for d in _op_writes(op):
            avail[d] = slot
    return slots


# --- pass 4: assemble -----------------------------------------------------------------------

_INPUT_ORDER = {"position": 0, "token": 1}


def _dims(lowered: Lowered) -> list[str]:
    ins = sorted(lowered.inputs, key=lambda d: (_INPUT_ORDER[lowered.inputs[d][0]], d))
    rest = [d for op in lowered.ops for d in _op_writes(op)]
    dims = ins + rest
    seen: set[str] = set()
    for d in dims:
        if d in seen:
            raise InvalidEFASPProgramError(f"residual dimension name {d!r} is used twice; "
                                           "rename the node")
        seen.add(d)
    return dims


def _fill(mat: np.ndarray, col: int, aff: Affine, index: dict[str, int]) -> float:
    """Write ``aff`` into column ``col`` (constants go to the ``in.one`` row if present);
    return the constant when there is no such row (a bias)."""
    for d, c in aff.terms:
        mat[index[d], col] += c
    if aff.const and ONE in index:
        mat[index[ONE], col] += aff.const
        return 0.0
    return float(aff.const)


def assemble(program: Program, lowered: Lowered, slots: list[int], max_length: int,
             types: dict[str, Type]) -> TransformerSpec:
    dims = _dims(lowered)
    index = {d: t for t, d in enumerate(dims)}
    d = len(dims)
    rational = tuple(x in lowered.rational for x in dims)
    pos_feats = [f for x, (k, f) in lowered.inputs.items() if k == "position"]
    tok_feats = [f for x, (k, f) in lowered.inputs.items() if k == "token"]
    pos_feats.sort(key=lambda f: index["in." + f])
    tok_feats.sort(key=lambda f: index["in." + f])
    w_pos = np.zeros((len(pos_feats), d))
    w_tok = np.zeros((len(tok_feats), d))
    for r, f in enumerate(pos_feats):
        w_pos[r, index["in." + f]] = 1
    for r, f in enumerate(tok_feats):
        w_tok[r, index["in." + f]] = 1
    nlayers = (max(slots) // 2 + 1) if slots else 0
    layers = []
    for li in range(nlayers):
        heads = [_head(op, index, d) for op in _merge_heads(
            [op for op, s in zip(lowered.ops, slots, strict=True) if s == 2 * li])]
        gad = [op for op, s in zip(lowered.ops, slots, strict=True) if s == 2 * li + 1]
        layers.append(Layer(tuple(heads), _mlp(gad, index, d) if gad else None))
    readout = _token_readout(program, lowered, index, d)
    cw, cb = _control_readout(program, lowered, index, d)
    return TransformerSpec(
        tuple(dims), rational, tuple(tok_feats), tuple(pos_feats), w_tok, w_pos, tuple(layers),
        readout, cw, cb, False, max_length, tuple(f[0] for f in program.fields),
        f"efasp:{program.name}", {"program": program.name, "max_length": max_length}).validate()


def _merge_heads(ops: list[HeadOp]) -> list[HeadOp]:
    """Heads of one layer with the same scores (query, key, kind, causality) attend to the
    same keys: merge them into one head whose value vector is the concatenation."""
    groups: dict[tuple, list[HeadOp]] = {}
    for op in ops:
        groups.setdefault((op.query, op.key, op.mean, op.causal), []).append(op)
    out = []
    for group in groups.values():
        first = group[0]
        if len(group) == 1:
            out.append(first)
            continue
        values = tuple(v for op in group for v in op.values)
        name = first.name + (f"+{len(group) - 1}" if len(group) > 1 else "")
        note = "; ".join(op.note for op in group[:3]) + (
            f"; ... ({len(group)} merged)" if len(group) > 3 else "")
        out.append(HeadOp(name, first.query, first.key, values, first.mean, first.causal, note))
    return out


def _head(op: HeadOp, index: dict[str, int], d: int) -> Head:
    k = len(op.query)
    wq, wk, wv = np.zeros((d, k)), np.zeros((d, k)), np.zeros((d, len(op.values)))
    for t in range(k):
        _fill(wq, t, op.query[t], index)
        _fill(wk, t, op.key[t], index)
    for t, (_, aff) in enumerate(op.values):
        _fill(wv, t, aff, index)
    return Head(op.name, wq, wk, wv, tuple(index[x] for x, _ in op.values), op.mean,
                op.causal, op.note)


def _mlp(ops: list[GadgetOp], index: dict[str, int], d: int) -> MLP:
    h = sum(op.gadget.width for op in ops)
    w1, b1, w2, b2 = np.zeros((d, h)), np.zeros(h), np.zeros((h, d)), np.zeros(d)
    u = 0
    for op in ops:
        out = index[op.dim]
        for aff, c in zip(op.gadget.units, op.gadget.coeffs, strict=True):
            for x, cc in aff.terms:
                w1[index[x], u] += cc
            b1[u] = aff.const
            w2[u, out] = c
            u += 1
        b2[out] += op.gadget.const
    notes = tuple(f"{op.note} [{op.gadget.kind}, width {op.gadget.width}]" for op in ops)
    return MLP(w1, b1, w2, b2, notes)


def _token_readout(program: Program, lowered: Lowered, index: dict[str, int],
                   d: int) -> TokenReadout:
    out = program.token_output
    if out[0] == "fields":
        w, b = np.zeros((d, len(out) - 1)), np.zeros(len(out) - 1)
        for t, name in enumerate(out[1:]):
            aff = lowered.values[name]
            for x, c in aff.terms:
                w[index[x], t] += c
            b[t] = aff.const
        return TokenReadout("fields", w, b, tuple(f[0] for f in program.fields))
    aff, vocab = lowered.values[out[1]], out[2]
    w, b = np.zeros((d, len(vocab))), np.zeros(len(vocab))
    for k in range(len(vocab)):  # logit_k = 2 k v - k^2 = v^2 - (v - k)^2: argmax k = v
        for x, c in aff.terms:
            w[index[x], k] += 2 * k * c
        b[k] = 2 * k * aff.const - k * k
    return TokenReadout("vocab", w, b, tuple(vocab))


def _control_readout(program: Program, lowered: Lowered, index: dict[str, int],
                     d: int) -> tuple[np.ndarray | None, np.ndarray | None]:
    if not program.control_output or all(c is None for c in program.control_output):
        return None, None
    w, b = np.zeros((d, 3)), np.full(3, -1.0)
    for t, name in enumerate(program.control_output):
        if name is None:
            continue
        aff = lowered.values[name]     # logit = 2 bit - 1: +1 or -1, never 0
        for x, c in aff.terms:
            w[index[x], t] += 2 * c
        b[t] = 2 * aff.const - 1
    return w, b


# --- the driver -----------------------------------------------------------------------------


def compile_program(program: Program, max_length: int) -> CompiledProgram:
    """Compile ``program`` for canvases of length <= ``max_length``."""
    types = check_program(program, max_length)
    lowered = lower(program, types, max_length)
    slots = schedule(lowered)
    spec = assemble(program, lowered, slots, max_length, types)
    model = CompiledTransformer(spec, program.codec, spec.name,
                                {"program": program.name, "max_length": max_length})
    slot_map = {(op.name if isinstance(op, HeadOp) else op.dim): s
                for op, s in zip(lowered.ops, slots, strict=True)}
    stats = {"depth": spec.depth, "width": spec.width,
             "mlp_width": max((ly.mlp.width for ly in spec.layers if ly.mlp), default=0),
             "hidden_units": sum(ly.mlp.width for ly in spec.layers if ly.mlp),
             "heads": sum(len(ly.heads) for ly in spec.layers)}
    return CompiledProgram(program, max_length, types, dict(lowered.values), slot_map, model,
                           stats)

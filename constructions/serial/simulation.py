"""Theorem 2: a serial simulation of an MDM run that counts its word operations as it goes.

The next-step function is a transformer of :mod:`machines.transformer` (a
:class:`~apmdm.machines.transformer.model.CompiledTransformer`). :class:`CountedForward` recomputes
each forward pass as one processor would, with the same exact arithmetic as
:func:`machines.transformer.forward.forward` (integer weights, float64 values below 2^53,
rational dimensions kept as numerator/count), and tallies every operation from the shapes of
the arrays it actually multiplies, compares, adds and divides (:class:`OpTally`, by
category). :mod:`theory.theorem2` derives the same total from the shapes alone
(:func:`theory.theorem2.pass_ops`); the checker requires the two to be equal, so a counter
that skips a cost (e.g. the attention scores) is caught. Each recomputed pass is also
compared with the library forward pass (``verify``): a mismatch raises
:class:`CompiledModelMismatch`.

:func:`simulate_mdm` drives an MDM run on the MDM machine of :mod:`machines.process` with
that recomputation as f (so the MDM restriction is enforced), applies g serially (``S``
operations per step) and checks that a step which fills nothing ends the run.
:func:`simulate_apmdm` does the same counting on an AP-MDM run (the contrast: rewrites reuse
space, so steps are not bounded by the context). Hand-built networks for both are in
:mod:`constructions.serial.nets`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from apmdm.machines.errors import CompiledModelMismatch, ConstructionError
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput, StopReason
from apmdm.machines.tokens import MASK, Canvas
from apmdm.machines.transformer.embedding import position_feature_matrix, token_feature_matrix
from apmdm.machines.transformer.forward import ForwardResult
from apmdm.machines.transformer.model import CompiledTransformer, control_bits, decode_tokens
from apmdm.machines.transformer.spec import MLP, Head, TransformerSpec
from apmdm.theory.theorem2 import HeadShape, LayerShape, NetworkShape

CATEGORIES = (
    "embed", "projection", "scores", "select", "average", "mlp", "readout", "transition",
)


def network_shape(spec: TransformerSpec) -> NetworkShape:
    """The shapes :mod:`theory.theorem2` needs, read from the weights (layer by layer)."""
    rational = np.array(spec.rational, dtype=bool)
    layers = []
    for layer in spec.layers:
        heads = tuple(HeadShape(h.w_q.shape[1], h.w_v.shape[1],
                                bool(np.any(h.w_q[rational] != 0))) for h in layer.heads)
        if layer.mlp is None:
            layers.append(LayerShape(heads))
            continue
        reads = layer.mlp.w1[rational, :] != 0
        units = int(reads.any(axis=0).sum())
        groups = int(reads.any(axis=1).sum())
        layers.append(LayerShape(heads, layer.mlp.width, units, groups))
    r = spec.token_readout
    return NetworkShape(
        spec.width, len(spec.token_features), len(spec.position_features), tuple(layers),
        len(r.labels), r.kind == "vocab", spec.control_w is not None,
    )


class OpTally:
    """Word operations by category, accumulated from the shapes of the operations performed."""

    def __init__(self) -> None:
        self.counts = dict.fromkeys(CATEGORIES, 0)

    def add(self, category: str, n: int) -> None:
        self.counts[category] += int(n)

    def matmul(self, category: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """``a @ b``, counting m·k·n multiply-adds."""
        self.add(category, a.shape[0] * a.shape[1] * b.shape[1])
        return a @ b


class CountedForward:
    """One serially-accounted forward pass (AHA, exact). Subclasses may alter a step."""

    def __init__(self, model: CompiledTransformer):
        self.model = model
        self.spec = model.spec

    def run(self, canvas: Sequence[Any]) -> tuple[ForwardResult, dict[str, int]]:
        spec, t = self.spec, OpTally()
        fields = self.model.codec.encode_canvas(canvas)
        n = fields.shape[0]
        names = getattr(spec, "field_names", ()) or spec.notes.get("field_names", ())
        tok = token_feature_matrix(spec.token_features, names, fields)
        pos = position_feature_matrix(spec.position_features, n, spec.max_length)
        t.add("embed", tok.size + pos.size)
        num = t.matmul("embed", tok, spec.w_tok) + t.matmul("embed", pos, spec.w_pos)
        t.add("embed", num.size)
        den = np.ones_like(num)
        for layer in spec.layers:
            updates = [self.head(t, h, num, den) for h in layer.heads]
            for h, (s, c) in zip(layer.heads, updates, strict=True):
                dims = list(h.out_dims)
                t.add("average", 2 * s.size)  # pick: divide + add; mean: store num + count
                if h.mean:
                    num[:, dims] = s
                    den[:, dims] = c[:, None]
                else:
                    num[:, dims] += s / c[:, None]
            if layer.mlp is not None:
                num = num + self.mlp(t, layer.mlp, num, den)
                t.add("mlp", num.size)
        res = ForwardResult(spec, num, den)
        self.readout_cost(t, res)
        return res, t.counts

    def head(self, t: OpTally, h: Head, x: np.ndarray, den: np.ndarray | None = None
             ) -> tuple[np.ndarray, np.ndarray]:
        n = x.shape[0]
        q = self.query(t, h, x, den)
        k = t.matmul("projection", x, h.w_k)
        v = t.matmul("projection", x, h.w_v)
        s = self.scores(t, q, k)
        if h.causal or self.spec.causal:
            s[np.arange(n)[None, :] > np.arange(n)[:, None]] = -np.inf
        top = s.max(axis=1, keepdims=True)
        t.add("select", n * (n - 1))
        a = (s == top).astype(np.float64)
        t.add("select", n * n)
        count = a.sum(axis=1)
        t.add("select", n * (n - 1))
        total = t.matmul("average", a, v)
        return total, count

    def query(self, t: OpTally, h: Head, x: np.ndarray, den: np.ndarray | None
              ) -> np.ndarray:
        """``x W_q``; if the query reads a rational dimension r = num_r / den_r, the integer
        query ``den_r·(x W_q without row r) + num_r·w_q[r]`` of the forward pass (same arg-max
        set), at 3·S·k more operations."""
        rational = np.asarray(self.spec.rational, dtype=bool)
        rows = np.flatnonzero(rational & np.any(h.w_q != 0, axis=1))
        if rows.size == 0 or den is None:
            return t.matmul("projection", x, h.w_q)
        r = int(rows[0])
        w_int = h.w_q.copy()
        w_int[r] = 0.0
        q = t.matmul("projection", x, w_int)
        t.add("projection", 3 * q.size)
        return den[:, r:r + 1] * q + x[:, r:r + 1] * h.w_q[r][None, :]

    def scores(self, t: OpTally, q: np.ndarray, k: np.ndarray) -> np.ndarray:
        return t.matmul("scores", q, k.T)

    def mlp(self, t: OpTally, mlp: MLP, num: np.ndarray, den: np.ndarray) -> np.ndarray:
        rational = np.array(self.spec.rational, dtype=bool)
        reads = mlp.w1[rational, :] != 0
        rat_dims = np.flatnonzero(rational)
        src = np.full(mlp.width, -1)
        has = reads.any(axis=0)
        if has.any():
            src[has] = rat_dims[np.argmax(reads[:, has], axis=0)]
        w1_int = mlp.w1.copy()
        w1_int[rational, :] = 0.0
        pre = t.matmul("mlp", num, w1_int) + mlp.b1
        t.add("mlp", pre.size)
        units = np.flatnonzero(src >= 0)
        if units.size:
            r = src[units]
            pre[:, units] = pre[:, units] * den[:, r] + num[:, r] * mlp.w1[r, units]
            t.add("mlp", 3 * num.shape[0] * units.size)
        hidden = np.maximum(pre, 0.0)
        t.add("mlp", hidden.size)
        ints = np.flatnonzero(src < 0)
        out = t.matmul("mlp", hidden[:, ints], mlp.w2[ints]) + mlp.b2
        t.add("mlp", out.size)
        for rdim in np.unique(src[units]):
            group = np.flatnonzero(src == rdim)
            g = t.matmul("mlp", hidden[:, group], mlp.w2[group])
            out += g / den[:, rdim][:, None]
            t.add("mlp", 2 * g.size)
        return out

    def readout_cost(self, t: OpTally, res: ForwardResult) -> None:
        spec, n = self.spec, res.num.shape[0]
        r = spec.token_readout
        m = len(r.labels)
        t.add("readout", n * spec.width * m + n * m + (n * (m - 1) if r.kind == "vocab" else 0))
        if spec.control_w is not None:
            t.add("readout", 3 * (n * spec.width + 2 * n))


@dataclass(frozen=True)
class PassRecord:
    length: int
    ops: dict[str, int]


def counted_pass(model: CompiledTransformer, canvas: Sequence[Any],
                 verify: bool = True, forward_cls: type = CountedForward
                 ) -> tuple[list, np.ndarray, dict[str, int]]:
    """Tokens, control bits and op counts of one serially recomputed pass."""
    res, ops = forward_cls(model).run(canvas)
    if verify:
        ref = model.run(canvas)
        for name, mine, theirs in (("num", res.num, ref.num), ("den", res.den, ref.den)):
            bad = np.argwhere(mine != theirs)
            if bad.size:
                i, d = map(int, bad[0])
                raise CompiledModelMismatch(
                    f"serial recomputation differs from the forward pass ({name}) at position "
                    f"{i}, dimension {model.spec.dim_names[d]!r}")
    return decode_tokens(res, model.codec), control_bits(res), ops


def mdm_output(canvas: Sequence[Any], tokens: list, bits: np.ndarray) -> StepOutput:
    """MDM reading of the readouts: a mask stays masked iff its remask bit is set; decoded
    positions keep their token (their bits are ignored); no insert/delete."""
    stay = frozenset(i for i, t in enumerate(canvas) if t is MASK and bits[i, 0])
    return StepOutput(tuple(tokens), remask=stay)


def apmdm_output(canvas: Sequence[Any], tokens: list, bits: np.ndarray) -> StepOutput:
    return StepOutput.dense(tuple(tokens), [tuple(map(bool, b)) for b in bits])


@dataclass(frozen=True)
class SerialRun:
    """A serially simulated run: its result, operation counts and step accounting."""

    model: Model
    final: Canvas
    stop: StopReason
    passes: int
    effective_steps: int  # steps that changed the canvas (MDM: filled >= 1 mask)
    lengths: tuple[int, ...]  # canvas length at each pass
    ops: dict[str, int]  # summed by category, the transition g included
    ended_by_idle_step: bool  # MDM: the last step filled nothing

    @property
    def total_ops(self) -> int:
        return sum(self.ops.values())

    @property
    def context(self) -> int:
        return max(self.lengths, default=len(self.final))


def _simulate(model_kind: Model, model: CompiledTransformer, canvas: Sequence[Any],
              limits: Limits, forward_cls: type, verify: bool, eos: Any = None) -> SerialRun:
    reading = mdm_output if model_kind.is_mdm_family else apmdm_output
    records: list[PassRecord] = []

    def f(c: Canvas) -> StepOutput:
        tokens, bits, ops = counted_pass(model, c, verify, forward_cls)
        records.append(PassRecord(len(c), ops))  # accounting only: output depends on c alone
        return reading(c, tokens, bits)

    process = GenerationProcess(model_kind, f, eos=eos, name="serial-simulation")
    effective, idle_end, final, stop = 0, False, tuple(canvas), StopReason.NO_MASK
    transition = 0
    for rec in process.run_stepwise(canvas, limits):
        transition += len(rec.before)  # g: one serial pass over the canvas
        effective += int(rec.after != rec.before)
        if model_kind.is_mdm_family and not rec.events.unmasked:
            if rec.stop is not StopReason.FIXED_POINT:
                raise ConstructionError(f"MDM step {rec.step} filled nothing but the run went on")
            idle_end = True
        final, stop = rec.after, rec.stop or stop
    ops = dict.fromkeys(CATEGORIES, 0)
    for r in records:
        for k, v in r.ops.items():
            ops[k] += v
    ops["transition"] += transition
    lengths = tuple(r.length for r in records)
    return SerialRun(model_kind, final, stop, len(records), effective, lengths, ops, idle_end)


Simulator = Callable[..., SerialRun]


def simulate_mdm(model: CompiledTransformer, canvas: Sequence[Any], limits: Limits | None = None,
                 forward_cls: type = CountedForward, verify: bool = True) -> SerialRun:
    """Serially simulate the MDM run of ``model`` from ``canvas`` (S + 1 steps allowed, so a
    run that would exceed the theorem's S passes is seen, not cut off)."""
    s = len(canvas)
    lim = limits or Limits(max_steps=s + 1, max_context=max(1, s))
    return _simulate(Model.MDM, model, canvas, lim, forward_cls, verify)


def simulate_apmdm(model: CompiledTransformer, canvas: Sequence[Any], limits: Limits,
                   forward_cls: type = CountedForward, verify: bool = True,
                   eos: Any = None) -> SerialRun:
    """The same counting on an AP-MDM run (steps may exceed the context: rewrites)."""
    return _simulate(Model.APMDM, model, canvas, limits, forward_cls, verify, eos)

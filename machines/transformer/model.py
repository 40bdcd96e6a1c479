"""A compiled transformer (weights + token codec), its readouts, and the next-step adapter.

Readouts ([paper] + [decision]):

* token, ``vocab`` kind: logits ``x W + b`` over a finite vocabulary; the token is the
  arg-max (first index on ties). MASK is never in the vocabulary, so never emitted.
* token, ``fields`` kind ([decision] for wide tokens): the integer values ``x W + b`` are the
  token's fields, decoded by the codec. In AHA mode they are exact integers (checked).
* controls: three logits ``x W_c + b_c``; a bit is set iff its logit is > 0.

:func:`transformer_next_step` turns a :class:`CompiledTransformer` into a next-step function
``canvas -> StepOutput``: a pure function of the (immutable) weights and the canvas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from apmdm.machines.errors import InvalidArgumentError, PrecisionError
from apmdm.machines.process import NextStep, StepOutput
from apmdm.machines.transformer.embedding import IncrementalEncoder, TokenCodec
from apmdm.machines.transformer.forward import ForwardResult, forward
from apmdm.machines.transformer.spec import TransformerSpec


@dataclass(frozen=True, eq=False)
class CompiledTransformer:
    """Weights plus the codec that maps canvases to token fields and back."""

    spec: TransformerSpec
    codec: TokenCodec
    name: str = ""
    info: dict = field(default_factory=dict)

    def run(self, canvas: Sequence[Any], mode: str = "aha",
            beta: float | None = None) -> ForwardResult:
        return forward(self.spec, self.codec.encode_canvas(canvas), mode, beta)


def token_readout(res: ForwardResult, rows: np.ndarray | None = None) -> np.ndarray:
    """The token readout ``x W + b`` at every position, or at the positions ``rows`` only
    (a gather of those rows of the residual stream: O(len(rows) d), not O(n d)). Only the
    residual dimensions with a nonzero weight are read (the others add exact zeros)."""
    r = res.spec.token_readout
    used = _nonzero_rows(r.w)
    num = res.num[:, used]
    return (num if rows is None else num[rows]) @ r.w[used] + r.b


def control_bits(res: ForwardResult) -> np.ndarray:
    """``(n, 3)`` bools (remask, insert, delete); all False if the spec has no controls."""
    s = res.spec
    if s.control_w is None:
        return np.zeros((res.num.shape[0], 3), dtype=bool)
    used = _nonzero_rows(s.control_w)
    return (res.num[:, used] @ s.control_w[used] + s.control_b) > 0


_USED_ROWS: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _nonzero_rows(w: np.ndarray) -> np.ndarray:
    """The rows of the readout weights ``w`` holding a nonzero weight (cached per array)."""
    hit = _USED_ROWS.get(id(w))
    if hit is None or hit[0] is not w:
        hit = (w, np.flatnonzero(np.any(w != 0, axis=1)))
        if len(_USED_ROWS) > 64:
            _USED_ROWS.clear()
        _USED_ROWS[id(w)] = hit
    return hit[1]


def decode_tokens(res: ForwardResult, codec: TokenCodec,
                  rows: np.ndarray | None = None) -> list:
    """The decoded tokens at every position, or at the positions ``rows`` only (in order)."""
    r = res.spec.token_readout
    vals = token_readout(res, rows)
    at = np.arange(res.num.shape[0]) if rows is None else np.asarray(rows)
    if r.kind == "vocab":
        return [r.labels[k] for k in np.argmax(vals, axis=1)] if len(r.labels) else []
    if res.mode == "aha":
        if np.any(vals != np.round(vals)):
            i = int(at[np.argwhere(vals != np.round(vals))[0][0]])
            raise PrecisionError(f"token field readout is not an integer at position {i}")
    else:
        vals = np.rint(vals)
    if codec.decode_rows is not None:
        batch = codec.decode_rows(vals.astype(np.int64))
        if batch is not None:           # None: some row does not decode; the loop names it
            return batch
    out = []
    for i, row in zip(at.tolist(), vals.astype(np.int64).tolist(), strict=True):
        try:
            out.append(codec.decode(tuple(row)))
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise InvalidArgumentError(f"position {i}: fields {tuple(row)} decode to no token "
                                       f"({exc})") from None
    return out


def step_output(res: ForwardResult, codec: TokenCodec) -> StepOutput:
    """The dense output: a token at every position and the control bits."""
    bits = control_bits(res)
    return StepOutput.dense(decode_tokens(res, codec), [tuple(map(bool, b)) for b in bits])


def read_positions(is_mask: np.ndarray, bits: np.ndarray) -> np.ndarray:
    """The positions where the transition g reads ``y``: masked, neither remasked nor deleted
    (see :func:`machines.process.apply_transition`)."""
    return np.flatnonzero(is_mask.astype(bool) & ~bits[:, 0] & ~bits[:, 2])


def sparse_step_output(res: ForwardResult, codec: TokenCodec, fields: np.ndarray) -> StepOutput:
    """The output g needs: tokens only at :func:`read_positions` (a gather of those rows, then
    the readout and the codec's decode there), and the control bits. g reads ``y`` nowhere
    else, so the run is the same as with :func:`step_output` (differential-tested), at
    O(read positions) decoding cost instead of O(canvas). ``fields``: the encoded canvas
    (column 0 is ``is_mask``)."""
    bits = control_bits(res)
    rows = read_positions(fields[:, 0], bits)
    tokens = dict(zip(rows.tolist(), decode_tokens(res, codec, rows), strict=True))
    sets = [frozenset(np.flatnonzero(bits[:, k]).tolist()) for k in range(3)]
    return StepOutput(tokens, *sets)


def transformer_next_step(model: CompiledTransformer, mode: str = "aha",
                          beta: float | None = None) -> NextStep:
    """The next-step function ``canvas -> StepOutput`` computed by the transformer, with the
    dense output (a token at every position). The canvas is encoded incrementally
    (:class:`~apmdm.machines.transformer.embedding.IncrementalEncoder`, same array as the
    full encode)."""
    encoder = IncrementalEncoder(model.codec)

    def next_step(canvas: Sequence[Any]) -> StepOutput:
        return step_output(forward(model.spec, encoder.encode(canvas), mode, beta), model.codec)

    next_step.__name__ = f"transformer[{model.name}]"
    return next_step


def transformer_generation_step(model: CompiledTransformer, mode: str = "aha",
                                beta: float | None = None) -> NextStep:
    """:func:`transformer_next_step` for a generation loop: the output gives ``y`` only where
    g reads it (:func:`sparse_step_output`), so one step decodes O(filled) positions. The run
    of a generation process is the same as with :func:`transformer_next_step`
    (differential-tested)."""
    encoder = IncrementalEncoder(model.codec)

    def next_step(canvas: Sequence[Any]) -> StepOutput:
        fields = encoder.encode(canvas)
        return sparse_step_output(forward(model.spec, fields, mode, beta), model.codec, fields)

    next_step.__name__ = f"transformer[{model.name}]"
    return next_step

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
from apmdm.machines.transformer.embedding import TokenCodec
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


def token_readout(res: ForwardResult) -> np.ndarray:
    r = res.spec.token_readout
    return res.num @ r.w + r.b


def control_bits(res: ForwardResult) -> np.ndarray:
    """``(n, 3)`` bools (remask, insert, delete); all False if the spec has no controls."""
    s = res.spec
    if s.control_w is None:
        return np.zeros((res.num.shape[0], 3), dtype=bool)
    return (res.num @ s.control_w + s.control_b) > 0


def decode_tokens(res: ForwardResult, codec: TokenCodec) -> list:
    r = res.spec.token_readout
    vals = token_readout(res)
    if r.kind == "vocab":
        return [r.labels[k] for k in np.argmax(vals, axis=1)] if len(r.labels) else []
    if res.mode == "aha":
        if np.any(vals != np.round(vals)):
            i = int(np.argwhere(vals != np.round(vals))[0][0])
            raise PrecisionError(f"token field readout is not an integer at position {i}")
    else:
        vals = np.rint(vals)
    out = []
    for i, row in enumerate(vals.astype(np.int64)):
        try:
            out.append(codec.decode(tuple(int(v) for v in row)))
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise InvalidArgumentError(f"position {i}: fields {tuple(row)} decode to no token "
                                       f"({exc})") from None
    return out


def step_output(res: ForwardResult, codec: TokenCodec) -> StepOutput:
    bits = control_bits(res)
    return StepOutput.dense(decode_tokens(res, codec), [tuple(map(bool, b)) for b in bits])


def transformer_next_step(model: CompiledTransformer, mode: str = "aha",
                          beta: float | None = None) -> NextStep:
    """The next-step function ``canvas -> StepOutput`` computed by the transformer."""

    def next_step(canvas: Sequence[Any]) -> StepOutput:
        return step_output(model.run(canvas, mode, beta), model.codec)

    next_step.__name__ = f"transformer[{model.name}]"
    return next_step

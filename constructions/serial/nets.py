"""Hand-built transformers for Theorem 2: the worst-case MDM and an AP-MDM binary counter.

Both read the canvas ``B x_1 … x_{S-1}`` (``B`` = BOS, cells 0, 1 or MASK) and share one
layer (integer weights, the architecture of :mod:`machines.transformer`):

* head R, score ``K·is0_j + pos_j`` with ``K = max_length + 1``: the unique arg-max is the
  rightmost 0 if there is one; it writes ``r`` (its position) and ``z`` (1 iff it is a 0);
* head L, score ``K·isM_j − pos_j``: the leftmost MASK; writes ``l`` and ``m``
  (1 iff a mask exists);
* MLP (5 ReLU units, exact on integers): ``ge = relu(i−r+1) − relu(i−r) = [i ≥ r]`` and
  ``eq = relu(i−l+1) − 2·relu(i−l) + relu(i−l−1) = [i = l]``.

Token readout over (0, 1): logits ``(1, 2·eq)``, so position ``l`` gets 1 and every other
position 0. Control readouts (a bit is set iff its logit is > 0; insert/delete never):

* :func:`left_to_right_mdm`: remask logit ``2·isM − 2·eq − 1``: every mask but the leftmost
  stays masked. On ``B`` + (S−1) masks it takes S−1 effective steps, the most an MDM on a
  length-S canvas with a fixed BOS can take: the worst case of Theorem 2.
* :func:`binary_counter_apmdm`: remask logit ``2·ge + 2·z − 2·m − 3``: with no mask and a 0
  present, remask every position from the rightmost 0 on; with masks, the fill writes 1 at
  the leftmost and 0 elsewhere: one increment per two steps, in place. From n zeros it
  reaches n ones after ``2·(2ⁿ − 1)`` steps and then idles (fixed point): ``2ⁿ⁺¹ − 1`` passes
  on a canvas of length n + 1.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from apmdm.machines.tokens import MASK, Canvas
from apmdm.machines.transformer.embedding import TokenCodec
from apmdm.machines.transformer.model import CompiledTransformer
from apmdm.machines.transformer.spec import MLP, Head, Layer, TokenReadout, TransformerSpec

BOS = "B"
MAX_LENGTH = 1024
_K = MAX_LENGTH + 1
DIMS = ("isM", "is0", "is1", "isB", "one", "pos", "r", "z", "l", "m", "ge", "eq")
_D = {name: i for i, name in enumerate(DIMS)}
_TOKEN_FEATURES = ("is_mask", "field_eq:sym:0", "field_eq:sym:1", "field_eq:sym:2")
_POSITION_FEATURES = ("one", "pos")


def _encode(token: Any) -> tuple[int]:
    if token == BOS:
        return (2,)
    if token in (0, 1) and not isinstance(token, bool):
        return (int(token),)
    raise ValueError(f"not a counter token: {token!r}")


def _decode(fields: tuple[int, ...]) -> Any:
    return BOS if fields[0] == 2 else fields[0]


CODEC = TokenCodec(("sym",), ((0, 2),), _encode, _decode)


def _m(rows: int, cols: int, entries: dict[tuple[int, int], int]) -> np.ndarray:
    out = np.zeros((rows, cols), dtype=np.float64)
    for (i, j), v in entries.items():
        out[i, j] = v
    return out


def _locator_layer() -> Layer:
    d, c = len(DIMS), _D
    head_r = Head(
        "rightmost-zero",
        w_q=_m(d, 2, {(c["one"], 0): _K, (c["one"], 1): 1}),
        w_k=_m(d, 2, {(c["is0"], 0): 1, (c["pos"], 1): 1}),
        w_v=_m(d, 2, {(c["pos"], 0): 1, (c["is0"], 1): 1}),
        out_dims=(c["r"], c["z"]),
        note="score K*is0_j + pos_j: the rightmost 0",
    )
    head_l = Head(
        "leftmost-mask",
        w_q=_m(d, 2, {(c["one"], 0): _K, (c["one"], 1): 1}),
        w_k=_m(d, 2, {(c["isM"], 0): 1, (c["pos"], 1): -1}),
        w_v=_m(d, 2, {(c["pos"], 0): 1, (c["isM"], 1): 1}),
        out_dims=(c["l"], c["m"]),
        note="score K*isM_j - pos_j: the leftmost mask",
    )
    w1 = _m(d, 5, {(c["pos"], u): 1 for u in range(5)}
            | {(c["r"], 0): -1, (c["r"], 1): -1}
            | {(c["l"], u): -1 for u in (2, 3, 4)})
    b1 = np.array([1.0, 0.0, 1.0, 0.0, -1.0])
    w2 = _m(5, d, {(0, c["ge"]): 1, (1, c["ge"]): -1,
                   (2, c["eq"]): 1, (3, c["eq"]): -2, (4, c["eq"]): 1})
    mlp = MLP(w1, b1, w2, np.zeros(d), notes=("ge = [i >= r]", "eq = [i == l]"))
    return Layer((head_r, head_l), mlp)


def _field_names(names: tuple[str, ...]) -> dict:
    if "field_names" in TransformerSpec.__dataclass_fields__:
        return {"field_names": names}
    return {"notes": {"field_names": names}}


def locator_model(name: str, remask: dict[str, int], remask_bias: int) -> CompiledTransformer:
    """The shared layer and token readout with the remask logit ``Σ remask[dim]·dim + bias``
    (dims from ``DIMS``): the family the hypothesis strategies draw from."""
    d, c = len(DIMS), _D
    w_tok = _m(4, d, {(0, c["isM"]): 1, (1, c["is0"]): 1, (2, c["is1"]): 1, (3, c["isB"]): 1})
    w_pos = _m(2, d, {(0, c["one"]): 1, (1, c["pos"]): 1})
    readout = TokenReadout("vocab", _m(d, 2, {(c["eq"], 1): 2}), np.array([1.0, 0.0]), (0, 1))
    control_w = _m(d, 3, {(c[k], 0): v for k, v in remask.items()})
    spec = TransformerSpec(
        dim_names=DIMS, rational=(False,) * d, token_features=_TOKEN_FEATURES,
        position_features=_POSITION_FEATURES, w_tok=w_tok, w_pos=w_pos,
        layers=(_locator_layer(),), token_readout=readout, control_w=control_w,
        control_b=np.array([float(remask_bias), -1.0, -1.0]), max_length=MAX_LENGTH,
        name=name, **_field_names(("sym",)),
    ).validate()
    return CompiledTransformer(spec, CODEC, name)


def left_to_right_mdm() -> CompiledTransformer:
    """MDM filling exactly the leftmost mask (with 1) each step: S−1 effective steps."""
    return locator_model("left-to-right-mdm", {"isM": 2, "eq": -2}, -1)


def binary_counter_apmdm() -> CompiledTransformer:
    """AP-MDM binary counter rewriting in place: 2^(n+1) − 1 passes on length n + 1."""
    return locator_model("binary-counter-apmdm", {"ge": 2, "z": 2, "m": -2}, -3)


def masked_canvas(s: int) -> Canvas:
    """``B`` followed by ``s − 1`` masks (canvas length s)."""
    return (BOS,) + (MASK,) * (s - 1)


def counter_canvas(n_bits: int) -> Canvas:
    return (BOS,) + (0,) * n_bits

"""Token codec and the embedding: token features + position features, recomputed each step.

A :class:`TokenCodec` turns a canvas into an integer array of *fields* (column 0 is
``is_mask``; then one column per named field, 0 at MASK) and turns readout field values
back into a token. The embedding is ``T W_tok + P W_pos`` where ``T`` holds the token
features and ``P`` the position features named in the spec (see
:mod:`machines.transformer.spec` for the menus). Every feature is an integer, so the
embedding is exact.

[decision] "Wide tokens" (tuples carrying O(log n)-bit integers) are not enumerated into a
vocabulary table; their integer fields enter the embedding linearly (plus squares and
indicators where a construction asks for them), which is what an embedding table would
hold for the finite vocabulary of a fixed n.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from apmdm.machines.errors import InvalidArgumentError, SizeLimitExceeded
from apmdm.machines.tokens import MASK


@dataclass(frozen=True)
class TokenCodec:
    """``encode(token) -> tuple[int, ...]`` (one int per field, never called on MASK) and
    ``decode(fields) -> token``. ``bounds[f] = (lo, hi)`` is each field's declared domain."""

    field_names: tuple[str, ...]
    bounds: tuple[tuple[int, int], ...]
    encode: Callable[[Any], tuple[int, ...]]
    decode: Callable[[tuple[int, ...]], Any]

    def encode_canvas(self, canvas: Sequence[Any]) -> np.ndarray:
        """``(n, 1 + F)`` int64 array: ``is_mask`` then the fields."""
        n, nf = len(canvas), len(self.field_names)
        out = np.zeros((n, 1 + nf), dtype=np.int64)
        for i, tok in enumerate(canvas):
            if tok is MASK:
                out[i, 0] = 1
                continue
            try:
                vals = self.encode(tok)
            except ApmdmErrorTypes as exc:
                raise InvalidArgumentError(f"position {i}: cannot encode token {tok!r}: {exc}") \
                    from None
            if len(vals) != nf:
                raise InvalidArgumentError(
                    f"position {i}: token {tok!r} encodes to {len(vals)} fields, expected {nf}")
            for f, (v, (lo, hi)) in enumerate(zip(vals, self.bounds, strict=True)):
                if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not lo <= v <= hi:
                    raise InvalidArgumentError(
                        f"position {i}: field {self.field_names[f]!r} of token {tok!r} is "
                        f"{v!r}, outside its domain [{lo}, {hi}]")
                out[i, 1 + f] = int(v)
        return out


ApmdmErrorTypes = (KeyError, ValueError, TypeError, IndexError, InvalidArgumentError)


def token_feature_matrix(names: Sequence[str], field_names: Sequence[str],
                         fields: np.ndarray) -> np.ndarray:
    """The token features named in ``names`` for an encoded canvas (float64, exact ints)."""
    index = {f: 1 + k for k, f in enumerate(field_names)}
    cols = []
    for name in names:
        parts = name.split(":")
        try:
            if name == "is_mask":
                col = fields[:, 0]
            elif parts[0] == "field" and len(parts) == 2:
                col = fields[:, index[parts[1]]]
            elif parts[0] == "field_sq" and len(parts) == 2:
                col = fields[:, index[parts[1]]] ** 2
            elif parts[0] == "field_eq" and len(parts) == 3:
                col = (fields[:, index[parts[1]]] == int(parts[2])) & (fields[:, 0] == 0)
            elif parts[0] == "field_bit" and len(parts) == 3 and parts[2].isdigit():
                col = (fields[:, index[parts[1]]] >> int(parts[2])) & 1
            else:
                raise KeyError(name)
        except (KeyError, ValueError):
            raise InvalidArgumentError(f"unknown token feature {name!r}") from None
        cols.append(np.asarray(col, dtype=np.float64))
    return np.stack(cols, axis=1) if cols else np.zeros((len(fields), 0))


def _block_args(parts: list[str]) -> bool:
    """``pos_div:K:O`` / ``pos_mod:K:O``: K a positive integer, O an integer."""
    try:
        int(parts[2])
        return int(parts[1]) >= 1
    except ValueError:
        return False


def position_feature_matrix(names: Sequence[str], n: int, max_length: int) -> np.ndarray:
    """The position features named in ``names`` for a canvas of length ``n``."""
    if n > max_length:
        raise SizeLimitExceeded(f"canvas length {n} exceeds the model's max_length {max_length}")
    j = np.arange(n, dtype=np.int64)
    cols = []
    for name in names:
        parts = name.split(":")
        if name == "one":
            col = np.ones(n, dtype=np.int64)
        elif name == "pos":
            col = j
        elif name == "pos_sq":
            col = j * j
        elif parts[0] == "pos_bit" and len(parts) == 2 and parts[1].isdigit():
            col = (j >> int(parts[1])) & 1
        elif parts[0] in ("pos_div", "pos_mod") and len(parts) == 3 and _block_args(parts):
            k, off = int(parts[1]), int(parts[2])
            col = (j - off) // k if parts[0] == "pos_div" else (j - off) % k
        else:
            raise InvalidArgumentError(f"unknown position feature {name!r}")
        cols.append(col.astype(np.float64))
    return np.stack(cols, axis=1) if cols else np.zeros((n, 0))

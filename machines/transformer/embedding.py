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

import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from typing import Any

import numpy as np

from apmdm.machines.errors import InvalidArgumentError, SizeLimitExceeded
from apmdm.machines.tokens import MASK


@dataclass(frozen=True)
class TokenCodec:
    """``encode(token) -> tuple[int, ...]`` (one int per field, never called on MASK) and
    ``decode(fields) -> token``. ``bounds[f] = (lo, hi)`` is each field's declared domain.

    Optional batch forms [decision], fast paths with the per-token functions as their
    reference (a codec that gives them has a differential test against them):

    * ``encode_rows(tokens) -> (k, F) int64 array | None``: the rows ``encode(t)`` for a list
      of non-MASK tokens, or None whenever it cannot vouch for every row (a token of a kind
      it does not vectorise, a value that is not a plain int or leaves int64); the per-token
      path then runs and raises its typed error. The domain check is applied to the array
      either way (:meth:`encode_positions`).
    * ``decode_rows(values) -> list | None``: ``[decode(tuple(row)) for row in values]`` for
      an ``(k, F)`` int64 array, or None whenever some row would not decode cleanly (the
      per-row path then raises its error, naming the position).
    """

    field_names: tuple[str, ...]
    bounds: tuple[tuple[int, int], ...]
    encode: Callable[[Any], tuple[int, ...]]
    decode: Callable[[tuple[int, ...]], Any]
    encode_rows: Callable[[Sequence[Any]], np.ndarray | None] | None = None
    decode_rows: Callable[[np.ndarray], list | None] | None = None

    def encode_canvas(self, canvas: Sequence[Any]) -> np.ndarray:
        """``(n, 1 + F)`` int64 array: ``is_mask`` then the fields."""
        out = np.zeros((len(canvas), 1 + len(self.field_names)), dtype=np.int64)
        self.encode_positions(out, range(len(canvas)), canvas)
        return out

    def encode_positions(self, out: np.ndarray, positions: Sequence[int],
                         canvas: Sequence[Any]) -> None:
        """:meth:`encode_into` for ``canvas[i]`` at every ``i`` in ``positions``, validated per
        field in one vectorised pass; if any value is not a plain in-domain int, the rows are
        redone one by one by :meth:`encode_into`, which raises its typed error at the first
        bad position (same result and message as the row-by-row encode). With
        ``encode_rows``, the non-MASK tokens are encoded in one batch first; if it declines or
        a value is out of its domain, the per-token path below decides."""
        if self.encode_rows is not None and self._encode_batch(out, positions, canvas):
            return
        rows, vals = [], []
        for i in positions:
            tok = canvas[i]
            if tok is MASK:
                out[i, 0] = 1
                out[i, 1:] = 0
                continue
            try:
                vals.append(self.encode(tok))
            except ApmdmErrorTypes:
                self.encode_into(out, i, tok)   # raises the typed error for position i
            rows.append(i)
        if not rows:
            return
        if not self._valid(vals):
            for i in rows:
                self.encode_into(out, i, canvas[i])
            return
        out[rows, 0] = 0
        out[rows, 1:] = vals

    def _encode_batch(self, out: np.ndarray, positions: Sequence[int],
                      canvas: Sequence[Any]) -> bool:
        """:meth:`encode_positions` through ``encode_rows``; False (``out`` untouched) if the
        batch declines or some value lies outside its field's domain."""
        at = np.asarray(positions, dtype=np.intp).reshape(-1)
        toks = list(map(canvas.__getitem__, at.tolist()))
        masked = np.fromiter(map(operator.is_, toks, repeat(MASK)), dtype=bool,
                             count=len(toks))
        live = list(compress(toks, ~masked)) if masked.any() else toks
        nf = len(self.field_names)
        vals = self.encode_rows(live) if live else np.zeros((0, nf), dtype=np.int64)
        if not (isinstance(vals, np.ndarray) and vals.dtype == np.int64
                and vals.shape == (len(live), nf)):
            return False
        lo, hi = np.array(self.bounds, dtype=np.int64).reshape(nf, 2).T
        if not np.all((vals >= lo) & (vals <= hi)):
            return False
        rows = at[~masked]
        out[rows, 0] = 0
        out[rows, 1:] = vals
        gaps = at[masked]
        out[gaps, 0] = 1
        out[gaps, 1:] = 0
        return True

    def _valid(self, vals: list) -> bool:
        """Every encoded row has F plain ints (no bool), each inside its field's domain."""
        nf = len(self.field_names)
        if any(len(v) != nf for v in vals):
            return False
        types = set(map(type, chain.from_iterable(vals)))
        if not all(t is int or issubclass(t, np.integer) for t in types):
            return False        # bool, float, str, ...: the row-by-row path names it
        try:
            arr = np.array(vals, dtype=np.int64)
        except (OverflowError, TypeError, ValueError):
            return False
        lo, hi = np.array(self.bounds, dtype=np.int64).reshape(nf, 2).T
        return bool(np.all((arr >= lo) & (arr <= hi)))

    def encode_into(self, out: np.ndarray, i: int, tok: Any) -> None:
        """Write row ``i`` of :meth:`encode_canvas` for the token ``tok`` into ``out``
        (validated: typed error naming the position, field and domain)."""
        nf = len(self.field_names)
        if tok is MASK:
            out[i, 0] = 1
            out[i, 1:] = 0
            return
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
        out[i, 0] = 0
        out[i, 1:] = vals


class IncrementalEncoder:
    """:meth:`TokenCodec.encode_canvas`, re-encoding only the positions that changed.

    [decision] An optimisation with the same result, array for array, as the full encode
    (differential-tested). The encoder keeps the last canvas it saw and its encoding; for the
    next canvas it re-encodes only the positions whose token is not the *same object* as
    before (tokens are immutable, so an identical object encodes identically): with equal
    lengths the positions are compared one to one; with a different length (insert/delete),
    the common prefix and suffix are kept and the middle is re-encoded. A generation step
    changes the ``P`` positions it fills (or remasks), so encoding costs O(changed) codec
    calls plus one identity scan, instead of O(canvas) codec calls. The returned array is
    read-only; it stays valid until the next call.
    """

    def __init__(self, codec: TokenCodec) -> None:
        self.codec = codec
        self._canvas: tuple | None = None
        self._fields: np.ndarray | None = None

    def encode(self, canvas: Sequence[Any]) -> np.ndarray:
        new = tuple(canvas)
        try:
            fields = self._update(new)
        except BaseException:
            self._canvas = self._fields = None   # a partial update is never reused
            raise
        fields.flags.writeable = False
        self._canvas, self._fields = new, fields
        return fields

    def _update(self, new: tuple) -> np.ndarray:
        old, fields = self._canvas, self._fields
        if old is None or fields is None:
            fields = self.codec.encode_canvas(new)
        elif len(old) == len(new):
            changed = np.flatnonzero(np.fromiter(map(operator.is_not, new, old), dtype=bool,
                                                 count=len(new)))
            if changed.size:
                fields.flags.writeable = True
                self.codec.encode_positions(fields, changed.tolist(), new)
        else:
            fields = self._splice(old, fields, new)
        return fields

    def _splice(self, old: tuple, fields: np.ndarray, new: tuple) -> np.ndarray:
        m = min(len(old), len(new))
        lo = 0
        while lo < m and new[lo] is old[lo]:
            lo += 1
        hi = 0
        while hi < m - lo and new[-1 - hi] is old[-1 - hi]:
            hi += 1
        out = np.empty((len(new), fields.shape[1]), dtype=np.int64)
        out[:lo] = fields[:lo]
        if hi:
            out[len(new) - hi:] = fields[len(old) - hi:]
        self.codec.encode_positions(out, range(lo, len(new) - hi), new)
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

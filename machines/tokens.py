"""Tokens, the MASK token, and their JSON encoding.

A token is a ``str``, an ``int`` (not ``bool``) or a tuple of tokens ("wide tokens" carry
O(log n)-bit integers as tuples of ints). ``MASK`` is a distinguished singleton that is not
a token of any vocabulary. In JSON a token is encoded as itself, a tuple as a list, and
``MASK`` as ``null``.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from operator import countOf
from typing import Any

from apmdm.machines.errors import InvalidArgumentError


class _Mask:
    """The MASK token. A singleton: compare with ``is MASK``."""

    _instance: _Mask | None = None

    def __new__(cls) -> _Mask:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MASK"

    def __reduce__(self) -> str:
        return "MASK"


MASK = _Mask()

Token = str | int | tuple
Canvas = tuple  # tuple[Token | MASK, ...]


_PLAIN = frozenset({int, str})
_PLAIN_OR_TUPLE = frozenset({int, str, tuple})


def is_token(value: Any) -> bool:
    """True iff ``value`` is a valid (non-MASK) token."""
    kind = type(value)
    if kind is int or kind is str:
        return True
    if kind is tuple and set(map(type, value)) <= _PLAIN:  # a flat wide token: C-level scan
        return True
    if isinstance(value, bool):
        return False
    if isinstance(value, (str, int)):
        return True
    if isinstance(value, tuple):
        return all(is_token(v) for v in value)
    return False


def all_tokens(values: Sequence[Any]) -> bool:
    """True iff every item of ``values`` is a valid (non-MASK) token; the same answer as
    ``all(map(is_token, values))``, found by scanning the types of all items (and of all
    fields of wide tokens, level by level) at C speed."""
    kinds = set(map(type, values))
    if kinds <= _PLAIN:
        return True
    if kinds <= _PLAIN_OR_TUPLE:
        wide = values if kinds == {tuple} else [v for v in values if type(v) is tuple]
        # flat wide tokens of ints (the common case): count the int fields in one C-level
        # pass (no set insertions); otherwise the set of field types decides
        if countOf(map(type, chain.from_iterable(wide)), int) == sum(map(len, wide)):
            return True
        if set(map(type, chain.from_iterable(wide))) <= _PLAIN:  # flat wide tokens
            return True
        return all_tokens(list(chain.from_iterable(wide)))
    return all(is_token(v) for v in values)


def token_to_json(value: Any) -> Any:
    """Encode a token or MASK as a JSON value."""
    if value is MASK:
        return None
    if isinstance(value, bool):
        raise InvalidArgumentError(f"booleans are not tokens: {value!r}")
    if isinstance(value, (str, int)):
        return value
    if isinstance(value, tuple):
        return [token_to_json(v) for v in value]
    raise InvalidArgumentError(f"not a token: {value!r} of type {type(value).__name__}")


def token_from_json(value: Any) -> Any:
    """Decode a JSON value into a token or MASK; raise InvalidArgumentError if invalid."""
    if value is None:
        return MASK
    if isinstance(value, bool):
        raise InvalidArgumentError(f"booleans are not tokens: {value!r}")
    if isinstance(value, (str, int)):
        return value
    if isinstance(value, list):
        inner = [token_from_json(v) for v in value]
        if any(v is MASK for v in inner):
            raise InvalidArgumentError("MASK (null) cannot appear inside a wide token")
        return tuple(inner)
    raise InvalidArgumentError(f"not a token: {value!r}")


def canvas_to_json(canvas: Sequence[Any]) -> list:
    return [token_to_json(t) for t in canvas]


def canvas_from_json(values: Any) -> Canvas:
    if not isinstance(values, list):
        raise InvalidArgumentError(f"a canvas is a JSON list, got {type(values).__name__}")
    return tuple(token_from_json(v) for v in values)


def format_token(value: Any) -> str:
    """Short human-readable rendering of a token (used by viewers)."""
    if value is MASK:
        return "_"
    if isinstance(value, tuple):
        return "(" + ",".join(format_token(v) for v in value) + ")"
    return str(value)

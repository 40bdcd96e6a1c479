"""Shared validation for the toolkit's JSON Lines files (traces, transitions).

Every failure raises :class:`~machines.errors.MalformedTraceError` naming the file and the
1-based line, so a reader never shows a traceback for bad input.
"""

from __future__ import annotations

import json
from typing import Any

from machines.errors import InvalidArgumentError, MalformedTraceError
from machines.tokens import Canvas, canvas_from_json


class JsonLinesValidator:
    """Small named checks for one JSON Lines file; subclasses add the format's own."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, line: int | None, message: str) -> MalformedTraceError:
        return MalformedTraceError(message, self.path, line)

    def load(self, lineno: int, text: str) -> dict:
        """Parse one line as a JSON object."""
        try:
            obj = json.loads(text)
        except json.JSONDecodeError as exc:
            raise self.fail(lineno, f"malformed JSON: {exc.msg} at column {exc.colno}") from None
        except RecursionError:
            raise self.fail(lineno, "malformed JSON: nested too deeply") from None
        if not isinstance(obj, dict):
            raise self.fail(lineno, f"expected a JSON object, got {type(obj).__name__}")
        return obj

    def keys(self, lineno: int, obj: dict, expected: tuple[str, ...], what: str) -> None:
        """Exactly the ``expected`` fields: the first missing or unknown one is named."""
        missing = [k for k in expected if k not in obj]
        if missing:
            raise self.fail(lineno, f"{what}: missing field {missing[0]!r}")
        extra = sorted(k for k in obj if k not in expected)
        if extra:
            raise self.fail(lineno, f"{what}: unknown field {extra[0]!r}")

    def canvas(self, lineno: int, value: Any, field: str) -> Canvas:
        """A canvas (JSON list of tokens, null for MASK)."""
        try:
            return canvas_from_json(value)
        except InvalidArgumentError as exc:
            raise self.fail(lineno, f"field {field!r}: {exc}") from None

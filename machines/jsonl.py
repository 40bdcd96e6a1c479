"""Shared plumbing for the toolkit's output files: atomic writing, and validation of JSON Lines
files (traces, transitions).

Every validation failure raises :class:`~apmdm.machines.errors.MalformedTraceError` naming the file
and the 1-based line, so a reader never shows a traceback for bad input. Every write goes
through :func:`write_chunks_atomic`, so no reader ever sees a half-written file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from typing import Any

from apmdm.machines.errors import InvalidArgumentError, MalformedTraceError
from apmdm.machines.tokens import Canvas, canvas_from_json


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


def write_chunks_atomic(path: str | os.PathLike, chunks: Iterable[bytes]) -> None:
    """Stream ``chunks`` into a temp file beside ``path``, fsync, then ``os.replace``: readers
    see the old file or the complete new one; on any error the temp file is removed, and an
    OS error becomes :class:`InvalidArgumentError` naming the file."""
    target = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(target))
    try:
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=directory)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual file mode
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise InvalidArgumentError(f"cannot write {target}: {exc.strerror or exc}") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask

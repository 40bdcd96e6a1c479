"""Shared plumbing for the toolkit's files: bounded JSON parsing, streaming reads with a size
limit, content digests, and atomic writing that survives interruption.

Reading. :func:`loads_bounded` parses one JSON document and bounds it before the toolkit uses
it: integers have at most :data:`MAX_INT_DIGITS` ASCII digits (the JSON grammar allows no other
digits) and magnitude below 2^63, floats are finite, strings are at most
:data:`MAX_STRING_CHARS` characters and hold no lone surrogate, nesting is at most
:data:`MAX_DEPTH` deep; every violation names its JSON path. :class:`JsonLinesValidator` turns
these into :class:`~apmdm.machines.errors.MalformedTraceError` naming the file and the
1-based line; :func:`iter_lines` streams a file line by line and refuses a file larger than
its byte limit before reading it (``--max-bytes`` on the commands that read traces).

Integrity. :class:`LineDigest` hashes lines as they are written or read (SHA-256 of the exact
bytes, newline included): traces and transitions files record it on their final line.

Writing. Every write goes through :func:`write_chunks_atomic` or :func:`write_files_atomic`:
the data goes to a temp file beside the target, named ``.NAME.PID.RANDOM.part``; after an fsync
it is renamed onto the target, so a reader sees the old file or the complete new one. On any
error, Ctrl-C, SIGTERM or SIGHUP the temp files are removed (the signal then ends the command
with status 128 + signal number). A temp file left by a process that was killed outright
(SIGKILL, power loss) is removed by the next write of the same target once its pid is gone.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import signal
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from apmdm.machines.errors import (
    InvalidArgumentError,
    MalformedTraceError,
    OutputPathError,
    SizeLimitExceeded,
)
from apmdm.machines.tokens import Canvas, canvas_from_json

MAX_INT_DIGITS = 19
MAX_INT = 2**63 - 1
MAX_FLOAT_CHARS = 40
MAX_STRING_CHARS = 10_000
MAX_DEPTH = 32
DEFAULT_MAX_FILE_BYTES = 64 * 1024 * 1024


class JsonBoundError(ValueError):
    """A JSON document broke a bound; ``str()`` names the JSON path."""


def _parse_int(text: str) -> int:
    digits = text.lstrip("-")
    if len(digits) > MAX_INT_DIGITS:
        raise JsonBoundError(f"integer with {len(digits)} digits (at most {MAX_INT_DIGITS})")
    value = int(text)
    if abs(value) > MAX_INT:
        raise JsonBoundError(f"integer {value} outside -(2^63-1)..2^63-1")
    return value


def _parse_float(text: str) -> float:
    if len(text) > MAX_FLOAT_CHARS:
        raise JsonBoundError(f"number of {len(text)} characters (at most {MAX_FLOAT_CHARS})")
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise JsonBoundError(f"number {text[:20]} overflows a float")
    return value


def _parse_constant(text: str) -> float:
    raise JsonBoundError(f"{text} is not JSON")


def loads_bounded(text: str | bytes) -> Any:
    """Parse one JSON document within the bounds of the module docstring.

    Raises :class:`json.JSONDecodeError` for bad syntax and :class:`JsonBoundError` (naming
    the JSON path) for a bound that does not hold."""
    try:
        value = json.loads(text, parse_int=_parse_int, parse_float=_parse_float,
                           parse_constant=_parse_constant)
    except RecursionError:
        raise JsonBoundError(f"nested deeper than {MAX_DEPTH} levels") from None
    check_bounds(value)
    return value


def check_bounds(value: Any, path: str = "$") -> None:
    """Walk ``value`` (iteratively) and check depth, strings and integers; JSON path in errors."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        v, where, depth = stack.pop()
        if isinstance(v, str):
            _check_string(v, where)
        elif isinstance(v, bool) or v is None or isinstance(v, float):
            continue
        elif isinstance(v, int):
            if abs(v) > MAX_INT:
                raise JsonBoundError(f"{where}: integer outside -(2^63-1)..2^63-1")
        elif isinstance(v, (list, dict)):
            if depth >= MAX_DEPTH:
                raise JsonBoundError(f"{where}: nested deeper than {MAX_DEPTH} levels")
            if isinstance(v, dict):
                for k, item in v.items():
                    _check_string(k, f"{where} (a key)")
                    if not isinstance(item, str | int | float | type(None)):
                        stack.append((item, f"{where}.{_short(k)}", depth + 1))
                    elif isinstance(item, str):
                        _check_string(item, f"{where}.{_short(k)}")
            else:
                for i, item in enumerate(v):
                    if isinstance(item, str):
                        _check_string(item, f"{where}[{i}]")
                    elif isinstance(item, list | dict):
                        stack.append((item, f"{where}[{i}]", depth + 1))
        else:
            raise JsonBoundError(f"{where}: {type(v).__name__} is not JSON")


def _short(key: Any) -> str:
    text = str(key)
    return escape_control(text[:40] + ("..." if len(text) > 40 else ""))


def _check_string(s: Any, where: str) -> None:
    if not isinstance(s, str):
        raise JsonBoundError(f"{where}: key is not a string")
    if len(s) > MAX_STRING_CHARS:
        raise JsonBoundError(f"{where}: string of {len(s)} characters (at most "
                             f"{MAX_STRING_CHARS})")
    if not s.isascii():
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            raise JsonBoundError(f"{where}: string holds a lone surrogate") from None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]")


def escape_control(text: str) -> str:
    """``text`` with control characters (C0, DEL, C1, bidi overrides, line separators) written
    as ``\\xNN`` / ``\\uNNNN`` escapes, and lone surrogates as ``\\udNNN``: safe to print on
    one terminal line."""
    if text.isascii() and text.isprintable():
        return text
    out = _CONTROL.sub(lambda m: _escape_char(m.group()), text)
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:
        out = "".join(_escape_char(c) if 0xD800 <= ord(c) <= 0xDFFF else c for c in out)
    return out


def _escape_char(c: str) -> str:
    o = ord(c)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}"


class JsonLinesValidator:
    """Small named checks for one JSON Lines file; subclasses add the format's own."""

    def __init__(self, path: str):
        self.path = path

    def fail(self, line: int | None, message: str) -> MalformedTraceError:
        return MalformedTraceError(escape_control(message), escape_control(self.path), line)

    def load(self, lineno: int, text: str) -> dict:
        """Parse one line as a bounded JSON object."""
        try:
            obj = loads_bounded(text)
        except json.JSONDecodeError as exc:
            raise self.fail(lineno, f"malformed JSON: {exc.msg} at column {exc.colno}") from None
        except JsonBoundError as exc:
            raise self.fail(lineno, f"out of bounds: {exc}") from None
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
            raise self.fail(lineno, f"{what}: unknown field {_short(extra[0])!r}")

    def canvas(self, lineno: int, value: Any, field: str) -> Canvas:
        """A canvas (JSON list of tokens, null for MASK)."""
        try:
            return canvas_from_json(value)
        except InvalidArgumentError as exc:
            raise self.fail(lineno, f"field {field!r}: {exc}") from None

    def digest(self, lineno: int, value: Any, expected: str) -> None:
        """The recorded ``sha256:HEX`` digest equals the one computed while reading."""
        if not isinstance(value, str) or not re.fullmatch(r"sha256:[0-9a-f]{64}", value):
            raise self.fail(lineno, "field 'digest' must be 'sha256:' and 64 hex digits")
        if value != expected:
            raise self.fail(lineno, "corrupted file: the content digest does not match "
                                    "(a line was changed after the file was written)")


class LineDigest:
    """SHA-256 over lines (exact bytes plus newline), as ``sha256:HEX``."""

    def __init__(self) -> None:
        self._h = hashlib.sha256()

    def add(self, line: str | bytes) -> None:
        data = line.encode("utf-8", "surrogatepass") if isinstance(line, str) else line
        self._h.update(data)
        self._h.update(b"\n")

    def hexdigest(self, final_line: str | None = None) -> str:
        """The digest so far, followed by ``final_line`` (not added to the running hash)."""
        h = self._h.copy()
        if final_line is not None:
            h.update(final_line.encode("utf-8") + b"\n")
        return "sha256:" + h.hexdigest()


def iter_lines(path: str, validator: JsonLinesValidator,
               max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> Iterator[tuple[int, str]]:
    """Stream ``(lineno, text)`` of a UTF-8 JSON Lines file, newline removed. The file's size is
    checked against ``max_bytes`` before reading; a last line without newline is reported as
    truncation; an empty file too."""
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise validator.fail(None, f"cannot read: {exc.strerror or exc}") from None
    with fh:
        try:
            size = os.fstat(fh.fileno()).st_size
        except OSError as exc:  # pragma: no cover
            raise validator.fail(None, f"cannot read: {exc.strerror or exc}") from None
        if size > max_bytes:
            raise validator.fail(None, f"file of {size} bytes exceeds the read limit of "
                                       f"{max_bytes} bytes (raise it with --max-bytes)")
        lineno = 0
        read = 0
        for lineno, raw in enumerate(fh, start=1):
            read += len(raw)
            if read > max_bytes:  # the file grew while being read
                raise validator.fail(lineno, f"file exceeds the read limit of {max_bytes} "
                                             "bytes (raise it with --max-bytes)")
            if not raw.endswith(b"\n"):
                raise validator.fail(lineno, "truncated file (last line has no newline)")
            try:
                text = raw[:-1].decode("utf-8")
            except UnicodeDecodeError as exc:
                raise validator.fail(lineno, f"not UTF-8 text (byte {exc.start + 1})") from None
            yield lineno, text
        if lineno == 0:
            raise validator.fail(None, "empty file (no header)")


# --- writing -----------------------------------------------------------------------------

_TEMP = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d{1,10})\.[0-9a-f]{8}\.part\Z")


class Terminated(BaseException):
    """SIGTERM or SIGHUP arrived; like KeyboardInterrupt, it unwinds and removes temp files.
    The CLI ends with status 128 + ``signum``."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"terminated by signal {signum}")


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(signum)


TERMINATING_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP")
                            if hasattr(signal, n))


@contextlib.contextmanager
def terminating_signals_raise() -> Iterator[None]:
    """Within the block, SIGTERM and SIGHUP raise :class:`Terminated` (main thread only;
    a handler that is not the default one is left alone)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {}
    for sig in TERMINATING_SIGNALS:
        current = signal.getsignal(sig)
        if current in (signal.SIG_DFL, None):
            saved[sig] = current
            signal.signal(sig, _raise_terminated)
    try:
        yield
    finally:
        for sig, old in saved.items():
            signal.signal(sig, old if old is not None else signal.SIG_DFL)


def _pid_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def sweep_stale_temps(target: str) -> list[str]:
    """Remove temp files of ``target`` left by processes that are gone; return their names."""
    directory = os.path.dirname(os.path.abspath(target)) or "."
    base = os.path.basename(target)
    removed = []
    try:
        entries = os.listdir(directory)
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP.match(entry)
        if m is None or m.group("name") != base or _pid_alive(int(m.group("pid"))):
            continue
        try:
            os.unlink(os.path.join(directory, entry))
            removed.append(entry)
        except OSError:
            pass
    return removed


def _temp_path(target: str) -> str:
    directory = os.path.dirname(os.path.abspath(target))
    name = f".{os.path.basename(target)}.{os.getpid()}.{secrets.token_hex(4)}.part"
    return os.path.join(directory, name)


def _write_temp(target: str, chunks: Iterable[bytes]) -> str:
    tmp = _temp_path(target)
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot write {target}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_files_atomic(outputs: Sequence[tuple[str | os.PathLike, Iterable[bytes]]]) -> None:
    """All-or-nothing write of several files: every temp file is written first, then all are
    renamed; on any failure (or signal) before the renames, no target is touched and every
    temp file is removed. An OS error becomes :class:`InvalidArgumentError` naming the file."""
    targets = [os.fspath(p) for p, _ in outputs]
    temps: list[str] = []
    with terminating_signals_raise():
        try:
            for target, (_, chunks) in zip(targets, outputs, strict=True):
                sweep_stale_temps(target)
                temps.append(_write_temp(target, chunks))
            for target, tmp in zip(targets, temps, strict=True):
                os.replace(tmp, target)
        except BaseException as exc:
            for tmp in temps:
                _unlink(tmp)
            if isinstance(exc, OSError):
                raise InvalidArgumentError(f"cannot write {exc.filename or targets[0]}: "
                                           f"{exc.strerror or exc}") from None
            raise


def write_chunks_atomic(path: str | os.PathLike, chunks: Iterable[bytes]) -> None:
    """Stream ``chunks`` into a temp file beside ``path``, fsync, then ``os.replace`` (see the
    module docstring for temp names, signals and stale temp files)."""
    write_files_atomic([(path, chunks)])


def check_output_paths(outputs: dict[str, str | None], inputs: dict[str, str | None]) -> None:
    """Refuse, before any work, an output path equal (after resolving links and ``..``) to an
    input path or to another output. ``outputs`` / ``inputs`` map a label (the flag) to a path
    (``None`` entries are skipped)."""
    seen: dict[str, str] = {}
    for label, path in inputs.items():
        if path is not None and os.path.exists(path):
            seen.setdefault(os.path.realpath(path), f"the input {label}")
    for label, path in outputs.items():
        if path is None:
            continue
        real = os.path.realpath(path)
        if real in seen:
            raise OutputPathError(f"{label} {escape_control(path)!s} is the same file as "
                                  f"{seen[real]}; choose another output path")
        seen[real] = f"the output {label}"
        if os.path.isdir(real):
            raise OutputPathError(f"{label} {escape_control(path)} is a directory")
        parent = os.path.dirname(real)
        if not os.path.isdir(parent):
            raise OutputPathError(f"{label} {escape_control(path)}: no directory "
                                  f"{escape_control(parent)}")


def bounded_size(value: int, limit: int, what: str, flag: str) -> int:
    """``value`` if it is at most ``limit``, else a one-line :class:`SizeLimitExceeded`."""
    if value > limit:
        raise SizeLimitExceeded(f"{what} {value} exceeds the limit {limit} (raise it with "
                                f"{flag})")
    return value


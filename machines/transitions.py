"""Process data: runs exported as (x_k, y_k, c_k, x_{k+1}) transitions, and their validator.

Format ``apmdm-transitions``, version 1 (JSON Lines, ASCII, compact separators, keys in a
fixed order; specified in ``docs/process-data.md``):

* line 1, the header: ``{"format", "version", "model", "construction", "parameters",
  "y_fill"}``;
* one line per step ``k = 1..N``: ``{"k", "x", "y", "c", "x_next"}`` with ``x`` the canvas
  before the step (MASK is ``null``), ``y`` the dense candidate tokens (one per position of
  ``x``, never MASK), ``c`` the control bits and ``x_next`` the canvas after the step;
* a final line ``{"end": true, "transitions": N, "stop": reason or null}`` (a file without
  it is truncated).

``c`` is written sparsely, ``{"remask": [...], "insert": [...], "delete": [...]}`` (sorted
positions whose bit is set); the validator also accepts the dense form, one ``[r, i, d]``
triple of 0/1 per position.

``y`` is dense: a next-step function may give ``y_i`` only where g reads it; the exporter
completes the rest with the current token, or, at a masked position whose ``y_i`` g does not
read (its remask or delete bit is set), with the header's ``y_fill`` token.

The validator is model-agnostic and works on anyone's data in this format: for every line
it checks that ``y`` is free of MASK, that ``x`` equals the previous line's ``x_next``, and
that :func:`machines.process.apply_transition` (the transition g) maps ``(x, y, c)`` to
``x_next``. The first inconsistent line is reported (``file:line: what``). A file that is not
well-formed (bad JSON, wrong fields, lengths or positions, missing final line) raises
:class:`MalformedTraceError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from apmdm.machines.errors import ApmdmError
from apmdm.machines.jsonl import (
    DEFAULT_MAX_FILE_BYTES,
    JsonLinesValidator,
    LineDigest,
    escape_control,
    iter_lines,
    write_chunks_atomic,
)
from apmdm.machines.process import (
    GenerationProcess,
    Limits,
    StepOutput,
    StopReason,
    apply_transition,
)
from apmdm.machines.tokens import MASK, Canvas, canvas_to_json, token_to_json

FORMAT_NAME = "apmdm-transitions"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: no digest (validated with a note, see docs/limits.md)
DEFAULT_Y_FILL = "PAD"
HEADER_KEYS = ("format", "version", "model", "construction", "parameters", "y_fill")
LINE_KEYS = ("k", "x", "y", "c", "x_next")
END_KEYS = ("end", "transitions", "stop")
END_KEYS_V2 = END_KEYS + ("digest",)
CONTROL_KEYS = ("remask", "insert", "delete")


@dataclass(frozen=True)
class Transition:
    """One step ``x_next = g(x, y, c)``; ``c`` as sorted position tuples."""

    k: int
    x: Canvas
    y: tuple
    remask: tuple[int, ...]
    insert: tuple[int, ...]
    delete: tuple[int, ...]
    x_next: Canvas

    def step_output(self) -> StepOutput:
        return StepOutput(self.y, frozenset(self.remask), frozenset(self.insert),
                          frozenset(self.delete))


def dense_y(canvas: Canvas, out: StepOutput, fill: Any = DEFAULT_Y_FILL) -> tuple:
    """``y`` for every position (see the module docstring for how gaps are completed)."""
    toks = out.tokens
    if not isinstance(toks, Mapping):
        return tuple(toks)
    y = list(canvas)
    for i, cur in enumerate(canvas):
        if i in toks:
            y[i] = toks[i]
        elif cur is MASK:
            y[i] = fill
    return tuple(y)


def transitions_of_run(
        process: GenerationProcess, canvas: Sequence[Any], limits: Limits,
        fill: Any = DEFAULT_Y_FILL) -> Iterator[tuple[Transition, StopReason | None]]:
    """Run ``process`` step by step and yield each transition with the run's stop reason
    (``None`` until the last step)."""
    for rec in process.run_stepwise(canvas, limits):
        out = rec.output
        t = Transition(rec.step, rec.before, dense_y(rec.before, out, fill),
                       tuple(sorted(out.remask)), tuple(sorted(out.insert)),
                       tuple(sorted(out.delete)), rec.after)
        yield t, rec.stop


def _dump(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def header_line(model: str, construction: str, parameters: Mapping[str, Any],
                fill: Any = DEFAULT_Y_FILL) -> str:
    return _dump({"format": FORMAT_NAME, "version": FORMAT_VERSION, "model": model,
                  "construction": construction,
                  "parameters": json.loads(json.dumps(dict(parameters), sort_keys=True)),
                  "y_fill": token_to_json(fill)})


def transition_line(t: Transition, dense_controls: bool = False) -> str:
    if dense_controls:
        rem, ins, dele = set(t.remask), set(t.insert), set(t.delete)
        c: Any = [[int(i in rem), int(i in ins), int(i in dele)] for i in range(len(t.x))]
    else:
        c = {"remask": list(t.remask), "insert": list(t.insert), "delete": list(t.delete)}
    return _dump({"k": t.k, "x": canvas_to_json(t.x), "y": canvas_to_json(t.y), "c": c,
                  "x_next": canvas_to_json(t.x_next)})


def end_line(count: int, stop: StopReason | None, digest: LineDigest | None = None) -> str:
    """The final line; with ``digest`` (the running hash of every line before it) it carries
    ``"digest"``: SHA-256 of those lines followed by this line without the digest field."""
    end = {"end": True, "transitions": count, "stop": stop.value if stop else None}
    if digest is None:
        return _dump(end)
    return _dump(dict(end, digest=digest.hexdigest(_dump(end))))


@dataclass(frozen=True)
class ExportSummary:
    path: str
    transitions: int
    stop: StopReason | None


def write_lines_atomic(path: str | os.PathLike, lines: Iterator[str]) -> None:
    """Stream ASCII ``lines`` (each without newline) to ``path`` atomically
    (see :func:`machines.jsonl.write_chunks_atomic`)."""
    write_chunks_atomic(path, ((line + "\n").encode("ascii") for line in lines))


def export_transitions(process: GenerationProcess, canvas: Sequence[Any], limits: Limits,
                       path: str | os.PathLike, construction: str = "",
                       parameters: Mapping[str, Any] | None = None,
                       dense_controls: bool = False) -> ExportSummary:
    """Run ``process`` from ``canvas`` and write its transitions to ``path`` atomically."""
    state: dict[str, Any] = {"count": 0, "stop": None}

    def lines() -> Iterator[str]:
        digest = LineDigest()
        line = header_line(process.model.value, construction or process.name, parameters or {})
        digest.add(line)
        yield line
        for t, stop in transitions_of_run(process, canvas, limits):
            state["count"] += 1
            state["stop"] = stop
            line = transition_line(t, dense_controls)
            digest.add(line)
            yield line
        yield end_line(state["count"], state["stop"], digest)

    write_lines_atomic(path, lines())
    return ExportSummary(os.fspath(path), state["count"], state["stop"])


# --- validation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TransitionsReport:
    """Result of :func:`validate_transitions`. ``line``/``problem`` name the first
    inconsistent line (``None`` when ``ok``)."""

    path: str
    transitions: int          # lines checked (all of them when ok)
    ok: bool
    line: int | None = None
    problem: str = ""
    digest: str | None = None   # the verified digest (None: a version-1 file has none)

    def message(self) -> str:
        path = escape_control(self.path)
        if self.ok:
            note = "digest ok" if self.digest else "no digest (version 1 file)"
            return f"{path}: ok, {self.transitions} transitions consistent with g, {note}"
        return f"{path}:{self.line}: {escape_control(self.problem)}"


class _Inconsistent(Exception):
    pass


class _Parser(JsonLinesValidator):
    """Structural checks for one file; each failure names the file and the line."""

    version: int = FORMAT_VERSION

    def header(self, obj: dict) -> None:
        if obj.get("format") != FORMAT_NAME:
            raise self.fail(1, f"not an {FORMAT_NAME} file (format "
                               f"{str(obj.get('format'))[:40]!r})")
        version = obj.get("version")
        if isinstance(version, bool) or version not in READABLE_VERSIONS:
            raise self.fail(1, f"unsupported version {str(version)[:20]} "
                               f"(this reader knows versions 1 and {FORMAT_VERSION})")
        self.version = version
        self.keys(1, obj, HEADER_KEYS, "header")
        for key in ("model", "construction"):
            if not isinstance(obj[key], str):
                raise self.fail(1, f"field {key!r} must be a string")
        if not isinstance(obj["parameters"], dict):
            raise self.fail(1, "field 'parameters' must be an object")

    def positions(self, lineno: int, value: Any, field: str, n: int) -> tuple[int, ...]:
        if not isinstance(value, list) or any(
                isinstance(p, bool) or not isinstance(p, int) for p in value):
            raise self.fail(lineno, f"field 'c.{field}' must be a list of integer positions")
        if value != sorted(set(value)):
            raise self.fail(lineno, f"field 'c.{field}' must be strictly increasing")
        if value and (value[0] < 0 or value[-1] >= n):
            bad = value[0] if value[0] < 0 else value[-1]
            raise self.fail(lineno, f"field 'c.{field}': position {bad} outside the canvas "
                                    f"of length {n}")
        return tuple(value)

    def controls(self, lineno: int, value: Any, n: int) -> tuple[tuple[int, ...], ...]:
        if isinstance(value, dict):
            self.keys(lineno, value, CONTROL_KEYS, "field 'c'")
            return tuple(self.positions(lineno, value[k], k, n) for k in CONTROL_KEYS)
        if isinstance(value, list):
            if len(value) != n:
                raise self.fail(lineno, f"field 'c' has {len(value)} triples for a canvas of "
                                        f"length {n}")
            sets: tuple[list[int], list[int], list[int]] = ([], [], [])
            for i, bits in enumerate(value):
                if not (isinstance(bits, list) and len(bits) == 3 and all(
                        not isinstance(b, bool) and b in (0, 1) for b in bits)):
                    raise self.fail(lineno, f"field 'c': entry {i} is not a [remask, insert, "
                                            "delete] triple of 0/1")
                for j in range(3):
                    if bits[j]:
                        sets[j].append(i)
            return tuple(tuple(s) for s in sets)
        raise self.fail(lineno, "field 'c' must be an object of position lists or a list of "
                                "triples")

    def transition(self, lineno: int, obj: dict, k: int) -> Transition:
        self.keys(lineno, obj, LINE_KEYS, "transition line")
        if isinstance(obj["k"], bool) or obj["k"] != k:
            raise self.fail(lineno, f"field 'k' is {obj['k']!r}, expected {k}")
        x = self.canvas(lineno, obj["x"], "x")
        y_raw = obj["y"]
        if not isinstance(y_raw, list) or len(y_raw) != len(x):
            got = len(y_raw) if isinstance(y_raw, list) else type(y_raw).__name__
            raise self.fail(lineno, f"field 'y' must list one token per position of x "
                                    f"({len(x)}), got {got}")
        y = self.canvas(lineno, y_raw, "y")
        rem, ins, dele = self.controls(lineno, obj["c"], len(x))
        x_next = self.canvas(lineno, obj["x_next"], "x_next")
        return Transition(k, x, y, rem, ins, dele, x_next)

    def end(self, lineno: int, obj: dict, count: int, digest: LineDigest) -> str | None:
        self.keys(lineno, obj, END_KEYS_V2 if self.version >= 2 else END_KEYS, "final line")
        if obj["end"] is not True:
            raise self.fail(lineno, "final line: field 'end' must be true")
        if isinstance(obj["transitions"], bool) or obj["transitions"] != count:
            raise self.fail(lineno, f"final line announces {obj['transitions']!r} transitions, "
                                    f"the file has {count}")
        stop = obj["stop"]
        if stop is not None and stop not in {s.value for s in StopReason}:
            raise self.fail(lineno, f"final line: unknown stop reason {str(stop)[:40]!r}")
        if self.version < 2:
            return None
        canonical = _dump({"end": True, "transitions": count, "stop": stop})
        self.digest(lineno, obj["digest"], digest.hexdigest(canonical))
        return obj["digest"]


def _first_difference(a: Canvas, b: Canvas) -> str:
    for i, (u, v) in enumerate(zip(a, b, strict=False)):
        if u is not v and (u is MASK or v is MASK or u != v):
            return f"position {i}: {u!r} vs {v!r}"
    return f"lengths {len(a)} vs {len(b)}"


def check_transition(t: Transition, previous_next: Canvas | None) -> str | None:
    """What is inconsistent about ``t`` (``None`` if nothing): MASK in y, a broken chain, or
    g(x, y, c) ≠ x_next."""
    if MASK in t.y:
        i = next(j for j, v in enumerate(t.y) if v is MASK)
        return f"y_k contains MASK at position {i} (y is never MASK)"
    if previous_next is not None and previous_next != t.x:
        return (f"x_k differs from x_(k+1) of the previous line "
                f"({_first_difference(previous_next, t.x)})")
    try:
        after, _ = apply_transition(t.x, t.step_output())
    except ApmdmError as exc:
        return f"g cannot be applied: {exc}"
    if after != t.x_next:
        return f"g(x_k, y_k, c_k) differs from x_(k+1) ({_first_difference(after, t.x_next)})"
    return None


def validate_transitions(path: str | os.PathLike,
                         max_bytes: int = DEFAULT_MAX_FILE_BYTES) -> TransitionsReport:
    """Validate a transitions file (streamed, at most ``max_bytes`` bytes); raise
    :class:`MalformedTraceError` if it is malformed or its digest does not match."""
    p = os.fspath(path)
    parser = _Parser(p)
    count = 0
    previous: Canvas | None = None
    last = 0
    ended = False
    verified = None
    digest = LineDigest()
    for lineno, text in iter_lines(p, parser, max_bytes):
        last = lineno
        if ended:
            raise parser.fail(lineno, "content after the final line")
        obj = parser.load(lineno, text)
        if lineno == 1:
            parser.header(obj)
            digest.add(text)
            continue
        if "end" in obj:
            verified = parser.end(lineno, obj, count, digest)
            ended = True
            continue
        t = parser.transition(lineno, obj, count + 1)
        problem = check_transition(t, previous)
        if problem is not None:
            return TransitionsReport(p, count, False, lineno, problem)
        digest.add(text)
        count += 1
        previous = t.x_next
    if not ended:
        raise parser.fail(last + 1, "truncated file: missing the final line")
    return TransitionsReport(p, count, True, digest=verified)

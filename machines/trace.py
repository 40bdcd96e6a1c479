"""Traces of generation processes: JSON Lines, written atomically, validated on read.

A trace is a complete, replayable record of one run of a :class:`GenerationProcess`. The
format (``apmdm-trace``, version 1; specified in ``docs/trace-format.md``) is:

* line 1, the header: format name and version, model, construction, parameters, vocabulary,
  EOS token, limits and the *initial* canvas (so the run can be replayed);
* one line per step ``k = 1..N``: the canvas *after* the step, the positions (of the canvas
  *before* the step) that were unmasked / remasked / inserted after / deleted, and the length
  of the canvas after the step;
* a final line: the stop reason, the cycle start (for ``cycle``) and the run counters.

A missing final line means a truncated file. MASK is JSON ``null``, wide tokens are lists
(codec of :mod:`machines.tokens`). Bytes are deterministic: keys in a fixed order, parameters
with sorted keys, compact separators, ASCII only, no timestamps.

:func:`read_trace` checks the format name and version, each line's schema, and replays every
step: from the previous canvas and the recorded events it rebuilds the control triples and
the written tokens, applies :func:`machines.process.apply_transition` and requires exactly the
recorded canvas and events; it also re-checks the model's restriction, the counters and the
stop reason. Any mismatch raises :class:`MalformedTraceError` naming the file and line.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from apmdm.machines.errors import ApmdmError, InvalidArgumentError
from apmdm.machines.jsonl import (
    DEFAULT_MAX_FILE_BYTES,
    JsonLinesValidator,
    LineDigest,
    iter_lines,
    write_chunks_atomic,
)
from apmdm.machines.process import (
    GenerationProcess,
    Limits,
    Model,
    RunCounters,
    StepEvents,
    StepOutput,
    StopReason,
    apply_transition,
    check_restriction,
    mask_positions,
)
from apmdm.machines.tokens import (
    MASK,
    Canvas,
    canvas_to_json,
    token_from_json,
    token_to_json,
)

FORMAT_NAME = "apmdm-trace"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # version 1: no digest (read with a warning, see docs/limits.md)
MAX_LIMIT_VALUE = 10**9     # header limits above this are refused

HEADER_KEYS = ("format", "version", "model", "construction", "parameters", "vocabulary", "eos",
               "limits", "initial")
OPTIONAL_HEADER_KEYS = ("schema", "provenance")  # optional fields (docs/trace-format.md)
PROVENANCE_KEY = "provenance"   # machines.provenance.provenance(...)
STEP_KEYS = ("step", "canvas", "unmasked", "remasked", "inserted", "deleted", "length")
END_KEYS = ("stop", "cycle_start", "counters")
END_KEYS_V2 = END_KEYS + ("digest",)
COUNTER_KEYS = ("steps", "initial_context", "max_context", "final_context", "unmasks", "remasks",
                "inserts", "deletes")
EVENT_KEYS = ("unmasked", "remasked", "inserted", "deleted")


@dataclass(frozen=True)
class TraceStep:
    """One recorded step: the canvas after it and what it did (positions of the canvas before)."""

    step: int
    canvas: Canvas
    unmasked: tuple[int, ...]
    remasked: tuple[int, ...]
    inserted: tuple[int, ...]
    deleted: tuple[int, ...]

    @property
    def length(self) -> int:
        return len(self.canvas)

    @property
    def events(self) -> StepEvents:
        return StepEvents(self.unmasked, self.remasked, self.inserted, self.deleted)


@dataclass(frozen=True)
class Trace:
    """A whole run. ``vocabulary`` is a tuple of tokens or a dict ``{"size": N, ...}``."""

    model: Model
    construction: str
    parameters: dict
    vocabulary: tuple | dict
    eos: Any
    limits: Limits
    initial: Canvas
    steps: tuple[TraceStep, ...]
    stop: StopReason
    cycle_start: int | None
    counters: RunCounters
    schema: dict | None = None  # optional header field "schema": the construction's token schema
    provenance: dict | None = None  # optional header field "provenance"
    # the verified content digest; None for a version-1 file
    digest: str | None = field(default=None, compare=False)

    @property
    def final(self) -> Canvas:
        return self.steps[-1].canvas if self.steps else self.initial

    def canvases(self) -> list[Canvas]:
        """The initial canvas followed by the canvas after each step."""
        return [self.initial] + [s.canvas for s in self.steps]


# --- recording -------------------------------------------------------------------------------


def _canonical_json(value: Any, where: str) -> Any:
    """A JSON-safe deep copy with dict keys sorted; rejects what JSON cannot carry exactly."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise InvalidArgumentError(f"{where}: non-finite float {value!r}")
        return value
    if isinstance(value, (list, tuple)):
        return [_canonical_json(v, where) for v in value]
    if isinstance(value, Mapping):
        out = {}
        for k in sorted(value, key=str):
            if not isinstance(k, str):
                raise InvalidArgumentError(f"{where}: key {k!r} is not a string")
            out[k] = _canonical_json(value[k], where)
        return out
    raise InvalidArgumentError(f"{where}: {type(value).__name__} is not JSON ({value!r})")


def _canonical_vocabulary(vocabulary: Any) -> tuple | dict:
    if isinstance(vocabulary, Mapping):
        vocab = _canonical_json(vocabulary, "vocabulary")
        size = vocab.get("size")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise InvalidArgumentError("a vocabulary dict needs a non-negative integer 'size'")
        return vocab
    if isinstance(vocabulary, (str, bytes)) or not isinstance(vocabulary, Sequence):
        raise InvalidArgumentError("vocabulary is a list/tuple of tokens or a dict with 'size'")
    tokens = tuple(vocabulary)
    for t in tokens:
        if t is MASK:
            raise InvalidArgumentError("MASK is not part of any vocabulary")
        token_to_json(t)  # raises on a non-token
    return tokens


def _counters_from_steps(initial: Canvas, steps: Sequence[TraceStep]) -> RunCounters:
    mx = len(initial)
    un = re = ins = de = 0
    for s in steps:
        mx = max(mx, len(s.canvas))
        un += len(s.unmasked)
        re += len(s.remasked)
        ins += len(s.inserted)
        de += len(s.deleted)
    final = len(steps[-1].canvas) if steps else len(initial)
    return RunCounters(len(steps), len(initial), mx, final, un, re, ins, de)


def record_trace(process: GenerationProcess, canvas: Sequence[Any], limits: Limits,
                 construction: str, parameters: Mapping[str, Any],
                 vocabulary: Sequence[Any] | Mapping[str, Any],
                 schema: Mapping[str, Any] | None = None,
                 provenance: Mapping[str, Any] | None = None) -> Trace:
    """Run ``process`` on ``canvas`` via ``run_stepwise`` and record everything it did.

    ``schema`` (optional) describes the construction's tokens for viewers; it is written as
    the header field ``schema``. ``provenance`` (optional) is the block of
    :mod:`apmdm.machines.provenance`. Traces without either stay valid."""
    prov = None if provenance is None else _canonical_json(dict(provenance), "provenance")
    initial = tuple(canvas)
    params = _canonical_json(dict(parameters), "parameters")
    vocab = _canonical_vocabulary(vocabulary)
    if process.eos is not None:
        token_to_json(process.eos)
    steps: list[TraceStep] = []
    stop: StopReason | None = None
    for rec in process.run_stepwise(initial, limits):
        ev = rec.events
        steps.append(TraceStep(rec.step, rec.after, ev.unmasked, ev.remasked, ev.inserted,
                               ev.deleted))
        stop = rec.stop
    cycle_start = None
    if stop is None:  # no step was needed: an MDM-family canvas without masks
        stop = StopReason.NO_MASK
    elif stop is StopReason.CYCLE:
        # as in RunResult: Brent's checkpoint, the step 2^k with 2^k < N <= 2^(k+1) (0 if N=1)
        n = len(steps)
        cycle_start = 0 if n == 1 else 1 << ((n - 1).bit_length() - 1)
    return Trace(process.model, str(construction), params, vocab, process.eos, limits, initial,
                 tuple(steps), stop, cycle_start, _counters_from_steps(initial, steps),
                 None if schema is None else _canonical_json(dict(schema), "schema"), prov)


# --- writing ---------------------------------------------------------------------------------


def _dump(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True, allow_nan=False)


def trace_lines(trace: Trace) -> list[str]:
    """The trace's JSON Lines (without newlines), in file order."""
    vocab = trace.vocabulary if isinstance(trace.vocabulary, dict) else canvas_to_json(
        trace.vocabulary)
    header = {
        "format": FORMAT_NAME, "version": FORMAT_VERSION, "model": trace.model.value,
        "construction": trace.construction, "parameters": trace.parameters,
        "vocabulary": vocab,
        "eos": None if trace.eos is None else token_to_json(trace.eos),
        "limits": {"max_steps": trace.limits.max_steps, "max_context": trace.limits.max_context},
        "initial": canvas_to_json(trace.initial),
    }
    if trace.schema is not None:
        header["schema"] = trace.schema
    if trace.provenance is not None:
        header[PROVENANCE_KEY] = trace.provenance
    lines = [_dump(header)]
    for s in trace.steps:
        lines.append(_dump({"step": s.step, "canvas": canvas_to_json(s.canvas),
                            "unmasked": list(s.unmasked), "remasked": list(s.remasked),
                            "inserted": list(s.inserted), "deleted": list(s.deleted),
                            "length": len(s.canvas)}))
    c = trace.counters
    end = {"stop": trace.stop.value, "cycle_start": trace.cycle_start,
           "counters": {k: getattr(c, k) for k in COUNTER_KEYS}}
    lines.append(_dump(end_with_digest(lines, end)))
    return lines


def end_with_digest(lines: Sequence[str], end: dict) -> dict:
    """The final line with its ``digest``: SHA-256 of every line before it (exact bytes, each
    with its newline) followed by the final line itself without the digest field."""
    h = LineDigest()
    for line in lines:
        h.add(line)
    return dict(end, digest=h.hexdigest(_dump(end)))


def dumps_trace(trace: Trace) -> str:
    """The exact text :func:`write_trace` writes."""
    return "\n".join(trace_lines(trace)) + "\n"


def write_atomic(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`machines.jsonl.write_chunks_atomic`)."""
    write_chunks_atomic(path, (data,))


def write_trace(trace: Trace, path: str | os.PathLike) -> None:
    """Write ``trace`` as JSON Lines to ``path`` atomically (deterministic bytes)."""
    write_atomic(path, dumps_trace(trace).encode("ascii"))


# --- reading and validation ------------------------------------------------------------------


class _Reader(JsonLinesValidator):
    """Parses and validates one trace file; every error names the file and the line."""

    version: int = FORMAT_VERSION

    def integer(self, lineno: int, value: Any, field: str, minimum: int = 0) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(lineno, f"field {field!r} must be an integer >= {minimum}, "
                                    f"got {value!r}")
        return value

    def bounded(self, lineno: int, value: Any, field: str) -> int:
        v = self.integer(lineno, value, field, 1)
        if v > MAX_LIMIT_VALUE:
            raise self.fail(lineno, f"field {field!r} is {v}, above {MAX_LIMIT_VALUE}")
        return v

    def positions(self, lineno: int, value: Any, field: str, n: int) -> tuple[int, ...]:
        if not isinstance(value, list):
            raise self.fail(lineno, f"field {field!r} must be a list of positions")
        out = tuple(self.integer(lineno, p, field) for p in value)
        if list(out) != sorted(set(out)):
            raise self.fail(lineno, f"field {field!r} must be strictly increasing")
        if out and out[-1] >= n:
            raise self.fail(lineno, f"field {field!r}: position {out[-1]} outside the canvas "
                                    f"of length {n} before the step")
        return out

    def header(self, lineno: int, obj: dict) -> dict:
        if obj.get("format") != FORMAT_NAME:
            raise self.fail(lineno, f"not an {FORMAT_NAME} file (format "
                                    f"{str(obj.get('format'))[:40]!r})")
        version = obj.get("version")
        if isinstance(version, bool) or version not in READABLE_VERSIONS:
            raise self.fail(lineno, f"unsupported version {str(version)[:20]} "
                                    f"(this reader knows versions 1 and {FORMAT_VERSION})")
        self.version = version
        self.keys(lineno, obj, HEADER_KEYS + tuple(k for k in OPTIONAL_HEADER_KEYS if k in obj),
                  "header")
        if "schema" in obj and not isinstance(obj["schema"], dict):
            raise self.fail(lineno, "field 'schema' must be an object")
        prov = obj.get(PROVENANCE_KEY)
        if PROVENANCE_KEY in obj and not isinstance(prov, dict):
            raise self.fail(lineno, f"field {PROVENANCE_KEY!r} must be an object")
        try:
            model = Model(obj["model"])
        except ValueError:
            raise self.fail(lineno, f"unknown model {obj['model']!r}") from None
        if not isinstance(obj["construction"], str):
            raise self.fail(lineno, "field 'construction' must be a string")
        if not isinstance(obj["parameters"], dict):
            raise self.fail(lineno, "field 'parameters' must be an object")
        vocab = obj["vocabulary"]
        try:
            vocab = _canonical_vocabulary(vocab if isinstance(vocab, dict)
                                          else self.canvas(lineno, vocab, "vocabulary"))
        except InvalidArgumentError as exc:
            raise self.fail(lineno, f"field 'vocabulary': {exc}") from None
        try:
            eos = None if obj["eos"] is None else token_from_json(obj["eos"])
        except InvalidArgumentError as exc:
            raise self.fail(lineno, f"field 'eos': {exc}") from None
        lim = obj["limits"]
        if not isinstance(lim, dict):
            raise self.fail(lineno, "field 'limits' must be an object")
        self.keys(lineno, lim, ("max_steps", "max_context"), "limits")
        limits = Limits(self.bounded(lineno, lim["max_steps"], "max_steps"),
                        self.bounded(lineno, lim["max_context"], "max_context"))
        return {"model": model, "construction": obj["construction"],
                "parameters": _canonical_json(obj["parameters"], "parameters"),
                "vocabulary": vocab, "eos": eos, "limits": limits,
                "initial": self.canvas(lineno, obj["initial"], "initial"),
                "schema": (_canonical_json(obj["schema"], "schema") if "schema" in obj
                           else None),
                "provenance": None if prov is None else _canonical_json(prov, PROVENANCE_KEY)}

    def step(self, lineno: int, obj: dict, index: int, before_len: int) -> TraceStep:
        self.keys(lineno, obj, STEP_KEYS, "step line")
        k = self.integer(lineno, obj["step"], "step", 1)
        if k != index:
            raise self.fail(lineno, f"step {k} out of order (expected step {index})")
        canvas = self.canvas(lineno, obj["canvas"], "canvas")
        length = self.integer(lineno, obj["length"], "length")
        if length != len(canvas):
            raise self.fail(lineno, f"length {length} differs from the canvas length "
                                    f"{len(canvas)}")
        ev = [self.positions(lineno, obj[f], f, before_len) for f in EVENT_KEYS]
        return TraceStep(k, canvas, *ev)

    def end(self, lineno: int, obj: dict) -> tuple[StopReason, int | None, RunCounters]:
        self.keys(lineno, obj, END_KEYS_V2 if self.version >= 2 else END_KEYS, "final line")
        try:
            stop = StopReason(obj["stop"])
        except ValueError:
            raise self.fail(lineno, f"unknown stop reason {obj['stop']!r}") from None
        cs = obj["cycle_start"]
        if cs is not None:
            cs = self.integer(lineno, cs, "cycle_start")
        c = obj["counters"]
        if not isinstance(c, dict):
            raise self.fail(lineno, "field 'counters' must be an object")
        self.keys(lineno, c, COUNTER_KEYS, "counters")
        counters = RunCounters(*(self.integer(lineno, c[k], k) for k in COUNTER_KEYS))
        return stop, cs, counters


def written_tokens(before_len: int, step: TraceStep) -> dict[int, Any]:
    """``{i: token}`` for each unmasked position ``i`` (of the canvas before the step): the
    token found at ``i``'s place in the recorded canvas after the step."""
    un, ins, dele = set(step.unmasked), set(step.inserted), set(step.deleted)
    tokens: dict[int, Any] = {}
    j = 0
    for i in range(before_len):
        if i in dele:
            continue
        if i in un:
            if j >= len(step.canvas):
                raise InvalidArgumentError("recorded canvas too short for the events")
            tokens[i] = step.canvas[j]
        j += 1 + (i in ins)
    return tokens


def replay_step(model: Model, before: Canvas, step: TraceStep, eos: Any = None) -> None:
    """Check that ``step`` is what g does to ``before`` under ``model``'s rule.

    Rebuilds the controls from the events (remask on remasked positions and on masks that
    were neither unmasked nor deleted; insert; delete) and the written tokens from the
    recorded canvas, applies :func:`apply_transition` and compares canvas and events.
    Raises :class:`InvalidArgumentError` (or :class:`RestrictionViolation`) on a mismatch.
    """
    n = len(before)
    masks = mask_positions(before)
    mask_set = set(masks)
    un, rem, ins, dele = (set(step.unmasked), set(step.remasked), set(step.inserted),
                          set(step.deleted))
    if not un <= mask_set:
        raise InvalidArgumentError(f"unmasked position {min(un - mask_set)} is not a mask")
    if not dele <= mask_set:
        raise InvalidArgumentError(f"deleted position {min(dele - mask_set)} is not a mask")
    if rem & mask_set:
        raise InvalidArgumentError(f"remasked position {min(rem & mask_set)} is already a mask")
    if un & dele:
        raise InvalidArgumentError(f"position {min(un & dele)} both unmasked and deleted")
    if ins & dele:
        raise InvalidArgumentError(f"position {min(ins & dele)} both inserted after and deleted")
    tokens = written_tokens(n, step)
    remask = frozenset(rem | (mask_set - un - dele))
    out = StepOutput(tokens, remask, frozenset(ins), frozenset(dele))
    check_restriction(model, before, out, masks, step.step, eos)
    after, events = apply_transition(before, out, masks)
    if after != step.canvas:
        raise InvalidArgumentError("recorded canvas differs from g applied to the previous "
                                   "canvas and the recorded events")
    if events != step.events:
        raise InvalidArgumentError("recorded events differ from what g does")


def _check_stop(r: _Reader, lineno: int, header: dict, steps: list[TraceStep],
                stop: StopReason, cycle_start: int | None) -> None:
    canvases = [header["initial"]] + [s.canvas for s in steps]
    model, eos = header["model"], header["eos"]

    def reason_at(k: int) -> StopReason | None:
        s, before, after = steps[k - 1], canvases[k - 1], canvases[k]
        if eos is not None and any(t == eos for t in written_tokens(len(before), s).values()):
            return StopReason.EOS
        if model.is_mdm_family and MASK not in after:
            return StopReason.NO_MASK
        if after == before:
            return StopReason.FIXED_POINT
        return None

    if not steps:
        if stop is not StopReason.NO_MASK or not model.is_mdm_family or MASK in canvases[0]:
            raise r.fail(lineno, f"stop {stop.value!r} with no step recorded")
        return
    for k in range(1, len(steps)):
        early = reason_at(k)
        if early is not None:
            raise r.fail(lineno, f"the run should have stopped ({early.value}) at step {k}")
    claimed = reason_at(len(steps))
    if stop is StopReason.CYCLE:
        if cycle_start is None or cycle_start >= len(steps) or \
                canvases[cycle_start] != canvases[-1]:
            raise r.fail(lineno, f"cycle_start {cycle_start!r} does not name an earlier step "
                                 "with the final canvas")
        return
    if cycle_start is not None:
        raise r.fail(lineno, "cycle_start is only set for stop 'cycle'")
    if stop is StopReason.STEP_LIMIT:
        if len(steps) != header["limits"].max_steps or claimed is not None:
            raise r.fail(lineno, f"stop 'step-limit' after {len(steps)} steps with max_steps "
                                 f"{header['limits'].max_steps}")
        return
    if claimed is not stop:
        raise r.fail(lineno, f"stop {stop.value!r} does not hold at the last step")


def read_trace(path: str | os.PathLike, max_bytes: int = DEFAULT_MAX_FILE_BYTES,
               check_lengths: Callable[[int, int], None] | None = None) -> Trace:
    """Read and validate a trace file; raise :class:`MalformedTraceError` naming file and line.

    The file is streamed line by line (at most ``max_bytes`` bytes); every step is replayed;
    the counters and stop reason are recomputed; for a version-2 file the content digest of
    the final line is checked last (a mismatch is reported as corruption at that line).
    ``check_lengths(canvas_length, deleted_count)``, if given, is called for the initial canvas
    and for each step as soon as its line is parsed, before the replay: a viewer uses it to
    refuse a trace over its budget without replaying it."""
    p = os.fspath(path)
    r = _Reader(p)
    lines = iter_lines(p, r, max_bytes)
    digest = LineDigest()
    header: dict | None = None
    steps: list[TraceStep] = []
    before: Canvas = ()
    end = None
    last = 0
    for lineno, line in lines:
        last = lineno
        if end is not None:
            raise r.fail(lineno, "content after the final line")
        obj = r.load(lineno, line)
        if header is None:
            header = r.header(lineno, obj)
            before = header["initial"]
            if check_lengths is not None:
                check_lengths(len(before), 0)
            digest.add(line)
            continue
        if "stop" in obj:
            end = (lineno, obj, r.end(lineno, obj))
            continue
        st = r.step(lineno, obj, len(steps) + 1, len(before))
        if check_lengths is not None:
            check_lengths(len(st.canvas), len(st.deleted))
        try:
            replay_step(header["model"], before, st, header["eos"])
        except ApmdmError as exc:
            raise r.fail(lineno, f"step {st.step} is inconsistent: {exc}") from None
        digest.add(line)
        steps.append(st)
        before = st.canvas
    assert header is not None  # iter_lines refuses an empty file
    if end is None:
        raise r.fail(last + 1, "truncated file: missing the final line with the stop reason")
    lineno, end_obj, (stop, cycle_start, counters) = end
    if len(steps) > header["limits"].max_steps:
        raise r.fail(lineno, f"{len(steps)} steps exceed max_steps {header['limits'].max_steps}")
    expected = _counters_from_steps(header["initial"], steps)
    if counters != expected:
        bad = next(k for k in COUNTER_KEYS if getattr(counters, k) != getattr(expected, k))
        raise r.fail(lineno, f"counter {bad!r} is {getattr(counters, bad)}, the steps give "
                             f"{getattr(expected, bad)}")
    _check_stop(r, lineno, header, steps, stop, cycle_start)
    verified = None
    if r.version >= 2:
        canonical = _dump({"stop": stop.value, "cycle_start": cycle_start,
                           "counters": {k: getattr(counters, k) for k in COUNTER_KEYS}})
        r.digest(lineno, end_obj["digest"], digest.hexdigest(canonical))
        verified = end_obj["digest"]
    return Trace(header["model"], header["construction"], header["parameters"],
                 header["vocabulary"], header["eos"], header["limits"], header["initial"],
                 tuple(steps), stop, cycle_start, counters, header["schema"],
                 header["provenance"], verified)

"""Viewers for traces: text (one line per step), a space-time PNG and a self-contained HTML page.

Every view shows the initial canvas (row 0) and then the canvas *after* each step, with the
step's operations marked on the cells of that canvas:

* text: ``[x]`` token x was just unmasked, ``{_}`` a decoded token was just remasked,
  ``<_>`` a mask was just inserted, ``~`` a mask was deleted here (a marker, not a cell);
  unchanged cells print as the token (``_`` for MASK). ANSI colours only on request.
* spacetime PNG: one row per canvas, one column per position (each a ``scale`` x ``scale``
  block): unmasked green, remasked orange, inserted blue; a mask that the *next* step deletes
  has the lower half of its cell red; unchanged masks dark grey; unchanged tokens a pale
  tint derived from the token (CRC-32 of its JSON, the same on every machine); no cell white.
* HTML: the text view as a table with the same colours and a legend, one file, no scripts.

The PNG is written with ``zlib`` and ``struct`` only (8-bit RGB, filter 0, compression 9):
same trace, same bytes.
"""

from __future__ import annotations

import html
import json
import struct
import zlib
from collections.abc import Sequence
from typing import Any

from apmdm.machines.errors import InvalidArgumentError, SizeLimitExceeded
from apmdm.machines.jsonl import escape_control
from apmdm.machines.tokens import MASK, format_token, token_to_json
from apmdm.machines.trace import Trace, TraceStep

UNMASKED, REMASKED, INSERTED, DELETED = "unmasked", "remasked", "inserted", "deleted"

MAX_PNG_PIXELS = 50_000_000
MAX_VIEW_CELLS = 20_000_000  # cells (plus deletion markers) of a text or HTML view

_ANSI = {UNMASKED: "\x1b[32m", REMASKED: "\x1b[33m", INSERTED: "\x1b[36m", DELETED: "\x1b[31m"}
_ANSI_RESET = "\x1b[0m"

_RGB = {UNMASKED: (46, 160, 67), REMASKED: (240, 140, 30), INSERTED: (50, 110, 220),
        DELETED: (215, 40, 40), "mask": (70, 70, 70), "empty": (255, 255, 255)}


def step_marks(before_len: int, step: TraceStep) -> tuple[list[str | None], list[int]]:
    """Marks for the cells of the canvas after ``step``, and the gaps of the deleted masks.

    Returns ``(marks, deleted_at)``: ``marks[j]`` is ``"unmasked"``, ``"remasked"``,
    ``"inserted"`` or ``None`` for after-cell ``j``; ``deleted_at`` lists, per deleted mask,
    the after-index before which it stood.
    """
    un, rem, ins, dele = (set(step.unmasked), set(step.remasked), set(step.inserted),
                          set(step.deleted))
    marks: list[str | None] = []
    deleted_at: list[int] = []
    for i in range(before_len):
        if i in dele:
            deleted_at.append(len(marks))
            continue
        marks.append(UNMASKED if i in un else REMASKED if i in rem else None)
        if i in ins:
            marks.append(INSERTED)
    return marks, deleted_at


def _rows(trace: Trace) -> list[tuple[int, Sequence[Any], list[str | None], dict[int, int]]]:
    """Per canvas: step, cells, marks, and ``{after-index: number of masks deleted there}``
    (computed once per step, so a view is linear in the trace)."""
    rows: list[tuple[int, Sequence[Any], list[str | None], dict[int, int]]] = [
        (0, trace.initial, [None] * len(trace.initial), {})]
    before = trace.initial
    for s in trace.steps:
        marks, deleted_at = step_marks(len(before), s)
        gaps: dict[int, int] = {}
        for j in deleted_at:
            gaps[j] = gaps.get(j, 0) + 1
        rows.append((s.step, s.canvas, marks, gaps))
        before = s.canvas
    return rows


class LengthBudget:
    """Refuses a trace while it is read (``read_trace(..., check_lengths=budget)``), from the
    canvas lengths alone: at most ``max_cells`` cells plus deletion marks (text, HTML) or at
    most ``max_pixels`` pixels of ``scale`` x ``scale`` cells (space-time PNG)."""

    def __init__(self, max_cells: int | None = None, max_pixels: int | None = None,
                 scale: int = 1):
        self.max_cells, self.max_pixels, self.scale = max_cells, max_pixels, scale
        self.cells = self.rows = self.width = 0

    def __call__(self, length: int, deleted: int) -> None:
        self.cells += length + deleted
        self.rows += 1
        self.width = max(self.width, length, 1)
        if self.max_cells is not None and self.cells > self.max_cells:
            raise SizeLimitExceeded(f"the view has more than {self.max_cells} cells "
                                    "(raise it with --max-cells)")
        pixels = self.width * self.rows * self.scale * self.scale
        if self.max_pixels is not None and pixels > self.max_pixels:
            raise SizeLimitExceeded(f"space-time picture of more than {self.max_pixels} "
                                    "pixels; lower --scale")


def view_cells(trace: Trace) -> int:
    """Cells a text/HTML view shows (canvas cells plus deletion markers), from the lengths."""
    return len(trace.initial) + sum(len(s.canvas) + len(s.deleted) for s in trace.steps)


def check_view_budget(trace: Trace, limit: int = MAX_VIEW_CELLS) -> None:
    """Refuse, before building anything, a view of more than ``limit`` cells."""
    cells = view_cells(trace)
    if cells > limit:
        raise SizeLimitExceeded(f"the view has {cells} cells, above the limit {limit} "
                                "(raise it with --max-cells)")


def _summary(trace: Trace) -> str:
    c = trace.counters
    return (f"stop={trace.stop.value} steps={c.steps} initial={c.initial_context} "
            f"max={c.max_context} final={c.final_context} unmasks={c.unmasks} "
            f"remasks={c.remasks} inserts={c.inserts} deletes={c.deletes}"
            + (f" cycle_start={trace.cycle_start}" if trace.cycle_start is not None else ""))


def _cell_text(token: Any, mark: str | None) -> str:
    t = format_token(token)
    if mark == UNMASKED:
        return f"[{t}]"
    if mark == REMASKED:
        return f"{{{t}}}"
    if mark == INSERTED:
        return f"<{t}>"
    return t


def render_text(trace: Trace, color: bool = False, max_cells: int = MAX_VIEW_CELLS) -> str:
    """One line per canvas (``step | cells``) between a header line and a summary line.
    Control characters of token text are escaped (``\\x1b``), so the view is safe to print."""
    check_view_budget(trace, max_cells)
    lines = [f"# {trace.model.value} {escape_control(trace.construction)} "
             f"{json.dumps(trace.parameters)}"]
    width = len(str(len(trace.steps)))
    tilde = _paint("~", DELETED, color)
    for k, canvas, marks, gaps in _rows(trace):
        cells: list[str] = []
        for j in range(len(canvas) + 1):
            if j in gaps:
                cells.extend([tilde] * gaps[j])
            if j < len(canvas):
                text = escape_control(_cell_text(canvas[j], marks[j]))
                cells.append(_paint(text, marks[j], color))
        lines.append(f"{k:>{width}} | " + " ".join(cells))
    lines.append("# " + _summary(trace))
    return "\n".join(lines) + "\n"


def _paint(text: str, mark: str | None, color: bool) -> str:
    return f"{_ANSI[mark]}{text}{_ANSI_RESET}" if color and mark else text


def _token_rgb(token: Any) -> tuple[int, int, int]:
    h = zlib.crc32(json.dumps(token_to_json(token), separators=(",", ":")).encode())
    return (180 + h % 60, 180 + (h >> 8) % 60, 180 + (h >> 16) % 60)


def spacetime_cells(trace: Trace) -> tuple[list[list[tuple[int, int, int]]], set]:
    """The picture before scaling: rows of RGB cells (one per position, padded with white)
    and the set of ``(row, position)`` cells holding a mask that the next step deletes."""
    rows = _rows(trace)
    width = max((len(r[1]) for r in rows), default=0)
    grid: list[list[tuple[int, int, int]]] = []
    for _, canvas, marks, _ in rows:
        row = [_RGB[m] if m else _RGB["mask"] if t is MASK else _token_rgb(t)
               for t, m in zip(canvas, marks, strict=True)]
        grid.append(row + [_RGB["empty"]] * (width - len(row)))
    doomed = {(r, i) for r, s in enumerate(trace.steps) for i in s.deleted}
    return grid, doomed


def render_spacetime_png(trace: Trace, scale: int = 4) -> bytes:
    """A PNG with one row per canvas and one column per position, each cell scale x scale;
    a mask that the next step deletes has its lower half red (all red at scale 1)."""
    if isinstance(scale, bool) or not isinstance(scale, int) or not 1 <= scale <= 64:
        raise InvalidArgumentError(f"scale must be an integer in 1..64, got {scale!r}")
    # the budget is checked from the canvas lengths, before any row is built
    cols = max(1, len(trace.initial), *(len(s.canvas) for s in trace.steps))
    width, height = cols * scale, (len(trace.steps) + 1) * scale
    if width * height > MAX_PNG_PIXELS:
        raise SizeLimitExceeded(f"space-time picture of {width}x{height} pixels exceeds "
                                f"{MAX_PNG_PIXELS} pixels; lower --scale")
    grid, doomed = spacetime_cells(trace)
    red_from = scale - max(1, scale // 2)
    raw = bytearray()
    for r, row in enumerate(grid):
        cells = row or [_RGB["empty"]]
        top = b"\x00" + b"".join(bytes(c) * scale for c in cells)
        bottom = b"\x00" + b"".join(bytes(_RGB[DELETED] if (r, i) in doomed else c) * scale
                                    for i, c in enumerate(cells))
        raw += top * red_from + bottom * (scale - red_from)
    return _png(width, height, bytes(raw))


def _png(width: int, height: int, raw: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr)
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


_CSS = """body{font-family:monospace;margin:1em}
table{border-collapse:collapse}td{padding:1px 4px;border:1px solid #ddd;text-align:center}
td.k{color:#888;border:none;text-align:right}td.mask{background:#666;color:#fff}
td.unmasked{background:#2ea043;color:#fff}td.remasked{background:#f08c1e}
td.inserted{background:#326edc;color:#fff}td.deleted{background:#d72828;color:#fff;
font-weight:bold;padding:1px}span.l{padding:1px 6px;margin-right:6px}"""


def render_html(trace: Trace) -> str:
    """A self-contained HTML page (inline CSS, no scripts, no external resources)."""
    e = html.escape
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>apmdm trace: {e(trace.construction)}</title>",
           f"<style>{_CSS}</style></head><body>",
           f"<h1>{e(trace.model.value)} &middot; {e(trace.construction)}</h1>",
           f"<p>parameters: <code>{e(json.dumps(trace.parameters))}</code></p>",
           f"<p>{e(_summary(trace))}</p>", "<p>"]
    for cls, what in ((UNMASKED, "unmasked this step"), (REMASKED, "remasked this step"),
                      (INSERTED, "inserted this step"), (DELETED, "a mask deleted here"),
                      ("mask", "MASK")):
        out.append(f'<span class="l {cls}" style="display:inline-block">'
                   f'<table><tr><td class="{cls}">{e(what)}</td></tr></table></span>')
    out.append("</p><table>")
    for k, canvas, marks, gaps in _rows(trace):
        cells = [f'<td class="k">{k}</td>']
        for j in range(len(canvas) + 1):
            if j in gaps:
                cells.extend(['<td class="deleted" title="deleted mask">~</td>'] * gaps[j])
            if j < len(canvas):
                t = canvas[j]
                cls = marks[j] or ("mask" if t is MASK else "")
                attr = f' class="{cls}"' if cls else ""
                cells.append(f"<td{attr}>{e(format_token(t))}</td>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</table></body></html>")
    return "\n".join(out) + "\n"

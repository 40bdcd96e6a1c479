"""The space-time picture of a trace, drawn with matplotlib (the ``[plot]`` extra).

One row per canvas (row 0 the initial canvas, row k the canvas after step k, step ↓), one
column per position (→). Colours, shown in the legend: unmasked this step green, remasked
orange, inserted blue, a mask the next step deletes red, MASK dark grey, any other token
pale sand, no cell (the canvas is shorter) white. The title names the construction, the
program or machine, n and the model; the caption gives the stop reason and the counters.

Long runs or wide canvases are downsampled to at most MAX_ROWS x MAX_COLS pixels: each
pixel shows the most significant cell of its block (deleted > inserted > remasked >
unmasked > MASK > token > empty), so no operation disappears; the title says the factor.
The grid is computed in one pass over the canvases and events (linear in the trace size).
"""

from __future__ import annotations

import io
import math

import numpy as np

from apmdm.machines.errors import InvalidArgumentError, MissingExtraError
from apmdm.machines.tokens import MASK
from apmdm.machines.trace import Trace

EMPTY, TOKEN, MASKED, UNMASKED, REMASKED, INSERTED, DELETED = range(7)
COLOURS = ("#ffffff", "#e8e4d8", "#464646", "#2ea043", "#f08c1e", "#326edc", "#d72828")
LABELS = ("no cell", "token (unchanged)", "MASK", "unmasked this step", "remasked this step",
          "inserted this step", "mask deleted by the next step")
MAX_ROWS, MAX_COLS = 1200, 1600


def spacetime_codes(trace: Trace) -> np.ndarray:
    """rows x width array of the codes above (before downsampling)."""
    canvases = trace.canvases()
    width = max(1, max(len(c) for c in canvases))
    grid = np.zeros((len(canvases), width), dtype=np.uint8)
    for k, canvas in enumerate(canvases):
        n = len(canvas)
        grid[k, :n] = np.where(np.fromiter((t is MASK for t in canvas), bool, n), MASKED, TOKEN)
        if k == 0:
            continue
        s = trace.steps[k - 1]
        if s.unmasked or s.remasked or s.inserted or s.deleted:
            _mark(grid[k], s)
    for k, s in enumerate(trace.steps):
        if s.deleted:
            grid[k, list(s.deleted)] = DELETED
    return grid


def _mark(row: np.ndarray, s) -> None:
    """Mark the operations of step ``s`` on the after-canvas row (before-positions mapped)."""
    dele, ins = np.asarray(s.deleted, dtype=np.int64), np.asarray(s.inserted, dtype=np.int64)

    def after(pos: tuple[int, ...]) -> np.ndarray:
        p = np.asarray(pos, dtype=np.int64)
        return p - np.searchsorted(dele, p) + np.searchsorted(ins, p)

    if s.unmasked:
        row[after(s.unmasked)] = UNMASKED
    if s.remasked:
        row[after(s.remasked)] = REMASKED
    if s.inserted:
        row[after(s.inserted) + 1] = INSERTED


def downsample(grid: np.ndarray) -> tuple[np.ndarray, int, int]:
    """Block-maximum to at most MAX_ROWS x MAX_COLS; returns the grid and the factors."""
    rows, cols = grid.shape
    fr, fc = math.ceil(rows / MAX_ROWS), math.ceil(cols / MAX_COLS)
    if fr == 1 and fc == 1:
        return grid, 1, 1
    padded = np.zeros((math.ceil(rows / fr) * fr, math.ceil(cols / fc) * fc), dtype=grid.dtype)
    padded[:rows, :cols] = grid
    r, c = padded.shape
    return padded.reshape(r // fr, fr, c // fc, fc).max(axis=(1, 3)), fr, fc


def _title(trace: Trace) -> str:
    p = trace.parameters
    what = p.get("program") or p.get("machine") or trace.construction
    size = p.get("n", p.get("m"))
    return (f"{trace.construction} · {what}" + (f" · n = {size}" if size is not None else "")
            + f" ({trace.model.value})")


def render_spacetime_plot(trace: Trace, scale: int | None = None) -> bytes:
    """The PNG bytes. ``scale``: pixels per cell (1..64); None picks them: about 900 pixels
    across and at least about 300 down, 1..24 pixels per cell in each direction."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.colors import ListedColormap
        from matplotlib.figure import Figure
        from matplotlib.patches import Patch
    except ImportError:
        raise MissingExtraError("the space-time picture needs matplotlib: "
                                "pip install 'apmdm[plot]'") from None
    if scale is not None and (isinstance(scale, bool) or not isinstance(scale, int)
                              or not 1 <= scale <= 64):
        raise InvalidArgumentError(f"scale must be an integer in 1..64, got {scale!r}")
    grid, fr, fc = downsample(spacetime_codes(trace))
    rows, cols = grid.shape
    cw = scale or max(1, min(24, 900 // cols))
    ch = scale or max(1, min(24, max(cw, 300 // rows)))
    dpi = 100
    w_in = max(9.0, cols * cw / dpi + 1.5)
    h_in = rows * ch / dpi + 1.85
    fig = Figure(figsize=(w_in, h_in), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0.9 / w_in, 0.9 / h_in, 1 - 1.3 / w_in, 1 - 1.85 / h_in))
    ax.imshow(grid, cmap=ListedColormap(COLOURS), vmin=0, vmax=len(COLOURS) - 1,
              interpolation="nearest", aspect="auto",
              extent=(-0.5 * fc, (cols - 0.5) * fc, (rows - 0.5) * fr, -0.5 * fr))
    ax.set_xlabel("position →")
    ax.set_ylabel("step ↓")
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    title = _title(trace)
    if fr > 1 or fc > 1:
        title += f"\ndownsampled: one pixel = {fr} steps × {fc} positions (operations win)"
    fig.suptitle(title, fontsize=11, y=1 - 0.08 / h_in, va="top")
    c = trace.counters
    fig.text(0.9 / w_in, 0.62 / h_in,
             f"stop {trace.stop.value} · {c.steps} steps · context {c.initial_context} → max "
             f"{c.max_context} → {c.final_context}", fontsize=8, va="top")
    used = sorted(set(np.unique(grid).tolist()) | {TOKEN, MASKED, UNMASKED})
    fig.legend(handles=[Patch(facecolor=COLOURS[u], edgecolor="#888", label=LABELS[u])
                        for u in used],
               loc="lower center", ncol=min(4, len(used)), fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.02 / h_in))
    out = io.BytesIO()
    fig.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()

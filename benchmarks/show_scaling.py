"""`apmdm show` at size: text and HTML time against the number of deleted masks.

Builds one-step AP-MDM traces whose single step deletes N masks (N = 10k, 100k, 1M; the
canvas keeps one token), writes each with `write_trace`, then times, in one process:
reading + validating the trace (`read_trace`: stream, replay, digest) and rendering it as
text and as the HTML page `apmdm show --format html` writes (the inspector). A linear viewer
shows a flat time per mask across the rows; the old viewers scanned every deleted position
for every cell (quadratic). Also times the CLI end to end
(`apmdm show` text, one subprocess) for the 100k trace.
Usage: python benchmarks/show_scaling.py [N ...]
BLAS threads are pinned to 1 (OPENBLAS/OMP/MKL_NUM_THREADS=1); no BLAS is used here anyway.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput  # noqa: E402
from apmdm.machines.render import render_text  # noqa: E402
from apmdm.machines.tokens import MASK  # noqa: E402
from apmdm.machines.trace import read_trace, record_trace, write_trace  # noqa: E402


def delete_every_mask(canvas: tuple) -> StepOutput:
    masks = frozenset(i for i, t in enumerate(canvas) if t is MASK)
    return StepOutput({}, delete=masks)


def make_trace(n: int, path: str) -> None:
    process = GenerationProcess(Model.APMDM, delete_every_mask, name="delete-all")
    canvas = ("a",) + (MASK,) * n
    trace = record_trace(process, canvas, Limits(10, n + 2), "delete-all", {"n": n}, ["a"])
    write_trace(trace, path)


def render_page(trace) -> str:
    """What `apmdm show --format html` writes: the inspector page."""
    from apmdm.checks.state_decoders import decoded_states
    from apmdm.machines.inspector import render_inspector
    return render_inspector(trace, *decoded_states(trace))


def timed(fn, *args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [10_000, 100_000, 1_000_000]
    folder = tempfile.mkdtemp(prefix="show-scaling-")
    print("BLAS threads pinned to 1. One-step AP-MDM traces, N masks deleted in the step.")
    print(f"{'N':>9} {'bytes':>10} {'read s':>8} {'text s':>8} {'html s':>8} "
          f"{'read us/mask':>13} {'text us/mask':>13} {'html us/mask':>13}")
    rows = []
    for n in sizes:
        path = os.path.join(folder, f"t{n}.jsonl")
        make_trace(n, path)
        trace, t_read = timed(read_trace, path)
        _, t_text = timed(render_text, trace)
        _, t_html = timed(render_page, trace)
        rows.append((n, t_read, t_text, t_html))
        print(f"{n:>9} {os.path.getsize(path):>10} {t_read:>8.2f} {t_text:>8.2f} {t_html:>8.2f} "
              f"{1e6 * t_read / n:>13.2f} {1e6 * t_text / n:>13.2f} {1e6 * t_html / n:>13.2f}")
    if len(rows) > 1:
        (n0, *first), (n1, *last) = rows[0], rows[-1]
        ratios = " ".join(f"{name} {b / a:.1f}x" for name, a, b in
                          zip(("read", "text", "html"), first, last, strict=True))
        print(f"time ratio {n1 // n0}x masks ({n0} -> {n1}): {ratios} "
              f"(linear: {n1 / n0:.0f}x)")
    if 100_000 in sizes:
        path = os.path.join(folder, "t100000.jsonl")
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "apmdm", "show", path], check=True,
                       stdout=subprocess.DEVNULL)
        print(f"apmdm show (text, CLI, 100k masks, whole process): "
              f"{time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()

"""`apmdm show TRACE`: render a recorded trace as text, a space-time PNG or an HTML page."""

from __future__ import annotations

import argparse
import sys

from apmdm.checks.commands.common import add_max_bytes, add_timeout
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.jsonl import check_output_paths, escape_control
from apmdm.machines.render import MAX_VIEW_CELLS, LengthBudget, render_text
from apmdm.machines.trace import read_trace, write_atomic

EPILOG = """\
text view: one line per canvas, "STEP | cells"; row 0 is the initial canvas, row k the
canvas after step k. Marks (for the operations of that step):
  [x]   token x was just written into a mask (unmasked)
  {_}   a decoded token was just turned back into MASK (remasked)
  <_>   a MASK was just inserted
  ~     a MASK was deleted at this place (a marker, not a cell)
  _     MASK (unchanged)
--color adds ANSI colours (green, yellow, cyan, red).

spacetime: a PNG drawn with matplotlib (pip install 'apmdm[plot]'), one row per canvas
(step down), one column per position (right), with title, axes and legend: unmasked
green, remasked orange, inserted blue, a mask the next step deletes red, MASK dark grey,
other tokens pale; long runs are downsampled (the title says by how much). --scale sets
the pixels per cell (default: automatic).

The summary ends with the answer decoded from the final canvas and the reference machine's
(recorded by `apmdm trace` in the header's parameters), when the trace has one.

html: the trace inspector, one self-contained page (no network; strict
Content-Security-Policy): step slider and keys (left/right, Home/End), space-time canvas
with a legend, named token fields on hover/click, the machine state decoded by the
construction with a diff against the previous step, and the run summary. See
docs/inspector.md.

The trace is validated on read (format, version, schema, a replay of every step, and the
SHA-256 content digest of a version-2 file); a malformed, truncated or corrupted file gives
a one-line error and exit status 2. A version-1 file (no digest) is shown with a warning.
Control characters in token text are shown escaped (\x1b). Limits: docs/limits.md.
See docs/trace-format.md."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("show", help="render a trace (text, space-time PNG or HTML)",
                       description="Render a recorded apmdm trace (JSON Lines).",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("trace", metavar="TRACE", help="trace file (.jsonl) written by apmdm")
    p.add_argument("--format", choices=("text", "spacetime", "html"), default=None,
                   help="output format (default: from the -o suffix: .html/.htm html, .png "
                        "spacetime, else text)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE (required for spacetime and html; text goes to stdout "
                        "by default); written atomically")
    p.add_argument("--color", action="store_true", help="ANSI colours in the text view")
    p.add_argument("--scale", type=int, default=None,
                   help="pixels per cell in the PNG (1..64; default: automatic)")
    p.add_argument("--max-cells", type=int, default=MAX_VIEW_CELLS, metavar="C",
                   help=f"refuse a trace of more than C cells (canvas cells plus deletion "
                        f"marks, counted while reading; default {MAX_VIEW_CELLS})")
    add_max_bytes(p)
    add_timeout(p)
    p.set_defaults(handler=run)


def output_format(chosen: str | None, output: str | None) -> str:
    """--format if given, else guessed from the output file's suffix."""
    if chosen:
        return chosen
    suffix = (output or "").lower().rsplit(".", 1)[-1]
    return {"html": "html", "htm": "html", "png": "spacetime"}.get(suffix, "text")


def run(args: argparse.Namespace) -> int:
    fmt = output_format(args.format, args.output)
    if fmt != "text" and not args.output:
        raise InvalidArgumentError(f"--format {fmt} needs -o FILE")
    check_output_paths({"-o": args.output}, {"TRACE": args.trace})
    trace = read_trace(args.trace, args.max_bytes, LengthBudget(max_cells=args.max_cells))
    if trace.digest is None:
        print(f"apmdm show: warning: {escape_control(args.trace)} is a version-1 trace without "
              "a content digest; only the replay checked it", file=sys.stderr)
    if fmt == "text":
        text = render_text(trace, color=args.color, max_cells=args.max_cells) + \
            answer_summary(trace)
        if args.output:
            write_atomic(args.output, text.encode("utf-8"))
        else:
            sys.stdout.write(text)
        return 0
    if fmt == "spacetime":
        from apmdm.machines.spacetime_plot import render_spacetime_plot

        data = render_spacetime_plot(trace, args.scale)
    else:
        from apmdm.checks.state_decoders import decoded_states
        from apmdm.machines.inspector import render_inspector

        data = render_inspector(trace, *decoded_states(trace)).encode("utf-8")
    write_atomic(args.output, data)
    print(f"wrote {args.output} ({len(data)} bytes)")
    sys.stdout.write(answer_summary(trace))
    return 0


def answer_summary(trace) -> str:
    """The summary line of the decoded answer recorded by `apmdm trace` (empty if none)."""
    import json

    answer = trace.parameters.get("answer")
    if not isinstance(answer, dict) or not {"decoded", "reference", "equal"} <= set(answer):
        return ""
    verdict = "equal" if answer["equal"] is True else "DIFFERENT"
    return (f"# answer: decoded {json.dumps(answer['decoded'])}; reference "
            f"{json.dumps(answer['reference'])} ({verdict})\n")

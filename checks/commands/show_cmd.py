"""`apmdm show TRACE`: render a recorded trace as text, a space-time PNG or an HTML page."""

from __future__ import annotations

import argparse
import sys

from apmdm.checks.commands.common import add_max_bytes, add_timeout
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.jsonl import check_output_paths, escape_control
from apmdm.machines.render import (
    MAX_PNG_PIXELS,
    MAX_VIEW_CELLS,
    LengthBudget,
    check_view_budget,
    render_html,
    render_spacetime_png,
    render_text,
)
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

spacetime: a PNG, one row per canvas, one column per position (--scale pixels per cell):
unmasked green, remasked orange, inserted blue, a mask the next step deletes has its lower
half red, MASK dark grey, other tokens a pale tint per token, no cell white.

html: a self-contained page (inline CSS, no scripts) with the text view as a coloured table.

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
    p.add_argument("--format", choices=("text", "spacetime", "html"), default="text",
                   help="output format (default: text)")
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE (required for spacetime and html; text goes to stdout "
                        "by default); written atomically")
    p.add_argument("--color", action="store_true", help="ANSI colours in the text view")
    p.add_argument("--scale", type=int, default=4, help="pixels per cell in the PNG (1..64)")
    p.add_argument("--max-cells", type=int, default=MAX_VIEW_CELLS, metavar="C",
                   help=f"refuse a text/HTML view of more than C cells (default {MAX_VIEW_CELLS})")
    add_max_bytes(p)
    add_timeout(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if args.format != "text" and not args.output:
        raise InvalidArgumentError(f"--format {args.format} needs -o FILE")
    check_output_paths({"-o": args.output}, {"TRACE": args.trace})
    budget = (LengthBudget(max_pixels=MAX_PNG_PIXELS, scale=args.scale)
              if args.format == "spacetime" and 1 <= args.scale <= 64
              else LengthBudget(max_cells=args.max_cells))
    trace = read_trace(args.trace, args.max_bytes, budget)
    if trace.digest is None:
        print(f"apmdm show: warning: {escape_control(args.trace)} is a version-1 trace without "
              "a content digest; only the replay checked it", file=sys.stderr)
    if args.format == "text":
        text = render_text(trace, color=args.color, max_cells=args.max_cells)
        if args.output:
            write_atomic(args.output, text.encode("utf-8"))
        else:
            sys.stdout.write(text)
        return 0
    if args.format == "spacetime":
        data = render_spacetime_png(trace, args.scale)
    else:
        check_view_budget(trace, args.max_cells)
        data = render_html(trace).encode("utf-8")
    write_atomic(args.output, data)
    print(f"wrote {args.output} ({len(data)} bytes)")
    return 0

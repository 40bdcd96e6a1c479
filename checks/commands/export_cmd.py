"""`apmdm export-weights CONSTRUCTION --n N -o model.npz`: all weights (npz, no pickles) and
a JSON layout, written atomically."""

from __future__ import annotations

import argparse
import os

from apmdm.checks.catalogue import build_compiled
from apmdm.checks.commands.common import add_timeout
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.jsonl import check_output_paths
from apmdm.machines.transformer.export import save_transformer


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("export-weights", help="write a compiled transformer's weights (npz+JSON)",
                       description="Write every weight of a compiled transformer to an .npz "
                                   "file (loadable with allow_pickle=False) plus a JSON layout "
                                   "(dimension names, layer order, readouts).")
    p.add_argument("construction", help="construction name, e.g. efasp or efasp:reverse")
    p.add_argument("--program", help="program of the construction")
    p.add_argument("--n", type=int, required=True, help="size: max canvas length")
    p.add_argument("-o", "--output", required=True, help="output .npz path")
    p.add_argument("--layout", help="JSON layout path (default: OUTPUT with .json suffix)")
    add_timeout(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    out = args.output
    if not out.endswith(".npz"):
        raise InvalidArgumentError(f"-o must name a .npz file, got {out!r}")
    directory = os.path.dirname(os.path.abspath(out))
    if not os.path.isdir(directory):
        raise InvalidArgumentError(f"output directory {directory!r} does not exist")
    layout_path = args.layout or out[:-4] + ".json"
    check_output_paths({"-o": out, "--layout": layout_path}, {})
    model = build_compiled(args.construction, args.program, args.n)
    layout = save_transformer(model.spec, out, layout_path)
    print(f"wrote {out} ({len(layout['layers'])} layers, width {len(layout['residual'])}) "
          f"and {layout_path}")
    return 0

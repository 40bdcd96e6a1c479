"""`apmdm run-pram`: run a PRAM program (assembly file or library name) on an input.

Prints the output region and the cost counters (or a JSON object with ``--json``) and can
record the run's per-step access log as a JSON Lines trace (format ``apmdm-pram-trace``,
version 1, specified in ``docs/pram-assembly.md``). The trace is written atomically: to a
temporary file beside the target, renamed into place only after the run finished; a run
that fails leaves no file behind. Bytes are deterministic (fixed key order, compact
separators, ASCII only, no timestamps).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
from collections.abc import Sequence

from apmdm.checks.commands.common import add_timeout
from apmdm.machines.errors import InvalidArgumentError, SizeLimitExceeded
from apmdm.machines.jsonl import check_output_paths, escape_control, write_chunks_atomic
from apmdm.machines.pram.assembly import load_program_file
from apmdm.machines.pram.interpreter import PRAM, PRAMLimits, PRAMResult, PRAMStep, Variant
from apmdm.machines.pram.isa import Program

TRACE_FORMAT = "apmdm-pram-trace"
TRACE_VERSION = 1
MAX_INPUT_ITEMS = 1_000_000
_INT_ITEM = re.compile(r"[+-]?[0-9]{1,30}", re.ASCII)

_EPILOG = """\
PROGRAM is a path to a PRAM assembly file (see docs/pram-assembly.md) or the name of a
program in the built-in library (see `apmdm list --kind pram-program`). A file wins over a
library name when both exist. Without --variant, a library program runs under its declared
variant and a file under crcw-priority.

The input is written to shared memory cells 0..n-1 (n = number of items). Negative values
need the '=' form: --input=-3,1,4. --input "" runs on the empty input (n = 0).

Counters: T = parallel time (steps until every processor halted), P = processors,
work = instructions executed over all processors, S = memory span (largest address
touched + 1, input region included), cells touched = distinct addresses read or written
plus the input cells.

Variants (access rule per step): erew (no concurrent reads or writes), crew (concurrent
reads only), crcw-common (concurrent writes must agree), crcw-arbitrary (lowest processor id
wins: our deterministic rule), crcw-priority (highest processor id wins; the default).

--trace FILE writes a JSON Lines trace: a header line, one line per step with the access
log [[processor, instruction, "R"|"W", address, value], ...] and the applied writes, and a
final line with the output and counters. Exit status 2 and a one-line message on any error.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run-pram", help="run a PRAM program on an input; print output and counters",
        description="Run a PRAM program (assembly file or library name) on an input and\n"
                    "print the output region and the cost counters T, P, work and S.",
        epilog=_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("program", metavar="PROGRAM", help="assembly file or library program name")
    p.add_argument("--input", required=True, metavar="LIST",
                   help="comma-separated integers, e.g. 3,1,4,1 (memory cells 0..n-1)")
    p.add_argument("--variant", metavar="VARIANT",
                   help="erew | crew | crcw-common | crcw-arbitrary | crcw-priority (default: "
                        "a library program's declared variant, else crcw-priority)")
    p.add_argument("--processors", type=int, metavar="P",
                   help="override the program's declared processor count")
    p.add_argument("--max-steps", type=int, default=PRAMLimits().max_steps, metavar="N",
                   help=f"step limit (default {PRAMLimits().max_steps})")
    p.add_argument("--max-work", type=int, default=PRAMLimits().max_work, metavar="W",
                   help=f"work limit: instructions executed over all processors "
                        f"(default {PRAMLimits().max_work})")
    p.add_argument("--trace", metavar="FILE", help="write the per-step access log (JSON Lines)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_timeout(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    inputs = parse_input_list(args.input)
    variant = Variant.parse(args.variant) if args.variant is not None else None
    if args.processors is not None and args.processors < 1:
        raise InvalidArgumentError(f"--processors must be >= 1, got {args.processors}")
    if args.max_steps < 1:
        raise InvalidArgumentError(f"--max-steps must be >= 1, got {args.max_steps}")
    if args.max_work < 1:
        raise InvalidArgumentError(f"--max-work must be >= 1, got {args.max_work}")
    if args.trace:
        check_output_paths({"--trace": args.trace}, {"PROGRAM": args.program})
    program, declared = resolve_program(args.program)
    pram = PRAM(program, variant or declared,
                PRAMLimits(max_steps=args.max_steps, max_work=args.max_work))
    if args.trace:
        result = write_pram_trace(args.trace, pram, inputs, args.processors)
    else:
        result = pram.run(inputs, args.processors)
    region = program.output_region(result.n)
    if args.json:
        print(json.dumps(result_to_json(result, inputs, region, args.trace), indent=2))
    else:
        print(format_result(result, region, args.trace))
    return 0


# -- input and program resolution ----------------------------------------------------------


def parse_input_list(text: str) -> tuple[int, ...]:
    """Parse ``"3,1,4,1"`` into ``(3, 1, 4, 1)``; ``""`` is the empty input."""
    if not text.strip():
        return ()
    items = text.split(",")
    if len(items) > MAX_INPUT_ITEMS:
        raise SizeLimitExceeded(f"--input has {len(items)} items; the limit is {MAX_INPUT_ITEMS}")
    values = []
    for index, item in enumerate(items, start=1):
        if not _INT_ITEM.fullmatch(item.strip()):
            raise InvalidArgumentError(
                f"--input: item {index} ({item.strip()!r}) is not an integer; expected "
                "comma-separated integers such as 3,1,4,1")
        values.append(int(item))
    return tuple(values)


def resolve_program(spec: str) -> tuple[Program, Variant]:
    """An assembly file if ``spec`` names one, else the library program of that name.

    Returns the program and its default variant: a library program's declared variant
    (attribute ``variant``, when present), else Priority-CRCW."""
    if os.path.isdir(spec):
        raise InvalidArgumentError(f"{spec!r} is a directory, not a PRAM assembly file")
    if os.path.exists(spec):
        return load_program_file(spec), Variant.CRCW_PRIORITY
    looks_like_path = os.sep in spec or "/" in spec or spec.endswith((".pram", ".asm", ".s"))
    if looks_like_path:
        raise InvalidArgumentError(f"no such file: {spec!r}")
    return _library_program(spec)


def _library_program(name: str) -> tuple[Program, Variant]:
    try:
        library = importlib.import_module("apmdm.machines.pram.library")
    except ModuleNotFoundError as exc:
        if exc.name != "apmdm.machines.pram.library":
            raise
        raise InvalidArgumentError(
            f"{name!r}: no such file, and the PRAM program library is not available") from None
    known = sorted(getattr(library, "LIBRARY", {}))
    if name not in known:
        listing = ", ".join(known) if known else "none"
        raise InvalidArgumentError(f"{name!r} is neither a file nor a library program "
                                   f"(library programs: {listing})")
    entry = library.get_program(name)
    declared = getattr(entry, "variant", Variant.CRCW_PRIORITY)
    return entry.program, Variant.parse(getattr(declared, "value", str(declared)))


# -- output ----------------------------------------------------------------------------------


def counters_to_json(result: PRAMResult) -> dict:
    c = result.counters
    return {"time": c.time, "processors": c.processors, "work": c.work,
            "memory_span": c.memory_span, "cells_touched": c.cells_touched}


def result_to_json(result: PRAMResult, inputs: Sequence[int], region: tuple[int, int],
                   trace: str | None) -> dict:
    return {"program": result.program, "variant": result.variant.value, "n": result.n,
            "input": list(inputs), "output_region": list(region), "output": list(result.output),
            "counters": counters_to_json(result), "trace": trace}


def format_result(result: PRAMResult, region: tuple[int, int], trace: str | None) -> str:
    start, length = region
    cells = f"cells {start}..{start + length - 1}" if length else "empty region"
    shown = " ".join(str(v) for v in result.output) if length else "(empty)"
    c = result.counters
    lines = [
        f"program        {result.program} ({result.variant.value}, n={result.n})",
        f"output         {shown}   [{cells}]",
        f"T  time        {c.time}",
        f"P  processors  {c.processors}",
        f"   work        {c.work}",
        f"S  span        {c.memory_span}",
        f"   cells       {c.cells_touched}",
    ]
    if trace:
        lines.append(f"trace          {escape_control(trace)}")
    return "\n".join(lines)


# -- the trace -------------------------------------------------------------------------------


def _line(obj: dict) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=True) + "\n"


def trace_header(pram: PRAM, inputs: Sequence[int], processors: int) -> dict:
    region = pram.program.output_region(len(inputs))
    return {"format": TRACE_FORMAT, "version": TRACE_VERSION, "program": pram.program.name,
            "variant": pram.variant.value, "n": len(inputs), "processors": processors,
            "input": list(inputs), "output_region": list(region),
            "max_steps": pram.limits.max_steps}


def trace_step(step: PRAMStep) -> dict:
    return {"step": step.step, "active": step.active,
            "accesses": [[a.processor, a.instruction, a.kind, a.address, a.value]
                         for a in step.accesses],
            "writes": [list(w) for w in step.writes]}


def write_pram_trace(path: str, pram: PRAM, inputs: Sequence[int],
                     processors: int | None = None) -> PRAMResult:
    """Run ``pram`` on ``inputs``, writing the trace to ``path`` atomically; return the result.

    The step lines and the final line come from one run (a test replays the trace).
    """
    target = os.path.abspath(path)
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise InvalidArgumentError(f"cannot write trace {path!r}: no directory {folder!r}")
    if os.path.isdir(target):
        raise InvalidArgumentError(f"cannot write trace {path!r}: it is a directory")
    vals = tuple(inputs)
    count = processors if processors is not None else pram.program.processor_count(len(vals))
    outcome: dict = {}

    def lines():
        yield _line(trace_header(pram, vals, count))
        state: dict = {}
        for step in pram._steps(vals, processors, state):
            yield _line(trace_step(step))
        outcome["result"] = result = state["result"]
        yield _line({"output": list(result.output), "counters": counters_to_json(result)})

    write_chunks_atomic(target, (line.encode("ascii") for line in lines()))
    return outcome["result"]

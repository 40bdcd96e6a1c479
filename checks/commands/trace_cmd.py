"""`apmdm trace TARGET --model MODEL --n N [--seed S] -o FILE`: record a construction's run.

Generic over :func:`apmdm.checks.catalogue.trace_targets`: a :class:`TraceTarget` builds
a :class:`TraceableRun` for a model, a size and a seed; this command records it with
:func:`machines.trace.record_trace` and writes it atomically (JSON Lines, for `apmdm show`).
An unknown target or model gives an error listing what is available.
"""

from __future__ import annotations

import argparse

from apmdm.checks.catalogue import trace_targets
from apmdm.checks.commands.common import add_timeout, positive
from apmdm.checks.trace_target import DEFAULT_MAX_TRACE_N, TraceTarget, build_run
from apmdm.machines.errors import InvalidArgumentError, SizeLimitExceeded
from apmdm.machines.jsonl import check_output_paths
from apmdm.machines.process import DEFAULT_MAX_WORK


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("trace", help="record a construction's generation trace (JSON Lines)",
                       description="Run a registered construction (e.g. a library PRAM program "
                                   "compiled to mdm, apmdm or arm) and write its trace.")
    p.add_argument("target", nargs="?",
                   help="what to trace: a registered target (omit or 'list' to list them) or "
                        "a PRAM assembly file (*.pram) of your own, with --input")
    p.add_argument("--model", help="model / construction to use (see the target's models)")
    p.add_argument("--n", type=int, default=8, help="size parameter (default 8)")
    p.add_argument("--seed", type=int, default=0, help="seed for the input (default 0)")
    p.add_argument("--input", help="for a .pram file: comma-separated integers, e.g. 3,1,4,1")
    p.add_argument("--variant", help="for a .pram file: PRAM variant (default crcw-priority)")
    p.add_argument("-o", "--output", help="trace file to write")
    p.add_argument("--max-work", type=int, default=None, metavar="W",
                   help=f"positions processed by the run, at most (default {DEFAULT_MAX_WORK}; "
                        "for a .pram file: processor-steps of the program)")
    add_timeout(p)
    p.set_defaults(handler=run)


def describe(targets: dict[str, TraceTarget]) -> str:
    width = max((len(n) for n in targets), default=0)
    return "\n".join(f"  {name:<{width}}  [{', '.join(t.models)}]  {t.description}"
                     for name, t in targets.items())


def lookup(targets: dict[str, TraceTarget], name: str, model: str | None) -> tuple[TraceTarget,
                                                                                     str]:
    if name not in targets:
        raise InvalidArgumentError(f"unknown trace target {name!r}; available: "
                                   + ", ".join(targets) + " (see `apmdm trace list`)")
    target = targets[name]
    if model is None:
        if len(target.models) != 1:
            raise InvalidArgumentError(f"{name}: choose --model from {', '.join(target.models)}")
        model = target.models[0]
    # Model names are matched without case or hyphens, so "ap-mdm" and "apmdm" both work.
    spelled = {m.replace("-", "").lower(): m for m in target.models}
    key = model.replace("-", "").lower()
    if key not in spelled:
        raise InvalidArgumentError(f"{name}: unknown model {model!r} "
                                   f"(choose from {', '.join(target.models)})")
    return target, spelled[key]


def run(args: argparse.Namespace) -> int:
    from apmdm.machines.provenance import provenance
    from apmdm.machines.trace import record_trace, write_trace

    targets = trace_targets()
    if args.target in (None, "list"):
        print(describe(targets))
        return 0
    if not args.output:
        raise InvalidArgumentError("give the trace file with -o FILE")
    if args.max_work is not None:
        positive(args.max_work, "--max-work")
    is_file = args.target.endswith(".pram")
    check_output_paths({"-o": args.output}, {"TARGET": args.target if is_file else None})
    if is_file:
        built, name = _pram_file(args), args.target
        if args.max_work is not None:
            from dataclasses import replace
            built = replace(built, limits=replace(built.limits, max_work=args.max_work))
    else:
        target, model = lookup(targets, args.target, args.model)
        built, name = build_run(target, model, args.n, args.seed, args.max_work), target.name
    options = {"target": args.target, "model": args.model, "n": args.n, "input": args.input,
               "variant": args.variant}
    trace = record_trace(built.process, built.canvas, built.limits, built.construction,
                         built.parameters, built.vocabulary, built.schema,
                         provenance(args.seed, options))
    write_trace(trace, args.output)
    c = trace.counters
    where = (f"input of length {len(built.parameters.get('inputs', []))}"
             if args.target.endswith(".pram") else f"n={args.n}, seed={args.seed}")
    print(f"{args.output}: {built.construction} on {name} ({where}): "
          f"{c.steps} steps, context {c.initial_context} -> max {c.max_context}, "
          f"stop {trace.stop.value}")
    return 0


def _pram_file(args: argparse.Namespace):
    """Build the run for a user's own PRAM assembly file."""
    from apmdm.checks.commands.run_pram_cmd import parse_input_list
    from apmdm.checks.pram_traces import PRAM_MODELS, pram_file_run

    if args.input is None:
        raise InvalidArgumentError(f"{args.target}: give the program's input with --input 3,1,4")
    model = (args.model or "").replace("-", "").lower()
    if model not in PRAM_MODELS:
        raise InvalidArgumentError(f"{args.target}: choose --model from {', '.join(PRAM_MODELS)}")
    inputs = parse_input_list(args.input)
    if len(inputs) > DEFAULT_MAX_TRACE_N:
        raise SizeLimitExceeded(f"{args.target}: an input of {len(inputs)} items is above "
                                f"{DEFAULT_MAX_TRACE_N}, the size a compiled run traces in "
                                "bounded time and memory")
    return pram_file_run(args.target, model, inputs, args.variant)

"""`apmdm trace TARGET --model MODEL --n N [--seed S] -o FILE`: record a construction's run.

Generic over :func:`apmdm.checks.catalogue.trace_targets`: a :class:`TraceTarget` builds
a :class:`TraceableRun` for a model, a size and a seed; this command records it with
:func:`machines.trace.record_trace` and writes it atomically (JSON Lines, for `apmdm show`).
An unknown target or model gives an error listing what is available.

Your own inputs: a PRAM assembly file (``FILE.pram --input 3,1,4``), a Turing machine
(``FILE.json --model arm|apmdm --input WORD``), or an instance file for a task target
(``task-sudoku --instance FILE``, ``task-mincut --instance FILE [--source S --sink T]``).

The answer decoded from the final canvas is printed next to the reference machine's and
recorded in the header's parameters (``"answer": {"decoded", "reference", "equal"}``); the
exit status is 1 when they differ (the trace is still written).
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
    p.add_argument("--processors", type=int, metavar="P",
                   help="for a .pram file: override the program's declared processor count")
    p.add_argument("--max-steps", type=int, metavar="N",
                   help="for a .pram file: the PRAM interpreter's step limit (as run-pram)")
    p.add_argument("--declared-T", dest="declared_T", metavar="EXPR",
                   help="for a .pram file: compile the MDM for T(n) steps (an expression in n) "
                        "instead of the measured T")
    p.add_argument("--declared-S", dest="declared_S", metavar="EXPR",
                   help="for a .pram file: compile the AP-MDM with S(n) memory cells instead of "
                        "max(S, n, 1)")
    p.add_argument("--instance", metavar="FILE",
                   help="for task-sudoku (a puzzle per line; the first is traced) or "
                        "task-mincut (an edge list 'u v [capacity]')")
    p.add_argument("--source", help="task-mincut --instance: source vertex (default smallest)")
    p.add_argument("--sink", help="task-mincut --instance: sink vertex (default largest)")
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
    _check_file_options(args)
    is_file = args.target.endswith((".pram", ".json"))
    check_output_paths({"-o": args.output}, {"TARGET": args.target if is_file else None,
                                             "--instance": args.instance})
    built, name, where = _build(args, targets)
    options = {"target": args.target, "model": args.model, "n": args.n, "input": args.input,
               "variant": args.variant}
    for key in ("processors", "max_steps", "declared_T", "declared_S", "instance", "source",
                "sink"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    trace = record_trace(built.process, built.canvas, built.limits, built.construction,
                         built.parameters, built.vocabulary, built.schema,
                         provenance(args.seed, options))
    answer = built.answer(trace.final) if built.answer else None
    if answer is not None:
        trace = with_answer(trace, answer)
    write_trace(trace, args.output)
    c = trace.counters
    print(f"{args.output}: {built.construction} on {name} ({where}): "
          f"{c.steps} steps, context {c.initial_context} -> max {c.max_context}, "
          f"stop {trace.stop.value}")
    if answer is None:
        print("answer: (this target has no reference machine to compare with)")
        return 0
    print(f"answer: {_short(answer.decoded)}")
    print(f"reference: {_short(answer.reference)} "
          f"({'equal' if answer.equal else 'DIFFERENT: the run is wrong'})")
    return 0 if answer.equal else 1


def with_answer(trace, answer):
    """``trace`` with ``answer`` recorded in its header's parameters (keys kept sorted)."""
    import dataclasses
    import json

    params = dict(trace.parameters, answer=json.loads(json.dumps(answer.to_json())))
    return dataclasses.replace(trace, parameters={k: params[k] for k in sorted(params)})


def _short(value: object, limit: int = 300) -> str:
    import json

    text = value if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _build(args: argparse.Namespace, targets: dict[str, TraceTarget]):
    """(run, name, description of the input) for the target or file named on the line; a
    run from a file gets ``--max-work`` as its work limit."""
    built, name, where = _build_run(args, targets)
    if args.max_work is not None and built.limits.max_work != args.max_work:
        from dataclasses import replace
        built = replace(built, limits=replace(built.limits, max_work=args.max_work))
    return built, name, where


def _build_run(args: argparse.Namespace, targets: dict[str, TraceTarget]):
    target = args.target
    if target.endswith(".pram"):
        built = _pram_file(args)
        return built, target, f"input of length {len(built.parameters.get('inputs', []))}"
    if target.endswith(".json"):
        from apmdm.checks.pram_traces import tm_file_run

        model = (args.model or "").replace("-", "").lower()
        if model not in ("arm", "apmdm"):
            raise InvalidArgumentError(f"{target}: choose --model arm or apmdm")
        if args.input is None:
            raise InvalidArgumentError(f"{target}: give the word with --input (e.g. --input "
                                       "0110; --input '' is the empty word)")
        built = tm_file_run(target, model, args.input)
        return built, target, f"word of length {len(built.parameters['word'])}"
    if args.instance:
        from apmdm.checks.task_answers import graph_file_run, sudoku_file_run

        if target == "task-sudoku":
            built, note = sudoku_file_run(args.instance, args.model)
        elif target == "task-mincut":
            built, note = graph_file_run(args.instance, args.model, args.source, args.sink)
        else:
            raise InvalidArgumentError("--instance works with task-sudoku and task-mincut")
        return built, target, f"{args.instance}: {note}"
    found, model = lookup(targets, target, args.model)
    return (build_run(found, model, args.n, args.seed, args.max_work), found.name,
            f"n={args.n}, seed={args.seed}")


def _check_file_options(args: argparse.Namespace) -> None:
    """Options of one kind of target are an error on another, not silently ignored."""
    pram = args.target.endswith(".pram")
    for flag, value in (("--processors", args.processors), ("--max-steps", args.max_steps),
                        ("--declared-T", args.declared_T), ("--declared-S", args.declared_S),
                        ("--variant", args.variant)):
        if value is not None and not pram:
            raise InvalidArgumentError(f"{flag} is for a .pram file")
    if args.instance is None and (args.source or args.sink):
        raise InvalidArgumentError("--source/--sink are for task-mincut --instance FILE")
    if args.processors is not None and args.processors < 1:
        raise InvalidArgumentError(f"--processors must be >= 1, got {args.processors}")
    if args.max_steps is not None and args.max_steps < 1:
        raise InvalidArgumentError(f"--max-steps must be >= 1, got {args.max_steps}")


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
    declared = None
    if args.declared_T or args.declared_S:
        from apmdm.checks.user_artifacts import parse_declared
        declared = (parse_declared(args.declared_T, "--declared-T") if args.declared_T else None,
                    parse_declared(args.declared_S, "--declared-S") if args.declared_S else None)
    return pram_file_run(args.target, model, inputs, args.variant, args.processors,
                         args.max_steps, declared)

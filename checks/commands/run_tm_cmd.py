"""`apmdm run-tm FILE --input WORD`: run a Turing machine from a JSON file on a word.

The file is automata-lib's DTM dict shape as JSON (states may be strings or integers; see
:mod:`apmdm.machines.tm_file`). Prints accepted / rejected, the halting state, steps, space
(cells visited) and the final tape (or one JSON object with ``--json``).
"""

from __future__ import annotations

import argparse
import json

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.turing import TMLimits

EPILOG = """\
FILE: a JSON object with automata-lib's DTM keyword arguments: states, input_symbols,
tape_symbols, transitions {state: {symbol: [next_state, write, "L"|"R"|"N"]}},
initial_state, blank_symbol, final_states (and optionally name). States may be strings or
integers; a key of "transitions" is the JSON text of its state ("0" for the state 0).

WORD: one symbol per character when every input symbol is one character, else
comma-separated symbols; --input '' is the empty word.

Entering a final state accepts; a missing rule rejects (as in automata-lib). The final tape
is shown with leading and trailing blanks stripped. Exit status 0 when the machine halted
(accepting or rejecting), 2 with a one-line message on a malformed file, a bad word or a
run over the limits."""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run-tm", help="run a Turing machine (JSON file) on a word",
                       description="Run a Turing machine given as automata-lib-style JSON on "
                                   "a word; print accepted/rejected, steps, space, final tape.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("machine", metavar="FILE", help="Turing machine JSON file")
    p.add_argument("--input", required=True, metavar="WORD", help="the input word")
    p.add_argument("--max-steps", type=int, default=TMLimits().max_steps, metavar="N",
                   help=f"step limit (default {TMLimits().max_steps})")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from apmdm.machines.tm_file import load_tm_file, parse_word

    if args.max_steps < 1:
        raise InvalidArgumentError(f"--max-steps must be >= 1, got {args.max_steps}")
    machine = load_tm_file(args.machine)
    word = parse_word(machine, args.input, "--input")
    result = machine.run(word, TMLimits(max_steps=args.max_steps))
    sep = "," if any(len(s) > 1 for s in machine.tape_symbols) else ""
    if args.json:
        print(json.dumps({"machine": machine.name, "input": list(word),
                          "accepted": result.accepted, "halt": result.halt,
                          "state": result.state, "steps": result.steps, "space": result.space,
                          "head": result.head, "tape": list(result.output)}, indent=2))
        return 0
    print(f"machine   {machine.name} ({len(machine.states)} states)")
    print(f"input     {sep.join(word) or '(empty)'}")
    print(f"result    {'accepted' if result.accepted else 'rejected'} "
          f"({result.halt}, state {result.state})")
    print(f"steps     {result.steps}")
    print(f"space     {result.space}")
    print(f"tape      {sep.join(result.output) or '(blank)'}")
    return 0

"""Turing machines from JSON files: automata-lib's DTM dict shape, read with bounded validation.

The file is one JSON object with automata-lib's ``DTM`` keyword arguments::

    {"states": [0, 1, 2], "input_symbols": ["0", "1"], "tape_symbols": ["0", "1", "_"],
     "transitions": {"0": {"0": [0, "0", "R"], "1": [1, "1", "R"]},
                     "1": {"1": [1, "1", "R"], "_": [2, "_", "N"]}},
     "initial_state": 0, "blank_symbol": "_", "final_states": [2], "name": "zeros-ones"}

* States may be strings or integers (automata-lib accepts any hashable state). A state's
  *name* is its JSON text: the integer ``0`` is the state ``"0"`` of the
  :class:`~apmdm.machines.turing.TuringMachine`. JSON object keys are strings, so the key
  ``"0"`` of ``transitions`` names the state whose JSON text is ``0``. Two states with the same
  text (``0`` and ``"0"``) are an error.
* Symbols are non-empty strings. Moves are ``L``, ``R`` or ``N`` (``S`` is accepted too).
* ``name`` is optional (default: the file name without extension); ``allow_partial`` (an
  automata-lib option) is accepted and ignored: a missing rule rejects, as in automata-lib.
  Any other key is an error (a misspelt key would otherwise be silently dropped).

Bounds [decision]: file ≤ 1 MB, nesting depth ≤ 8, ≤ 10,000 states, ≤ 1,000 symbols,
≤ 100,000 rules, names ≤ 100 characters, integer states below 10^18 in size. Every error is a
one-line :class:`MalformedMachineFileError` naming the file and the JSON path, e.g.
``m.json: $.transitions["0"]["1"][2]: move 'X' is not L, R or N``.

:func:`parse_word` turns command-line text into a word: one symbol per character when every
input symbol is one character long, else comma-separated symbols.
"""

from __future__ import annotations

import json
import os
from typing import Any

from apmdm.machines.errors import (
    InvalidArgumentError,
    InvalidMachineError,
    MalformedMachineFileError,
)
from apmdm.machines.turing import TuringMachine

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 8
MAX_STATES = 10_000
MAX_SYMBOLS = 1_000
MAX_RULES = 100_000
MAX_NAME_CHARS = 100
MAX_INT_STATE = 10**18
MAX_WORD_SYMBOLS = 100_000
REQUIRED = ("states", "input_symbols", "tape_symbols", "transitions", "initial_state",
            "blank_symbol", "final_states")
OPTIONAL = ("name", "allow_partial")
MOVES = {"L": "L", "R": "R", "N": "S", "S": "S"}


class _Reader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, path: str, message: str) -> MalformedMachineFileError:
        return MalformedMachineFileError(f"{self.source}: {path}: {message}")

    def state(self, value: Any, path: str) -> str:
        """The name of a state given as a JSON value (a string or an integer)."""
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise self.fail(path, f"a state is a string or an integer, got {_show(value)}")
        if isinstance(value, int):
            if abs(value) >= MAX_INT_STATE:
                raise self.fail(path, f"integer state {value} is out of range (|state| < 10^18)")
            return str(value)
        return self.name(value, path, "state")

    def name(self, value: Any, path: str, what: str) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(path, f"a {what} is a non-empty string, got {_show(value)}")
        if len(value) > MAX_NAME_CHARS:
            raise self.fail(path, f"{what} is longer than {MAX_NAME_CHARS} characters")
        return value

    def array(self, doc: dict, key: str, limit: int) -> list:
        value = doc[key]
        if not isinstance(value, list):
            raise self.fail(f"$.{key}", f"expected a JSON array, got {_show(value)}")
        if len(value) > limit:
            raise self.fail(f"$.{key}", f"{len(value)} entries; the limit is {limit}")
        return value

    def symbols(self, doc: dict, key: str) -> list[str]:
        return [self.name(v, f"$.{key}[{i}]", "symbol")
                for i, v in enumerate(self.array(doc, key, MAX_SYMBOLS))]

    def states(self, doc: dict) -> tuple[list[str], dict[str, Any]]:
        names: list[str] = []
        given: dict[str, Any] = {}
        for i, v in enumerate(self.array(doc, "states", MAX_STATES)):
            name = self.state(v, f"$.states[{i}]")
            if name in given:
                raise self.fail(f"$.states[{i}]", f"state {_show(v)} has the same name "
                                f"{name!r} as state {_show(given[name])}")
            given[name] = v
            names.append(name)
        return names, given

    def known_state(self, value: Any, path: str, given: dict[str, Any]) -> str:
        name = self.state(value, path)
        if name not in given or type(given[name]) is not type(value):
            raise self.fail(path, f"{_show(value)} is not one of the states")
        return name

    def transitions(self, doc: dict, given: dict[str, Any]) -> dict:
        table = doc["transitions"]
        if not isinstance(table, dict):
            raise self.fail("$.transitions", f"expected a JSON object, got {_show(table)}")
        out: dict[str, dict[str, tuple[str, str, str]]] = {}
        count = 0
        for key, row in table.items():
            path = f"$.transitions[{json.dumps(key)}]"
            if key not in given:
                raise self.fail(path, f"key {key!r} names no state (a key is the JSON text of "
                                "a state, e.g. \"0\" for the state 0)")
            if not isinstance(row, dict):
                raise self.fail(path, f"expected an object symbol -> [next, write, move], "
                                f"got {_show(row)}")
            out[key] = {}
            for symbol, action in row.items():
                count += 1
                if count > MAX_RULES:
                    raise self.fail("$.transitions", f"more than {MAX_RULES} rules")
                where = f"{path}[{json.dumps(symbol)}]"
                self.name(symbol, where, "symbol")
                if not isinstance(action, list) or len(action) != 3:
                    raise self.fail(where, f"expected [next_state, write, move], got "
                                    f"{_show(action)}")
                nxt = self.known_state(action[0], f"{where}[0]", given)
                write = self.name(action[1], f"{where}[1]", "symbol")
                move = action[2]
                if not isinstance(move, str) or move not in MOVES:
                    raise self.fail(f"{where}[2]", f"move {_show(move)} is not L, R or N")
                out[key][symbol] = (nxt, write, move)
        return out


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _depth(text: str) -> int:
    """Largest nesting depth of arrays/objects in JSON ``text`` (strings skipped)."""
    depth = best = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            best = max(best, depth)
        elif ch in "]}":
            depth -= 1
    return best


def parse_tm_json(text: str, source: str = "<json>") -> TuringMachine:
    """A :class:`TuringMachine` from JSON text in automata-lib's DTM dict shape."""
    r = _Reader(source)
    if len(text) > MAX_FILE_BYTES:
        raise r.fail("$", f"file larger than {MAX_FILE_BYTES} bytes")
    if _depth(text) > MAX_DEPTH:
        raise r.fail("$", f"JSON nested deeper than {MAX_DEPTH} levels")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MalformedMachineFileError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: "
                                        f"{exc.msg}") from None
    if not isinstance(doc, dict):
        raise r.fail("$", f"expected a JSON object with keys {', '.join(REQUIRED)}")
    for key in doc:
        if key not in REQUIRED and key not in OPTIONAL:
            raise r.fail(f"$.{key}", f"unknown key (expected {', '.join(REQUIRED + OPTIONAL)})")
    for key in REQUIRED:
        if key not in doc:
            raise r.fail("$", f"missing key {key!r}")
    name = os.path.splitext(os.path.basename(source))[0]
    if "name" in doc:
        name = r.name(doc["name"], "$.name", "name")
    _, given = r.states(doc)
    input_symbols = r.symbols(doc, "input_symbols")
    tape_symbols = r.symbols(doc, "tape_symbols")
    blank = r.name(doc["blank_symbol"], "$.blank_symbol", "symbol")
    initial = r.known_state(doc["initial_state"], "$.initial_state", given)
    finals = [r.known_state(v, f"$.final_states[{i}]", given)
              for i, v in enumerate(r.array(doc, "final_states", MAX_STATES))]
    transitions = r.transitions(doc, given)
    try:
        return TuringMachine.from_automata_dict(list(given), input_symbols, tape_symbols,
                                                transitions, initial, blank, finals, name)
    except InvalidMachineError as exc:   # alphabet / state consistency, named by the machine
        raise MalformedMachineFileError(f"{source}: {exc}") from None


def load_tm_file(path: str | os.PathLike) -> TuringMachine:
    """Read and validate a Turing-machine JSON file (see the module docstring)."""
    where = os.fspath(path)
    if os.path.isdir(where):
        raise InvalidArgumentError(f"{where!r} is a directory, not a Turing-machine JSON file")
    try:
        with open(where, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {where!r}: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise MalformedMachineFileError(f"{where}: $: file larger than {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedMachineFileError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    return parse_tm_json(text, where)


def parse_word(machine: TuringMachine, text: str, where: str = "word") -> tuple[str, ...]:
    """A word over ``machine``'s input alphabet: one symbol per character when every input
    symbol is one character long, else comma-separated symbols (``""`` = the empty word)."""
    if len(text) > MAX_WORD_SYMBOLS * (MAX_NAME_CHARS + 1):
        raise InvalidArgumentError(f"{where}: longer than the limit of {MAX_WORD_SYMBOLS} symbols")
    single = all(len(s) == 1 for s in machine.input_symbols)
    symbols = list(text) if single else ([s.strip() for s in text.split(",")]
                                         if text.strip() else [])
    if len(symbols) > MAX_WORD_SYMBOLS:
        raise InvalidArgumentError(f"{where}: {len(symbols)} symbols; the limit is "
                                   f"{MAX_WORD_SYMBOLS}")
    for i, s in enumerate(symbols):
        if s not in machine.input_symbols:
            raise InvalidArgumentError(
                f"{where}: symbol {s!r} at position {i} is not an input symbol of "
                f"{machine.name or 'the machine'} ({', '.join(sorted(machine.input_symbols))})")
    return tuple(symbols)

"""Example Turing machines: binary increment, 0^n 1^n, binary palindromes.

Each machine is total (every non-halting state has a rule for every tape symbol; the rules
not listed below go to ``reject`` without moving), so compilers can rely on a full table.
The blank is ``_``. Step and space formulas are derived in ``docs/turing-machines.md`` and
checked in ``tests/test_turing.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.turing import TuringMachine

BLANK = "_"


def binary_increment() -> TuringMachine:
    """Input a binary number w (most significant bit first, may be empty = 0); output w + 1
    in binary, padded to len(w) digits (one more on overflow). Always accepts.

    ``right`` scans to the first blank after the input, ``carry`` walks left turning 1s into
    0s until it turns a 0 or a blank into 1. Steps n + k + 2, where k = trailing 1s of w."""
    table = {
        ("right", "0"): ("right", "0", "R"),
        ("right", "1"): ("right", "1", "R"),
        ("right", BLANK): ("carry", BLANK, "L"),
        ("carry", "1"): ("carry", "0", "L"),
        ("carry", "0"): ("done", "1", "S"),
        ("carry", BLANK): ("done", "1", "S"),
    }
    return TuringMachine.from_table(table, blank=BLANK, initial_state="right",
                                    accept_states={"done"}, input_symbols={"0", "1"},
                                    name="binary-increment").with_total_rules()


def zeros_then_ones() -> TuringMachine:
    """Accepts exactly {0^n 1^n : n >= 0}: repeatedly mark the leftmost 0 as X and the
    leftmost 1 as Y, then check that only Ys remain."""
    table = {
        ("q0", "0"): ("q1", "X", "R"),      # mark a 0
        ("q0", "Y"): ("q3", "Y", "R"),      # no 0 left: check the rest is Y
        ("q0", BLANK): ("accept", BLANK, "S"),
        ("q1", "0"): ("q1", "0", "R"),      # find the first unmarked 1
        ("q1", "Y"): ("q1", "Y", "R"),
        ("q1", "1"): ("q2", "Y", "L"),      # mark it
        ("q2", "0"): ("q2", "0", "L"),      # back to the last X
        ("q2", "Y"): ("q2", "Y", "L"),
        ("q2", "X"): ("q0", "X", "R"),
        ("q3", "Y"): ("q3", "Y", "R"),
        ("q3", BLANK): ("accept", BLANK, "S"),
    }
    return TuringMachine.from_table(table, blank=BLANK, initial_state="q0",
                                    accept_states={"accept"}, input_symbols={"0", "1"},
                                    name="zeros-then-ones").with_total_rules()


def palindromes() -> TuringMachine:
    """Accepts exactly the palindromes over {0, 1}: erase the first symbol, remember it in
    the state, erase the matching last symbol, walk back, repeat."""
    table = {("start", BLANK): ("accept", BLANK, "S")}
    for b in "01":
        table[("start", b)] = (f"seek{b}", BLANK, "R")          # erase first, remember b
        for c in "01":
            table[(f"seek{b}", c)] = (f"seek{b}", c, "R")      # run to the right end
        table[(f"seek{b}", BLANK)] = (f"check{b}", BLANK, "L")
        table[(f"check{b}", b)] = ("back", BLANK, "L")         # last symbol matches: erase
        table[(f"check{b}", BLANK)] = ("accept", BLANK, "S")   # odd length: middle consumed
        table[("back", b)] = ("back", b, "L")
    table[("back", BLANK)] = ("start", BLANK, "R")
    return TuringMachine.from_table(table, blank=BLANK, initial_state="start",
                                    accept_states={"accept"}, input_symbols={"0", "1"},
                                    name="palindromes").with_total_rules()


@dataclass(frozen=True)
class LibraryMachine:
    name: str
    build: Callable[[], TuringMachine]
    summary: str


LIBRARY: dict[str, LibraryMachine] = {m.name: m for m in (
    LibraryMachine("binary-increment", binary_increment,
                   "w -> w+1 in binary (MSB first); steps n+k+2 (k trailing 1s), space <= n+2"),
    LibraryMachine("zeros-then-ones", zeros_then_ones,
                   "decides {0^n 1^n}; O(n^2) steps, space <= n+1"),
    LibraryMachine("palindromes", palindromes,
                   "decides binary palindromes; O(n^2) steps, space <= n+1"),
)}


def get_machine(name: str) -> TuringMachine:
    """The library machine called ``name`` (see :data:`LIBRARY`)."""
    try:
        return LIBRARY[name].build()
    except KeyError:
        raise InvalidArgumentError(
            f"unknown Turing machine {name!r} (choose from {', '.join(sorted(LIBRARY))})") from None

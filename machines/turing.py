"""Single-tape deterministic Turing machines with step and space counters.

Model (documented in ``docs/turing-machines.md``):

* The tape is infinite in both directions, blank everywhere except the input, which starts
  at cell 0; the head starts on cell 0 in ``initial_state``. States and symbols are strings.
* One step: in state ``q`` reading ``a``, the rule ``(q, a) -> (q', b, m)`` writes ``b``,
  moves the head by ``m`` (``L`` = -1, ``R`` = +1, ``S`` = stay) and enters ``q'``.
* The machine halts as soon as it is in an accepting or a rejecting state (these have no
  rules), or when no rule exists for ``(q, a)``: that halt rejects (the convention of
  automata-lib's DTM).
* Counters: ``steps`` = rules applied; ``space`` = distinct cells the head has been on
  (including cell 0 and the final cell). The head moves by at most one cell, so the visited
  cells form an interval and ``space`` is its length.
* Output: accept/reject, the final state, and the final tape contents with leading and
  trailing blanks stripped (:attr:`TMResult.output`).
* Limits are always on: a run that makes more than ``max_steps`` steps raises
  :class:`StepLimitExceeded`; one whose head visits more than ``max_space`` cells raises
  :class:`SizeLimitExceeded`.

The transition table is exposed as :attr:`TuringMachine.rules` (a sorted tuple of
:class:`Rule`), the form compilers into ARM / AP-MDM consume.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence, Sized
from dataclasses import dataclass, field
from typing import Any

from apmdm.machines.errors import (
    InvalidArgumentError,
    InvalidMachineError,
    SizeLimitExceeded,
    StepLimitExceeded,
)

MOVES = {"L": -1, "R": 1, "S": 0}
_AUTOMATA_MOVES = {"L": "L", "R": "R", "N": "S", "S": "S"}


@dataclass(frozen=True, order=True)
class Rule:
    """``(state, read) -> (next_state, write, move)``; ``move`` is ``"L"``, ``"R"`` or ``"S"``."""

    state: str
    read: str
    next_state: str
    write: str
    move: str

    @property
    def delta(self) -> int:
        return MOVES[self.move]


@dataclass(frozen=True)
class TMLimits:
    """Every run is bounded: at most ``max_steps`` steps and ``max_space`` visited cells."""

    max_steps: int = 1_000_000
    max_space: int = 1_000_000

    def __post_init__(self) -> None:
        for name in ("max_steps", "max_space"):
            v = getattr(self, name)
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise InvalidArgumentError(f"TMLimits.{name} must be a positive integer, got {v!r}")


@dataclass(frozen=True)
class Configuration:
    """A configuration after ``step`` steps. ``tape[k]`` is cell ``tape_start + k``; the window
    covers the input and every visited cell; cells outside it are blank."""

    step: int
    state: str
    head: int
    tape_start: int
    tape: tuple[str, ...]
    space: int

    def symbol_at(self, cell: int, blank: str) -> str:
        k = cell - self.tape_start
        return self.tape[k] if 0 <= k < len(self.tape) else blank


@dataclass(frozen=True)
class TMResult:
    """The outcome of a halting run."""

    accepted: bool
    halt: str                 # "accept", "reject" or "no-rule" (rejects)
    state: str
    output: tuple[str, ...]   # final tape, leading/trailing blanks stripped
    head: int
    steps: int
    space: int

    @property
    def output_string(self) -> str:
        return "".join(self.output)


@dataclass(frozen=True)
class TuringMachine:
    """A single-tape deterministic TM; immutable and validated on construction."""

    states: frozenset[str]
    input_symbols: frozenset[str]
    tape_symbols: frozenset[str]
    blank: str
    rules: tuple[Rule, ...]
    initial_state: str
    accept_states: frozenset[str]
    reject_states: frozenset[str] = frozenset()
    name: str = ""
    _table: dict = field(default=None, init=False, repr=False, compare=False, hash=False)
    _codes_cache: dict = field(default=None, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        for attr in ("states", "input_symbols", "tape_symbols", "accept_states", "reject_states"):
            object.__setattr__(self, attr, frozenset(getattr(self, attr)))
        object.__setattr__(self, "rules", tuple(self.rules))
        self._check_names()
        object.__setattr__(self, "rules", tuple(sorted(self.rules)))
        self._check_alphabets()
        self._check_states()
        self._check_rules()
        object.__setattr__(self, "_table", {(r.state, r.read): r for r in self.rules})
        object.__setattr__(self, "_codes_cache", {})

    # --- validation --------------------------------------------------------------------------

    def _fail(self, message: str) -> InvalidMachineError:
        return InvalidMachineError(f"Turing machine {self.name or '<unnamed>'}: {message}")

    def _check_names(self) -> None:
        for what, items in (("state", self.states), ("tape symbol", self.tape_symbols),
                            ("input symbol", self.input_symbols)):
            for x in items:
                if not isinstance(x, str) or not x:
                    raise self._fail(f"{what} {x!r} is not a non-empty string")
        for r in self.rules:
            if not isinstance(r, Rule):
                raise self._fail(f"rule {r!r} is not a Rule")
            bad = [v for v in (r.state, r.read, r.next_state, r.write, r.move)
                   if not isinstance(v, str)]
            if bad:
                raise self._fail(f"rule {r!r}: {bad[0]!r} is not a string")

    def _check_alphabets(self) -> None:
        if self.blank not in self.tape_symbols:
            raise self._fail(f"blank {self.blank!r} is not a tape symbol")
        if self.blank in self.input_symbols:
            raise self._fail(f"blank {self.blank!r} must not be an input symbol")
        extra = sorted(self.input_symbols - self.tape_symbols)
        if extra:
            raise self._fail(f"input symbol {extra[0]!r} is not a tape symbol")

    def _check_states(self) -> None:
        if self.initial_state not in self.states:
            raise self._fail(f"initial state {self.initial_state!r} is not a state")
        for what, group in (("accepting", self.accept_states), ("rejecting", self.reject_states)):
            extra = sorted(group - self.states)
            if extra:
                raise self._fail(f"{what} state {extra[0]!r} is not a state")
        both = sorted(self.accept_states & self.reject_states)
        if both:
            raise self._fail(f"state {both[0]!r} is both accepting and rejecting")

    def _check_rules(self) -> None:
        seen: set[tuple[str, str]] = set()
        halting = self.accept_states | self.reject_states
        for r in self.rules:
            where = f"rule ({r.state!r}, {r.read!r})"
            if (r.state, r.read) in seen:
                raise self._fail(f"{where} is defined twice")
            seen.add((r.state, r.read))
            if r.state not in self.states:
                raise self._fail(f"{where}: {r.state!r} is not a state")
            if r.state in halting:
                raise self._fail(f"{where}: halting state {r.state!r} has a rule")
            if r.read not in self.tape_symbols:
                raise self._fail(f"{where}: read symbol {r.read!r} is not a tape symbol")
            if r.next_state not in self.states:
                raise self._fail(f"{where}: next state {r.next_state!r} is not a state")
            if r.write not in self.tape_symbols:
                raise self._fail(f"{where}: written symbol {r.write!r} is not a tape symbol")
            if r.move not in MOVES:
                raise self._fail(f"{where}: move {r.move!r} is not L, R or S")

    # --- construction from other shapes ------------------------------------------------------

    @classmethod
    def from_table(cls, table: Mapping[tuple[str, str], tuple[str, str, str]], *,
                   blank: str, initial_state: str, accept_states: Iterable[str],
                   reject_states: Iterable[str] = (), input_symbols: Iterable[str],
                   name: str = "") -> TuringMachine:
        """Build from ``{(state, read): (next_state, write, move)}``; states and tape symbols
        are collected from the table, the halting states and the input symbols."""
        rules = []
        for key, value in table.items():
            if not (isinstance(key, tuple) and len(key) == 2
                    and isinstance(value, tuple) and len(value) == 3):
                raise InvalidMachineError(f"Turing machine {name}: table entry {key!r}: "
                                          f"{value!r} is not (state, read): (next, write, move)")
            rules.append(Rule(key[0], key[1], *value))
        accept, reject, inputs = frozenset(accept_states), frozenset(reject_states), frozenset(
            input_symbols)
        states = {initial_state} | accept | reject | {r.state for r in rules} | {
            r.next_state for r in rules}
        symbols = {blank} | inputs | {r.read for r in rules} | {r.write for r in rules}
        return cls(frozenset(states), inputs, frozenset(symbols), blank, tuple(rules),
                   initial_state, accept, reject, name)

    @classmethod
    def from_automata_dict(cls, states: Iterable[str], input_symbols: Iterable[str],
                           tape_symbols: Iterable[str],
                           transitions: Mapping[str, Mapping[str, Sequence[str]]],
                           initial_state: str, blank_symbol: str, final_states: Iterable[str],
                           name: str = "") -> TuringMachine:
        """Build from automata-lib's DTM shape ``{state: {symbol: (next, write, 'L'|'R'|'N')}}``.

        automata-lib's semantics carry over: entering a final state accepts; a missing rule
        rejects. ``N`` (no move) becomes ``S``."""
        name = name if isinstance(name, str) else ""
        name = _checked_name(name, "name", name)
        state_set = _checked_names(states, "states", name, MAX_TM_STATES)
        inputs = _checked_names(input_symbols, "input_symbols", name, MAX_TM_SYMBOLS)
        symbols = _checked_names(tape_symbols, "tape_symbols", name, MAX_TM_SYMBOLS)
        finals = _checked_names(final_states, "final_states", name, MAX_TM_STATES)
        initial = _checked_name(initial_state, "initial_state", name)
        blank = _checked_name(blank_symbol, "blank_symbol", name)
        if not isinstance(transitions, Mapping):
            raise InvalidMachineError(f"Turing machine {name}: transitions must be a dict")
        if len(transitions) > MAX_TM_STATES:
            raise InvalidMachineError(f"Turing machine {name}: transitions has more than "
                                      f"{MAX_TM_STATES} states")
        rules = []
        for state, row in transitions.items():
            state = _checked_name(state, "transitions: a state", name)
            if not isinstance(row, Mapping):
                raise InvalidMachineError(f"Turing machine {name}: transitions[{state!r}] "
                                          "must be a dict symbol -> (next, write, move)")
            if len(row) > MAX_TM_SYMBOLS:
                raise InvalidMachineError(f"Turing machine {name}: transitions[{state!r}] has "
                                          f"more than {MAX_TM_SYMBOLS} symbols")
            for symbol, action in row.items():
                symbol = _checked_name(symbol, f"transitions[{state!r}]: a symbol", name)
                where = f"transitions[{state!r}][{symbol!r}]"
                if not isinstance(action, Sequence) or isinstance(action, str) or \
                        len(action) != 3:
                    raise InvalidMachineError(
                        f"Turing machine {name}: {where} = {_short_repr(action)} is not "
                        "(next_state, write, move)")
                nxt, write, move = (_checked_name(v, where, name) for v in action)
                if move not in _AUTOMATA_MOVES:
                    raise InvalidMachineError(
                        f"Turing machine {name}: {where}: move {move!r} is not L, R or N")
                rules.append(Rule(state, symbol, nxt, write, _AUTOMATA_MOVES[move]))
        return cls(state_set, inputs, symbols, blank, tuple(rules), initial, finals,
                   frozenset(), name)

    @classmethod
    def from_automata(cls, dtm: Any, name: str = "") -> TuringMachine:
        """Build from an automata-lib ``DTM`` object (read by attribute; no import needed)."""
        try:
            return cls.from_automata_dict(
                dtm.states, dtm.input_symbols, dtm.tape_symbols, dtm.transitions,
                dtm.initial_state, dtm.blank_symbol, dtm.final_states, name)
        except AttributeError as exc:
            raise InvalidMachineError(f"not an automata-lib DTM: {exc}") from None

    def to_automata_dict(self) -> dict:
        """The automata-lib DTM keyword arguments (rejecting states are dropped: a missing
        rule rejects there too)."""
        transitions: dict[str, dict[str, tuple[str, str, str]]] = {}
        for r in self.rules:
            transitions.setdefault(r.state, {})[r.read] = (
                r.next_state, r.write, "N" if r.move == "S" else r.move)
        return {"states": set(self.states), "input_symbols": set(self.input_symbols),
                "tape_symbols": set(self.tape_symbols), "transitions": transitions,
                "initial_state": self.initial_state, "blank_symbol": self.blank,
                "final_states": set(self.accept_states)}

    def with_total_rules(self, reject_state: str = "reject") -> TuringMachine:
        """The same machine with an explicit rule ``-> (reject_state, read, S)`` for every
        missing (non-halting state, tape symbol) pair; it accepts the same inputs."""
        halting = self.accept_states | self.reject_states
        missing = [Rule(q, a, reject_state, a, "S") for q in sorted(self.states - halting)
                   for a in sorted(self.tape_symbols) if (q, a) not in self._table]
        return TuringMachine(self.states | {reject_state}, self.input_symbols,
                             self.tape_symbols, self.blank, self.rules + tuple(missing),
                             self.initial_state, self.accept_states,
                             self.reject_states | {reject_state}, self.name)

    # --- queries -----------------------------------------------------------------------------

    def rule(self, state: str, symbol: str) -> Rule | None:
        """The rule for ``(state, symbol)``, or None (the machine halts and rejects there)."""
        return self._table.get((state, symbol))

    @property
    def is_total(self) -> bool:
        """True iff every non-halting state has a rule for every tape symbol."""
        halting = self.accept_states | self.reject_states
        return len(self._table) == len(self.states - halting) * len(self.tape_symbols)

    def _tape_input(self, word: str | Sequence[str]) -> list[str]:
        symbols = list(word)
        for i, s in enumerate(symbols):
            if s not in self.input_symbols:
                raise InvalidArgumentError(
                    f"Turing machine {self.name}: input symbol {s!r} at position {i} is not in "
                    f"the input alphabet {sorted(self.input_symbols)}")
        return symbols

    # --- running -----------------------------------------------------------------------------

    def run_stepwise(self, word: str | Sequence[str],
                     limits: TMLimits = TMLimits()) -> Iterator[Configuration]:
        """Yield the initial configuration and the configuration after every step.

        The last configuration yielded is halting; use :meth:`run` for the result."""
        word = self._tape_input(word)
        n_input = len(word)
        for state, head, left, tape, lo, hi, steps in self._execute(word, limits):
            start, end = min(lo, 0), max(hi, n_input - 1)
            yield Configuration(steps, state, head, start, tuple(tape[start + left:end + left + 1]),
                                hi - lo + 1)

    def run(self, word: str | Sequence[str], limits: TMLimits = TMLimits()) -> TMResult:
        """Run to halting with the tight loop :meth:`_run_tight` (no per-step snapshots).

        Same steps, tape, space, verdict and errors as fast-forwarding :meth:`run_stepwise`
        (:meth:`run_reference`); ``tests/test_turing_fast.py`` checks the two against each
        other."""
        return self._result(*self._run_tight(self._tape_input(word), limits))

    def run_reference(self, word: str | Sequence[str],
                      limits: TMLimits = TMLimits()) -> TMResult:
        """Run to halting by fast-forwarding the stepwise generator (the reference path)."""
        state, head, left, tape, lo, hi, steps = deque(self._execute(word, limits), maxlen=1)[0]
        return self._result(state, head, tape, lo, hi, steps)

    def _result(self, state: str, head: int, tape: list[str], lo: int, hi: int,
                steps: int) -> TMResult:
        if state in self.accept_states:
            halt = "accept"
        elif state in self.reject_states:
            halt = "reject"
        else:
            halt = "no-rule"
        first = next((k for k, s in enumerate(tape) if s != self.blank), len(tape))
        end = len(tape)
        while end > first and tape[end - 1] == self.blank:
            end -= 1
        return TMResult(halt == "accept", halt, state, tuple(tape[first:end]), head, steps,
                        hi - lo + 1)

    def _codes(self) -> tuple:
        """Integer coding of the table (built once per machine): symbols and states sorted;
        ``table[q * k + a]`` is ``(q' * k, a', move)`` or None (no rule, or q halting)."""
        cached = self._codes_cache.get("codes")
        if cached is not None:
            return cached
        symbols = sorted(self.tape_symbols)
        states = sorted(self.states)
        k = len(symbols)
        sym = {s: i for i, s in enumerate(symbols)}
        base = {q: i * k for i, q in enumerate(states)}
        table: list[tuple[int, int, int] | None] = [None] * (len(states) * k)
        for r in self.rules:
            table[base[r.state] + sym[r.read]] = (base[r.next_state], sym[r.write],
                                                  MOVES[r.move])
        codes = (symbols, states, k, sym, base, table)
        self._codes_cache["codes"] = codes
        return codes

    def _run_tight(self, word: list[str], limits: TMLimits) -> tuple:
        """The run loop without snapshots, on integer-coded states and symbols.

        Returns ``(state, head, tape, lo, hi, steps)`` like :meth:`_execute`'s last tuple,
        with ``tape`` trimmed so that ``tape[0]`` is cell ``lo`` when the head went left of 0.
        """
        symbols, states, k, sym, base, table = self._codes()
        blank = sym[self.blank]
        tape = [sym[s] for s in word] or [blank]
        max_steps, max_space = limits.max_steps, limits.max_space
        q = base[self.initial_state]
        pos = lo = hi = left = 0  # pos, lo, hi are tape indices; cell = index - left
        steps = 0
        for done in range(max_steps):  # ``done`` steps made before this iteration
            r = table[q + tape[pos]]
            if r is None:
                steps = done
                break
            q, tape[pos], move = r
            if move:
                pos += move
                if pos < lo:
                    lo = pos
                    if pos < 0:
                        grow = max(16, len(tape))
                        tape[:0] = [blank] * grow
                        left += grow
                        pos += grow
                        lo += grow
                        hi += grow
                elif pos > hi:
                    hi = pos
                    if pos >= len(tape):
                        tape.extend([blank] * max(16, len(tape)))
                else:
                    continue
                if hi - lo + 1 > max_space:
                    raise SizeLimitExceeded(
                        f"Turing machine {self.name or '<unnamed>'} visited more than "
                        f"{max_space} cells at step {done + 1}")
        else:  # max_steps steps made: one more rule would exceed the limit
            steps = max_steps
            if table[q + tape[pos]] is not None:
                raise StepLimitExceeded(
                    f"Turing machine {self.name or '<unnamed>'} did not halt within "
                    f"{max_steps} steps (state {states[q // k]!r}, head at cell {pos - left})")
        return (states[q // k], pos - left, [symbols[a] for a in tape], lo - left, hi - left,
                steps)

    def _execute(self, word: str | Sequence[str], limits: TMLimits) -> Iterator[tuple]:
        """The run loop. Yields (state, head, left, tape, lo, hi, steps) sharing the live
        tape list: ``tape[k]`` is cell ``k - left``; ``lo..hi`` the visited cells."""
        tape = self._tape_input(word) or [self.blank]
        left, head, lo, hi, steps = 0, 0, 0, 0, 0
        state = self.initial_state
        halting = self.accept_states | self.reject_states
        table = self._table
        blank = self.blank
        yield state, head, left, tape, lo, hi, steps
        while state not in halting:
            r = table.get((state, tape[head + left]))
            if r is None:
                return
            if steps >= limits.max_steps:
                raise StepLimitExceeded(
                    f"Turing machine {self.name or '<unnamed>'} did not halt within "
                    f"{limits.max_steps} steps (state {state!r}, head at cell {head})")
            steps += 1
            tape[head + left] = r.write
            state = r.next_state
            head += MOVES[r.move]
            if head < lo:
                lo = head
                if head + left < 0:  # grow by doubling: amortised O(1) per step
                    grow = max(16, len(tape))
                    tape[:0] = [blank] * grow
                    left += grow
            elif head > hi:
                hi = head
                if head + left >= len(tape):
                    tape.extend([blank] * max(16, len(tape)))
            if hi - lo + 1 > limits.max_space:
                raise SizeLimitExceeded(
                    f"Turing machine {self.name or '<unnamed>'} visited more than "
                    f"{limits.max_space} cells at step {steps}")
            yield state, head, left, tape, lo, hi, steps


MAX_TM_STATES = 10_000      # states (and final states) of a machine read from a dict
MAX_TM_SYMBOLS = 1_000      # input or tape symbols
MAX_TM_NAME_CHARS = 200     # one state or symbol name


def _short_repr(value: Any) -> str:
    text = repr(value) if isinstance(value, str | int | float | bool | type(None)) \
        else f"<{type(value).__name__}>"
    return text[:80]


def _checked_name(value: Any, what: str, machine: str) -> str:
    """A state or symbol name: a string of 1..MAX_TM_NAME_CHARS characters, no surrogate."""
    if not isinstance(value, str):
        raise InvalidMachineError(f"Turing machine {machine}: {what}: {_short_repr(value)} is "
                                  f"not a string")
    if len(value) > MAX_TM_NAME_CHARS:
        raise InvalidMachineError(f"Turing machine {machine}: {what}: a name of {len(value)} "
                                  f"characters (at most {MAX_TM_NAME_CHARS})")
    if any(0xD800 <= ord(c) <= 0xDFFF for c in value):
        raise InvalidMachineError(f"Turing machine {machine}: {what}: a lone surrogate")
    return value


def _checked_names(values: Any, what: str, machine: str, limit: int) -> frozenset[str]:
    """A collection (list, tuple, set) of names, at most ``limit`` of them."""
    if isinstance(values, str | bytes | Mapping) or not isinstance(values, Iterable):
        raise InvalidMachineError(f"Turing machine {machine}: {what} must be a list or set of "
                                  f"strings, got {type(values).__name__}")
    if isinstance(values, Sized) and len(values) > limit:
        raise InvalidMachineError(f"Turing machine {machine}: {what} has more than {limit} "
                                  "entries")
    out = []
    for i, v in enumerate(values):
        if i >= limit:
            raise InvalidMachineError(f"Turing machine {machine}: {what} has more than "
                                      f"{limit} entries")
        out.append(_checked_name(v, f"{what}[{i}]", machine))
    return frozenset(out)

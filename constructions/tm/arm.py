"""A Turing machine as an ARM chain of thought: one update record per TM step.

**Construction [decision].** Prompt = the input symbols followed by ``"SEP"``. At each step the
ARM appends the record of one TM step, a wide token ``(state', head', cell, written)``: the
state entered, the new head position, the cell written and the symbol written. The next-step
function reads the current state and head from the last record (the initial state and cell 0
before the first record) and the symbol under the head by a rightmost-exact-match on ``cell``
over the records (falling back to the input symbol, or the blank). When the state is
accepting/rejecting or has no rule it writes ``"EOS"``.

Costs: steps = T + 1 and context = n + T + 2 (prompt n + 1, T records, EOS): Θ(TM time),
whatever the space (constants in :mod:`theory.theorem4`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apmdm.constructions.interface import Bound
from apmdm.machines.errors import ConstructionError
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput, arm_prompt
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import MASK, Canvas
from apmdm.machines.turing import MOVES, TuringMachine
from apmdm.theory import theorem4 as th4

CONSTRUCTION = "tm-arm"
SEP = "SEP"
EOS = "EOS"


@dataclass(frozen=True)
class TMToARM:
    machine: TuringMachine
    n: int

    def initial_canvas(self, word: Sequence[str]) -> Canvas:
        symbols = tuple(word)
        if len(symbols) != self.n:
            raise ConstructionError(
                f"{CONSTRUCTION}: compiled for n = {self.n}, got {len(symbols)} symbols")
        for i, s in enumerate(symbols):
            if s not in self.machine.input_symbols:
                raise ConstructionError(f"{CONSTRUCTION}: input symbol {s!r} at {i} not allowed")
        return arm_prompt(symbols + (SEP,))

    def process(self) -> GenerationProcess:
        return GenerationProcess(Model.ARM, self.next_step, eos=EOS, name=CONSTRUCTION)

    def limits(self, resources: Resources) -> Limits:
        return Limits(max_steps=resources.time + 1, max_context=self.n + resources.time + 3)

    def bound(self, resources: Resources) -> Bound:
        """The contrast: one record per TM step, context n + T + 2."""
        return {"steps": th4.tm_arm_steps_bound(resources.time),
                "context": th4.tm_arm_context_bound(self.n, resources.time)}

    def _symbol(self, canvas: Canvas, records: Sequence[tuple], cell: int) -> str:
        for rec in reversed(records):                # rightmost exact match on the cell
            if rec[2] == cell:
                return rec[3]
        return canvas[cell] if 0 <= cell < self.n else self.machine.blank

    def _state(self, records: Sequence[tuple]) -> tuple[str, int]:
        return (records[-1][0], records[-1][1]) if records else (self.machine.initial_state, 0)

    def next_step(self, canvas: Canvas) -> StepOutput:
        last = len(canvas) - 1
        if last < self.n + 1 or canvas[self.n] != SEP or canvas[last] is not MASK:
            raise ConstructionError(f"{CONSTRUCTION}: canvas is not 'input SEP records MASK'")
        records = canvas[self.n + 1:last]
        state, head = self._state(records)
        m = self.machine
        rule = None if state in m.accept_states | m.reject_states else \
            m.rule(state, self._symbol(canvas, records, head))
        if rule is None:
            return StepOutput({last: EOS})
        record = (rule.next_state, head + MOVES[rule.move], head, rule.write)
        return StepOutput({last: record}, insert=frozenset((last,)))

    def decode(self, final: Canvas) -> tuple[str, tuple[str, ...]]:
        """(final state, tape with leading/trailing blanks stripped)."""
        if not final or final[-1] != EOS:
            raise ConstructionError(f"{CONSTRUCTION}: the final canvas does not end with EOS")
        records = final[self.n + 1:-1]
        tape = {i: final[i] for i in range(self.n)}
        for rec in records:
            tape[rec[2]] = rec[3]
        return self._state(records)[0], strip(tape, self.machine.blank)

    # -- inspection ------------------------------------------------------------------------------

    def token_schema(self) -> dict:
        """What each token means, for trace viewers (written into the trace header)."""
        return {"construction": CONSTRUCTION, "machine": self.machine.name,
                "layout": "input symbols, SEP, one record per TM step, EOS",
                "kinds": [
                    {"name": "record", "match": {"type": "list", "length": 4},
                     "fields": [["state", "state entered by this TM step"],
                                ["head", "head position after the step"],
                                ["cell", "cell written by the step"],
                                ["written", "symbol written"]]},
                    {"name": "separator", "match": {"type": "str", "values": [SEP]},
                     "fields": [["word", "end of the input"]]},
                    {"name": "end", "match": {"type": "str", "values": [EOS]},
                     "fields": [["word", "the machine halted"]]},
                    {"name": "input", "match": {"type": "str"},
                     "fields": [["symbol", "input symbol"]]}]}

    def decode_state(self, canvas: Canvas) -> dict:
        """Tape (input overwritten by the records so far), head, state and TM step."""
        records = [r for r in canvas[self.n + 1:] if isinstance(r, tuple)]
        tape = {i: canvas[i] for i in range(self.n)}
        for rec in records:
            tape[rec[2]] = rec[3]
        state, head = self._state(records)
        lo = min([0, head, *tape])
        hi = max([self.n - 1, head, *tape])
        blank = self.machine.blank
        return {"state": state, "head": head - lo, "tm_step": len(records), "first_cell": lo,
                "tape": [tape.get(c, blank) for c in range(lo, hi + 1)]}


def strip(tape: dict[int, str], blank: str) -> tuple[str, ...]:
    cells = [c for c in sorted(tape) if tape[c] != blank]
    if not cells:
        return ()
    return tuple(tape.get(c, blank) for c in range(cells[0], cells[-1] + 1))


def compile_tm_arm(machine: TuringMachine, n: int) -> TMToARM:
    return TMToARM(machine, n)

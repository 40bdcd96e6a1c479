"""A Turing machine as an AP-MDM that edits the tape in place (Theorem 4's space contrast).

**Layout [decision].** ``LEFT c_0 ... c_{k-1} RIGHT``: two sentinels around the tape cells
(the input, then every cell the head has visited). Plain cells hold their symbol; the head
cell holds ``(state, symbol)``. Position 0 doubles as the *phase token*: ``LEFT`` or MASK.

**Schedule: two AP-MDM steps per TM step**, each a pure function of the canvas. A token cannot
be rewritten in place without losing what it said, so the new tokens are written into freshly
inserted masks while the old ones are still visible, and the old ones are removed afterwards:

* *edit step* (position 0 is ``LEFT``): delete every MASK (the tokens retired by the previous
  fill step); for the rule ``(q, a) -> (q', b, m)`` of the head cell insert a MASK right after
  the head and, if m is L or R, one right after the nearest non-mask token left of the head;
  remask position 0. If the state halts (accept, reject, or no rule), do nothing but the
  deletes: the next step is a fixed point and the run stops.
* *fill step* (position 0 is MASK): R: the mask left of the head gets b, the one right of it
  ``(q', c)`` with c the next cell (the blank if it is ``RIGHT``: the tape grows); L: the left
  mask gets ``(q', d)`` with d the previous cell (the blank at ``LEFT``), the right mask b;
  S: the right mask gets ``(q', b)``. The old head and the old c / d are remasked; position 0
  gets ``LEFT`` back.

Costs: steps = 2T + 2 (T edit/fill pairs, the final delete, the fixed point) and context ≤
n + space + 4 (the cells, two sentinels and the two tokens in transit): Θ(TM space),
independent of the time (constants in :mod:`theory.theorem4`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from apmdm.constructions.interface import Bound
from apmdm.machines.errors import ConstructionError
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput, mask_positions
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import MASK, Canvas
from apmdm.machines.turing import Rule, TuringMachine
from apmdm.theory import theorem4 as th4

CONSTRUCTION = "tm-apmdm"
LEFT, RIGHT = "|<", ">|"


@dataclass(frozen=True)
class TMToAPMDM:
    machine: TuringMachine
    n: int

    def __post_init__(self) -> None:
        if {LEFT, RIGHT} & set(self.machine.tape_symbols):
            raise ConstructionError(f"{CONSTRUCTION}: tape symbols may not be {LEFT} or {RIGHT}")

    def initial_canvas(self, word: Sequence[str]) -> Canvas:
        m = self.machine
        if len(word) != self.n:
            raise ConstructionError(
                f"{CONSTRUCTION}: compiled for n = {self.n}, got {len(word)} symbols")
        cells = list(word) or [m.blank]
        for i, s in enumerate(word):
            if s not in m.input_symbols:
                raise ConstructionError(f"{CONSTRUCTION}: input symbol {s!r} at {i} not allowed")
        cells[0] = (m.initial_state, cells[0])
        return (LEFT, *cells, RIGHT)

    def process(self) -> GenerationProcess:
        return GenerationProcess(Model.APMDM, self.next_step, name=CONSTRUCTION)

    def limits(self, resources: Resources) -> Limits:
        return Limits(max_steps=2 * resources.time + 3,
                      max_context=self.n + resources.space + 4)

    def bound(self, resources: Resources) -> Bound:
        """Steps <= 2·time + 3, context <= n + space + 4 (the tape in place)."""
        return {"steps": th4.tm_apmdm_steps_bound(resources.time),
                "context": th4.tm_apmdm_context_bound(self.n, resources.space)}

    # -- the next-step function ------------------------------------------------------------------

    def next_step(self, canvas: Canvas) -> StepOutput:
        h = self._head(canvas)
        rule = self._rule(canvas[h])
        if canvas[0] is MASK:
            return self._fill(canvas, h, rule)
        return self._edit(canvas, h, rule)

    def _edit(self, canvas: Canvas, h: int, rule: Rule | None) -> StepOutput:
        delete = frozenset(mask_positions(canvas))
        if rule is None:
            return StepOutput({}, delete=delete)
        insert = {h}
        if rule.move != "S":
            left = max(i for i in range(h) if canvas[i] is not MASK)
            insert.add(left)
        return StepOutput({}, remask=frozenset((0,)), insert=frozenset(insert), delete=delete)

    def _fill(self, canvas: Canvas, h: int, rule: Rule | None) -> StepOutput:
        if rule is None:
            raise ConstructionError(f"{CONSTRUCTION}: fill step with a halted head at {h}")
        blank = self.machine.blank
        q, b = rule.next_state, rule.write
        fills: dict[int, object] = {0: LEFT}
        remask = {h}
        if rule.move == "R":
            c = canvas[h + 2]
            fills[h - 1], fills[h + 1] = b, (q, blank if c == RIGHT else c)
            if c != RIGHT:
                remask.add(h + 2)
        elif rule.move == "L":
            d = canvas[h - 2]
            at_left = h - 2 == 0
            fills[h - 1], fills[h + 1] = (q, blank if at_left else d), b
            if not at_left:
                remask.add(h - 2)
        else:
            fills[h + 1] = (q, b)
        return StepOutput(fills, frozenset(remask))

    # -- parts -----------------------------------------------------------------------------------

    @staticmethod
    def _head(canvas: Canvas) -> int:
        heads = [i for i, tok in enumerate(canvas) if isinstance(tok, tuple)]
        if len(heads) != 1:
            raise ConstructionError(f"{CONSTRUCTION}: {len(heads)} head cells on the canvas")
        return heads[0]

    def _rule(self, head: tuple) -> Rule | None:
        m = self.machine
        state, symbol = head
        if state in m.accept_states | m.reject_states:
            return None
        return m.rule(state, symbol)

    def decode(self, final: Canvas) -> tuple[str, tuple[str, ...]]:
        """(final state, tape with leading/trailing blanks stripped)."""
        if MASK in final or final[0] != LEFT or final[-1] != RIGHT:
            raise ConstructionError(f"{CONSTRUCTION}: the final canvas is not a clean tape")
        h = self._head(final)
        cells = [t[1] if isinstance(t, tuple) else t for t in final[1:-1]]
        blank = self.machine.blank
        nonblank = [i for i, s in enumerate(cells) if s != blank]
        tape = tuple(cells[nonblank[0]:nonblank[-1] + 1]) if nonblank else ()
        return final[h][0], tape

    # -- inspection ------------------------------------------------------------------------------

    def token_schema(self) -> dict:
        """What each token means, for trace viewers (written into the trace header)."""
        return {"construction": CONSTRUCTION, "machine": self.machine.name,
                "layout": "LEFT c_0 ... c_(k-1) RIGHT; the head cell is (state, symbol); "
                          "position 0 is the phase token (LEFT: edit step next, MASK: fill)",
                "kinds": [
                    {"name": "head cell", "match": {"type": "list", "length": 2},
                     "fields": [["state", "the TM's current state"],
                                ["symbol", "the symbol under the head"]]},
                    {"name": "sentinel", "match": {"type": "str", "values": [LEFT, RIGHT]},
                     "fields": [["word", "tape end (left sentinel doubles as the phase)"]]},
                    {"name": "cell", "match": {"type": "str"},
                     "fields": [["symbol", "tape symbol of a cell away from the head"]]}]}

    def decode_state(self, canvas: Canvas) -> dict:
        """Tape (cells between the sentinels, masks skipped), head index, state and phase."""
        cells = [t for t in canvas[1:] if t is not MASK and t != RIGHT]
        heads = [i for i, t in enumerate(cells) if isinstance(t, tuple)]
        if len(heads) != 1:
            raise ConstructionError(f"{CONSTRUCTION}: {len(heads)} head cells on the canvas")
        h = heads[0]
        return {"state": cells[h][0], "head": h,
                "phase": "fill" if canvas[0] is MASK else "edit",
                "tape": [t[1] if isinstance(t, tuple) else t for t in cells]}


def compile_tm_apmdm(machine: TuringMachine, n: int) -> TMToAPMDM:
    return TMToAPMDM(machine, n)

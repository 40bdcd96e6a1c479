"""Theorem 4: compile a PRAM program into an AP-MDM rewrite schedule (memory edited in place).

**Statement [paper].** An S(n)-memory PRAM program running T(n) steps is simulated by an AP-MDM
with context O(S(n)) and O(T(n)) steps.

**Layout [decision].** For a memory bound S (the program's declared memory bound, or any S at
least its memory span; S ≥ n) and P processors::

    M[0] ... M[S-1] | A_0 B_0 | A_1 B_1 | ... | A_{P-1} B_{P-1}

``M[i]`` is the integer in memory cell i (the input in cells 0..n-1, zeros after it). Processor
p owns the pair ``A_p B_p``: exactly one of the two holds its current slot token (the wide
token of :mod:`constructions.pram.slot`), the other is MASK. The context is S + 2P for the
whole run, independent of T. (The memory region is sized from S at compile time: an access
beyond it raises :class:`ConstructionError`; the Turing-machine construction is the one that
grows its canvas with insert.)

**Schedule.** One PRAM step = at most two AP-MDM steps, each a pure function of the canvas:

* *advance* (when no memory cell is masked): for every running processor, read ``M[a]`` for
  its load (reads see the memory before the step), fill the masked half of its pair with the
  next slot, remask the current half, and remask the cell it writes (if any). Halted processors
  keep their pair as it is.
* *commit* (when some memory cell is masked): every masked cell a gets the value of the
  freshest slots (largest t) that write a, the highest-ranked writer winning (Priority-CRCW:
  highest id). A step without writes needs no commit.

When every processor has halted, f changes nothing and the run stops at a fixed point. Steps
≤ 2T + 1 (T advances, at most T commits, one fixed-point step), context = S + 2P ≤ 2(S + P)
(constants in :mod:`theory.theorem4`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from apmdm.constructions.interface import Bound
from apmdm.constructions.pram.slot import (
    HALTED,
    NO_WRITE,
    PID,
    T_,
    WADDR,
    WVAL,
    Semantics,
    Slot,
    check_inputs,
    initial_slot,
    int_kind,
    positive_int,
    pram_schema,
    processor_row,
    slot_fields,
    slot_kind,
    write_rank,
    write_rows,
)
from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.pram import Program, Variant
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import MASK, Canvas
from apmdm.theory import theorem4 as th4

CONSTRUCTION = "pram-apmdm"


@dataclass(frozen=True)
class PramToAPMDM:
    """The compiled Theorem-4 construction for one program, input length and memory bound."""

    program: Program
    n: int
    memory_size: int
    variant: Variant = Variant.CRCW_PRIORITY
    processors: int = 0          # 0: the program's declared P(n)
    semantics: Semantics = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise InvalidArgumentError(f"input length must be a non-negative int, got {self.n!r}")
        positive_int("memory size", self.memory_size)
        if self.memory_size < self.n:
            raise InvalidArgumentError(
                f"memory size {self.memory_size} is smaller than the input length {self.n}")
        p = self.processors or self.program.processor_count(self.n)
        object.__setattr__(self, "processors", positive_int("processors", p))
        object.__setattr__(self, "semantics", Semantics(self.program, p, self.n))

    @property
    def context(self) -> int:
        return self.memory_size + 2 * self.processors

    def limits(self, resources: Resources) -> Limits:
        """Safety limits for a run of at most ``resources.time`` PRAM steps: 3·(2T + 1) steps,
        so a schedule that overruns its 2T + 1 bound is measured by the checker, not
        truncated."""
        return Limits(max_steps=3 * (2 * positive_int("time bound", resources.time) + 1),
                      max_context=self.context)

    def bound(self, resources: Resources) -> Bound:
        """Theorem 4: steps <= 2T + 1, context <= S + 2P (S = the compiled memory size)."""
        return {"steps": th4.apmdm_steps_bound(resources.time),
                "context": th4.apmdm_context_bound(self.memory_size, self.processors)}

    def initial_canvas(self, inputs: Sequence[int]) -> Canvas:
        vals = check_inputs(inputs)
        if len(vals) != self.n:
            raise InvalidArgumentError(f"compiled for n = {self.n}, got {len(vals)} inputs")
        memory = vals + (0,) * (self.memory_size - self.n)
        R = self.program.num_registers
        procs: tuple = ()
        for p in range(self.processors):
            procs += (initial_slot(p, R), MASK)
        return memory + procs

    def process(self) -> GenerationProcess:
        return GenerationProcess(Model.APMDM, self.next_step, name=CONSTRUCTION)

    # -- the next-step function ------------------------------------------------------------------

    def next_step(self, canvas: Canvas) -> StepOutput:
        """f: commit pending writes if a memory cell is masked, else advance every processor."""
        self._check_shape(canvas)
        masked_cells = _masked_below(canvas, self.memory_size)
        if masked_cells:
            return self._commit(canvas, masked_cells)
        return self._advance(canvas)

    def _advance(self, canvas: Canvas) -> StepOutput:
        """Advance every running processor. The pair lookup (:meth:`_pair`) and the memory
        bound check (:meth:`_cell`) are inlined for speed (this f runs beside the compiled
        one on every step of a compiled check); their methods still raise the errors."""
        sem, S = self.semantics, self.memory_size
        load_address, execute = sem.load_address, sem.execute
        fills: dict[int, Slot] = {}
        remask: set[int] = set()
        for a in range(S, S + 2 * self.processors, 2):
            x, y = canvas[a], canvas[a + 1]
            if x is MASK and y is not MASK:
                cur_pos, next_pos, cur = a + 1, a, y
            elif y is MASK and x is not MASK:
                cur_pos, next_pos, cur = a, a + 1, x
            else:
                self._pair(canvas, (a - S) // 2)    # raises ConstructionError
                raise AssertionError("unreachable")  # pragma: no cover
            if cur[HALTED]:
                remask.add(next_pos)        # a halted processor's pair stays as it is
                continue
            addr = load_address(cur)
            if addr is None:
                loaded = 0
            elif addr < S:
                loaded = canvas[addr]
            else:
                loaded = self._read(canvas, addr, cur)      # raises ConstructionError
            new = execute(cur, loaded, cur[T_] + 1)
            fills[next_pos] = new
            remask.add(cur_pos)
            w = new[WADDR]
            if w != NO_WRITE:
                remask.add(w if w < S else self._cell(w, new))
        return StepOutput(fills, frozenset(remask))

    def _commit(self, canvas: Canvas, masked_cells: list[int]) -> StepOutput:
        """Fill every masked cell with its winning write (:meth:`_winner`): O(P + S), the
        freshest slots grouped by written address in one pass."""
        slots = self._current_slots(canvas)
        fresh = max(s[T_] for s in slots)
        by_address: dict[int, list[Slot]] = {}
        for s in slots:
            if s[T_] == fresh:
                by_address.setdefault(s[WADDR], []).append(s)
        fills: dict[int, int] = {}
        for a in masked_cells:
            writers = by_address.get(a)
            if not writers:
                raise ConstructionError(f"{CONSTRUCTION}: masked cell {a} has no pending write")
            fills[a] = self._winner(writers)[WVAL]
        keep = frozenset(i for i in range(self.memory_size, len(canvas)) if canvas[i] is MASK)
        return StepOutput(fills, keep)

    # -- parts -----------------------------------------------------------------------------------

    def _winner(self, writers: list[Slot]) -> Slot:
        P = self.processors
        return max(writers, key=lambda s: write_rank(self.variant, s[PID], P))

    def _read(self, canvas: Canvas, addr: int, slot: Slot) -> int:
        return canvas[self._cell(addr, slot)]

    def _cell(self, addr: int, slot: Slot) -> int:
        if addr >= self.memory_size:
            raise ConstructionError(
                f"{CONSTRUCTION}: processor {slot[PID]} accesses address {addr} at step "
                f"{slot[T_] + (0 if slot[WADDR] == addr else 1)}, beyond the memory bound "
                f"S = {self.memory_size}")
        return addr

    def _pair(self, canvas: Canvas, p: int) -> tuple[int, int]:
        """(position of the current slot, position of the masked half) of processor p."""
        a = self.memory_size + 2 * p
        if canvas[a] is MASK and canvas[a + 1] is not MASK:
            return a + 1, a
        if canvas[a + 1] is MASK and canvas[a] is not MASK:
            return a, a + 1
        raise ConstructionError(f"{CONSTRUCTION}: processor {p}'s pair at {a} is not "
                                "one slot and one MASK")

    def _current_slots(self, canvas: Canvas) -> list[Slot]:
        return [canvas[self._pair(canvas, p)[0]] for p in range(self.processors)]

    def _check_shape(self, canvas: Canvas) -> None:
        if len(canvas) != self.context:
            raise ConstructionError(
                f"{CONSTRUCTION}: canvas length {len(canvas)} != S + 2P = {self.context}")

    # -- decoding --------------------------------------------------------------------------------

    def decode(self, final: Canvas) -> tuple[int, ...]:
        self._check_shape(final)
        if any(final[a] is MASK for a in range(self.memory_size)):
            raise ConstructionError(f"{CONSTRUCTION}: the final memory still has masked cells")
        running = [s[PID] for s in self._current_slots(final) if not s[HALTED]]
        if running:
            raise ConstructionError(
                f"{CONSTRUCTION}: processor {running[0]} still running in the final canvas")
        start, length = self.program.output_region(self.n)
        return tuple(final[a] if a < self.memory_size else 0 for a in range(start, start + length))

    def vocabulary(self) -> dict:
        return {"size": 0, "kind": "wide", "memory": "int",
                "slot": slot_fields(self.program.num_registers),
                "note": "memory cells are ints, processor slots tuples of ints (open set)"}

    def parameters(self) -> dict:
        return {"program": self.program.name, "n": self.n, "processors": self.processors,
                "memory_size": self.memory_size, "variant": self.variant.value}

    # -- inspection ------------------------------------------------------------------------------

    def token_schema(self) -> dict:
        """What each token means, for trace viewers (written into the trace header)."""
        R = self.program.num_registers
        return pram_schema(CONSTRUCTION, self.program,
                           f"M[0..S-1] | A_0 B_0 | ... | A_(P-1) B_(P-1) "
                           f"(S = {self.memory_size}, P = {self.processors})",
                           [slot_kind(R), int_kind("memory cell", "value of memory cell M[i]")])

    def decode_state(self, canvas: Canvas) -> dict:
        """The PRAM state a canvas encodes: memory (None where a write is pending), the
        current slot of every processor, the writes of the freshest PRAM step (which won) and
        the next action (commit if a cell is masked, else advance)."""
        self._check_shape(canvas)
        slots = self._current_slots(canvas)
        fresh = max(s[T_] for s in slots)
        memory = [None if canvas[a] is MASK else canvas[a] for a in range(self.memory_size)]
        return {"pram_step": fresh,
                "next": "commit" if None in memory else "advance",
                "memory": memory,
                "writes": write_rows([s for s in slots if s[T_] == fresh], self.variant,
                                     self.processors) if fresh else [],
                "processors": [processor_row(s, self.program) for s in slots]}


def _masked_below(canvas: Canvas, end: int) -> list[int]:
    """Positions ``< end`` holding MASK, found with C-level scans."""
    out: list[int] = []
    index = canvas.index
    start = 0
    try:
        while True:
            i = index(MASK, start, end)
            out.append(i)
            start = i + 1
    except ValueError:
        return out


def compile_apmdm(program: Program, n: int, memory_size: int,
                  variant: Variant = Variant.CRCW_PRIORITY) -> PramToAPMDM:
    """Compile ``program`` for inputs of length ``n`` into the Theorem-4 AP-MDM construction."""
    return PramToAPMDM(program, n, memory_size, variant)

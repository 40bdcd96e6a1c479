"""Theorem 1: compile a PRAM program into an MDM unmask schedule.

**Statement [paper].** A PRAM program with P(n) processors and T(n) parallel steps is simulated
by an MDM in O(T(n)) decoding steps with context O(P(n)·T(n)).

**Layout [decision].** For an input ``x`` of length n, a processor count P and a time bound
T (the program's declared bound, or any T at least its running time)::

    x_0 ... x_{n-1} | block 1: P slots | ... | block T: P slots | output: m cells

The input tokens are the integers themselves; every slot and output cell starts as MASK. The
slot of processor p in block t is the wide token of :mod:`constructions.pram.slot` (the
processor's state after PRAM step t and the write it made). Input position i counts as "a
write of x_i to address i at time 0". The output block has one position per cell of the
program's output region ``(start, m) = program.output_region(n)``: output position q holds,
once filled, the int value of memory cell ``start + q`` when the PRAM halts.

**Next-step function.** ``f(canvas)``, a pure function of the compiled construction (immutable)
and the canvas:

1. *block selection*: t = the first block whose slots are all MASK;
2. *previous state* (local, per slot): slot p of block t-1 (the implicit initial state if t=1);
3. *memory read* (aggregation): for a load of address a, the record with address a and the
   largest rank (time, processor rank) among the input and blocks 1..t-1 -- the
   rightmost-exact-match of the paper-notes layout, where "rightmost" is latest time and, inside
   a block, the highest processor id (Priority-CRCW; the lowest for our CRCW-arbitrary rule);
4. *update* (local): :meth:`Semantics.advance` gives the new slot.

f unmasks block t and keeps every other mask masked. When block t-1 holds only halted
processors (the PRAM has ended), f fills every remaining block at once with halted copies
*and* the output block (the *copy-out*): output position q gets the value of the latest write
to address ``start + q`` among the input and blocks 1..t-1 -- step 3's lookup, with the
address given by the position instead of a load instruction. So the run ends (no mask left)
after exactly ``T_run + 1`` steps, whether the bound is loose (the halted copies and the
copy-out share step T_run + 1) or tight (block T = block T_run is complete, t = T + 1 names
the output block, and step T_run + 1 fills only it). If block T still has a running
processor when the slot blocks are full, f fills nothing: the run stops at a fixed point with
the output block masked, and :meth:`decode` raises (the time bound was too small).

**Costs.** steps ≤ T + 1, context = n + P·T + m (constants a = 1, b = 1, c = 1 in
:mod:`theory.theorem1`). :meth:`decode` reads the m output positions and nothing else (a
masked output position is a :class:`ConstructionError`).

Broken variants for the checker's own tests override one of the small methods
(:meth:`PramToMDM._visible_blocks`, :meth:`PramToMDM._prefer`, :meth:`PramToMDM._fill_plan`,
:meth:`PramToMDM._copy_out`);
the real path has no switches.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from apmdm.constructions.interface import Bound
from apmdm.constructions.pram.slot import (
    HALTED,
    NO_WRITE,
    WADDR,
    WVAL,
    Semantics,
    Slot,
    check_inputs,
    halted_copy,
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
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput, mask_positions
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import MASK, Canvas
from apmdm.theory import theorem1 as th1

CONSTRUCTION = "pram-mdm"


@dataclass(frozen=True)
class PramToMDM:
    """The compiled Theorem-1 construction for one program, input length and time bound."""

    program: Program
    n: int
    time_bound: int
    variant: Variant = Variant.CRCW_PRIORITY
    processors: int = 0          # 0: the program's declared P(n)
    semantics: Semantics = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise InvalidArgumentError(f"input length must be a non-negative int, got {self.n!r}")
        positive_int("time bound", self.time_bound)
        p = self.processors or self.program.processor_count(self.n)
        object.__setattr__(self, "processors", positive_int("processors", p))
        object.__setattr__(self, "semantics", Semantics(self.program, p, self.n))

    # -- sizes ---------------------------------------------------------------------------------

    @property
    def output_length(self) -> int:
        """m: the number of output cells, one canvas position each (the output block)."""
        return self.program.output_region(self.n)[1]

    @property
    def output_start(self) -> int:
        """Canvas position of the first output cell: after the input and the T blocks."""
        return self.n + self.processors * self.time_bound

    @property
    def context(self) -> int:
        return self.output_start + self.output_length

    def limits(self, resources: Resources | None = None) -> Limits:
        """Limits of a run: the canvas is built for the compiled ``time_bound``, so the
        reference run's resources are not needed (accepted for the common interface)."""
        return Limits(max_steps=3 * (self.time_bound + 1), max_context=self.context)

    def bound(self, resources: Resources) -> Bound:
        """Theorem 1: steps <= T + 1 (T measured), context <= n + P·T_bound + m."""
        return {"steps": th1.mdm_steps_bound(resources.time),
                "context": th1.mdm_context_bound(self.n, self.processors, self.time_bound,
                                                 self.output_length)}

    def initial_canvas(self, inputs: Sequence[int]) -> Canvas:
        vals = check_inputs(inputs)
        if len(vals) != self.n:
            raise InvalidArgumentError(f"compiled for n = {self.n}, got {len(vals)} inputs")
        return vals + (MASK,) * (self.context - self.n)

    def process(self) -> GenerationProcess:
        return GenerationProcess(Model.MDM, self.next_step, name=CONSTRUCTION)

    # -- the next-step function ------------------------------------------------------------------

    def next_step(self, canvas: Canvas) -> StepOutput:
        """f: fill the first all-mask block (or, after halting, every remaining block and the
        output block)."""
        self._check_shape(canvas)
        t = self._current_block(canvas)
        prev = self._block_states(canvas, t - 1)
        memory = self._memory(canvas, self._visible_blocks(t))
        if all(s[HALTED] for s in prev):
            fills = {}
            for block in range(t, self.time_bound + 1):
                for p, s in enumerate(prev):
                    fills[self._pos(block, p)] = halted_copy(s, block)
            fills.update(self._copy_out(memory))
            return StepOutput(fills, self._keep_masked(canvas, fills))
        if t > self.time_bound:   # slot blocks full, a processor still running: T too small
            return StepOutput({}, self._keep_masked(canvas, {}))
        sem = self.semantics
        fills = {}
        for p in self._fill_plan(canvas, t):
            s = prev[p]
            addr = sem.load_address(s)
            fills[self._pos(t, p)] = sem.advance(s, memory.get(addr, 0) if addr is not None
                                                 else 0, t)
        return StepOutput(fills, self._keep_masked(canvas, fills))

    # -- parts (each a position-wise map or one aggregation over the canvas) ---------------------

    def _pos(self, block: int, p: int) -> int:
        return self.n + (block - 1) * self.processors + p

    def _copy_out(self, memory: dict[int, int]) -> dict[int, int]:
        """The output block: position ``output_start + q`` gets cell ``start + q`` of
        ``memory`` (the lookup loads use), 0 for a cell never written."""
        start, length = self.program.output_region(self.n)
        return {self.output_start + q: memory.get(start + q, 0) for q in range(length)}

    def _check_shape(self, canvas: Canvas) -> None:
        if len(canvas) != self.context:
            raise ConstructionError(
                f"{CONSTRUCTION}: canvas length {len(canvas)} != n + P*T + m = {self.context}")

    def _current_block(self, canvas: Canvas) -> int:
        """1-based index of the first block whose slots are all MASK: the block of the first
        MASK after the input, which must be entirely masked; ``T + 1`` when only the output
        block is left (it must be entirely masked too)."""
        P = self.processors
        try:
            first = canvas.index(MASK, self.n)
        except ValueError:
            raise ConstructionError(f"{CONSTRUCTION}: no all-mask block left") from None
        if first >= self.output_start:
            if first != self.output_start or any(tok is not MASK
                                                 for tok in canvas[first:self.context]):
                raise ConstructionError(f"{CONSTRUCTION}: the output block is partly filled")
            return self.time_bound + 1
        t = (first - self.n) // P + 1
        start = self._pos(t, 0)
        if first != start or any(tok is not MASK for tok in canvas[start:start + P]):
            raise ConstructionError(f"{CONSTRUCTION}: block {t} is partly filled")
        return t

    def _block_states(self, canvas: Canvas, block: int) -> list[Slot]:
        R = self.program.num_registers
        if block == 0:
            return [initial_slot(p, R) for p in range(self.processors)]
        start = self._pos(block, 0)
        states = list(canvas[start:start + self.processors])
        if any(s is MASK for s in states):
            raise ConstructionError(f"{CONSTRUCTION}: block {block} is not complete")
        return states

    def _visible_blocks(self, t: int) -> int:
        """Blocks 1..k whose writes a read at step t sees: k = t - 1."""
        return t - 1

    def _prefer(self, new_rank: tuple, old_rank: tuple) -> bool:
        """Whether a record of rank ``new_rank`` replaces ``old_rank``: the latest wins."""
        return new_rank > old_rank

    def _fill_plan(self, canvas: Canvas, t: int) -> range:
        """The processors whose slot in block t this step fills: all of them."""
        return range(self.processors)

    def _memory(self, canvas: Canvas, blocks: int) -> dict[int, int]:
        """address -> value of the highest-ranked write among input and blocks 1..blocks."""
        best: dict[int, tuple[tuple, int]] = {}
        prefer = self._prefer
        for i in range(self.n):
            best[i] = ((0, 0), canvas[i])
        P = self.processors
        for block in range(1, blocks + 1):
            start = self._pos(block, 0)
            for p, slot in enumerate(canvas[start:start + P]):
                a = slot[WADDR]
                if a == NO_WRITE:
                    continue
                rank = (block, write_rank(self.variant, p, P))
                old = best.get(a)
                if old is None or prefer(rank, old[0]):
                    best[a] = (rank, slot[WVAL])
        return {a: v for a, (_, v) in best.items()}

    @staticmethod
    def _keep_masked(canvas: Canvas, fills: dict[int, Slot]) -> frozenset[int]:
        return frozenset(mask_positions(canvas)).difference(fills)

    # -- decoding --------------------------------------------------------------------------------

    def decode(self, final: Canvas) -> tuple[int, ...]:
        """The PRAM output: the m tokens of the output block, and nothing else of the canvas.
        f fills that block only once every processor has halted, so a masked output position
        means the run ended before the PRAM did (the time bound was too small)."""
        self._check_shape(final)
        block = final[self.output_start:self.context]
        if any(tok is MASK for tok in block):
            q = next(q for q, tok in enumerate(block) if tok is MASK)
            raise ConstructionError(
                f"{CONSTRUCTION}: output position {self.output_start + q} is masked: the run "
                f"ended before every processor halted (time bound T = {self.time_bound} too "
                f"small for {self.program.name} at n = {self.n}?)")
        bad = next((tok for tok in block if isinstance(tok, bool) or not isinstance(tok, int)),
                   None)
        if bad is not None:
            raise ConstructionError(f"{CONSTRUCTION}: output block holds a non-int token {bad!r}")
        return tuple(block)

    def vocabulary(self) -> dict:
        return {"size": 0, "kind": "wide", "input": "int",
                "slot": slot_fields(self.program.num_registers),
                "note": "slot tokens are tuples of ints; the set is open (O(log n)-bit fields)"}

    def parameters(self) -> dict:
        return {"program": self.program.name, "n": self.n, "processors": self.processors,
                "time_bound": self.time_bound, "variant": self.variant.value}

    # -- inspection ------------------------------------------------------------------------------

    def token_schema(self) -> dict:
        """What each token means, for trace viewers (written into the trace header)."""
        R = self.program.num_registers
        return pram_schema(CONSTRUCTION, self.program,
                           f"x_0..x_{{n-1}} | block 1: P slots | ... | block T: P slots | "
                           f"output: m cells (n = {self.n}, P = {self.processors}, "
                           f"T = {self.time_bound}, m = {self.output_length})",
                           [slot_kind(R), int_kind("input", "input value x_i (memory cell i "
                                                   "at time 0); in the output block: the "
                                                   "final value of output cell q")])

    def decode_state(self, canvas: Canvas) -> dict:
        """The PRAM state a (possibly partial) canvas encodes: the step t of the last complete
        block, the memory after it (the lookup :meth:`next_step` uses), each processor's
        state and the writes of step t (which won)."""
        self._check_shape(canvas)
        P = self.processors
        try:
            done = min((canvas.index(MASK, self.n) - self.n) // P, self.time_bound)
        except ValueError:
            done = self.time_bound
        states = self._block_states(canvas, done)
        memory = self._memory(canvas, done)
        start, length = self.program.output_region(self.n)
        size = max([self.n, start + length] + [a + 1 for a in memory])
        return {"pram_step": done,
                "memory": [memory.get(a, 0) for a in range(size)],
                "writes": write_rows(states, self.variant, P) if done else [],
                "processors": [processor_row(s, self.program) for s in states]}


def compile_mdm(program: Program, n: int, time_bound: int,
                variant: Variant = Variant.CRCW_PRIORITY) -> PramToMDM:
    """Compile ``program`` for inputs of length ``n`` into the Theorem-1 MDM construction."""
    return PramToMDM(program, n, time_bound, variant)

"""Contrast for Theorems 1 and 4: a PRAM program as an ARM chain of thought, one slot per step.

**Construction [decision].** The prompt is the input followed by a separator ``"SEP"``; the ARM
then writes the processor slots of Theorem 1's layout one at a time, in the same order
(block 1: processors 0..P-1, block 2, ...). After the block in which every processor has
halted it *copies the answer out*: one token per output cell (``L`` cells), then ``"EOS"``::

    x_0 ... x_{n-1} SEP | s(1,0) ... s(1,P-1) | s(2,0) ... | ... | s(T,P-1) | y_0 ... y_{L-1} EOS

The next-step function computes the record at index k after the separator (t = k // P + 1,
p = k mod P) from the record k - P (the same processor one step earlier) and the
rightmost-exact-match memory lookup over the input and blocks 1..t-1, exactly as in
:mod:`constructions.pram.mdm`, but it can write only one token per step.

**Copy-out [decision].** Slot tokens are tuples and copied-out cells are plain ints, so f
tells the phases apart from the canvas alone: once the records end in a whole block of halted
slots, the j-th token after them is ``y_j`` = the latest write to output address
``start + j`` (the same lookup, over every block; the input cell if nothing wrote it). So the
answer sits at designated positions, the ``L`` positions before EOS, and :meth:`decode`
reads only those. Steps = P·T + L + 1, context = n + 1 + P·T + L + 1 (the final canvas
includes EOS): both grow with the total work P·T, where the MDM needs T + 1 steps.
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
    initial_slot,
    int_kind,
    positive_int,
    pram_schema,
    processor_row,
    slot_fields,
    slot_kind,
    word_kind,
    write_rank,
    write_rows,
)
from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.pram import Program, Variant
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput, arm_prompt
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import MASK, Canvas
from apmdm.theory import theorem1 as th1

CONSTRUCTION = "pram-arm"
SEP = "SEP"
EOS = "EOS"


@dataclass(frozen=True)
class PramToARM:
    """The chain-of-thought ARM for one program and input length."""

    program: Program
    n: int
    variant: Variant = Variant.CRCW_PRIORITY
    processors: int = 0
    semantics: Semantics = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 0:
            raise InvalidArgumentError(f"input length must be a non-negative int, got {self.n!r}")
        p = self.processors or self.program.processor_count(self.n)
        object.__setattr__(self, "processors", positive_int("processors", p))
        object.__setattr__(self, "semantics", Semantics(self.program, p, self.n))

    @property
    def outputs(self) -> int:
        """L: the number of output cells, copied out after the last block."""
        return self.program.output_region(self.n)[1]

    def limits(self, resources: Resources) -> Limits:
        steps = self.processors * positive_int("time bound", resources.time) + self.outputs + 1
        return Limits(max_steps=steps, max_context=self.n + 2 + steps)

    def bound(self, resources: Resources) -> Bound:
        """The chain-of-thought contrast: steps <= P·T + L + 1, context <= n + P·T + L + 2."""
        return {"steps": th1.arm_steps_bound(resources.processors, resources.time,
                                             self.outputs),
                "context": th1.arm_context_bound(self.n, resources.processors,
                                                 resources.time, self.outputs)}

    def initial_canvas(self, inputs: Sequence[int]) -> Canvas:
        vals = check_inputs(inputs)
        if len(vals) != self.n:
            raise InvalidArgumentError(f"compiled for n = {self.n}, got {len(vals)} inputs")
        return arm_prompt(vals + (SEP,))

    def process(self) -> GenerationProcess:
        return GenerationProcess(Model.ARM, self.next_step, eos=EOS, name=CONSTRUCTION)

    def next_step(self, canvas: Canvas) -> StepOutput:
        """f: the record at the trailing slot, then the copied-out output cells, then EOS."""
        last = len(canvas) - 1
        if last < self.n + 1 or canvas[self.n] != SEP or canvas[last] is not MASK:
            raise ConstructionError(f"{CONSTRUCTION}: canvas is not 'input SEP records MASK'")
        records, copied = self._split(canvas[self.n + 1:last])
        k = len(records)
        P = self.processors
        t, p = k // P + 1, k % P
        if p == 0 and t > 1 and all(s[HALTED] for s in records[k - P:k]):
            return self._copy_out(canvas, records, len(copied), last)
        if copied:
            raise ConstructionError(f"{CONSTRUCTION}: output cells before the last block")
        prev = records[k - P] if k >= P else initial_slot(p, self.program.num_registers)
        sem = self.semantics
        addr = sem.load_address(prev)
        loaded = self._lookup(canvas, records[:(t - 1) * P], addr) if addr is not None else 0
        return StepOutput({last: sem.advance(prev, loaded, t)}, insert=frozenset((last,)))

    def _split(self, body: Sequence) -> tuple[Sequence[Slot], Sequence[int]]:
        """``body`` = slot records (tuples) then copied-out cells (ints); anything else raises."""
        k = next((i for i, s in enumerate(body) if not isinstance(s, tuple)), len(body))
        records, copied = body[:k], body[k:]
        if any(isinstance(v, bool) or not isinstance(v, int) for v in copied):
            raise ConstructionError(f"{CONSTRUCTION}: canvas is not 'input SEP records "
                                    "outputs MASK'")
        return records, copied

    def _copy_out(self, canvas: Canvas, records: Sequence[Slot], j: int,
                  last: int) -> StepOutput:
        """Copy-out step j: output cell j (latest write, over every block), or EOS."""
        start, length = self.program.output_region(self.n)
        if j >= length:
            return StepOutput({last: EOS})
        return StepOutput({last: self._lookup(canvas, records, start + j)},
                          insert=frozenset((last,)))

    def _lookup(self, canvas: Canvas, visible: Sequence[Slot], addr: int) -> int:
        """Latest write to ``addr``: scan records from the right; inside a block, by rank."""
        P = self.processors
        for block_end in range(len(visible), 0, -P):
            block = visible[block_end - P:block_end]
            hits = [(write_rank(self.variant, q, P), s[WVAL]) for q, s in enumerate(block)
                    if s[WADDR] == addr and s[WADDR] != NO_WRITE]
            if hits:
                return max(hits)[1]
        return canvas[addr] if addr < self.n else 0

    def decode(self, final: Canvas) -> tuple[int, ...]:
        """The L copied-out cells: the positions just before EOS, and nothing else."""
        if not final or final[-1] != EOS:
            raise ConstructionError(f"{CONSTRUCTION}: the final canvas does not end with EOS")
        L = self.outputs
        if len(final) < self.n + 2 + L:
            raise ConstructionError(f"{CONSTRUCTION}: the final canvas has no {L} output cells")
        cells = final[len(final) - 1 - L:-1]
        if any(isinstance(v, bool) or not isinstance(v, int) for v in cells):
            raise ConstructionError(f"{CONSTRUCTION}: the {L} positions before EOS are not "
                                    "copied-out output cells")
        return tuple(cells)

    def vocabulary(self) -> dict:
        return {"size": 0, "kind": "wide", "input": "int", "special": [SEP, EOS],
                "slot": slot_fields(self.program.num_registers),
                "note": "slot tokens are tuples of ints; the set is open (O(log n)-bit fields)"}

    def parameters(self) -> dict:
        return {"program": self.program.name, "n": self.n, "processors": self.processors,
                "variant": self.variant.value}

    # -- inspection ------------------------------------------------------------------------------

    def token_schema(self) -> dict:
        """What each token means, for trace viewers (written into the trace header)."""
        R = self.program.num_registers
        return pram_schema(CONSTRUCTION, self.program,
                           f"x_0..x_{{n-1}} SEP | slots of block 1 | block 2 | ... | "
                           f"y_0..y_{{L-1}} EOS "
                           f"(n = {self.n}, P = {self.processors})",
                           [slot_kind(R),
                            int_kind("input", "input value x_i, or after the last block "
                                     "the copied-out output cell y_j"),
                            word_kind("separator", SEP, "end of the input"),
                            word_kind("end", EOS, "every processor has halted")])

    def decode_state(self, canvas: Canvas) -> dict:
        """The PRAM state a canvas encodes: the last complete block t, memory after it (the
        lookup :meth:`next_step` uses), each processor's latest slot and the writes of step
        t."""
        body = canvas[self.n + 1:]
        records = [s for s in body if isinstance(s, tuple)]
        P = self.processors
        done = len(records) // P
        visible = records[:done * P]
        R = self.program.num_registers
        latest = [initial_slot(p, R) for p in range(P)]
        for k, s in enumerate(records):
            latest[k % P] = s
        # memory after block `done`: one pass with _lookup's rule (a later block wins; inside
        # a block the highest write_rank), O(records) instead of one scan per address
        memory = dict(enumerate(canvas[:self.n]))
        for b in range(done):
            block = visible[b * P:(b + 1) * P]
            best: dict[int, tuple[int, int]] = {}
            for q, s in enumerate(block):
                if s[WADDR] != NO_WRITE:
                    best[s[WADDR]] = max(best.get(s[WADDR], (-1, 0)),
                                         (write_rank(self.variant, q, P), s[WVAL]))
            memory.update((a, v) for a, (_, v) in best.items())
        start, length = self.program.output_region(self.n)
        size = max([self.n, start + length] + [a + 1 for a in memory])
        return {"pram_step": done,
                "memory": [memory.get(a, 0) for a in range(size)],
                "writes": write_rows(visible[-P:], self.variant, P) if done else [],
                "processors": [processor_row(s, self.program) for s in latest]}


def compile_arm(program: Program, n: int,
                variant: Variant = Variant.CRCW_PRIORITY) -> PramToARM:
    return PramToARM(program, n, variant)

"""Shared pieces of the PRAM compilers: the processor-slot token and one instruction's semantics.

**Slot token [decision].** Every construction that simulates a PRAM (Theorem 1's MDM, Theorem
4's AP-MDM, the chain-of-thought ARM) writes the state of one processor after one parallel step
as a single *wide token*, a tuple of ints::

    (t, pid, pc, halted, waddr, wval, r0, ..., r{R-1})

``t`` is the PRAM step that produced the slot (0 for the implicit initial state), ``pid`` the
processor, ``pc`` the next instruction, ``halted`` 0/1, ``(waddr, wval)`` the write this step
performed (``waddr = -1``: no write) and ``r*`` the registers after the step. The ints are
O(log n)-bit for the programs we run, which is the paper's "wide token" convention.

**Instruction semantics.** :func:`execute` is a pure position-wise map ``(slot, loaded value) ->
next slot``; :func:`load_address` says which address a slot's next instruction reads. Both
reproduce :class:`machines.pram.PRAM` exactly (same ALU via :func:`machines.pram.alu`, same
address and value limits, same errors), so a construction's output can be compared with the
interpreter's bit for bit.

**Concurrent writes.** :func:`write_rank` orders the writes of one step: Priority-CRCW (and
every variant whose legal programs never write one address twice with different values) lets
the highest processor id win; our CRCW-arbitrary rule (the interpreter's) lets the lowest win.
A memory read is then "the write to that address with the largest (time, rank)", which is the
rightmost-exact-match lookup of the paper-notes layout.
"""

from __future__ import annotations

from collections.abc import Sequence

from apmdm.machines.errors import InvalidArgumentError, PRAMRuntimeError, SizeLimitExceeded
from apmdm.machines.pram import PRAMLimits, Program, Variant, alu
from apmdm.machines.pram.isa import BINARY_OPS, Op

HEADER = 6           # t, pid, pc, halted, waddr, wval
T_, PID, PC, HALTED, WADDR, WVAL = range(HEADER)
NO_WRITE = -1
DEFAULT_LIMITS = PRAMLimits()   # the interpreter's defaults, reproduced exactly

Slot = tuple  # tuple[int, ...] of length HEADER + num_registers


def slot_fields(num_registers: int) -> list[str]:
    """Names of a slot token's fields, for docs and trace vocabularies."""
    return ["t", "pid", "pc", "halted", "waddr", "wval"] + [f"r{i}" for i in range(num_registers)]


def initial_slot(pid: int, num_registers: int) -> Slot:
    """Processor ``pid`` before step 1: pc 0, registers 0, no write, running."""
    return (0, pid, 0, 0, NO_WRITE, 0) + (0,) * num_registers


def halted_copy(slot: Slot, t: int) -> Slot:
    """The slot of a halted processor at step ``t``: same registers, no write."""
    return (t, slot[PID], slot[PC], 1, NO_WRITE, 0) + tuple(slot[HEADER:])


def is_slot(token: object, num_registers: int) -> bool:
    return (isinstance(token, tuple) and len(token) == HEADER + num_registers
            and all(isinstance(v, int) and not isinstance(v, bool) for v in token))


def write_rank(variant: Variant, pid: int, processors: int) -> int:
    """Rank of processor ``pid``'s write among the writes of one step (larger wins)."""
    if variant is Variant.CRCW_ARBITRARY:
        return processors - 1 - pid   # the interpreter's arbitrary rule: lowest id wins
    return pid                        # Priority-CRCW: highest id wins (also EREW/CREW/common)


class Semantics:
    """One PRAM program's instruction semantics, frozen at compile time.

    ``processors`` and ``n`` are the values ``nproc`` and ``nin`` return. Pure: no state
    changes after construction; :meth:`execute` depends only on its arguments.
    """

    __slots__ = ("program", "code", "end", "processors", "n", "limits", "registers")

    def __init__(self, program: Program, processors: int, n: int,
                 limits: PRAMLimits = DEFAULT_LIMITS):
        if processors < 1 or n < 0:
            raise InvalidArgumentError(f"need processors >= 1 and n >= 0, got {processors}, {n}")
        self.program = program
        self.code = tuple((ins.op, ins.args) for ins in program.instructions)
        self.end = len(self.code)
        self.processors = processors
        self.n = n
        self.limits = limits
        self.registers = program.num_registers

    def load_address(self, slot: Slot) -> int | None:
        """The address the slot's next instruction reads, or None (no read / halted)."""
        if slot[HALTED]:
            return None
        op, a = self.code[slot[PC]]
        if op is not Op.LOAD:
            return None
        return self._address(slot[HEADER + a[1]] + a[2], slot)

    def execute(self, slot: Slot, loaded: int, t: int) -> Slot:
        """The slot after step ``t`` of a running processor; ``loaded`` = M[load_address]."""
        pc = slot[PC]
        op, a = self.code[pc]
        regs = list(slot[HEADER:])
        nxt = pc + 1
        waddr, wval = NO_WRITE, 0
        if op is Op.HALT:
            nxt = self.end
        elif op is Op.LOAD:
            regs[a[0]] = loaded
        elif op is Op.STORE:
            waddr = self._address(regs[a[0]] + a[1], slot)
            wval = regs[a[2]]
        elif op is Op.CONST:
            regs[a[0]] = a[1]
        elif op is Op.MOV:
            regs[a[0]] = regs[a[1]]
        elif op is Op.ADDI:
            regs[a[0]] = self._value(regs[a[1]] + a[2], slot)
        elif op is Op.PID:
            regs[a[0]] = slot[PID]
        elif op is Op.NPROC:
            regs[a[0]] = self.processors
        elif op is Op.NIN:
            regs[a[0]] = self.n
        elif op is Op.JMP:
            nxt = a[0]
        elif op is Op.JZ:
            nxt = a[1] if regs[a[0]] == 0 else nxt
        elif op is Op.JNZ:
            nxt = a[1] if regs[a[0]] != 0 else nxt
        elif op in BINARY_OPS:
            try:
                v = alu(op, regs[a[1]], regs[a[2]])
            except PRAMRuntimeError as exc:
                raise PRAMRuntimeError(f"{self._where(slot)}: {exc}") from None
            regs[a[0]] = self._value(v, slot)
        else:  # pragma: no cover - Program validation admits only the ops above
            raise PRAMRuntimeError(f"{self._where(slot)}: unknown op {op}")
        halted = 1 if nxt >= self.end else 0
        return (t, slot[PID], nxt, halted, waddr, wval) + tuple(regs)

    def advance(self, slot: Slot, loaded: int, t: int) -> Slot:
        """Step ``t`` for any processor: halted ones are copied (with their write cleared)."""
        return halted_copy(slot, t) if slot[HALTED] else self.execute(slot, loaded, t)

    # -- the interpreter's limits, reproduced ------------------------------------------------

    def _where(self, slot: Slot) -> str:
        return (f"{self.program.name}: step {slot[T_] + 1}, processor {slot[PID]}, "
                f"instruction {slot[PC]}")

    def _address(self, addr: int, slot: Slot) -> int:
        if addr < 0 or addr > self.limits.max_address:
            raise PRAMRuntimeError(
                f"{self._where(slot)}: address {addr} outside 0..{self.limits.max_address}")
        return addr

    def _value(self, v: int, slot: Slot) -> int:
        if abs(v) > self.limits.max_abs_value:
            raise SizeLimitExceeded(f"{self._where(slot)}: value {v} exceeds the value limit "
                                    f"{self.limits.max_abs_value}")
        return v


def check_inputs(inputs: Sequence[int], limits: PRAMLimits = DEFAULT_LIMITS) -> tuple[int, ...]:
    """The input as a tuple of ints, validated like the interpreter validates it."""
    vals = tuple(inputs)
    for i, v in enumerate(vals):
        if isinstance(v, bool) or not isinstance(v, int):
            raise InvalidArgumentError(f"input[{i}] = {v!r} is not an integer")
        if abs(v) > limits.max_abs_value:
            raise SizeLimitExceeded(f"input[{i}] = {v} exceeds the value limit")
    return vals


def positive_int(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidArgumentError(f"{name} must be a positive integer, got {value!r}")
    return value


# -- token schema and decoded state (for trace viewers) ----------------------------------------

SLOT_MEANINGS = {
    "t": "PRAM step that produced this slot (0: the initial state)",
    "pid": "processor id",
    "pc": "index of the processor's next instruction",
    "halted": "1 once the processor has halted",
    "waddr": "memory address written at step t (-1: no write)",
    "wval": "value written at step t",
}


def slot_kind(num_registers: int) -> dict:
    """The schema entry of a slot token: its named fields and their meaning."""
    fields = [[name, SLOT_MEANINGS.get(name, f"register {name} after step t")]
              for name in slot_fields(num_registers)]
    return {"name": "slot", "match": {"type": "list", "length": HEADER + num_registers},
            "fields": fields, "instruction": "pc"}


def int_kind(name: str, meaning: str) -> dict:
    return {"name": name, "match": {"type": "int"}, "fields": [["value", meaning]]}


def word_kind(name: str, word: str, meaning: str) -> dict:
    return {"name": name, "match": {"type": "str", "values": [word]}, "fields": [["word", meaning]]}


def program_listing(program: Program) -> list[str]:
    """The text of each instruction, indexed by pc (for slot tokens' ``instruction``)."""
    return [str(ins) for ins in program.instructions]


def pram_schema(construction: str, program: Program, layout: str, kinds: list[dict]) -> dict:
    """A PRAM construction's token schema: token kinds, the canvas layout, the listing."""
    return {"construction": construction, "layout": layout, "kinds": kinds,
            "listing": program_listing(program), "program": program.name}


def processor_row(slot: Slot, program: Program) -> dict:
    """One processor's decoded state: pc, instruction text, halted, registers."""
    pc = slot[PC]
    text = str(program.instructions[pc]) if 0 <= pc < len(program.instructions) else "(end)"
    row = {"pid": slot[PID], "pc": pc, "next_instruction": "halted" if slot[HALTED] else text,
           "halted": slot[HALTED]}
    row.update((f"r{i}", v) for i, v in enumerate(slot[HEADER:]))
    return row


def write_rows(slots: Sequence[Slot], variant: Variant, processors: int) -> list[dict]:
    """The writes among ``slots`` (one PRAM step): address, value, writer, and whether it won
    (the highest :func:`write_rank` among the writers of that address)."""
    writes = [s for s in slots if s[WADDR] != NO_WRITE]
    best: dict[int, int] = {}
    for s in writes:
        r = write_rank(variant, s[PID], processors)
        best[s[WADDR]] = max(best.get(s[WADDR], r), r)
    return [{"addr": s[WADDR], "value": s[WVAL], "pid": s[PID],
             "won": int(write_rank(variant, s[PID], processors) == best[s[WADDR]])}
            for s in sorted(writes, key=lambda s: (s[WADDR], s[PID]))]

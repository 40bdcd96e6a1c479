"""The PRAM's data: variants, limits, per-step access records, counters, results and the ALU.

Shared by the two run engines, the scalar reference loop (:mod:`.interpreter`) and the
vectorised one (:mod:`.vector`), so that neither imports the other's module at load time and
the two report identical results, counters and errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from apmdm.machines.errors import InvalidArgumentError, PRAMRuntimeError
from apmdm.machines.pram.isa import Op


class Variant(str, Enum):
    EREW = "erew"
    CREW = "crew"
    CRCW_COMMON = "crcw-common"
    CRCW_ARBITRARY = "crcw-arbitrary"
    CRCW_PRIORITY = "crcw-priority"

    @classmethod
    def parse(cls, text: str) -> Variant:
        try:
            return cls(text.lower())
        except ValueError:
            names = ", ".join(v.value for v in cls)
            raise InvalidArgumentError(
                f"unknown PRAM variant {text!r} (choose from {names})"
            ) from None


MAX_REGISTER_CELLS = 1 << 26  # processors x registers, checked before the registers exist


@dataclass(frozen=True)
class PRAMLimits:
    """Bounds on every run: steps, processors, addresses and the magnitude of values."""

    max_steps: int = 100_000
    max_processors: int = 1 << 20
    max_address: int = 1 << 22
    max_abs_value: int = (1 << 31) - 1
    max_work: int = 2_000_000   # processor-steps: seconds of the scalar interpreter


@dataclass(frozen=True)
class Access:
    processor: int
    instruction: int
    kind: str  # "R" or "W"
    address: int
    value: int  # value read, or value the processor tried to write


@dataclass(frozen=True)
class PRAMStep:
    """One synchronous step, as yielded by :meth:`PRAM.run_stepwise`."""

    step: int  # 1-based
    active: int  # processors that executed an instruction
    accesses: tuple[Access, ...]  # the access log, in processor order
    writes: tuple[tuple[int, int], ...]  # (address, value) actually applied, sorted


@dataclass(frozen=True)
class PRAMCounters:
    time: int
    processors: int
    work: int
    memory_span: int
    cells_touched: int


@dataclass
class ScalarState:
    """The mutable state of a run at the start of a step (internal to the run loops)."""

    regs: list[list[int]]
    pcs: list[int]
    active: list[int]
    memory: dict[int, int]
    touched: set[int]
    span: int
    work: int
    step: int


@dataclass(frozen=True)
class PRAMResult:
    program: str
    variant: Variant
    n: int
    output: tuple[int, ...]
    memory: tuple[tuple[int, int], ...]  # every nonzero cell, sorted by address
    counters: PRAMCounters

    def memory_dict(self) -> dict[int, int]:
        return dict(self.memory)


_ALU = {
    Op.ADD: lambda a, b: a + b,
    Op.SUB: lambda a, b: a - b,
    Op.MUL: lambda a, b: a * b,
    Op.AND: lambda a, b: a & b,
    Op.OR: lambda a, b: a | b,
    Op.XOR: lambda a, b: a ^ b,
    Op.MIN: min,
    Op.MAX: max,
    Op.LT: lambda a, b: int(a < b),
    Op.LE: lambda a, b: int(a <= b),
    Op.EQ: lambda a, b: int(a == b),
    Op.NE: lambda a, b: int(a != b),
}


def alu(op: Op, a: int, b: int) -> int:
    """The value of a binary operation; raises PRAMRuntimeError on /0 or a bad shift.

    Exposed so constructions compute exactly what the interpreter computes.
    """
    if op in _ALU:
        return _ALU[op](a, b)
    if op in (Op.DIV, Op.MOD):
        if b == 0:
            raise PRAMRuntimeError(f"{op.value} by zero")
        return a // b if op is Op.DIV else a % b
    if op in (Op.SHL, Op.SHR):
        if not 0 <= b <= 62:
            raise PRAMRuntimeError(f"{op.value} by {b}: shift amount outside 0..62")
        return a << b if op is Op.SHL else a >> b
    raise PRAMRuntimeError(f"not a binary operation: {op}")  # pragma: no cover

"""The PRAM instruction set: programs are data, not Python closures.

A program is a constant-size tuple of :class:`Instr` over a fixed number of private
registers ``r0 .. r{R-1}`` per processor, plus a shared memory of integer cells
(addresses >= 0, every cell initially 0, the input at addresses ``0 .. n-1``).

======================  ===============================================================
instruction             meaning (``R`` = this processor's registers, ``M`` = shared memory)
======================  ===============================================================
``const rd, imm``       ``R[rd] = imm``
``mov rd, rs``          ``R[rd] = R[rs]``
``pid rd``              ``R[rd] = processor id`` (0-based)
``nproc rd``            ``R[rd] = number of processors``
``nin rd``              ``R[rd] = input length n``
``OP rd, ra, rb``       ``R[rd] = R[ra] OP R[rb]`` for OP in add sub mul div mod and or xor
                        shl shr min max lt le eq ne (comparisons give 0/1; div/mod floor)
``addi rd, ra, imm``    ``R[rd] = R[ra] + imm``
``load rd, ra, imm``    ``R[rd] = M[R[ra] + imm]``  (assembly: ``load rd, [ra + imm]``)
``store ra, imm, rs``   ``M[R[ra] + imm] = R[rs]``  (assembly: ``store [ra + imm], rs``)
``jmp L``               ``pc = L``
``jz rs, L``            ``pc = L if R[rs] == 0``
``jnz rs, L``           ``pc = L if R[rs] != 0``
``halt``                this processor stops
======================  ===============================================================

Every instruction takes one parallel step; a processor does at most one memory access per
step. Running past the last instruction halts the processor (an implicit ``halt``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from apmdm.machines.errors import InvalidProgramError
from apmdm.machines.pram.expr import SizeExpr, parse_size_expr


class Op(str, Enum):
    CONST = "const"
    MOV = "mov"
    PID = "pid"
    NPROC = "nproc"
    NIN = "nin"
    ADD = "add"
    SUB = "sub"
    MUL = "mul"
    DIV = "div"
    MOD = "mod"
    AND = "and"
    OR = "or"
    XOR = "xor"
    SHL = "shl"
    SHR = "shr"
    MIN = "min"
    MAX = "max"
    LT = "lt"
    LE = "le"
    EQ = "eq"
    NE = "ne"
    ADDI = "addi"
    LOAD = "load"
    STORE = "store"
    JMP = "jmp"
    JZ = "jz"
    JNZ = "jnz"
    HALT = "halt"


BINARY_OPS = frozenset(
    {
        Op.ADD,
        Op.SUB,
        Op.MUL,
        Op.DIV,
        Op.MOD,
        Op.AND,
        Op.OR,
        Op.XOR,
        Op.SHL,
        Op.SHR,
        Op.MIN,
        Op.MAX,
        Op.LT,
        Op.LE,
        Op.EQ,
        Op.NE,
    }
)

# Operand kinds per opcode: "r" register, "i" immediate integer, "l" jump target (index).
OPERANDS: dict[Op, str] = {
    Op.CONST: "ri",
    Op.MOV: "rr",
    Op.PID: "r",
    Op.NPROC: "r",
    Op.NIN: "r",
    **{op: "rrr" for op in BINARY_OPS},
    Op.ADDI: "rri",
    Op.LOAD: "rri",
    Op.STORE: "rir",
    Op.JMP: "l",
    Op.JZ: "rl",
    Op.JNZ: "rl",
    Op.HALT: "",
}

MAX_REGISTERS = 64
MAX_INSTRUCTIONS = 4096
MAX_IMMEDIATE = 2**40


@dataclass(frozen=True)
class Instr:
    op: Op
    args: tuple[int, ...] = ()

    def __str__(self) -> str:
        kinds = OPERANDS[self.op]
        parts = [
            f"r{a}" if k == "r" else (f"@{a}" if k == "l" else str(a))
            for k, a in zip(kinds, self.args, strict=True)
        ]
        if self.op is Op.LOAD:
            return f"load r{self.args[0]}, [r{self.args[1]} + {self.args[2]}]"
        if self.op is Op.STORE:
            return f"store [r{self.args[0]} + {self.args[1]}], r{self.args[2]}"
        return self.op.value + (" " + ", ".join(parts) if parts else "")


@dataclass(frozen=True)
class Program:
    """An immutable, validated PRAM program with its size declarations.

    ``processors`` and the output region (``output_start``, ``output_length``) are size
    expressions in the input length ``n`` (see :mod:`machines.pram.expr`).
    """

    instructions: tuple[Instr, ...]
    num_registers: int = 8
    name: str = "program"
    processors: SizeExpr = field(default_factory=lambda: parse_size_expr(1))
    output_start: SizeExpr = field(default_factory=lambda: parse_size_expr(0))
    output_length: SizeExpr = field(default_factory=lambda: parse_size_expr("n"))
    labels: tuple[tuple[str, int], ...] = ()  # optional, for display only

    def __post_init__(self) -> None:
        self._validate_sizes()
        for index, ins in enumerate(self.instructions):
            self._validate_instruction(index, ins)

    def _validate_sizes(self) -> None:
        if not isinstance(self.instructions, tuple):
            raise InvalidProgramError("Program.instructions must be a tuple of Instr")
        if not 1 <= len(self.instructions) <= MAX_INSTRUCTIONS:
            raise InvalidProgramError(
                f"a program has 1..{MAX_INSTRUCTIONS} instructions, got {len(self.instructions)}"
            )
        if (
            isinstance(self.num_registers, bool)
            or not isinstance(self.num_registers, int)
            or not 1 <= self.num_registers <= MAX_REGISTERS
        ):
            raise InvalidProgramError(f"num_registers must be 1..{MAX_REGISTERS}")
        for name in ("processors", "output_start", "output_length"):
            if not isinstance(getattr(self, name), SizeExpr):
                raise InvalidProgramError(f"Program.{name} must be a SizeExpr")

    def _validate_instruction(self, index: int, ins: Instr) -> None:
        where = f"{self.name}: instruction {index}"
        if not isinstance(ins, Instr) or not isinstance(ins.op, Op):
            raise InvalidProgramError(f"{where}: not an Instr: {ins!r}")
        kinds = OPERANDS[ins.op]
        if len(ins.args) != len(kinds):
            raise InvalidProgramError(
                f"{where}: {ins.op.value} takes {len(kinds)} operand(s), got {len(ins.args)}"
            )
        for pos, (kind, arg) in enumerate(zip(kinds, ins.args, strict=True)):
            if isinstance(arg, bool) or not isinstance(arg, int):
                raise InvalidProgramError(f"{where}: operand {pos + 1} must be an int, got {arg!r}")
            if kind == "r" and not 0 <= arg < self.num_registers:
                raise InvalidProgramError(
                    f"{where}: register r{arg} outside r0..r{self.num_registers - 1}"
                )
            if kind == "l" and not 0 <= arg <= len(self.instructions):
                raise InvalidProgramError(f"{where}: jump target {arg} outside the program")
            if kind == "i" and abs(arg) > MAX_IMMEDIATE:
                raise InvalidProgramError(f"{where}: immediate {arg} exceeds 2^40 in magnitude")

    def processor_count(self, n: int) -> int:
        p = self.processors.evaluate(n)
        if p < 1:
            raise InvalidProgramError(f"{self.name}: processors({n}) = {p} < 1")
        return p

    def output_region(self, n: int) -> tuple[int, int]:
        start, length = self.output_start.evaluate(n), self.output_length.evaluate(n)
        if start < 0 or length < 0:
            raise InvalidProgramError(f"{self.name}: output region ({start}, {length}) at n={n}")
        return start, length

    def listing(self) -> str:
        """A human-readable listing with instruction indices and labels."""
        at = {}
        for label, idx in self.labels:
            at.setdefault(idx, []).append(label)
        lines = []
        for i, ins in enumerate(self.instructions):
            for label in at.get(i, []):
                lines.append(f"{label}:")
            lines.append(f"  {i:3d}  {ins}")
        return "\n".join(lines)


class ProgramBuilder:
    """Write a program in Python: one method per opcode, labels by name.

    >>> b = ProgramBuilder("double", processors="n")
    >>> b.pid(0).load(1, 0, 0).add(1, 1, 1).store(0, 0, 1).halt()  # doctest: +ELLIPSIS
    <...>
    >>> prog = b.build()
    """

    def __init__(
        self, name: str, processors: str | int = 1, output: tuple = (0, "n"), registers: int = 8
    ):
        self.name = name
        self.processors = processors
        self.output = output
        self.registers = registers
        self._items: list[tuple[Op, tuple]] = []
        self._labels: dict[str, int] = {}

    def label(self, name: str) -> ProgramBuilder:
        if name in self._labels:
            raise InvalidProgramError(f"{self.name}: label {name!r} defined twice")
        self._labels[name] = len(self._items)
        return self

    def emit(self, op: Op, *args: int | str) -> ProgramBuilder:
        self._items.append((op, args))
        return self

    def build(self) -> Program:
        instrs = []
        for index, (op, args) in enumerate(self._items):
            resolved = []
            for kind, arg in zip(OPERANDS[op], args, strict=False):
                if kind == "l" and isinstance(arg, str):
                    if arg not in self._labels:
                        raise InvalidProgramError(
                            f"{self.name}: instruction {index}: undefined label {arg!r}"
                        )
                    resolved.append(self._labels[arg])
                else:
                    resolved.append(arg)
            instrs.append(Instr(op, tuple(resolved)))
        return Program(
            tuple(instrs),
            self.registers,
            self.name,
            parse_size_expr(self.processors),
            parse_size_expr(self.output[0]),
            parse_size_expr(self.output[1]),
            tuple(sorted(self._labels.items(), key=lambda kv: kv[1])),
        )


def _make_emitter(op: Op):
    def method(self: ProgramBuilder, *args: int | str) -> ProgramBuilder:
        return self.emit(op, *args)

    method.__name__ = op.value
    method.__doc__ = f"Emit ``{op.value}`` with operands {OPERANDS[op] or 'none'}."
    return method


for _op in Op:
    setattr(
        ProgramBuilder,
        _op.value if _op.value not in ("and", "or") else _op.value + "_",
        _make_emitter(_op),
    )

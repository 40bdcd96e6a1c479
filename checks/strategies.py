"""Hypothesis strategies for random *valid, halting* PRAM programs and their inputs.

Exported for users' own tests::

    from hypothesis import given
    from apmdm.checks.strategies import pram_instances

    @given(pram_instances())
    def test_my_compiler(inst):
        ...  # inst.program, inst.inputs, inst.variant, inst.result (the interpreter's run)

**How validity and halting are guaranteed.** Programs use 8 registers with fixed roles:
r0..r4 general, r5 the address register, r6 a constant address mask ``2^k - 1`` (set by the
first instruction and never written again), r7 a loop counter. Every memory access is
``and r5, rX, r6`` followed by ``load``/``store`` at ``[r5 + imm]`` with ``0 <= imm <= 3``, so
addresses lie in ``0 .. 2^k + 2`` (indirect addressing, never negative). Divisors are made
non-zero (``and r5, rb, r6; addi r5, r5, 1``). Control flow is forward jumps (``jz``, ``jnz``,
``jmp``) to a later point of the same block, plus counted loops (``const r7, k`` ... ``addi r7,
r7, -1; jnz r7, loop``, k ≤ 3, bodies never write r7 and contain no loops), so every run
halts within a bound known from the program text. Several processors (1..4) run the same code;
addresses that do not depend on ``pid`` produce concurrent reads and writes. The strategy runs
the interpreter once and rejects (``assume``) the rare program whose values overflow; a drawn
access variant whose rules the run breaks is replaced by Priority-CRCW.

The output region is the whole addressable memory, so comparisons see every cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import assume
from hypothesis import strategies as st

from apmdm.machines.errors import AccessConflictError, PRAMRuntimeError, SizeLimitExceeded
from apmdm.machines.pram import PRAM, PRAMLimits, PRAMResult, Program, ProgramBuilder, Variant

GENERAL = 5          # r0..r4
ADDR, MASKREG, LOOP = 5, 6, 7
SAFE_OPS = ("add", "sub", "and_", "or_", "xor", "min", "max", "lt", "le", "eq", "ne", "mul")
RANDOM_LIMITS = PRAMLimits(max_steps=2_000)


@dataclass(frozen=True)
class PramInstance:
    """A random program, an input, the access variant and the interpreter's result."""

    program: Program
    inputs: tuple[int, ...]
    variant: Variant
    result: PRAMResult

    @property
    def time(self) -> int:
        return self.result.counters.time

    @property
    def memory_span(self) -> int:
        return self.result.counters.memory_span


class _Assembler:
    """Emits instructions into a ProgramBuilder with fresh labels."""

    def __init__(self, builder: ProgramBuilder):
        self.b = builder
        self.count = 0

    def fresh(self) -> str:
        self.count += 1
        return f"L{self.count}"


_reg = st.integers(0, GENERAL - 1)
_small = st.integers(-8, 8)


@st.composite
def _item(draw, asm: _Assembler) -> None:
    """One item of straight-line code (a few instructions); never writes r6 or r7."""
    b = asm.b
    kind = draw(st.sampled_from(
        ["alu", "alu", "const", "addi", "load", "load", "store", "store", "div", "shr", "pid",
         "sizes", "mov"]))
    if kind == "alu":
        op, rd = draw(st.sampled_from(SAFE_OPS)), draw(_reg)
        getattr(b, op)(rd, draw(_reg), draw(_reg))
        if op == "mul":  # keep products small: mask the result
            b.and_(rd, rd, MASKREG)
    elif kind == "const":
        b.const(draw(_reg), draw(_small))
    elif kind == "addi":
        b.addi(draw(_reg), draw(_reg), draw(_small))
    elif kind == "mov":
        b.mov(draw(_reg), draw(_reg))
    elif kind == "pid":
        b.pid(draw(_reg))
    elif kind == "sizes":
        getattr(b, draw(st.sampled_from(["nproc", "nin"])))(draw(_reg))
    elif kind in ("load", "store"):
        b.and_(ADDR, draw(_reg), MASKREG)
        imm = draw(st.integers(0, 3))
        if kind == "load":
            b.load(draw(_reg), ADDR, imm)
        else:
            b.store(ADDR, imm, draw(_reg))
    elif kind == "div":
        b.and_(ADDR, draw(_reg), MASKREG).addi(ADDR, ADDR, 1)
        getattr(b, draw(st.sampled_from(["div", "mod"])))(draw(_reg), draw(_reg), ADDR)
    elif kind == "shr":
        b.and_(ADDR, draw(_reg), MASKREG)
        b.shr(draw(_reg), draw(_reg), ADDR)


@st.composite
def _block(draw, asm: _Assembler, depth: int, size: int) -> None:
    """``size`` items with forward branches to later item boundaries of this block."""
    b = asm.b
    labels = [asm.fresh() for _ in range(size + 1)]
    pending: dict[int, list[str]] = {}
    for i in range(size):
        for lab in pending.pop(i, []):
            b.label(lab)
        choice = draw(st.integers(0, 9))
        if choice <= 1:                                     # forward branch
            target = draw(st.integers(i + 1, size))
            lab = labels[target] + f"_{i}"
            pending.setdefault(target, []).append(lab)
            how = draw(st.sampled_from(["jz", "jnz", "jmp"]))
            if how == "jmp":
                b.jmp(lab)
            else:
                getattr(b, how)(draw(_reg), lab)
        elif choice == 2 and depth == 0:                    # counted loop
            top = asm.fresh()
            b.const(LOOP, draw(st.integers(1, 3))).label(top)
            draw(_block(asm, depth + 1, draw(st.integers(1, 4))))
            b.addi(LOOP, LOOP, -1).jnz(LOOP, top)
        elif choice == 3 and depth == 0 and draw(st.booleans()):
            b.halt()                                        # an early halt
        else:
            draw(_item(asm))
    for lab in pending.pop(size, []):
        b.label(lab)


@st.composite
def pram_programs(draw, max_items: int = 10, max_processors: int = 4) -> Program:
    """A random valid, halting PRAM program (see the module docstring)."""
    k = draw(st.integers(2, 4))
    p = draw(st.integers(1, max_processors))
    span = (1 << k) + 3
    b = ProgramBuilder(f"random-k{k}-p{p}", processors=p, output=(0, span), registers=8)
    b.const(MASKREG, (1 << k) - 1)
    if draw(st.booleans()):
        b.pid(0)
    asm = _Assembler(b)
    draw(_block(asm, 0, draw(st.integers(1, max_items))))
    return b.build()


def pram_inputs(n: int, low: int = -20, high: int = 20) -> st.SearchStrategy[tuple[int, ...]]:
    """Inputs of length ``n`` with values in ``low .. high``."""
    return st.lists(st.integers(low, high), min_size=n, max_size=n).map(tuple)


@st.composite
def pram_instances(draw, max_items: int = 10, max_processors: int = 4,
                   max_n: int = 6) -> PramInstance:
    """A random program, a random input, a variant the run obeys, and the interpreter's result."""
    program = draw(pram_programs(max_items, max_processors))
    n = draw(st.integers(0, max_n))
    inputs = draw(pram_inputs(n))
    variant = draw(st.sampled_from(list(Variant)))
    try:
        result = PRAM(program, variant, RANDOM_LIMITS).run(inputs)
    except AccessConflictError:
        variant = Variant.CRCW_PRIORITY
        result = _run_or_reject(program, variant, inputs)
    except (PRAMRuntimeError, SizeLimitExceeded):
        assume(False)
        raise  # pragma: no cover - assume() raised already
    return PramInstance(program, inputs, variant, result)


def _run_or_reject(program: Program, variant: Variant, inputs: tuple[int, ...]) -> PRAMResult:
    try:
        return PRAM(program, variant, RANDOM_LIMITS).run(inputs)
    except (PRAMRuntimeError, SizeLimitExceeded):
        assume(False)
        raise  # pragma: no cover


@st.composite
def halt_after_store_programs(draw, max_processors: int = 4) -> Program:
    """A program where the highest-id processors store to a cell and halt at once, while the
    lower-id ones wait (a counted loop) and then store to the same cell: the later write of
    the lower id must win over the earlier write of a processor that has halted since. A
    commit that lets a halted processor's stale write compete with fresh ones gets it wrong."""
    p = draw(st.integers(2, max_processors))
    early = draw(st.integers(1, p - 1))                 # processors p - early .. p - 1 halt early
    cell = draw(st.integers(0, 3))
    delay = draw(st.integers(1, 3))
    b = ProgramBuilder(f"halt-after-store-p{p}-e{early}", processors=p, output=(0, 4),
                       registers=8)
    b.pid(0).const(1, cell).const(2, p - early).lt(3, 0, 2).jz(3, "early")
    b.const(LOOP, delay).label("wait").addi(LOOP, LOOP, -1).jnz(LOOP, "wait")
    b.addi(4, 0, 20 + draw(st.integers(0, 5))).store(1, 0, 4).halt()
    # early writers: the store is the last instruction, so the processor halts in the same
    # step (its final slot keeps the write record while the others run on)
    b.label("early").addi(4, 0, 10).store(1, 0, 4)
    return b.build()


@st.composite
def halt_after_store_instances(draw) -> PramInstance:
    """:func:`halt_after_store_programs` on an empty input (Priority-CRCW)."""
    program = draw(halt_after_store_programs())
    result = _run_or_reject(program, Variant.CRCW_PRIORITY, ())
    return PramInstance(program, (), Variant.CRCW_PRIORITY, result)


def mixed_pram_instances() -> st.SearchStrategy[PramInstance]:
    """:func:`pram_instances`, with one draw in eight from :func:`halt_after_store_instances`
    (the random rows of Theorems 1 and 4 use this mix)."""
    return st.one_of(*(pram_instances(),) * 7, halt_after_store_instances())

"""Building blocks for lock-step PRAM programs: a builder with balanced conditionals and
in-place macros (Hillis–Steele scan, tree reduction, bitonic sort).

Lock-step discipline. The library's parallel programs are written so that every processor
executes the *same number of instructions* between any two points of the program: loops have
trip counts that depend only on ``n`` (or on a value every processor reads from the same
cell), and every data-dependent branch is balanced by :meth:`Asm.when`, whose two paths take
the same number of steps. Because all processors stay in lock step, "phase k of round r"
happens at the same global step for every processor, so a value written in one phase is
seen by every read in a later phase without any barrier, and the parallel time ``T`` is
a closed formula in ``n`` (see :mod:`theory.pram_bounds`).

Step counts (a step = one instruction executed by every active processor), with
``L = clog2(len)``:

* ``when(c, body)`` with a straight-line body of k instructions: ``k + 2`` steps either way
  (taken: ``jz``, k body instructions, ``jmp``; skipped: ``jz``, k + 1 no-ops).
* :func:`scan`: ``6`` setup + ``12`` per round (+ ``pad``) for ``L`` rounds + ``2`` to exit.
* :func:`reduce`: ``1`` setup + ``16`` per round for ``L`` rounds + ``2`` to exit.
* :func:`bitonic_sort`: ``4`` setup + per stage ``6`` + ``16`` per inner round; stage s
  (1..L) has s inner rounds, so ``4 + 6L + 16·L(L+1)/2 + 2`` in all.
"""

from __future__ import annotations

from collections.abc import Callable

from apmdm.machines.errors import InvalidProgramError
from apmdm.machines.pram.isa import Op, Program, ProgramBuilder

_CONTROL = frozenset({Op.JMP, Op.JZ, Op.JNZ, Op.HALT})


class Asm(ProgramBuilder):
    """A :class:`ProgramBuilder` with fresh labels, register allocation and balanced ``when``.

    Register 0 always holds the processor id (the program's first instruction is ``pid r0``).
    """

    def __init__(self, name: str, processors: str | int, output: tuple, registers: int = 64):
        super().__init__(name, processors=processors, output=output, registers=registers)
        self._ops: list[Op] = []
        self._next_label = 0
        self._next_reg = 1
        self._high_water = 1
        self.PID = 0
        self.pid(self.PID)

    def emit(self, op: Op, *args: int | str) -> Asm:
        self._ops.append(op)
        super().emit(op, *args)
        return self

    def alloc(self, count: int) -> list[int]:
        """``count`` fresh registers (never reused)."""
        first = self._next_reg
        self._next_reg += count
        if self._next_reg > self.registers:
            raise InvalidProgramError(f"{self.name}: needs more than {self.registers} registers")
        self._high_water = max(self._high_water, self._next_reg)
        return list(range(first, first + count))

    def build(self) -> Program:
        """The program, declaring exactly as many registers as were allocated."""
        self.registers = self._high_water
        return super().build()

    def release(self, regs: list[int]) -> None:
        """Give back the most recently allocated registers (stack discipline)."""
        if regs and regs[-1] + 1 == self._next_reg and regs == list(range(regs[0], self._next_reg)):
            self._next_reg = regs[0]
        elif regs:
            raise InvalidProgramError(f"{self.name}: registers released out of order")

    def fresh(self, stem: str) -> str:
        self._next_label += 1
        return f"{stem}_{self._next_label}"

    def nop(self) -> Asm:
        return self.mov(self.PID, self.PID)

    def when(self, cond: int, body: Callable[[], object]) -> Asm:
        """Run the straight-line ``body`` iff register ``cond`` != 0, in k + 2 steps either way."""
        skip, join = self.fresh("skip"), self.fresh("join")
        self.jz(cond, skip)
        start = len(self._ops)
        body()
        emitted = self._ops[start:]
        if any(op in _CONTROL for op in emitted):
            raise InvalidProgramError(f"{self.name}: a when-body must be straight-line code")
        self.jmp(join)
        self.label(skip)
        for _ in range(len(emitted) + 1):
            self.nop()
        self.label(join)
        return self


def scan(a: Asm, op: Op, base: int, length: int, pad: int = 0) -> None:
    """In-place inclusive scan of cells ``[R[base], R[base] + R[length])`` (Hillis–Steele).

    Round with distance d (d = 1, 2, 4, ... while d < len): processor i with d <= i < len
    sets x[i] = x[i-d] op x[i]. Reads and writes of a round touch distinct cells: EREW.
    ``pad`` adds that many no-ops per round (only used to build deliberately slow variants).
    """
    p = a.PID
    d, c, ieff, addr, t1, t2 = a.alloc(6)
    loop, end = a.fresh("scan_loop"), a.fresh("scan_end")
    a.lt(c, p, length).mul(ieff, p, c).add(ieff, ieff, c).addi(ieff, ieff, -1)  # i or -1
    a.add(addr, base, p).const(d, 1)
    a.label(loop)
    a.lt(c, d, length).jz(c, end)
    a.le(c, d, ieff)
    a.when(c, lambda: a.sub(t1, addr, d).load(t1, t1, 0).load(t2, addr, 0)
           .emit(op, t1, t1, t2).store(addr, 0, t1))
    for _ in range(pad):
        a.nop()
    a.add(d, d, d).jmp(loop)
    a.label(end)
    a.release([d, c, ieff, addr, t1, t2])


def reduce(a: Asm, op: Op, base: int, length: int) -> None:
    """In-place tree reduction of ``[R[base], R[base] + R[length])`` into cell ``R[base]``.

    Round with stride s (s = 1, 2, 4, ... while s < len): processor i with j = 2·s·i and
    j + s < len sets x[j] = x[j] op x[j+s]. Distinct cells per processor: EREW.
    """
    p = a.PID
    s, j, c, t, x, y = a.alloc(6)
    loop, end = a.fresh("red_loop"), a.fresh("red_end")
    a.const(s, 1)
    a.label(loop)
    a.lt(c, s, length).jz(c, end)
    a.add(j, s, s).mul(j, j, p).add(c, j, s).lt(c, c, length)
    a.when(c, lambda: a.add(j, j, base).add(t, j, s).load(x, j, 0).load(y, t, 0)
           .emit(op, x, x, y).store(j, 0, x))
    a.add(s, s, s).jmp(loop)
    a.label(end)
    a.release([s, j, c, t, x, y])


def bitonic_sort(a: Asm, base: int, length: int) -> None:
    """Sort ``[R[base], R[base] + R[length])`` ascending in place (bitonic network).

    The network is the "flip" form: stage k (k = 2, 4, ..., N = 2^clog2(len)) first compares
    i with i XOR (k-1), then i with i XOR j for j = k/4, ..., 1; every comparator puts the
    minimum at the lower index. Cells at index >= len act as +infinity, so a comparator whose
    upper index is >= len is simply skipped: this sorts any length, not only powers of two.
    Processor i performs the comparator (i, partner) iff i < partner < len: EREW.
    """
    p = a.PID
    len2, addr, one, k, c, mask, j, part, c2, a2, v1, v2, v3 = a.alloc(13)
    outer, inner, end = a.fresh("sort_outer"), a.fresh("sort_inner"), a.fresh("sort_end")
    a.add(len2, length, length).add(addr, base, p).const(one, 1).const(k, 2)
    a.label(outer)
    a.lt(c, k, len2).jz(c, end)
    a.addi(mask, k, -1).shr(j, k, one)
    a.label(inner)
    a.xor(part, p, mask).lt(c, p, part).lt(c2, part, length).and_(c, c, c2)
    a.when(c, lambda: a.add(a2, base, part).load(v1, addr, 0).load(v2, a2, 0)
           .min(v3, v1, v2).max(v1, v1, v2).store(addr, 0, v3).store(a2, 0, v1))
    a.shr(j, j, one).mov(mask, j).jnz(j, inner)
    a.add(k, k, k).jmp(outer)
    a.label(end)
    a.release([len2, addr, one, k, c, mask, j, part, c2, a2, v1, v2, v3])

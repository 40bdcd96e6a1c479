"""The vectorised PRAM engine: processors that share a program counter run as one numpy step.

[decision] :meth:`PRAM.run` runs here; :meth:`PRAM.run_scalar` (and :meth:`PRAM.run_stepwise`)
is the scalar reference loop in :mod:`machines.pram.interpreter`. Both give the same result,
counters and errors; ``tests/test_pram_vector.py`` checks that on random programs and on the
whole program library.

**One step.** The running processors are grouped by program counter (one group when they run
in lock step). Each group executes its instruction on numpy arrays over its processors:
registers are a ``(registers, processors)`` int64 array, a ``load`` is a gather from the memory
array and a ``store`` a pending scatter. Every register and program-counter update of the step
is deferred until the whole step is known to be legal, so a step that must fail leaves the
start-of-step state intact.

**Access rules.** The step's read and write addresses are checked exactly as the scalar loop
does: duplicate addresses are found with a stamp array (O(accesses)); when there are none, no
rule can be broken. With duplicates, Exclusive-Read (reads) and Exclusive-Write / Common-CRCW
with different values (writes) are violations; Arbitrary-CRCW keeps the lowest processor id and
Priority-CRCW the highest, by a stable sort of the writes on (address, processor).

**Fallback to the scalar loop (hand-over).** The engine hands its start-of-step state to the
scalar loop, which then finishes the run, when

* the step would raise anything (an address outside the memory, a value beyond the limit,
  division by zero, a bad shift, an access-rule violation): the scalar loop re-executes the
  step and raises the identical error, naming the same step, processor, instruction and
  address;
* fewer than :data:`SCALAR_BELOW` processors are still running (numpy's per-call overhead
  exceeds the scalar loop's per-processor cost there).

A run whose limits allow values outside int64 arithmetic (see :func:`int64_safe`) runs on the
scalar loop from the start, as does a run with fewer than :data:`VECTOR_FROM` processors
(:func:`run_vectorised` with ``force=True`` skips that last rule, for the differential tests).

**Why int64 is exact here.** Every register holds an input, a processor id, ``p``, ``n``, or a
result the scalar loop bounds by ``max_abs_value``, so ``|r| <= B = max(max_abs_value,
max_processors, max_address)``; :func:`int64_safe` requires ``B^2 < 2^63`` so sums, products,
``r + imm`` (``|imm| <= 2^40``) and quotients fit. A left shift ``a << b`` is computed only when
``|a| <= max_abs_value >> b`` holds in every lane; otherwise the scalar loop raises the value
error.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from apmdm.machines.errors import SizeLimitExceeded, StepLimitExceeded
from apmdm.machines.pram.interpreter import (
    PRAM,
    PRAMCounters,
    PRAMLimits,
    PRAMResult,
    ScalarState,
    Variant,
)
from apmdm.machines.pram.isa import MAX_IMMEDIATE, Op

VECTOR_FROM = 16  # runs with fewer processors use the scalar loop throughout
SCALAR_BELOW = 8  # hand over to the scalar loop once fewer processors are running

_COMPARE = {Op.LT: np.less, Op.LE: np.less_equal, Op.EQ: np.equal, Op.NE: np.not_equal}
_ARITH = {
    Op.ADD: np.add,
    Op.SUB: np.subtract,
    Op.MUL: np.multiply,
    Op.AND: np.bitwise_and,
    Op.OR: np.bitwise_or,
    Op.XOR: np.bitwise_xor,
    Op.MIN: np.minimum,
    Op.MAX: np.maximum,
}


def int64_safe(limits: PRAMLimits) -> bool:
    """True iff every value a run under ``limits`` computes fits int64 (module docstring)."""
    bound = max(limits.max_abs_value, limits.max_processors, limits.max_address)
    return bound * bound < 2**63 and bound + 2 * MAX_IMMEDIATE < 2**63


class _HandOver(Exception):
    """Raised inside a step that the scalar loop must execute (internal)."""


class _Engine:
    """The state of one vectorised run (mutable; private to :func:`run_vectorised`)."""

    def __init__(self, pram: PRAM, vals: tuple[int, ...], p: int):
        prog = pram.program
        self.pram = pram
        self.code = [(ins.op, ins.args) for ins in prog.instructions]
        self.end = len(self.code)
        self.n, self.p = len(vals), p
        self.limits = pram.limits
        self.regs = np.zeros((prog.num_registers, p), dtype=np.int64)
        self.pcs = np.zeros(p, dtype=np.int64)
        self.active = np.arange(p, dtype=np.int64)
        cap = max(16, self.n)
        self.mem = np.zeros(cap, dtype=np.int64)
        self.mem[: self.n] = vals
        self.touched = np.zeros(cap, dtype=bool)
        self.touched[: self.n] = True
        self.stamp = np.full(cap, -1, dtype=np.int64)
        self.span = self.n
        self.work = 0
        self.step = 0

    # -- memory ------------------------------------------------------------------------------

    def _ensure(self, top: int) -> None:
        """Grow the memory arrays so that address ``top`` is inside them."""
        cap = self.mem.size
        if top < cap:
            return
        new = min(max(2 * cap, top + 1), self.limits.max_address + 1)
        for name, fill in (("mem", 0), ("touched", False), ("stamp", -1)):
            old = getattr(self, name)
            grown = np.full(new, fill, dtype=old.dtype)
            grown[:cap] = old
            setattr(self, name, grown)

    def _addresses(self, base: np.ndarray, imm: int) -> np.ndarray:
        addr = base + imm
        if addr.size and (int(addr.min()) < 0 or int(addr.max()) > self.limits.max_address):
            raise _HandOver
        if addr.size:
            self._ensure(int(addr.max()))
        return addr

    def _has_duplicates(self, addr: np.ndarray) -> bool:
        k = addr.size
        if k < 2:
            return False
        ids = np.arange(k, dtype=np.int64)
        self.stamp[addr] = ids
        dup = bool((self.stamp[addr] != ids).any())
        self.stamp[addr] = -1
        return dup

    # -- one step ----------------------------------------------------------------------------

    def _groups(self) -> list[tuple[int, np.ndarray, bool]]:
        """(pc, processors in increasing id, whether they are all p processors) per group."""
        active = self.active
        apc = self.pcs[active]
        first = int(apc[0])
        if apc.size == 1 or not (apc != first).any():
            return [(first, active, active.size == self.p)]
        order = np.argsort(apc, kind="stable")
        spc, sact = apc[order], active[order]
        cuts = np.flatnonzero(spc[1:] != spc[:-1]) + 1
        bounds = [0, *cuts.tolist(), spc.size]
        return [(int(spc[b0]), sact[b0:b1], False) for b0, b1 in zip(bounds, bounds[1:])]

    def _value_ok(self, v: np.ndarray) -> np.ndarray:
        if v.size and int(np.abs(v).max()) > self.limits.max_abs_value:
            raise _HandOver
        return v

    def step_once(self) -> None:
        """Execute one step, or raise :class:`_HandOver` leaving the state untouched."""
        regs, code, p = self.regs, self.code, self.p
        reads: list[np.ndarray] = []
        writes: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (addr, value, pid)
        set_regs: list[tuple[int, object, np.ndarray]] = []
        set_pcs: list[tuple[object, object]] = []
        for pc, idx, full in self._groups():
            sel = slice(None) if full else idx
            op, a = code[pc]
            nxt: object = pc + 1
            if op is Op.HALT:
                nxt = self.end
            elif op is Op.LOAD:
                addr = self._addresses(regs[a[1]][sel], a[2])
                reads.append(addr)
                set_regs.append((a[0], sel, self.mem[addr]))
            elif op is Op.STORE:
                addr = self._addresses(regs[a[0]][sel], a[1])
                writes.append((addr, regs[a[2]][sel], idx))
            elif op is Op.CONST:
                if abs(a[1]) > self.limits.max_abs_value:
                    raise _HandOver
                set_regs.append((a[0], sel, np.full(idx.size, a[1], dtype=np.int64)))
            elif op is Op.MOV:
                set_regs.append((a[0], sel, regs[a[1]][sel]))
            elif op is Op.ADDI:
                set_regs.append((a[0], sel, self._value_ok(regs[a[1]][sel] + a[2])))
            elif op is Op.PID:
                set_regs.append((a[0], sel, idx))
            elif op is Op.NPROC:
                set_regs.append((a[0], sel, np.full(idx.size, p, dtype=np.int64)))
            elif op is Op.NIN:
                set_regs.append((a[0], sel, np.full(idx.size, self.n, dtype=np.int64)))
            elif op is Op.JMP:
                nxt = a[0]
            elif op in (Op.JZ, Op.JNZ):
                zero = regs[a[0]][sel] == 0
                nxt = np.where(zero if op is Op.JZ else ~zero, a[1], pc + 1)
            else:
                v = self._alu(op, regs[a[1]][sel], regs[a[2]][sel])
                set_regs.append((a[0], sel, self._value_ok(v)))
            set_pcs.append((sel, nxt))
        read_addr = _concat(reads)
        if read_addr.size and self.pram.variant is Variant.EREW and self._has_duplicates(
            read_addr
        ):
            raise _HandOver
        w_addr, w_val = self._resolve(writes)
        # the step is legal: commit it (memory first: a stored value may be a register view)
        if w_addr.size:
            self.mem[w_addr] = w_val
        for rd, sel, v in set_regs:
            regs[rd][sel] = v
        for sel, nxt in set_pcs:
            self.pcs[sel] = nxt
        for addr in (read_addr, _concat([w[0] for w in writes])):
            if addr.size:
                self.touched[addr] = True
                self.span = max(self.span, int(addr.max()) + 1)

    def _alu(self, op: Op, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        if op in _ARITH:
            return _ARITH[op](x, y)
        if op in _COMPARE:
            return _COMPARE[op](x, y).astype(np.int64)
        if op in (Op.DIV, Op.MOD):
            if (y == 0).any():
                raise _HandOver
            return np.floor_divide(x, y) if op is Op.DIV else np.remainder(x, y)
        # SHL / SHR
        if y.size and (int(y.min()) < 0 or int(y.max()) > 62):
            raise _HandOver
        if op is Op.SHR:
            return np.right_shift(x, y)
        if (np.abs(x) > np.right_shift(np.int64(self.limits.max_abs_value), y)).any():
            raise _HandOver
        return np.left_shift(x, y)

    def _resolve(
        self, writes: list[tuple[np.ndarray, np.ndarray, np.ndarray]]
    ) -> tuple[np.ndarray, np.ndarray]:
        """The (address, value) pairs the step applies; hands over on a violation."""
        if not writes:
            return _EMPTY, _EMPTY
        addr = _concat([w[0] for w in writes])
        val = _concat([w[1] for w in writes])
        if not self._has_duplicates(addr):
            return addr, val
        variant = self.pram.variant
        if variant in (Variant.EREW, Variant.CREW):
            raise _HandOver
        pid = _concat([w[2] for w in writes])
        order = np.lexsort((pid, addr))  # by address, then processor id
        addr, val = addr[order], val[order]
        same = addr[1:] == addr[:-1]
        if variant is Variant.CRCW_COMMON:
            if (same & (val[1:] != val[:-1])).any():
                raise _HandOver
            keep = np.concatenate(([True], ~same))
        elif variant is Variant.CRCW_ARBITRARY:  # lowest id: the first of each address
            keep = np.concatenate(([True], ~same))
        else:  # priority, highest id: the last of each address
            keep = np.concatenate((~same, [True]))
        return addr[keep], val[keep]

    # -- hand-over and result ----------------------------------------------------------------

    def scalar_state(self) -> ScalarState:
        nz = np.flatnonzero(self.mem)
        return ScalarState(
            regs=self.regs.T.tolist(),
            pcs=self.pcs.tolist(),
            active=self.active.tolist(),
            memory=dict(zip(nz.tolist(), self.mem[nz].tolist())),
            touched=set(np.flatnonzero(self.touched).tolist()),
            span=self.span,
            work=self.work,
            step=self.step,
        )

    def result(self) -> PRAMResult:
        prog = self.pram.program
        start, length = prog.output_region(self.n)
        window = self.mem[start : start + length].tolist() if start < self.mem.size else []
        output = tuple(window) + (0,) * (length - len(window))
        nz = np.flatnonzero(self.mem)
        memory = tuple(zip(nz.tolist(), self.mem[nz].tolist()))
        counters = PRAMCounters(
            self.step, self.p, self.work, self.span, int(np.count_nonzero(self.touched))
        )
        return PRAMResult(prog.name, self.pram.variant, self.n, output, memory, counters)


_EMPTY = np.zeros(0, dtype=np.int64)


def _concat(parts: list[np.ndarray]) -> np.ndarray:
    if not parts:
        return _EMPTY
    return parts[0] if len(parts) == 1 else np.concatenate(parts)


def run_vectorised(
    pram: PRAM, inputs: Sequence[int], processors: int | None = None, force: bool = False
) -> PRAMResult:
    """Run ``pram`` on ``inputs``: vectorised steps, scalar hand-over (module docstring).

    ``force``: vectorise even when the run has fewer than :data:`VECTOR_FROM` processors
    (used by the differential tests; the result is the same either way).
    """
    vals = pram._check_inputs(inputs)
    n = len(vals)
    p = pram._processors(n, processors)
    if not int64_safe(pram.limits) or (p < VECTOR_FROM and not force):
        return pram.run_scalar(vals, p)
    eng = _Engine(pram, vals, p)
    limit = pram.limits
    name = pram.program.name
    while eng.active.size:
        if eng.active.size < SCALAR_BELOW and not force:
            return _finish_scalar(pram, eng, n, p)
        step, work = eng.step, eng.work
        eng.step += 1
        if eng.step > limit.max_steps:
            raise StepLimitExceeded(
                f"{name}: PRAM did not halt within {limit.max_steps} steps "
                f"({eng.active.size} processors still running)"
            )
        eng.work += int(eng.active.size)
        if eng.work > limit.max_work:
            raise SizeLimitExceeded(f"{name}: work exceeds {limit.max_work} at step {eng.step}")
        try:
            eng.step_once()
        except _HandOver:
            eng.step, eng.work = step, work
            return _finish_scalar(pram, eng, n, p)
        eng.active = eng.active[eng.pcs[eng.active] < eng.end]
    return eng.result()


def _finish_scalar(pram: PRAM, eng: _Engine, n: int, p: int) -> PRAMResult:
    state: dict = {}
    for _ in pram._scalar_loop(eng.scalar_state(), n, p, state):
        pass
    return state["result"]

"""The vectorised PRAM engine: processors that share a program counter run as one numpy step.

[decision] :meth:`PRAM.run` runs here; :meth:`PRAM.run_scalar` (and :meth:`PRAM.run_stepwise`)
is the scalar reference loop in :mod:`machines.pram.interpreter`. Both give the same result,
counters and errors; ``tests/test_pram_vector.py`` checks that on random programs and on the
whole program library.

**One step.** The running processors are kept in groups by program counter (one group when
they run in lock step); a group holds all processors, a boolean mask (at least
:data:`DENSE_FROM` of them) or a sorted id array, and is split by a conditional jump whose
outcome differs across it and merged with any group that reaches the same counter. Each group
executes its instruction on numpy arrays over its processors: registers are a
``(registers, processors)`` int64 array, a ``load`` is a gather from the memory array and a
``store`` a pending scatter. Every register update of the step is deferred until the whole
step is known to be legal, so a step that must fail leaves the start-of-step state intact.
``mov r, r`` (the library's padding no-op) does nothing.

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
from typing import Protocol

import numpy as np

from apmdm.machines.errors import StepLimitExceeded, WorkLimitExceeded
from apmdm.machines.pram.isa import MAX_IMMEDIATE, Op, Program
from apmdm.machines.pram.state import (
    PRAMCounters,
    PRAMLimits,
    PRAMResult,
    ScalarState,
    Variant,
)


class PRAM(Protocol):
    """What this engine needs of :class:`apmdm.machines.pram.interpreter.PRAM` (typed here
    so that the engine does not import the interpreter, which dispatches to it)."""

    program: Program
    variant: Variant
    limits: PRAMLimits

    def run_scalar(self, inputs: Sequence[int], processors: int | None = None) -> PRAMResult:
        ...

FULL, DENSE, SPARSE = 0, 1, 2  # how a group holds its processors: all, a mask, sorted ids
DENSE_FROM = 1 / 8  # a group of at least this fraction of all processors is held as a mask
VECTOR_FROM = 16  # runs with fewer processors use the scalar loop throughout
SCALAR_BELOW = 8  # hand over to the scalar loop once fewer processors are running


def _compare(ufunc):
    def compare(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return ufunc(x, y).view(np.int8).astype(np.int64)

    return compare


# binary operations without a failure of their own; _CHECKED ones can leave the value range
_ALU_OPS = {
    Op.ADD: np.add,
    Op.SUB: np.subtract,
    Op.MUL: np.multiply,
    Op.AND: np.bitwise_and,
    Op.OR: np.bitwise_or,
    Op.XOR: np.bitwise_xor,
    Op.MIN: np.minimum,
    Op.MAX: np.maximum,
    Op.LT: _compare(np.less),
    Op.LE: _compare(np.less_equal),
    Op.EQ: _compare(np.equal),
    Op.NE: _compare(np.not_equal),
}
_CHECKED = frozenset({Op.ADD, Op.SUB, Op.MUL, Op.AND, Op.OR, Op.XOR})


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
        self.all = np.arange(p, dtype=np.int64)
        # the running processors, grouped by program counter: (pc, ids, ids are all p)
        self.groups: list[tuple[int, int, np.ndarray]] = [(0, FULL, self.all)]
        self.running = p
        bound = self.limits.max_abs_value
        # every register value lies in -bound..bound when p and n do (module docstring), and
        # then min, max, div, mod, shr and comparisons need no value check
        self.bounded = max(p, self.n) <= bound and bound >= 1
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
        addr = base + imm if imm else base
        top = int(addr.max())
        if int(addr.min()) < 0 or top > self.limits.max_address:
            raise _HandOver
        self._ensure(top)
        self.top = max(self.top, top)
        return addr

    def _has_duplicates(self, addr: np.ndarray) -> bool:
        k = addr.size
        if k < 2 or (addr[1:] > addr[:-1]).all():  # strictly increasing: distinct
            return False
        ids = np.arange(k, dtype=np.int64)
        self.stamp[addr] = ids
        dup = bool((self.stamp[addr] != ids).any())
        self.stamp[addr] = -1
        return dup

    # -- one step ----------------------------------------------------------------------------

    def _regroup(self, pieces: list[tuple[int, int, np.ndarray]]) -> None:
        """The next step's groups from (next pc, kind, ids or mask) pieces; one group per pc,
        stored as FULL, DENSE (a mask, when at least DENSE_FROM of all processors) or SPARSE
        (sorted ids)."""
        by_pc: dict[int, list[tuple[int, np.ndarray]]] = {}
        for pc, kind, data in pieces:
            if pc < self.end:
                by_pc.setdefault(pc, []).append((kind, data))
        groups = []
        running = 0
        for pc, parts in by_pc.items():
            if len(parts) == 1 and parts[0][0] == SPARSE:
                ids = parts[0][1]
                if ids.size:
                    groups.append((pc, SPARSE, ids))
                    running += ids.size
                continue
            mask = np.zeros(self.p, dtype=bool)
            for kind, data in parts:
                if kind == SPARSE:
                    mask[data] = True
                elif kind == FULL:
                    mask[:] = True
                else:
                    mask |= data
            size = int(np.count_nonzero(mask))
            if size == self.p:
                groups.append((pc, FULL, self.all))
            elif size >= DENSE_FROM * self.p:
                groups.append((pc, DENSE, mask))
            elif size:
                groups.append((pc, SPARSE, np.flatnonzero(mask)))
            running += size
        self.groups, self.running = groups, running

    def _ids(self, kind: int, data: np.ndarray) -> np.ndarray:
        return np.flatnonzero(data) if kind == DENSE else data

    def _value_ok(self, v: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """``v`` if every lane (of ``mask``, when given) is within the value limit."""
        bound = self.limits.max_abs_value
        if v.size and (v.max() > bound or v.min() < -bound):
            lanes = v if mask is None else v[mask]
            if lanes.size and (lanes.max() > bound or lanes.min() < -bound):
                raise _HandOver
        return v

    def step_once(self) -> None:
        """Execute one step, or raise :class:`_HandOver` leaving the state untouched.

        A FULL group reads registers as whole rows; a DENSE group computes on whole rows too
        and writes through its mask (addresses, stores, loads and the rare div/mod/shift
        operands are compressed to its lanes first); a SPARSE group gathers its lanes."""
        regs, code, p = self.regs, self.code, self.p
        self.top = -1
        reads: list[np.ndarray] = []
        writes: list[tuple[np.ndarray, np.ndarray, int, np.ndarray]] = []
        set_regs: list[tuple[int, object, object, bool]] = []  # (rd, sel, value, via mask)
        pieces: list[tuple[int, int, np.ndarray]] = []
        for pc, kind, data in self.groups:
            op, a = code[pc]
            nxt = pc + 1
            if kind == FULL:
                sel, mask, lanes = slice(None), None, None
            elif kind == DENSE:
                sel, mask, lanes = data, data, data
            else:
                sel, mask, lanes = data, None, None
            if kind == SPARSE:
                def row(r: int, ids=data) -> np.ndarray:
                    return regs[r][ids]
            else:
                def row(r: int) -> np.ndarray:
                    return regs[r]
            if op is Op.LOAD:
                base = row(a[1])
                addr = self._addresses(base if lanes is None else base[lanes], a[2])
                reads.append(addr)
                set_regs.append((a[0], sel, self.mem[addr], False))
            elif op is Op.STORE:
                base, val = row(a[0]), row(a[2])
                if lanes is not None:
                    base, val = base[lanes], val[lanes]
                writes.append((self._addresses(base, a[1]), val, kind, data))
            elif op in _ALU_OPS:
                v = _ALU_OPS[op](row(a[1]), row(a[2]))
                if op in _CHECKED or not self.bounded:
                    self._value_ok(v, mask)
                set_regs.append((a[0], sel, v, mask is not None))
            elif op is Op.JZ or op is Op.JNZ:
                zero = row(a[0]) == 0
                taken = zero if op is Op.JZ else ~zero
                if mask is not None:
                    taken &= mask
                    rest = mask & ~taken
                else:
                    rest = ~taken
                if not taken.any():
                    pass
                elif not rest.any():
                    nxt = a[1]
                else:
                    if kind == SPARSE:
                        pieces.append((a[1], SPARSE, data[taken]))
                        data = data[rest]
                    else:
                        pieces.append((a[1], DENSE, taken))
                        kind, data = DENSE, rest
            elif op is Op.MOV:
                if a[0] != a[1]:  # ``mov r, r`` (the library's padding no-op) changes nothing
                    set_regs.append((a[0], sel, row(a[1]), mask is not None))
            elif op is Op.ADDI:
                set_regs.append((a[0], sel, self._value_ok(row(a[1]) + a[2], mask),
                                 mask is not None))
            elif op is Op.CONST:
                if abs(a[1]) > self.limits.max_abs_value:
                    raise _HandOver
                set_regs.append((a[0], sel, a[1], False))
            elif op is Op.JMP:
                nxt = a[0]
            elif op is Op.HALT:
                nxt = self.end
            elif op is Op.PID:
                set_regs.append((a[0], sel, data if kind == SPARSE else self.all,
                                 mask is not None))
            elif op is Op.NPROC:
                set_regs.append((a[0], sel, p, False))
            elif op is Op.NIN:
                set_regs.append((a[0], sel, self.n, False))
            else:
                x, y = row(a[1]), row(a[2])
                if lanes is not None:
                    x, y = x[lanes], y[lanes]
                set_regs.append((a[0], sel, self._alu(op, x, y), False))
            pieces.append((nxt, kind, data))
        read_addr = _concat(reads)
        if len(reads) and self.pram.variant is Variant.EREW and self._has_duplicates(read_addr):
            raise _HandOver
        w_addr, w_val = self._resolve(writes)
        # the step is legal: commit it; addresses and stored values may be views of registers,
        # so the registers change last
        if self.top >= 0:
            for addr in reads:
                self.touched[addr] = True
            for w in writes:
                self.touched[w[0]] = True
            self.span = max(self.span, self.top + 1)
        if w_addr.size:
            self.mem[w_addr] = w_val
        for rd, sel, v, via_mask in set_regs:
            if via_mask:
                np.copyto(regs[rd], v, where=sel)
            else:
                regs[rd][sel] = v
        if len(pieces) == 1 and pieces[0][0] < self.end:  # one group, no split: same size
            self.groups = pieces
        else:
            self._regroup(pieces)

    def _alu(self, op: Op, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """div, mod, shl, shr: hand over on /0, a bad shift or a value beyond the limit."""
        if op is Op.DIV or op is Op.MOD:
            if (y == 0).any():
                raise _HandOver
            v = np.floor_divide(x, y) if op is Op.DIV else np.remainder(x, y)
            return v if self.bounded else self._value_ok(v)
        if int(y.min()) < 0 or int(y.max()) > 62:
            raise _HandOver
        if op is Op.SHR:
            v = np.right_shift(x, y)
            return v if self.bounded else self._value_ok(v)
        if (np.abs(x) > np.right_shift(np.int64(self.limits.max_abs_value), y)).any():
            raise _HandOver
        return self._value_ok(np.left_shift(x, y))

    def _resolve(
        self, writes: list[tuple[np.ndarray, np.ndarray, int, np.ndarray]]
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
        pid = _concat([self._ids(w[2], w[3]) for w in writes])
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
            pcs=self._pcs().tolist(),
            active=np.sort(_concat([self._ids(g[1], g[2]) for g in self.groups])).tolist(),
            memory=dict(zip(nz.tolist(), self.mem[nz].tolist(), strict=True)),
            touched=set(np.flatnonzero(self.touched).tolist()),
            span=self.span,
            work=self.work,
            step=self.step,
        )

    def _pcs(self) -> np.ndarray:
        pcs = np.full(self.p, self.end, dtype=np.int64)
        for pc, _kind, data in self.groups:
            pcs[data] = pc
        return pcs

    def result(self) -> PRAMResult:
        prog = self.pram.program
        start, length = prog.output_region(self.n)
        window = self.mem[start : start + length].tolist() if start < self.mem.size else []
        output = tuple(window) + (0,) * (length - len(window))
        nz = np.flatnonzero(self.mem)
        memory = tuple(zip(nz.tolist(), self.mem[nz].tolist(), strict=True))
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
    pram._preflight(n, p)
    if not int64_safe(pram.limits) or (p < VECTOR_FROM and not force):
        return pram.run_scalar(vals, p)
    eng = _Engine(pram, vals, p)
    limit = pram.limits
    name = pram.program.name
    while eng.groups:
        if eng.running < SCALAR_BELOW and not force:
            return _finish_scalar(pram, eng, n, p)
        step, work = eng.step, eng.work
        eng.step += 1
        if eng.step > limit.max_steps:
            raise StepLimitExceeded(
                f"{name}: PRAM did not halt within {limit.max_steps} steps "
                f"({eng.running} processor{'s' if eng.running != 1 else ''} still running; "
                "raise it with --max-steps)"
            )
        eng.work += eng.running
        if eng.work > limit.max_work:
            raise WorkLimitExceeded(
                f"{name}: work (processor-steps) exceeds the limit {limit.max_work} "
                f"at step {eng.step} (raise it with --max-work)")
        try:
            eng.step_once()
        except _HandOver:
            eng.step, eng.work = step, work
            return _finish_scalar(pram, eng, n, p)
    return eng.result()


def _finish_scalar(pram: PRAM, eng: _Engine, n: int, p: int) -> PRAMResult:
    state: dict = {}
    for _ in pram._scalar_loop(eng.scalar_state(), n, p, state):
        pass
    return state["result"]

"""The PRAM interpreter: synchronous steps, a per-step access log, five access variants.

One parallel step: every processor that has not halted executes the instruction at its
program counter. All memory reads of the step see the memory as it was at the start of the
step; then the step's writes are resolved and applied. The variant decides which concurrent
accesses are legal and who wins a concurrent write:

================  ==========================  ================================================
variant           concurrent reads            concurrent writes (same address, same step)
================  ==========================  ================================================
erew              error                       error
crew              allowed                     error
crcw-common       allowed                     allowed iff all values are equal, else error
crcw-arbitrary    allowed                     allowed; our deterministic rule: LOWEST id wins
crcw-priority     allowed                     allowed; the HIGHEST processor id wins (default)
================  ==========================  ================================================

A read and a write of the same address in one step never conflict (reads happen first).
Violations raise an :class:`~apmdm.machines.errors.AccessConflictError` subclass naming the step,
the processor, the instruction index and the address.

Cost counters: parallel time ``T`` (steps until every processor halted), processors ``P``,
work (instructions executed), memory span ``S`` (largest address touched + 1, the input
region included) and the number of distinct cells touched.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from apmdm.machines.errors import (
    CommonWriteConflictError,
    ConcurrentReadError,
    ConcurrentWriteError,
    InvalidArgumentError,
    PRAMRuntimeError,
    SizeLimitExceeded,
    StepLimitExceeded,
    WorkLimitExceeded,
)
from apmdm.machines.pram.isa import Op, Program
from apmdm.machines.pram.state import (  # re-exported: the interpreter's public types
    MAX_REGISTER_CELLS,
    Access,
    PRAMCounters,
    PRAMLimits,
    PRAMResult,
    PRAMStep,
    ScalarState,
    Variant,
    alu,
)

__all__ = ["PRAM", "Access", "PRAMCounters", "PRAMLimits", "PRAMResult", "PRAMStep",
           "ScalarState", "Variant", "alu"]


@dataclass(frozen=True)
class PRAM:
    """A PRAM executing one program under one access variant. Immutable."""

    program: Program
    variant: Variant = Variant.CRCW_PRIORITY
    limits: PRAMLimits = PRAMLimits()

    def run(self, inputs: Sequence[int], processors: int | None = None) -> PRAMResult:
        """Run to completion.

        Processors that share a program counter execute as one vectorised numpy step
        (:mod:`machines.pram.vector`), with the scalar loop as fallback; the result, the
        counters and every error are those of :meth:`run_scalar`.
        """
        from apmdm.machines.pram.vector import run_vectorised

        return run_vectorised(self, inputs, processors)

    def run_scalar(self, inputs: Sequence[int], processors: int | None = None) -> PRAMResult:
        """Run to completion on the scalar reference loop (fast-forwarding
        :meth:`run_stepwise`)."""
        state: dict = {}
        for _ in self._steps(inputs, processors, state):
            pass
        return state["result"]

    def run_stepwise(
        self, inputs: Sequence[int], processors: int | None = None
    ) -> Iterator[PRAMStep]:
        """Yield one :class:`PRAMStep` per parallel step, until every processor halted."""
        yield from self._steps(inputs, processors, {})

    # -- internals -------------------------------------------------------------------------

    def _check_inputs(self, inputs: Sequence[int]) -> tuple[int, ...]:
        vals = tuple(inputs)
        for i, v in enumerate(vals):
            if isinstance(v, bool) or not isinstance(v, int):
                raise InvalidArgumentError(f"input[{i}] = {v!r} is not an integer")
            if abs(v) > self.limits.max_abs_value:
                raise SizeLimitExceeded(f"input[{i}] = {v} exceeds the value limit")
        if len(vals) > self.limits.max_address:
            raise SizeLimitExceeded(f"input length {len(vals)} exceeds the memory limit")
        return vals

    def _processors(self, n: int, processors: int | None) -> int:
        p = self.program.processor_count(n) if processors is None else processors
        if isinstance(p, bool) or not isinstance(p, int) or p < 1:
            raise InvalidArgumentError(f"processor count must be a positive integer, got {p!r}")
        if p > self.limits.max_processors:
            raise SizeLimitExceeded(f"{p} processors exceed the limit {self.limits.max_processors}")
        return p

    def _address(self, addr: int, step: int, pid: int, pc: int) -> int:
        if addr < 0 or addr > self.limits.max_address:
            raise PRAMRuntimeError(
                f"{self.program.name}: address {addr} outside 0..{self.limits.max_address} "
                f"at step {step}, processor {pid}, instruction {pc}"
            )
        return addr

    def _preflight(self, n: int, p: int) -> None:
        """Checks made before anything is allocated (both engines): the output region fits
        the memory limit, the first step fits the work limit, and the registers fit a memory
        estimate."""
        prog, limit = self.program, self.limits
        start, length = prog.output_region(n)
        if start + length > limit.max_address + 1:
            raise SizeLimitExceeded(
                f"{prog.name}: output region ({start}, {length}) at n={n} exceeds the memory "
                f"limit 0..{limit.max_address}")
        if p > limit.max_work:  # every processor executes an instruction in step 1
            raise WorkLimitExceeded(
                f"{prog.name}: {p} processors exceed the work limit {limit.max_work} in the "
                "first step (raise it with --max-work)")
        if p * prog.num_registers > MAX_REGISTER_CELLS:
            raise SizeLimitExceeded(
                f"{prog.name}: {p} processors x {prog.num_registers} registers exceed "
                f"{MAX_REGISTER_CELLS} register cells (lower the processors or registers)")

    def _steps(
        self, inputs: Sequence[int], processors: int | None, state: dict
    ) -> Iterator[PRAMStep]:
        vals = self._check_inputs(inputs)
        n = len(vals)
        p = self._processors(n, processors)
        self._preflight(n, p)
        run = ScalarState(
            regs=[[0] * self.program.num_registers for _ in range(p)],
            pcs=[0] * p,
            active=list(range(p)),
            memory={i: v for i, v in enumerate(vals) if v != 0},
            touched=set(range(n)),
            span=n,
            work=0,
            step=0,
        )
        yield from self._scalar_loop(run, n, p, state)

    def _scalar_loop(
        self, run: ScalarState, n: int, p: int, state: dict
    ) -> Iterator[PRAMStep]:
        """The reference run loop, from any start-of-step state (the vectorised engine hands
        its state over to it; see :mod:`machines.pram.vector`)."""
        prog = self.program
        code = [(ins.op, ins.args) for ins in prog.instructions]
        end = len(code)
        memory, touched, regs, pcs = run.memory, run.touched, run.regs, run.pcs
        active, work, step, span = run.active, run.work, run.step, run.span
        limit = self.limits
        while active:
            step += 1
            if step > limit.max_steps:
                raise StepLimitExceeded(
                    f"{prog.name}: PRAM did not halt within {limit.max_steps} steps "
                    f"({len(active)} processor{'s' if len(active) != 1 else ''} still running; "
                    "raise it with --max-steps)"
                )
            work += len(active)
            if work > limit.max_work:
                raise WorkLimitExceeded(
                    f"{prog.name}: work (processor-steps) exceeds the limit {limit.max_work} "
                    f"at step {step} (raise it with --max-work)"
                )
            accesses: list[Access] = []
            pending: list[tuple[int, int, int, int]] = []  # (addr, value, pid, pc)
            still: list[int] = []
            for pid in active:
                pc = pcs[pid]
                op, a = code[pc]
                r = regs[pid]
                nxt = pc + 1
                if op is Op.HALT:
                    pcs[pid] = end
                    continue
                if op is Op.LOAD:
                    addr = self._address(r[a[1]] + a[2], step, pid, pc)
                    v = memory.get(addr, 0)
                    accesses.append(Access(pid, pc, "R", addr, v))
                    r[a[0]] = v
                elif op is Op.STORE:
                    addr = self._address(r[a[0]] + a[1], step, pid, pc)
                    v = r[a[2]]
                    accesses.append(Access(pid, pc, "W", addr, v))
                    pending.append((addr, v, pid, pc))
                elif op is Op.CONST:
                    r[a[0]] = self._value(a[1], step, pid, pc)
                elif op is Op.MOV:
                    r[a[0]] = r[a[1]]
                elif op is Op.ADDI:
                    r[a[0]] = self._value(r[a[1]] + a[2], step, pid, pc)
                elif op is Op.PID:
                    r[a[0]] = pid
                elif op is Op.NPROC:
                    r[a[0]] = p
                elif op is Op.NIN:
                    r[a[0]] = n
                elif op is Op.JMP:
                    nxt = a[0]
                elif op is Op.JZ:
                    if r[a[0]] == 0:
                        nxt = a[1]
                elif op is Op.JNZ:
                    if r[a[0]] != 0:
                        nxt = a[1]
                else:
                    try:
                        v = alu(op, r[a[1]], r[a[2]])
                    except PRAMRuntimeError as exc:
                        raise PRAMRuntimeError(
                            f"{prog.name}: {exc} at step {step}, processor {pid}, instruction {pc}"
                        ) from None
                    r[a[0]] = self._value(v, step, pid, pc)
                pcs[pid] = nxt
                if nxt < end:
                    still.append(pid)
            self._check_reads(accesses, step)
            applied = self._resolve_writes(pending, step)
            for addr, v in applied:
                if v == 0:
                    memory.pop(addr, None)
                else:
                    memory[addr] = v
            for acc in accesses:
                touched.add(acc.address)
                span = max(span, acc.address + 1)
            executed = len(active)
            active = still
            yield PRAMStep(step, executed, tuple(accesses), tuple(applied))
        start, length = prog.output_region(n)
        output = tuple(memory.get(start + i, 0) for i in range(length))
        counters = PRAMCounters(step, p, work, span, len(touched))
        state["result"] = PRAMResult(
            prog.name, self.variant, n, output, tuple(sorted(memory.items())), counters
        )

    def _value(self, v: int, step: int, pid: int, pc: int) -> int:
        if abs(v) > self.limits.max_abs_value:
            raise SizeLimitExceeded(
                f"{self.program.name}: value {v} exceeds the value limit "
                f"{self.limits.max_abs_value} at step {step}, processor {pid}, instruction {pc}"
            )
        return v

    def _check_reads(self, accesses: list[Access], step: int) -> None:
        if self.variant is not Variant.EREW:
            return
        seen: dict[int, int] = {}
        for acc in accesses:
            if acc.kind != "R":
                continue
            if acc.address in seen:
                raise ConcurrentReadError(
                    self.variant.value,
                    "concurrent read",
                    step,
                    acc.processor,
                    acc.instruction,
                    acc.address,
                    f"also read by processor {seen[acc.address]}",
                )
            seen[acc.address] = acc.processor

    def _resolve_writes(
        self, pending: list[tuple[int, int, int, int]], step: int
    ) -> list[tuple[int, int]]:
        winners: dict[int, tuple[int, int, int]] = {}  # addr -> (value, pid, pc)
        variant = self.variant
        for addr, v, pid, pc in pending:  # in increasing processor id
            if addr not in winners:
                winners[addr] = (v, pid, pc)
                continue
            first_v, first_pid, _ = winners[addr]
            if variant in (Variant.EREW, Variant.CREW):
                raise ConcurrentWriteError(
                    variant.value,
                    "concurrent write",
                    step,
                    pid,
                    pc,
                    addr,
                    f"also written by processor {first_pid}",
                )
            if variant is Variant.CRCW_COMMON and v != first_v:
                raise CommonWriteConflictError(
                    variant.value,
                    "common-write conflict",
                    step,
                    pid,
                    pc,
                    addr,
                    f"value {v} differs from processor {first_pid}'s value {first_v}",
                )
            if variant is Variant.CRCW_PRIORITY:
                winners[addr] = (v, pid, pc)  # highest id wins: later (higher) ids overwrite
            # CRCW_ARBITRARY: lowest id wins (keep the first); CRCW_COMMON: equal values
        return sorted((addr, w[0]) for addr, w in winners.items())

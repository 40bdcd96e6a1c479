"""The Theorem 4 AP-MDM loop: g positions per second, the commit step, and n = 10,000 end to end.

Three measurements on prefix-sum (the library program), each against its reference in the
same process:

1. **g loop** at ``--g-n`` (default 1024): the reference f's outputs of one run are recorded,
   then ``GenerationProcess.run`` replays them (so f costs nothing) with the current g and with
   the g loop as it was before issue 14, rebuilt here from the reference functions
   (:func:`apply_transition_reference`, position by position, validating every written token
   with the recursive ``is_token``, every control position and every mapped ``y`` in Python,
   then scanning the new canvas for its masks). Positions per second
   = canvas positions processed / CPU time. Target: >= 5x.
2. **commit step** at ``--commit-n`` (default 2000): one commit of the reference f, grouped by
   address (now) against the former scan of all slots for every masked cell.
3. **end to end** at ``--n`` (default 10,000): PRAM reference run, compile, the AP-MDM run with
   the reference f, decode and compare. Target: <= 60 s.

Times are process CPU time (``time.process_time``; the machine is shared) and, for 3, wall
time too. No numpy is timed; BLAS threads are pinned to 1 anyway.

    python benchmarks/theorem4_loop.py [--g-n 1024] [--commit-n 2000] [--n 10000]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections.abc import Mapping  # noqa: E402
from contextlib import contextmanager  # noqa: E402

from apmdm.constructions.pram.apmdm import PramToAPMDM, compile_apmdm  # noqa: E402
from apmdm.constructions.pram.slot import T_, WADDR, WVAL  # noqa: E402
from apmdm.machines import process  # noqa: E402
from apmdm.machines.errors import InvalidArgumentError  # noqa: E402
from apmdm.machines.pram import PRAM  # noqa: E402
from apmdm.machines.pram.library import LIBRARY  # noqa: E402
from apmdm.machines.process import GenerationProcess, Model  # noqa: E402
from apmdm.machines.resources import Resources  # noqa: E402
from apmdm.machines.tokens import MASK  # noqa: E402

PROGRAM = "prefix-sum"


def _old_is_token(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (str, int)):
        return True
    if isinstance(value, tuple):
        return all(_old_is_token(v) for v in value)
    return False


def _old_check_positions(name, positions, n) -> None:
    for p in positions:
        if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < n:
            raise InvalidArgumentError(f"{name} position {p!r} outside the canvas of length {n}")


def _old_check_tokens_shape(out, n) -> None:
    toks = out.tokens
    if isinstance(toks, (list, tuple)):
        if len(toks) != n:
            raise InvalidArgumentError(f"f returned {len(toks)} tokens for a canvas of length {n}")
        if MASK in toks:
            i = next(j for j, t in enumerate(toks) if t is MASK)
            raise InvalidArgumentError(f"f returned MASK as y_{i}; y is never MASK")
    elif isinstance(toks, Mapping):
        bad = [i for i, t in toks.items() if t is MASK]
        if bad:
            raise InvalidArgumentError(f"f returned MASK as y_{min(bad)}; y is never MASK")


@contextmanager
def former_g():
    """The g loop before issue 14: the position-by-position transition with the recursive
    token check and Python position checks (restored on exit)."""
    names = ("transition_with_masks", "is_token", "_check_positions", "_check_tokens_shape")
    saved = [getattr(process, name) for name in names]
    former = (_old_transition, _old_is_token, _old_check_positions, _old_check_tokens_shape)
    for name, function in zip(names, former, strict=True):
        setattr(process, name, function)
    try:
        yield
    finally:
        for name, function in zip(names, saved, strict=True):
            setattr(process, name, function)


def _old_transition(canvas, out, masks):
    nxt, events = process.apply_transition_reference(canvas, out, masks)
    return nxt, events, process.mask_positions(nxt)


class FormerCommit(PramToAPMDM):
    """The commit before issue 14: for every masked cell, scan all slots (O(masked x P))."""

    def _commit(self, canvas, masked_cells):
        slots = self._current_slots(canvas)
        fresh = max(s[T_] for s in slots)
        fills = {}
        for a in masked_cells:
            writers = [s for s in slots if s[T_] == fresh and s[WADDR] == a]
            fills[a] = self._winner(writers)[WVAL]
        keep = frozenset(i for i in range(self.memory_size, len(canvas)) if canvas[i] is MASK)
        return process.StepOutput(fills, keep)


def setup(n: int):
    lib = LIBRARY[PROGRAM]
    inputs = lib.make_input(n, random.Random(f"theorem4:{n}"))
    ref = PRAM(lib.program, lib.variant).run(inputs)
    con = compile_apmdm(lib.program, n, max(n, 1), lib.variant)
    return lib, inputs, ref, con


def g_loop(n: int) -> tuple[float, float, int]:
    _, inputs, ref, con = setup(n)
    canvas = con.initial_canvas(inputs)
    limits = con.limits(Resources.of_pram(ref.counters))
    records = list(con.process().run_stepwise(canvas, limits))
    outputs = [r.output for r in records]
    positions = sum(len(r.before) for r in records)

    def replay():
        calls = iter(outputs)
        return GenerationProcess(Model.APMDM, lambda _canvas: next(calls)).run(canvas, limits)

    expected = replay().final
    times = []
    for use_former in (False, True, False, True):
        t = time.process_time()
        if use_former:
            with former_g():
                final = replay().final
        else:
            final = replay().final
        times.append(time.process_time() - t)
        assert final == expected == records[-1].after
    return min(times[0::2]), min(times[1::2]), positions


def commit_step(n: int) -> tuple[float, float]:
    lib, inputs, ref, con = setup(n)
    canvas = con.initial_canvas(inputs)
    for rec in con.process().run_stepwise(canvas, con.limits(Resources.of_pram(ref.counters))):
        if any(rec.after[a] is MASK for a in range(con.memory_size)):
            canvas = rec.after  # a canvas that needs a commit
            break
    former = FormerCommit(lib.program, n, con.memory_size, con.variant)
    t = time.process_time()
    new = con.next_step(canvas)
    t_new = time.process_time() - t
    t = time.process_time()
    old = former.next_step(canvas)
    t_old = time.process_time() - t
    assert new == old
    return t_new, t_old


def end_to_end(n: int) -> tuple[float, float, int, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    _, inputs, ref, con = setup(n)
    res = con.process().run(con.initial_canvas(inputs), con.limits(Resources.of_pram(ref.counters)))
    assert con.decode(res.final) == ref.output
    return (time.perf_counter() - wall, time.process_time() - cpu, res.counters.steps,
            res.counters.max_context)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--g-n", type=int, default=1024)
    parser.add_argument("--commit-n", type=int, default=2000)
    parser.add_argument("--n", type=int, default=10_000)
    args = parser.parse_args(argv)
    print("process CPU time (best of 2 alternating rounds for the g loop); BLAS threads "
          "pinned to 1")
    failures = 0
    t_new, t_old, positions = g_loop(args.g_n)
    ratio = t_old / t_new
    failures += ratio < 5
    print(f"g loop, Theorem 4 {PROGRAM} n={args.g_n}: {positions} positions; "
          f"now {positions / t_new:,.0f} positions/s, before {positions / t_old:,.0f} "
          f"positions/s: {ratio:.1f}x (target >= 5x: {'ok' if ratio >= 5 else 'MISSED'})")
    c_new, c_old = commit_step(args.commit_n)
    print(f"commit step n={args.commit_n}: now {c_new:.4f} s, former scan {c_old:.3f} s "
          f"({c_old / c_new:.0f}x)")
    wall, cpu, steps, context = end_to_end(args.n)
    failures += wall > 60
    print(f"end to end, plain Theorem 4 {PROGRAM} n={args.n} (context {context}, {steps} "
          f"AP-MDM steps): {wall:.1f} s wall, {cpu:.1f} s CPU "
          f"(target <= 60 s: {'ok' if wall <= 60 else 'MISSED'})")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

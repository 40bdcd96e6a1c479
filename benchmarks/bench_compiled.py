"""Compiled Theorem 1 / Theorem 4 runs at scale, beside the dense exact pass in the same run.

Targets (this machine, 2 cores, shared): compiled Theorem 4 prefix-sum at n = 4096 (context
12,288) and compiled Theorem 1 prefix-sum at n = 1024 each within 10 minutes, and the forward
pass at least 70% of a compiled check's time.

For each ``(theorem, n)`` the script

1. compiles the construction for n (word size from n and the declared T(n), S(n) only);
2. runs the generation process with the compiled transformer as f (incremental encode,
   tokens decoded only where g reads them, exact attention without the n x n scores where a
   head allows it), decodes the answer and compares it with the PRAM interpreter's: the
   *run* time, and the share of it spent in the forward pass;
3. times the forward pass with the fast attention paths and the dense exact pass
   (``fast=False``, the reference) on the same canvases sampled from the run (``--samples``;
   residual streams asserted equal), and prints the ratio and the dense run's projected time
   (run time - fast forward time + steps x mean dense forward time): the dense pass is not
   run over the whole run at these sizes;
4. with ``--check`` (on by default at the check sizes): the compiled *check*
   (:func:`apmdm.checks.pram_cases.check_case` with the differential runner: on every step the
   plain-Python reference f runs on the same canvas and the outputs must agree), its time and
   the forward pass's share of it, in wall-clock time and in process CPU time (the CPU share
   does not move when other jobs hold the cores).

BLAS threads are pinned to 1 (OPENBLAS/OMP/MKL_NUM_THREADS, set before numpy loads), so the
process's CPU time is its single-core time; the script prints it beside the wall-clock time,
which on a shared machine also counts the time other processes held the cores.

Usage: ``python benchmarks/bench_compiled.py [--quick] [--samples 3]
[--runs thm4:4096 thm1:1024] [--checks thm1:64 thm4:256]``
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402

import numpy as np  # noqa: E402

import apmdm.machines.transformer.model as model_module  # noqa: E402
from apmdm.checks.compiled import compiled_apmdm_runner, compiled_mdm_runner  # noqa: E402
from apmdm.checks.pram_cases import PramCase, check_case  # noqa: E402
from apmdm.constructions.pram.compiled.apmdm import compile_apmdm_efasp  # noqa: E402
from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp  # noqa: E402
from apmdm.machines.pram import PRAM  # noqa: E402
from apmdm.machines.pram.library import LIBRARY  # noqa: E402
from apmdm.machines.transformer import forward  # noqa: E402

PROGRAM = "prefix-sum"
RUNS, QUICK_RUNS = ("thm4:4096", "thm1:1024"), ("thm4:1024", "thm1:256")
CHECKS, QUICK_CHECKS = ("thm1:64", "thm4:256", "thm4:1024"), ("thm1:32", "thm4:256")


class ForwardTimer:
    """Wraps the forward pass the next-step function calls; accumulates its time."""

    def __init__(self) -> None:
        self.seconds, self.cpu, self.calls = 0.0, 0.0, 0
        self._orig = model_module.forward

    def __enter__(self) -> ForwardTimer:
        def timed(*args, **kwargs):
            t, c = time.perf_counter(), time.process_time()
            try:
                return self._orig(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - t
                self.cpu += time.process_time() - c
                self.calls += 1
        model_module.forward = timed
        return self

    def __exit__(self, *exc) -> None:
        model_module.forward = self._orig


@dataclass(frozen=True)
class Target:
    theorem: str
    n: int

    @classmethod
    def parse(cls, text: str) -> Target:
        thm, n = text.split(":")
        return cls(thm.removeprefix("thm"), int(n))

    def case(self) -> PramCase:
        lib = LIBRARY[PROGRAM]
        b = lib.bounds.at(self.n)
        inputs = tuple(lib.make_input(self.n, random.Random(f"bench:{self.n}")))
        return PramCase(PROGRAM, lib.program, inputs, lib.variant, self.n, b.time,
                        max(b.memory, 1))

    def compile(self, case: PramCase):
        if self.theorem == "1":
            return compile_mdm_efasp(case.program, self.n, case.time_bound, case.variant,
                                     case.memory_bound)
        return compile_apmdm_efasp(case.program, self.n, case.memory_bound, case.time_bound,
                                   case.variant)


def bench_run(target: Target, samples: int, progress: bool = False) -> None:
    case = target.case()
    t0 = time.perf_counter()
    con = target.compile(case)
    t1, c1 = time.perf_counter(), time.process_time()
    start = con.initial_canvas(case.inputs)
    picked: list = []
    steps = 0
    with ForwardTimer() as fw:
        for rec in con.process().run_stepwise(start, con.limits()):
            steps += 1
            picked.append(rec.before)
            if len(picked) > 2 * samples:       # keep a spread of canvases, not all of them
                picked = picked[::2]
            final = rec.after
            if progress and steps % 10 == 0:
                print(f"  .. step {steps}, {time.perf_counter() - t1:.0f} s", flush=True)
    t2, c2 = time.perf_counter(), time.process_time()
    ok = con.decode(final) == PRAM(case.program, case.variant).run(case.inputs).output
    spec, codec = con.compiled.spec, con.compiled.transformer.codec
    chosen = picked[:: max(1, len(picked) // samples)][:samples]
    fast_t = dense_t = 0.0
    for canvas in chosen:
        fields = codec.encode_canvas(canvas)
        a = time.perf_counter()
        r_fast = forward(spec, fields)
        b = time.perf_counter()
        r_dense = forward(spec, fields, fast=False)
        c = time.perf_counter()
        assert np.array_equal(r_fast.num, r_dense.num), "fast and dense passes differ"
        fast_t += b - a
        dense_t += c - b
    run = t2 - t1
    per_fast, per_dense = fast_t / len(chosen), dense_t / len(chosen)
    projected = run - fw.seconds + steps * per_dense
    print(f"thm{target.theorem} {PROGRAM} n={target.n}: context {con.context}, steps {steps}, "
          f"word {con.word_bits} bits, depth {spec.depth}, width {spec.width}; "
          f"answer {'= PRAM' if ok else 'DIFFERS'}")
    print(f"  compile {t1 - t0:.1f} s, run {run:.1f} s wall, {c2 - c1:.1f} s CPU (forward "
          f"{fw.seconds:.1f} s = {100 * fw.seconds / run:.0f}% of the run, {fw.calls} passes)")
    print(f"  one forward pass on {len(chosen)} sampled canvases: fast {per_fast:.3f} s, "
          f"dense {per_dense:.3f} s, dense/fast {per_dense / per_fast:.1f}x; dense run "
          f"projected {projected:.0f} s")


def bench_check(target: Target) -> None:
    case = target.case()
    case.reference()
    runner = compiled_mdm_runner() if target.theorem == "1" else compiled_apmdm_runner()
    with ForwardTimer() as fw:
        t, c = time.perf_counter(), time.process_time()
        row = check_case(target.theorem, "bench", case, runner)
        total, cpu = time.perf_counter() - t, time.process_time() - c
    print(f"check thm{target.theorem} {PROGRAM} n={target.n}: {'holds' if row.ok else 'FAILS'}"
          f", {total:.1f} s wall ({cpu:.1f} s CPU), forward pass {fw.seconds:.1f} s = "
          f"{100 * fw.seconds / total:.0f}% of the check (CPU: {fw.cpu:.1f} s = "
          f"{100 * fw.cpu / cpu:.0f}%; steps {row.measured['steps']}, "
          f"context {row.measured['context']})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--samples", type=int, default=3)
    ap.add_argument("--runs", nargs="*")
    ap.add_argument("--checks", nargs="*")
    ap.add_argument("--progress", action="store_true", help="print every 10th step")
    args = ap.parse_args()
    runs = args.runs if args.runs is not None else (QUICK_RUNS if args.quick else RUNS)
    checks = args.checks if args.checks is not None else (QUICK_CHECKS if args.quick
                                                           else CHECKS)
    print("BLAS threads pinned to 1 (OPENBLAS_NUM_THREADS = OMP_NUM_THREADS = "
          "MKL_NUM_THREADS = 1); times are wall-clock seconds on a shared machine")
    for text in checks:
        bench_check(Target.parse(text))
    for text in runs:
        bench_run(Target.parse(text), args.samples, args.progress)


if __name__ == "__main__":
    main()

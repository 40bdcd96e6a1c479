"""Forward-pass throughput of the exact AHA transformer vs numpy's float64 matmul.

For canvas lengths 256, 1024, 4096 (or the nearest length a model can be built for) this
times the exact forward pass (best of ``--repeat`` runs after one warm-up run) and reports
the achieved GFLOP/s of the matrix products that pass performed, beside the GFLOP/s numpy
reaches on an ``n x n`` float64 matmul in the same run. Target: ratio >= 0.5 at n >= 1024.

Flops are those the pass counts in ``ForwardResult.flops`` (``2 m k n`` per ``m x k`` by
``k x n`` product; ``m n`` for a score product of dimension 1, which is an outer product):
attention = the Q/K/V projections, the scores ``q k^T`` and the 0/1 products ``A [V | 1]``
it computed; MLP = ``x W1`` and ``h W2``. Work the pass skips is not counted (the
arg-max of a distinct query row only, a gather for a unique maximum: see "Evaluation order"
in :mod:`machines.transformer.forward`). ``dense GF`` is, for comparison, what the
plain evaluation (every row, 0/1 matrix products for every head, full weight matrices)
multiplies, and ``dense ratio`` = ``dense GF / time`` over numpy's rate: the fraction of
matmul throughput the plain evaluation would need to finish in the measured time. It is
not an achieved rate: those flops are not performed.

Models:

* ``histogram``, ``sort``: E-FASP example programs compiled with ``max_length = n`` on a
  random canvas of length ``n``;
* ``parity``: the compiled parity elimination step (:mod:`constructions.tasks.parity_compiled`)
  on ``BOS`` + ``n - 1`` random bits;
* ``thm1``: the compiled Theorem-1 next-step transformer (PRAM -> MDM) of the library
  program ``list-rank``, with the size ``m`` whose context is nearest to ``n``; the canvas
  is the one the reference run reaches half way (every step of the run is a forward pass on
  a canvas of the full context);
* ``thm4``: the compiled Theorem-4 next-step transformer (PRAM -> AP-MDM) of ``list-rank``
  with the size ``m`` whose context is nearest to ``n`` (``4 m``), on the reference run's
  half-way canvas; ``thm4-dyck-k`` and ``thm4-matmul-int`` likewise for the library programs
  ``dyck-k`` (context ``6 m + 1``) and ``matmul-int`` (dimension ``m``), whose compiled
  transformers are the widest of the library (1,100 to 2,600 dimensions: many
  instructions and registers whose bits ``mul`` and ``div`` read).

Usage: ``python benchmarks/bench_forward.py [--sizes 256 1024 4096] [--repeat 3]
[--models thm1 parity ...] [--quick]`` (``--quick``: sizes 256 1024, one timed run).
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from apmdm.constructions.efasp import compile_program
from apmdm.constructions.efasp.programs import EXAMPLES, random_canvas
from apmdm.machines.errors import ApmdmError
from apmdm.machines.transformer import TransformerSpec, forward

THM_PROGRAM = "list-rank"


@dataclass(frozen=True)
class Bench:
    """A compiled model and the canvas to time it on."""

    label: str
    spec: TransformerSpec
    fields: np.ndarray
    length: int


def dense_flops(spec: TransformerSpec, n: int) -> tuple[float, float]:
    """(attention, MLP) flops of the plain dense evaluation at length n: projections,
    ``Q K^T`` and ``A V`` for every row of every head, both MLP products in full."""
    d = spec.width
    attn = mlp = 0.0
    for layer in spec.layers:
        for h in layer.heads:
            k, v = h.w_q.shape[1], h.w_v.shape[1]
            attn += 2 * n * d * (2 * k + v) + 2 * n * n * k + 2 * n * n * v
        if layer.mlp is not None:
            mlp += 4.0 * n * d * layer.mlp.width
    return attn, mlp


def best_time(fn: Callable[[], Any], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def numpy_matmul_gflops(n: int, repeat: int) -> float:
    a = np.random.default_rng(0).random((n, n))
    b = np.random.default_rng(1).random((n, n))
    a @ b  # warm up BLAS threads
    reps = max(repeat, int(2e9 // (2 * n ** 3)) + 1)  # at least ~2 GFLOP of work
    return 2.0 * n ** 3 / best_time(lambda: a @ b, reps) / 1e9


def _bench(label: str, model: Any, canvas: tuple) -> Bench:
    fields = model.transformer.codec.encode_canvas(canvas)
    return Bench(label, model.spec, fields, len(canvas))


def _example(name: str, n: int) -> Bench:
    model = compile_program(EXAMPLES[name][0](n), n)
    return _bench(name, model, random_canvas(name, n, n, random.Random(0)))


def _parity(n: int) -> Bench:
    from apmdm.constructions.tasks.parity import BOS
    from apmdm.constructions.tasks.parity_compiled import compile_parity
    rng = random.Random(0)
    canvas = (BOS,) + tuple(rng.randint(0, 1) for _ in range(n - 1))
    return _bench("parity", compile_parity(n - 1), canvas)


def _half_way(process: Any, canvas: tuple, limits: Any) -> tuple:
    records = list(process.run_stepwise(canvas, limits))
    return records[len(records) // 2].before if records else canvas


def _thm1(n: int) -> Bench:
    from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
    from apmdm.constructions.pram.mdm import PramToMDM
    from apmdm.machines.pram.library import get_program
    lib = get_program(THM_PROGRAM)

    def context(m: int) -> int:
        return PramToMDM(lib.program, lib.input_length(m), lib.bounds.at(m).time,
                         lib.variant).context

    m = 1
    while context(m + 1) <= n or abs(context(m + 1) - n) < abs(context(m) - n):
        m += 1
    b = lib.bounds.at(m)
    con = compile_mdm_efasp(lib.program, lib.input_length(m), b.time, lib.variant,
                            max(b.memory, 1))
    start = con.initial_canvas(lib.make_input(m, random.Random(0)))
    canvas = _half_way(con.reference.process(), start, con.limits())
    return _bench(f"thm1 {THM_PROGRAM} m={m}", con.compiled, canvas)


def _thm4(n: int, program: str = THM_PROGRAM) -> Bench:
    from apmdm.constructions.pram.apmdm import PramToAPMDM
    from apmdm.constructions.pram.compiled.apmdm import compile_apmdm_efasp
    from apmdm.machines.pram.library import get_program
    lib = get_program(program)

    def memory(m: int) -> int:
        return max(lib.bounds.at(m).memory, lib.input_length(m), 1)

    def context(m: int) -> int:
        return PramToAPMDM(lib.program, lib.input_length(m), memory(m), lib.variant).context

    m = 1
    while context(m + 1) <= n or abs(context(m + 1) - n) < abs(context(m) - n):
        m += 1
    b, length = lib.bounds.at(m), lib.input_length(m)
    con = compile_apmdm_efasp(lib.program, length, memory(m), b.time, lib.variant)
    start = con.initial_canvas(lib.make_input(m, random.Random(0)))
    canvas = _half_way(con.reference.process(), start, con.limits())
    return _bench(f"thm4 {program} m={m}", con.compiled, canvas)


BUILDERS: dict[str, Callable[[int], Bench]] = {
    "histogram": lambda n: _example("histogram", n),
    "sort": lambda n: _example("sort", n),
    "parity": _parity,
    "thm1": _thm1,
    "thm4": _thm4,
    "thm4-dyck-k": lambda n: _thm4(n, "dyck-k"),
    "thm4-matmul-int": lambda n: _thm4(n, "matmul-int"),
}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=None)
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--models", nargs="+", choices=sorted(BUILDERS), default=list(BUILDERS))
    ap.add_argument("--quick", action="store_true", help="sizes 256 1024, one timed run")
    args = ap.parse_args(argv)
    sizes = args.sizes or ([256, 1024] if args.quick else [256, 1024, 4096])
    repeat = args.repeat or (1 if args.quick else 3)
    print(f"{'n':>5} {'model':<22} {'canvas':>6} {'width':>5} {'depth':>5} {'time s':>8} "
          f"{'attn GF':>8} {'mlp GF':>8} {'GFLOP/s':>8} {'matmul GFLOP/s':>14} {'ratio':>6} "
          f"{'dense GF':>9} {'dense ratio':>11}")
    for n in sizes:
        ref = numpy_matmul_gflops(n, repeat)
        for name in args.models:
            try:
                b = BUILDERS[name](n)
            except (ApmdmError, MemoryError) as exc:
                print(f"{n:>5} {name:<22} skipped: {type(exc).__name__}: {exc}")
                continue
            res = forward(b.spec, b.fields)  # warm-up; the pass is deterministic
            t = best_time(lambda b=b: forward(b.spec, b.fields), repeat)
            attn, mlp = res.flops["attention"], res.flops["mlp"]
            rate = (attn + mlp) / t / 1e9
            dense = sum(dense_flops(b.spec, b.length))
            print(f"{n:>5} {b.label:<22} {b.length:>6} {b.spec.width:>5} {b.spec.depth:>5} "
                  f"{t:>8.4f} {attn / 1e9:>8.3f} {mlp / 1e9:>8.3f} {rate:>8.2f} {ref:>14.2f} "
                  f"{rate / ref:>6.3f} {dense / 1e9:>9.3f} {dense / t / 1e9 / ref:>11.3f}",
                  flush=True)


if __name__ == "__main__":
    main()

"""Forward-pass throughput of the exact AHA transformer vs numpy's float64 matmul.

For canvas lengths 256, 1024, 4096 this compiles E-FASP example programs with
``max_length = n``, times the exact forward pass on a random canvas of length ``n`` and
reports the achieved GFLOP/s of its matrix products (attention: Q/K/V projections,
``Q K^T``, ``A V``; MLP: ``x W1``, ``h W2``), beside the GFLOP/s numpy reaches on an
``n x n`` float64 matmul in the same run. Target: ratio >= 0.5 at n >= 1024.

Usage: ``python benchmarks/bench_forward.py [--sizes 256 1024 4096] [--repeat 3]``.
Models: ``histogram`` (width Theta(log n): the shape of our constructions; its products
are thin, so memory-bound), ``sort`` (width Theta(n): MLP-dominated, n <= 1024 only, its
weight matrices exceed memory beyond that).
"""

from __future__ import annotations

import argparse
import random
import time

import numpy as np

from constructions.efasp import compile_program
from constructions.efasp.programs import EXAMPLES, random_canvas
from machines.transformer import TransformerSpec, forward


def matmul_flops(spec: TransformerSpec, n: int) -> tuple[float, float]:
    """(attention flops, MLP flops) of one forward pass at length n."""
    d = spec.width
    attn = mlp = 0.0
    for layer in spec.layers:
        for h in layer.heads:
            k, v = h.w_q.shape[1], h.w_v.shape[1]
            attn += 2 * n * d * (2 * k + v) + 2 * n * n * k + 2 * n * n * v
        if layer.mlp is not None:
            mlp += 4.0 * n * d * layer.mlp.width
    return attn, mlp


def best_time(fn, repeat: int) -> float:
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


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 1024, 4096])
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    print(f"{'n':>5} {'model':>10} {'width':>6} {'depth':>5} {'time s':>8} {'attn GF':>8} "
          f"{'mlp GF':>8} {'GFLOP/s':>8} {'matmul GFLOP/s':>15} {'ratio':>6}")
    for n in args.sizes:
        ref = numpy_matmul_gflops(n, args.repeat)
        for name in ("histogram", "sort"):
            if name == "sort" and n > 1024:
                print(f"{n:>5} {name:>10}  skipped: width 4n+3 needs a {4 * n}x{3 * n} "
                      "weight block per layer")
                continue
            model = compile_program(EXAMPLES[name][0](n), n)
            canvas = random_canvas(name, n, n, random.Random(0))
            fields = model.transformer.codec.encode_canvas(canvas)
            t = best_time(lambda m=model, f=fields: forward(m.spec, f), args.repeat)
            attn, mlp = matmul_flops(model.spec, n)
            rate = (attn + mlp) / t / 1e9
            print(f"{n:>5} {name:>10} {model.spec.width:>6} {model.spec.depth:>5} {t:>8.3f} "
                  f"{attn / 1e9:>8.3f} {mlp / 1e9:>8.3f} {rate:>8.2f} {ref:>15.2f} "
                  f"{rate / ref:>6.3f}")


if __name__ == "__main__":
    main()

"""The vectorised PRAM engine against numpy same-rounds references and the scalar loop.

For prefix-sum, bitonic-sort and connected-components at ``--n`` (default 4096; for connected
components n is the number of vertices, input length 2n) it times, in alternating rounds of
one process:

* ``PRAM.run`` (the vectorised engine, :mod:`machines.pram.vector`);
* a numpy reference that runs the same algorithm in the same rounds on whole arrays
  (Hillis–Steele doubling rounds; the flip-form bitonic network stage by stage;
  Awerbuch–Shiloach iterations of star test, conditional and unconditional hooking and
  shortcutting, then the minimum-label step), checked against the library's oracle;
* at ``--scalar-n`` (default 512, the scalar loop takes minutes at 4096) the scalar reference
  loop ``PRAM.run_scalar`` against ``PRAM.run``.

Target (issue 14): vectorised / numpy reference <= 30 at n = 4096 for all three programs.
BLAS threads are pinned to 1 (the timings are single-threaded numpy).

    python benchmarks/pram_vector.py [--n 4096] [--scalar-n 512] [--rounds 9]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Sequence  # noqa: E402
from functools import partial  # noqa: E402

import numpy as np  # noqa: E402

from apmdm.machines.pram import PRAM  # noqa: E402
from apmdm.machines.pram.library import LIBRARY  # noqa: E402

TARGET = 30.0


def numpy_prefix_sum(inputs: Sequence[int]) -> tuple[int, ...]:
    x = np.array(inputs, dtype=np.int64)
    d = 1
    while d < x.size:
        x[d:] = x[d:] + x[:-d]
        d *= 2
    return tuple(x.tolist())


def numpy_bitonic_sort(inputs: Sequence[int]) -> tuple[int, ...]:
    """The flip-form network of ``kit.bitonic_sort``: stage k compares i with i ^ (k - 1),
    then i with i ^ j for j = k/4 .. 1; cells beyond the input are +infinity."""
    n = len(inputs)
    size = 1 << max(0, (n - 1).bit_length())
    x = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    x[:n] = inputs
    i = np.arange(size)
    k = 2
    while k <= size:
        j = k - 1
        while j:
            part = i ^ j
            lo = i[i < part]
            hi = part[i < part]
            a, b = x[lo], x[hi]
            x[lo], x[hi] = np.minimum(a, b), np.maximum(a, b)
            j = (k // 4) if j == k - 1 else j // 2
        k *= 2
    return tuple(x[:n].tolist())


def _stars(d: np.ndarray) -> np.ndarray:
    star = np.ones(d.size, dtype=bool)
    dd = d[d]
    deep = d != dd
    star[deep] = False
    star[dd[deep]] = False
    return star & star[d]


def numpy_components(inputs: Sequence[int]) -> tuple[int, ...]:
    """Awerbuch–Shiloach, one arc per lane; concurrent writes: the highest lane wins."""
    e = np.array(inputs, dtype=np.int64)
    n = e.size // 2
    u, v = e, e[np.arange(e.size) ^ 1]
    d = np.arange(n, dtype=np.int64)
    while True:
        changed = False
        for test in (np.less, np.not_equal):
            star = _stars(d)
            du, dv = d[u], d[v]
            hook = star[u] & test(dv, du)
            if hook.any():
                d[du[hook]] = dv[hook]
                changed = True
        dd = d[d]
        if (dd != d).any():
            changed = True
        d = dd
        if not changed:
            break
    label = np.empty(n, dtype=np.int64)
    w = np.arange(n - 1, -1, -1)
    label[d[w]] = w  # the last (smallest) w wins
    return tuple(label[d].tolist())


REFERENCES: dict[str, Callable[[Sequence[int]], tuple[int, ...]]] = {
    "prefix-sum": numpy_prefix_sum,
    "bitonic-sort": numpy_bitonic_sort,
    "connected-components": numpy_components,
}


def best_of(rounds: int, *calls: Callable[[], object]) -> list[float]:
    """Best CPU time (``time.process_time``: this process only, so other jobs on a shared
    machine do not count) of each call over ``rounds`` alternating rounds."""
    best = [float("inf")] * len(calls)
    for _ in range(rounds):
        for k, call in enumerate(calls):
            t = time.process_time()
            call()
            best[k] = min(best[k], time.process_time() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=4096)
    parser.add_argument("--scalar-n", type=int, default=512)
    parser.add_argument("--rounds", type=int, default=9)
    args = parser.parse_args(argv)
    print("BLAS threads pinned to 1 (OPENBLAS/OMP/MKL_NUM_THREADS=1); best process CPU time "
          f"of {args.rounds} alternating rounds")
    print(f"{'program':22s} {'n':>6s} {'T':>6s} {'vectorised s':>13s} {'numpy ref s':>12s} "
          f"{'ratio':>7s} {'target':>7s}")
    failures = 0
    for name, reference in REFERENCES.items():
        lib = LIBRARY[name]
        inputs = lib.make_input(args.n, random.Random(f"bench:{name}"))
        machine = PRAM(lib.program, lib.variant)
        result = machine.run(inputs)
        expected = lib.oracle(inputs)
        if result.output != expected or reference(inputs) != expected:
            print(f"{name}: WRONG OUTPUT (engine or reference disagrees with the oracle)")
            failures += 1
            continue
        t_vec, t_ref = best_of(args.rounds, partial(machine.run, inputs),
                               partial(reference, inputs))
        ratio = t_vec / t_ref
        ok = ratio <= TARGET
        failures += not ok
        print(f"{name:22s} {args.n:6d} {result.counters.time:6d} {t_vec:13.4f} {t_ref:12.5f} "
              f"{ratio:7.1f} {'<= 30 ' + ('ok' if ok else 'MISSED'):>7s}")
    print(f"\nscalar reference loop vs vectorised at n = {args.scalar_n}")
    print(f"{'program':22s} {'n':>6s} {'scalar s':>10s} {'vectorised s':>13s} {'speed-up':>9s}")
    for name in REFERENCES:
        lib = LIBRARY[name]
        inputs = lib.make_input(args.scalar_n, random.Random(f"bench:{name}"))
        machine = PRAM(lib.program, lib.variant)
        if machine.run(inputs) != machine.run_scalar(inputs):
            print(f"{name}: the engines DISAGREE")
            failures += 1
            continue
        t_scalar, t_vec = best_of(1, partial(machine.run_scalar, inputs),
                                  partial(machine.run, inputs))
        print(f"{name:22s} {args.scalar_n:6d} {t_scalar:10.3f} {t_vec:13.4f} "
              f"{t_scalar / t_vec:9.0f}x")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

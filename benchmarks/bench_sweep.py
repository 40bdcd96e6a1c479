"""Sweep throughput: cells per second in-process (1 worker) and on a local Dask cluster (2).

The plan (fixed, every cell independent): AP-MDM and MDM on ``sum`` and ``prefix-sum`` at
n = 4..256, and the TM AP-MDM on 0^k1^k at n = 4..64. It runs once in-process
(``--workers 1``: no Dask), then once on a loopback-only local cluster of 2 single-threaded
worker processes. Reported: cells/s for each, the ratio 2-worker / 1-worker, and the cluster's
start-up time separately (a sweep pays it once; it includes importing apmdm on each worker).
The results of both runs are compared (same records, same order). Target [decision]: ratio
>= 1.6 on an otherwise idle 2-core machine (cells are independent; the gap to 2.0 is
scheduling, pickling and the imbalance of the largest cells). BLAS threads are pinned to 1.
On a machine shared with other sessions the ratio says little: with the kernel's autogroup
scheduling, all processes of one session share that session's CPU share, so 2 workers get no
more CPU than 1 process; "cells running at once" (about 2 when both workers stay busy) shows
that the cluster does run cells in parallel.

Usage: ``python benchmarks/bench_sweep.py [--n 4..256]`` (needs the ``[cluster]`` extra).
"""

from __future__ import annotations

import argparse
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import time  # noqa: E402

from apmdm.checks.sweep.plan import build_plan, parse_sizes  # noqa: E402
from apmdm.checks.sweep.runner import local_cluster, run_plan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="4..256")
    args = parser.parse_args()
    sizes = parse_sizes(args.n)
    pram = build_plan(["pram-apmdm", "pram-mdm"], {"pram": ["sum", "prefix-sum"]}, sizes, 0)
    tm = build_plan(["tm-apmdm"], {"tm": ["zeros-then-ones"]},
                    tuple(n for n in sizes if n <= 64), 0)
    plan = type(pram)(pram.cells + tm.cells)
    print(f"bench_sweep: {len(plan)} cells, BLAS threads pinned to 1, {os.cpu_count()} cores")

    start = time.perf_counter()
    one = run_plan(plan, workers=1)
    t1 = time.perf_counter() - start
    print(f"1 worker (in-process): {t1:7.2f} s  {len(plan) / t1:6.2f} cells/s")

    start = time.perf_counter()
    cluster = local_cluster(2)
    warm = build_plan(["pram-apmdm"], {"pram": ["sum"]}, (2, 3), 0)   # imports on each worker
    run_plan(warm, scheduler=cluster.scheduler_address)
    startup = time.perf_counter() - start
    try:
        start = time.perf_counter()
        two = run_plan(plan, scheduler=cluster.scheduler_address)
        t2 = time.perf_counter() - start
    finally:
        cluster.close()
    print(f"2 workers (Dask):      {t2:7.2f} s  {len(plan) / t2:6.2f} cells/s  "
          f"(+ {startup:.2f} s cluster start-up)")
    busy = sum(r.seconds for r in two) / t2
    print(f"cells running at once on 2 workers (sum of cell times / wall): {busy:.2f}")
    same = [r.record for r in one] == [r.record for r in two]
    print(f"ratio 2/1 workers: {t1 / t2:.2f} (with start-up: {t1 / (t2 + startup):.2f}); "
          f"records identical: {same}")


if __name__ == "__main__":
    main()

"""Theorem 2 on the PRAM interpreter: measured T against S, beside the cost model's ops.

For the worst-case locator MDM (``left_to_right_mdm`` on ``B`` + S−1 masks: S−1 passes) at
``--sizes`` and for compiled Theorem-1 MDMs at ``--thm1`` (``program:n``), the script runs
:func:`apmdm.checks.theorem2_pram.check_pram_run` (PRAM final canvas = MDM machine's, T =
the loop formula) and prints S, passes, T, T/(c_P·S³), T/(c_P·S³·ℓ(S)), the share of T
in the S²-per-pass terms of the exact formula (scores, maximum, member tests: what makes
the S³), the cost model's ops and T/ops, the local slope d log T / d log S between
consecutive sizes, the interpreter's speed (instructions per CPU-second) and the CPU time.

Usage: ``python benchmarks/theorem2_pram.py [--sizes 4 8 16 32 64] [--thm1 sum:1 sum:2]``
(S = 64 takes about 75 CPU-seconds, ``sum:2`` 50, ``prefix-sum:2`` 120; BLAS threads
pinned to 1).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import math  # noqa: E402
import time  # noqa: E402

from apmdm.checks.theorem2_pram import check_pram_run, theorem1_instance  # noqa: E402
from apmdm.constructions.serial.nets import left_to_right_mdm, masked_canvas  # noqa: E402
from apmdm.constructions.serial.pram_forward import mdm_program, network_counts  # noqa: E402
from apmdm.theory.theorem2 import log_factor  # noqa: E402


def quadratic_share(model, s: int, passes: int) -> float:
    """The part of T spent in loops that run S² times per head and pass (exact formula)."""
    c, net = mdm_program().costs, network_counts(model)
    per_pair = 0
    for heads in net.heads:
        for k, *_ in heads:
            per_pair += (c["score_head"] + c["loop_setup"] + k * (c["score_term"] + c["loop_step"])
                         + c["score_store"] + c["loop_idx_step"]          # score loop
                         + c["max_term"] + c["loop_step"]                 # maximum
                         + c["member_test"] + c["loop_idx_step"])         # member test
    return passes * s * s * per_pair


def row(label: str, model, canvas) -> tuple[int, int]:
    t0 = time.process_time()
    res = check_pram_run(model, canvas)
    cpu = time.process_time() - t0
    s = res.size
    quad = quadratic_share(model, s, res.passes) / res.time
    print(f"{label:22s} S={s:3d} passes={res.passes:3d} T={res.time:11d} ok={res.ok} "
          f"T/(c_P S^3)={res.time / (res.constant * s**3):.3f} "
          f"T/bound={res.time / (res.constant * s**3 * log_factor(s)):.4f} "
          f"S^2-terms={quad:.2f} ops={res.ops:10d} T/ops={res.time / max(res.ops, 1):.2f} "
          f"c_P={res.constant} cpu={cpu:.1f}s")
    return s, res.time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="*", default=[4, 8, 16, 32])
    p.add_argument("--thm1", nargs="*", default=["sum:1"])
    args = p.parse_args()
    start = time.process_time()
    points = [row("left-to-right-mdm", left_to_right_mdm(), masked_canvas(s))
              for s in args.sizes]
    for (s0, t0), (s1, t1) in zip(points, points[1:], strict=False):
        print(f"  slope d log T / d log S, S {s0}->{s1}: "
              f"{math.log(t1 / t0) / math.log(s1 / s0):.2f}")
    for spec in args.thm1:
        name, n = spec.split(":")
        inst = theorem1_instance(name, int(n))
        points.append(row(f"{inst.label} n={n}", inst.model, inst.canvas))
    cpu = time.process_time() - start
    total = sum(t for _, t in points)
    print(f"total T {total}, CPU {cpu:.1f}s, {total / cpu:.0f} PRAM instructions per "
          "CPU-second (the MDM machine and cost model runs included in the CPU time)")


if __name__ == "__main__":
    main()

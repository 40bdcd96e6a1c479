"""Acceptance sweeps for the task processes (parity, Sudoku, min-cut), printing figures.

    python benchmarks/tasks_sweep.py [--quick] [--only parity|sudoku|mincut] [--workers 2]

* parity: 1,000 random inputs, n uniform in 1..10,000 (the first 10 with n = 10,000);
* Sudoku: 200 random 9×9 unique-solution puzzles, 50 4×4, 10 16×16 (seeded generator),
  answer = the generator's unique solution and an independent validity check;
* min-cut: 500 random digraphs with 4..30 vertices, checked against networkx.

For each: accuracy, sizes, steps (mean / max, and the largest steps/bound ratio), max context
next to the tokens written (unmask operations) and all edit operations, wall time. Ratios,
not assertions: the tests assert correctness, this script measures.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from apmdm.constructions.tasks.mincut import (
    mincut_context_bound,
    mincut_step_bound,
    random_instance,
    run_mincut,
)
from apmdm.constructions.tasks.parity import parity_step_bound, run_parity
from apmdm.constructions.tasks.sudoku import (
    SUDOKU_PROCESS,
    read_sudoku_canvas,
    sudoku_canvas,
    sudoku_limits,
)
from apmdm.constructions.tasks.sudoku_puzzles import generate_puzzle, is_valid_solution


def _parity_job(args: tuple[int, int]) -> tuple:
    n, seed = args
    rng = random.Random(seed)
    bits = [rng.getrandbits(1) for _ in range(n)]
    t = time.perf_counter()
    r = run_parity(bits)
    return (n, r.correct, r.steps, parity_step_bound(n), r.max_context, r.tokens_written,
            r.edits, time.perf_counter() - t)


def _sudoku_job(args: tuple[int, int]) -> tuple:
    k, seed = args
    g = generate_puzzle(k, seed)
    t = time.perf_counter()
    r = SUDOKU_PROCESS.run(sudoku_canvas(g.puzzle), sudoku_limits(k * k))
    out = read_sudoku_canvas(r.final)
    ok = out.solution == g.solution and is_valid_solution(g.puzzle, out.solution)
    c = r.counters
    return (k * k, ok, c.steps, None, c.max_context, c.tokens_written,
            c.unmasks + c.remasks + c.inserts + c.deletes, time.perf_counter() - t,
            g.puzzle.empty_cells)


def _mincut_job(args: tuple[int, int]) -> tuple:
    n, seed = args
    inst = random_instance(n, seed)
    t = time.perf_counter()
    r = run_mincut(inst)
    bound = mincut_step_bound(inst, r.flow)
    assert r.max_context <= mincut_context_bound(inst)
    return (n, r.correct, r.steps, bound, r.max_context, r.tokens_written, r.edits,
            time.perf_counter() - t, len(inst.edges), r.flow)


def _report(name: str, rows: list[tuple], wall: float) -> None:
    ok = sum(r[1] for r in rows)
    steps = [r[2] for r in rows]
    ratios = [r[2] / r[3] for r in rows if r[3]]
    ctx = [r[4] for r in rows]
    written = [r[5] for r in rows]
    edits = [r[6] for r in rows]
    print(f"{name}: {ok}/{len(rows)} correct ({100 * ok / len(rows):.2f}%), "
          f"sizes {min(r[0] for r in rows)}..{max(r[0] for r in rows)}, wall {wall:.1f}s")
    print(f"  steps mean {statistics.mean(steps):.1f} max {max(steps)}"
          + (f"; max steps/bound {max(ratios):.3f}" if ratios else ""))
    print(f"  max context mean {statistics.mean(ctx):.1f} max {max(ctx)}; tokens written mean "
          f"{statistics.mean(written):.1f} max {max(written)}; edits mean "
          f"{statistics.mean(edits):.1f} max {max(edits)}")
    print(f"  tokens written / max context: mean "
          f"{statistics.mean(w / c for w, c in zip(written, ctx, strict=True)):.2f}, "
          f"edits / max context: mean "
          f"{statistics.mean(e / c for e, c in zip(edits, ctx, strict=True)):.2f}")


def _run(name: str, job, work: list, workers: int) -> list[tuple]:
    t = time.perf_counter()
    if workers > 1:
        with ProcessPoolExecutor(workers) as pool:
            rows = list(pool.map(job, work, chunksize=1))
    else:
        rows = [job(w) for w in work]
    _report(name, rows, time.perf_counter() - t)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="a tenth of each sweep")
    ap.add_argument("--only", choices=("parity", "sudoku", "mincut"))
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    scale = 10 if args.quick else 1
    if args.only in (None, "parity"):
        rng = random.Random(2510)
        count = 1000 // scale
        ns = [10_000] * 10 + [rng.randint(1, 10_000) for _ in range(count - 10)]
        # longest first so the pool balances
        work = sorted(((n, 7919 * i) for i, n in enumerate(ns)), reverse=True)
        _run("parity", _parity_job, work, args.workers)
    if args.only in (None, "sudoku"):
        for k, count in ((2, 50), (3, 200), (4, 10)):
            rows = _run(f"sudoku {k * k}x{k * k}", _sudoku_job,
                        [(k, 50_000 + i) for i in range(max(1, count // scale))], args.workers)
            print(f"  empty cells mean {statistics.mean(r[8] for r in rows):.1f}; "
                  f"ms per step {1000 * sum(r[7] for r in rows) / sum(r[2] for r in rows):.3f}")
    if args.only in (None, "mincut"):
        work = [(4 + i % 27, 90_000 + i) for i in range(500 // scale)]
        rows = _run("mincut", _mincut_job, work, args.workers)
        print(f"  edges mean {statistics.mean(r[8] for r in rows):.1f} max "
              f"{max(r[8] for r in rows)}; max flow mean {statistics.mean(r[9] for r in rows):.2f}"
              f" max {max(r[9] for r in rows)}")


if __name__ == "__main__":
    main()

"""Sweep the PRAM program library: measured T, P, S against the declared bounds.

For every library program and every allowed size (up to ``--max-n``; matrix dimensions up to
``--max-d``) it runs ``--seeds`` random inputs from the program's generator (plus, for
connected components, the adversarial path families that need the most rounds), checks the
output against the oracle, and prints per size the worst measured/bound ratios. The last
table gives the maximum ratio per program over the sweep.

    python benchmarks/sweep_pram_library.py [--max-n 256] [--max-d 16] [--seeds 3]
"""

from __future__ import annotations

import argparse
import random
import sys

from apmdm.machines.pram.library import LIBRARY, LibraryProgram, check_bounds


def path_inputs(n: int, rng: random.Random) -> list[tuple[int, ...]]:
    """Paths through all n vertices: labels in order, reversed, and shuffled."""
    orders = [list(range(n)), list(range(n))[::-1], rng.sample(range(n), n)]
    out = []
    for order in orders:
        flat = [v for a, b in zip(order, order[1:], strict=False) for v in (a, b)]
        out.append(tuple(flat + [0, 0]))
    return out


def instances(lib: LibraryProgram, n: int, seeds: int) -> list[tuple[int, ...]]:
    rng = random.Random(f"sweep:{lib.name}:{n}")
    cases = [lib.make_input(n, rng) for _ in range(seeds)]
    if lib.name == "connected-components" and n >= 2:
        cases += path_inputs(n, rng)
    return cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-n", type=int, default=256)
    parser.add_argument("--max-d", type=int, default=16)
    parser.add_argument("--seeds", type=int, default=3)
    args = parser.parse_args(argv)
    worst: dict[str, dict[str, float]] = {}
    failures = 0
    print(f"{'program':22s} {'n':>4s} {'T':>6s} {'T bound':>8s} {'T ratio':>8s} "
          f"{'P':>6s} {'S':>6s} {'S bound':>8s} {'S ratio':>8s}")
    for name, lib in sorted(LIBRARY.items()):
        limit = args.max_d if name.startswith("matmul") else args.max_n
        for n in (s for s in lib.sizes if s <= limit):
            rows = []
            for inputs in instances(lib, n, args.seeds):
                result = lib.run(inputs)
                verdict = check_bounds(lib, n, result.counters)
                if result.output != lib.oracle(inputs) or not verdict.ok:
                    failures += 1
                    print(f"FAIL {name} n={n}: {verdict.violations or 'wrong output'}")
                rows.append(verdict)
            top = max(rows, key=lambda v: v.ratios["T"])
            s_top = max(rows, key=lambda v: v.ratios["S"])
            print(f"{name:22s} {n:4d} {top.measured['T']:6d} {top.bound['T']:8d} "
                  f"{top.ratios['T']:8.3f} {top.measured['P']:6d} {s_top.measured['S']:6d} "
                  f"{s_top.bound['S']:8d} {s_top.ratios['S']:8.3f}")
            w = worst.setdefault(name, {"T": 0.0, "P": 0.0, "S": 0.0, "T@max_n": 0.0})
            for key in ("T", "P", "S"):
                w[key] = max(w[key], max(v.ratios[key] for v in rows))
            w["T@max_n"] = top.ratios["T"]
    print("\nmax measured/bound over the sweep (T@max_n: T ratio at the largest n)")
    for name, w in sorted(worst.items()):
        print(f"{name:22s} T {w['T']:.3f}  P {w['P']:.3f}  S {w['S']:.3f}  "
              f"T@max_n {w['T@max_n']:.3f}")
    print(f"\n{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

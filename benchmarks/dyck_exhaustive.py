"""Theorem 5: exhaustive support check at larger lengths than `apmdm check` runs.

Usage: python benchmarks/dyck_exhaustive.py K MAX_LENGTH [joint|per-position]
(e.g. 2 12: ~1.7M g-steps for the joint draw; the per-position generator branches over the
product of its per-position laws: 2 10 is ~0.46M g-steps). Prints per even length: reached
words, language size, equal?, (most) steps, context; and the time.
"""

from __future__ import annotations

import sys
import time

from apmdm.constructions.dyck.apmdm import DyckGenerator, explore
from apmdm.constructions.dyck.per_position import PerPositionDyck, explore_per_position
from apmdm.theory.dyck import enumerate_members


def main() -> None:
    k, max_length = int(sys.argv[1]), int(sys.argv[2])
    kind = sys.argv[3] if len(sys.argv) > 3 else "joint"
    if kind not in ("joint", "per-position"):
        raise SystemExit(f"generator must be 'joint' or 'per-position', got {kind!r}")
    t = time.perf_counter()
    if kind == "joint":
        exp = explore(DyckGenerator(k), max_length)
    else:
        exp = explore_per_position(PerPositionDyck(k), max_length)
    seconds = time.perf_counter() - t
    print(f"{kind} k={k} max_length={max_length}: {exp.transitions} g-steps over {exp.canvases} "
          f"canvases in {seconds:.1f} s")
    for n in range(0, max_length + 1, 2):
        lang = set(enumerate_members(k, n))
        got = {w for w in exp.words if len(w) == n}
        print(f"n={n:<3} reached={len(got):<8} language={len(lang):<8} equal={got == lang} "
              f"steps={exp.steps_by_length.get(n)} context={exp.context_by_length.get(n)}")


if __name__ == "__main__":
    main()

"""Theorem 5: exhaustive support check at larger lengths than `apmdm check` runs.

Usage: python benchmarks/dyck_exhaustive.py K MAX_LENGTH   (e.g. 2 12: ~1.3M g-steps)
Prints per even length: reached words, language size, equal?, steps, context; and the time.
"""

from __future__ import annotations

import sys
import time

from apmdm.constructions.dyck.apmdm import DyckGenerator, explore
from apmdm.theory.dyck import enumerate_members


def main() -> None:
    k, max_length = int(sys.argv[1]), int(sys.argv[2])
    t = time.perf_counter()
    exp = explore(DyckGenerator(k), max_length)
    seconds = time.perf_counter() - t
    print(f"k={k} max_length={max_length}: {exp.transitions} g-steps over {exp.canvases} "
          f"canvases in {seconds:.1f} s")
    for n in range(0, max_length + 1, 2):
        lang = set(enumerate_members(k, n))
        got = {w for w in exp.words if len(w) == n}
        print(f"n={n:<3} reached={len(got):<8} language={len(lang):<8} equal={got == lang} "
              f"steps={exp.steps_by_length.get(n)} context={exp.context_by_length.get(n)}")


if __name__ == "__main__":
    main()

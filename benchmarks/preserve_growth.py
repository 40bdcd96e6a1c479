"""PRESERVE (Theorem 6, our reconstruction): how costs grow with the number of edits E.

Prints, per E (mean over seeded instances with n0 = 32, up to 2 touched positions per step):
AP-MDM steps, max and final context; ARM replay context for one query; chain length per
query over all final positions (mean / max); and ratios against the AP-MDM.
Usage: python benchmarks/preserve_growth.py [INSTANCES]
"""

from __future__ import annotations

import sys

from apmdm.constructions.preserve import (
    PreserveARMReplay,
    apmdm_canvas,
    apmdm_process,
    arm_canvas,
    arm_process,
    backward_chain,
    oracle_cells,
    random_instance,
)
from apmdm.machines.process import Limits


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    replay = PreserveARMReplay()
    print("E     apmdm_steps  apmdm_max_ctx  apmdm_final_ctx  arm_ctx  chain_mean  chain_max  "
          "arm_ctx/final_ctx  all_queries_arm_tokens/apmdm_steps")
    for edits in (4, 16, 64, 256, 1024):
        rows = []
        for i in range(count):
            inst = random_instance(1000 * edits + i, 32, edits)
            size = len(apmdm_canvas(inst))
            res = apmdm_process().run(apmdm_canvas(inst), Limits(edits + 8, 4 * size))
            arm = arm_process(replay).run(arm_canvas(replay, inst), Limits(edits + 8, 4 * size))
            chains = [len(backward_chain(inst, q)[1]) for q in range(len(oracle_cells(inst)))]
            rows.append((res.counters.steps, res.counters.max_context,
                         res.counters.final_context, arm.counters.max_context,
                         sum(chains) / len(chains), max(chains), sum(chains) + 2 * len(chains)))
        m = [sum(r[j] for r in rows) / count for j in range(7)]
        print(f"{edits:<5} {m[0]:<12.1f} {m[1]:<14.1f} {m[2]:<16.1f} {m[3]:<8.1f} {m[4]:<11.1f} "
              f"{max(r[5] for r in rows):<10} {m[3] / m[2]:<18.2f} {m[6] / m[0]:.2f}")


if __name__ == "__main__":
    main()

"""Turing-machine run loop: ``TuringMachine.run`` against automata-lib and a tight loop.

For 0^k1^k and palindromes at n = 256 and 1024 (accepted words: the longest runs) it times,
in alternating rounds of one process (best process CPU time of ``--rounds``):

* ``TuringMachine.run`` (the tight loop on integer-coded states and symbols);
* ``TuringMachine.run_reference`` (fast-forwarding the stepwise generator, the old ``run``);
* a tight plain-Python loop written here (dict of rules keyed by (state, symbol), string
  states, a dict tape), the simplest fast simulator;
* automata-lib's ``DTM.accepts_input`` when ``automata-lib`` is installed (the column is
  skipped otherwise: ``pip install automata-lib``).

Every simulator's verdict is compared with ``run``'s. Targets (issue 14): automata-lib / run
>= 50 at n = 256 and >= 100 at n = 1024; run within 1.5x of the tight loop.
No numpy is timed here; BLAS threads are pinned to 1 anyway for uniformity.

    python benchmarks/tm_speed.py [--rounds 3]
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from functools import partial  # noqa: E402

from apmdm.machines.tm_library import palindromes, zeros_then_ones  # noqa: E402
from apmdm.machines.turing import MOVES, TuringMachine  # noqa: E402

TARGETS = {256: 50.0, 1024: 100.0}


def tight_loop(tm: TuringMachine) -> Callable[[str], bool]:
    """The simplest fast simulator: returns accept/reject (no limits, no counters)."""
    table = {(r.state, r.read): (r.next_state, r.write, MOVES[r.move]) for r in tm.rules}
    accept, blank, start = tm.accept_states, tm.blank, tm.initial_state

    def run(word: str) -> bool:
        tape = dict(enumerate(word))
        state, head = start, 0
        get = table.get
        while True:
            rule = get((state, tape.get(head, blank)))
            if rule is None:
                return state in accept
            state, tape[head], move = rule
            head += move

    return run


def automata_loop(tm: TuringMachine) -> Callable[[str], bool] | None:
    try:
        from automata.tm.dtm import DTM
    except ImportError:
        return None
    dtm = DTM(**tm.to_automata_dict())
    return dtm.accepts_input


def palindrome(n: int) -> str:
    half = ("01" * n)[: n // 2]
    return half + half[::-1]


def best_of(rounds: int, calls: list[Callable[[], object]]) -> list[float]:
    best = [float("inf")] * len(calls)
    for _ in range(rounds):
        for k, call in enumerate(calls):
            t = time.process_time()
            call()
            best[k] = min(best[k], time.process_time() - t)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print("best process CPU time of alternating rounds; BLAS threads pinned to 1")
    print(f"{'machine':16s} {'n':>5s} {'steps':>9s} {'run s':>8s} {'stepwise/run':>13s} "
          f"{'run/tight':>10s} {'automata/run':>13s} {'target':>8s}")
    failures = 0
    for tm, word_of in ((zeros_then_ones(), lambda n: "0" * (n // 2) + "1" * (n // 2)),
                        (palindromes(), palindrome)):
        tight, auto = tight_loop(tm), automata_loop(tm)
        for n, target in TARGETS.items():
            word = word_of(n)
            result = tm.run(word)
            if result != tm.run_reference(word) or tight(word) != result.accepted or (
                    auto is not None and auto(word) != result.accepted):
                print(f"{tm.name} n={n}: the simulators DISAGREE")
                failures += 1
                continue
            calls = [partial(tm.run, word), partial(tm.run_reference, word), partial(tight, word)]
            if auto is not None:
                calls.append(partial(auto, word))
            times = best_of(args.rounds, calls)
            t_run = times[0]
            ratio_auto = f"{times[3] / t_run:13.0f}" if auto is not None else f"{'skipped':>13s}"
            verdict = ""
            if auto is not None:
                ok = times[3] / t_run >= target and t_run <= 1.5 * times[2]
                failures += not ok
                verdict = "ok" if ok else "MISSED"
            print(f"{tm.name:16s} {n:5d} {result.steps:9d} {t_run:8.3f} "
                  f"{times[1] / t_run:13.1f} {t_run / times[2]:10.2f} {ratio_auto} "
                  f"{'>=' + str(int(target)) + ' ' + verdict:>8s}")
    if automata_loop(zeros_then_ones()) is None:
        print("automata-lib not installed: its column was skipped (pip install automata-lib)")
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

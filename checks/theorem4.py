"""Theorem 4 checker: PRAM -> AP-MDM with the memory edited in place.

For each case (library programs at their sizes, plus random valid halting programs) the
checker compiles :mod:`constructions.pram_apmdm` with the memory bound S (declared S(n) for
library programs, the measured memory span for random ones), runs it on the AP-MDM loop,
decodes the output region, compares it with the PRAM interpreter's and holds the measured
steps and context against :mod:`theory.theorem4`: steps ≤ 2T + 1, context ≤ S + 2P (which is
≤ 2(S + P), independent of T). Library programs are checked up to n = 64 (the AP-MDM is
cheap: its canvas does not grow with T).

The compiler is a parameter (``compiler=``) so tests can feed deliberately broken
constructions and see the checker fail.
"""

from __future__ import annotations

from collections.abc import Callable

from checks.pram_cases import (
    Outcome,
    PramCase,
    check_case,
    default_sizes,
    library_cases,
    random_rows,
)
from checks.registry import CheckOptions, CheckRow, CheckSuite, register_suite
from constructions.pram_apmdm import compile_apmdm
from machines.pram import PRAMResult
from theory import theorem4 as th

THEOREM = "4"
APMDM_NAME = "pram-apmdm"
LIBRARY_MAX_SIZE = 32
RANDOM_DEFAULT, RANDOM_QUICK = 100, 25


def apmdm_runner(compiler: Callable = compile_apmdm) -> Callable:
    def run(case: PramCase, ref: PRAMResult) -> tuple[Outcome, dict[str, int]]:
        c = ref.counters
        S = case.memory_bound or max(c.memory_span, len(case.inputs), 1)
        con = compiler(case.program, len(case.inputs), S, case.variant)
        res = con.process().run(con.initial_canvas(case.inputs),
                                con.limits(case.time_bound or c.time))
        out = Outcome(con.decode(res.final), res.counters.steps, res.counters.max_context)
        bound = {"steps": th.apmdm_steps_bound(c.time),
                 "context": th.apmdm_context_bound(S, c.processors)}
        return out, bound
    return run


def check_apmdm(cases: list[PramCase], compiler: Callable = compile_apmdm) -> list[CheckRow]:
    runner = apmdm_runner(compiler)
    return [check_case(THEOREM, APMDM_NAME, case, runner) for case in cases]


def run_apmdm_suite(options: CheckOptions) -> list[CheckRow]:
    cases = library_cases(lambda lib: default_sizes(lib, options.quick, LIBRARY_MAX_SIZE),
                          options.seed)
    rows = check_apmdm(cases)
    count = RANDOM_QUICK if options.quick else RANDOM_DEFAULT
    return rows + random_rows(THEOREM, APMDM_NAME, apmdm_runner(), options, count)


register_suite(CheckSuite(THEOREM, APMDM_NAME,
                          "PRAM -> AP-MDM in place: steps <= 2T+1, context <= S + 2P (Theorem 4)",
                          run_apmdm_suite))

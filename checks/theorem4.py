"""Theorem 4 checker: PRAM -> AP-MDM with the memory edited in place.

For each case (library programs at their sizes, plus random valid halting programs) the
checker compiles :mod:`constructions.pram.apmdm` with the memory bound S (declared S(n) for
library programs, the measured memory span for random ones), runs it on the AP-MDM loop,
decodes the output region, compares it with the PRAM interpreter's and holds the measured
steps and context against :mod:`theory.theorem4`: steps ≤ 2T + 1, context ≤ S + 2P (which is
≤ 2(S + P), independent of T). Both are held from below too (``steps slack`` ≤ T: at
least one advance step per PRAM step plus the final one; ``context slack`` = 0: the canvas
is exactly S + 2P), so a loosened constant fails a row. Library programs are checked at n
in {4, 8, 16, 32, 64} within a cost budget (the AP-MDM is cheap: its canvas does not grow with T).

The compiler is a parameter (``compiler=``) so tests can feed deliberately broken
constructions and see the checker fail.
"""

from __future__ import annotations

from collections.abc import Callable

from apmdm.checks.pram_cases import (
    Outcome,
    PramCase,
    case_rows,
    declared_sizes,
    library_cases,
    random_rows,
    sweep_sizes,
    with_slack,
)
from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, labelled, timed
from apmdm.constructions.pram.apmdm import compile_apmdm
from apmdm.machines.pram import PRAMResult
from apmdm.machines.resources import Resources
from apmdm.theory import theorem4 as th

THEOREM = "4"
APMDM_NAME = "pram-apmdm"
APMDM_BUDGET, APMDM_BUDGET_QUICK = 500_000, 200_000   # (S + 2P) * T_bound, see theorem1.py
RANDOM_DEFAULT, RANDOM_QUICK = 100, 25


def apmdm_runner(compiler: Callable = compile_apmdm) -> Callable:
    def run(case: PramCase, ref: PRAMResult) -> tuple[Outcome, dict[str, int]]:
        c = ref.counters
        S = case.memory_bound or max(c.memory_span, len(case.inputs), 1)
        con = compiler(case.program, len(case.inputs), S, case.variant)
        res = con.process().run(con.initial_canvas(case.inputs),
                                con.limits(Resources(case.time_bound or c.time, S,
                                                     c.processors)))
        out = Outcome(con.decode(res.final), res.counters.steps, res.counters.max_context)
        bound = {"steps": th.apmdm_steps_bound(c.time),
                 "context": th.apmdm_context_bound(S, c.processors)}
        return with_slack(out, bound, {"steps": th.apmdm_steps_slack(c.time),
                                       "context": th.APMDM_CONTEXT_SLACK})
    return run


def check_apmdm(cases: list[PramCase], compiler: Callable = compile_apmdm) -> list[CheckRow]:
    return case_rows(THEOREM, APMDM_NAME, cases, apmdm_runner(compiler))


def _cost(case: PramCase) -> int:
    P, T, S = declared_sizes(case)
    return (S + 2 * P) * T


APMDM_CLAIM = (f"output = PRAM's; steps <= {th.BOUNDS.apmdm_steps}; context <= "
               f"{th.BOUNDS.apmdm_context}")


def run_apmdm_suite(options: CheckOptions) -> list[CheckRow]:
    """Function level: the next-step function is Python code (the compiled transformer is
    the `--compiled` suite of :mod:`apmdm.checks.compiled`)."""
    budget = APMDM_BUDGET_QUICK if options.quick else APMDM_BUDGET
    cases = [c for c in library_cases(sweep_sizes(options), options.seed)
             if _cost(c) <= budget]
    rows = check_apmdm(cases)
    count = RANDOM_QUICK if options.quick else RANDOM_DEFAULT
    rows += random_rows(THEOREM, APMDM_NAME, apmdm_runner(), options, count)
    return labelled(rows, Category.SCHEDULE, APMDM_CLAIM)


APMDM_SUITE = CheckSuite(THEOREM, APMDM_NAME,
                         "PRAM -> AP-MDM in place: steps <= 2T+1, context <= S + 2P (Theorem 4)",
                         run_apmdm_suite)


# --- Turing machines: ARM (context = time) versus AP-MDM (context = space) ---------------------

TM_SIZES, TM_SIZES_QUICK = (4, 8, 16, 24), (4, 8)
TM_ARM_NAME, TM_APMDM_NAME = "tm-arm", "tm-apmdm"


def tm_row(construction: str, machine_name: str, word: tuple[str, ...], compiler=None) -> CheckRow:
    """Run one TM construction on ``word`` next to the TM and hold it against its bound."""
    from apmdm.constructions.tm.apmdm import compile_tm_apmdm
    from apmdm.constructions.tm.arm import compile_tm_arm
    from apmdm.machines.errors import ApmdmError
    from apmdm.machines.tm_library import get_machine

    machine = get_machine(machine_name)
    ref = machine.run(word)
    n = len(word)
    try:
        if construction == TM_ARM_NAME:
            con = (compiler or compile_tm_arm)(machine, n)
            res = con.process().run(con.initial_canvas(word), con.limits(Resources.of_tm(ref)))
            bound = {"steps": th.tm_arm_steps_bound(ref.steps),
                     "context": th.tm_arm_context_bound(n, ref.steps)}
        else:
            con = (compiler or compile_tm_apmdm)(machine, n)
            res = con.process().run(con.initial_canvas(word), con.limits(Resources.of_tm(ref)))
            bound = {"steps": th.tm_apmdm_steps_bound(ref.steps),
                     "context": th.tm_apmdm_context_bound(n, ref.space)}
        got, error = con.decode(res.final), ""
        measured = {"steps": res.counters.steps, "context": res.counters.max_context}
    except ApmdmError as exc:
        got, error = None, f"; {type(exc).__name__}: {exc}"
        measured, bound = {"steps": 0, "context": 0}, {"steps": 0, "context": 0}
    equal = got == (ref.state, ref.output)
    ok = equal and not error and all(measured[k] <= bound[k] for k in bound)
    detail = f"word {''.join(word) or '(empty)'}: TM steps={ref.steps} space={ref.space}{error}"
    return CheckRow(THEOREM, construction, machine_name, n, ok, measured, bound, 1, equal, detail)


def _tm_words(options: CheckOptions) -> list[tuple[str, tuple[str, ...]]]:
    import random

    from apmdm.machines.tm_library import LIBRARY, get_machine

    out = []
    for name in sorted(LIBRARY):
        symbols = sorted(get_machine(name).input_symbols)
        for n in (TM_SIZES_QUICK if options.quick else TM_SIZES):
            rng = random.Random(f"{options.seed}:{name}:{n}")
            if name == "zeros-then-ones":      # a member of the language: the longest run
                word = tuple("0" * (n // 2) + "1" * (n - n // 2))
            elif name == "palindromes":
                half = [rng.choice(symbols) for _ in range(n // 2)]
                word = tuple(half + half[::-1])
            else:
                word = tuple(rng.choice(symbols) for _ in range(n))
            out.append((name, word))
    return out


TM_CLAIMS = {
    TM_ARM_NAME: f"state and output = TM's; steps <= {th.BOUNDS.tm_arm_steps}; context <= "
                 f"{th.BOUNDS.tm_arm_context}",
    TM_APMDM_NAME: f"state and output = TM's; steps <= {th.BOUNDS.tm_apmdm_steps}; context <= "
                   f"{th.BOUNDS.tm_apmdm_context}",
}


def run_tm_suite(construction: str) -> Callable[[CheckOptions], list[CheckRow]]:
    def run(options: CheckOptions) -> list[CheckRow]:
        words = _tm_words(options)
        if not words:
            return [CheckRow(THEOREM, construction, "tm-library", 0, False, {}, {}, 0, False,
                             "no case selected: a sweep with zero cases fails")]
        rows = [timed(lambda name=name, word=word: tm_row(construction, name, word))
                for name, word in words]
        return labelled(rows, Category.SCHEDULE, TM_CLAIMS[construction])
    return run


SUITES = (
    APMDM_SUITE,
    CheckSuite(THEOREM, TM_ARM_NAME,
               "contrast: TM -> ARM, one record per TM step (context = n + T + 2)",
               run_tm_suite(TM_ARM_NAME)),
    CheckSuite(THEOREM, TM_APMDM_NAME, "TM -> AP-MDM, tape in place (context <= n + space + 4)",
               run_tm_suite(TM_APMDM_NAME)),
)

"""Theorem 1 checker: PRAM -> MDM (and the chain-of-thought ARM for contrast).

For each case (library programs at their sizes, plus random valid halting programs) the
checker compiles the construction, runs it on the MDM (resp. ARM) generation loop of
:mod:`machines.process` (so the model's restriction is checked every step), decodes the
output region from the final canvas, compares it with the PRAM interpreter's, and holds the
measured steps and context against the bounds of :mod:`theory.theorem1`:

* MDM: steps ≤ T + 1 (T = the PRAM's running time), context ≤ n + P·T_bound + m (m = output
  cells: the answer is copied out to a block of m canvas positions, and only those are
  decoded);
* ARM: steps ≤ P·T + L + 1, context ≤ n + P·T + L + 2 (L output cells copied out).

Each bound is also held from below (metrics ``steps slack`` / ``context slack``, see
:mod:`apmdm.checks.tightness`): the layout makes the MDM take exactly T + 1 steps (T when the
output region is empty and the bound tight) on a canvas of exactly n + P·T_bound + m, and the
ARM exactly its bounds, so a loosened constant (say ``a = 2``) fails a row.

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
from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, labelled
from apmdm.constructions.pram.arm import compile_arm
from apmdm.constructions.pram.mdm import compile_mdm
from apmdm.machines.pram import PRAMResult
from apmdm.machines.resources import Resources
from apmdm.theory import theorem1 as th

THEOREM = "1"
MDM_NAME = "pram-mdm"
ARM_NAME = "pram-arm"
# Sweep budgets: library cases whose run would cost more are left out of the default sweep
# (they are covered by the slow tests). Costs use the declared bounds only, so no program is
# run just to decide: MDM (n + P*T) * T cell visits, ARM P*T records.
MDM_BUDGET, MDM_BUDGET_QUICK = 4_000_000, 400_000
ARM_RECORDS, ARM_RECORDS_QUICK = 8_000, 2_000
RANDOM_DEFAULT, RANDOM_QUICK = 100, 25


def mdm_runner(compiler: Callable = compile_mdm) -> Callable:
    def run(case: PramCase, ref: PRAMResult) -> tuple[Outcome, dict[str, int]]:
        T = case.time_bound or ref.counters.time
        con = compiler(case.program, len(case.inputs), T, case.variant)
        res = con.process().run(con.initial_canvas(case.inputs), con.limits())
        out = Outcome(con.decode(res.final), res.counters.steps, res.counters.max_context)
        n = len(case.inputs)
        m = case.program.output_region(n)[1]
        bound = {"steps": th.mdm_steps_bound(ref.counters.time),
                 "context": th.mdm_context_bound(n, ref.counters.processors, T, m)}
        return with_slack(out, bound, {"steps": th.mdm_steps_slack(m),
                                       "context": th.MDM_CONTEXT_SLACK})
    return run


def arm_runner(compiler: Callable = compile_arm) -> Callable:
    def run(case: PramCase, ref: PRAMResult) -> tuple[Outcome, dict[str, int]]:
        c = ref.counters
        con = compiler(case.program, len(case.inputs), case.variant)
        res = con.process().run(con.initial_canvas(case.inputs),
                                con.limits(Resources.of_pram(c)))
        out = Outcome(con.decode(res.final), res.counters.steps, res.counters.max_context)
        n = len(case.inputs)
        L = case.program.output_region(n)[1]     # copied-out cells, from the program itself
        bound = {"steps": th.arm_steps_bound(c.processors, c.time, L),
                 "context": th.arm_context_bound(n, c.processors, c.time, L)}
        return with_slack(out, bound, {"steps": th.ARM_STEPS_SLACK,
                                       "context": th.ARM_CONTEXT_SLACK})
    return run


def check_mdm(cases: list[PramCase], compiler: Callable = compile_mdm) -> list[CheckRow]:
    return case_rows(THEOREM, MDM_NAME, cases, mdm_runner(compiler))


def check_arm(cases: list[PramCase], compiler: Callable = compile_arm) -> list[CheckRow]:
    return case_rows(THEOREM, ARM_NAME, cases, arm_runner(compiler))


def _mdm_affordable(case: PramCase, budget: int) -> bool:
    P, T, _ = declared_sizes(case)
    return (len(case.inputs) + P * T) * T <= budget


def _arm_affordable(case: PramCase, budget: int) -> bool:
    P, T, _ = declared_sizes(case)
    return P * T <= budget


MDM_CLAIM = (f"output = PRAM's, read from its m output positions only; steps <= "
             f"{th.BOUNDS.mdm_steps} (T: PRAM time); context <= {th.BOUNDS.mdm_context} "
             "(T: declared time bound)")
ARM_CLAIM = (f"output = PRAM's; steps <= {th.BOUNDS.arm_steps}; context <= "
             f"{th.BOUNDS.arm_context}")


def run_mdm_suite(options: CheckOptions) -> list[CheckRow]:
    """Function level: the next-step function is Python code (the compiled transformer is
    the `--compiled` suite of :mod:`apmdm.checks.compiled`)."""
    budget = MDM_BUDGET_QUICK if options.quick else MDM_BUDGET
    cases = [c for c in library_cases(sweep_sizes(options), options.seed)
             if _mdm_affordable(c, budget)]
    count = RANDOM_QUICK if options.quick else RANDOM_DEFAULT
    rows = check_mdm(cases) + random_rows(THEOREM, MDM_NAME, mdm_runner(), options, count)
    return labelled(rows, Category.SCHEDULE, MDM_CLAIM)


def run_arm_suite(options: CheckOptions) -> list[CheckRow]:
    budget = ARM_RECORDS_QUICK if options.quick else ARM_RECORDS
    cases = [c for c in library_cases(sweep_sizes(options), options.seed)
             if _arm_affordable(c, budget)]
    count = RANDOM_QUICK if options.quick else RANDOM_DEFAULT
    rows = check_arm(cases) + random_rows(THEOREM, ARM_NAME, arm_runner(), options, count)
    return labelled(rows, Category.SCHEDULE, ARM_CLAIM)


SUITES = (
    CheckSuite(THEOREM, MDM_NAME, "PRAM -> MDM: steps <= T+1, context <= n + P*T + m "
               "(Theorem 1)",
               run_mdm_suite),
    CheckSuite(THEOREM, ARM_NAME, "contrast: PRAM -> chain-of-thought ARM, steps = P*T + L + 1",
               run_arm_suite),
)

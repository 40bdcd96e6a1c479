"""Checker for Theorem 6 (PRESERVE, our reconstruction): correctness and cost growth.

For each number of edit steps E in the sweep, random valid instances (seeded) are solved by

* the AP-MDM (:class:`~apmdm.constructions.preserve.PreserveAPMDM`, run through
  :class:`~apmdm.machines.process.GenerationProcess`, so every step is g): its final data must
  equal the list-edit oracle at *every* position; steps and context are held to
  :func:`theory.theorem6.apmdm_bounds`;
* the ARM replay (:class:`~apmdm.constructions.preserve.PreserveARMReplay`, run as an ARM): its
  answer to the instance's query and to the deepest query (the final position whose chain is
  longest) must equal the oracle; generated tokens, context and instruction tokens read per
  query are held to :func:`theory.theorem6.arm_bounds`.

Per metric a row reports the instance with the least slack (bound − measured), so a single
violation shows as measured > bound. The detail column carries the growth figures: mean and
max chain length over all final positions, and the ARM's context against the AP-MDM's final
context.
"""

from __future__ import annotations

from dataclasses import dataclass

from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, labelled
from apmdm.constructions.preserve import (
    PreserveAPMDM,
    PreserveARMReplay,
    PreserveInstance,
    apmdm_canvas,
    apmdm_process,
    arm_canvas,
    arm_process,
    backward_chain,
    final_data,
    oracle_cells,
    random_instance,
    script_tokens,
    validate_instance,
)
from apmdm.machines.errors import ApmdmError
from apmdm.machines.process import Limits, StopReason
from apmdm.theory import theorem6

THEOREM = "6"
N0 = 32
MAX_OPS = 2
DEFAULT_EDITS = (4, 16, 64, 256)
QUICK_EDITS = (4, 16, 64)
DEFAULT_INSTANCES = 10
QUICK_INSTANCES = 4
DEFAULT_SOLVER = PreserveAPMDM()
DEFAULT_REPLAY = PreserveARMReplay()


@dataclass(frozen=True)
class InstanceResult:
    apmdm_ok: bool
    arm_ok: bool
    apmdm: dict
    apmdm_bound: dict
    arm: dict
    arm_bound: dict
    final_context: int
    chain_mean: float
    chain_max: int
    error: str = ""


def _limits(inst: PreserveInstance) -> Limits:
    size = len(apmdm_canvas(inst)) + 4 * len(inst.edits) + 16
    return Limits(max_steps=len(inst.edits) + 8, max_context=2 * size)


def solve_one(inst: PreserveInstance, solver: PreserveAPMDM,
              replay: PreserveARMReplay) -> InstanceResult:
    validate_instance(inst)
    oracle = oracle_cells(inst)
    script_len = len(script_tokens(inst.edits))
    instr = sum(e.size for e in inst.edits)
    max_ins = max((len(e.insert) for e in inst.edits), default=0)
    apmdm_bound = theorem6.apmdm_bounds(len(inst.edits), len(inst.initial), script_len, max_ins)
    arm_bound = theorem6.arm_bounds(len(inst.edits), len(inst.initial), script_len, instr)
    chains = [len(backward_chain(inst, q)[1]) for q in range(len(oracle))]
    deepest = max(range(len(oracle)), key=lambda q: chains[q])
    limits = _limits(inst)
    errors: list[str] = []
    try:
        res = apmdm_process(solver).run(apmdm_canvas(inst), limits)
        got = final_data(res.final)
        apmdm = {"steps": res.counters.steps, "context": res.counters.max_context}
        final_ctx = res.counters.final_context
        if res.stop is not StopReason.FIXED_POINT:
            errors.append(f"AP-MDM stopped by {res.stop.value}")
        if got != oracle:
            bad = next((i for i in range(min(len(got), len(oracle))) if got[i] != oracle[i]),
                       min(len(got), len(oracle)))
            errors.append(f"AP-MDM final canvas differs from the oracle at position {bad} "
                          f"(lengths {len(got)} vs {len(oracle)})")
    except ApmdmError as exc:
        apmdm, final_ctx = {"steps": 0, "context": 0}, 0
        errors.append(f"AP-MDM error: {exc}")
    apmdm_ok = not errors and all(apmdm[m] <= apmdm_bound[m] for m in apmdm_bound)
    arm = {"generated": 0, "context": 0, "work": 0}
    arm_ok = True
    for q in sorted({inst.query, deepest}):
        try:
            res = arm_process(replay).run(arm_canvas(replay, inst, q), limits_for_arm(inst))
            answer = replay.answer_of(res.final)
        except ApmdmError as exc:
            errors.append(f"ARM replay error on query {q}: {exc}")
            arm_ok = False
            continue
        generated = res.counters.steps
        levels = [tok[1] for tok in res.final[-generated - 1:-1]
                  if isinstance(tok, tuple) and tok[0] == "at" and tok[1] >= 1]
        work = sum(inst.edits[t - 1].size for t in levels)
        arm = {"generated": max(arm["generated"], generated),
               "context": max(arm["context"], res.counters.max_context),
               "work": max(arm["work"], work)}
        if answer != oracle[q]:
            errors.append(f"ARM replay answered {answer!r} at query {q}, oracle {oracle[q]!r}")
            arm_ok = False
    arm_ok = arm_ok and all(arm[m] <= arm_bound[m] for m in arm_bound)
    return InstanceResult(apmdm_ok, arm_ok, apmdm, apmdm_bound, arm, arm_bound, final_ctx,
                          sum(chains) / len(chains), max(chains), "; ".join(errors))


def limits_for_arm(inst: PreserveInstance) -> Limits:
    size = len(apmdm_canvas(inst)) + len(inst.edits) + 8
    return Limits(max_steps=len(inst.edits) + 8, max_context=size)


def _tightest(results: list[InstanceResult], key: str, bound_key: str) -> tuple[dict, dict]:
    measured: dict[str, int] = {}
    bound: dict[str, int] = {}
    for metric in getattr(results[0], bound_key):
        r = min(results, key=lambda x: getattr(x, bound_key)[metric] - getattr(x, key)[metric])
        measured[metric] = getattr(r, key)[metric]
        bound[metric] = getattr(r, bound_key)[metric]
    return measured, bound


def check_edits(edits: int, instances: int, seed: int,
                solver: PreserveAPMDM = DEFAULT_SOLVER,
                replay: PreserveARMReplay = DEFAULT_REPLAY) -> list[CheckRow]:
    """Two rows (AP-MDM, ARM replay) for ``instances`` random instances with ``edits`` steps."""
    results = [solve_one(random_instance(seed * 100_003 + edits * 101 + i, N0, edits, MAX_OPS),
                         solver, replay) for i in range(instances)]
    errors = [r.error for r in results if r.error]
    apmdm_ok = all(r.apmdm_ok for r in results)
    arm_ok = all(r.arm_ok for r in results)
    m1, b1 = _tightest(results, "apmdm", "apmdm_bound")
    m2, b2 = _tightest(results, "arm", "arm_bound")
    final_ctx = sum(r.final_context for r in results) / instances
    arm_ctx = sum(r.arm["context"] for r in results) / instances
    chain_mean = sum(r.chain_mean for r in results) / instances
    chain_max = max(r.chain_max for r in results)
    err = f"; first error: {errors[0]}" if errors else ""
    program = f"preserve-n0={N0}-E={edits:04d}"
    return [
        CheckRow(THEOREM, "preserve:apmdm", program, edits, apmdm_ok, m1, b1, instances, apmdm_ok,
                 f"final data == oracle at every position; mean final context {final_ctx:.1f}; "
                 f"0 extra steps per query{err}"),
        CheckRow(THEOREM, "preserve:arm-replay", program, edits, arm_ok, m2, b2, instances,
                 arm_ok,
                 f"chain over all final positions: mean {chain_mean:.1f}, max {chain_max}; "
                 f"mean ARM context {arm_ctx:.1f} = {arm_ctx / max(final_ctx, 1):.1f}x the "
                 f"AP-MDM's final context{err}"),
    ]


def run_suite(options: CheckOptions, solver: PreserveAPMDM = DEFAULT_SOLVER,
              replay: PreserveARMReplay = DEFAULT_REPLAY) -> list[CheckRow]:
    sweep = QUICK_EDITS if options.quick else DEFAULT_EDITS
    count = QUICK_INSTANCES if options.quick else DEFAULT_INSTANCES
    rows: list[CheckRow] = []
    for edits in sweep:
        rows.extend(check_edits(edits, count, options.seed, solver, replay))
    # The two rows of one edit count share one computation (seconds None, see the suite time).
    apmdm = [r for r in rows if r.construction == "preserve:apmdm"]
    arm = [r for r in rows if r.construction != "preserve:apmdm"]
    return (labelled(apmdm, Category.SCHEDULE, "AP-MDM final data = list-edit oracle at every "
                     "position; steps and context within theory.theorem6")
            + labelled(arm, Category.ILLUSTRATION, "one ARM strategy (replay) answers "
                       "correctly; its growth illustrates, it does not bound every ARM"))


SUITE = (CheckSuite(
    THEOREM, "preserve",
    "PRESERVE (our reconstruction): AP-MDM edits in place == list-edit oracle in E+2 steps; "
    "ARM replay answers by a position chain; growth of its context and per-query work",
    run_suite))
SUITES = (SUITE,)

"""Theorem 2 on the PRAM interpreter: an MDM run by one processor, T ≤ c_P·S³·ℓ(S).

For an MDM whose next-step function is an exact transformer and a canvas of length S,
:func:`check_pram_run` runs

* the MDM machine (:class:`machines.process.GenerationProcess`, ``Model.MDM``) with the
  transformer as f, at most S + 1 steps (the reference);
* the compiled P = 1 program of :mod:`constructions.serial.pram_forward` on
  :meth:`PRAM.run_scalar` (T = instructions executed);
* the serial cost model (:func:`checks.theorem2.check_mdm_run`, ``CountedForward``), the
  fast path, on the same canvas;

and requires: the PRAM's final canvas and stop reason equal the MDM machine's (and the cost
model's run ends on the same canvas); passes ≤ S; T equals the exact time formula of
:func:`theory.theorem2.pram_time` (the loop structure, fed the run's event counts);
T ≤ c_P·S³·ℓ(S) (:func:`theory.theorem2.pram_bound`); and the cost model's counted ops
equal its closed form and stay ≤ c·S³·ℓ(S). Category ``proved-instance``: the next-step
function is the exact transformer and the simulating machine is the PRAM itself.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, timed
from apmdm.checks.theorem2 import MDMInstance, check_mdm_run, sweep_instances
from apmdm.constructions.serial.nets import left_to_right_mdm, masked_canvas
from apmdm.constructions.serial.pram_forward import (
    ImageEdit,
    mdm_program,
    network_counts,
    run_mdm_on_pram,
)
from apmdm.constructions.serial.simulation import simulate_mdm
from apmdm.machines.errors import ApmdmError
from apmdm.machines.pram.isa import Program
from apmdm.machines.process import GenerationProcess, Limits, Model
from apmdm.machines.tokens import MASK, Canvas
from apmdm.machines.transformer.model import CompiledTransformer, transformer_next_step
from apmdm.theory.theorem2 import log_factor, pram_constant, pram_time, steps_bound

CONSTRUCTION = "serial-pram"
CLAIM = ("PRAM(1) final canvas = MDM's; T = loop formula <= c_P*S^3*log S; "
         "cost-model ops <= c*S^3*log S")


@dataclass(frozen=True)
class PramTheorem2Result:
    """One MDM run on the PRAM, beside the MDM machine and the cost model."""

    size: int  # S
    passes: int
    time: int  # T measured by the interpreter
    time_formula: int  # pram_time from the run's events
    constant: int  # c_P
    canvas_equal: bool  # PRAM final = MDM machine final (and = the cost model's)
    stop_equal: bool
    ops: int  # cost model, same run
    ops_bound: int
    ops_exact: bool  # cost model's count = its closed form

    @property
    def time_bound(self) -> int:
        return self.constant * self.size**3 * log_factor(self.size)

    @property
    def measured(self) -> dict[str, int]:
        return {"steps": self.passes, "context": self.size, "time": self.time, "ops": self.ops}

    @property
    def bound(self) -> dict[str, int]:
        return {"steps": steps_bound(self.size), "context": self.size,
                "time": self.time_bound, "ops": self.ops_bound}

    @property
    def outputs_equal(self) -> bool:
        return self.canvas_equal and self.stop_equal

    @property
    def ok(self) -> bool:
        within = all(self.measured[k] <= self.bound[k] for k in self.measured)
        return (within and self.outputs_equal and self.time == self.time_formula
                and self.ops_exact)

    def describe(self) -> str:
        return (f"S={self.size}: passes {self.passes}, PRAM T {self.time} (formula "
                f"{self.time_formula}), c_P={self.constant}, T/(c_P·S³)="
                f"{self.time / (self.constant * self.size ** 3):.3f}; cost-model ops "
                f"{self.ops}, T/ops {self.time / max(self.ops, 1):.1f}")


def check_pram_run(model: CompiledTransformer, canvas: Canvas, program: Program | None = None,
                   edit: ImageEdit | None = None) -> PramTheorem2Result:
    """Run ``model`` from ``canvas`` on the PRAM, the MDM machine and the cost model."""
    s = len(canvas)
    ref = GenerationProcess(Model.MDM, transformer_next_step(model), name=model.name).run(
        canvas, Limits(max_steps=s + 1, max_context=max(s, 1)))
    run = run_mdm_on_pram(model, canvas, program=program, edit=edit)
    costs = mdm_program().costs
    net = network_counts(model)
    formula = pram_time(costs, net, s, run.passes, *run.events)
    counted = check_mdm_run(model, canvas)
    cost_final = simulate_mdm(model, canvas, verify=False).final
    return PramTheorem2Result(
        size=s, passes=run.passes, time=run.time, time_formula=formula,
        constant=pram_constant(costs, net),
        canvas_equal=run.final == ref.final == cost_final, stop_equal=run.stop is ref.stop,
        ops=counted.ops, ops_bound=counted.bound_ops, ops_exact=counted.count_matches)


def pram_row(program: str, res: PramTheorem2Result, instances: int = 1,
             failure: str = "") -> CheckRow:
    return CheckRow(
        theorem="2", construction=CONSTRUCTION, program=program, n=res.size,
        ok=res.ok and not failure, measured=res.measured, bound=res.bound,
        instances=instances, outputs_equal=res.outputs_equal and not failure,
        detail=failure or f"exact transformer f run by a P=1 PRAM program; {res.describe()}",
        category=Category.PROVED_INSTANCE, claim=CLAIM)


@dataclass(frozen=True)
class Theorem1Instance:
    """A compiled Theorem-1 MDM (PRAM library program at size n) and one initial canvas."""

    model: CompiledTransformer
    canvas: Canvas
    label: str


def theorem1_instance(program: str, n: int, seed_value: int = 0) -> Theorem1Instance:
    """The compiled Theorem-1 MDM of a library program (its declared T(n), S(n)), on a
    random input of the library's generator."""
    from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
    from apmdm.machines.pram.library import LIBRARY
    lib = LIBRARY[program]
    b = lib.bounds.at(n)
    con = compile_mdm_efasp(lib.program, lib.input_length(n), b.time, lib.variant,
                            max(b.memory, 1))
    canvas = con.initial_canvas(lib.make_input(n, random.Random(seed_value)))
    return Theorem1Instance(con.compiled.transformer, canvas, f"thm1-mdm:{program}")


def rational_instance(name: str, seed_value: int = 0) -> tuple[CompiledTransformer, Canvas]:
    """An E-FASP example with rational dimensions (``count``: a mean head and an MLP over its
    rational dimension; ``sort``: queries reading rational dimensions) as an MDM on a
    length-8 canvas with 3 masks (no controls: every mask fills in one pass)."""
    from apmdm.constructions.efasp.programs import build_example, random_canvas
    rng = random.Random(seed_value)
    canvas = list(random_canvas(name, 8, 8, rng))
    for i in rng.sample(range(8), 3):
        canvas[i] = MASK
    return build_example(name, 8), tuple(canvas)


@dataclass(frozen=True)
class PramSweep:
    instances: int
    worst: PramTheorem2Result | None
    failure: str = ""


def pram_sweep(examples: int, max_size: int, seed_value: int = 0) -> PramSweep:
    """Hypothesis-generated MDMs of the locator family (``mdm_instances``) on the PRAM. An
    instance whose readout breaks the MDM restriction must be refused by both machines."""
    seen, failure = sweep_instances(examples, max_size, seed_value, _checked)
    worst = max(seen, key=lambda r: (r.passes / r.size, r.size)) if seen else None
    return PramSweep(len(seen), worst, failure)


def _checked(inst: MDMInstance) -> PramTheorem2Result | None:
    """The result, or None when both the MDM machine and the PRAM refuse the instance with
    the same error type (a readout that breaks the MDM restriction)."""
    try:
        return check_pram_run(inst.model, inst.canvas)
    except ApmdmError as exc:
        kind = type(exc)
    pram_kind = _error_type(lambda: run_mdm_on_pram(inst.model, inst.canvas))
    ref_kind = _error_type(lambda: GenerationProcess(
        Model.MDM, transformer_next_step(inst.model)).run(
            inst.canvas, Limits(max_steps=len(inst.canvas) + 1)))
    if pram_kind is None or pram_kind is not ref_kind:
        raise AssertionError(f"{inst.description} on {inst.canvas!r}: {kind.__name__}; "
                             f"PRAM {getattr(pram_kind, '__name__', 'ok')}, MDM machine "
                             f"{getattr(ref_kind, '__name__', 'ok')}")
    return None


def _error_type(run: Callable[[], object]) -> type | None:
    try:
        run()
    except ApmdmError as exc:
        return type(exc)
    return None


def sweep_row(res: PramSweep) -> CheckRow:
    if res.worst is None:  # fail closed
        return CheckRow("2", CONSTRUCTION, "random-locator-mdm", 0, False, {}, {}, 0, False,
                        res.failure or "no instance was checked",
                        category=Category.PROVED_INSTANCE, claim=CLAIM)
    return pram_row("random-locator-mdm", res.worst, res.instances, res.failure)


def run_suite(options: CheckOptions) -> list[CheckRow]:
    """Default: the worst-case locator MDM at S = 8, 16, the compiled Theorem-1 MDM of
    ``sum`` at n = 1 (S = 8), 12 hypothesis-drawn locator MDMs (S ≤ 8) and the rational
    networks of :func:`rational_instance`; ``--quick``: S = 8 only. Larger sizes:
    ``tests/test_theorem2_pram.py`` (slow) and ``benchmarks/theorem2_pram.py``."""
    model = left_to_right_mdm()
    sizes = (8,) if options.quick else (8, 16)
    rows = [timed(lambda s=s: pram_row("left-to-right-mdm",
                                       check_pram_run(model, masked_canvas(s))))
            for s in sizes]
    if not options.quick:
        inst = theorem1_instance("sum", 1, options.seed)
        rows.append(timed(lambda: pram_row(inst.label, check_pram_run(inst.model,
                                                                      inst.canvas))))
        rows.append(timed(lambda: sweep_row(pram_sweep(12, 8, options.seed))))
        for name in ("count", "sort"):
            model, canvas = rational_instance(name, options.seed)
            rows.append(timed(lambda m=model, c=canvas, name=name: pram_row(
                f"efasp-{name}", check_pram_run(m, c))))
    return rows


SUITE = CheckSuite(
    theorem="2",
    name="theorem2-pram",
    description="MDM(S) ⊆ PRAM(1, Õ(S³)) on the PRAM interpreter: a P=1 program runs the "
    "exact transformer MDM to the MDM machine's final canvas; T = loop formula ≤ c_P·S³·ℓ(S), "
    "beside the cost model's ops",
    run=run_suite,
)
SUITES = (SUITE,)

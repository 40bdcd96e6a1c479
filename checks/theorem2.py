"""Theorem 2 checker: an MDM run costs at most c·S³·ℓ(S) serial word operations.

For a transformer next-step function and an MDM canvas of length S the checker runs the
serial simulation of :mod:`constructions.serial.simulation` and requires

* passes ≤ S and effective steps ≤ S, with a step that fills nothing ending the run;
* the counted operations equal the closed form of :mod:`theory.theorem2` computed from the
  weights' shapes alone (so a counter that skips a cost fails);
* counted operations ≤ c·S³·ℓ(S), c = :func:`theory.theorem2.ops_constant` of the network.

The contrast (:func:`check_contrast`): the same counting on the AP-MDM binary counter of
:mod:`constructions.serial.nets` exceeds the MDM bound at its context, because its steps
(2ⁿ⁺¹ − 1) are not bounded by the context (n + 1): rewrites reuse space. That row's claim is
"the AP-MDM's counted operations and passes exceed the MDM bounds at this S" (relation
``exceeds``: measured = the AP-MDM's counts, bound = the MDM bounds), so it can fail too; it
is an illustration (one AP-MDM), not part of the theorem's claim.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, Relation, timed
from apmdm.constructions.serial.nets import (
    BOS,
    DIMS,
    binary_counter_apmdm,
    counter_canvas,
    left_to_right_mdm,
    locator_model,
    masked_canvas,
)
from apmdm.constructions.serial.simulation import (
    CountedForward,
    network_shape,
    simulate_apmdm,
    simulate_mdm,
)
from apmdm.machines.errors import ApmdmError
from apmdm.machines.process import Limits
from apmdm.machines.tokens import MASK, Canvas
from apmdm.machines.transformer.model import CompiledTransformer
from apmdm.theory.theorem2 import log_factor, ops_bound, ops_constant, run_ops, steps_bound


@dataclass(frozen=True)
class Theorem2Result:
    """One MDM run, serially simulated and accounted."""

    size: int  # S
    passes: int
    effective_steps: int
    ops: int
    closed_form: int
    constant: int  # c
    idle_end_ok: bool
    ops_by_category: dict[str, int]

    @property
    def bound_ops(self) -> int:
        return self.constant * self.size**3 * log_factor(self.size)

    @property
    def measured(self) -> dict[str, int]:
        return {"steps": self.effective_steps, "passes": self.passes, "context": self.size,
                "ops": self.ops}

    @property
    def bound(self) -> dict[str, int]:
        return {"steps": steps_bound(self.size), "passes": steps_bound(self.size),
                "context": self.size, "ops": self.bound_ops}

    @property
    def count_matches(self) -> bool:
        return self.ops == self.closed_form

    @property
    def ok(self) -> bool:
        within = all(self.measured[k] <= self.bound[k] for k in self.measured)
        return within and self.count_matches and self.idle_end_ok

    def describe(self) -> str:
        return (f"S={self.size}: passes {self.passes}, ops {self.ops} vs closed form "
                f"{self.closed_form}, c={self.constant}, ops/(c·S³)="
                f"{self.ops / (self.constant * self.size ** 3):.3f}")


def check_mdm_run(model: CompiledTransformer, canvas: Canvas,
                  forward_cls: type = CountedForward) -> Theorem2Result:
    run = simulate_mdm(model, canvas, forward_cls=forward_cls)
    shape = network_shape(model.spec)
    s = len(canvas)
    idle_ok = run.passes == run.effective_steps + int(run.ended_by_idle_step)
    return Theorem2Result(
        size=s, passes=run.passes, effective_steps=run.effective_steps, ops=run.total_ops,
        closed_form=run_ops(shape, run.lengths), constant=ops_constant(shape),
        idle_end_ok=idle_ok, ops_by_category=dict(run.ops),
    )


@dataclass(frozen=True)
class ContrastResult:
    """The AP-MDM counter: steps and counted ops against the MDM bounds at its context."""

    size: int
    passes: int
    ops: int
    closed_form: int
    mdm_ops_bound: int

    @property
    def ok(self) -> bool:
        return self.ops == self.closed_form and self.passes > self.size and \
            self.ops > self.mdm_ops_bound

    @property
    def ratio(self) -> float:
        return self.ops / self.mdm_ops_bound


def check_contrast(n_bits: int, forward_cls: type = CountedForward) -> ContrastResult:
    model = binary_counter_apmdm()
    canvas = counter_canvas(n_bits)
    limits = Limits(max_steps=2 ** (n_bits + 1) + 1, max_context=len(canvas))
    run = simulate_apmdm(model, canvas, limits, forward_cls=forward_cls)
    shape = network_shape(model.spec)
    s = len(canvas)
    return ContrastResult(s, run.passes, run.total_ops, run_ops(shape, run.lengths),
                          ops_bound(shape, s))


@dataclass(frozen=True)
class MDMInstance:
    model: CompiledTransformer
    canvas: Canvas
    description: str


@st.composite
def mdm_instances(draw: Callable, max_size: int = 12) -> MDMInstance:
    """Hypothesis strategy: an MDM transformer from the locator family (random remask logit
    over the named dimensions) and a canvas ``B`` + cells (0, 1 or MASK)."""
    size = draw(st.integers(1, max_size))
    cells = draw(st.lists(st.sampled_from((0, 1, MASK)), min_size=size - 1,
                          max_size=size - 1))
    weights = draw(st.dictionaries(st.sampled_from(DIMS), st.integers(-3, 3), max_size=4))
    bias = draw(st.integers(-3, 3))
    model = locator_model("random-locator-mdm", weights, bias)
    return MDMInstance(model, (BOS, *cells), f"remask {weights} bias {bias}")


@dataclass(frozen=True)
class SweepResult:
    instances: int
    worst: Theorem2Result | None
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.failure


def sweep_instances(examples: int, max_size: int, seed_value: int,
                    check: Callable[[MDMInstance], Any]) -> tuple[list, str]:
    """Run ``check`` on ``examples`` seeded hypothesis-drawn locator MDMs (``mdm_instances``):
    the results it returned (None: instance skipped) and the first failure's message ("" if
    none). ``check`` raises AssertionError to fail an instance."""
    seen: list = []

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(mdm_instances(max_size=max_size))
    def prop(inst: MDMInstance) -> None:
        res = check(inst)
        if res is not None:
            seen.append(res)
            assert res.ok, f"{inst.description} on {inst.canvas!r}: {res.describe()}"

    failure = ""
    try:
        prop()
    except AssertionError as exc:
        failure = str(exc).splitlines()[0] if str(exc) else "assertion failed"
    return seen, failure


def sweep(examples: int, max_size: int, seed_value: int = 0,
          forward_cls: type = CountedForward) -> SweepResult:
    def check(inst: MDMInstance) -> Theorem2Result:
        try:
            return check_mdm_run(inst.model, inst.canvas, forward_cls)
        except ApmdmError as exc:
            raise AssertionError(f"{inst.description}: {type(exc).__name__}: {exc}") from exc

    seen, failure = sweep_instances(examples, max_size, seed_value, check)
    worst = max(seen, key=lambda r: (r.passes / r.size, r.size)) if seen else None
    return SweepResult(len(seen), worst, failure)


def _row(program: str, res: Theorem2Result, instances: int = 1, failure: str = "") -> CheckRow:
    return CheckRow(
        theorem="2", construction="serial-simulation", program=program, n=res.size,
        ok=res.ok and not failure, measured=res.measured, bound=res.bound,
        instances=instances, outputs_equal=res.count_matches and not failure,
        detail=failure or f"compiled transformer f, serial cost model; {res.describe()}",
        category=Category.SCHEDULE,
        claim="counted serial ops = closed form <= c*S^3*log S; passes <= S (cost model)",
    )


def run_suite(options: CheckOptions) -> list[CheckRow]:
    rows = []
    sizes = (8, 16) if options.quick else (8, 16, 32, 64)
    model = left_to_right_mdm()
    for s in sizes:
        rows.append(timed(lambda s=s: _row("left-to-right-mdm",
                                           check_mdm_run(model, masked_canvas(s)))))
    rows.append(timed(lambda: _sweep_row(sweep(20 if options.quick else 60, 12, options.seed))))
    rows.append(timed(lambda: contrast_row(check_contrast(6 if options.quick else 8))))
    return rows


def _sweep_row(res: SweepResult) -> CheckRow:
    if res.worst is None:   # fail closed: a sweep that checked nothing is a failure
        return CheckRow("2", "serial-simulation", "random-locator-mdm", 0, False, {}, {}, 0,
                        False, res.failure or "no instance was checked")
    return _row("random-locator-mdm", res.worst, res.instances, res.failure)


def contrast_row(con: ContrastResult) -> CheckRow:
    """The contrast as an exceedance: measured = the AP-MDM's counts, bound = the MDM's."""
    return CheckRow(
        theorem="2", construction="contrast-ap-mdm", program="binary-counter-apmdm",
        n=con.size, ok=con.ok,
        measured={"steps": con.passes, "ops": con.ops},
        bound={"steps": con.size, "ops": con.mdm_ops_bound},
        outputs_equal=con.ops == con.closed_form,
        detail=f"AP-MDM counter: {con.passes} passes on context {con.size}; counted ops "
               f"{con.ops}, MDM bound c·S³·ℓ(S) = {con.mdm_ops_bound}",
        category=Category.ILLUSTRATION, relation=Relation.EXCEEDS,
        claim=f"AP-MDM count exceeds the MDM bound x{con.ratio:.2f}",
    )


SUITE = (
    CheckSuite(
        theorem="2",
        name="theorem2-serial-simulation",
        description="MDM(S) ⊆ PRAM(1, Õ(S³)): serial simulation of transformer MDM runs, "
        "counted ops = closed form ≤ c·S³·ℓ(S); AP-MDM contrast exceeds it",
        run=run_suite,
    )
)
SUITES = (SUITE,)

"""Differential checking of the compiled Theorem-1 / Theorem-4 transformers, and their suites.

:func:`run_differential` drives a generation process with the *compiled transformer* as the
next-step function ``f`` and, on every step, also calls the reference next-step function of
:mod:`constructions.pram.mdm` / :mod:`constructions.pram.apmdm` on the same canvas. The two
must agree exactly: the same control sets (remask, insert, delete) and the same token at every
position the reference gives one (every position the transition g reads; at other positions
g ignores ``y``). On a disagreement it raises :class:`CompiledModelMismatch` naming the step,
the position, what differs, and the first differing residual dimension, found in two stages:

1. the transformer against its own E-FASP program (the plain-Python reference evaluator,
   node by node, via :meth:`CompiledProgram.first_mismatch`): names the first node whose
   compiled residual dimensions differ (a compiler or weight fault);
2. if the transformer computes its program faithfully, the E-FASP program itself differs from
   the reference construction: the error names the output field and its residual dimensions.

The runners (:func:`compiled_mdm_runner`, :func:`compiled_apmdm_runner`) plug into
:func:`checks.pram_cases.check_case`, so a row compares the decoded output with the PRAM
interpreter's and the measured steps / context with the theorem's bound, exactly like the
reference suites; ``apmdm check --compiled`` uses them (see :func:`run_compiled_suite`).
Word size [decision]: the default ``w`` of :mod:`constructions.pram.compiled.common`, a function
of the context, i.e. of n and the declared bounds T(n), S(n) (the measured ones for random
programs) -- never of the instance: the weights depend on n only. An instance whose values need
more bits fails with :class:`~apmdm.machines.errors.WordSizeExceeded` naming the bound. The
random programs are drawn with values inside the smallest word (:data:`RANDOM_WORD_LIMITS`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from apmdm.checks.pram_cases import (
    Outcome,
    PramCase,
    case_rows,
    declared_sizes,
    library_cases,
    random_rows,
)
from apmdm.checks.strategies import RANDOM_LIMITS, pram_instances
from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, labelled
from apmdm.constructions.efasp import CompiledProgram, evaluate
from apmdm.constructions.pram.compiled.apmdm import compile_apmdm_efasp
from apmdm.constructions.pram.compiled.common import (
    BIT_OPS,
    DIVIDE_OPS,
    WORD_BITS_MIN,
    compiles,
)
from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
from apmdm.machines.errors import ApmdmError, CompiledModelMismatch, ConstructionError
from apmdm.machines.pram import PRAM, Op, PRAMLimits, PRAMResult, Program, Variant
from apmdm.machines.process import GenerationProcess, Limits, Model, NextStep, RunResult, StepOutput
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import MASK, Canvas
from apmdm.theory import compiled_pram as cp
from apmdm.theory import theorem1 as th1
from apmdm.theory import theorem4 as th4

MDM_NAME, APMDM_NAME = "thm1-mdm", "thm4-apmdm"
SIZES, QUICK_SIZES = (4, 8, 16), (4, 8)
# Default sweep budget: (context^2 * time bound) of a case, a proxy for the forward passes'
# cost (every step attends over the whole canvas).
MDM_BUDGET, APMDM_BUDGET = 3e8, 1e9
RANDOM_DEFAULT, RANDOM_QUICK = 50, 10


# --- the differential step ------------------------------------------------------------------


def _controls(out: StepOutput) -> tuple[frozenset, frozenset, frozenset]:
    return out.remask, out.insert, out.delete


def compare_outputs(ref: StepOutput, got: StepOutput, canvas: Canvas) -> tuple[int, str] | None:
    """The first (position, description) where ``got`` differs from ``ref``, or None."""
    diffs = []
    for what, a, b in zip(("remask", "insert", "delete"), _controls(ref), _controls(got),
                          strict=True):
        for i in sorted(a ^ b)[:1]:
            diffs.append((i, f"control {what}: reference {i in a}, compiled {i in b}"))
    positions = ref.tokens.keys() if hasattr(ref.tokens, "keys") else range(len(canvas))
    if type(ref.tokens) is dict and type(got.tokens) is dict and ref.tokens == got.tokens:
        positions = ()      # equal mappings: every y_i agrees (one C-level comparison)
    for i in sorted(positions):
        if _token(got, i) != ref.tokens[i]:
            diffs.append((i, f"token: reference {ref.tokens[i]!r}, compiled {_token(got, i)!r}"))
            break
    return min(diffs, key=lambda d: d[0]) if diffs else None


def _token(out: StepOutput, i: int) -> Any:
    """``y_i`` of ``out``, or MASK where a sparse output gives none (never a token)."""
    return out.tokens.get(i, MASK) if hasattr(out.tokens, "get") else out.tokens[i]


def _output_node(compiled: CompiledProgram, description: str, ref: Any, got: Any) -> str:
    """The output node (and its residual dimensions) behind a differing token or control."""
    prog = compiled.program
    node = None
    if description.startswith("control"):
        what = description.split()[1].rstrip(":")
        node = (prog.control_output or (None,) * 3)[("remask", "insert", "delete").index(what)]
    elif prog.token_output[0] == "fields":
        codec = prog.codec
        a, b = codec.encode(ref), codec.encode(got)
        k = next((t for t, (x, y) in enumerate(zip(a, b, strict=True)) if x != y), 0)
        node = prog.token_output[1 + k]
        description += f" (first differing field {codec.field_names[k]!r})"
    if node is None:
        return description
    dims = ", ".join(d for d, _ in compiled.node_values[node].terms) or "constant"
    return f"{description}; output node {node!r}, residual dimensions: {dims}"


def locate(compiled: CompiledProgram, canvas: Canvas, position: int, description: str,
           ref_token: Any = None, got_token: Any = None) -> str:
    """Explain a disagreement at ``position`` down to a residual dimension."""
    try:
        values = evaluate(compiled.program, canvas, compiled.max_length)
        inner = compiled.first_mismatch(canvas, values)
    except Exception as exc:  # noqa: BLE001 - the evaluator's own failure is the explanation
        inner = f"the E-FASP reference evaluator fails: {type(exc).__name__}: {exc}"
    if inner is not None:
        return (f"position {position}: {description}; the transformer differs from its E-FASP "
                f"program: first differing residual value at {inner}")
    return (f"position {position}: the E-FASP program differs from the reference "
            f"construction: {_output_node(compiled, description, ref_token, got_token)}")


def differential_next_step(reference: NextStep, compiled: CompiledProgram,
                           name: str) -> NextStep:
    """A next-step function that returns the compiled transformer's output after checking
    it against ``reference`` on the same canvas (raises CompiledModelMismatch)."""
    f = compiled.generation_step()
    calls = [0]   # the checker counts steps for its messages; f itself is pure

    def checked(canvas: Canvas) -> StepOutput:
        calls[0] += 1
        ref, got = reference(canvas), f(canvas)
        diff = compare_outputs(ref, got, canvas)
        if diff is not None:
            i, what = diff
            tokens = (ref.tokens.get(i) if hasattr(ref.tokens, "get") else ref.tokens[i],
                      _token(got, i)) if what.startswith("token") else (None, None)
            raise CompiledModelMismatch(
                f"{name}: step {calls[0]}, " + locate(compiled, canvas, i, what, *tokens))
        return got

    checked.__name__ = f"differential[{name}]"
    return checked


def run_differential(model: Model, reference: NextStep, compiled: CompiledProgram,
                     canvas: Sequence[Any], limits: Limits, name: str) -> RunResult:
    """Run ``model`` with the compiled transformer as f, checked against ``reference`` on
    every step."""
    proc = GenerationProcess(model, differential_next_step(reference, compiled, name), name=name)
    return proc.run(tuple(canvas), limits)


# --- runners for check_case -------------------------------------------------------------------

Compiler = Callable[..., Any]


def compiled_mdm_runner(compiler: Compiler = compile_mdm_efasp) -> Callable:
    def run(case: PramCase, ref: PRAMResult) -> tuple[Outcome, dict[str, int]]:
        n, T = len(case.inputs), case.time_bound or ref.counters.time
        S = case.memory_bound or max(ref.counters.memory_span, n, 1)
        con = compiler(case.program, n, T, case.variant, S)   # word size from n, T, S
        res = run_differential(Model.MDM, con.reference.next_step, con.compiled,
                               con.initial_canvas(case.inputs), con.limits(), MDM_NAME)
        out = Outcome(con.decode(res.final), res.counters.steps, res.counters.max_context)
        bound = {"steps": th1.mdm_steps_bound(ref.counters.time),
                 "context": th1.mdm_context_bound(n, ref.counters.processors, T,
                                                  case.program.output_region(n)[1])}
        return with_shape("1", con, case.program, out, bound)
    return run


def compiled_apmdm_runner(compiler: Compiler = compile_apmdm_efasp) -> Callable:
    def run(case: PramCase, ref: PRAMResult) -> tuple[Outcome, dict[str, int]]:
        c, n = ref.counters, len(case.inputs)
        S = case.memory_bound or max(c.memory_span, n, 1)
        T = case.time_bound or c.time
        con = compiler(case.program, n, S, T, case.variant)   # word size from n, S, T
        res = run_differential(Model.APMDM, con.reference.next_step, con.compiled,
                               con.initial_canvas(case.inputs), con.limits(Resources(T, S)),
                               APMDM_NAME)
        out = Outcome(con.decode(res.final), res.counters.steps, res.counters.max_context)
        bound = {"steps": th4.apmdm_steps_bound(c.time),
                 "context": th4.apmdm_context_bound(S, c.processors)}
        return with_shape("4", con, case.program, out, bound)
    return run


# --- what the compiled path covers ------------------------------------------------------------


def supported(program: Program, variant: Variant) -> bool:
    """Whether the compiled path compiles ``program`` under ``variant`` (see
    :func:`constructions.pram.compiled.common.check_supported`)."""
    return compiles(program, variant)


def compiled_library_cases(sizes: tuple[int, ...], seed: int, theorem: str,
                           budget: float | None) -> list[PramCase]:
    """Library cases the compiled path supports, within ``budget`` (None: all)."""
    out = []
    for case in library_cases(sizes, seed):
        if not supported(case.program, case.variant):
            continue
        P, T, S = declared_sizes(case)
        n = len(case.inputs)
        context = n + P * T if theorem == "1" else S + 2 * P
        steps = T if theorem == "1" else 2 * T
        if budget is None or context * context * steps <= budget:
            out.append(case)
    return out


# [decision] Random programs may multiply their way past any word; the compiled construction's
# word holds at least WORD_BITS_MIN bits, so random instances are drawn among those whose every
# value (inputs, registers, stored values) stays inside that smallest word: the interpreter is
# rerun with this value limit. A library instance outside its word is not skipped: it fails
# with WordSizeExceeded.
RANDOM_WORD_LIMITS = PRAMLimits(max_steps=RANDOM_LIMITS.max_steps,
                                max_abs_value=(1 << WORD_BITS_MIN) - 1)


def _within_word(inst: Any) -> bool:
    try:
        PRAM(inst.program, inst.variant, RANDOM_WORD_LIMITS).run(inst.inputs)
    except ApmdmError:
        return False
    return True


def supported_instances() -> Any:
    """Random valid halting programs (apmdm.checks.strategies) that the compiled path supports
    and whose values fit the smallest compiled word (:data:`RANDOM_WORD_LIMITS`)."""
    return pram_instances().filter(
        lambda inst: supported(inst.program, inst.variant) and _within_word(inst))


def compiled_random_rows(theorem: str, construction: str, runner: Callable, seed: int,
                         count: int) -> list[CheckRow]:
    """``count`` random supported programs, one aggregated row (plus a shrunk failure)."""
    return random_rows(theorem, construction, runner, CheckOptions(seed=seed), count,
                       supported_instances())


def run_compiled_suite(theorem: str, options: CheckOptions) -> list[CheckRow]:
    """The Theorem-1 (``"1"``) or Theorem-4 (``"4"``) suite with the compiled transformer as f:
    supported library programs at n in {4, 8, 16} within the budget, plus random programs."""
    if theorem not in ("1", "4"):
        raise ConstructionError(f"no compiled suite for theorem {theorem!r}")
    name = MDM_NAME if theorem == "1" else APMDM_NAME
    runner = compiled_mdm_runner() if theorem == "1" else compiled_apmdm_runner()
    budget = MDM_BUDGET if theorem == "1" else APMDM_BUDGET
    sizes = QUICK_SIZES if options.quick else SIZES
    rows = case_rows(theorem, name, compiled_library_cases(sizes, options.seed, theorem, budget),
                     runner)
    count = RANDOM_QUICK if options.quick else RANDOM_DEFAULT
    rows += compiled_random_rows(theorem, name, runner, options.seed, count)
    b1, b4 = th1.BOUNDS, th4.BOUNDS
    claim = ("compiled transformer as f agrees with the schedule every step; output = PRAM's; "
             + (f"steps <= {b1.mdm_steps}; context <= {b1.mdm_context} (the transformer "
                f"copies the answer to the m output positions decode reads)" if theorem == "1"
                else f"steps <= {b4.apmdm_steps}; context <= {b4.apmdm_context}"))
    return labelled(rows, Category.PROVED_INSTANCE, claim)


SUITES = (
    CheckSuite("1", MDM_NAME, "PRAM -> MDM with the compiled exact transformer as f "
               "(Theorem 1, transformer level)", lambda o: run_compiled_suite("1", o),
               compiled=True),
    CheckSuite("4", APMDM_NAME, "PRAM -> AP-MDM with the compiled exact transformer as f "
               "(Theorem 4, transformer level)", lambda o: run_compiled_suite("4", o),
               compiled=True),
)


# --- the transformer's shape, held to the declared bounds (transformer-level rows) -----------


def spec_shape(spec: Any) -> dict[str, int]:
    """Measured depth, residual width and widest MLP of a compiled transformer."""
    return {"depth": spec.depth, "width": spec.width,
            "mlp_width": max((ly.mlp.width for ly in spec.layers if ly.mlp), default=0)}


def shape_bound(theorem: str, program: Program, context: int) -> dict[str, int]:
    """The declared shape bounds of :mod:`apmdm.theory.compiled_pram` for ``program`` at
    canvas length ``context``: computed from the PRAM program and the layout, never from the
    compiled transformer under test."""
    ops = [ins.op for ins in program.instructions]
    divisions = sum(op in DIVIDE_OPS for op in ops)
    divides = divisions > 0
    width = cp.width_bound(len(ops), program.num_registers,
                           sum(op in BIT_OPS for op in ops), context, divisions)
    loads = any(op is Op.LOAD for op in ops)
    return {"depth": cp.depth_bound(theorem, divides), "width": width,
            "mlp_width": cp.mlp_width_bound(width),
            "depth slack": cp.depth_slack(theorem, loads)}


def with_shape(theorem: str, con: Any, program: Program, out: Outcome,
               bound: dict[str, int]) -> tuple[Outcome, dict[str, int]]:
    """``(out, bound)`` with the compiled transformer's depth, width and MLP width added as
    metrics: depth held exactly (``depth slack`` = declared - measured must be 0: neither
    deeper nor shallower than the counted chain, at every n), widths held to the declared
    ``a + b·⌈log₂ L⌉``."""
    shape = spec_shape(con.compiled.spec)
    declared = shape_bound(theorem, program, con.context)
    shape["depth slack"] = max(0, declared["depth"] - shape["depth"])
    extra = tuple(out.extra) + tuple(shape.items())
    return dataclasses.replace(out, extra=extra), {**bound, **declared}

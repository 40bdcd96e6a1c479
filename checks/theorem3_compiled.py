"""Theorem 3 checker at the transformer level: AO-MDM E-FASP programs -> Masked-ARM weights.

Instances (:func:`ao_program_instances`): AO-MDM programs from a few templates with random
parameters, each filling one mask per step and choosing the token from the whole canvas:

* ``leftmost`` / ``rightmost``: fill the leftmost / rightmost mask;
* ``neighbour``: fill the mask whose left neighbour holds the largest token (rightmost on
  ties);
* ``priority``: fill the first mask in a random permutation of the positions.

The token at the filled position is ``table[(a·sum + b·pos + c·left + d·#masks) mod |table|]``
with random ``a..d`` and table, where ``sum`` is the sum of the tokens, ``left`` the left
neighbour's token (``seq_sum``, ``rightmost_match`` and ``seq_sum`` of ``is_mask``: every
aggregation kind the templates use is scoped by the construction). Half of the programs
read out the token through a vocabulary, half as a field; some have an EOS token (the
Masked-ARM must then write HALT right after logging it). Any error in the rebuild, the
scoping or the logging changes later decisions.

:func:`check_program_instance` runs the AO-MDM (its f = the compiled AO program) on the
AO-MDM machine and the compiled Masked-ARM on the Masked-ARM machine, and reports the
measured extra layers (compiled depth difference) beside ``k``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, timed
from apmdm.checks.theorem3 import AOInstance, Theorem3Result, check_instance
from apmdm.constructions.efasp import Program, compile_program
from apmdm.constructions.masked_arm.compiled import (
    DEFAULT_PARTS,
    Parts,
    build_compiled,
    compile_masked_arm,
)
from apmdm.machines.errors import ApmdmError
from apmdm.machines.tokens import MASK, Canvas
from apmdm.theory.theorem3 import COMPILED_EXTRA_LAYERS, COMPILED_LAYERS_SLACK

TEMPLATES = ("leftmost", "rightmost", "neighbour", "priority")


@dataclass(frozen=True)
class AOProgramSpec:
    """Parameters of one templated AO-MDM program over tokens ``0..vocab-1``."""

    template: str
    size: int
    vocab: int
    coeffs: tuple[int, int, int, int]
    table: tuple[int, ...]
    priority: tuple[int, ...] = ()
    vocab_readout: bool = True
    eos: int | None = None


def ao_program(spec: AOProgramSpec) -> Program:
    """Build the AO-MDM E-FASP program described by ``spec`` (field ``tok`` = token + 1)."""
    v = spec.vocab
    p = Program(f"ao-{spec.template}", (("tok", 1, v),), encode=lambda t: (t + 1,),
                decode=lambda f: f[0] - 1, description=f"AO-MDM template {spec.template}")
    tok, mask, pos = p.token_field("tok"), p.is_mask("mask"), p.position("pos")
    left = p.rightmost_match(pos - 1, pos, tok, default=0, name="left")
    if spec.template in ("leftmost", "rightmost"):
        rank = pos if spec.template == "leftmost" else -pos
    elif spec.template == "neighbour":
        rank = p.linear([(left, -spec.size), (pos, -1)], name="rank")
    else:
        rank = p.lookup(pos, dict(enumerate(spec.priority)), 0, name="rank")
    best = p.seq_min(rank, where=mask, default=0, name="best")
    fill = p.and_(mask, p.compare(rank, "==", best, name="is_best"), name="fill")
    a, b, c, d = spec.coeffs
    total = p.seq_sum(tok, name="sum")
    masks = p.seq_sum(mask, name="masks")
    h = p.linear([(total, a), (pos, b), (left, c), (masks, d)], name="h")
    table = spec.table
    span = range(-(v + 1) * spec.size * 2 * sum(abs(x) for x in spec.coeffs) - 1,
                 (v + 1) * spec.size * 2 * sum(abs(x) for x in spec.coeffs) + 2)
    idx = p.lookup(h, {k: table[k % len(table)] for k in span}, 0, name="idx")
    if spec.vocab_readout:
        p.output_vocab(idx, tuple(range(v)))
    else:
        p.output_fields(p.linear([(idx, 1)], 1, name="y"))
    p.output_controls(remask=p.and_(mask, p.not_(fill), name="keep"))
    return p


@st.composite
def ao_program_instances(draw: Callable, max_size: int = 6, max_vocab: int = 3) -> tuple:
    """Hypothesis strategy: ``(AOProgramSpec, initial AO canvas with >= 1 mask)``."""
    size = draw(st.integers(1, max_size))
    vocab = draw(st.integers(1, max_vocab))
    template = draw(st.sampled_from(TEMPLATES))
    coeffs = tuple(draw(st.lists(st.integers(-2, 2), min_size=4, max_size=4)))
    table = tuple(draw(st.lists(st.integers(0, vocab - 1), min_size=1, max_size=5)))
    priority = tuple(draw(st.permutations(range(size)))) if template == "priority" else ()
    eos = draw(st.one_of(st.none(), st.integers(0, vocab - 1)))
    spec = AOProgramSpec(template, size, vocab, coeffs, table, priority, draw(st.booleans()), eos)
    cells = st.one_of(st.just(MASK), st.integers(0, vocab - 1))
    canvas = list(draw(st.lists(cells, min_size=size, max_size=size)))
    canvas[draw(st.integers(0, size - 1))] = MASK
    return spec, tuple(canvas)


def check_program_instance(spec: AOProgramSpec, canvas: Canvas,
                           parts: Parts = DEFAULT_PARTS) -> Theorem3Result:
    """Run the compiled AO-MDM and the compiled Masked-ARM; layers = measured difference."""
    prog = ao_program(spec)
    ao_f = compile_program(prog, len(canvas)).next_step()
    res = check_instance(AOInstance(ao_f, canvas, spec.eos), build_compiled(prog, parts),
                         copy_out=False)   # the compiled layout is log-only (docs/theorem-3.md)
    extra = compile_masked_arm(prog, len(canvas), spec.eos, parts).extra_layers
    return replace(res, extra_layers=extra, layer_bound=COMPILED_EXTRA_LAYERS,
                   layer_slack=COMPILED_LAYERS_SLACK)


@dataclass(frozen=True)
class CompiledSweep:
    """A sweep's worst instance (most extra layers, then context ratio, then size)."""

    instances: int
    max_size: int  # S of the worst instance
    max_extra_layers: int
    measured: dict[str, int]
    bound: dict[str, int]
    failure: str = ""

    @property
    def ok(self) -> bool:
        return not self.failure


def sweep_compiled(examples: int, max_size: int, seed_value: int = 0,
                   parts: Parts = DEFAULT_PARTS) -> CompiledSweep:
    """Check ``examples`` hypothesis-generated AO-MDM programs; keep the worst figures."""
    seen: list[Theorem3Result] = []

    @seed(seed_value)
    @settings(max_examples=examples, deadline=None, database=None, report_multiple_bugs=False,
              suppress_health_check=list(HealthCheck))
    @given(ao_program_instances(max_size=max_size))
    def prop(inst: tuple) -> None:
        spec, canvas = inst
        try:
            res = check_program_instance(spec, canvas, parts)
        except ApmdmError as exc:
            raise AssertionError(f"{spec.template} canvas {canvas!r}: {type(exc).__name__}: "
                                 f"{exc}") from exc
        seen.append(res)
        assert res.ok, (f"{spec.template} canvas {canvas!r}: outputs_equal={res.outputs_equal}"
                        f" order_equal={res.order_equal} measured={res.measured} "
                        f"bound={res.bound}")

    failure = ""
    try:
        prop()
    except AssertionError as exc:
        failure = str(exc).splitlines()[0] if str(exc) else "assertion failed"
    if not seen:
        return CompiledSweep(0, 0, 0, {}, {}, failure or "no instance ran")
    worst = max(seen, key=lambda r: (r.extra_layers, r.measured["context"] / r.bound["context"],
                                     r.size))
    return CompiledSweep(len(seen), worst.size,
                         max(r.extra_layers for r in seen), worst.measured, worst.bound, failure)


def compiled_rows(options: CheckOptions) -> list[CheckRow]:
    """`apmdm check 3` rows for the transformer-level construction (layers measured)."""
    plans = ((5, 20),) if options.quick else ((6, 60), (12, 20))
    rows = []
    for max_size, examples in plans:
        rows.append(timed(lambda max_size=max_size, examples=examples: _row(
            sweep_compiled(examples, max_size, options.seed), max_size)))
    return rows


def _row(res: CompiledSweep, max_size: int) -> CheckRow:
    return CheckRow(
        theorem="3", construction="ao-to-masked-arm-compiled", program="random-efasp-ao",
        n=res.max_size, ok=res.ok, measured=res.measured, bound=res.bound,
        instances=res.instances, outputs_equal=res.ok,
        detail=res.failure or (f"transformer level; S <= {max_size}; layers = measured "
                               f"depth difference (max {res.max_extra_layers})"),
        category=Category.PROVED_INSTANCE,
        claim=f"compiled Masked-ARM output and order = the compiled AO-MDM's; length <= 2S;"
              f" steps <= T+1; measured extra layers <= {COMPILED_EXTRA_LAYERS}")


SUITE = CheckSuite(
    theorem="3",
    name="theorem3-ao-to-masked-arm-compiled",
    description="AO-MDM -> Masked-ARM at the transformer level: compiled E-FASP AO-MDMs, "
    "extra layers measured as the depth difference",
    run=compiled_rows,
    compiled=True,
)
SUITES = (SUITE,)

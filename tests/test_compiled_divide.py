"""``div``, ``mod`` and ``shl`` in the compiled Theorem-1 / Theorem-4 transformers: the
E-FASP ``quotient`` head plus the remainder check (constructions/pram/compiled/common.py).

Every step of every run is checked against the reference next-step function, and the decoded
output against the PRAM interpreter (Python's floor ``//`` and ``%``, all sign combinations).
A quotient that is not a canvas position, or a zero divisor, must fault with a typed error,
never give a wrong value; a deliberately broken quotient head must be caught."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apmdm.checks.compiled import run_differential
from apmdm.constructions.pram.compiled.apmdm import compile_apmdm_efasp
from apmdm.constructions.pram.compiled.common import bit_registers, low_digit_base
from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
from apmdm.machines.errors import ConstructionError, PRAMRuntimeError
from apmdm.machines.pram import PRAM, ProgramBuilder, Variant
from apmdm.machines.process import Model


def divide_program():
    """Processor p < n/2: x = M[p], d = M[n/2 + p]; writes x // d, x % d and x << (p & 3)
    to n + 3p, n + 3p + 1, n + 3p + 2."""
    b = ProgramBuilder("divide-test", processors="n/2", output=("n", "3*(n/2)"), registers=9)
    x, d, q, r, s, a, t, three, h = range(9)
    b.pid(a).nin(h).const(t, 2).div(h, h, t)          # h = n/2 (itself a div)
    b.load(x, a, 0).add(t, a, h).load(d, t, 0)
    b.div(q, x, d).mod(r, x, d)
    b.const(three, 3).and_(s, a, three).shl(s, x, s)
    b.nin(t).mul(a, a, three).add(t, t, a)
    b.store(t, 0, q).store(t, 1, r).store(t, 2, s).halt()
    return b.build()


PROGRAM = divide_program()
VARIANT = Variant.EREW


def _run(inputs: tuple[int, ...]):
    return PRAM(PROGRAM, VARIANT).run(inputs)


def _mdm(inputs):
    res = _run(inputs)
    n = len(inputs)
    return compile_mdm_efasp(PROGRAM, n, res.counters.time, VARIANT, n + 3 * (n // 2)), res


def _apmdm(inputs):
    res = _run(inputs)
    n = len(inputs)
    return compile_apmdm_efasp(PROGRAM, n, n + 3 * (n // 2), res.counters.time, VARIANT), res


def test_the_divisor_register_supplies_bits():
    assert 1 in bit_registers(PROGRAM)   # d
    assert 6 in bit_registers(PROGRAM)   # t (the constant divisor 2 of n/2)


def _inputs(xs, ds):
    return tuple(xs) + tuple(ds)


pairs = st.lists(st.tuples(st.integers(-6, 6), st.integers(-4, 4).filter(bool)),
                 min_size=1, max_size=3)


@pytest.mark.parametrize("model", [Model.MDM, Model.APMDM], ids=["thm1", "thm4"])
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ps=pairs)
@example(ps=[(5, 2), (-5, 2), (5, -2), (-5, -2)])   # every sign combination, remainders != 0
def test_compiled_divide_all_signs(model, ps):
    inputs = _inputs([x for x, _ in ps], [d for _, d in ps])
    con, res = (_mdm if model is Model.MDM else _apmdm)(inputs)
    run = run_differential(model, con.reference.next_step, con.compiled,
                           con.initial_canvas(inputs), con.limits(), "divide")
    assert con.decode(run.final) == res.output
    expect = []
    for p, (x, d) in enumerate(ps):
        expect += [x // d, x % d, x << (p & 3)]
    assert res.output == tuple(expect)


def test_quotients_beyond_the_canvas_use_the_low_digit():
    """2000 // 1 on a canvas of a few dozen positions: the quotient head finds the high digit
    floor(a / (K b)) (a position) and K - 1 comparisons the low digit."""
    inputs = (2000, 1)
    con, res = _mdm(inputs)
    assert res.output[:2] == (2000, 0)
    assert con.context < 2000
    run = run_differential(Model.MDM, con.reference.next_step, con.compiled,
                           con.initial_canvas(inputs), con.limits(), "divide")
    assert con.decode(run.final) == res.output
    assert low_digit_base(con.word_bits, con.context) > 1


def test_zero_divisor_faults_in_the_model_and_errors_in_the_interpreter():
    with pytest.raises(PRAMRuntimeError, match="by zero"):
        _run((7, 0))
    con, _ = _mdm((7, 1))            # compiled for the shapes; then fed a zero divisor
    canvas = con.initial_canvas((7, 0))
    with pytest.raises((ConstructionError, PRAMRuntimeError)):
        run_differential(Model.MDM, con.reference.next_step, con.compiled, canvas,
                         con.limits(), "divide")
    # the model alone (no reference) faults rather than writing a value
    from apmdm.machines.process import GenerationProcess
    with pytest.raises(ConstructionError, match="faults"):
        GenerationProcess(Model.MDM, con.compiled.next_step()).run(canvas, con.limits())


def test_broken_quotient_head_is_caught():
    """The high-digit head's query ``2a - B + 1`` (``B = K b``) becomes ``2a - B - 1``: the
    vertex moves left by ``1/B``, so for ``a = K``, ``b = 1`` (true high digit 1, remainder
    0) the head picks 0. The remainder check turns the wrong quotient into a fault of the
    slot (a typed error), not a wrong value."""
    con, _ = _mdm((1, 1))
    inputs = (low_digit_base(con.word_bits, con.context), 1)
    spec = con.compiled.spec
    one = spec.dim_names.index("in.one")
    layers, hit = [], 0
    for layer in spec.layers:
        heads = []
        for h in layer.heads:
            if h.name == "dv.qhi":
                wq = h.w_q.copy()
                wq[one, 0] -= 2
                h, hit = dataclasses.replace(h, w_q=wq), hit + 1
            heads.append(h)
        layers.append(dataclasses.replace(layer, heads=tuple(heads)))
    assert hit == 1
    model = dataclasses.replace(con.compiled.transformer,
                                spec=dataclasses.replace(spec, layers=tuple(layers)))
    broken = dataclasses.replace(con.compiled, transformer=model)
    run_differential(Model.MDM, con.reference.next_step, con.compiled,
                     con.initial_canvas(inputs), con.limits(), "intact")
    with pytest.raises(ConstructionError, match="quotient"):
        run_differential(Model.MDM, con.reference.next_step, broken,
                         con.initial_canvas(inputs), con.limits(), "broken")


@pytest.mark.parametrize("model", [Model.MDM, Model.APMDM])
def test_divide_at_instruction_one_with_one_register_twice_compiles(model):
    """``div r2, r1, r1`` at instruction 1 used to name two nodes 'dv.a1' (the per-instruction
    select of instruction 1 and the sign-corrected dividend): the compiler refused it."""
    b = ProgramBuilder("div-same", processors=1, output=(0, 1), registers=3)
    b.load(1, 0, 0).div(2, 1, 1).store(0, 0, 2).halt()
    program = b.build()
    inputs = (7,)
    ref = PRAM(program, Variant.EREW).run(inputs)
    T, S = ref.counters.time, 1
    con = (compile_mdm_efasp(program, 1, T, Variant.EREW, S) if model is Model.MDM
           else compile_apmdm_efasp(program, 1, S, T, Variant.EREW))
    run = run_differential(model, con.reference.next_step, con.compiled,
                           con.initial_canvas(inputs), con.limits(), "div-same")
    assert con.decode(run.final) == ref.output == (1,)

"""The PRAM interpreter: variants and their violations, synchronous steps, counters, limits.

Every expected number here is computed by hand from the program text (see the comments),
not read back from the interpreter.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.machines.errors import (
    AccessConflictError,
    CommonWriteConflictError,
    ConcurrentReadError,
    ConcurrentWriteError,
    InvalidArgumentError,
    InvalidProgramError,
    PRAMRuntimeError,
    SizeLimitExceeded,
    StepLimitExceeded,
)
from apmdm.machines.pram import OPERANDS, PRAM, Access, Op, PRAMLimits, ProgramBuilder, Variant
from apmdm.machines.pram.assembly import format_program, parse_program
from apmdm.machines.pram.isa import MAX_IMMEDIATE

ALL = list(Variant)
CW = [Variant.CRCW_COMMON, Variant.CRCW_ARBITRARY, Variant.CRCW_PRIORITY]


def run(program, inputs, variant=Variant.CRCW_PRIORITY, processors=None, **limits):
    return PRAM(program, variant, PRAMLimits(**limits)).run(inputs, processors)


# -- small programs --------------------------------------------------------------------------


def double():
    """Processor i: M[i] = 2 M[i]. 4 steps, touches only its own cell."""
    b = ProgramBuilder("double", processors="n", registers=2)
    b.pid(0).load(1, 0, 0).add(1, 1, 1).store(0, 0, 1)
    return b.build()


def all_read_cell0():
    """Every processor reads M[0] at step 2 (instruction 1), then writes it to M[n + i].

    Registers start at 0, so ``load r1, [r3]`` reads M[0]."""
    b = ProgramBuilder("read0", processors="n", output=("n", "n"), registers=4)
    b.pid(0).load(1, 3, 0).nin(2).add(3, 2, 0).store(3, 0, 1)
    return b.build()


def all_write(value_reg_is_pid: bool):
    """Every processor writes (its id, or 7) to M[n] at step 3 (instruction 2)."""
    b = ProgramBuilder("write-n", processors="n", output=("n", 1), registers=2)
    b.pid(0) if value_reg_is_pid else b.const(0, 7)
    b.nin(1).store(1, 0, 0)
    return b.build()


def writers_program():
    """Input: flags M[0..P-1], values M[P..2P-1]. Processor i with flag != 0 writes its value
    to M[2P] at step 8 (instruction 7); the others jump to the end at step 6."""
    b = ProgramBuilder("writers", processors=1, output=(0, "n + 1"), registers=5)
    b.pid(0).nproc(1).load(2, 0, 0).add(3, 0, 1).load(3, 3, 0).jz(2, "end")
    b.add(4, 1, 1).store(4, 0, 3).label("end")
    return b.build()


def sequential_sum():
    """M[n] = sum(M[0..n-1]) on one processor; T = 3 + 6n + 3 (setup, loop, exit + store)."""
    b = ProgramBuilder("sum", processors=1, output=("n", 1), registers=4)
    b.nin(0).const(1, 0).const(2, 0)
    b.label("loop").lt(3, 1, 0).jz(3, "done").load(3, 1, 0).add(2, 2, 3).addi(1, 1, 1)
    b.jmp("loop").label("done").store(0, 0, 2)
    return b.build()


# -- variants: legal and violating programs --------------------------------------------------


@pytest.mark.parametrize("variant", ALL)
def test_exclusive_program_is_legal_under_every_variant(variant):
    res = run(double(), [3, 1, 4, 1], variant)
    assert res.output == (6, 2, 8, 2)
    assert res.variant is variant


def test_erew_rejects_concurrent_read_naming_step_processor_instruction_address():
    with pytest.raises(ConcurrentReadError) as info:
        run(all_read_cell0(), [5, 0, 0], Variant.EREW)
    err = info.value
    assert (err.variant, err.step, err.processor, err.instruction, err.address) == \
        ("erew", 2, 1, 1, 0)
    assert "step 2, processor 1, instruction 1, address 0" in str(err)


@pytest.mark.parametrize("variant", [v for v in ALL if v is not Variant.EREW])
def test_concurrent_read_is_legal_beyond_erew(variant):
    assert run(all_read_cell0(), [5, 0, 0], variant).output == (5, 5, 5)


@pytest.mark.parametrize("variant", [Variant.EREW, Variant.CREW])
def test_exclusive_write_variants_reject_concurrent_write(variant):
    with pytest.raises(ConcurrentWriteError) as info:
        run(all_write(True), [0, 0, 0], variant)
    err = info.value
    assert (err.variant, err.step, err.processor, err.instruction, err.address) == \
        (variant.value, 3, 1, 2, 3)


def test_common_accepts_equal_values_and_rejects_different_ones():
    assert run(all_write(False), [0, 0, 0], Variant.CRCW_COMMON).output == (7,)
    with pytest.raises(CommonWriteConflictError) as info:
        run(all_write(True), [0, 0, 0], Variant.CRCW_COMMON)
    err = info.value
    assert (err.step, err.processor, err.instruction, err.address) == (3, 1, 2, 3)
    assert isinstance(err, AccessConflictError)


def test_arbitrary_is_lowest_id_and_priority_is_highest_id():
    assert run(all_write(True), [0, 0, 0, 0], Variant.CRCW_ARBITRARY).output == (0,)
    assert run(all_write(True), [0, 0, 0, 0], Variant.CRCW_PRIORITY).output == (3,)
    assert PRAM(all_write(True)).variant is Variant.CRCW_PRIORITY  # the default


@pytest.mark.parametrize("variant", [Variant.CRCW_ARBITRARY, Variant.CRCW_PRIORITY])
def test_arbitrary_and_priority_report_runtime_violations_with_location(variant):
    # No access pattern breaks these two variants' rules; what they do reject is an illegal
    # access: a negative address (processor 0 stores to M[-2] at step 3, instruction 2;
    # processor 1 would store to M[-1], but processors are checked in id order).
    b = ProgramBuilder("negative", processors=2, registers=2)
    b.pid(0).addi(1, 0, -2).store(1, 0, 0)
    with pytest.raises(PRAMRuntimeError, match="address -2 .* step 3, processor 0, instruction 2"):
        run(b.build(), [], variant)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.booleans(), st.integers(-50, 50)), min_size=1, max_size=8),
       st.sampled_from(ALL))
def test_concurrent_write_resolution_matches_the_rule(writers, variant):
    flags = [int(f) for f, _ in writers]
    values = [v for _, v in writers]
    p = len(writers)
    ids = [i for i in range(p) if flags[i]]
    prog = writers_program()
    pram = PRAM(prog, variant)
    if len(ids) >= 2 and variant in (Variant.EREW, Variant.CREW):
        with pytest.raises(ConcurrentWriteError) as info:
            pram.run(flags + values, p)
        assert (info.value.step, info.value.processor, info.value.address) == (8, ids[1], 2 * p)
        return
    differing = [i for i in ids if values[i] != values[ids[0]]] if ids else []
    if variant is Variant.CRCW_COMMON and differing:
        with pytest.raises(CommonWriteConflictError) as info:
            pram.run(flags + values, p)
        assert (info.value.step, info.value.processor, info.value.instruction,
                info.value.address) == (8, differing[0], 7, 2 * p)
        return
    result = pram.run(flags + values, p)
    if not ids:
        expected = 0
    elif variant is Variant.CRCW_PRIORITY:
        expected = values[max(ids)]
    else:  # arbitrary: lowest id; common / exclusive with one writer: the (only) value
        expected = values[min(ids)]
    assert result.memory_dict().get(2 * p, 0) == expected


# -- synchronous semantics -------------------------------------------------------------------


def read_while_written():
    """Processor 0 writes 99 to M[0] at step 4 while processor 1 reads M[0] at step 4."""
    b = ProgramBuilder("rw", processors=2, output=(0, 2), registers=4)
    b.pid(0).jnz(0, "reader").const(1, 99).store(2, 0, 1).halt()
    b.label("reader").const(3, 0).load(1, 2, 0).store(2, 1, 1)
    return b.build()


@pytest.mark.parametrize("variant", ALL)
def test_reads_of_a_step_see_memory_before_its_writes(variant):
    prog = read_while_written()
    steps = list(PRAM(prog, variant).run_stepwise([5]))
    assert steps[3].accesses == (Access(0, 3, "W", 0, 99), Access(1, 6, "R", 0, 5))
    assert run(prog, [5], variant).output == (99, 5)  # the reader saw the old value 5


def test_run_stepwise_and_run_agree_and_log_accesses_in_processor_order():
    prog = double()
    steps = list(PRAM(prog).run_stepwise([3, 1, 4]))
    assert [s.step for s in steps] == [1, 2, 3, 4]
    assert steps[1].accesses == tuple(Access(i, 1, "R", i, v) for i, v in enumerate([3, 1, 4]))
    assert steps[3].writes == ((0, 6), (1, 2), (2, 8))
    assert [s.active for s in steps] == [3, 3, 3, 3]
    assert run(prog, [3, 1, 4]).counters.time == len(steps)


def test_floor_division_and_modulo():
    b = ProgramBuilder("divmod", processors=1, output=(0, 2), registers=4)
    b.const(0, -7).const(1, 2).div(2, 0, 1).mod(3, 0, 1).const(0, 0).store(0, 0, 2)
    b.store(0, 1, 3)
    assert run(b.build(), []).output == (-4, 1)


# -- counters ------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [0, 1, 4, 7])
def test_sequential_sum_counters_by_hand(n):
    res = run(sequential_sum(), list(range(1, n + 1)))
    assert res.output == (n * (n + 1) // 2,)
    c = res.counters
    assert (c.time, c.processors, c.work) == (6 * n + 6, 1, 6 * n + 6)
    assert (c.memory_span, c.cells_touched) == (n + 1, n + 1)


def test_parallel_counters_by_hand():
    c = run(double(), [1, 2, 3, 4, 5]).counters
    assert (c.time, c.processors, c.work, c.memory_span, c.cells_touched) == (4, 5, 20, 5, 5)
    # Processors with a zero cell take 5 steps (pid, nin, load, jz, halt), the others 7.
    b = ProgramBuilder("any", processors="n", output=("n", 1), registers=4)
    b.pid(0).nin(1).load(2, 0, 0).jz(2, "done").const(3, 1).store(1, 0, 3).label("done").halt()
    res = run(b.build(), [0, 5, 0, 7], Variant.CRCW_COMMON)
    assert res.output == (1,)
    assert (res.counters.time, res.counters.work) == (7, 2 * 5 + 2 * 7)


def test_span_versus_cells_touched():
    # One processor writes M[10] with n = 2: span 11, cells {0, 1, 10}.
    b = ProgramBuilder("far", processors=1, output=(10, 1), registers=2)
    b.const(0, 10).store(0, 0, 0)
    c = run(b.build(), [4, 4]).counters
    assert (c.time, c.work, c.memory_span, c.cells_touched) == (2, 2, 11, 3)


# -- limits and run-time errors ---------------------------------------------------------------


def test_step_limit_is_exact():
    # n = 2 needs T = 18 steps.
    assert run(sequential_sum(), [1, 2], max_steps=18).counters.time == 18
    with pytest.raises(StepLimitExceeded, match="within 17 steps"):
        run(sequential_sum(), [1, 2], max_steps=17)


def test_infinite_loop_hits_step_limit():
    b = ProgramBuilder("spin", processors=3)
    b.label("top").jmp("top")
    with pytest.raises(StepLimitExceeded, match="within 50 steps .*3 processors"):
        run(b.build(), [], max_steps=50)


def test_address_outside_memory_limit():
    b = ProgramBuilder("far", processors=1, registers=2)
    b.const(0, 1001).load(1, 0, 0)
    with pytest.raises(PRAMRuntimeError, match="address 1001 .*step 2, processor 0, instruction 1"):
        run(b.build(), [], max_address=1000)


@pytest.mark.parametrize("op, b_value, match", [
    (Op.DIV, 0, "div by zero"), (Op.MOD, 0, "mod by zero"),
    (Op.SHL, 63, "shift amount"), (Op.SHR, -1, "shift amount"),
])
def test_alu_errors_name_the_location(op, b_value, match):
    b = ProgramBuilder("alu", processors=2, registers=3)
    b.const(0, 5).const(1, b_value).emit(op, 2, 0, 1)
    with pytest.raises(PRAMRuntimeError, match=match + ".*step 3, processor 0, instruction 2"):
        run(b.build(), [])


def test_overflow_from_arithmetic_and_from_a_constant():
    b = ProgramBuilder("grow", processors=1, registers=1)
    b.const(0, 3).label("top").mul(0, 0, 0).jmp("top")
    with pytest.raises(SizeLimitExceeded, match="value .* exceeds the value limit"):
        run(b.build(), [])
    c = ProgramBuilder("big", processors=1, registers=2)
    c.const(0, 2**31).const(1, 0).store(1, 0, 0)
    with pytest.raises(SizeLimitExceeded, match="step 1, processor 0, instruction 0"):
        run(c.build(), [])
    with pytest.raises(SizeLimitExceeded, match="input"):
        run(double(), [2**31])


def test_processor_and_argument_validation():
    assert run(double(), [1, 2, 3], processors=2).output == (2, 4, 3)
    with pytest.raises(SizeLimitExceeded):
        run(double(), [1], processors=9, max_processors=8)
    with pytest.raises(InvalidArgumentError):
        run(double(), [1], processors=0)
    with pytest.raises(InvalidArgumentError):
        run(double(), [1.5])
    with pytest.raises(InvalidProgramError, match="processors"):
        run(double(), [])  # processors n = 0
    with pytest.raises(InvalidArgumentError, match="unknown PRAM variant"):
        Variant.parse("crcw")
    assert Variant.parse("CREW") is Variant.CREW


# -- builder versus assembly: the same program either way -----------------------------------

_KIND_VALUES = {"i": st.integers(-6, 6) | st.sampled_from([MAX_IMMEDIATE, -MAX_IMMEDIATE])}


@st.composite
def random_programs(draw):
    registers = draw(st.integers(1, 6))
    length = draw(st.integers(1, 10))
    label_at = draw(st.lists(st.integers(0, length), max_size=3))
    builder = ProgramBuilder(
        draw(st.sampled_from(["p", "rand-prog", "x.1"])),
        processors=draw(st.sampled_from([1, 2, "n", "max(1, n/2)", "n+1"])),
        output=draw(st.sampled_from([(0, "n"), ("n", 1), (1, "max(0, n - 1)"), (0, 3)])),
        registers=registers)
    names = [f"L{i}" for i in range(len(label_at))]
    places = dict(zip(names, label_at, strict=True))
    ops = [op for op in Op if op not in (Op.DIV, Op.MOD) or draw(st.booleans())]
    for index in range(length + 1):
        for name in names:
            if places[name] == index:
                builder.label(name)
        if index == length:
            break
        op = draw(st.sampled_from(ops))
        args = []
        for kind in OPERANDS[op]:
            if kind == "r":
                args.append(draw(st.integers(0, registers - 1)))
            elif kind == "i":
                args.append(draw(_KIND_VALUES["i"]))
            else:
                args.append(draw(st.sampled_from(names) | st.integers(0, length)) if names
                            else draw(st.integers(0, length)))
        builder.emit(op, *args)
    return builder.build()


def _outcome(program, variant, inputs):
    pram = PRAM(program, variant, PRAMLimits(max_steps=40, max_address=64))
    try:
        return ("ok", pram.run(inputs), list(pram.run_stepwise(inputs)))
    except (PRAMRuntimeError, SizeLimitExceeded, StepLimitExceeded, InvalidProgramError,
            InvalidArgumentError) as exc:
        return ("error", type(exc), str(exc))


@settings(max_examples=200, deadline=None)
@given(random_programs(), st.sampled_from(ALL), st.lists(st.integers(-4, 4), max_size=4))
def test_builder_and_assembly_programs_behave_identically(program, variant, inputs):
    text = format_program(program)
    parsed = parse_program(text, "<random>")
    assert parsed == program
    assert format_program(parsed) == text
    assert _outcome(parsed, variant, inputs) == _outcome(program, variant, inputs)

"""The PRAM instruction set, program validation, the builder and size expressions."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.machines.errors import InvalidProgramError
from apmdm.machines.pram import PRAM, Instr, Op, Program, ProgramBuilder, clog2, parse_size_expr


@pytest.mark.parametrize(
    "text, n, value",
    [
        ("n", 7, 7),
        ("n*n*n", 3, 27),
        ("max(1, n/2)", 1, 1),
        ("max(1, n/2)", 9, 4),
        ("2*clog2(n) + 3", 8, 9),
        ("2*clog2(n) + 3", 9, 11),
        ("2^clog2(n)", 5, 8),
        ("flog2(n)", 9, 3),
        ("n % 3", 10, 1),
        ("-n + 5", 2, 3),
        ("(n+1)*(n-1)", 4, 15),
        ("min(n, 4, 2*n)", 9, 4),
    ],
)
def test_size_expressions_evaluate_exactly(text: str, n: int, value: int) -> None:
    assert parse_size_expr(text).evaluate(n) == value


@pytest.mark.parametrize(
    "text, column",
    [
        ("n +", 4),
        ("foo(n)", 1),
        ("n ** 2", 4),
        ("clog2(n, 2)", 12),
        ("(n", 3),
        ("n)", 2),
    ],
)
def test_size_expression_errors_name_the_column(text: str, column: int) -> None:
    with pytest.raises(InvalidProgramError, match=f"column {column}"):
        parse_size_expr(text)


def test_size_expression_runtime_errors() -> None:
    with pytest.raises(InvalidProgramError, match="division by zero"):
        parse_size_expr("n / (n - 2)").evaluate(2)
    with pytest.raises(InvalidProgramError, match="exponent"):
        parse_size_expr("2 ^ n").evaluate(100)


@given(st.integers(min_value=1, max_value=10**9))
def test_clog2_is_ceiling_log2(x: int) -> None:
    assert 2 ** clog2(x) >= x and (x == 1 or 2 ** (clog2(x) - 1) < x)


@pytest.mark.parametrize(
    "instrs, message",
    [
        ((Instr(Op.ADD, (0, 1)),), "takes 3 operand"),
        ((Instr(Op.MOV, (0, 8)),), "register r8 outside"),
        ((Instr(Op.JMP, (5,)),), "jump target 5 outside"),
        ((Instr(Op.CONST, (0, 2**41)),), "immediate"),
        ((Instr(Op.CONST, (0, True)),), "must be an int"),
        ((), "1..4096 instructions"),
    ],
)
def test_program_validation_names_instruction(instrs: tuple, message: str) -> None:
    with pytest.raises(InvalidProgramError, match=message):
        Program(instrs)


def test_builder_resolves_labels_and_rejects_undefined() -> None:
    b = ProgramBuilder("count", processors=1, output=(0, 1))
    b.const(0, 0).const(1, 5).label("loop").addi(0, 0, 1).lt(2, 0, 1).jnz(2, "loop")
    b.const(3, 0).store(3, 0, 0).halt()
    prog = b.build()
    assert prog.instructions[4] == Instr(Op.JNZ, (2, 2))
    assert PRAM(prog).run([]).output == (5,)
    bad = ProgramBuilder("bad").jmp("nowhere")
    with pytest.raises(InvalidProgramError, match="undefined label 'nowhere'"):
        bad.build()
    with pytest.raises(InvalidProgramError, match="defined twice"):
        ProgramBuilder("dup").label("a").label("a")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=20))
def test_parallel_doubling_matches_python(values: list[int]) -> None:
    b = ProgramBuilder("double", processors="n")
    b.pid(0).load(1, 0, 0).add(1, 1, 1).store(0, 0, 1).halt()
    result = PRAM(b.build()).run(values)
    assert result.output == tuple(2 * v for v in values)
    assert result.counters.time == 5 and result.counters.work == 5 * len(values)

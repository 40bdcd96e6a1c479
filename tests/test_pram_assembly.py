"""PRAM assembly: syntax, canonical formatting, and an error with line AND column per kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.machines.errors import (
    ApmdmError,
    AssemblyError,
    InvalidArgumentError,
    InvalidProgramError,
)
from apmdm.machines.pram import PRAM, Instr, Op, Program, ProgramBuilder, parse_size_expr
from apmdm.machines.pram.assembly import (
    MAX_LINE_CHARS,
    MAX_LINES,
    MAX_SOURCE_CHARS,
    format_program,
    load_program_file,
    parse_program,
)

EXAMPLES = sorted((Path(__file__).resolve().parent.parent / "examples" / "pram").glob("*.pram"))


def test_examples_exist_parse_and_round_trip():
    assert len(EXAMPLES) >= 4
    for path in EXAMPLES:
        prog = load_program_file(path)
        assert parse_program(format_program(prog)) == prog
        assert format_program(parse_program(format_program(prog))) == format_program(prog)


def test_full_syntax():
    text = (
        "; header comment\n"
        "# another comment\n"
        ".name   demo-1  ; trailing comment\n"
        ".registers 5\n"
        ".processors max(1, n/2)\n"
        ".output n + 1, 2*n\n"
        "start: a2:  PID r0\n"
        "\tload r1, [r0]\n"
        "   load r2, [r0 + 4]\n"
        "   load r3, [r0 - 4]\n"
        "   load r4, [r0 + -3]\n"
        "   store [R1], r2\n"
        "   const r1, -17\n"
        "   const r1, +17\n"
        "   addi r1, r1, 3\r\n"
        "loop:\n"
        "   jnz r1, loop\n"
        "   jz r1, @0\n"
        "   jmp end\n"
        "   halt\n"
        "end:\n"
    )
    prog = parse_program(text)
    assert prog.name == "demo-1"
    assert prog.num_registers == 5
    assert prog.processors == parse_size_expr("max(1, n/2)")
    assert (prog.output_start, prog.output_length) == (parse_size_expr("n + 1"),
                                                       parse_size_expr("2*n"))
    assert prog.instructions == (
        Instr(Op.PID, (0,)), Instr(Op.LOAD, (1, 0, 0)), Instr(Op.LOAD, (2, 0, 4)),
        Instr(Op.LOAD, (3, 0, -4)), Instr(Op.LOAD, (4, 0, -3)), Instr(Op.STORE, (1, 0, 2)),
        Instr(Op.CONST, (1, -17)), Instr(Op.CONST, (1, 17)), Instr(Op.ADDI, (1, 1, 3)),
        Instr(Op.JNZ, (1, 9)), Instr(Op.JZ, (1, 0)), Instr(Op.JMP, (13,)), Instr(Op.HALT),
    )
    assert prog.labels == (("start", 0), ("a2", 0), ("loop", 9), ("end", 13))
    assert parse_program(format_program(prog)) == prog


def test_defaults_match_program_defaults():
    prog = parse_program("halt")
    assert prog == Program((Instr(Op.HALT),))


def test_builder_program_formats_canonically():
    b = ProgramBuilder("double", processors="n", registers=2)
    b.pid(0).load(1, 0, 0).add(1, 1, 1).store(0, 3, 1).label("x").jmp("x")
    text = format_program(b.build())
    assert text == (".name double\n.registers 2\n.processors n\n.output 0, n\n"
                    "    pid r0\n    load r1, [r0]\n    add r1, r1, r1\n    store [r0 + 3], r1\n"
                    "x:\n    jmp x\n")
    assert parse_program(text) == b.build()


def test_unlabelled_jump_targets_use_indices():
    prog = Program((Instr(Op.JMP, (1,)), Instr(Op.JZ, (0, 0)), Instr(Op.LOAD, (0, 0, -2))))
    text = format_program(prog)
    assert "jmp @1" in text and "jz r0, @0" in text and "load r0, [r0 - 2]" in text
    assert parse_program(text) == prog


def test_the_parsed_program_runs():
    prog = parse_program(".processors n\npid r0\nload r1, [r0]\nadd r1, r1, r1\nstore [r0], r1")
    assert PRAM(prog).run([3, 1, 4]).output == (6, 2, 8)


# -- errors: one per kind, with line and column -----------------------------------------------

ERRORS = [
    # (kind, text, line, column, message fragment)
    ("unknown opcode", "halt\n  frob r1, r2\n", 2, 3, "unknown opcode 'frob'"),
    ("unknown opcode (punctuation)", "halt\n  , r1\n", 2, 3, "unknown opcode ','"),
    ("bad register syntax", "add r1, x2, r3", 1, 9, "bad register 'x2'"),
    ("bad register syntax (number)", "mov r1, 5", 1, 9, "bad register '5'"),
    ("register out of default range", "halt\nmov r1, r8", 2, 9, "only r0..r7 exist"),
    ("register out of declared range", ".registers 2\nnop:\n  pid r2", 3, 7, "only r0..r1"),
    ("register declared after use", "pid r3\n.registers 3", 1, 5, "bad register r3"),
    ("undefined label", "halt\n\n   jz r0, nowhere ; x", 3, 11, "undefined label 'nowhere'"),
    ("duplicate label", "a: halt\n  b:  a: halt", 2, 7, "duplicate label 'a'"),
    ("missing operand", "add r1, r2", 1, 11, "missing operand 3 of add"),
    ("missing operand (trailing comment)", "const r1   ; c", 1, 9, "missing operand 2 of const"),
    ("missing operand (empty)", "add r1, , r2", 1, 9, "missing operand 2 of add"),
    ("missing operand (none)", "  pid", 1, 6, "missing operand 1 of pid"),
    ("extra operand", "add r1, r2, r3, r4", 1, 17, "extra operand"),
    ("extra operand (halt)", "halt r1", 1, 6, "extra operand"),
    ("bad immediate", "const r1, 12x", 1, 11, "bad immediate '12x'"),
    ("bad immediate (label)", "addi r1, r1, one", 1, 14, "bad immediate 'one'"),
    ("bad immediate (too large)", "const r1, -1099511627777", 1, 11, "exceeds 2^40"),
    ("bad memory operand (no brackets)", "load r1, r2", 1, 10, "bad memory operand 'r2'"),
    ("bad memory operand (operator)", "load r1, [r2 * 3]", 1, 14, "expected '+' or '-'"),
    ("bad memory operand (unclosed)", "store [r2 + 3, r1", 1, 7, "bad memory operand"),
    ("bad memory operand (nested)", "load r1, [[r2]]", 1, 11, "unexpected '['"),
    ("bad memory operand (stray bracket)", "load r1, r2]", 1, 12, "unexpected ']'"),
    ("bad memory operand (offset)", "load r1, [r2 + x]", 1, 16, "bad immediate 'x'"),
    ("bad jump target", "jmp 5", 1, 5, "bad jump target '5'"),
    ("jump target out of range", "jmp @2", 1, 5, "outside the program"),
    ("bad label", "r1: halt", 1, 1, "bad label 'r1'"),
    ("bad directive (unknown)", "halt\n  .proc n", 2, 3, "bad directive '.proc'"),
    ("bad directive (twice)", ".name a\n.name b\nhalt", 2, 1, ".name given twice"),
    ("bad directive (no argument)", ".processors   \nhalt", 1, 12, "needs an argument"),
    ("bad directive (registers)", ".registers  65\nhalt", 1, 13, ".registers takes"),
    ("bad directive (name)", ".name my prog\nhalt", 1, 7, "is not a name"),
    ("bad directive (output arity)", ".output 0\nhalt", 1, 9, "two size expressions"),
    ("bad expression (processors)", ".processors  2*m\nhalt", 1, 16, "unknown name 'm'"),
    ("bad expression (output length)", ".output 0, (n\nhalt", 1, 14, "expected ')'"),
    ("bad expression (output start)", ".output  , n\nhalt", 1, 10, "empty output start"),
    ("empty program", "", 1, 1, "empty program"),
    ("empty program (comments, labels, directives)", "; c\nx:\n.name p\n", 1, 1,
     "empty program"),
    ("line too long", "halt\n" + " " * (MAX_LINE_CHARS + 1), 2, MAX_LINE_CHARS + 1,
     "line longer than"),
    ("too many lines", "halt" + "\n" * MAX_LINES, MAX_LINES + 1, 1, "more than"),
]


@pytest.mark.parametrize("kind, text, line, column, fragment", ERRORS, ids=[e[0] for e in ERRORS])
def test_error_names_line_and_column(kind, text, line, column, fragment):
    with pytest.raises(AssemblyError) as info:
        parse_program(text, "t.pram")
    err = info.value
    assert (err.line, err.column) == (line, column), str(err)
    assert err.source == "t.pram"
    assert fragment in str(err)
    assert str(err).startswith(f"t.pram:{line}:{column}: ")
    assert isinstance(err, InvalidProgramError) and isinstance(err, ApmdmError)


def test_source_size_limit():
    text = "halt\n" + ";" * (MAX_LINE_CHARS - 1) + "\n"
    text = text * (MAX_SOURCE_CHARS // len(text) + 1)
    with pytest.raises(AssemblyError, match="longer than") as info:
        parse_program(text)
    assert info.value.line > 1


def test_too_many_instructions():
    with pytest.raises(AssemblyError, match="more than 4096 instructions") as info:
        parse_program("halt\n" * 4097)
    assert (info.value.line, info.value.column) == (4097, 1)


def test_file_errors(tmp_path):
    bad = tmp_path / "bad.pram"
    bad.write_bytes(b"halt\n  \xff\n")
    with pytest.raises(AssemblyError, match="UTF-8") as info:
        load_program_file(bad)
    assert (info.value.line, info.value.column) == (2, 3)
    with pytest.raises(InvalidArgumentError, match="cannot read"):
        load_program_file(tmp_path / "missing.pram")
    src = tmp_path / "p.pram"
    src.write_text("halt\njmp nowhere\n")
    with pytest.raises(AssemblyError, match=r"p\.pram:2:5: undefined label"):
        load_program_file(src)
    with pytest.raises(InvalidArgumentError):
        parse_program(b"halt")  # type: ignore[arg-type]


def test_format_rejects_what_assembly_cannot_express():
    ok = Program((Instr(Op.HALT),))
    with pytest.raises(InvalidProgramError, match="name"):
        format_program(Program((Instr(Op.HALT),), name="two words"))
    with pytest.raises(InvalidProgramError, match="label"):
        format_program(Program((Instr(Op.HALT),), labels=(("r1", 0),)))
    with pytest.raises(InvalidProgramError, match="twice"):
        format_program(Program((Instr(Op.HALT),), labels=(("a", 0), ("a", 1))))
    with pytest.raises(InvalidArgumentError):
        format_program("halt")  # type: ignore[arg-type]
    assert format_program(ok).endswith("    halt\n")


# -- robustness: any text either parses or gives a located AssemblyError ----------------------

_ALPHABET = st.sampled_from(list("rR0123456789 ,[]+-:;#.@\n\tabcdehjlmnopstxz()*/") + ["\u00e9"])


def _check_text(text: str) -> None:
    try:
        prog = parse_program(text, "fuzz")
    except AssemblyError as err:
        lines = text.split("\n")
        assert 1 <= err.line <= len(lines)
        assert 1 <= err.column <= len(lines[err.line - 1]) + 1
        return
    assert parse_program(format_program(prog)) == prog


@settings(max_examples=300, deadline=None)
@given(st.text(_ALPHABET, max_size=120))
def test_random_text_parses_or_fails_with_a_location(text):
    _check_text(text)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(EXAMPLES), st.data())
def test_mutated_examples_parse_or_fail_with_a_location(path, data):
    text = path.read_text()
    pos = data.draw(st.integers(0, len(text) - 1))
    _check_text(text[:pos] + data.draw(_ALPHABET) + text[pos + 1:])

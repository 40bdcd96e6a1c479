"""PRAM assembly: a small text format for :class:`~apmdm.machines.pram.isa.Program`, both ways.

:func:`parse_program` turns text into a validated :class:`Program`; :func:`format_program`
turns a program back into canonical text, with ``parse_program(format_program(p)) == p``.
The format is specified in ``docs/pram-assembly.md``; in short::

    ; comments start with ';' or '#' and run to the end of the line
    .name     double            ; program name (default "program")
    .registers 4                ; registers r0..r3 per processor (default 8, at most 64)
    .processors n               ; size expression in n (default 1)
    .output   0, n              ; output region: start, length (default 0, n)
            pid   r0
            load  r1, [r0]      ; memory operands: [rK], [rK + imm], [rK - imm]
            add   r1, r1, r1
    done:   store [r0 + 0], r1  ; labels: 'name:' alone or before an instruction
            jmp   end           ; jump targets: a label, or '@index' (an instruction index)
    end:

Mnemonics are the :class:`Op` values (case-insensitive), registers ``r0 .. r{K-1}``,
immediates are decimal integers with an optional sign. Directives may appear anywhere;
each at most once. Size expressions are parsed by :mod:`machines.pram.expr` (never eval).

Every error is an :class:`~apmdm.machines.errors.AssemblyError` carrying the 1-based line and
column of the offending token (columns count characters; a tab is one column).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from apmdm.machines.errors import AssemblyError, InvalidArgumentError, InvalidProgramError
from apmdm.machines.pram.expr import SizeExpr, parse_size_expr
from apmdm.machines.pram.isa import (
    MAX_IMMEDIATE,
    MAX_INSTRUCTIONS,
    MAX_REGISTERS,
    OPERANDS,
    Instr,
    Op,
    Program,
)

MAX_SOURCE_CHARS = 1_000_000
MAX_LINES = 100_000
MAX_LINE_CHARS = 1_000

_TOKEN = re.compile(r"\s*(?:([A-Za-z0-9_.@]+)|(\S))", re.ASCII)
_REGISTER = re.compile(r"[rR]([0-9]{1,9})", re.ASCII)
_INTEGER = re.compile(r"[0-9]{1,30}", re.ASCII)
_TARGET = re.compile(r"@([0-9]{1,9})", re.ASCII)
_LABEL = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*", re.ASCII)
_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.+\-]*", re.ASCII)
_EXPR_COLUMN = re.compile(r"column (\d+): ")
_DIRECTIVES = (".name", ".registers", ".processors", ".output")
_MNEMONICS = {op.value: op for op in Op}
_SYNTAX = {Op.LOAD: "rm", Op.STORE: "mr"}  # every other opcode: OPERANDS[op]
_KIND_NAMES = {"r": "register", "i": "immediate", "l": "label", "m": "memory operand [rK + imm]"}


@dataclass(frozen=True)
class _Tok:
    text: str
    col: int      # 1-based
    word: bool    # a run of word characters (name, number, register, directive)


@dataclass(frozen=True)
class _Ref:
    """Something resolved after the whole file was read: a register or a jump target."""

    kind: str     # "reg", "label" or "index"
    value: str | int
    line: int
    col: int


class _Parser:
    def __init__(self, text: str, source: str):
        self.source = source
        self.text = text
        self.instrs: list[tuple[Op, list]] = []    # args: ints or _Ref (labels/indices)
        self.instr_lines: list[int] = []
        self.labels: dict[str, int] = {}
        self.registers_used: list[_Ref] = []
        self.directives: dict[str, object] = {}

    def error(self, message: str, line: int, col: int) -> AssemblyError:
        return AssemblyError(message, line, col, self.source)

    # -- top level -------------------------------------------------------------------------

    def parse(self) -> Program:
        self._check_size()
        lines = self.text.split("\n")
        for number, raw in enumerate(lines, start=1):
            self._parse_line(raw.rstrip("\r"), number)
        if not self.instrs:
            raise self.error("empty program: no instructions", 1, 1)
        return self._build()

    def _check_size(self) -> None:
        if len(self.text) > MAX_SOURCE_CHARS:
            line = self.text.count("\n", 0, MAX_SOURCE_CHARS) + 1
            col = MAX_SOURCE_CHARS - (self.text.rfind("\n", 0, MAX_SOURCE_CHARS) + 1) + 1
            raise self.error(f"source longer than {MAX_SOURCE_CHARS} characters", line, col)
        if self.text.count("\n") + 1 > MAX_LINES:
            raise self.error(f"source has more than {MAX_LINES} lines", MAX_LINES + 1, 1)

    def _parse_line(self, raw: str, line: int) -> None:
        if len(raw) > MAX_LINE_CHARS:
            raise self.error(f"line longer than {MAX_LINE_CHARS} characters", line,
                             MAX_LINE_CHARS + 1)
        cut = min((i for i in (raw.find(";"), raw.find("#")) if i >= 0), default=len(raw))
        code = raw[:cut]
        toks = _tokenize(code)
        if not toks:
            return
        if toks[0].text.startswith("."):
            self._parse_directive(code, toks, line)
            return
        while len(toks) >= 2 and toks[1].text == ":" and toks[0].word:
            self._define_label(toks[0], line)
            toks = toks[2:]
        if toks:
            self._parse_instruction(toks, line, len(code.rstrip()) + 1)

    def _define_label(self, tok: _Tok, line: int) -> None:
        name = tok.text
        if not _LABEL.fullmatch(name) or _REGISTER.fullmatch(name):
            raise self.error(f"bad label {name!r}: a label is a name like 'loop' or 'L_2' "
                             "(not a number or register name)", line, tok.col)
        if name in self.labels:
            raise self.error(f"duplicate label {name!r}", line, tok.col)
        self.labels[name] = len(self.instrs)

    # -- directives ------------------------------------------------------------------------

    def _parse_directive(self, code: str, toks: list[_Tok], line: int) -> None:
        head = toks[0]
        name = head.text.lower()
        if name not in _DIRECTIVES:
            raise self.error(f"bad directive {head.text!r} (known: {', '.join(_DIRECTIVES)})",
                             line, head.col)
        if name in self.directives:
            raise self.error(f"bad directive: {name} given twice", line, head.col)
        rest_start = head.col - 1 + len(head.text)
        rest = code[rest_start:]
        if not rest.strip():
            raise self.error(f"bad directive: {name} needs an argument", line,
                             len(code.rstrip()) + 1)
        col = rest_start + (len(rest) - len(rest.lstrip())) + 1
        arg = rest.strip()
        if name == ".name":
            if not _NAME.fullmatch(arg):
                raise self.error(f"bad directive: .name {arg!r} is not a name (letters, digits, "
                                 "'_', '.', '+', '-')", line, col)
            self.directives[name] = arg
        elif name == ".registers":
            if not _INTEGER.fullmatch(arg) or not 1 <= int(arg) <= MAX_REGISTERS:
                raise self.error(f"bad directive: .registers takes an integer 1..{MAX_REGISTERS}, "
                                 f"got {arg!r}", line, col)
            self.directives[name] = (int(arg), line, col)
        elif name == ".processors":
            self.directives[name] = self._expression(arg, line, col)
        else:
            self.directives[name] = self._output(arg, line, col)

    def _output(self, arg: str, line: int, col: int) -> tuple[SizeExpr, SizeExpr]:
        parts = _split_top_level(arg)
        if len(parts) != 2:
            raise self.error("bad directive: .output takes two size expressions 'START, LENGTH', "
                             f"got {len(parts)}", line, col)
        (start_off, start), (length_off, length) = parts
        if not start.strip():
            raise self.error("bad expression: empty output start", line, col + start_off)
        if not length.strip():
            raise self.error("bad expression: empty output length", line, col + length_off)
        return (self._expression(start.strip(), line,
                                 col + start_off + len(start) - len(start.lstrip())),
                self._expression(length.strip(), line,
                                 col + length_off + len(length) - len(length.lstrip())))

    def _expression(self, text: str, line: int, col: int) -> SizeExpr:
        try:
            return parse_size_expr(text)
        except InvalidProgramError as exc:
            # expr.py reports "size expression '...', column C: ..." (C counts within the
            # expression); tests/test_pram_assembly.py pins the resulting line columns.
            found = _EXPR_COLUMN.search(str(exc))
            offset = int(found.group(1)) - 1 if found else 0
            detail = str(exc)[found.end():] if found else str(exc)
            raise self.error(f"bad expression {text!r}: {detail}", line, col + offset) from None

    # -- instructions ----------------------------------------------------------------------

    def _parse_instruction(self, toks: list[_Tok], line: int, end_col: int) -> None:
        head = toks[0]
        op = _MNEMONICS.get(head.text.lower()) if head.word else None
        if op is None:
            raise self.error(f"unknown opcode {head.text!r}", line, head.col)
        if len(self.instrs) >= MAX_INSTRUCTIONS:
            raise self.error(f"more than {MAX_INSTRUCTIONS} instructions", line, head.col)
        syntax = _SYNTAX.get(op, OPERANDS[op])
        self._check_brackets(toks[1:], line)
        operands = _split_operands(toks[1:])
        if len(operands) == 1 and not operands[0][1]:
            operands = []  # no operand text at all
        for index, (col, group) in enumerate(operands):
            if not group and index < len(syntax):
                raise self.error(f"missing operand {index + 1} of {op.value} "
                                 f"({_KIND_NAMES[syntax[index]]})", line, col)
        if len(operands) > len(syntax):
            col = operands[len(syntax)][0]
            raise self.error(f"extra operand: {op.value} takes {len(syntax)} operand(s)"
                             f" ({_describe(syntax)})", line, col)
        if len(operands) < len(syntax):
            raise self.error(f"missing operand {len(operands) + 1} of {op.value}: it takes "
                             f"{len(syntax)} operand(s) ({_describe(syntax)})", line, end_col)
        args: list = []
        for kind, (_, group) in zip(syntax, operands, strict=True):
            args.extend(self._operand(kind, group, line))
        self.instrs.append((op, args))
        self.instr_lines.append(line)

    def _check_brackets(self, toks: list[_Tok], line: int) -> None:
        opened: _Tok | None = None
        for tok in toks:
            if tok.text == "[" and opened is None:
                opened = tok
            elif tok.text == "[" or (tok.text == "]" and opened is None):
                raise self.error(f"bad memory operand: unexpected {tok.text!r}", line, tok.col)
            elif tok.text == "]":
                opened = None
        if opened is not None:
            raise self.error("bad memory operand: '[' is never closed", line, opened.col)

    def _operand(self, kind: str, group: list[_Tok], line: int) -> list:
        if kind == "m":
            return self._memory(group, line)
        if kind == "r":
            return [self._register(group, line)]
        if kind == "i":
            return [self._immediate(group, line)]
        return [self._target(group, line)]

    def _register(self, group: list[_Tok], line: int) -> int:
        tok = group[0]
        found = _REGISTER.fullmatch(tok.text) if len(group) == 1 else None
        if found is None:
            text = " ".join(t.text for t in group)
            raise self.error(f"bad register {text!r} (expected r0, r1, ...)", line, tok.col)
        ref = _Ref("reg", int(found.group(1)), line, tok.col)
        self.registers_used.append(ref)
        return ref.value

    def _immediate(self, group: list[_Tok], line: int) -> int:
        sign = 1
        toks = group
        if toks[0].text in ("+", "-") and len(toks) > 1:
            sign = -1 if toks[0].text == "-" else 1
            toks = toks[1:]
        text = " ".join(t.text for t in group)
        if len(toks) != 1 or not _INTEGER.fullmatch(toks[0].text):
            raise self.error(f"bad immediate {text!r} (expected a decimal integer)",
                             line, group[0].col)
        value = sign * int(toks[0].text)
        if abs(value) > MAX_IMMEDIATE:
            raise self.error(f"bad immediate {text!r}: magnitude exceeds 2^40", line, group[0].col)
        return value

    def _target(self, group: list[_Tok], line: int) -> _Ref:
        tok = group[0]
        if len(group) == 1 and _TARGET.fullmatch(tok.text):
            return _Ref("index", int(tok.text[1:]), line, tok.col)
        if len(group) == 1 and _LABEL.fullmatch(tok.text) and not _REGISTER.fullmatch(tok.text):
            return _Ref("label", tok.text, line, tok.col)
        text = " ".join(t.text for t in group)
        raise self.error(f"bad jump target {text!r} (expected a label or @index)", line, tok.col)

    def _memory(self, group: list[_Tok], line: int) -> list[int]:
        texts = [t.text for t in group]
        first = group[0]
        if texts[0] != "[" or texts[-1] != "]" or len(group) not in (3, 5, 6):
            raise self.error(f"bad memory operand {' '.join(texts)!r} (expected [rK], "
                             "[rK + imm] or [rK - imm])", line, first.col)
        base = self._register([group[1]], line)
        offset = 0
        if len(group) > 3:
            if texts[2] not in ("+", "-"):
                raise self.error(f"bad memory operand: expected '+' or '-' after the register, "
                                 f"found {texts[2]!r}", line, group[2].col)
            if texts[2] == "-" and len(group) != 5:
                raise self.error(f"bad memory operand {' '.join(texts)!r}: after '-' the "
                                 "offset is an unsigned decimal integer ([rK - imm])",
                                 line, group[3].col)
            offset = self._immediate(group[3:-1], line)
            if texts[2] == "-":
                offset = -offset
                if abs(offset) > MAX_IMMEDIATE:  # pragma: no cover - symmetric bound
                    raise self.error("bad immediate: magnitude exceeds 2^40", line, group[3].col)
        return [base, offset]

    # -- resolution ------------------------------------------------------------------------

    def _build(self) -> Program:
        registers, reg_line, reg_col = self.directives.get(".registers", (8, 0, 0))
        for ref in self.registers_used:
            if ref.value >= registers:
                declared = (f"declared by .registers on line {reg_line}" if reg_line
                            else "the default; raise it with .registers K")
                raise self.error(f"bad register r{ref.value}: only r0..r{registers - 1} exist "
                                 f"({declared})", ref.line, ref.col)
        count = len(self.instrs)
        instrs = []
        for op, args in self.instrs:
            instrs.append(Instr(op, tuple(self._resolve(a, count) for a in args)))
        output = self.directives.get(".output", (parse_size_expr(0), parse_size_expr("n")))
        labels = tuple(sorted(self.labels.items(), key=lambda kv: kv[1]))
        try:
            return Program(tuple(instrs), registers, self.directives.get(".name", "program"),
                           self.directives.get(".processors", parse_size_expr(1)),
                           output[0], output[1], labels)
        except InvalidProgramError as exc:  # pragma: no cover - every check is done above
            raise self.error(str(exc), 1, 1) from None

    def _resolve(self, arg: int | _Ref, count: int) -> int:
        if not isinstance(arg, _Ref):
            return arg
        if arg.kind == "label":
            if arg.value not in self.labels:
                raise self.error(f"undefined label {arg.value!r}", arg.line, arg.col)
            return self.labels[arg.value]
        if not 0 <= arg.value <= count:
            raise self.error(f"jump target @{arg.value} outside the program (@0..@{count})",
                             arg.line, arg.col)
        return arg.value


def _tokenize(code: str) -> list[_Tok]:
    toks = []
    pos = 0
    while pos < len(code):
        m = _TOKEN.match(code, pos)
        if m is None or m.lastindex is None:
            break
        toks.append(_Tok(m.group(m.lastindex), m.start(m.lastindex) + 1, m.lastindex == 1))
        pos = m.end()
    return toks


def _split_operands(toks: list[_Tok]) -> list[tuple[int, list[_Tok]]]:
    """Split at commas outside brackets; each group keeps the column where it starts."""
    groups: list[tuple[int, list[_Tok]]] = []
    current: list[_Tok] = []
    start = toks[0].col if toks else 0
    depth = 0
    for tok in toks:
        if tok.text == "," and depth == 0:
            groups.append((current[0].col if current else tok.col, current))
            current = []
            start = tok.col + 1
            continue
        depth += {"[": 1, "]": -1}.get(tok.text, 0)
        current.append(tok)
    groups.append((current[0].col if current else start, current))
    return groups


def _split_top_level(text: str) -> list[tuple[int, str]]:
    """Split ``text`` at commas outside parentheses; (0-based offset, part) pairs."""
    parts, depth, begin = [], 0, 0
    for i, ch in enumerate(text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth == 0:
            parts.append((begin, text[begin:i]))
            begin = i + 1
    parts.append((begin, text[begin:]))
    return parts


def _describe(syntax: str) -> str:
    return ", ".join(_KIND_NAMES[k] for k in syntax) or "none"


def parse_program(text: str, source: str = "<assembly>") -> Program:
    """Parse PRAM assembly ``text``; errors name ``source``, line and column."""
    if not isinstance(text, str):
        raise InvalidArgumentError(f"assembly text must be str, got {type(text).__name__}")
    return _Parser(text, source).parse()


def load_program_file(path: str | os.PathLike) -> Program:
    """Read and parse an assembly file (UTF-8, at most ``MAX_SOURCE_CHARS`` bytes)."""
    where = os.fspath(path)
    try:
        with open(where, "rb") as handle:
            data = handle.read(4 * MAX_SOURCE_CHARS + 1)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {where}: {exc.strerror or exc}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise AssemblyError("not valid UTF-8 text", line, col, where) from None
    return parse_program(text, where)


# -- formatting -----------------------------------------------------------------------------


def format_program(program: Program) -> str:
    """Canonical assembly text for ``program``; ``parse_program`` of it gives ``program`` back.

    Exact for every program whose labels are valid, distinct names listed in instruction
    order (as :class:`ProgramBuilder` and :func:`parse_program` produce them) and whose size
    expressions are not negative integer literals. Jump targets without a label are written
    ``@index``.
    """
    if not isinstance(program, Program):
        raise InvalidArgumentError(f"format_program needs a Program, got {type(program).__name__}")
    _check_formattable(program)
    at: dict[int, list[str]] = {}
    for label, index in program.labels:
        at.setdefault(index, []).append(label)
    lines = [f".name {program.name}", f".registers {program.num_registers}",
             f".processors {program.processors}",
             f".output {program.output_start}, {program.output_length}"]
    for index, ins in enumerate(program.instructions):
        lines.extend(f"{label}:" for label in at.get(index, []))
        lines.append("    " + _format_instr(ins, at))
    lines.extend(f"{label}:" for label in at.get(len(program.instructions), []))
    return "\n".join(lines) + "\n"


def _check_formattable(program: Program) -> None:
    if not _NAME.fullmatch(program.name):
        raise InvalidProgramError(f"program name {program.name!r} cannot be written in assembly "
                                  "(letters, digits, '_', '.', '+', '-')")
    seen = set()
    for label, index in program.labels:
        if not isinstance(label, str) or not _LABEL.fullmatch(label) or _REGISTER.fullmatch(label):
            raise InvalidProgramError(f"label {label!r} cannot be written in assembly")
        if label in seen:
            raise InvalidProgramError(f"label {label!r} appears twice")
        if not 0 <= index <= len(program.instructions):
            raise InvalidProgramError(f"label {label!r} points outside the program ({index})")
        seen.add(label)
    for expr in (program.processors, program.output_start, program.output_length):
        text = str(expr)
        if not text or text != text.strip() or len(_split_top_level(text)) > 1 \
                or any(ch in text for ch in ";#\n\r"):
            raise InvalidProgramError(f"size expression {text!r} cannot be written in assembly")


def _format_instr(ins: Instr, at: dict[int, list[str]]) -> str:
    a = ins.args
    if ins.op is Op.LOAD:
        return f"load r{a[0]}, {_format_memory(a[1], a[2])}"
    if ins.op is Op.STORE:
        return f"store {_format_memory(a[0], a[1])}, r{a[2]}"
    parts = []
    for kind, arg in zip(OPERANDS[ins.op], a, strict=True):
        if kind == "r":
            parts.append(f"r{arg}")
        elif kind == "i":
            parts.append(str(arg))
        else:
            parts.append(at[arg][0] if arg in at else f"@{arg}")
    return ins.op.value + (" " + ", ".join(parts) if parts else "")


def _format_memory(base: int, offset: int) -> str:
    if offset == 0:
        return f"[r{base}]"
    return f"[r{base} {'+' if offset > 0 else '-'} {abs(offset)}]"

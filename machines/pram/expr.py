"""Size expressions: a tiny, safe integer expression language in the input length ``n``.

Programs declare their processor count and output region as expressions such as
``n``, ``n*n*n``, ``max(1, n/2)`` or ``2*clog2(n) + 3``. This module parses them with a
recursive-descent parser (never ``eval``) into an immutable tree and evaluates it exactly on
integers.

Grammar::

    expr   := term (('+' | '-') term)*
    term   := factor (('*' | '/' | '%') factor)*        # '/' is floor division
    factor := '-' factor | power
    power  := atom ('^' factor)?
    atom   := INT | 'n' | NAME '(' expr (',' expr)* ')' | '(' expr ')'

Functions: ``clog2(x)`` = ceil(log2 x) (0 for x <= 1), ``flog2(x)`` = floor(log2 x) (x >= 1),
``min``, ``max``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from apmdm.machines.errors import InvalidProgramError

_TOKEN = re.compile(r"\s*(?:([0-9]+)|([A-Za-z_][A-Za-z_0-9]*)|(.))", re.ASCII)
_FUNCS = {"clog2": 1, "flog2": 1, "min": None, "max": None}
MAX_LITERAL_DIGITS = 19
MAX_VALUE = 2**62       # every intermediate value of an evaluation stays within +-2^62
MAX_NESTING = 32        # parentheses and function calls


@dataclass(frozen=True)
class SizeExpr:
    """A parsed size expression; ``evaluate(n)`` gives an int."""

    text: str
    tree: tuple

    def evaluate(self, n: int) -> int:
        return _eval(self.tree, n, self.text)

    def __str__(self) -> str:
        return self.text


def clog2(x: int) -> int:
    return 0 if x <= 1 else (x - 1).bit_length()


def _tokens(text: str) -> list[tuple[str, str, int]]:
    out = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            break
        col = m.start(m.lastindex) + 1 if m.lastindex else pos + 1
        if m.group(1):
            out.append(("int", m.group(1), col))
        elif m.group(2):
            out.append(("name", m.group(2), col))
        elif m.group(3):
            out.append(("op", m.group(3), col))
        pos = m.end()
    out.append(("end", "", len(text) + 1))
    return out


class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = _tokens(text)
        self.i = 0
        self.depth = 0

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise self.error(f"nested deeper than {MAX_NESTING} levels")

    def error(self, msg: str) -> InvalidProgramError:
        col = self.toks[self.i][2]
        return InvalidProgramError(f"size expression {self.text!r}, column {col}: {msg}")

    def peek(self) -> tuple[str, str, int]:
        return self.toks[self.i]

    def take(self, kind: str, value: str | None = None) -> str:
        k, v, _ = self.toks[self.i]
        if k != kind or (value is not None and v != value):
            want = value or kind
            raise self.error(f"expected {want!r}, found {v or 'end of expression'!r}")
        self.i += 1
        return v

    def parse(self) -> tuple:
        tree = self.expr()
        if self.peek()[0] != "end":
            raise self.error(f"unexpected {self.peek()[1]!r}")
        return tree

    def expr(self) -> tuple:
        node = self.term()
        while self.peek()[1] in ("+", "-") and self.peek()[0] == "op":
            op = self.take("op")
            node = (op, node, self.term())
        return node

    def term(self) -> tuple:
        node = self.factor()
        while self.peek()[0] == "op" and self.peek()[1] in ("*", "/", "%"):
            op = self.take("op")
            node = (op, node, self.factor())
        return node

    def factor(self) -> tuple:
        if self.peek()[0] == "op" and self.peek()[1] == "-":
            self.take("op")
            self.nest()
            node = ("neg", self.factor())
            self.depth -= 1
            return node
        return self.power()

    def power(self) -> tuple:
        node = self.atom()
        if self.peek()[0] == "op" and self.peek()[1] == "^":
            self.take("op")
            self.nest()
            node = ("^", node, self.factor())
            self.depth -= 1
        return node

    def atom(self) -> tuple:
        kind, val, _ = self.peek()
        if kind == "int":
            if len(val) > MAX_LITERAL_DIGITS:
                raise self.error(f"integer of {len(val)} digits (at most {MAX_LITERAL_DIGITS})")
            self.i += 1
            return ("int", int(val))
        if kind == "name":
            self.i += 1
            if val == "n":
                return ("n",)
            if val not in _FUNCS:
                self.i -= 1
                raise self.error(f"unknown name {val!r} (allowed: n, clog2, flog2, min, max)")
            self.take("op", "(")
            self.nest()
            args = [self.expr()]
            while self.peek()[1] == ",":
                self.take("op", ",")
                args.append(self.expr())
            self.take("op", ")")
            self.depth -= 1
            arity = _FUNCS[val]
            if arity is not None and len(args) != arity:
                raise self.error(f"{val} takes {arity} argument(s), got {len(args)}")
            return ("call", val, tuple(args))
        if kind == "op" and val == "(":
            self.take("op", "(")
            self.nest()
            node = self.expr()
            self.take("op", ")")
            self.depth -= 1
            return node
        raise self.error(f"unexpected {val or 'end of expression'!r}")


def parse_size_expr(text: str | int) -> SizeExpr:
    """Parse ``text`` (or wrap an int) into a :class:`SizeExpr`."""
    if isinstance(text, bool):
        raise InvalidProgramError(f"size expression must be text or int, got {text!r}")
    if isinstance(text, int):
        if abs(text) > MAX_VALUE:
            raise InvalidProgramError(f"size {text} outside +-2^62")
        return SizeExpr(str(text), ("int", text))
    if not isinstance(text, str) or not text.strip():
        raise InvalidProgramError(f"empty or invalid size expression {text!r}")
    if len(text) > 200:
        raise InvalidProgramError("size expression longer than 200 characters")
    return SizeExpr(text.strip(), _Parser(text.strip()).parse())


def _eval(node: tuple, n: int, text: str) -> int:
    value = _eval_node(node, n, text)
    if abs(value) > MAX_VALUE:
        raise InvalidProgramError(f"{text!r}: an intermediate value exceeds 2^62 at n={n}")
    return value


def _eval_node(node: tuple, n: int, text: str) -> int:
    tag = node[0]
    if tag == "int":
        return node[1]
    if tag == "n":
        return n
    if tag == "neg":
        return -_eval(node[1], n, text)
    if tag == "call":
        args = [_eval(a, n, text) for a in node[2]]
        if node[1] == "clog2":
            return clog2(args[0])
        if node[1] == "flog2":
            if args[0] < 1:
                raise InvalidProgramError(f"{text!r}: flog2 of {args[0]} < 1 at n={n}")
            return args[0].bit_length() - 1
        return min(args) if node[1] == "min" else max(args)
    a, b = _eval(node[1], n, text), _eval(node[2], n, text)
    if tag == "+":
        return a + b
    if tag == "-":
        return a - b
    if tag == "*":
        return a * b
    if tag in ("/", "%"):
        if b == 0:
            raise InvalidProgramError(f"{text!r}: division by zero at n={n}")
        return a // b if tag == "/" else a % b
    if tag == "^":
        if b < 0 or b > 64:
            raise InvalidProgramError(f"{text!r}: exponent {b} outside 0..64 at n={n}")
        if abs(a) > 1 and (abs(a).bit_length() - 1) * b > 62:
            raise InvalidProgramError(f"{text!r}: an intermediate value exceeds 2^62 at n={n}")
        return a**b
    raise InvalidProgramError(f"{text!r}: bad node {tag!r}")  # pragma: no cover

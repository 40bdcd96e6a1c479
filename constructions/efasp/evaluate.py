"""The reference evaluator: E-FASP semantics in plain Python (ints and Fractions).

``evaluate(program, canvas)`` returns every node's values, one per position; the compiled
transformer must reproduce them exactly (integers equal, means equal as fractions).
Semantics of the aggregations (``W`` = positions where ``where`` holds, all if no where):

* ``rightmost_match``: value at ``max{j in W : key_j == query_i}``, else ``default``;
* ``seq_max`` / ``seq_min``: max / min of ``x`` over ``W``, ``default`` if ``W`` is empty;
* ``seq_sum``: sum of ``x`` over ``W``;
* ``seq_mean``: the mean of ``x`` over ``W`` (0 if empty); ``prefix=True``: over ``j <= i``;
* ``count_match``: ``#{j in W : key_j == query_i for every (query, key) pair}``;
* ``quotient``: ``min(max(a // b, 0), L - 1)`` (``b >= 1``, ``L`` the canvas length).
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from apmdm.constructions.efasp.lang import Node, Program
from apmdm.constructions.efasp.typecheck import check_program
from apmdm.machines.errors import InvalidEFASPProgramError, SizeLimitExceeded
from apmdm.machines.process import StepOutput

_CMP = {"<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
        ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b}


def evaluate(program: Program, canvas: Sequence[Any], max_length: int | None = None) -> dict:
    """All node values on ``canvas`` (dict name -> list over positions)."""
    n = len(canvas)
    max_length = n if max_length is None else max_length
    if n > max_length:
        raise SizeLimitExceeded(f"canvas length {n} exceeds max_length {max_length}")
    check_program(program, max(max_length, 1))
    fields = program.codec.encode_canvas(canvas).tolist()
    names = [f[0] for f in program.fields]
    vals: dict[str, list] = {}
    for nd in program.nodes:
        args = [vals[a] for a in nd.args]
        vals[nd.name] = _eval(nd, args, fields, names, n)
    return vals


def _eval(nd: Node, args: list[list], fields: list, names: list[str], n: int) -> list:
    op, p = nd.op, nd.params
    rng = range(n)
    if op == "token_field":
        k = 1 + names.index(p[0])
        return [row[k] for row in fields]
    if op == "token_field_sq":
        k = 1 + names.index(p[0])
        return [row[k] ** 2 for row in fields]
    if op == "token_field_bit":
        k = 1 + names.index(p[0])
        return [(row[k] >> p[1]) & 1 for row in fields]
    if op == "position_sq":
        return [j * j for j in rng]
    if op == "position_div":
        return [(j - p[1]) // p[0] for j in rng]
    if op == "position_mod":
        return [(j - p[1]) % p[0] for j in rng]
    if op == "is_mask":
        return [row[0] for row in fields]
    if op == "position":
        return list(rng)
    if op == "const":
        return [p[0]] * n
    if op == "linear":
        return [p[1] + sum(c * a[i] for c, a in zip(p[0], args, strict=True)) for i in rng]
    if op == "compare":
        f = _CMP[p[0]]
        return [int(f(args[0][i], args[1][i])) for i in rng]
    if op in ("max", "min"):
        f = max if op == "max" else min
        return [f(args[0][i], args[1][i]) for i in rng]
    if op == "select":
        return [args[1][i] if args[0][i] else args[2][i] for i in rng]
    if op == "and":
        return [int(all(a[i] for a in args)) for i in rng]
    if op == "or":
        return [int(any(a[i] for a in args)) for i in rng]
    if op == "not":
        return [1 - args[0][i] for i in rng]
    if op == "xor":
        return [args[0][i] ^ args[1][i] for i in rng]
    if op == "lookup":
        table = dict(p[0])
        return [table.get(x, p[1]) for x in args[0]]
    if op == "mul":
        return [args[0][i] * args[1][i] for i in rng]
    return _eval_aggregate(nd, args, n)


def _where(nd: Node, args: list[list], k: int, n: int) -> list[int]:
    return [j for j in range(n) if args[k][j]] if nd.params[-1] else list(range(n))


def _eval_aggregate(nd: Node, args: list[list], n: int) -> list:
    op, p = nd.op, nd.params
    if op == "rightmost_match":
        if len(p) > 2 and p[2]:
            bad = [j for j in range(n) if args[-1][j] != args[1][j] ** 2]
            if bad:
                raise InvalidEFASPProgramError(
                    f"node {nd.name!r}: key_sq {args[-1][bad[0]]} != key^2 = "
                    f"{args[1][bad[0]] ** 2} at position {bad[0]}")
        last: dict[int, int] = {}
        for j in (range(n) if not p[1] else [j for j in range(n) if args[3][j]]):
            last[args[1][j]] = j
        q, v = args[0], args[2]
        return [v[last[q[i]]] if q[i] in last else p[0] for i in range(n)]
    if op == "quotient":
        return [min(max(args[0][i] // args[1][i], 0), n - 1) for i in range(n)]
    if op == "count_match":
        return _count_match(nd, args, n)
    if op in ("seq_max", "seq_min"):
        w = [args[0][j] for j in _where(nd, args, 1, n)]
        r = (max(w) if op == "seq_max" else min(w)) if w else p[0]
        return [r] * n
    if op == "seq_sum":
        return [sum(args[0][j] for j in _where(nd, args, 1, n))] * n
    if op == "seq_mean":
        prefix = p[0]
        x = [args[0][j] if (not p[1] or args[1][j]) else 0 for j in range(n)]
        sel = [1 if (not p[1] or args[1][j]) else 0 for j in range(n)]
        if prefix:
            out, s, c = [], 0, 0
            for i in range(n):
                s, c = s + x[i], c + sel[i]
                out.append(Fraction(s, c) if c else Fraction(0))
            return out
        c = sum(sel)
        return [Fraction(sum(x), c) if c else Fraction(0)] * n
    raise InvalidEFASPProgramError(f"node {nd.name!r}: unknown operation {op!r}")


def _count_match(nd: Node, args: list[list], n: int) -> list[int]:
    """``#{j in W : key_j == query_i for every pair}``: count the key tuples over ``W``
    once, then look up each position's query tuple."""
    npairs = nd.params[0]
    counts: dict[tuple, int] = {}
    for j in _where(nd, args, 2 * npairs, n):
        key = tuple(args[2 * k + 1][j] for k in range(npairs))
        counts[key] = counts.get(key, 0) + 1
    return [counts.get(tuple(args[2 * k][i] for k in range(npairs)), 0) for i in range(n)]


def reference_step(program: Program, canvas: Sequence[Any],
                   max_length: int | None = None) -> StepOutput:
    """The program's next-step output computed by the reference evaluator."""
    vals = evaluate(program, canvas, max_length)
    n = len(canvas)
    out = program.token_output
    if out[0] == "fields":
        toks = [program.decode(tuple(vals[f][i] for f in out[1:])) for i in range(n)]
    else:
        toks = [out[2][vals[out[1]][i]] for i in range(n)]
    ctrl = [tuple(bool(vals[c][i]) if c is not None else False
                  for c in (program.control_output or (None, None, None))) for i in range(n)]
    return StepOutput.dense(toks, ctrl)

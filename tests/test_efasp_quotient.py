"""The E-FASP ``quotient(a, b)`` head: ``min(max(a // b, 0), L - 1)`` by one pick head over
the positions (constructions/efasp/lower.py), exhaustively on a grid, against the
reference evaluator and plain Python; the type rule; and a broken score that must be caught."""

from __future__ import annotations

import pytest

from apmdm.constructions.efasp import Program, compile_program, evaluate
from apmdm.constructions.efasp import lower as lower_mod
from apmdm.constructions.efasp.lower import HeadOp
from apmdm.machines.errors import CompiledModelMismatch, InvalidEFASPProgramError, PrecisionError

N = 16
A_LO, A_HI, B_HI = -40, 90, 7


def _program() -> Program:
    p = Program("quotient", (("a", A_LO, A_HI), ("b", 0, B_HI)), lambda t: t, lambda f: f)
    a, b = p.token_field("a"), p.token_field("b")
    q = p.quotient(a, p.max(b, 1, name="b1"), name="q")
    p.output_fields(q, b)
    return p


def _canvases():
    pairs = [(a, b) for a in range(A_LO, A_HI + 1) for b in range(1, B_HI + 1)]
    for length in (1, 2, 5, N):
        for start in range(0, len(pairs), length):
            yield tuple(pairs[start:start + length])


def test_quotient_exact_on_the_whole_grid():
    program = _program()
    model = compile_program(program, N)
    f = model.next_step()
    checked = 0
    for canvas in _canvases():
        vals = evaluate(program, canvas, N)
        want = [min(max(a // b, 0), len(canvas) - 1) for a, b in canvas]
        assert vals["q"] == want
        model.check_against(canvas, vals)
        assert [t[0] for t in f(canvas).tokens] == want
        checked += len(canvas)
    assert checked == 4 * (A_HI - A_LO + 1) * B_HI


def test_divisor_domain_must_exclude_zero():
    p = Program("q0", (("a", 0, 9), ("b", 0, 3)), lambda t: t, lambda f: f)
    p.output_fields(p.quotient(p.token_field("a"), p.token_field("b"), name="q"), 0)
    with pytest.raises(InvalidEFASPProgramError, match="divisor"):
        compile_program(p, 8)


@pytest.mark.parametrize("shift, error", [(1, PrecisionError), (2, CompiledModelMismatch)])
def test_a_shifted_vertex_is_caught(monkeypatch, shift, error):
    """Query ``2a - b + 1 - shift``: the vertex moves left by ``shift / (2b)``. With shift 1
    half-integer vertices appear (a tie the pick head refuses to average); with shift 2 some
    quotients come out one too small (a mismatch naming the node)."""
    original = lower_mod.Lowering.l_quotient

    def broken(self, nd, a):
        out = original(self, nd, a)
        head = self.ops[-1] if isinstance(self.ops[-1], HeadOp) else next(
            op for op in reversed(self.ops) if isinstance(op, HeadOp))
        idx = self.ops.index(head)
        self.ops[idx] = HeadOp(head.name, (head.query[0] - shift,) + head.query[1:], head.key,
                               head.values, head.mean, head.causal, head.note)
        return out

    monkeypatch.setattr(lower_mod.Lowering, "l_quotient", broken)
    program = _program()
    model = compile_program(program, N)
    with pytest.raises(error, match="q"):
        for canvas in _canvases():
            model.check_against(canvas, evaluate(program, canvas, N))

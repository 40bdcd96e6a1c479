"""E-FASP ``count_match`` (selector width): reference semantics, compiled == reference on
hand-picked shapes, type errors, and broken lowerings / forward passes that the differential
check must catch."""

from __future__ import annotations

import importlib
import random

import pytest

from apmdm.constructions.efasp import Program, compile_program, evaluate, reference_step
from apmdm.constructions.efasp import lower as lower_mod
from apmdm.machines.errors import CompiledModelMismatch, InvalidEFASPProgramError
from apmdm.machines.tokens import MASK

forward_mod = importlib.import_module("apmdm.machines.transformer.forward")

N = 8


def _program() -> Program:
    p = Program("cm", (("a", 0, 3), ("b", -2, 2)), lambda t: t, lambda f: f)
    a, b, m = p.token_field("a"), p.token_field("b"), p.is_mask("m")
    a0 = p.compare(a, "==", 0, name="a0")
    a_odd = p.token_field_bit("a", 0, name="a_odd")
    b_pos = p.compare(b, ">", 0, name="b_pos")
    counts = [
        p.count_match([(a0, a0)], name="same_a0"),
        p.count_match([(a0, b_pos), (m, m)], where=b_pos, name="cross"),
        p.count_match([], name="everyone"),
        p.count_match([], where=m, name="masks"),
        p.count_match([(1, a_odd), (a_odd, a_odd)], name="const_query"),
        p.count_match([(a_odd, 0)], name="const_key"),
        p.count_match([(a0, a0), (a_odd, a_odd), (b_pos, b_pos)], where=p.not_(m, name="nm"),
                      name="three"),
    ]
    weights = [1, 8, 64, 512, 4096, 32768, 262144]  # base 8 > N: every count is visible
    p.output_fields(p.linear(list(zip(counts, weights, strict=True)), name="total"), counts[1])
    return p


def _canvas(rng: random.Random, length: int) -> tuple:
    return tuple(MASK if rng.random() < 0.2 else (rng.randint(0, 3), rng.randint(-2, 2))
                 for _ in range(length))


def test_reference_semantics_by_hand():
    p = _program()
    canvas = ((0, 1), (0, -1), (1, 2), MASK, (3, 1))
    v = evaluate(p, canvas, N)
    # a0 = [1, 1, 0, 1 (MASK: a = 0), 0]
    assert v["same_a0"] == [3, 3, 2, 3, 2]
    # cross: j with b_pos_j (j = 0, 2, 4; m_j = 0), key b_pos_j == a0_i and m_j == m_i
    assert v["cross"] == [3, 3, 0, 0, 0]
    assert v["everyone"] == [5] * 5
    assert v["masks"] == [1] * 5
    # a_odd = [0, 0, 1, 0, 1]: pairs (1, a_odd_j) and (a_odd_i, a_odd_j)
    assert v["const_query"] == [0, 0, 2, 0, 2]
    # key constant 0: every j matches iff a_odd_i == 0
    assert v["const_key"] == [5, 5, 0, 5, 0]


@pytest.mark.parametrize("seed", range(4))
def test_compiled_equals_reference(seed):
    p = _program()
    model = compile_program(p, N)
    f = model.next_step()
    rng = random.Random(seed)
    for length in range(1, N + 1):
        for _ in range(6):
            canvas = _canvas(rng, length)
            model.check_against(canvas, evaluate(p, canvas, N))
            assert f(canvas) == reference_step(p, canvas, N)


def test_depth_and_width_do_not_grow_with_length():
    figs = [compile_program(_program(), n).stats for n in (8, 64, 512)]
    assert len({(f["depth"], f["width"], f["mlp_width"]) for f in figs}) == 1


@pytest.mark.parametrize("kind", ["non-bool-query", "non-bool-key", "non-bool-where",
                                  "not-a-pair"])
def test_type_errors_name_the_node(kind):
    p = Program("bad", (("a", 0, 3),), lambda t: (t,), lambda f: f[0])
    a = p.token_field("a")
    flag = p.compare(a, "==", 1, name="flag")
    with pytest.raises(InvalidEFASPProgramError, match="'bad'|pairs"):
        if kind == "non-bool-query":
            p.count_match([(a, flag)], name="bad")
        elif kind == "non-bool-key":
            p.count_match([(flag, a)], name="bad")
        elif kind == "non-bool-where":
            p.count_match([(flag, flag)], where=a, name="bad")
        else:
            p.count_match([(flag,)], name="bad")
        p.output_fields(a)
        compile_program(p, N)


def _first_mismatch(model, p: Program, seeds: int = 40) -> str | None:
    rng = random.Random(7)
    for _ in range(seeds):
        canvas = _canvas(rng, rng.randint(2, N))
        msg = model.first_mismatch(canvas, evaluate(p, canvas, N))
        if msg is not None:
            return msg
    return None


def test_broken_anchor_score_is_caught(monkeypatch):
    p = _program()
    assert _first_mismatch(compile_program(p, N), p) is None

    def broken(qs, feats, elig, anchor):  # anchor bonus m instead of m + 1
        query, key = good(qs, feats, elig, anchor)
        return query[:-1] + (query[-1] - 1,), key

    good = lower_mod.count_scores
    monkeypatch.setattr(lower_mod, "count_scores", broken)
    msg = _first_mismatch(compile_program(p, N), p)
    assert msg is not None and "residual dimensions" in msg
    with pytest.raises(CompiledModelMismatch):
        rng = random.Random(7)
        model = compile_program(p, N)
        for _ in range(40):
            canvas = _canvas(rng, rng.randint(2, N))
            model.check_against(canvas, evaluate(p, canvas, N))


def test_forward_without_denominator_scaling_is_caught(monkeypatch):
    """The conversion head's query reads the rational 1/|A|: using its numerator alone
    (forgetting the denominator) gives wrong counts, and the differential check sees it."""
    p = _program()
    model = compile_program(p, N)
    monkeypatch.setattr(forward_mod, "_integer_query", lambda spec, h, x, den, q, where: q)
    msg = _first_mismatch(model, p)
    assert msg is not None and ".rest" in msg

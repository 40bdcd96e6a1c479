"""The fast paths of the g loop against their references (differential tests).

* :func:`apply_transition` (in-place fast path) against :func:`apply_transition_reference`
  (Algorithm 1 position by position): same canvas, events and errors;
* :func:`all_tokens` and the fast :func:`is_token` against a plain recursive definition.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.machines.errors import ApmdmError
from apmdm.machines.process import (
    StepOutput,
    apply_transition,
    apply_transition_reference,
    mask_positions,
    transition_with_masks,
)
from apmdm.machines.tokens import MASK, all_tokens, is_token


class IntLike(int):
    """An int subclass: a token (only bool is excluded)."""


def reference_is_token(value) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (str, int)):
        return True
    if isinstance(value, tuple):
        return all(reference_is_token(v) for v in value)
    return False


scalars = st.one_of(st.integers(-5, 5), st.sampled_from(["a", "b", ""]), st.booleans(),
                    st.just(MASK), st.just(1.5), st.none(), st.builds(IntLike, st.integers(0, 3)),
                    st.just([1, 2]))
values = st.recursive(scalars, lambda inner: st.tuples(inner, inner) | st.lists(
    inner, max_size=4).map(tuple), max_leaves=8)
good_tokens = st.recursive(st.integers(-9, 9) | st.sampled_from(["x", "y"]),
                           lambda inner: st.lists(inner, max_size=4).map(tuple), max_leaves=8)


@settings(max_examples=100, deadline=None)
@given(values)
def test_is_token_matches_the_recursive_definition(value):
    assert is_token(value) == reference_is_token(value)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.one_of(values, good_tokens), max_size=6))
def test_all_tokens_matches_is_token_item_by_item(items):
    assert all_tokens(items) == all(reference_is_token(v) for v in items)


@st.composite
def steps(draw):
    """A canvas and an output; mostly valid, sometimes with a missing, MASK or bad y, a
    position outside the canvas, or insert/delete bits (the reference path)."""
    n = draw(st.integers(0, 12))
    canvas = tuple(draw(st.one_of(good_tokens, st.just(MASK))) for _ in range(n))
    positions = st.frozensets(st.integers(-1 if draw(st.integers(0, 9)) == 0 else 0,
                                          max(n - 1, 0)), max_size=n) if n else st.just(
        frozenset())
    remask = draw(positions)
    insert = draw(positions) if draw(st.integers(0, 3)) == 0 else frozenset()
    delete = draw(positions) if draw(st.integers(0, 3)) == 0 else frozenset()
    ys = [draw(good_tokens) if draw(st.integers(0, 15)) else draw(values) for _ in range(n)]
    if draw(st.booleans()):
        tokens = tuple(ys)
    else:
        tokens = {i: y for i, y in enumerate(ys) if draw(st.integers(0, 12))}
    # the fast path has one branch per remask container (frozenset/set: membership scan;
    # any other iterable: sorted set difference)
    remask = draw(st.sampled_from([frozenset, set, sorted, tuple]))(remask)
    return canvas, StepOutput(tokens, remask, insert, delete)


def outcome(call):
    try:
        return call()
    except ApmdmError as exc:
        return type(exc).__name__, str(exc)


@settings(max_examples=150, deadline=None)
@given(steps())
def test_fast_g_matches_the_reference(step):
    canvas, out = step
    expected = outcome(lambda: apply_transition_reference(canvas, out))
    assert outcome(lambda: apply_transition(canvas, out)) == expected
    got = outcome(lambda: transition_with_masks(canvas, out, mask_positions(canvas)))
    if isinstance(expected[0], str):  # an error
        assert got == expected
    else:  # the run loop's form also gives the next canvas's masks
        assert got == (*expected, mask_positions(expected[0]))


def test_the_comparison_sees_a_wrong_fill():
    """Guard against a test that cannot fail: one changed y changes the outcome."""
    canvas = (1, MASK, 3)
    a = apply_transition(canvas, StepOutput({1: 2}))
    b = apply_transition_reference(canvas, StepOutput({1: 5}))
    assert a != b and a == apply_transition_reference(canvas, StepOutput({1: 2}))

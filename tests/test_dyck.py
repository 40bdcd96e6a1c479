"""The two-sided Dyck-k language: reduction properties, enumerators and counts agree."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.theory.dyck import (
    alphabet,
    count_by_generating_function,
    count_by_transfer,
    enumerate_by_filter,
    enumerate_members,
    inverse,
    is_member,
    reduce_word,
    word_name,
)

K = 2
words = st.lists(st.sampled_from(alphabet(K)), max_size=14).map(tuple)
members = st.lists(st.tuples(st.integers(0, 14), st.sampled_from(alphabet(K))), max_size=7).map(
    lambda ops: _build(ops))


def _build(ops) -> tuple:
    """A member built by inserting cancelling pairs (the generator's idea, done on lists)."""
    w: list[int] = []
    for gap, x in ops:
        g = gap % (len(w) + 1)
        w[g:g] = [x, -x]
    return tuple(w)


@settings(max_examples=200, deadline=None)
@given(words, words)
def test_reduction_is_a_homomorphism(u, v):
    assert reduce_word(u + v) == reduce_word(reduce_word(u) + reduce_word(v))
    r = reduce_word(u)
    assert reduce_word(r) == r
    assert all(r[i] != -r[i + 1] for i in range(len(r) - 1))


@settings(max_examples=200, deadline=None)
@given(words)
def test_word_times_inverse_is_member(w):
    assert is_member(w + inverse(w), K)
    assert is_member(inverse(w) + w, K)
    assert inverse(inverse(w)) == w
    assert reduce_word(inverse(w)) == inverse(reduce_word(w))


@settings(max_examples=200, deadline=None)
@given(members, members, st.integers(0, 20))
def test_members_closed_under_concat_inverse_rotation(u, v, r):
    assert is_member(u, K) and is_member(v, K)
    assert is_member(u + v, K)
    assert is_member(inverse(u), K)
    if u:
        i = r % len(u)
        assert is_member(u[i:] + u[:i], K)  # conjugate of the identity is the identity


def test_two_sided_cancellation_both_orders():
    assert is_member((1, -1)) and is_member((-1, 1))
    assert not is_member((1, 2, -1, -2))
    assert not is_member((1, 1))
    assert not is_member((3, -3), k=2)  # letter outside the alphabet


@pytest.mark.parametrize("k,n", [(1, 8), (2, 8), (3, 6)])
def test_enumerators_agree(k, n):
    for m in range(n + 1):
        walk = list(enumerate_members(k, m))
        assert walk == sorted(walk, key=lambda w: [alphabet(k).index(x) for x in w])
        assert set(walk) == set(enumerate_by_filter(k, m))
        assert len(walk) == len(set(walk)) == count_by_transfer(k, m)


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_counts_transfer_equals_generating_function(k):
    assert count_by_generating_function(k, 12) == [count_by_transfer(k, n) for n in range(13)]


def test_golden_counts():
    assert [count_by_transfer(2, n) for n in range(0, 13, 2)] == [1, 4, 28, 232, 2092, 19864,
                                                                  195352]
    assert [count_by_transfer(3, n) for n in range(0, 11, 2)] == [1, 6, 66, 876, 12786, 197796]
    assert [count_by_transfer(1, n) for n in range(0, 9, 2)] == [1, 2, 6, 20, 70]  # C(2m, m)
    assert word_name((1, 2, -2, -1)) == "abBA" and word_name(()) == "ε"


def test_bad_arguments():
    with pytest.raises(ValueError):
        alphabet(0)
    with pytest.raises(ValueError):
        list(enumerate_members(2, -1))

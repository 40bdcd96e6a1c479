"""The tight TM run loop against the stepwise generator it replaces (differential tests)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.machines.errors import SizeLimitExceeded, StepLimitExceeded
from apmdm.machines.tm_library import LIBRARY, get_machine
from apmdm.machines.turing import Rule, TMLimits, TuringMachine

SYMBOLS = ("0", "1", "_")


@st.composite
def random_machines(draw) -> TuringMachine:
    """A random machine over 0/1 with up to 4 working states, partial rules, every move."""
    working = [f"q{i}" for i in range(draw(st.integers(1, 4)))]
    targets = working + ["acc", "rej"]
    rules = []
    for q in working:
        for a in SYMBOLS:
            if draw(st.integers(0, 5)) == 0:
                continue  # no rule: the machine halts there and rejects
            rules.append(Rule(q, a, draw(st.sampled_from(targets)), draw(st.sampled_from(SYMBOLS)),
                              draw(st.sampled_from("LRS"))))
    return TuringMachine(frozenset(targets), frozenset("01"), frozenset(SYMBOLS), "_",
                         tuple(rules), "q0", frozenset({"acc"}), frozenset({"rej"}), "random")


def outcome(run):
    """The result, or the error's type and message."""
    try:
        return run()
    except (StepLimitExceeded, SizeLimitExceeded) as exc:
        return type(exc).__name__, str(exc)


@settings(max_examples=150, deadline=None)
@given(random_machines(), st.text(alphabet="01", max_size=8), st.integers(1, 60),
       st.integers(1, 12))
def test_tight_loop_matches_stepwise_on_random_machines(tm, word, steps, space):
    limits = TMLimits(max_steps=steps, max_space=space)
    assert outcome(lambda: tm.run(word, limits)) == outcome(lambda: tm.run_reference(word, limits))


@pytest.mark.parametrize("name", sorted(LIBRARY))
@settings(max_examples=40, deadline=None)
@given(word=st.text(alphabet="01", max_size=12))
def test_tight_loop_matches_stepwise_on_the_library(name, word):
    tm = get_machine(name)
    word = "".join(c for c in word if c in tm.input_symbols)
    assert tm.run(word) == tm.run_reference(word)


def test_a_broken_fast_path_would_be_caught():
    """The comparison sees a one-step difference (guards against a test that cannot fail)."""
    tm = get_machine(sorted(LIBRARY)[0])
    a, b = tm.run("0011"), tm.run_reference("0011")
    assert a == b and a != type(a)(a.accepted, a.halt, a.state, a.output, a.head, a.steps + 1,
                                   a.space)

"""Turing machines: validation, the library against Python references, counters, limits."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.machines.errors import (
    InvalidArgumentError,
    InvalidMachineError,
    SizeLimitExceeded,
    StepLimitExceeded,
)
from apmdm.machines.tm_library import (
    LIBRARY,
    binary_increment,
    get_machine,
    palindromes,
    zeros_then_ones,
)
from apmdm.machines.turing import Rule, TMLimits, TuringMachine

binary_words = st.text(alphabet="01", max_size=14)
SETTINGS = settings(max_examples=200, deadline=None)


# --- the library against direct Python references -----------------------------------------


def ref_increment(w: str) -> str:
    return format(int(w or "0", 2) + 1, "b").zfill(len(w))


def ref_zeros_then_ones(w: str) -> bool:
    n = len(w) // 2
    return w == "0" * n + "1" * n


def ref_palindrome(w: str) -> bool:
    return w == w[::-1]


@SETTINGS
@given(binary_words)
def test_binary_increment_matches_reference(w):
    r = binary_increment().run(w)
    assert r.accepted and r.output_string == ref_increment(w)
    k = len(w) - len(w.rstrip("1"))
    n = len(w)
    # derivation: n + 1 steps to reach the blank after the input and turn back, k carries,
    # one final write; the head visits 0..n, and cell -1 too when all n digits are 1s
    assert r.steps == n + k + 2
    assert r.space == (n + 2 if k == n else n + 1)


@SETTINGS
@given(st.one_of(binary_words, st.integers(0, 7).map(lambda n: "0" * n + "1" * n)))
def test_zeros_then_ones_matches_reference(w):
    r = zeros_then_ones().run(w)
    assert r.accepted == ref_zeros_then_ones(w)
    assert r.space <= len(w) + 1


@SETTINGS
@given(st.one_of(binary_words, binary_words.map(lambda w: w + w[::-1]),
                 binary_words.map(lambda w: w + "1" + w[::-1])))
def test_palindromes_matches_reference(w):
    r = palindromes().run(w)
    assert r.accepted == ref_palindrome(w)
    assert r.space <= len(w) + 1


# Hand-computed runs. Each comment lists the steps as  state@cell reads -> action.
HAND = [
    # binary-increment "0011": right@0..3 read 0,0,1,1 and move R (4 steps); right@4 reads _
    # -> carry, L (5); carry@3 1->0 L (6); carry@2 1->0 L (7); carry@1 0->1 S, done (8).
    # cells visited 0..4 -> space 5; tape 0100.
    ("binary-increment", "0011", True, "0100", 8, 5),
    # binary-increment "11": right@0,1 R (2); right@2 _ L (3); carry@1 1->0 L (4);
    # carry@0 1->0 L (5); carry@-1 _ ->1 S (6). cells -1..2 -> space 4; tape 100.
    ("binary-increment", "11", True, "100", 6, 4),
    # binary-increment "": right@0 _ L (1); carry@-1 _ ->1 S (2). cells -1..0 -> space 2.
    ("binary-increment", "", True, "1", 2, 2),
    # zeros-then-ones "01": q0@0 0->X R (1); q1@1 1->Y L (2); q2@0 X R q0 (3);
    # q0@1 Y R q3 (4); q3@2 _ accept (5). cells 0..2 -> space 3.
    ("zeros-then-ones", "01", True, "XY", 5, 3),
    # zeros-then-ones "0011": q0@0 0->X R (1); q1@1 0 R (2); q1@2 1->Y L (3); q2@1 0 L (4);
    # q2@0 X R q0 (5); q0@1 0->X R (6); q1@2 Y R (7); q1@3 1->Y L (8); q2@2 Y L (9);
    # q2@1 X R q0 (10); q0@2 Y R q3 (11); q3@3 Y R (12); q3@4 _ accept (13). space 5.
    ("zeros-then-ones", "0011", True, "XXYY", 13, 5),
    # zeros-then-ones "10": q0@0 reads 1: no move, reject (1). space 1.
    ("zeros-then-ones", "10", False, "10", 1, 1),
    # zeros-then-ones "0": q0@0 0->X R (1); q1@1 reads _ -> reject (2). space 2.
    ("zeros-then-ones", "0", False, "X", 2, 2),
    # palindromes "00": start@0 0->_ R seek0 (1); seek0@1 0 R (2); seek0@2 _ L check0 (3);
    # check0@1 0->_ L back (4); back@0 _ R start (5); start@1 _ accept (6). space 3.
    ("palindromes", "00", True, "", 6, 3),
    # palindromes "010": start@0 0->_ R (1); seek0@1,2 R (2,3); seek0@3 _ L (4);
    # check0@2 0->_ L (5); back@1 1 L (6); back@0 _ R (7); start@1 1->_ R seek1 (8);
    # seek1@2 _ L check1 (9); check1@1 _ accept (10). cells 0..3 -> space 4.
    ("palindromes", "010", True, "", 10, 4),
    # palindromes "01": start@0 0->_ R (1); seek0@1 1 R (2); seek0@2 _ L (3);
    # check0@1 reads 1 -> reject (4). space 3; tape "1".
    ("palindromes", "01", False, "1", 4, 3),
]


@pytest.mark.parametrize("name,word,accepted,output,steps,space", HAND)
def test_hand_computed_counters(name, word, accepted, output, steps, space):
    r = get_machine(name).run(word)
    assert (r.accepted, r.output_string, r.steps, r.space) == (accepted, output, steps, space)


def test_library_machines_are_total_and_listed():
    for name in LIBRARY:
        tm = get_machine(name)
        assert tm.is_total and tm.name == name
    with pytest.raises(InvalidArgumentError, match="unknown Turing machine"):
        get_machine("nope")


# --- stepwise, limits ----------------------------------------------------------------------


def test_run_stepwise_agrees_with_run():
    tm = zeros_then_ones()
    confs = list(tm.run_stepwise("0011"))
    r = tm.run("0011")
    assert [c.step for c in confs] == list(range(r.steps + 1))
    assert confs[0].state == "q0" and confs[0].head == 0 and confs[0].tape == tuple("0011")
    last = confs[-1]
    assert last.state == r.state and last.head == r.head and last.space == r.space
    assert "".join(last.tape).strip("_") == r.output_string
    assert confs[1].tape == tuple("X011") and confs[1].head == 1 and confs[1].state == "q1"


def looping_machine() -> TuringMachine:
    return TuringMachine.from_table(
        {("a", "_"): ("b", "_", "S"), ("b", "_"): ("a", "_", "S")}, blank="_",
        initial_state="a", accept_states=(), input_symbols={"1"}, name="ping-pong")


def test_non_halting_machine_hits_the_step_limit():
    with pytest.raises(StepLimitExceeded, match=r"ping-pong did not halt within 50 steps"):
        looping_machine().run("", TMLimits(max_steps=50))
    with pytest.raises(StepLimitExceeded):
        list(looping_machine().run_stepwise("", TMLimits(max_steps=7)))


def test_machine_halting_exactly_at_the_limit_is_fine():
    assert binary_increment().run("0011", TMLimits(max_steps=8)).steps == 8
    with pytest.raises(StepLimitExceeded):
        binary_increment().run("0011", TMLimits(max_steps=7))


def test_space_limit():
    runner = TuringMachine.from_table({("a", "_"): ("a", "_", "L")}, blank="_",
                                      initial_state="a", accept_states=(),
                                      input_symbols={"1"}, name="runaway")
    with pytest.raises(SizeLimitExceeded, match="more than 100 cells"):
        runner.run("", TMLimits(max_steps=10**6, max_space=100))


def test_bad_input_symbol_names_its_position():
    with pytest.raises(InvalidArgumentError, match="'2' at position 1"):
        palindromes().run("020")
    with pytest.raises(InvalidArgumentError):
        palindromes().run("0_0")  # the blank is never an input symbol


# --- validation ----------------------------------------------------------------------------


def _kw(**over):
    base = dict(states={"q", "h"}, input_symbols={"1"}, tape_symbols={"1", "_"}, blank="_",
                rules=(Rule("q", "1", "h", "1", "R"),), initial_state="q",
                accept_states={"h"})
    base.update(over)
    return base


@pytest.mark.parametrize("over,msg", [
    (dict(blank="x"), "blank 'x' is not a tape symbol"),
    (dict(input_symbols={"1", "_"}), "blank '_' must not be an input symbol"),
    (dict(input_symbols={"2"}), "input symbol '2' is not a tape symbol"),
    (dict(initial_state="z"), "initial state 'z' is not a state"),
    (dict(accept_states={"z"}), "accepting state 'z' is not a state"),
    (dict(reject_states={"h"}), "both accepting and rejecting"),
    (dict(rules=(Rule("q", "1", "h", "1", "R"), Rule("q", "1", "q", "1", "L"))),
     "defined twice"),
    (dict(rules=(Rule("h", "1", "q", "1", "R"),)), "halting state 'h' has a rule"),
    (dict(rules=(Rule("q", "2", "h", "1", "R"),)), "read symbol '2'"),
    (dict(rules=(Rule("q", "1", "z", "1", "R"),)), "next state 'z'"),
    (dict(rules=(Rule("q", "1", "h", "2", "R"),)), "written symbol '2'"),
    (dict(rules=(Rule("q", "1", "h", "1", "X"),)), "move 'X'"),
    (dict(states={"q", "h", 3}), "state 3 is not a non-empty string"),
])
def test_validation_errors(over, msg):
    with pytest.raises(InvalidMachineError, match=msg):
        TuringMachine(**_kw(**over))


def test_machine_is_immutable():
    tm = TuringMachine(**_kw())
    with pytest.raises(AttributeError):
        tm.blank = "1"


# --- automata-lib shape --------------------------------------------------------------------

# automata-lib's documented DTM example: accepts 0^n 1^n for n >= 1
AUTOMATA_DTM = dict(
    states={"q0", "q1", "q2", "q3", "q4"},
    input_symbols={"0", "1"},
    tape_symbols={"0", "1", "x", "y", "."},
    transitions={
        "q0": {"0": ("q1", "x", "R"), "y": ("q3", "y", "R")},
        "q1": {"0": ("q1", "0", "R"), "1": ("q2", "y", "L"), "y": ("q1", "y", "R")},
        "q2": {"0": ("q2", "0", "L"), "x": ("q0", "x", "R"), "y": ("q2", "y", "L")},
        "q3": {"y": ("q3", "y", "R"), ".": ("q4", ".", "R")},
    },
    initial_state="q0",
    blank_symbol=".",
    final_states={"q4"},
)


@SETTINGS
@given(st.one_of(binary_words, st.integers(0, 6).map(lambda n: "0" * n + "1" * n)))
def test_from_automata_dict(w):
    tm = TuringMachine.from_automata_dict(**AUTOMATA_DTM, name="automata-example")
    assert tm.run(w).accepted == (ref_zeros_then_ones(w) and len(w) > 0)


def test_automata_round_trip_and_object():
    tm = TuringMachine.from_automata_dict(**AUTOMATA_DTM)
    again = TuringMachine.from_automata_dict(**tm.to_automata_dict())
    assert again == tm

    class FakeDTM:  # attribute access only, like automata-lib's DTM object
        pass

    obj = FakeDTM()
    for k, v in AUTOMATA_DTM.items():
        setattr(obj, k, v)
    assert TuringMachine.from_automata(obj) == tm
    with pytest.raises(InvalidMachineError, match="not an automata-lib DTM"):
        TuringMachine.from_automata(object())


@pytest.mark.parametrize("transitions,msg", [
    ({"q0": {"0": ("q1", "x")}}, "is not \\(next_state, write, move\\)"),
    ({"q0": {"0": ("q1", "x", "U")}}, "move 'U' is not L, R or N"),
    ({"q0": ["0"]}, "must be a dict"),
])
def test_from_automata_dict_errors(transitions, msg):
    kw = dict(AUTOMATA_DTM, transitions=transitions)
    with pytest.raises(InvalidMachineError, match=msg):
        TuringMachine.from_automata_dict(**kw)


def test_n_move_means_stay():
    tm = TuringMachine.from_automata_dict(
        states={"a", "b"}, input_symbols={"1"}, tape_symbols={"1", "_"},
        transitions={"a": {"1": ("b", "_", "N")}}, initial_state="a", blank_symbol="_",
        final_states={"b"})
    r = tm.run("1")
    assert r.head == 0 and r.steps == 1 and r.space == 1 and r.output == ()
    assert tm.rule("a", "1").move == "S"

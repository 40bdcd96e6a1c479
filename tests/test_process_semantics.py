"""Property-based tests of the transition g (Algorithm 1) against a naive reference."""

from __future__ import annotations

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import (
    GenerationProcess,
    Limits,
    Model,
    StepOutput,
    apply_transition,
    mask_positions,
)
from apmdm.machines.tokens import MASK

SETTINGS = settings(max_examples=300, deadline=None)

tokens = st.sampled_from(["a", "b", 0, 1, 7, (1, 2), ("x", (0,))])
cells = st.one_of(st.just(MASK), tokens)


@st.composite
def step_inputs(draw, max_len: int = 12):
    """A canvas, dense y (never MASK) and per-position control bits."""
    n = draw(st.integers(0, max_len))
    canvas = tuple(draw(st.lists(cells, min_size=n, max_size=n)))
    y = tuple(draw(st.lists(tokens, min_size=n, max_size=n)))
    controls = draw(st.lists(st.tuples(st.booleans(), st.booleans(), st.booleans()),
                             min_size=n, max_size=n))
    return canvas, y, controls


def reference_g(canvas, y, controls):
    """Algorithm 1 written out position by position, independently of apmdm.machines.process.

    Returns the next canvas and the events (unmasked, remasked, inserted, deleted)."""
    out, un, re, ins, de = [], [], [], [], []
    for i, x in enumerate(canvas):
        remask, insert, delete = controls[i]
        if delete and x is MASK:
            de.append(i)
            continue
        if remask:
            out.append(MASK)
            if x is not MASK:
                re.append(i)
        elif x is MASK:
            out.append(y[i])
            un.append(i)
        else:
            out.append(x)
        if insert:
            out.append(MASK)
            ins.append(i)
    return tuple(out), (tuple(un), tuple(re), tuple(ins), tuple(de))


def sparse(canvas, y, controls) -> StepOutput:
    """The same output given sparsely: y only at the masks g reads."""
    toks = {i: y[i] for i, x in enumerate(canvas) if x is MASK and not controls[i][0]}
    dense = StepOutput.dense(y, controls)
    return StepOutput(toks, dense.remask, dense.insert, dense.delete)


@SETTINGS
@given(step_inputs())
def test_apply_transition_matches_reference(data):
    canvas, y, controls = data
    want, want_ev = reference_g(canvas, y, controls)
    for out in (StepOutput.dense(y, controls), sparse(canvas, y, controls)):
        got, ev = apply_transition(canvas, out)
        assert got == want
        assert (ev.unmasked, ev.remasked, ev.inserted, ev.deleted) == want_ev


@SETTINGS
@given(step_inputs())
def test_length_formula(data):
    canvas, y, controls = data
    after, ev = apply_transition(canvas, StepOutput.dense(y, controls))
    masks = {i for i, x in enumerate(canvas) if x is MASK}
    deleted_masks = {i for i, c in enumerate(controls) if c[2] and i in masks}
    inserts = {i for i, c in enumerate(controls) if c[1] and i not in deleted_masks}
    assert len(after) == len(canvas) - len(deleted_masks) + len(inserts)
    assert len(after) == len(canvas) - len(ev.deleted) + len(ev.inserted)
    assert set(ev.deleted) == deleted_masks and set(ev.inserted) == inserts


@SETTINGS
@given(step_inputs(), st.data())
def test_delete_acts_only_on_masks(data, more):
    canvas, y, controls = data
    decoded = [i for i, x in enumerate(canvas) if x is not MASK]
    if not decoded:
        return
    i = more.draw(st.sampled_from(decoded))
    flipped = list(controls)
    flipped[i] = (controls[i][0], controls[i][1], not controls[i][2])
    a = apply_transition(canvas, StepOutput.dense(y, controls))
    b = apply_transition(canvas, StepOutput.dense(y, flipped))
    assert a == b  # the delete bit of a decoded token changes nothing


@SETTINGS
@given(step_inputs())
def test_delete_of_mask_cancels_its_insert(data):
    canvas, y, controls = data
    forced = [(r, True, d) if (x is MASK and d) else (r, i, d)
              for x, (r, i, d) in zip(canvas, controls, strict=True)]
    cleared = [(r, False, d) if (x is MASK and d) else (r, i, d)
               for x, (r, i, d) in zip(canvas, controls, strict=True)]
    a = apply_transition(canvas, StepOutput.dense(y, forced))
    b = apply_transition(canvas, StepOutput.dense(y, cleared))
    assert a == b


@SETTINGS
@given(step_inputs())
def test_remask_beats_unmask_beats_keep(data):
    canvas, y, controls = data
    after, _ = apply_transition(canvas, StepOutput.dense(y, controls))
    j = 0
    for i, x in enumerate(canvas):
        remask, insert, delete = controls[i]
        if delete and x is MASK:
            continue
        if remask:
            assert after[j] is MASK
        elif x is MASK:
            assert after[j] == y[i] and after[j] is not MASK
        else:
            assert after[j] == x
        j += 1
        if insert:
            assert after[j] is MASK
            j += 1
    assert j == len(after)


def test_decoded_token_needs_two_steps_to_disappear():
    c0 = ("a", "b")
    c1, _ = apply_transition(c0, StepOutput(("a", "b"), frozenset(), frozenset(),
                                            frozenset({0})))
    assert c1 == c0  # delete on a decoded token does nothing
    c1, _ = apply_transition(c0, StepOutput(("a", "b"), frozenset({0})))
    c2, ev = apply_transition(c1, StepOutput(("a", "b"), frozenset(), frozenset(),
                                             frozenset({0})))
    assert c1 == (MASK, "b") and c2 == ("b",) and ev.deleted == (0,)


@SETTINGS
@given(step_inputs(max_len=8), st.data())
def test_mask_is_never_accepted_as_y(data, more):
    canvas, y, controls = data
    if not canvas:
        return
    i = more.draw(st.integers(0, len(canvas) - 1))
    bad = list(y)
    bad[i] = MASK
    with pytest.raises(InvalidArgumentError, match="MASK"):
        apply_transition(canvas, StepOutput.dense(bad, controls))
    with pytest.raises(InvalidArgumentError, match="MASK"):
        apply_transition(canvas, StepOutput({i: MASK}, frozenset(range(len(canvas)))))


@pytest.mark.parametrize("bad", [2, -1, True, "0"])
def test_control_positions_outside_the_canvas_are_rejected(bad):
    with pytest.raises(InvalidArgumentError):
        apply_transition((MASK, "a"), StepOutput(("a", "a"), frozenset({bad})))


def test_sparse_output_must_cover_the_masks_g_reads():
    with pytest.raises(InvalidArgumentError, match="y_1"):
        apply_transition(("a", MASK), StepOutput({}))


# --- random pure next-step functions -------------------------------------------------------


def _seeded(canvas, seed: int) -> int:
    return zlib.crc32(repr((seed, canvas)).encode())


def random_mdm_f(seed: int):
    """A pure f for the MDM: keeps a pseudo-random subset of the masks masked."""
    def f(canvas):
        h = _seeded(canvas, seed)
        masks = mask_positions(canvas)
        keep = frozenset(m for k, m in enumerate(masks) if (h >> (k % 31)) & 1)
        y = tuple(("t", (h >> 3) % 5, i) for i in range(len(canvas)))
        return StepOutput(y, keep)
    return f


def random_apmdm_f(seed: int):
    """A pure f for the AP-MDM with pseudo-random controls (length kept small)."""
    def f(canvas):
        h = _seeded(canvas, seed)
        n = len(canvas)
        bits = [((h >> (3 * i % 29)) & 7) for i in range(n)]
        grow = n < 10
        rem = frozenset(i for i in range(n) if bits[i] & 1)
        ins = frozenset(i for i in range(n) if bits[i] & 2 and grow)
        dele = frozenset(i for i in range(n) if bits[i] & 4)
        y = tuple((h + i) % 3 for i in range(n))
        return StepOutput(y, rem, ins, dele)
    return f


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**6), st.lists(st.one_of(st.just(MASK), tokens), max_size=10))
def test_mdm_never_changes_a_decoded_token(seed, canvas):
    proc = GenerationProcess(Model.MDM, random_mdm_f(seed))
    for rec in proc.run_stepwise(tuple(canvas), Limits(max_steps=50)):
        assert len(rec.after) == len(rec.before)
        for x, z in zip(rec.before, rec.after, strict=True):
            if x is not MASK:
                assert z == x


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 10**6), st.lists(st.one_of(st.just(MASK), tokens), max_size=8))
def test_counters_are_sums_of_the_events(seed, canvas):
    proc = GenerationProcess(Model.APMDM, random_apmdm_f(seed))
    limits = Limits(max_steps=40)
    recs = list(proc.run_stepwise(tuple(canvas), limits))
    res = proc.run(tuple(canvas), limits)
    c = res.counters
    assert c.steps == len(recs) and recs[-1].stop is res.stop
    assert c.unmasks == sum(len(r.events.unmasked) for r in recs) == c.tokens_written
    assert c.remasks == sum(len(r.events.remasked) for r in recs)
    assert c.inserts == sum(len(r.events.inserted) for r in recs)
    assert c.deletes == sum(len(r.events.deleted) for r in recs)
    assert c.initial_context == len(canvas)
    assert c.max_context == max([len(canvas)] + [len(r.after) for r in recs])
    assert c.final_context == len(res.final) == len(recs[-1].after)
    for a, b in zip(recs, recs[1:], strict=False):
        assert a.after == b.before and a.stop is None

"""The restricted models reject f's that break their rule; stop reasons; cycle detection."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.machines.errors import RestrictionViolation, SizeLimitExceeded
from apmdm.machines.process import (
    GenerationProcess,
    Limits,
    Model,
    StepOutput,
    StopReason,
    arm_prompt,
    mask_positions,
)
from apmdm.machines.tokens import MASK

E = frozenset()


def legal_then(model: Model, violate_at_masks: int, bad):
    """f that behaves legally for ``model`` until the canvas has ``violate_at_masks`` masks,
    then returns ``bad(canvas)``. Legal MDM-family behaviour: unmask the leftmost mask."""
    def f(canvas):
        masks = mask_positions(canvas)
        if len(masks) == violate_at_masks:
            return bad(canvas)
        return StepOutput({masks[0]: "v"}, frozenset(masks[1:]))
    return f


MDM_FAMILY = [Model.MDM, Model.AOMDM, Model.MASKED_ARM]


def _all_masks_but(canvas, keep):
    return frozenset(m for m in mask_positions(canvas) if m not in keep)


# (model, bad output on a canvas with masks at 2..5 of (a, b, M, M, M, M), expected position)
MDM_VIOLATIONS = [
    ("insert", lambda c: StepOutput({2: "v"}, _all_masks_but(c, {2}), frozenset({4})), 4),
    ("delete", lambda c: StepOutput({2: "v"}, _all_masks_but(c, {2}), E, frozenset({3})), 3),
    ("remask on decoded", lambda c: StepOutput({2: "v"}, _all_masks_but(c, {2}) | {1}), 1),
]


@pytest.mark.parametrize("model", MDM_FAMILY)
@pytest.mark.parametrize("label,bad,pos", MDM_VIOLATIONS)
def test_mdm_family_rejects_insert_delete_and_decoded_remask(model, label, bad, pos):
    # masks 0 and 1 are filled legally at steps 1 and 2; step 3 breaks the rule
    proc = GenerationProcess(model, legal_then(model, 4, bad))
    canvas = (MASK, MASK, MASK, MASK, MASK, MASK)
    with pytest.raises(RestrictionViolation) as info:
        proc.run(canvas)
    assert info.value.step == 3 and info.value.position == pos, label
    assert "step 3" in str(info.value) and f"position {pos}" in str(info.value)


def test_aomdm_rejects_two_unmasks_and_zero_unmasks():
    two = GenerationProcess(Model.AOMDM, legal_then(
        Model.AOMDM, 3, lambda c: StepOutput({2: "v", 4: "w"}, frozenset({3}))))
    with pytest.raises(RestrictionViolation) as info:
        two.run((MASK,) * 5)
    assert info.value.step == 3 and info.value.position == 4
    none = GenerationProcess(Model.AOMDM, lambda c: StepOutput({}, frozenset(mask_positions(c))))
    with pytest.raises(RestrictionViolation, match="exactly one") as info:
        none.run((MASK,) * 2)
    assert info.value.step == 1
    # MDM allows both
    assert GenerationProcess(Model.MDM, lambda c: StepOutput(
        {m: "v" for m in mask_positions(c)})).run((MASK,) * 3).stop is StopReason.NO_MASK


def test_masked_arm_rejects_a_non_leftmost_unmask():
    bad = GenerationProcess(Model.MASKED_ARM, legal_then(
        Model.MASKED_ARM, 2, lambda c: StepOutput({3: "v"}, frozenset({2}))))
    with pytest.raises(RestrictionViolation, match="leftmost") as info:
        bad.run((MASK,) * 4)
    assert info.value.step == 3 and info.value.position == 3
    # AO-MDM allows any single position
    ok = GenerationProcess(Model.AOMDM, lambda c: StepOutput(
        {mask_positions(c)[-1]: "v"}, frozenset(mask_positions(c)[:-1])))
    assert ok.run((MASK,) * 4).counters.steps == 4


def _arm_f(bad_at_len: int, bad):
    def f(canvas):
        last = len(canvas) - 1
        if len(canvas) == bad_at_len:
            return bad(canvas)
        return StepOutput({last: "t"}, E, frozenset({last}))
    return f


ARM_VIOLATIONS = [
    ("remask", lambda c: StepOutput({len(c) - 1: "t"}, frozenset({0}), frozenset({len(c) - 1})),
     0),
    ("delete", lambda c: StepOutput({len(c) - 1: "t"}, E, frozenset({len(c) - 1}),
                                    frozenset({1})), 1),
    ("no insert", lambda c: StepOutput({len(c) - 1: "t"}), 3),
    ("insert elsewhere", lambda c: StepOutput({len(c) - 1: "t"}, E, frozenset({0, 3})), 0),
]


@pytest.mark.parametrize("label,bad,pos", ARM_VIOLATIONS)
def test_arm_rejects_non_causal_outputs(label, bad, pos):
    proc = GenerationProcess(Model.ARM, _arm_f(4, bad))
    with pytest.raises(RestrictionViolation) as info:
        proc.run(arm_prompt(["p", "q"]))  # length 3; step 2 sees length 4
    assert info.value.step == 2 and info.value.position == pos, label


def test_arm_rejects_a_canvas_that_is_not_prefix_plus_slot():
    proc = GenerationProcess(Model.ARM, _arm_f(0, None))
    with pytest.raises(RestrictionViolation, match="exactly one MASK") as info:
        proc.run(("p", MASK, MASK))
    assert info.value.step == 1 and info.value.position == 1


# --- stop reasons ----------------------------------------------------------------------------


def test_stop_eos_arm():
    def f(canvas):
        last = len(canvas) - 1
        tok = "<eos>" if last == 4 else f"w{last}"
        return StepOutput({last: tok}, E, E if tok == "<eos>" else frozenset({last}))
    res = GenerationProcess(Model.ARM, f, eos="<eos>").run(arm_prompt(["p"]))
    assert res.stop is StopReason.EOS and res.final == ("p", "w1", "w2", "w3", "<eos>")
    assert res.counters.steps == 4 and res.counters.tokens_written == 4
    assert res.counters.inserts == 3 and res.counters.max_context == 5


def test_stop_no_mask_and_zero_step_run():
    proc = GenerationProcess(Model.MASKED_ARM, legal_then(Model.MASKED_ARM, -1, None))
    res = proc.run(("a", MASK, MASK))
    assert res.stop is StopReason.NO_MASK and res.counters.steps == 2
    res0 = proc.run(("a", "b"))
    assert res0.stop is StopReason.NO_MASK and res0.counters.steps == 0
    assert list(proc.run_stepwise(("a", "b"))) == []


def test_stop_fixed_point():
    proc = GenerationProcess(Model.APMDM, lambda c: StepOutput(tuple("z" for _ in c),
                                                              frozenset(mask_positions(c))))
    res = proc.run(("a", MASK))
    assert res.stop is StopReason.FIXED_POINT and res.counters.steps == 1


def test_stop_step_limit_and_size_limit():
    grow = GenerationProcess(Model.APMDM, lambda c: StepOutput(tuple("z" for _ in c), E,
                                                              frozenset({len(c) - 1})))
    res = grow.run(("a",), Limits(max_steps=5))
    assert res.stop is StopReason.STEP_LIMIT and not res.halted
    assert res.counters.steps == 5 and res.final == ("a",) + ("z",) * 4 + (MASK,)
    with pytest.raises(SizeLimitExceeded, match="step 3"):
        grow.run(("a",), Limits(max_steps=100, max_context=3))


A, B, C = (MASK,), ("a",), ("a", MASK)


def cycle_f(canvas):
    """A -> B -> C -> A (a 3-cycle), entered from ('p',)*j after 2(j-1)+1 steps."""
    if canvas == A:
        return StepOutput({0: "a"})
    if canvas == B:
        return StepOutput({}, E, frozenset({0}))
    if canvas == C:
        return StepOutput({}, frozenset({0}), E, frozenset({1}))
    if canvas[-1] is MASK:                      # p..p M: delete the mask
        return StepOutput({}, E, E, frozenset({len(canvas) - 1}))
    return StepOutput({}, frozenset({len(canvas) - 1}))   # p..p: remask the last p


def brent_detection_step(mu: int, period: int) -> tuple[int, int]:
    """Brent's checkpoints sit at steps 0, 1, 2, 4, 8, ...: the first checkpoint 2^k with
    2^k >= mu (inside the cycle) and 2^k >= period sees its canvas again at 2^k + period."""
    k = 1
    while k < mu or k < period:
        k *= 2
    return k + period, k


@pytest.mark.parametrize("j", [1, 2, 3, 5, 9])
def test_cycle_detection_is_exact(j):
    start = ("p",) * j
    proc = GenerationProcess(Model.APMDM, cycle_f)
    canvases = [start] + [r.after for r in proc.run_stepwise(start)]
    mu = 2 * (j - 1) + 1
    assert canvases[mu] == A and canvases[mu + 3] == A and len(set(canvases[mu:mu + 3])) == 3
    res = proc.run(start)
    want_step, want_start = brent_detection_step(mu, 3)
    assert res.stop is StopReason.CYCLE
    assert res.counters.steps == want_step and res.cycle_start == want_start
    assert canvases[res.cycle_start] == res.final
    # no canvas repeated before the detection step's canvas? the first repeat is at mu + 3
    first_repeat = next(s for s in range(len(canvases)) if canvases[s] in canvases[:s])
    assert first_repeat == mu + 3 <= res.counters.steps


def test_pure_3_cycle_from_its_start():
    res = GenerationProcess(Model.APMDM, cycle_f).run(A)
    assert res.stop is StopReason.CYCLE and res.counters.steps == 7 and res.cycle_start == 4


def rho_f(low: int, high: int):
    """x^i grows by insert+unmask up to x^high, then drops back to x^low (remask the tail,
    delete it): a deterministic canvas sequence shaped like a rho."""
    def f(canvas):
        n = len(canvas)
        masks = mask_positions(canvas)
        if len(masks) == 1:
            return StepOutput({n - 1: "x"})
        if masks:
            return StepOutput({}, E, E, frozenset(masks))
        if n < high:
            return StepOutput({}, E, frozenset({n - 1}))
        return StepOutput({}, frozenset(range(low, n)))
    return f


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(2, 25))
def test_cycle_detection_on_rho_shapes(low, span):
    high = low + span
    proc = GenerationProcess(Model.APMDM, rho_f(low, high))
    start = ("x",)
    canvases = [start] + [r.after for r in proc.run_stepwise(start, Limits(max_steps=10_000))]
    first_seen: dict = {}
    for s, c in enumerate(canvases):  # naive: the first canvas seen twice
        if c in first_seen:
            mu, period = first_seen[c], s - first_seen[c]
            break
        first_seen[c] = s
    else:
        raise AssertionError("no repeat recorded")
    res = proc.run(start, Limits(max_steps=10_000))
    want_step, want_start = brent_detection_step(mu, period)
    assert res.stop is StopReason.CYCLE
    assert res.counters.steps == want_step and res.cycle_start == want_start


def test_arm_without_a_token_for_its_slot_is_a_violation_not_a_keyerror():
    proc = GenerationProcess(Model.ARM, lambda c: StepOutput({}, E, frozenset({len(c) - 1})))
    with pytest.raises(RestrictionViolation, match="no token") as info:
        proc.run(arm_prompt(["p"]))
    assert info.value.step == 1 and info.value.position == 1

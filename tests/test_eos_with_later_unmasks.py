"""EOS is recognised wherever it is written, also when later positions are unmasked in the
same step (a stop rule that looked only at the last unmasked position would miss it)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput, StopReason
from apmdm.machines.tokens import MASK

EOS = "<eos>"


@st.composite
def eos_steps(draw):
    """A masked canvas and one step that unmasks several positions, EOS not the last."""
    length = draw(st.integers(2, 8))
    chosen = sorted(draw(st.sets(st.integers(0, length - 1), min_size=2, max_size=length)))
    eos_at = draw(st.sampled_from(chosen[:-1]))       # some unmasked position comes later
    return length, chosen, eos_at


def _f(chosen, eos_at):
    def f(canvas):
        masks = [i for i, t in enumerate(canvas) if t is MASK]
        tokens = {i: (EOS if i == eos_at else "a") for i in masks}
        return StepOutput(tokens, frozenset(masks) - set(chosen))
    return f


@settings(max_examples=40, deadline=None)
@given(eos_steps(), st.sampled_from([Model.MDM, Model.APMDM]))
def test_eos_before_a_later_unmask_stops_the_run(case, model):
    length, chosen, eos_at = case
    proc = GenerationProcess(model, _f(chosen, eos_at), eos=EOS)
    res = proc.run((MASK,) * length, Limits(max_steps=5))
    assert res.stop is StopReason.EOS
    assert res.counters.steps == 1
    assert res.final[eos_at] == EOS and res.final[chosen[-1]] == "a"


def test_eos_with_later_unmasks_example():
    proc = GenerationProcess(Model.MDM, _f([0, 2], 0), eos=EOS)
    res = proc.run((MASK, MASK, MASK, MASK), Limits(max_steps=5))
    assert res.stop is StopReason.EOS and res.counters.steps == 1

"""The Theorem-4 reference f's advance step (pair and memory-cell lookups inlined) against the
former advance written with the helper methods: same outputs on every canvas of random runs,
same errors (a pair that is not one slot and one MASK, an access beyond the memory bound)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.strategies import pram_instances
from apmdm.constructions.pram.apmdm import PramToAPMDM, compile_apmdm
from apmdm.constructions.pram.slot import HALTED, NO_WRITE, T_, WADDR
from apmdm.machines.errors import ApmdmError
from apmdm.machines.process import StepOutput, apply_transition_reference
from apmdm.machines.tokens import MASK
from tests.pram_test_programs import prefix_sums, read_after_write


class FormerAdvance(PramToAPMDM):
    """The advance step as it was, through :meth:`_pair`, :meth:`_read` and :meth:`_cell`."""

    def _advance(self, canvas):
        sem = self.semantics
        fills, remask = {}, set()
        for p in range(self.processors):
            cur_pos, next_pos = self._pair(canvas, p)
            cur = canvas[cur_pos]
            if cur[HALTED]:
                remask.add(next_pos)
                continue
            addr = sem.load_address(cur)
            new = sem.execute(cur, self._read(canvas, addr, cur) if addr is not None else 0,
                              cur[T_] + 1)
            fills[next_pos] = new
            remask.add(cur_pos)
            if new[WADDR] != NO_WRITE:
                remask.add(self._cell(new[WADDR], new))
        return StepOutput(fills, frozenset(remask))


def outcome(f, canvas):
    try:
        return f(canvas)
    except ApmdmError as exc:
        return type(exc).__name__, str(exc)


def former(con: PramToAPMDM) -> FormerAdvance:
    return FormerAdvance(con.program, con.n, con.memory_size, con.variant)


@settings(max_examples=60, deadline=None)
@given(pram_instances(), st.integers(0, 2))
def test_advance_equals_the_former_advance(inst, shrink):
    """Every canvas of the run (the reference construction's own run under the former f), with
    the memory bound sometimes below the program's span so that accesses beyond it raise."""
    x = inst.inputs
    S = max(inst.result.counters.memory_span - shrink, len(x), 1)
    con = compile_apmdm(inst.program, len(x), S, inst.variant)
    ref = former(con)
    canvas = con.initial_canvas(x)
    for _ in range(2 * inst.result.counters.time + 2):
        want = outcome(ref.next_step, canvas)
        assert outcome(con.next_step, canvas) == want
        if not isinstance(want, StepOutput):
            return
        nxt = apply_transition_reference(canvas, want)[0]
        if nxt == canvas:
            return              # the fixed point: every processor halted
        canvas = nxt


def test_broken_pairs_raise_the_same_error():
    con = compile_apmdm(prefix_sums(), 8, 8)
    canvas = list(con.initial_canvas((1,) * 8))
    a = con.memory_size + 2 * 3                  # processor 3's pair: (slot, MASK)
    two_masks = canvas[:a] + [MASK, MASK] + canvas[a + 2:]
    two_slots = canvas[:a] + [canvas[a], canvas[a]] + canvas[a + 2:]
    for broken in (tuple(two_masks), tuple(two_slots)):
        want = outcome(former(con).next_step, broken)
        assert want[0] == "ConstructionError" and "pair" in want[1]
        assert outcome(con.next_step, broken) == want


def test_memory_bound_errors_are_the_same():
    con = compile_apmdm(read_after_write(), 1, 1)
    canvas = con.initial_canvas((5,))
    res = None
    for _ in range(20):
        want = outcome(former(con).next_step, canvas)
        got = outcome(con.next_step, canvas)
        assert got == want
        if not isinstance(want, StepOutput):
            res = want
            break
        canvas = apply_transition_reference(canvas, want)[0]
    assert res is not None and "memory bound" in res[1]


def test_the_comparison_sees_a_changed_advance():
    """Guard against a test that cannot fail: an advance that forgets one remask differs."""
    con = compile_apmdm(prefix_sums(), 8, 8)
    canvas = con.initial_canvas(tuple(range(8)))
    out = con.next_step(canvas)
    broken = StepOutput(out.tokens, frozenset(sorted(out.remask)[1:]))
    assert broken != former(con).next_step(canvas) == out

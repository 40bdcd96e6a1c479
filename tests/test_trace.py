"""Traces: recording, deterministic atomic writing, validated reading, replay."""

from __future__ import annotations

import json
import os
import tempfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.machines.errors import InvalidArgumentError, MalformedTraceError
from apmdm.machines.process import (
    GenerationProcess,
    Limits,
    Model,
    StepOutput,
    StopReason,
    arm_prompt,
)
from apmdm.machines.tokens import MASK
from apmdm.machines.trace import dumps_trace, read_trace, record_trace, write_trace

E = frozenset()


def seeded_apmdm(seed: int) -> GenerationProcess:
    """A pure, seeded AP-MDM f with every operation (inserts only while short)."""
    def f(canvas):
        h = zlib.crc32(repr((seed, canvas)).encode())
        n = len(canvas)
        bits = [(h >> (3 * i % 29)) & 7 for i in range(n)]
        return StepOutput(tuple(("w", (h + i) % 4) for i in range(n)),
                          frozenset(i for i in range(n) if bits[i] & 1),
                          frozenset(i for i in range(n) if bits[i] & 2 and n < 9),
                          frozenset(i for i in range(n) if bits[i] & 4))
    return GenerationProcess(Model.APMDM, f, name=f"seeded-{seed}")


def masked_arm() -> GenerationProcess:
    def f(canvas):
        masks = [i for i, x in enumerate(canvas) if x is MASK]
        return StepOutput({masks[0]: masks[0] % 2}, frozenset(masks[1:]))
    return GenerationProcess(Model.MASKED_ARM, f)


def arm_with_eos() -> GenerationProcess:
    def f(canvas):
        last = len(canvas) - 1
        tok = "$" if last == 5 else ("t", last)
        return StepOutput({last: tok}, E, E if tok == "$" else frozenset({last}))
    return GenerationProcess(Model.ARM, f, eos="$")


SIXTY = Limits(max_steps=60)


def record(proc, canvas, seed=0, limits=SIXTY):
    return record_trace(proc, canvas, limits, proc.name or "test", {"seed": seed, "n": 3},
                        {"size": 10, "kind": "test"})


def _tmp(name="t.jsonl"):
    return os.path.join(tempfile.mkdtemp(), name)


# --- round trips ---------------------------------------------------------------------------


def test_round_trip_is_byte_identical_for_the_same_seed(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    write_trace(record(seeded_apmdm(7), (MASK, "x", MASK), seed=7), a)
    write_trace(record(seeded_apmdm(7), (MASK, "x", MASK), seed=7), b)
    assert a.read_bytes() == b.read_bytes()
    back = read_trace(a)
    assert back == record(seeded_apmdm(7), (MASK, "x", MASK), seed=7)
    c = tmp_path / "c.jsonl"
    write_trace(back, c)
    assert c.read_bytes() == a.read_bytes()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".tmp-")] == []


@pytest.mark.parametrize("proc,canvas,stop", [
    (masked_arm(), (MASK, "a", MASK, MASK), StopReason.NO_MASK),
    (masked_arm(), ("a", "b"), StopReason.NO_MASK),          # zero steps
    (arm_with_eos(), arm_prompt(["p"]), StopReason.EOS),
])
def test_trace_agrees_with_run(proc, canvas, stop):
    t = record(proc, canvas)
    res = proc.run(canvas, Limits(max_steps=60))
    assert t.stop is res.stop is stop
    assert t.counters == res.counters and t.final == res.final and t.initial == canvas
    p = _tmp()
    write_trace(t, p)
    assert read_trace(p) == t


def test_cycle_and_step_limit_traces_validate():
    found = set()
    for seed in range(40):
        t = record(seeded_apmdm(seed), (MASK, MASK), seed, Limits(max_steps=25))
        res = seeded_apmdm(seed).run((MASK, MASK), Limits(max_steps=25))
        assert t.stop is res.stop and t.counters == res.counters
        if t.stop is StopReason.CYCLE:
            assert t.canvases()[t.cycle_start] == t.final
            assert t.cycle_start == res.cycle_start
        p = _tmp()
        write_trace(t, p)
        assert read_trace(p) == t
        found.add(t.stop)
    assert {StopReason.CYCLE, StopReason.FIXED_POINT} <= found


@st.composite
def canvases(draw):
    tok = st.one_of(st.sampled_from(["a", "b"]), st.integers(-3, 300),
                    st.tuples(st.integers(0, 9), st.integers(0, 9)))
    return tuple(draw(st.lists(st.one_of(st.just(MASK), tok), max_size=8)))


@settings(max_examples=80, deadline=None)
@given(canvases(), st.integers(0, 10**6))
def test_round_trip_on_random_canvases(canvas, seed):
    t = record(seeded_apmdm(seed), canvas, seed, Limits(max_steps=30))
    text = dumps_trace(t)
    p = _tmp()
    write_trace(t, p)
    with open(p, "rb") as fh:
        assert fh.read() == text.encode("ascii")
    back = read_trace(p)
    assert back == t and dumps_trace(back) == text


def test_vocabulary_list_and_mask_encoding():
    t = record_trace(masked_arm(), (MASK, MASK), Limits(), "m", {}, [0, 1, (2, 3)])
    header = json.loads(dumps_trace(t).splitlines()[0])
    assert header["vocabulary"] == [0, 1, [2, 3]] and header["initial"] == [None, None]
    with pytest.raises(InvalidArgumentError, match="MASK"):
        record_trace(masked_arm(), (MASK,), Limits(), "m", {}, [0, MASK])
    with pytest.raises(InvalidArgumentError, match="size"):
        record_trace(masked_arm(), (MASK,), Limits(), "m", {}, {"n": 3})
    with pytest.raises(InvalidArgumentError, match="not JSON"):
        record_trace(masked_arm(), (MASK,), Limits(), "m", {"f": object()}, [0])


# --- malformed files -----------------------------------------------------------------------


@pytest.fixture
def good_lines():
    t = record(seeded_apmdm(3), (MASK, "x", MASK), seed=3)
    assert len(t.steps) >= 3 and t.counters.inserts + t.counters.deletes > 0
    return dumps_trace(t).splitlines()


def _write(lines, raw_tail="\n"):
    p = _tmp()
    with open(p, "w") as fh:
        fh.write("\n".join(lines) + raw_tail)
    return p


def _edit(lines, index, **changes):
    obj = json.loads(lines[index])
    for k, v in changes.items():
        if v is ...:
            del obj[k]
        else:
            obj[k] = v
    out = list(lines)
    out[index] = json.dumps(obj)
    return out


def _error(path) -> MalformedTraceError:
    with pytest.raises(MalformedTraceError) as info:
        read_trace(path)
    assert info.value.path == path
    return info.value


def test_truncated_file_missing_final_line(good_lines):
    err = _error(_write(good_lines[:-1]))
    assert "truncated" in str(err) and "final line" in str(err)
    assert err.line == len(good_lines)


def test_truncated_mid_line(good_lines):
    text = "\n".join(good_lines)
    p = _tmp()
    with open(p, "w") as fh:
        fh.write(text[: len(text) - 30])
    err = _error(p)
    assert "truncated" in str(err) and err.line == len(good_lines)


@pytest.mark.parametrize("line,changes,needle", [
    (1, {"unmasked": ..., "unmask": [0]}, "missing field 'unmasked'"),
    (1, {"colour": "red"}, "unknown field 'colour'"),
    (1, {"length": 99}, "length 99 differs"),
    (1, {"step": 2}, "out of order"),
    (1, {"deleted": [0, 0]}, "strictly increasing"),
    (1, {"unmasked": [50]}, "outside the canvas"),
    (1, {"canvas": "abc"}, "field 'canvas'"),
    (1, {"canvas": [True]}, "booleans are not tokens"),
    (0, {"format": "other"}, "not an apmdm-trace file"),
    (0, {"version": 3}, "unsupported version 3"),
    (0, {"model": "gpt"}, "unknown model 'gpt'"),
    (0, {"initial": ...}, "missing field 'initial'"),
    (0, {"limits": {"max_steps": 0, "max_context": 5}}, "max_steps"),
    (-1, {"stop": "bored"}, "unknown stop reason 'bored'"),
    (-1, {"counters": {"steps": 1}}, "missing field"),
])
def test_wrong_fields_are_named_with_their_line(good_lines, line, changes, needle):
    err = _error(_write(_edit(good_lines, line, **changes)))
    assert needle in str(err)
    assert err.line == (line % len(good_lines)) + 1


def test_inconsistent_content_is_caught_by_replay(good_lines):
    step1 = json.loads(good_lines[1])
    tampered = list(step1["canvas"])
    j = next(i for i, x in enumerate(tampered) if x is not None)
    tampered[j] = "forged"
    err = _error(_write(_edit(good_lines, 1, canvas=tampered)))
    assert err.line == 2 and "step 1 is inconsistent" in str(err)
    c = json.loads(good_lines[-1])["counters"]
    err = _error(_write(_edit(good_lines, -1, counters=dict(c, unmasks=c["unmasks"] + 1))))
    assert "counter 'unmasks'" in str(err)
    err = _error(_write(_edit(good_lines, -1, stop="eos")))
    assert "does not hold" in str(err) or "cycle_start" in str(err)
    err = _error(_write(good_lines + [good_lines[-1]]))
    assert "after the final line" in str(err)


def test_restriction_is_replayed():
    t = record(masked_arm(), (MASK, MASK, MASK))
    lines = dumps_trace(t).splitlines()
    lines[0] = lines[0].replace('"masked-arm"', '"arm"')
    err = _error(_write(lines))
    assert "arm" in str(err) and err.line == 2


def test_step_limit_claim_checked(good_lines):
    header = json.loads(good_lines[0])
    header["limits"]["max_steps"] = 2
    lines = [json.dumps(header)] + good_lines[1:]
    err = _error(_write(lines))
    assert "max_steps" in str(err)


@pytest.mark.parametrize("content,needle", [
    ("", "empty file"),
    ("[1, 2]\n", "expected a JSON object"),
    ("{not json\n", "malformed JSON"),
])
def test_garbage_files(content, needle):
    p = _tmp()
    with open(p, "w") as fh:
        fh.write(content)
    assert needle in str(_error(p))


def test_missing_file():
    err = _error(os.path.join(tempfile.mkdtemp(), "absent.jsonl"))
    assert "cannot read" in str(err)


# --- atomic writing ------------------------------------------------------------------------


def test_failed_write_leaves_the_old_file_and_no_temp(tmp_path, monkeypatch):
    target = tmp_path / "t.jsonl"
    target.write_text("old\n")
    t = record(masked_arm(), (MASK,))

    def boom(*_):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(InvalidArgumentError, match="No space left"):
        write_trace(t, target)
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.jsonl"]


def test_write_into_missing_directory_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidArgumentError, match="cannot write"):
        write_trace(record(masked_arm(), (MASK,)), tmp_path / "no" / "t.jsonl")

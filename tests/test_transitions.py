"""Process data: export runs as (x_k, y_k, c_k, x_k+1) lines and validate them against g."""

from __future__ import annotations

import json
import os

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.cli import main
from apmdm.constructions.tasks.mincut import (
    MINCUT_PROCESS,
    mincut_canvas,
    mincut_limits,
    random_instance,
)
from apmdm.constructions.tasks.parity import PARITY_PROCESS, parity_canvas, parity_limits
from apmdm.constructions.tasks.sudoku import SUDOKU_PROCESS, sudoku_canvas, sudoku_limits
from apmdm.constructions.tasks.sudoku_puzzles import generate_puzzle
from apmdm.machines.errors import InvalidArgumentError, MalformedTraceError
from apmdm.machines.jsonl import LineDigest
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput, apply_transition
from apmdm.machines.tokens import MASK
from apmdm.machines.transitions import (
    FORMAT_NAME,
    Transition,
    end_line,
    export_transitions,
    header_line,
    transition_line,
    validate_transitions,
)


def _export_parity(path, bits=(1, 0, 1, 1, 0, 1, 1), dense=False):
    return export_transitions(PARITY_PROCESS, parity_canvas(bits), parity_limits(len(bits)),
                              path, "parity", {"n": len(bits)}, dense_controls=dense)


def _lines(path):
    return open(path).read().splitlines()


def _write(path, lines):
    with open(path, "w") as fh:
        fh.write("\n".join(lines) + "\n")


@pytest.mark.parametrize("dense", [False, True])
def test_exported_parity_run_passes(tmp_path, dense):
    p = tmp_path / "parity.jsonl"
    summary = _export_parity(p, dense=dense)
    report = validate_transitions(p)
    assert report.ok and report.transitions == summary.transitions > 0
    header = json.loads(_lines(p)[0])
    assert header["format"] == FORMAT_NAME and header["version"] == 2


def test_exported_task_runs_pass(tmp_path):
    puzzle = generate_puzzle(2, 3).puzzle
    inst = random_instance(6, 2)
    runs = [(SUDOKU_PROCESS, sudoku_canvas(puzzle), sudoku_limits(4)),
            (MINCUT_PROCESS, mincut_canvas(inst), mincut_limits(inst))]
    for i, (proc, canvas, limits) in enumerate(runs):
        p = tmp_path / f"run{i}.jsonl"
        summary = export_transitions(proc, canvas, limits, p)
        report = validate_transitions(p)
        assert report.ok, report.message()
        assert report.transitions == summary.transitions


def test_y_is_dense_and_mask_free(tmp_path):
    p = tmp_path / "t.jsonl"
    _export_parity(p)
    for line in _lines(p)[1:-1]:
        obj = json.loads(line)
        assert len(obj["y"]) == len(obj["x"]) and None not in obj["y"]


def test_export_is_deterministic(tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    _export_parity(a)
    _export_parity(b)
    assert a.read_bytes() == b.read_bytes()


def _tamper(path, lineno, fn):
    lines = _lines(path)
    obj = json.loads(lines[lineno - 1])
    fn(obj)
    lines[lineno - 1] = json.dumps(obj, separators=(",", ":"))
    _write(path, lines)


@pytest.mark.parametrize("lineno", [2, 4, 7])
def test_injected_wrong_next_canvas_is_found_at_its_line(tmp_path, lineno):
    p = tmp_path / "t.jsonl"
    _export_parity(p)

    def wrong_next(obj):
        obj["x_next"][0] = "EOS"
    _tamper(p, lineno, wrong_next)
    report = validate_transitions(p)
    assert not report.ok and report.line == lineno
    assert "g(x_k, y_k, c_k) differs" in report.problem
    assert report.message().startswith(f"{p}:{lineno}: ")


def test_mask_in_y_is_an_inconsistency(tmp_path):
    p = tmp_path / "t.jsonl"
    _export_parity(p)
    _tamper(p, 3, lambda obj: obj["y"].__setitem__(0, None))
    report = validate_transitions(p)
    assert not report.ok and report.line == 3 and "MASK" in report.problem


def test_broken_chain_is_found(tmp_path):
    p = tmp_path / "t.jsonl"
    _export_parity(p)
    lines = _lines(p)
    del lines[3]  # drop transition k=3: line 4 now holds k=4, whose x is not line 3's x_next
    for i in range(3, len(lines) - 1):
        obj = json.loads(lines[i])
        obj["k"] -= 1
        lines[i] = json.dumps(obj)
    end = json.loads(lines[-1])
    end["transitions"] -= 1
    lines[-1] = json.dumps(end)
    _write(p, lines)
    report = validate_transitions(p)
    assert not report.ok and report.line == 4 and "previous line" in report.problem


def test_wrong_controls_are_found(tmp_path):
    p = tmp_path / "t.jsonl"
    _export_parity(p)
    _tamper(p, 3, lambda obj: obj["c"].__setitem__("delete", []))  # masks kept: not remasked
    report = validate_transitions(p)
    assert not report.ok and report.line == 3


@pytest.mark.parametrize("mutate, what", [
    (lambda ls: ls.__setitem__(2, "{not json"), "malformed JSON"),
    (lambda ls: ls.pop(), "missing the final line"),
    (lambda ls: ls.__setitem__(0, ls[0].replace("apmdm-transitions", "other")), "not an"),
    (lambda ls: ls.__setitem__(1, ls[1].replace('"y":["BOS",', '"y":[')), "field 'y'"),
    (lambda ls: ls.__setitem__(1, ls[1].replace('"remask":[2]', '"remask":[99]')),
     "outside the canvas"),
    (lambda ls: ls.__setitem__(len(ls) - 1, ls[-1].replace('"transitions":', '"transitions":1')),
     "announces"),
    (lambda ls: ls.__setitem__(1, ls[1].replace('"k":1', '"k":5')), "field 'k'"),
])
def test_malformed_files_raise_typed_errors(tmp_path, mutate, what):
    p = tmp_path / "t.jsonl"
    _export_parity(p)
    lines = _lines(p)
    mutate(lines)
    _write(p, lines)
    with pytest.raises(MalformedTraceError, match=what):
        validate_transitions(p)


def test_truncated_and_empty_files(tmp_path):
    p = tmp_path / "t.jsonl"
    _export_parity(p)
    data = p.read_bytes()
    p.write_bytes(data[:-10])
    with pytest.raises(MalformedTraceError, match="truncated"):
        validate_transitions(p)
    p.write_bytes(b"")
    with pytest.raises(MalformedTraceError, match="empty"):
        validate_transitions(p)


def test_cli_exit_codes(tmp_path, capsys):
    p = tmp_path / "t.jsonl"
    _export_parity(p)
    assert main(["validate-transitions", str(p)]) == 0
    assert "ok" in capsys.readouterr().out
    _tamper(p, 5, lambda obj: obj["x_next"].append(1))
    assert main(["validate-transitions", str(p)]) == 1
    assert f"{p}:5: " in capsys.readouterr().err
    p.write_text("garbage\n")
    assert main(["validate-transitions", str(p)]) == 2
    assert main(["validate-transitions", str(tmp_path / "missing.jsonl")]) == 2


def test_export_is_atomic_when_the_run_fails(tmp_path):
    def explodes(canvas):
        if len(canvas) < 4:
            return StepOutput({}, remask=frozenset({99}))  # g rejects this position
        return StepOutput({}, remask=frozenset({1}) if canvas[1] is not MASK else frozenset(),
                          delete=frozenset({1}) if canvas[1] is MASK else frozenset())
    p = tmp_path / "t.jsonl"
    p.write_text("old\n")
    with pytest.raises(InvalidArgumentError):
        export_transitions(GenerationProcess(Model.APMDM, explodes), parity_canvas([1] * 6),
                           Limits(100, 100), p)
    assert p.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["t.jsonl"]


_tokens = st.sampled_from(["a", "b", 0, 1])
_cells = st.one_of(_tokens, st.just(MASK))


def _with_end(lines):
    digest = LineDigest()
    for line in lines:
        digest.add(line)
    return lines + [end_line(len(lines) - 1, None, digest)]


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_any_g_step_validates_and_a_changed_result_does_not(tmp_path_factory, data):
    x = tuple(data.draw(st.lists(_cells, min_size=1, max_size=12)))
    n = len(x)
    pos = st.frozensets(st.integers(0, n - 1))
    y = tuple(data.draw(st.lists(_tokens, min_size=n, max_size=n)))
    out = StepOutput(y, data.draw(pos), data.draw(pos), data.draw(pos))
    after, _ = apply_transition(x, out)
    t = Transition(1, x, y, tuple(sorted(out.remask)), tuple(sorted(out.insert)),
                   tuple(sorted(out.delete)), after)
    p = tmp_path_factory.mktemp("h") / "t.jsonl"
    _write(p, _with_end([header_line("ap-mdm", "random", {}), transition_line(t)]))
    assert validate_transitions(p).ok
    wrong = after + ("a",)
    t2 = Transition(1, x, y, t.remask, t.insert, t.delete, wrong)
    _write(p, _with_end([header_line("ap-mdm", "random", {}), transition_line(t2)]))
    report = validate_transitions(p)
    assert not report.ok and report.line == 2

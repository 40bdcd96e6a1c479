"""Checking a user's own inputs from the command line: PRAM programs, Turing machines (JSON),
Sudoku puzzles and graphs, with the decoded answer in `apmdm trace` / `apmdm show`."""

from __future__ import annotations

import json
import os
from pathlib import Path

import networkx as nx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.cli import main
from apmdm.checks.instance_files import graph_instance, read_graph_file
from apmdm.checks.user_artifacts import parse_declared, parse_sizes
from apmdm.machines.errors import (
    InvalidArgumentError,
    MalformedMachineFileError,
    RestrictionViolation,
)
from apmdm.machines.process import Model, StepOutput, check_restriction
from apmdm.machines.tm_file import load_tm_file, parse_tm_json, parse_word
from apmdm.machines.tokens import MASK
from apmdm.machines.trace import read_trace

ROOT = Path(__file__).resolve().parents[1]
EX = ROOT / "examples"
PREFIX = EX / "pram" / "prefix_sum.pram"
PREFIX_T = "13*clog2(n) + 6"     # prefix_sum.pram's running time, measured and derived


def slowed_prefix_sum(tmp_path: Path) -> Path:
    """prefix_sum.pram with one extra instruction per round: T(n) = 14*clog2(n) + 6."""
    text = PREFIX.read_text()
    marker = "        add   r2, r2, r2      ; d = 2d\n"
    assert marker in text
    slow = tmp_path / "slow_prefix_sum.pram"
    slow.write_text(text.replace(marker, marker + "        const r5, 0           ; slowed\n"))
    return slow


def json_out(capsys) -> dict:
    return json.loads(capsys.readouterr().out)


# --- apmdm check --program -------------------------------------------------------------------


def test_check_program_prints_the_builtin_table(capsys):
    status = main(["check", "1", "4", "--program", str(PREFIX), "--n", "4..8",
                   "--declared-T", PREFIX_T, "--declared-S", "n"])
    out = capsys.readouterr().out
    assert status == 0, out
    for needle in ("verdict", "pram-mdm", "pram-arm", "pram-apmdm", "prefix_sum.pram",
                   "pram_T", "ALL HOLD"):
        assert needle in out


def test_check_program_json_rows(capsys):
    assert main(["check", "4", "--program", str(PREFIX), "--n", "2,5", "--json", "-"]) == 0
    doc = json_out(capsys)
    from apmdm.checks.commands.check_cmd import JSON_VERSION

    assert doc["version"] == JSON_VERSION and doc["ok"] is True
    assert doc["provenance"]["options"]["program"] == str(PREFIX)
    assert [r["n"] for r in doc["results"]] == [2, 5]
    assert all(r["category"] == "schedule" and r["claim"] for r in doc["results"])
    assert {r["construction"] for r in doc["results"]} == {"pram-apmdm"}


def test_slowed_program_fails_its_declared_T_naming_the_input(tmp_path, capsys):
    slow = slowed_prefix_sum(tmp_path)
    status = main(["check", "1", "4", "--program", str(slow), "--n", "4,8",
                   "--declared-T", PREFIX_T, "--json", "-"])
    doc = json_out(capsys)
    assert status == 1 and doc["ok"] is False
    for row in doc["results"]:
        assert not row["ok"]
        assert row["measured"]["pram_T"] > row["bound"]["pram_T"]
        assert "exceeds the declared 13*clog2(n) + 6" in row["detail"]
        assert "random input (seed 0)" in row["detail"]
    # the original program holds the same declared bound
    assert main(["check", "1", "4", "--program", str(PREFIX), "--n", "4,8",
                 "--declared-T", PREFIX_T, "--brief"]) == 0


def test_check_program_inputs_file(tmp_path, capsys):
    inputs = tmp_path / "inputs.txt"
    inputs.write_text("# my inputs\n3,1,4,1\n\n-5,2\n")
    assert main(["check", "1", "--program", str(PREFIX), "--inputs", str(inputs),
                 "--json", "-"]) == 0
    rows = json_out(capsys)["results"]
    assert sorted({r["n"] for r in rows}) == [2, 4]
    assert any("inputs.txt:2 3,1,4,1" in r["detail"] for r in rows)
    # '-' is the empty input; prefix_sum declares n processors, so n = 0 is a failed row
    inputs.write_text("1,2\n-\n")
    assert main(["check", "1", "--program", str(PREFIX), "--inputs", str(inputs),
                 "--json", "-"]) == 1
    bad = [r for r in json_out(capsys)["results"] if not r["ok"]]
    assert bad and all("inputs.txt:2 (empty)" in r["detail"] and "processors(0) = 0"
                       in r["detail"] for r in bad)


@pytest.mark.parametrize("argv, needle", [
    (["--n", "4..x"], "--n: '4..x' is not a size"),
    (["--n", "4", "--declared-T", "__import__('os')"], "--declared-T"),
    (["--n", "4", "--declared-T", "n +"], "--declared-T"),
    (["--n", "4", "--inputs", "x.txt"], "one of them"),
    (["--n", "4", "--words", "w.txt"], "--words needs --tm"),
    (["--n", "4", "--variant", "nonsense"], "nonsense"),
])
def test_check_program_bad_options_exit_2(argv, needle, capsys):
    assert main(["check", "1", "--program", str(PREFIX), *argv]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_malformed_program_and_inputs_file_one_line_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.pram"
    bad.write_text("loop: frobnicate r1\n")
    out = tmp_path / "r.json"
    assert main(["check", "1", "--program", str(bad), "--n", "4", "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert "bad.pram:1" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()
    inputs = tmp_path / "in.txt"
    inputs.write_text("1,2\n3,x\n")
    assert main(["check", "1", "--program", str(PREFIX), "--inputs", str(inputs),
                 "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert "in.txt:2" in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_declared_expressions_are_parsed_not_evaluated():
    assert parse_declared("n**2 + 2*clog2(n)", "--declared-T").evaluate(8) == 70
    for text in ("__import__('os').system('true')", "n.real", "lambda: 1", "[n]"):
        with pytest.raises(InvalidArgumentError):
            parse_declared(text, "--declared-T")
    assert parse_sizes("1..3,8,2") == (1, 2, 3, 8)
    assert parse_sizes("5..20") == (5, 8, 16, 20) and parse_sizes("0,4..16") == (0, 4, 8, 16)
    with pytest.raises(InvalidArgumentError):
        parse_sizes("0..200000")


# --- Turing machines from JSON files ----------------------------------------------------------


def test_tm_file_with_integer_states_runs_everywhere(tmp_path, capsys):
    path = EX / "tm" / "even_ones.json"
    tm = load_tm_file(path)
    assert tm.initial_state == "0" and tm.accept_states == {"2"}
    assert main(["run-tm", str(path), "--input", "0110"]) == 0
    out = capsys.readouterr().out
    assert "accepted" in out and "steps     5" in out and "tape      0110" in out
    assert main(["run-tm", str(path), "--input", "111", "--json"]) == 0
    assert json_out(capsys)["accepted"] is False
    for model in ("arm", "apmdm"):
        trace = tmp_path / f"{model}.jsonl"
        assert main(["trace", str(path), "--model", model, "--input", "0110",
                     "-o", str(trace)]) == 0
        assert "(equal)" in capsys.readouterr().out
        answer = read_trace(trace).parameters["answer"]
        assert answer == {"decoded": ["2", ["0", "1", "1", "0"]],
                          "reference": ["2", ["0", "1", "1", "0"]], "equal": True}
        assert main(["show", str(trace)]) == 0
        assert "# answer: decoded" in capsys.readouterr().out
    assert main(["check", "4", "--tm", str(path), "--words", str(EX / "tm" / "words.txt"),
                 "--json", "-"]) == 0
    rows = json_out(capsys)["results"]
    assert {r["construction"] for r in rows} == {"tm-arm", "tm-apmdm"} and len(rows) == 10
    assert main(["check", "--tm", str(EX / "tm" / "increment.json"), "--random-words", "2",
                 "--n", "0..3", "--brief"]) == 0


@pytest.mark.parametrize("patch, needle", [
    ({"states": [0, "0", 2]}, "$.states[1]: state \"0\" has the same name"),
    ({"transitions": {"7": {}}}, "$.transitions[\"7\"]: key '7' names no state"),
    ({"transitions": {"0": {"0": [0, "0", "X"]}}}, "$.transitions[\"0\"][\"0\"][2]: move"),
    ({"transitions": {"0": {"0": ["0", "0", "R"]}}}, "[0]: \"0\" is not one of the states"),
    ({"initial_state": 9}, "$.initial_state: 9 is not one of the states"),
    ({"states": [0, 1, True]}, "$.states[2]: a state is a string or an integer"),
    ({"blank_symbol": ""}, "$.blank_symbol: a symbol is a non-empty string"),
    ({"tape_symbol": []}, "$.tape_symbol: unknown key"),
    ({"states": [[[[[[[[[0]]]]]]]]]}, "nested deeper"),
    ({"input_symbols": ["0", "1", "2"]}, "input symbol '2' is not a tape symbol"),
])
def test_malformed_tm_json_is_a_typed_one_line_error(patch, needle):
    doc = json.loads((EX / "tm" / "even_ones.json").read_text())
    doc.update(patch)
    with pytest.raises(MalformedMachineFileError) as info:
        parse_tm_json(json.dumps(doc), "m.json")
    message = str(info.value)
    assert needle in message and message.startswith("m.json") and "\n" not in message


def test_malformed_tm_file_via_cli_exit_2_no_output(tmp_path, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text('{"states": [0,')
    out = tmp_path / "t.jsonl"
    for argv in (["run-tm", str(bad), "--input", "01"],
                 ["trace", str(bad), "--model", "arm", "--input", "01", "-o", str(out)],
                 ["check", "4", "--tm", str(bad), "--random-words", "1"]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert "bad.json:1:" in err and "not valid JSON" in err
        assert len(err.strip().splitlines()) == 1
    assert not out.exists()
    assert main(["run-tm", str(EX / "tm" / "even_ones.json"), "--input", "012"]) == 2
    assert "symbol '2' at position 2" in capsys.readouterr().err


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from("01"), max_size=8))
def test_tm_file_machine_agrees_with_its_language(word):
    tm = load_tm_file(EX / "tm" / "even_ones.json")
    w = parse_word(tm, "".join(word))
    assert tm.run(w).accepted == (word.count("1") % 2 == 0)


# --- apmdm trace on .pram files: parity with run-pram, decoded answer --------------------------


def test_trace_pram_answer_processors_and_declared(tmp_path, capsys):
    out = tmp_path / "t.jsonl"
    assert main(["trace", str(PREFIX), "--model", "mdm", "--input", "3,1,4,1",
                 "--declared-T", "50", "-o", str(out)]) == 0
    text = capsys.readouterr().out
    assert "answer: [3, 4, 8, 9]" in text and "(equal)" in text
    trace = read_trace(out)
    assert trace.parameters["time_bound"] == 50 and trace.parameters["declared_T"] == "50"
    assert trace.counters.steps == 33       # T + 1 with T = 32 measured, not the declared 50
    assert main(["trace", str(PREFIX), "--model", "apmdm", "--input", "3,1,4,1",
                 "--processors", "2", "-o", str(out)]) == 0
    assert "answer: [3, 4, 4, 1]" in capsys.readouterr().out   # 2 processors: a partial sum
    assert main(["trace", str(PREFIX), "--model", "mdm", "--input", "3,1,4,1",
                 "--max-steps", "5", "-o", str(tmp_path / "none.jsonl")]) == 2
    assert "did not halt within 5 steps" in capsys.readouterr().err
    assert not (tmp_path / "none.jsonl").exists()
    assert main(["trace", str(PREFIX), "--model", "mdm", "--input", "3,1,4,1",
                 "--declared-T", "3", "-o", str(tmp_path / "none.jsonl")]) == 2
    assert "more than the declared 3 = 3" in capsys.readouterr().err
    assert not (tmp_path / "none.jsonl").exists()


def test_trace_exits_1_when_the_answer_differs(tmp_path, capsys, monkeypatch):
    from apmdm.checks import pram_traces
    from apmdm.checks.trace_target import Answer

    real = pram_traces.decoded_answer
    monkeypatch.setattr(pram_traces, "decoded_answer",
                        lambda con, expected, shape=list: (
                            lambda final: Answer(real(con, expected, shape)(final).decoded,
                                                 [0], False)))
    out = tmp_path / "t.jsonl"
    assert main(["trace", str(PREFIX), "--model", "arm", "--input", "1,2", "-o", str(out)]) == 1
    assert "DIFFERENT" in capsys.readouterr().out
    assert read_trace(out).parameters["answer"]["equal"] is False
    assert main(["show", str(out)]) == 0
    assert "(DIFFERENT)" in capsys.readouterr().out


def test_trace_library_targets_record_the_answer(tmp_path, capsys):
    for target, model in (("prefix-sum", "apmdm"), ("tm-palindromes", "arm"),
                          ("task-parity", "apmdm")):
        out = tmp_path / f"{target}.jsonl"
        assert main(["trace", target, "--model", model, "--n", "4", "-o", str(out)]) == 0
        assert read_trace(out).parameters["answer"]["equal"] is True


def test_trace_pram_options_on_other_targets_are_errors(capsys):
    assert main(["trace", "task-parity", "--processors", "2", "-o", "x.jsonl"]) == 2
    assert "--processors is for a .pram file" in capsys.readouterr().err


# --- task instances from files ---------------------------------------------------------------


def test_sudoku_file_check_and_trace(tmp_path, capsys):
    puzzles = EX / "sudoku" / "puzzles.txt"
    assert main(["check", "task", "--sudoku", str(puzzles), "--json", "-"]) == 0
    rows = json_out(capsys)["results"]
    assert [r["n"] for r in rows] == [9, 9, 4] and all(r["ok"] for r in rows)
    out = tmp_path / "s.jsonl"
    small = tmp_path / "small.txt"
    small.write_text("0000102020000300\n")
    assert main(["trace", "task-sudoku", "--instance", str(small), "-o", str(out)]) == 0
    assert "(equal)" in capsys.readouterr().out
    answer = read_trace(out).parameters["answer"]
    assert answer["equal"] and "." not in answer["decoded"] and len(answer["decoded"]) == 16


def test_unsolvable_sudoku_is_answered_unsolvable(tmp_path, capsys):
    p = tmp_path / "u.txt"
    p.write_text("1200000000300040\n")   # consistent givens; cell (1, 3) has no candidate
    assert main(["check", "tasks", "--sudoku", str(p), "--json", "-"]) == 0
    row = json_out(capsys)["results"][0]
    assert row["ok"] and "decoded unsolvable" in row["detail"]


@pytest.mark.parametrize("content, needle", [
    ("0000152020000300\n", "x.txt:1: character '5'"),
    ("1100000000000000\n", "x.txt:1: conflicting givens"),
    ("12345\n", "x.txt:1: 5 cells is not a generalized Sudoku board"),
    ("# nothing\n", "no puzzles"),
])
def test_malformed_sudoku_file_one_line_exit_2(tmp_path, capsys, content, needle):
    p = tmp_path / "x.txt"
    p.write_text(content)
    out = tmp_path / "t.jsonl"
    for argv in (["check", "task", "--sudoku", str(p)],
                 ["trace", "task-sudoku", "--instance", str(p), "-o", str(out)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_graph_file_check_trace_and_networkx_reads_it(tmp_path, capsys):
    path = EX / "graphs" / "two_paths.txt"
    g = nx.read_edgelist(path, create_using=nx.MultiDiGraph, nodetype=int,
                         data=[("capacity", int)])
    mine = read_graph_file(str(path))
    simple = nx.DiGraph()
    for u, v, d in g.edges(data=True):     # a line without a capacity has capacity 1
        cap = d.get("capacity", 1) + (simple[u][v]["capacity"] if simple.has_edge(u, v) else 0)
        simple.add_edge(u, v, capacity=cap)
    assert sum(c for _, _, c in simple.edges(data="capacity")) == len(mine.arcs) == 9
    flow = nx.maximum_flow_value(simple, 0, 5, capacity="capacity")
    assert main(["check", "tasks", "--graph", str(path), "--json", "-"]) == 0
    row = json_out(capsys)["results"][0]
    assert row["ok"] and row["n"] == 6
    out = tmp_path / "m.jsonl"
    assert main(["trace", "task-mincut", "--instance", str(path), "-o", str(out)]) == 0
    answer = read_trace(out).parameters["answer"]
    assert answer["equal"] and answer["decoded"]["deleted"] == flow == 3
    assert main(["trace", "task-mincut", "--instance", str(path), "--source", "1", "--sink",
                 "5", "-o", str(out)]) == 0
    assert read_trace(out).parameters["answer"]["reference"] == {"min_cut": 2}


def test_graph_names_and_source_sink(tmp_path):
    p = tmp_path / "g.txt"
    p.write_text("a b 2\nb c\n")
    inst = graph_instance(read_graph_file(str(p)), None, None)
    assert inst.names == ("a", "b", "c") and (inst.s, inst.t) == (0, 2)
    assert len(inst.edges) == 3
    with pytest.raises(InvalidArgumentError):
        graph_instance(read_graph_file(str(p)), "z", None)


@pytest.mark.parametrize("content, needle", [
    ("0 1 0\n", "x.txt:1: capacity '0'"),
    ("0 1 {'capacity': 3}\n", "x.txt:1: expected 'u v' or 'u v capacity'"),
    ("0\n", "x.txt:1: expected"),
    ("0 1 99999\n", "capacity '99999'"),
    ("", "no edges"),
])
def test_malformed_graph_file_one_line_exit_2(tmp_path, capsys, content, needle):
    p = tmp_path / "x.txt"
    p.write_text(content)
    out = tmp_path / "t.jsonl"
    for argv in (["check", "task", "--graph", str(p)],
                 ["trace", "task-mincut", "--instance", str(p), "-o", str(out)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert needle in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


# --- checkers fail on broken constructions --------------------------------------------------


def test_user_rows_fail_on_broken_constructions():
    from apmdm.checks.task_answers import sudoku_answer
    from apmdm.checks.user_artifacts import mincut_row, sudoku_row, tm_row
    from apmdm.constructions.tasks.mincut import MINCUT_PROCESS, instance_from_edges
    from apmdm.constructions.tasks.sudoku import SUDOKU_PROCESS
    from apmdm.constructions.tasks.sudoku_puzzles import parse_puzzle
    from apmdm.machines.process import GenerationProcess

    idle = GenerationProcess(Model.APMDM, lambda canvas: StepOutput({}), name="idle")
    puzzle = parse_puzzle("0000102020000300")
    assert sudoku_row("p", 1, puzzle, SUDOKU_PROCESS).ok
    assert not sudoku_row("p", 1, puzzle, idle).ok
    inst = instance_from_edges([(0, 1), (1, 2)], 0, 2)
    assert mincut_row("g", inst, MINCUT_PROCESS).ok
    assert not mincut_row("g", inst, idle).ok
    assert sudoku_answer(puzzle, tuple([MASK] * 64))[2] is False
    # a TM whose "accepting" state is entered on a word it should reject is still compared
    # with its own reference run, so a broken *construction* is what fails:
    tm = load_tm_file(EX / "tm" / "even_ones.json")
    assert tm_row("tm-arm", tm, "m", "w", ("0", "1")).ok


def test_masked_arm_refuses_a_canvas_without_mask():
    with pytest.raises(RestrictionViolation, match="no MASK"):
        check_restriction(Model.MASKED_ARM, (1, 2), StepOutput({}), [], 1)
    with pytest.raises(RestrictionViolation):
        check_restriction(Model.AOMDM, (1, 2), StepOutput({}), [], 1)


def test_one_processor_still_running_is_singular():
    from apmdm.machines.errors import StepLimitExceeded
    from apmdm.machines.pram import PRAM, PRAMLimits
    from apmdm.machines.pram.assembly import parse_program

    prog = parse_program(".processors 1\nloop: jmp loop\n")
    with pytest.raises(StepLimitExceeded, match=r"\(1 processor still running; "):
        PRAM(prog, limits=PRAMLimits(max_steps=3)).run([])


def test_examples_exist():
    for rel in ("tm/even_ones.json", "tm/increment.json", "tm/words.txt",
                "sudoku/puzzles.txt", "graphs/two_paths.txt"):
        assert os.path.isfile(EX / rel), rel


def test_tutorial_python_snippet(monkeypatch):
    """The Python example of docs/tutorial.md, as written there."""
    import re

    text = (ROOT / "docs" / "tutorial.md").read_text()
    snippet = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert "load_tm_file" in snippet and "simulate" in snippet
    monkeypatch.chdir(ROOT)
    exec(compile(snippet, "tutorial.md", "exec"), {})    # our own documentation, not user input

"""`apmdm run-pram`: output, counters, JSON, variants, errors and the JSON Lines trace."""

from __future__ import annotations

import json
import subprocess
import sys
import types
from pathlib import Path

import pytest

from apmdm.checks.cli import main
from apmdm.checks.commands.run_pram_cmd import TRACE_FORMAT, parse_input_list
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.pram import ProgramBuilder, Variant

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "pram"


def example(name: str) -> str:
    return str(EXAMPLES / f"{name}.pram")


def cli(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_text_output_shows_output_region_and_counters(capsys):
    status, out, err = cli(capsys, "run-pram", example("double"), "--input", "3,1,4,1")
    assert status == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "program        double (crcw-priority, n=4)"
    assert lines[1] == "output         6 2 8 2   [cells 0..3]"
    assert lines[2:] == ["T  time        4", "P  processors  4", "   work        16",
                         "S  span        4", "   cells       4"]


def test_json_output(capsys):
    status, out, _ = cli(capsys, "run-pram", example("sum"), "--input=-3,1,4,1,5", "--json")
    assert status == 0
    data = json.loads(out)
    assert data == {"program": "sum", "variant": "crcw-priority", "n": 5,
                    "input": [-3, 1, 4, 1, 5], "output_region": [5, 1], "output": [8],
                    "counters": {"time": 36, "processors": 1, "work": 36, "memory_span": 6,
                                 "cells_touched": 6},
                    "trace": None}


@pytest.mark.parametrize("variant, expected", [("crcw-priority", 4), ("crcw-arbitrary", 0)])
def test_concurrent_write_resolution(capsys, variant, expected):
    status, out, _ = cli(capsys, "run-pram", example("concurrent_write"), "--input", "0,0,0,0,0",
                         "--variant", variant, "--json")
    assert status == 0 and json.loads(out)["output"] == [expected]


@pytest.mark.parametrize("variant, kind", [("crcw-common", "common-write conflict"),
                                           ("crew", "concurrent write"),
                                           ("erew", "concurrent write")])
def test_violation_is_one_line_naming_step_processor_instruction_address(capsys, variant, kind):
    status, out, err = cli(capsys, "run-pram", example("concurrent_write"), "--input", "0,0,0",
                           "--variant", variant)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{variant}: {kind} at step 3, processor 1, instruction 2, address 3" in err


def test_prefix_sum_is_crew_but_not_erew(capsys):
    status, out, _ = cli(capsys, "run-pram", example("prefix_sum"), "--input", "3,1,4,1,5",
                         "--variant", "crew", "--json")
    assert status == 0 and json.loads(out)["output"] == [3, 4, 8, 9, 14]
    status, _, err = cli(capsys, "run-pram", example("prefix_sum"), "--input", "3,1,4,1,5",
                         "--variant", "erew")
    assert status == 2 and "erew: concurrent read at step 10" in err


def test_processors_and_max_steps(capsys):
    status, out, _ = cli(capsys, "run-pram", example("double"), "--input", "1,2,3,4",
                         "--processors", "2", "--json")
    assert status == 0 and json.loads(out)["output"] == [2, 4, 3, 4]
    status, _, err = cli(capsys, "run-pram", example("sum"), "--input", "1,2", "--max-steps", "17")
    assert status == 2 and "did not halt within 17 steps" in err
    assert cli(capsys, "run-pram", example("sum"), "--input", "1,2", "--max-steps", "18")[0] == 0
    for flag, value in (("--processors", "0"), ("--max-steps", "0")):
        status, _, err = cli(capsys, "run-pram", example("sum"), "--input", "1", flag, value)
        assert status == 2 and f"{flag} must be >= 1" in err


@pytest.mark.parametrize("argv, fragment", [
    (["--input", "3,x,1"], "--input: item 2 ('x') is not an integer"),
    (["--input", "3,,1"], "--input: item 2 ('') is not an integer"),
    (["--input", "1.5"], "item 1 ('1.5')"),
    (["--input", "1", "--variant", "crcw"], "unknown PRAM variant 'crcw'"),
])
def test_argument_errors_are_one_line(capsys, argv, fragment):
    status, out, err = cli(capsys, "run-pram", example("double"), *argv)
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and fragment in err


def test_parse_input_list():
    assert parse_input_list("") == ()
    assert parse_input_list(" 3, -1 ,+4 ") == (3, -1, 4)
    with pytest.raises(InvalidArgumentError):
        parse_input_list("3;1")


def test_program_errors(capsys, tmp_path):
    bad = tmp_path / "bad.pram"
    bad.write_text("halt\n  frob r1\n")
    status, _, err = cli(capsys, "run-pram", str(bad), "--input", "1")
    assert status == 2 and f"{bad}:2:3: unknown opcode 'frob'" in err
    status, _, err = cli(capsys, "run-pram", str(tmp_path / "missing.pram"), "--input", "1")
    assert status == 2 and "no such file" in err
    status, _, err = cli(capsys, "run-pram", str(tmp_path), "--input", "1")
    assert status == 2 and "is a directory" in err


def test_unknown_name_without_or_with_a_library(capsys, monkeypatch):
    status, _, err = cli(capsys, "run-pram", "no-such-program-xyz", "--input", "1")
    assert status == 2 and err.count("\n") == 1 and "no-such-program-xyz" in err
    # A stand-in library module: the command looks names up in LIBRARY / get_program.
    prog = ProgramBuilder("lib-double", processors="n", registers=2)
    prog = prog.pid(0).load(1, 0, 0).add(1, 1, 1).store(0, 0, 1).build()
    fake = types.ModuleType("apmdm.machines.pram.library")
    fake.LIBRARY = {"lib-double": types.SimpleNamespace(program=prog, variant=Variant.EREW)}
    fake.get_program = lambda name: fake.LIBRARY[name]
    monkeypatch.setitem(sys.modules, "apmdm.machines.pram.library", fake)
    status, out, _ = cli(capsys, "run-pram", "lib-double", "--input", "5,6", "--json")
    assert status == 0 and json.loads(out)["output"] == [10, 12]
    assert json.loads(out)["variant"] == "erew"  # the declared variant is the default
    status, out, _ = cli(capsys, "run-pram", "lib-double", "--input", "5", "--json",
                         "--variant", "crew")
    assert status == 0 and json.loads(out)["variant"] == "crew"
    status, _, err = cli(capsys, "run-pram", "lib-triple", "--input", "5")
    assert status == 2 and "neither a file nor a library program (library programs: lib-double)" \
        in err


def test_help_explains_the_command(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run-pram", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for needle in ("--input", "--variant", "--processors", "--max-steps", "--trace", "--json",
                   "crcw-priority", "lowest processor id", "memory span", "--input=-3,1,4"):
        assert needle in out


# -- the trace -------------------------------------------------------------------------------


def read_lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="ascii").splitlines()]


def test_trace_content_and_replay(capsys, tmp_path):
    path = tmp_path / "t.jsonl"
    status, _, _ = cli(capsys, "run-pram", example("any_nonzero"), "--input", "0,5,0,7",
                       "--variant", "crcw-common", "--trace", str(path))
    assert status == 0
    header, *steps, final = read_lines(path)
    assert header == {"format": TRACE_FORMAT, "version": 1, "program": "any-nonzero",
                      "variant": "crcw-common", "n": 4, "processors": 4, "input": [0, 5, 0, 7],
                      "output_region": [4, 1], "max_steps": 100000}
    assert [s["step"] for s in steps] == list(range(1, 8))
    assert steps[2]["accesses"] == [[i, 2, "R", i, v] for i, v in enumerate([0, 5, 0, 7])]
    assert steps[5] == {"step": 6, "active": 2, "accesses": [[1, 5, "W", 4, 1], [3, 5, "W", 4, 1]],
                        "writes": [[4, 1]]}
    # Replay: memory = input + applied writes, counters from the step lines.
    memory = dict(enumerate(header["input"]))
    for s in steps:
        memory.update(dict(map(tuple, s["writes"])))
    start, length = header["output_region"]
    assert final["output"] == [memory.get(start + i, 0) for i in range(length)]
    counters = final["counters"]
    assert counters["time"] == len(steps) == 7
    assert counters["work"] == sum(s["active"] for s in steps) == 24
    addresses = {a[3] for s in steps for a in s["accesses"]} | set(range(header["n"]))
    assert counters["cells_touched"] == len(addresses)
    assert counters["memory_span"] == max(addresses) + 1


def test_trace_bytes_are_deterministic(capsys, tmp_path):
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    for path in (a, b):
        assert cli(capsys, "run-pram", example("prefix_sum"), "--input", "3,1,4,1,5,9,2,6",
                   "--variant", "crew", "--trace", str(path))[0] == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes().endswith(b"\n") and a.read_bytes().isascii()


def test_failed_run_leaves_no_trace_and_keeps_an_old_file(capsys, tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("old\n")
    status, _, err = cli(capsys, "run-pram", example("concurrent_write"), "--input", "0,0",
                         "--variant", "crew", "--trace", str(path))
    assert status == 2 and "concurrent write" in err
    assert path.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.jsonl"]
    status, _, err = cli(capsys, "run-pram", example("double"), "--input", "1",
                         "--trace", str(tmp_path / "nodir" / "t.jsonl"))
    assert status == 2 and "no directory" in err


def test_console_entry_point_gives_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "apmdm.checks.cli", "run-pram", example("double"),
                           "--input", "1,x"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1

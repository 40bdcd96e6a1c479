"""`apmdm check` and `apmdm trace` on the command line."""

from __future__ import annotations

import json

import pytest

from apmdm.checks.cli import main
from apmdm.checks.commands.check_cmd import run_suites, to_json
from apmdm.checks.suite import CheckOptions, CheckRow, CheckSuite
from apmdm.machines.trace import read_trace


def test_check_json_schema_and_exit_status(capsys):
    status = main(["check", "1", "4", "--quick", "--json", "-", "--seed", "3"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 0 and doc["version"] == 1 and doc["ok"] is True
    names = {r["construction"] for r in doc["results"]}
    assert {"pram-mdm", "pram-apmdm", "pram-arm"} <= names
    for r in doc["results"]:
        assert set(r) >= {"theorem", "construction", "program", "n", "ok", "measured", "bound"}
        assert r["theorem"] in ("1", "4") and isinstance(r["n"], int)
        assert set(r["measured"]) == set(r["bound"])
        assert {"steps", "context"} <= set(r["measured"])
        assert set(r["measured"]) - {"steps", "context"} <= {"steps slack", "context slack"}
        assert r["measured"]["steps"] <= r["bound"]["steps"]


def test_check_table_and_deterministic_json(capsys, tmp_path):
    out = tmp_path / "r.json"
    assert main(["check", "4", "--quick", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "pram-apmdm" in text and "ALL HOLD" in text and "verdict" in text
    first = json.loads(out.read_text())
    assert main(["check", "4", "--quick", "--json", str(out)]) == 0
    assert json.loads(out.read_text()) == first


def test_unknown_theorem_is_an_error(capsys):
    assert main(["check", "99"]) == 2
    assert "no checker registered for theorem '99'" in capsys.readouterr().err


def test_failing_suite_gives_exit_status_1():
    bad = CheckSuite("1", "always-wrong", "a suite whose row fails",
                     lambda o: [CheckRow("1", "always-wrong", "p", 1, False, {"steps": 2},
                                         {"steps": 1})])
    crash = CheckSuite("1", "crashes", "a suite that raises", lambda o: 1 / 0)
    rows, _ = run_suites([bad, crash], CheckOptions())
    assert not to_json(rows)["ok"]
    assert "suite crashed: ZeroDivisionError" in rows[1].detail


@pytest.mark.parametrize("model", ["mdm", "apmdm", "arm"])
def test_trace_writes_a_valid_trace(tmp_path, capsys, model):
    path = tmp_path / "t.jsonl"
    assert main(["trace", "prefix-sum", "--model", model, "--n", "4", "-o", str(path)]) == 0
    trace = read_trace(path)
    assert trace.model.value == {"mdm": "mdm", "apmdm": "ap-mdm", "arm": "arm"}[model]
    again = tmp_path / "u.jsonl"
    main(["trace", "prefix-sum", "--model", model, "--n", "4", "-o", str(again)])
    assert path.read_bytes() == again.read_bytes()


def test_trace_unknown_target_lists_targets(capsys):
    assert main(["trace", "no-such-program", "--model", "mdm", "-o", "x.jsonl"]) == 2
    err = capsys.readouterr().err
    assert "unknown trace target 'no-such-program'" in err and "available" in err


def test_trace_compiles_a_users_own_pram_file(tmp_path) -> None:
    from pathlib import Path

    from apmdm.checks.cli import main
    from apmdm.machines.trace import read_trace

    example = Path(__file__).resolve().parent.parent / "examples" / "pram" / "double.pram"
    for model in ("mdm", "ap-mdm", "arm"):
        out = tmp_path / f"{model}.jsonl"
        assert main(["trace", str(example), "--model", model, "--input", "3,1,4,1",
                     "-o", str(out)]) == 0
        trace = read_trace(out)
        assert trace.stop.halted
    assert main(["trace", str(example), "--model", "mdm", "-o", str(tmp_path / "x")]) == 2
    assert not (tmp_path / "x").exists()

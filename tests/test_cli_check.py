"""`apmdm check` and `apmdm trace` on the command line."""

from __future__ import annotations

import json

import jsonschema
import pytest

from apmdm.checks.check_schema import SCHEMA
from apmdm.checks.cli import main
from apmdm.checks.commands.check_cmd import run_suites, to_json
from apmdm.checks.suite import CheckOptions, CheckRow, CheckSuite
from apmdm.machines.trace import read_trace


def test_check_json_schema_and_exit_status(capsys, monkeypatch):
    # wiring only (the quick sweeps themselves are tests/test_theorem{1,4}.py): n = 4, 2 random
    from apmdm.checks import pram_cases, theorem1, theorem4
    monkeypatch.setattr(pram_cases, "QUICK_SIZES", (4,))
    monkeypatch.setattr(theorem1, "RANDOM_QUICK", 2)
    monkeypatch.setattr(theorem4, "RANDOM_QUICK", 2)
    monkeypatch.setattr(theorem4, "TM_SIZES_QUICK", (4,))
    status = main(["check", "1", "4", "--quick", "--json", "-", "--seed", "3"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 0 and doc["version"] == 2 and doc["ok"] is True
    jsonschema.validate(doc, SCHEMA)
    names = {r["construction"] for r in doc["results"]}
    assert {"pram-mdm", "pram-apmdm", "pram-arm"} <= names
    for r in doc["results"]:
        assert r["theorem"] in ("1", "4") and isinstance(r["n"], int)
        assert r["category"] == "schedule" and r["relation"] == "within" and r["claim"]
        assert set(r["measured"]) == set(r["bound"])
        assert {"steps", "context"} <= set(r["measured"])
        assert set(r["measured"]) - {"steps", "context"} <= {"steps slack", "context slack"}
        assert r["measured"]["steps"] <= r["bound"]["steps"]
    assert doc["provenance"]["seed"] == 3 and doc["provenance"]["options"]["quick"] is True
    assert doc["counts"]["categories"]["schedule"]["rows"] == len(doc["results"])


def _without_timing(doc: dict) -> dict:
    doc = {k: v for k, v in doc.items() if k not in ("provenance", "suites")}
    doc["results"] = [{k: v for k, v in r.items() if k != "seconds"} for r in doc["results"]]
    return doc


def test_check_table_and_deterministic_json(capsys, tmp_path):
    out = tmp_path / "r.json"
    assert main(["check", "6", "--quick", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "preserve:apmdm" in text and "ALL HOLD" in text and "verdict" in text
    assert "schedule 3 (0 failed), illustration 3 (0 failed)" in text
    first = json.loads(out.read_text())
    assert main(["check", "6", "--quick", "--json", str(out)]) == 0
    assert _without_timing(json.loads(out.read_text())) == _without_timing(first)


def test_unknown_theorem_is_an_error(capsys):
    assert main(["check", "99"]) == 2
    assert "no checker registered for theorem '99'" in capsys.readouterr().err


def test_failing_suite_gives_exit_status_1():
    bad = CheckSuite("1", "always-wrong", "a suite whose row fails",
                     lambda o: [CheckRow("1", "always-wrong", "p", 1, False, {"steps": 2},
                                         {"steps": 1})])
    crash = CheckSuite("1", "crashes", "a suite that raises", lambda o: 1 / 0)
    rows, runs = run_suites([bad, crash], CheckOptions())
    assert not to_json(rows, runs)["ok"] and [r.failed for r in runs] == [1, 1]
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

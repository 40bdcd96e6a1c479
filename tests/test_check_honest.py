"""`apmdm check` cannot pass by accident: fail closed, verdict categories, honest contrast
rows, per-row time, provenance in results and traces, the documented JSON schema."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import jsonschema
import pytest

from apmdm.checks import theorem1
from apmdm.checks.check_schema import SCHEMA
from apmdm.checks.cli import main
from apmdm.checks.commands.check_cmd import (
    ALL_HOLD,
    FAILED,
    ILLUSTRATIONS_ONLY,
    consistent,
    details,
    run_suites,
    select_suites,
    summary,
    to_json,
    verdict,
)
from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, Relation
from apmdm.checks.theorem2 import check_contrast, contrast_row
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.trace import read_trace

ROOT = Path(__file__).resolve().parent.parent


def _row(ok: bool = True, category: Category = Category.SCHEDULE, **kw) -> CheckRow:
    base = dict(measured={"steps": 3}, bound={"steps": 4})
    base.update(kw)
    return CheckRow("9", "c", "p", 1, ok, base["measured"], base["bound"], category=category,
                    relation=base.get("relation", Relation.WITHIN))


# --- fail closed ---------------------------------------------------------------------------


def test_import_error_in_a_library_module_fails_the_check(monkeypatch, capsys):
    """A broken import inside the PRAM library makes `apmdm check` exit non-zero (it used to
    print ALL HOLD after checking random programs only)."""
    import apmdm.machines.pram.library  # noqa: F401  (loaded, so that it can be unloaded)

    monkeypatch.delitem(sys.modules, "apmdm.machines.pram.library")
    monkeypatch.setitem(sys.modules, "apmdm.machines.pram.library.graphs", None)
    status = main(["check", "1", "--quick", "--json", "-"])
    doc = json.loads(capsys.readouterr().out)
    assert status == 1 and doc["verdict"] == "FAILED"
    assert all(not r["ok"] and "import error" in r["detail"] for r in doc["results"])


def test_checker_module_that_cannot_be_imported_is_a_typed_error(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "apmdm.checks.catalogue", None)
    assert main(["check", "1", "--quick"]) == 2
    assert "a checker cannot be imported" in capsys.readouterr().err


def test_a_sweep_with_zero_cases_fails(monkeypatch):
    monkeypatch.setattr(theorem1, "library_cases", lambda sizes, seed: [])
    monkeypatch.setattr(theorem1, "RANDOM_QUICK", 1)
    rows = theorem1.run_arm_suite(CheckOptions(quick=True))
    assert rows[0].program == "library" and not rows[0].ok
    assert "zero cases" in rows[0].detail and verdict(rows) == FAILED
    empty = CheckSuite("9", "empty", "returns nothing", lambda o: [])
    got, _ = run_suites([empty], CheckOptions())
    assert verdict(got) == FAILED and got[0].detail == "suite returned no results"


def test_compiled_means_the_transformer_level_suites_only():
    plain = select_suites([])
    assert plain and not any(s.compiled for s in plain)
    assert {s.name for s in select_suites(["1", "4"], compiled=True)} == {"thm1-mdm",
                                                                         "thm4-apmdm"}
    assert {s.name for s in select_suites(["3"], compiled=True)} == {
        "theorem3-ao-to-masked-arm-compiled"}
    assert {s.theorem for s in select_suites([], compiled=True)} == {"1", "3", "4"}
    for theorem in ("2", "5", "6", "task"):
        with pytest.raises(InvalidArgumentError, match=f"theorem {theorem} has no compiled"):
            select_suites([theorem], compiled=True)


def test_compiled_on_theorem_2_is_refused_on_the_command_line(capsys):
    assert main(["check", "2", "--compiled"]) == 2
    assert "--compiled: theorem 2 has no compiled construction" in capsys.readouterr().err


def test_a_row_that_contradicts_its_relation_is_failed():
    liar = _row(ok=True, measured={"steps": 5}, bound={"steps": 4})
    assert not consistent(liar).ok and "contradict" in consistent(liar).detail
    contrast = _row(ok=True, measured={"ops": 3}, bound={"ops": 4}, relation=Relation.EXCEEDS)
    assert not consistent(contrast).ok
    assert consistent(_row()).ok


# --- verdict categories ----------------------------------------------------------------------


def test_illustrations_alone_never_make_all_hold():
    rows = [_row(category=Category.ILLUSTRATION)]
    assert verdict(rows) == ILLUSTRATIONS_ONLY and not to_json(rows)["ok"]
    assert verdict(rows + [_row()]) == ALL_HOLD
    assert verdict(rows + [_row(ok=False)]) == FAILED
    counts = to_json(rows + [_row()])["counts"]["categories"]
    assert counts == {"proved-instance": {"rows": 0, "failed": 0},
                      "schedule": {"rows": 1, "failed": 0},
                      "illustration": {"rows": 1, "failed": 0}}


def test_every_suite_row_has_a_category_and_claim(monkeypatch):
    """The category each construction's rows carry (docs/check-json.md lists the same)."""
    seen = {}
    rows, _ = run_suites(select_suites(["2", "6"]), CheckOptions(quick=True))
    for r in rows:
        seen[r.construction] = r.category
        assert r.claim, r
    assert seen == {"serial-simulation": Category.SCHEDULE,
                    "serial-pram": Category.PROVED_INSTANCE,
                    "contrast-ap-mdm": Category.ILLUSTRATION,
                    "preserve:apmdm": Category.SCHEDULE,
                    "preserve:arm-replay": Category.ILLUSTRATION}


# --- contrast rows, measurements without a bound -----------------------------------------------


def test_theorem2_contrast_reads_as_an_exceedance():
    row = contrast_row(check_contrast(6))
    assert row.ok and row.relation is Relation.EXCEEDS
    assert row.measured["ops"] > row.bound["ops"] and row.measured["steps"] > row.bound["steps"]
    assert re.fullmatch(r"AP-MDM count exceeds the MDM bound x\d+\.\d\d", row.claim)
    table = "\n".join("  ".join(line) for line in details([row]))
    assert f"{row.measured['ops']} (> {row.bound['ops']})" in table
    assert "exceeds x" in "  ".join(summary([row])[1])
    doc = to_json([row])["results"][0]
    assert doc["relation"] == "exceeds" and doc["measured"]["ops"] == row.measured["ops"]
    small = contrast_row(check_contrast(3))   # 15 passes on context 4: no exceedance yet
    assert not small.ok


def test_a_metric_without_a_bound_is_a_measurement_not_a_question_mark():
    row = _row(measured={"steps": 3, "tokens_written": 7}, bound={})
    text = "\n".join("  ".join(line) for line in details([row]) + summary([row]))
    assert "(?)" not in text and "7 (measured)" in text and "?" not in text


# --- time, provenance, schema -------------------------------------------------------------------


def test_rows_carry_their_own_time():
    rows, runs = run_suites([select_suites(["4"])[-1]], CheckOptions(quick=True))
    assert rows and all(r.seconds is not None and r.seconds >= 0 for r in rows)
    assert sum(r.seconds for r in rows) <= runs[0].seconds + 1e-3


def test_json_has_provenance_and_validates_against_the_schema(capsys):
    assert main(["check", "2", "--quick", "--json", "-", "--seed", "5"]) == 0
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, SCHEMA)
    prov = doc["provenance"]
    from apmdm._version import __version__
    assert prov["toolkit_version"] == __version__ and prov["seed"] == 5
    assert prov["options"] == {"theorems": ["2"], "quick": True, "compiled": False, "seed": 5}
    assert [s["name"] for s in doc["suites"]] == ["theorem2-pram", "theorem2-serial-simulation"]
    bad = dict(doc, version=1)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)


def test_schema_in_the_docs_is_the_one_the_tests_use():
    text = (ROOT / "docs" / "check-json.md").read_text()
    block = re.search(r"```json\n(.*?)\n```", text, re.S)
    assert block is not None and json.loads(block.group(1)) == SCHEMA


def test_trace_header_has_provenance_and_old_traces_still_read(tmp_path, capsys):
    path = tmp_path / "t.jsonl"
    assert main(["trace", "prefix-sum", "--model", "mdm", "--n", "4", "--seed", "2",
                 "-o", str(path)]) == 0
    header = json.loads(path.read_text().splitlines()[0])
    prov = header["provenance"]
    assert prov["seed"] == 2 and prov["options"]["target"] == "prefix-sum"
    assert {"toolkit_version", "git_commit", "python", "numpy"} <= set(prov)
    assert read_trace(path).provenance == prov
    lines = path.read_text().splitlines()
    end = json.loads(lines[-1])
    del header["provenance"], end["digest"]  # an old trace: version 1, no provenance, no digest
    header["version"] = 1
    old = tmp_path / "old.jsonl"
    old.write_text("\n".join([json.dumps(header)] + lines[1:-1] + [json.dumps(end)]) + "\n")
    assert read_trace(old).provenance is None

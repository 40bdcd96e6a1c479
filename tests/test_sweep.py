"""`apmdm sweep` / `apmdm plot` and the growth analysis (in-process; Dask: test_sweep_dask.py)."""

from __future__ import annotations

import functools
import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.cli import main
from apmdm.checks.sweep import growth
from apmdm.checks.sweep.cells import Cell, run_cell
from apmdm.checks.sweep.plan import build_plan, default_plan, parse_sizes
from apmdm.checks.sweep.results import Journal, journal_path, read_journal
from apmdm.checks.sweep.runner import run_plan
from apmdm.constructions.pram.mdm import compile_mdm
from apmdm.machines.errors import InvalidArgumentError, MalformedResultsError, MissingExtraError
from apmdm.machines.pram.library import LIBRARY

SMALL = ["--construction", "pram-apmdm", "--construction", "tm-apmdm", "--program",
         "prefix-sum", "--program", "zeros-then-ones", "--n", "4..16", "--workers", "1"]


def test_parse_sizes():
    assert parse_sizes("4..64") == (4, 8, 16, 32, 64)
    assert parse_sizes("3..20") == (3, 4, 8, 16, 20)
    assert parse_sizes("8,4,4") == (4, 8)
    for bad in ("0..4", "8..4", "x", "", "4..99999999"):
        with pytest.raises(InvalidArgumentError):
            parse_sizes(bad)


def test_default_plan_respects_caps():
    plan = default_plan()
    assert max(c.n for c in plan.cells if c.construction == "pram-arm") == 256
    assert max(c.n for c in plan.cells if c.construction == "pram-apmdm") == 4096
    assert len(set(plan.cells)) == len(plan.cells)


def test_cell_record_matches_reference_and_bound():
    rec = run_cell(Cell("pram-apmdm", "prefix-sum", 8)).record
    assert rec["ok"] and rec["outputs_equal"] and rec["error"] == ""
    assert rec["measured"]["context"] == rec["compiled_with"]["S_bound"] + 2 * rec["reference"][
        "P"]
    assert rec["measured"]["steps"] <= 2 * rec["reference"]["T"] + 1


def test_sweep_cli_writes_json_csv_and_holds(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(["sweep", *SMALL, "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["schema"] == "apmdm-sweep" and doc["version"] == 1 and doc["ok"]
    keys = [(c["construction"], c["program"], c["n"]) for c in doc["cells"]]
    assert keys == [("pram-apmdm", "prefix-sum", n) for n in (4, 8, 16)] + [
        ("tm-apmdm", "zeros-then-ones", n) for n in (4, 8, 16)]
    assert {g["verdict"] for g in doc["growth"]} <= {"holds", "too few"}
    csv_lines = (tmp_path / "r.json.csv").read_text().splitlines()
    assert len(csv_lines) == 7 and csv_lines[0].startswith("construction,theorem,program,n")
    assert not (tmp_path / "r.json.journal").exists()
    assert "Thm 4: AP-MDM context O(S)" in capsys.readouterr().out


def test_resume_runs_only_missing_cells(tmp_path):
    plan = build_plan(["pram-apmdm"], {"pram": ["sum"]}, (4, 8, 16, 32), 0)
    full = run_plan(plan)
    path = str(tmp_path / "j")
    journal = Journal(path, [(plan.cells[0], full[0]), (plan.cells[2], full[2])])
    journal.close()
    with open(path, "a") as fh:       # a line cut short by a kill
        fh.write('{"key": "pram-apmdm|sum|8|0", "seconds": 0.1, "rec')
    done = read_journal(path)
    assert set(done) == {plan.cells[0], plan.cells[2]}
    ran: list[Cell] = []

    def counting(cell: Cell):
        ran.append(cell)
        return run_cell(cell)

    again = run_plan(plan, done=done, cell_fn=counting)
    assert ran == [plan.cells[1], plan.cells[3]]
    assert [r.record for r in again] == [r.record for r in full]


def test_resume_cli_gives_the_same_bytes(tmp_path):
    fresh, resumed = tmp_path / "a.json", tmp_path / "b.json"
    assert main(["sweep", *SMALL, "-o", str(fresh)]) == 0
    partial = ["--construction", "pram-apmdm", "--program", "prefix-sum", "--n", "4..8",
               "--workers", "1", "-o", str(tmp_path / "p.json")]
    assert main(["sweep", *partial]) == 0
    assert main(["sweep", *SMALL, "-o", str(resumed), "--resume",
                 str(tmp_path / "p.json")]) == 0
    assert fresh.read_bytes() == resumed.read_bytes()


def test_malformed_journal_is_a_one_line_error(tmp_path, capsys):
    bad = tmp_path / "j"
    bad.write_text('{"schema": "apmdm-sweep-journal", "version": 1}\nnot json\n{}\n')
    with pytest.raises(MalformedResultsError, match=":2: not a JSON line"):
        read_journal(str(bad))
    assert main(["sweep", *SMALL, "-o", str(tmp_path / "r.json"), "--resume", str(bad)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


class _ContextGrowsWithT:
    """A broken 'AP-MDM': the Theorem-1 MDM (one block of P slots per PRAM step) under the
    AP-MDM's name and signature, so its context grows with T instead of S."""

    def __init__(self, program, n, S, variant):
        self._mdm = compile_mdm(program, n, LIBRARY["prefix-sum"].bounds.at(n).time, variant)

    def process(self):
        return self._mdm.process()

    def initial_canvas(self, inputs):
        return self._mdm.initial_canvas(inputs)

    def limits(self, time_bound):
        return self._mdm.limits()

    def decode(self, canvas):
        return self._mdm.decode(canvas)


def test_context_growing_with_T_contradicts_theorem_4():
    plan = build_plan(["pram-apmdm"], {"pram": ["prefix-sum"]}, (4, 8, 16, 32, 64), 0)
    broken = [run_cell(c, {"pram-apmdm": _ContextGrowsWithT}).record for c in plan.cells]
    assert all(r["outputs_equal"] for r in broken)     # right answers, wrong growth
    # Judge the growth alone: even with the per-cell bound check waived, the slope fails.
    waived = [{**r, "ok": True} for r in broken]
    rows = {(r.metric, r.resource): r for r in growth.analyse(waived)}
    context = rows[("context", "S")]
    assert context.verdict == growth.CONTRADICTED and context.slope_resource > 1.2
    assert rows[("steps", "T")].verdict == growth.HOLDS
    honest = [run_cell(c).record for c in plan.cells]
    assert not growth.contradicted(growth.analyse(honest))


def test_too_short_a_series_is_not_a_pass():
    rec = run_cell(Cell("pram-apmdm", "sum", 4)).record
    assert {r.verdict for r in growth.analyse([rec])} == {growth.TOO_FEW}


def test_plot_without_matplotlib_names_the_extra(tmp_path, monkeypatch):
    out = tmp_path / "r.json"
    assert main(["sweep", *SMALL, "-o", str(out)]) == 0
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    from apmdm.checks.sweep.plot import write_figures
    with pytest.raises(MissingExtraError, match=r"apmdm\[plot\]"):
        write_figures(json.loads(out.read_text()), str(tmp_path / "fig"))


def test_plot_writes_png_and_svg(tmp_path):
    pytest.importorskip("matplotlib")
    out = tmp_path / "r.json"
    assert main(["sweep", *SMALL, "-o", str(out)]) == 0
    assert main(["plot", str(out), "-o", str(tmp_path / "fig"), "--table",
                 str(tmp_path / "t.md")]) == 0
    names = sorted(p.name for p in (tmp_path / "fig").iterdir())
    assert names == ["theorem-4.png", "theorem-4.svg"]
    assert (tmp_path / "fig" / "theorem-4.png").read_bytes()[:4] == b"\x89PNG"
    assert "| thm | construction |" in (tmp_path / "t.md").read_text()


def test_plot_rejects_a_file_that_is_not_results(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"schema": "other"}')
    assert main(["plot", str(bad), "-o", str(tmp_path / "fig")]) == 2


def test_journal_path():
    assert journal_path("a/r.json") == "a/r.json.journal"


@given(st.floats(0.1, 100), st.floats(0.0, 3.0),
       st.lists(st.integers(1, 10**6), min_size=2, max_size=8, unique=True))
@settings(max_examples=60, deadline=None)
def test_loglog_slope_recovers_the_exponent(c, k, xs):
    slope = growth.loglog_slope([float(x) for x in xs], [c * x ** k for x in xs])
    assert slope == pytest.approx(k, abs=1e-9)


@functools.cache
def _one_record() -> dict:
    return run_cell(Cell("pram-apmdm", "sum", 4)).record


def _synthetic(exponent: float, sizes=(4, 8, 16, 32, 64)) -> list[dict]:
    rec = _one_record()
    out = []
    for n in sizes:
        out.append({**rec, "n": n, "input_length": n, "compiled_with": {"T_bound": 9,
                                                                          "S_bound": n},
                    "measured": {**rec["measured"], "context": round(3 * n ** exponent)}})
    return out


@given(st.floats(0.5, 2.0))
@settings(max_examples=25, deadline=None)
def test_context_claim_verdict_follows_the_exponent(exponent):
    records = _synthetic(exponent)
    row = next(r for r in growth.analyse(records) if r.metric == "context")
    expected = growth.CONTRADICTED if row.slope_resource > 1 + growth.SLOPE_TOLERANCE else \
        growth.HOLDS
    assert row.verdict == expected
    if exponent > 1.15:
        assert row.verdict == growth.CONTRADICTED
    if exponent < 1.05:
        assert row.verdict == growth.HOLDS

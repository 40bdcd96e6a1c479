"""`apmdm sweep` on a local Dask cluster (loopback only): same bytes as in-process, and a worker
killed mid-sweep loses nothing. Skipped without the ``[cluster]`` extra."""

from __future__ import annotations

import functools
import json
import os
import sys

import pytest

pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

from apmdm.checks.cli import main  # noqa: E402
from apmdm.checks.sweep.cells import Cell, run_cell  # noqa: E402
from apmdm.checks.sweep.plan import build_plan  # noqa: E402
from apmdm.checks.sweep.results import Journal, read_journal  # noqa: E402
from apmdm.checks.sweep.runner import run_plan  # noqa: E402

PLAN = ["--construction", "pram-apmdm", "--construction", "pram-mdm", "--construction",
        "tm-apmdm", "--program", "sum", "--program", "zeros-then-ones", "--n", "4..16"]


def test_two_workers_give_the_same_bytes_as_in_process(tmp_path):
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    assert main(["sweep", *PLAN, "--workers", "1", "-o", str(one)]) == 0
    assert main(["sweep", *PLAN, "--workers", "2", "-o", str(two)]) == 0
    assert one.read_bytes() == two.read_bytes()
    assert len(json.loads(two.read_text())["cells"]) == 9


def kill_worker_once(marker: str, cell: Cell):
    """Run ``cell``; the first time a cell of size 8 arrives, kill this worker process instead
    (the marker file records that it happened)."""
    if cell.n == 8 and not os.path.exists(marker):
        with open(marker, "w") as fh:
            fh.write(str(os.getpid()))
        os._exit(1)
    return run_cell(cell)


def test_killed_worker_loses_no_cell(tmp_path):
    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    plan = build_plan(["pram-apmdm", "tm-apmdm"], {"pram": ["sum"], "tm": ["zeros-then-ones"]},
                      (4, 8, 16), 0)
    marker = str(tmp_path / "killed")
    journal = Journal(str(tmp_path / "journal"))
    try:
        results = run_plan(plan, workers=2, journal=journal,
                           cell_fn=functools.partial(kill_worker_once, marker))
    finally:
        journal.close()
    assert os.path.exists(marker)                       # a worker really died
    assert [r.record["n"] for r in results] == [c.n for c in plan.cells]
    assert all(r.record["ok"] for r in results)
    lines = (tmp_path / "journal").read_text().splitlines()
    assert len(lines) == 1 + len(plan.cells)            # header + every cell exactly once
    assert set(read_journal(str(tmp_path / "journal"))) == set(plan.cells)

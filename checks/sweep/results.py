"""The sweep's files: the append-only journal, the results document (JSON) and its CSV.

* **Journal** (``RESULTS.journal``, JSON Lines): a header line, then one line per finished cell,
  appended and flushed as each cell arrives (from whichever worker, in completion order). A
  killed sweep loses no finished cell; ``--resume`` reads the journal and runs only the cells
  it lacks. Only a truncated *last* line (a write cut short by the kill) is tolerated.
* **Results** (``RESULTS.json``): written atomically at the end; the records in plan order plus
  the growth analysis. It holds no wall times, so its bytes are the same whatever the number of
  workers or the order cells finished in.
* **CSV** (``RESULTS.csv``): one row per cell, plan order, flat columns plus ``seconds`` (the
  only non-deterministic field).

Schema: ``docs/sweep.md``.
"""

from __future__ import annotations

import csv
import io
import json
import os
from collections.abc import Iterable
from typing import Any

from apmdm._version import __version__
from apmdm.checks.sweep.cells import RECORD_KEYS, Cell, CellResult
from apmdm.machines.errors import InvalidArgumentError, MalformedResultsError
from apmdm.machines.jsonl import write_chunks_atomic

SCHEMA, SCHEMA_VERSION = "apmdm-sweep", 1
JOURNAL_SCHEMA = "apmdm-sweep-journal"
MAX_JOURNAL_BYTES = 256 * 1024 * 1024


def journal_path(results_path: str) -> str:
    return results_path + ".journal"


def cell_of(record: dict) -> Cell:
    return Cell(record["construction"], record["program"], record["n"], record["seed"])


class Journal:
    """Append finished cells to a JSON Lines file, one flushed line each."""

    def __init__(self, path: str, keep: Iterable[tuple[Cell, CellResult]] = ()):
        self.path = path
        kept = list(keep)
        lines = [_header()] + [_line(cell, result) for cell, result in kept]
        write_chunks_atomic(path, (line.encode("utf-8") for line in lines))
        try:
            self._fh = open(path, "a", encoding="utf-8")   # noqa: SIM115 (closed in close())
        except OSError as exc:
            raise InvalidArgumentError(f"cannot append to {path}: {exc.strerror}") from None

    def append(self, cell: Cell, result: CellResult) -> None:
        self._fh.write(_line(cell, result))
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


def _header() -> str:
    return json.dumps({"schema": JOURNAL_SCHEMA, "version": SCHEMA_VERSION}) + "\n"


def _line(cell: Cell, result: CellResult) -> str:
    return json.dumps({"key": cell.key(), "seconds": round(result.seconds, 6),
                       "record": result.record}) + "\n"


def read_journal(path: str) -> dict[Cell, CellResult]:
    """The finished cells of a journal (or of a finished results JSON) by cell."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_JOURNAL_BYTES + 1)
    except OSError as exc:
        raise MalformedResultsError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_JOURNAL_BYTES:
        raise MalformedResultsError(f"{path}: larger than {MAX_JOURNAL_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedResultsError(f"{path}: not UTF-8 text") from None
    if text.lstrip().startswith("{") and f'"schema": "{SCHEMA}"' in text[:200]:
        doc = load_results(path)
        return {cell_of(r): CellResult(r, 0.0) for r in doc["cells"]}
    lines = text.split("\n")
    complete = text.endswith("\n")
    body = lines[:-1] if complete else lines
    out: dict[Cell, CellResult] = {}
    for number, line in enumerate(body, start=1):
        last = number == len(body)
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            if last and not complete:
                break          # a line cut short by a kill: that cell runs again
            raise MalformedResultsError(f"{path}:{number}: not a JSON line") from None
        if number == 1:
            if obj != json.loads(_header()):
                raise MalformedResultsError(f"{path}:1: not a {JOURNAL_SCHEMA} version "
                                            f"{SCHEMA_VERSION} header")
            continue
        record = _checked_record(obj.get("record") if isinstance(obj, dict) else None,
                                 f"{path}:{number}")
        seconds = obj.get("seconds")
        if not isinstance(seconds, int | float):
            raise MalformedResultsError(f"{path}:{number}: 'seconds' is not a number")
        out[cell_of(record)] = CellResult(record, float(seconds))
    if not body:
        raise MalformedResultsError(f"{path}: empty journal (no header)")
    return out


def _checked_record(record: Any, where: str) -> dict:
    if not isinstance(record, dict) or tuple(record) != RECORD_KEYS:
        raise MalformedResultsError(f"{where}: a cell record must have exactly the keys "
                                    f"{', '.join(RECORD_KEYS)} in that order")
    types = {"construction": str, "program": str, "n": int, "seed": int}
    for key, kind in types.items():
        if not isinstance(record[key], kind) or isinstance(record[key], bool):
            raise MalformedResultsError(f"{where}: {key!r} is not {kind.__name__}")
    for key in ("measured", "bound", "reference"):
        if not isinstance(record[key], dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in record[key].values()):
            raise MalformedResultsError(f"{where}: {key!r} is not a map of integers")
    return record


# --- the results document ----------------------------------------------------------------------


def results_document(records: list[dict], seed: int, growth: list[dict], ok: bool) -> dict:
    return {"schema": SCHEMA, "version": SCHEMA_VERSION, "apmdm_version": __version__,
            "seed": seed, "ok": ok, "cells": records, "growth": growth}


def dumps_results(doc: dict) -> bytes:
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


def load_results(path: str) -> dict:
    """Read and validate a results JSON (schema and version, every cell record)."""
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_JOURNAL_BYTES + 1)
        doc = json.loads(data.decode("utf-8"))
    except OSError as exc:
        raise MalformedResultsError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise MalformedResultsError(f"{path}: not a JSON document") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA:
        raise MalformedResultsError(f"{path}: not an {SCHEMA} results file")
    if doc.get("version") != SCHEMA_VERSION:
        raise MalformedResultsError(f"{path}: schema version {doc.get('version')!r}, this "
                                    f"apmdm reads version {SCHEMA_VERSION}")
    cells = doc.get("cells")
    if not isinstance(cells, list):
        raise MalformedResultsError(f"{path}: 'cells' is not a list")
    for i, record in enumerate(cells):
        _checked_record(record, f"{path}: cells[{i}]")
    if not isinstance(doc.get("seed"), int):
        raise MalformedResultsError(f"{path}: 'seed' is not an integer")
    return doc


CSV_COLUMNS = ("construction", "theorem", "program", "n", "seed", "input_length", "T", "P", "S",
               "work", "space", "T_bound", "S_bound", "steps", "context", "tokens_written",
               "steps_bound", "context_bound", "outputs_equal", "ok", "error", "seconds")


def csv_text(results: list[CellResult]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for res in results:
        r = res.record
        flat = {**{k: r[k] for k in ("construction", "theorem", "program", "n", "seed",
                                     "input_length", "outputs_equal", "ok", "error")},
                **r["reference"], **r["compiled_with"], **r["measured"],
                "steps_bound": r["bound"]["steps"], "context_bound": r["bound"]["context"],
                "seconds": f"{res.seconds:.3f}"}
        writer.writerow([flat.get(c, "") for c in CSV_COLUMNS])
    return buf.getvalue()

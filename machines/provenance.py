"""Provenance: what produced a result file (toolkit version, commit, interpreter, options).

:func:`provenance` returns a JSON-ready dict written into `apmdm check --json` results and
into trace headers, so a cited figure can be traced back to the code and options that produced
it. The git commit is read with ``git rev-parse HEAD`` in the source tree of this package when
that is a git checkout (None otherwise, e.g. an installed wheel); ``git_dirty`` says whether
tracked files differ from that commit. No time stamp here: callers that measure time add it
themselves, so trace bytes stay deterministic.
"""

from __future__ import annotations

import functools
import platform
import subprocess
from pathlib import Path
from typing import Any

import numpy

from apmdm._version import __version__

SOURCE_DIR = Path(__file__).resolve().parent


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(["git", "-C", str(SOURCE_DIR), *args], capture_output=True,
                              text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


@functools.cache
def git_state() -> tuple[str | None, bool | None]:
    """(commit, dirty) of the source checkout, or (None, None) when not available."""
    commit = _git("rev-parse", "HEAD")
    if commit is None:
        return None, None
    status = _git("status", "--porcelain", "--untracked-files=no")
    return commit, None if status is None else bool(status)


def provenance(seed: int | None, options: dict[str, Any]) -> dict[str, Any]:
    """The provenance block: toolkit, git commit (and dirty flag), Python, numpy, seed and the
    command's options (a JSON-ready dict)."""
    commit, dirty = git_state()
    return {"toolkit": "apmdm", "toolkit_version": __version__, "git_commit": commit,
            "git_dirty": dirty, "python": platform.python_version(),
            "numpy": numpy.__version__, "seed": seed, "options": dict(options)}

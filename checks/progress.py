"""Progress on stderr for long commands (`apmdm sweep`, `apmdm check`), only on a terminal.

[decision] tqdm draws the bar when it is installed (the ``[progress]`` extra, also pulled in by
``[cluster]``); without it a minimal fallback rewrites one status line with a carriage return.
Either way nothing is written unless the stream is a terminal, so piped or redirected output
stays exactly what it was. ``APMDM_PROGRESS=0`` turns progress off, ``=1`` forces it on
(tests use it with a pseudo-terminal).
"""

from __future__ import annotations

import os
import sys
import time
from typing import TextIO


def wanted(stream: TextIO) -> bool:
    forced = os.environ.get("APMDM_PROGRESS", "")
    if forced in ("0", "1"):
        return forced == "1"
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progress:
    """``done / total``, elapsed time and the current item, on ``stream`` if it is a terminal."""

    def __init__(self, total: int, what: str, stream: TextIO | None = None):
        self.stream = stream if stream is not None else sys.stderr
        self.total, self.what, self.done = total, what, 0
        self.enabled = wanted(self.stream)
        self._bar = None
        self._start = time.monotonic()
        if self.enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, desc=what, unit="cell" if what == "sweep" else "",
                                 file=self.stream, leave=True, dynamic_ncols=True)

    def current(self, label: str) -> None:
        """Name the item now running (without advancing)."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_postfix_str(label, refresh=True)
        else:
            self._line(label)

    def advance(self, label: str = "") -> None:
        if not self.enabled:
            return
        self.done += 1
        if self._bar is not None:
            if label:
                self._bar.set_postfix_str(label, refresh=False)
            self._bar.update(1)
        else:
            self._line(label)

    def _line(self, label: str) -> None:
        elapsed = time.monotonic() - self._start
        text = f"{self.what}: {self.done}/{self.total} [{elapsed:5.1f}s] {label}"
        self.stream.write("\r" + text[:118].ljust(118))
        self.stream.flush()

    def close(self) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.close()
        else:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""What a theorem checker is and returns: :class:`CheckSuite`, :class:`CheckOptions`,
:class:`CheckRow`.

A checker module defines its suites as module-level constants (``SUITES``); the catalogue
(:mod:`apmdm.checks.catalogue`) lists those modules by import, so `apmdm check` knows exactly
what it runs and go-to-definition reaches every suite.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CheckRow:
    """One checked (construction, program, size) cell of the `apmdm check` table.

    ``measured`` and ``bound`` map a metric name ("steps", "context", or a suite-specific
    metric such as "ops" or "layers") to an integer; a row is ok iff outputs were correct and
    every measured metric is at most its bound.
    """

    theorem: str
    construction: str
    program: str
    n: int
    ok: bool
    measured: dict[str, int]
    bound: dict[str, int]
    instances: int = 1
    outputs_equal: bool = True
    detail: str = ""

    def to_json(self) -> dict:
        return {
            "theorem": self.theorem,
            "construction": self.construction,
            "program": self.program,
            "n": self.n,
            "ok": self.ok,
            "measured": dict(self.measured),
            "bound": dict(self.bound),
            "instances": self.instances,
            "outputs_equal": self.outputs_equal,
            "detail": self.detail,
        }


@dataclass(frozen=True)
class CheckOptions:
    """Options every suite receives. ``compiled``: use compiled transformers as f where the
    suite supports it. ``quick``: a smaller sweep (used by the test suite)."""

    seed: int = 0
    compiled: bool = False
    quick: bool = False


@dataclass(frozen=True)
class CheckSuite:
    theorem: str
    name: str
    description: str
    run: Callable[[CheckOptions], list[CheckRow]] = field(compare=False)

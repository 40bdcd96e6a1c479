"""What a theorem checker is and returns: :class:`CheckSuite`, :class:`CheckOptions`,
:class:`CheckRow`, :class:`Category`, :class:`Relation`.

A checker module defines its suites as module-level constants (``SUITES``); the catalogue
(:mod:`apmdm.checks.catalogue`) lists those modules by import, so `apmdm check` knows exactly
what it runs and go-to-definition reaches every suite.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace


class Category(enum.Enum):
    """What kind of evidence a row is (docs/check-json.md, "Verdict categories").

    * ``PROVED_INSTANCE``: the theorem's model class itself, an exact compiled transformer as
      the next-step function, run on the instance with the theorem's bounds checked;
    * ``SCHEDULE``: function level: the construction's next-step function (or Theorem 2's
      counted serial procedure) as Python code; outputs and bounds are checked, the model
      class is not;
    * ``ILLUSTRATION``: a measurement that illustrates a claim without checking it (a stop
      rule that fails at some length, a contrast strategy). Illustrations alone never make
      "ALL HOLD".
    """

    PROVED_INSTANCE = "proved-instance"
    SCHEDULE = "schedule"
    ILLUSTRATION = "illustration"


class Relation(enum.Enum):
    """What a row claims about measured against bound: every bounded metric is ``WITHIN``
    (measured <= bound) or every bounded metric ``EXCEEDS`` its bound (measured > bound; a
    contrast row showing that a bound does not carry over)."""

    WITHIN = "within"
    EXCEEDS = "exceeds"


@dataclass(frozen=True)
class CheckRow:
    """One checked (construction, program, size) cell of the `apmdm check` table.

    ``measured`` maps a metric name ("steps", "context", or a suite-specific metric such as
    "ops" or "layers") to an integer; ``bound`` maps the *bounded* metrics to their bound. A
    metric in ``measured`` without a bound is a plain measurement and is never held against
    anything. A row is ok iff outputs were correct and every bounded metric stands in
    ``relation`` to its bound (see :meth:`relation_holds`). ``claim`` says in words what the
    row shows; ``seconds`` is the time this row's own work took (None: not measured alone).
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
    category: Category = Category.SCHEDULE
    relation: Relation = Relation.WITHIN
    claim: str = ""
    seconds: float | None = None

    def relation_holds(self) -> bool:
        """Whether every metric with a bound stands in ``relation`` to it."""
        pairs = [(self.measured[m], b) for m, b in self.bound.items() if m in self.measured]
        if self.relation is Relation.WITHIN:
            return all(v <= b for v, b in pairs)
        return bool(pairs) and all(v > b for v, b in pairs)

    def to_json(self) -> dict:
        return {
            "theorem": self.theorem,
            "construction": self.construction,
            "program": self.program,
            "n": self.n,
            "ok": self.ok,
            "category": self.category.value,
            "relation": self.relation.value,
            "claim": self.claim,
            "measured": dict(self.measured),
            "bound": dict(self.bound),
            "instances": self.instances,
            "outputs_equal": self.outputs_equal,
            "detail": self.detail,
            "seconds": None if self.seconds is None else round(self.seconds, 3),
        }


def labelled(rows: list[CheckRow], category: Category, claim: str) -> list[CheckRow]:
    """``rows`` with ``category`` and, where a row has none, ``claim`` set."""
    return [replace(r, category=category, claim=r.claim or claim) for r in rows]


def timed(make: Callable[[], CheckRow]) -> CheckRow:
    """Run ``make`` and record its own time on the row it returns."""
    start = time.perf_counter()
    row = make()
    return replace(row, seconds=time.perf_counter() - start)


@dataclass(frozen=True)
class CheckOptions:
    """Options every suite receives. ``compiled``: the run selects the transformer-level
    suites (see :attr:`CheckSuite.compiled`). ``quick``: a smaller sweep (used by the tests)."""

    seed: int = 0
    compiled: bool = False
    quick: bool = False


@dataclass(frozen=True)
class CheckSuite:
    """A named sweep. ``compiled``: the suite checks a compiled transformer as the next-step
    function (`apmdm check --compiled` runs exactly these; a plain run, the others)."""

    theorem: str
    name: str
    description: str
    run: Callable[[CheckOptions], list[CheckRow]] = field(compare=False)
    compiled: bool = False

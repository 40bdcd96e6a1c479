"""Registries behind `apmdm list` and `apmdm check`.

A theorem checker registers a :class:`CheckSuite`: a name, the theorem it checks, and a
function that runs its default sweep and returns :class:`CheckRow` results. Registration is
explicit (modules call :func:`register_suite` at import time and are listed in
``SUITE_MODULES``), so `apmdm check` knows exactly what it runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from apmdm.machines.errors import InvalidArgumentError, SizeLimitExceeded


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


_SUITES: dict[str, CheckSuite] = {}

# Modules that register suites when imported; `apmdm check` imports all of them.
SUITE_MODULES: list[str] = [
    "apmdm.checks.theorem1", "apmdm.checks.theorem2", "apmdm.checks.theorem3", "apmdm.checks.theorem4", "apmdm.checks.tasks",
    "apmdm.checks.theorem5", "apmdm.checks.theorem6",
]


def register_suite(suite: CheckSuite) -> CheckSuite:
    if suite.name in _SUITES:
        raise InvalidArgumentError(f"check suite {suite.name!r} registered twice")
    _SUITES[suite.name] = suite
    return suite


def load_suites() -> list[CheckSuite]:
    for mod in SUITE_MODULES:
        importlib.import_module(mod)
    return sorted(_SUITES.values(), key=lambda s: (s.theorem, s.name))


# --- `apmdm list` entries ----------------------------------------------------------------


@dataclass(frozen=True)
class ListEntry:
    kind: str  # "pram-program", "turing-machine", "construction", "task", "efasp-program", ...
    name: str
    summary: str  # one line: bounds, sizes


# Functions returning list entries; modules append a provider here (surgical edit).
LIST_PROVIDERS: list[str] = [  # "module:function" strings
    "apmdm.checks.tm_catalogue:turing_machine_entries",
    "apmdm.checks.tasks:task_entries",
    "apmdm.checks.commands.explain_cmd:list_efasp_programs",
    "apmdm.checks.library_entries:list_entries",
]


def list_entries() -> list[ListEntry]:
    out: list[ListEntry] = []
    for spec in LIST_PROVIDERS:
        mod, fn = spec.split(":")
        out.extend(getattr(importlib.import_module(mod), fn)())
    return sorted(out, key=lambda e: (e.kind, e.name))


# --- `apmdm trace` targets ---------------------------------------------------------------


@dataclass(frozen=True)
class TraceableRun:
    """Everything `apmdm trace` needs to record one construction's run."""

    process: object  # apmdm.machines.process.GenerationProcess
    canvas: tuple  # the initial canvas
    limits: object  # apmdm.machines.process.Limits
    construction: str
    parameters: dict
    vocabulary: object  # list of tokens, or a dict describing a large/wide vocabulary


@dataclass(frozen=True)
class TraceTarget:
    """A named thing that can be traced under one or more models.

    ``build(model, n, seed)`` returns a :class:`TraceableRun`; ``model`` is one of ``models``.
    """

    name: str
    models: tuple[str, ...]
    description: str
    build: Callable[[str, int, int], TraceableRun] = field(compare=False)


_TRACE_TARGETS: dict[str, TraceTarget] = {}

# The largest --n each trace target accepts ([decision]: measured so that a run at the bound
# ends within about a minute on one core; larger sizes ran for minutes or exhausted memory).
# Targets not listed (the PRAM library programs) accept up to DEFAULT_MAX_TRACE_N. The work
# limit (--max-work) still ends a run inside the bound that grows too long.
DEFAULT_MAX_TRACE_N = 64
MAX_TRACE_N: dict[str, int] = {
    "task-parity": 2048, "task-sudoku": 16, "task-mincut": 64, "dyck": 1024,
    "preserve": 256, "tm-binary-increment": 256, "tm-palindromes": 128,
    "tm-zeros-then-ones": 256,
}


def max_trace_n(name: str) -> int:
    return MAX_TRACE_N.get(name, DEFAULT_MAX_TRACE_N)


def build_run(target: TraceTarget, model: str, n: int, seed: int,
              max_work: int | None = None) -> TraceableRun:
    """``target.build(model, n, seed)`` after checking ``n`` against the target's bound (before
    anything is allocated), with the run's work limit set to ``max_work`` when given."""
    bound = max_trace_n(target.name)
    if not 0 <= n <= bound:
        raise SizeLimitExceeded(f"{target.name}: --n {n} is outside 0..{bound}, the sizes this "
                                "target runs in bounded time and memory")
    built = target.build(model, n, seed)
    if max_work is not None:
        from dataclasses import replace
        built = replace(built, limits=replace(built.limits, max_work=max_work))
    return built

# Modules that register trace targets when imported; `apmdm trace` imports all of them.
TRACE_MODULES: list[str] = ["apmdm.checks.pram_traces", "apmdm.checks.tasks", "apmdm.checks.theorem5_6_traces"]


def register_trace_target(target: TraceTarget) -> TraceTarget:
    if target.name in _TRACE_TARGETS:
        raise InvalidArgumentError(f"trace target {target.name!r} registered twice")
    _TRACE_TARGETS[target.name] = target
    return target


def load_trace_targets() -> dict[str, TraceTarget]:
    for mod in TRACE_MODULES:
        importlib.import_module(mod)
    return dict(sorted(_TRACE_TARGETS.items()))

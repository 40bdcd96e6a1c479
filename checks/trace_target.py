"""What `apmdm trace` records: a :class:`TraceTarget` builds a :class:`TraceableRun`.

Targets are listed by :func:`apmdm.checks.catalogue.trace_targets`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from apmdm.machines.errors import SizeLimitExceeded


@dataclass(frozen=True)
class Answer:
    """The answer decoded from a run's final canvas next to the reference machine's.

    ``decoded`` and ``reference`` are JSON values (lists, strings, numbers); ``equal`` says
    whether the run's answer is the reference's (for a puzzle with several solutions: whether
    the decoded grid is a valid solution). `apmdm trace` records it in the header's parameters
    under ``"answer"`` and exits 1 when ``equal`` is false."""

    decoded: Any
    reference: Any
    equal: bool

    def to_json(self) -> dict:
        return {"decoded": self.decoded, "reference": self.reference, "equal": self.equal}


@dataclass(frozen=True)
class TraceableRun:
    """Everything `apmdm trace` needs to record one construction's run."""

    process: object  # apmdm.machines.process.GenerationProcess
    canvas: tuple  # the initial canvas
    limits: object  # apmdm.machines.process.Limits
    construction: str
    parameters: dict
    vocabulary: object  # list of tokens, or a dict describing a large/wide vocabulary
    schema: dict | None = None  # the construction's token schema (trace header "schema")
    answer: Callable[[tuple], Answer] | None = field(default=None, compare=False)
    # final canvas -> the decoded answer and the reference's (None: the target has none)


@dataclass(frozen=True)
class TraceTarget:
    """A named thing that can be traced under one or more models.

    ``build(model, n, seed)`` returns a :class:`TraceableRun`; ``model`` is one of ``models``.
    """

    name: str
    models: tuple[str, ...]
    description: str
    build: Callable[[str, int, int], TraceableRun] = field(compare=False)


# The largest --n each trace target accepts ([decision]: a run at the bound ends within about
# a minute on one core; larger sizes ran for minutes or exhausted memory). Targets not listed
# (the PRAM library programs) accept up to DEFAULT_MAX_TRACE_N. The work limit (--max-work)
# still ends a run inside the bound that grows too long.
DEFAULT_MAX_TRACE_N = 32
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
        built = replace(built, limits=replace(built.limits, max_work=max_work))
    return built

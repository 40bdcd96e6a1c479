"""What `apmdm trace` records: a :class:`TraceTarget` builds a :class:`TraceableRun`.

Targets are listed by :func:`apmdm.checks.catalogue.trace_targets`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


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

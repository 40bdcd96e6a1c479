"""What `apmdm trace` records: a :class:`TraceTarget` builds a :class:`TraceableRun`.

Targets are listed by :func:`apmdm.checks.catalogue.trace_targets`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


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


@dataclass(frozen=True)
class TraceTarget:
    """A named thing that can be traced under one or more models.

    ``build(model, n, seed)`` returns a :class:`TraceableRun`; ``model`` is one of ``models``.
    """

    name: str
    models: tuple[str, ...]
    description: str
    build: Callable[[str, int, int], TraceableRun] = field(compare=False)

"""What a construction's limits and bounds are functions of: the reference machine's resources.

A :class:`Resources` holds the counters of one run of the reference machine (or a user's
declared bounds at n): parallel time and processors of a PRAM with the memory it spans, or the
steps and space of a Turing machine. Every construction takes the same object in
``limits(resources)`` and ``bound(resources)``
(:class:`apmdm.constructions.interface.Construction`), so no caller has to know which counter
a construction needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from apmdm.machines.errors import InvalidArgumentError


@dataclass(frozen=True)
class Resources:
    """``time``: PRAM parallel steps T or TM steps; ``space``: PRAM memory span S or TM cells
    visited; ``processors``: PRAM processors P (1 for a Turing machine)."""

    time: int
    space: int
    processors: int = 1

    def __post_init__(self) -> None:
        for name in ("time", "space", "processors"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise InvalidArgumentError(f"resources: {name} must be a non-negative int, "
                                           f"got {value!r}")

    @classmethod
    def of_pram(cls, counters: object) -> Resources:
        """From :class:`~apmdm.machines.pram.PRAMCounters` of a reference run."""
        return cls(counters.time, counters.memory_span, counters.processors)

    @classmethod
    def of_tm(cls, result: object) -> Resources:
        """From a :class:`~apmdm.machines.turing.TMResult` of a reference run."""
        return cls(result.steps, result.space, 1)

"""The library entry type and the bound check shared by tests, the CLI and the checkers.

A :class:`LibraryProgram` bundles a PRAM program with everything needed to use it as a
benchmark: the weakest access variant it is legal under, a random input generator indexed by
a *size parameter* ``n`` (which is not always the input length: for a graph it is the number
of vertices, for a matrix product the dimension), an independent reference (``oracle``) for
the expected output region, and the declared bounds ``T(n)``, ``P(n)``, ``S(n)`` from
:mod:`theory.pram_bounds`.

:func:`check_bounds` compares a run's counters with the declared bounds at ``n`` and returns
a :class:`BoundCheck` (ok flag, measured, bound and measured/bound ratios per metric).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.pram.interpreter import PRAM, PRAMCounters, PRAMLimits, PRAMResult, Variant
from apmdm.machines.pram.isa import Program
from apmdm.theory.pram_bounds import ProgramBounds


@dataclass(frozen=True)
class LibraryProgram:
    """A named PRAM program with its variant, declared bounds, input generator and oracle."""

    name: str
    program: Program
    variant: Variant
    description: str
    bounds: ProgramBounds
    input_length: Callable[[int], int] = field(compare=False)
    size_of: Callable[[int], int] = field(compare=False)   # input length -> size parameter n
    make_input: Callable[[int, random.Random], tuple[int, ...]] = field(compare=False)
    oracle: Callable[[Sequence[int]], tuple[int, ...]] = field(compare=False)
    sizes: tuple[int, ...] = ()
    size_meaning: str = "input length"

    def check_size(self, n: int) -> None:
        if isinstance(n, bool) or not isinstance(n, int) or n not in self.sizes:
            raise InvalidArgumentError(
                f"{self.name}: size n={n!r} not in the allowed sizes "
                f"{self.sizes[0]}..{self.sizes[-1]} ({self.size_meaning}); "
                f"allowed: {', '.join(map(str, self.sizes))}")

    def run(self, inputs: Sequence[int], variant: Variant | None = None,
            limits: PRAMLimits | None = None) -> PRAMResult:
        """Run on ``inputs`` under ``variant`` (default: the declared, weakest legal one)."""
        machine = PRAM(self.program, variant or self.variant, limits or PRAMLimits())
        return machine.run(inputs)


@dataclass(frozen=True)
class BoundCheck:
    """Measured T, P, S against the declared bounds at one size ``n``."""

    program: str
    n: int
    ok: bool
    measured: dict[str, int]
    bound: dict[str, int]
    ratios: dict[str, float]
    violations: tuple[str, ...]

    def to_json(self) -> dict:
        return {"program": self.program, "n": self.n, "ok": self.ok,
                "measured": dict(self.measured), "bound": dict(self.bound),
                "ratios": dict(self.ratios), "violations": list(self.violations)}


def check_bounds(lib_program: LibraryProgram, n: int, counters: PRAMCounters) -> BoundCheck:
    """Hold a run's counters (time, processors, memory span) against T(n), P(n), S(n)."""
    values = lib_program.bounds.at(n)
    measured = {"T": counters.time, "P": counters.processors, "S": counters.memory_span}
    bound = {"T": values.time, "P": values.processors, "S": values.memory}
    ratios = {k: (measured[k] / bound[k] if bound[k] > 0 else float("inf")) for k in measured}
    violations = tuple(f"{k} = {measured[k]} > bound {bound[k]} at n={n}"
                       for k in ("T", "P", "S") if measured[k] > bound[k])
    return BoundCheck(lib_program.name, n, not violations, measured, bound, ratios, violations)

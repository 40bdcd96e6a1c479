"""The catalogue: one typed table of everything the toolkit can run.

Every kind of thing a user can name on the command line is listed here, by *import*, not by
string: PRAM programs, Turing machines, constructions (plain and compiled), trace targets and
check suites. `apmdm list`, `apmdm check`, `apmdm trace`, `apmdm explain` and
`apmdm export-weights` all read this module, so go-to-definition from any name reaches its code.

The table is lazy: each accessor imports the modules it lists on first call (start-up of
``apmdm --version`` stays fast) and caches the result.

Dependencies point one way: this module (in ``checks``, the top layer) imports constructions
and machines; nothing below imports it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from apmdm.checks.suite import CheckSuite
from apmdm.checks.trace_target import TraceTarget
from apmdm.machines.errors import InvalidArgumentError


class Kind(enum.Enum):
    """The kinds of catalogue entry (the values are what `apmdm list --kind` takes)."""

    PROGRAM = "pram-program"
    MACHINE = "turing-machine"
    CONSTRUCTION = "construction"
    COMPILED = "compiled-construction"
    EFASP_PROGRAM = "efasp-program"
    TRACE_TARGET = "trace-target"
    SUITE = "check-suite"

    @classmethod
    def parse(cls, text: str) -> Kind:
        for kind in cls:
            if kind.value == text:
                return kind
        raise InvalidArgumentError(f"unknown kind {text!r}; known: "
                                   f"{', '.join(k.value for k in cls)}")


@dataclass(frozen=True)
class Entry:
    """One line of `apmdm list`."""

    kind: Kind
    name: str
    summary: str

    def to_json(self) -> dict:
        return {"kind": self.kind.value, "name": self.name, "summary": self.summary}


@dataclass(frozen=True)
class Construction:
    """A plain (function-level) construction: what it shows and the code that builds it
    (``code``: its compiler, class or next-step function; a typed reference)."""

    name: str
    theorem: str
    summary: str
    code: Callable = field(compare=False)


@dataclass(frozen=True)
class CompiledConstruction:
    """A construction whose next-step function is a compiled exact transformer.

    ``build(program, n)`` returns a :class:`~apmdm.machines.transformer.CompiledTransformer`;
    ``programs`` lists the names ``--program`` accepts (empty: the construction has none).
    """

    name: str
    summary: str
    build: Callable = field(compare=False)
    programs: tuple[str, ...] = ()
    default_program: str | None = None


# --- check suites ---------------------------------------------------------------------------


@cache
def suites() -> tuple[CheckSuite, ...]:
    """Every check suite, ordered by theorem then name."""
    from apmdm.checks import (
        compiled,
        tasks,
        theorem1,
        theorem2,
        theorem2_pram,
        theorem3,
        theorem3_compiled,
        theorem4,
        theorem5,
        theorem6,
    )

    found = [s for mod in (theorem1, theorem2, theorem2_pram, theorem3, theorem3_compiled,
                           theorem4, compiled, tasks, theorem5, theorem6) for s in mod.SUITES]
    _unique("check suite", [s.name for s in found])
    return tuple(sorted(found, key=lambda s: (s.theorem, s.name)))


# --- trace targets --------------------------------------------------------------------------


@cache
def trace_targets() -> dict[str, TraceTarget]:
    """Every `apmdm trace` target by name."""
    from apmdm.checks import pram_traces, tasks, theorem5_6_traces

    found = [*pram_traces.library_targets(), *pram_traces.tm_targets(), *tasks.TRACE_TARGETS,
             *theorem5_6_traces.TRACE_TARGETS]
    _unique("trace target", [t.name for t in found])
    return {t.name: t for t in sorted(found, key=lambda t: t.name)}


def trace_target(name: str) -> TraceTarget:
    targets = trace_targets()
    if name not in targets:
        raise InvalidArgumentError(f"unknown trace target {name!r}; known: "
                                   f"{', '.join(targets)} (or a .pram file)")
    return targets[name]


# --- constructions --------------------------------------------------------------------------


@cache
def constructions() -> dict[str, Construction]:
    """The plain constructions, by name (the names the checkers report)."""
    from apmdm.constructions.dyck.apmdm import DyckGenerator
    from apmdm.constructions.dyck.arm_illustration import StoppingARM
    from apmdm.constructions.dyck.per_position import PerPositionDyck
    from apmdm.constructions.masked_arm.schedule import build_masked_arm
    from apmdm.constructions.pram.apmdm import compile_apmdm
    from apmdm.constructions.pram.arm import compile_arm
    from apmdm.constructions.pram.mdm import compile_mdm
    from apmdm.constructions.preserve import PreserveAPMDM, PreserveARMReplay
    from apmdm.constructions.serial.simulation import simulate_mdm
    from apmdm.constructions.tasks.mincut import run_mincut
    from apmdm.constructions.tasks.parity import run_parity
    from apmdm.constructions.tasks.sudoku import sudoku_next_step
    from apmdm.constructions.tm.apmdm import compile_tm_apmdm
    from apmdm.constructions.tm.arm import compile_tm_arm

    table = (
        Construction("pram-mdm", "1", "PRAM -> MDM unmask schedule, one block of P slots per "
                     "PRAM step: steps <= T+1, context n + P*T + m", compile_mdm),
        Construction("pram-arm", "1", "contrast: PRAM -> chain-of-thought ARM, one slot per "
                     "processor-step, then L copied-out cells: steps P*T+L+1", compile_arm),
        Construction("serial-simulation", "2", "MDM(S) run serially (PRAM(1)): counted "
                     "operations <= c*S^3*log S", simulate_mdm),
        Construction("ao-to-masked-arm", "3", "AO-MDM -> Masked-ARM by log, replay and "
                     "copy-out: length <= 3S, constant extra layers", build_masked_arm),
        Construction("pram-apmdm", "4", "PRAM -> AP-MDM in place (remask, fill): steps <= "
                     "2T+1, context S + 2P", compile_apmdm),
        Construction("tm-arm", "4", "contrast: TM -> ARM, one record per TM step (context "
                     "n + T + 2)", compile_tm_arm),
        Construction("tm-apmdm", "4", "TM -> AP-MDM, tape in place (context <= n + space + "
                     "4)", compile_tm_apmdm),
        Construction("dyck-per-position", "5", "stochastic AP-MDM, every position samples its "
                     "own y and c: support two-sided Dyck-k", PerPositionDyck),
        Construction("dyck-apmdm", "5", "stochastic pair-insertion AP-MDM whose support is "
                     "two-sided Dyck-k (joint-draw variant: one draw per step)", DyckGenerator),
        Construction("arm-dyck-illustration", "5", "illustration: ARM stop rules that miss "
                     "Dyck words beyond a length", StoppingARM),
        Construction("preserve-apmdm", "6", "PRESERVE (our reconstruction) solved in place by "
                     "an AP-MDM", PreserveAPMDM),
        Construction("preserve-arm-replay", "6", "PRESERVE answered by an ARM replaying the "
                     "edits", PreserveARMReplay),
        Construction("parity", "tasks", "parity by elimination (remask, then delete): steps "
                     "<= 2n+1", run_parity),
        Construction("sudoku", "tasks", "m x m Sudoku by in-canvas DFS with MRV; context 4m^2",
                     sudoku_next_step),
        Construction("mincut", "tasks", "delete a minimum s-t cut (Edmonds-Karp as edits)",
                     run_mincut),
    )
    return {c.name: c for c in table}


@cache
def compiled_constructions() -> dict[str, CompiledConstruction]:
    """Constructions with a compiled transformer as f (for explain / export-weights)."""
    from apmdm.constructions.efasp.programs import EXAMPLES, build_example
    from apmdm.constructions.pram.compiled.entries import build_thm1, build_thm4, supported_library
    from apmdm.constructions.tasks.parity_compiled import build_transformer as build_parity

    library = supported_library()
    table = (
        CompiledConstruction("efasp", "E-FASP example programs compiled to exact AHA "
                             "transformers (n = max canvas length)",
                             build_example, tuple(EXAMPLES), "histogram"),
        CompiledConstruction("parity", "parity elimination f as a compiled E-FASP transformer "
                             "(n = max canvas length)", lambda _program, n: build_parity(n)),
        CompiledConstruction("thm1-mdm", "Theorem 1: the PRAM -> MDM next-step function "
                             "compiled to an exact AHA transformer (n = library size)",
                             build_thm1, library, "prefix-sum"),
        CompiledConstruction("thm4-apmdm", "Theorem 4: the PRAM -> AP-MDM next-step function "
                             "compiled to an exact AHA transformer (n = library size)",
                             build_thm4, library, "prefix-sum"),
    )
    return {c.name: c for c in table}


def build_compiled(name: str, program: str | None, n: int):
    """Build compiled construction ``name`` (or ``"name:PROGRAM"``) for size ``n``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidArgumentError(f"--n must be a positive integer, got {n!r}")
    if ":" in name and program is None:
        name, program = name.split(":", 1)
    table = compiled_constructions()
    if name not in table:
        raise InvalidArgumentError(f"unknown compiled construction {name!r}; known: "
                                   f"{', '.join(table)}")
    entry = table[name]
    if program is None:
        program = entry.default_program
    if entry.programs and program not in entry.programs:
        raise InvalidArgumentError(f"construction {name!r} has no program {program!r}; "
                                   f"known: {', '.join(entry.programs)}")
    if not entry.programs and program is not None:
        raise InvalidArgumentError(f"construction {name!r} takes no --program")
    return entry.build(program, n)


# --- everything, for `apmdm list` -----------------------------------------------------------


def entries(kind: Kind | None = None) -> list[Entry]:
    """Every catalogue entry (of ``kind``, if given), sorted by kind then name."""
    makers: dict[Kind, Callable[[], list[Entry]]] = {
        Kind.PROGRAM: _program_entries, Kind.MACHINE: _machine_entries,
        Kind.CONSTRUCTION: lambda: [Entry(Kind.CONSTRUCTION, c.name,
                                          f"Theorem {c.theorem}: {c.summary}"
                                          if c.theorem != "tasks" else f"task: {c.summary}")
                                    for c in constructions().values()],
        Kind.COMPILED: lambda: [Entry(Kind.COMPILED, c.name, c.summary + (
            f"; programs: {', '.join(c.programs)}" if c.programs else ""))
            for c in compiled_constructions().values()],
        Kind.EFASP_PROGRAM: _efasp_entries,
        Kind.TRACE_TARGET: lambda: [Entry(Kind.TRACE_TARGET, t.name,
                                          f"models {', '.join(t.models)}: {t.description}")
                                    for t in trace_targets().values()],
        Kind.SUITE: lambda: [Entry(Kind.SUITE, s.name, f"Theorem {s.theorem}: {s.description}")
                             for s in suites()],
    }
    kinds = [kind] if kind is not None else list(Kind)
    out = [e for k in kinds for e in makers[k]()]
    return sorted(out, key=lambda e: (list(Kind).index(e.kind), e.name))


def _program_entries() -> list[Entry]:
    from apmdm.machines.pram.library import LIBRARY

    out = []
    for name, lib in sorted(LIBRARY.items()):
        sizes = f"n = {lib.size_meaning}, {lib.sizes[0]}..{lib.sizes[-1]}"
        out.append(Entry(Kind.PROGRAM, name,
                         f"{lib.variant.value}; {lib.bounds.summary()}; {sizes}"))
    return out


def _machine_entries() -> list[Entry]:
    from apmdm.machines.tm_library import LIBRARY

    out = []
    for entry in LIBRARY.values():
        tm = entry.build()
        size = f"{len(tm.states)} states, {len(tm.tape_symbols)} tape symbols"
        out.append(Entry(Kind.MACHINE, entry.name, f"{entry.summary} ({size})"))
    return out


def _efasp_entries() -> list[Entry]:
    from apmdm.constructions.efasp.programs import EXAMPLES

    return [Entry(Kind.EFASP_PROGRAM, f"efasp:{name}", build(8).description)
            for name, (build, _) in EXAMPLES.items()]


def _unique(what: str, names: list[str]) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidArgumentError(f"{what} {name!r} is listed twice in the catalogue")
        seen.add(name)

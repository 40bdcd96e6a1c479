"""Registry of compiled-transformer constructions, for `apmdm explain` / `export-weights`.

A construction name (``"efasp"``, later ``"thm1-mdm"``, ``"thm4-apmdm"``) maps to a builder
``(program_name | None, n) -> CompiledTransformer``. Modules that register builders are
listed in :data:`CONSTRUCTION_MODULES` and imported on first lookup (add a line to register
a new module); they call :func:`register_construction` at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.transformer import CompiledTransformer

Builder = Callable[[str | None, int], CompiledTransformer]


@dataclass(frozen=True)
class ConstructionEntry:
    name: str
    summary: str
    builder: Builder = field(compare=False)
    programs: tuple[str, ...] = ()      # program names accepted by --program (if any)
    default_program: str | None = None


_ENTRIES: dict[str, ConstructionEntry] = {}

CONSTRUCTION_MODULES: list[str] = ["apmdm.constructions.efasp.registry",
                                   "apmdm.constructions.tasks.parity_compiled",
                                   "apmdm.constructions.pram.compiled.entries"]


def register_construction(entry: ConstructionEntry) -> ConstructionEntry:
    if entry.name in _ENTRIES and _ENTRIES[entry.name] is not entry:
        raise InvalidArgumentError(f"construction {entry.name!r} registered twice")
    _ENTRIES[entry.name] = entry
    return entry


def constructions() -> dict[str, ConstructionEntry]:
    for mod in CONSTRUCTION_MODULES:
        importlib.import_module(mod)
    return dict(sorted(_ENTRIES.items()))


def build_construction(name: str, program: str | None, n: int) -> CompiledTransformer:
    """Build construction ``name`` (``"efasp"`` or ``"efasp:PROGRAM"``) for size ``n``."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InvalidArgumentError(f"--n must be a positive integer, got {n!r}")
    if ":" in name and program is None:
        name, program = name.split(":", 1)
    entries = constructions()
    if name not in entries:
        raise InvalidArgumentError(f"unknown construction {name!r}; known: "
                                   f"{', '.join(entries) or 'none'}")
    entry = entries[name]
    if program is None:
        program = entry.default_program
    if entry.programs and program not in entry.programs:
        raise InvalidArgumentError(f"construction {name!r} has no program {program!r}; "
                                   f"known: {', '.join(entry.programs)}")
    return entry.builder(program, n)


def _build_efasp(program: str | None, n: int) -> CompiledTransformer:
    from apmdm.constructions.efasp.compiler import compile_program
    from apmdm.constructions.efasp.programs import EXAMPLES
    compiled = compile_program(EXAMPLES[program][0](n), n)
    base = compiled.transformer
    return CompiledTransformer(base.spec, base.codec, base.name,
                               {"compiled_program": compiled, "stats": dict(compiled.stats)})


def _efasp_entry() -> ConstructionEntry:
    from apmdm.constructions.efasp.programs import EXAMPLES
    return ConstructionEntry("efasp", "E-FASP example programs compiled to exact AHA "
                             "transformers (n = max canvas length)", _build_efasp,
                             tuple(EXAMPLES), "histogram")


if "efasp" not in _ENTRIES:
    register_construction(_efasp_entry())

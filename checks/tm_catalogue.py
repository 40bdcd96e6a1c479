"""`apmdm list` provider for the example Turing machines of :mod:`machines.tm_library`."""

from __future__ import annotations

from apmdm.checks.registry import ListEntry
from apmdm.machines.tm_library import LIBRARY


def turing_machine_entries() -> list[ListEntry]:
    out = []
    for entry in LIBRARY.values():
        tm = entry.build()
        size = f"{len(tm.states)} states, {len(tm.tape_symbols)} tape symbols"
        out.append(ListEntry("turing-machine", entry.name, f"{entry.summary} ({size})"))
    return out

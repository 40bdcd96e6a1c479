"""`apmdm list` entries for the PRAM program library (kind ``pram-program``).

Lives in ``checks`` because ``machines`` must not import ``checks``; registered in
:data:`checks.registry.LIST_PROVIDERS` as ``"apmdm.checks.library_entries:list_entries"``.
"""

from __future__ import annotations

from apmdm.checks.registry import ListEntry
from apmdm.machines.pram.library import LIBRARY


def list_entries() -> list[ListEntry]:
    out = []
    for name, lib in sorted(LIBRARY.items()):
        sizes = f"n = {lib.size_meaning}, {lib.sizes[0]}..{lib.sizes[-1]}"
        summary = f"{lib.variant.value}; {lib.bounds.summary()}; {sizes}"
        out.append(ListEntry("pram-program", name, summary))
    return out

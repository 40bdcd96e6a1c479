"""Decoded machine state for trace viewers: the construction's own ``decode_state``.

A trace names its construction (``pram-mdm``, ``tm-apmdm``, ``sudoku``, ...) and records the
parameters it was built with; :func:`state_decoder` rebuilds that construction from them and
returns its ``decode_state`` (the same layout code its next-step function and the checkers
use), so viewers never re-implement a decoder. A PRAM program is found in the library by name,
or, for a user's assembly file, parsed from the ``assembly`` text stored in the trace's schema
(parsing only: nothing is evaluated). Anything that cannot be rebuilt gives ``None`` and a
reason; a canvas the decoder rejects gives ``{"error": ...}`` for that step only.

[decision] Decoding happens when the trace is shown, not when it is recorded: trace files keep
one canvas per step and only gain the header's ``schema`` (docs/trace-format.md).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from apmdm.machines.errors import ApmdmError
from apmdm.machines.tokens import Canvas
from apmdm.machines.trace import Trace

StateDecoder = Callable[[Canvas], dict]

# Decoding a step costs about one pass over its canvas; beyond this many token visits over the
# whole trace the viewer shows the canvas without decoded state (documented limit).
MAX_DECODE_WORK = 5_000_000


def _program(parameters: Mapping[str, Any], schema: Mapping[str, Any] | None):
    from apmdm.checks.pram_cases import library_programs
    from apmdm.machines.pram.assembly import parse_program

    if "file" in parameters:
        text = (schema or {}).get("assembly")
        if not isinstance(text, str):
            raise ApmdmError("the trace has no program text (schema field 'assembly')")
        return parse_program(text, str(parameters["file"]))
    lib = library_programs().get(parameters["program"])
    if lib is None:
        raise ApmdmError(f"program {parameters['program']!r} is not in the library")
    return lib.program


def _variant(parameters: Mapping[str, Any]):
    from apmdm.machines.pram import Variant

    return Variant(parameters["variant"])


def _pram_mdm(p: Mapping[str, Any], schema: Mapping | None) -> StateDecoder:
    from apmdm.constructions.pram.mdm import compile_mdm

    return compile_mdm(_program(p, schema), p["n"], p["time_bound"], _variant(p)).decode_state


def _pram_apmdm(p: Mapping[str, Any], schema: Mapping | None) -> StateDecoder:
    from apmdm.constructions.pram.apmdm import compile_apmdm

    return compile_apmdm(_program(p, schema), p["n"], p["memory_size"],
                         _variant(p)).decode_state


def _pram_arm(p: Mapping[str, Any], schema: Mapping | None) -> StateDecoder:
    from apmdm.constructions.pram.arm import compile_arm

    return compile_arm(_program(p, schema), p["n"], _variant(p)).decode_state


def _tm_apmdm(p: Mapping[str, Any], schema: Mapping | None) -> StateDecoder:
    from apmdm.constructions.tm.apmdm import compile_tm_apmdm
    from apmdm.machines.tm_library import get_machine

    return compile_tm_apmdm(get_machine(p["machine"]), p["n"]).decode_state


def _tm_arm(p: Mapping[str, Any], schema: Mapping | None) -> StateDecoder:
    from apmdm.constructions.tm.arm import compile_tm_arm
    from apmdm.machines.tm_library import get_machine

    return compile_tm_arm(get_machine(p["machine"]), p["n"]).decode_state


def _sudoku(p: Mapping[str, Any], schema: Mapping | None) -> StateDecoder:
    from apmdm.constructions.tasks.sudoku import sudoku_state

    return sudoku_state


def _mincut(p: Mapping[str, Any], schema: Mapping | None) -> StateDecoder:
    from apmdm.constructions.tasks.mincut import mincut_state

    return mincut_state


def _parity(p: Mapping[str, Any], schema: Mapping | None) -> StateDecoder:
    from apmdm.constructions.tasks.parity import parity_state

    return parity_state


# The trace's "construction" field (the process name each construction records) -> rebuilder.
DECODERS: dict[str, Callable[[Mapping[str, Any], Mapping | None], StateDecoder]] = {
    "pram-mdm": _pram_mdm, "pram-apmdm": _pram_apmdm, "pram-arm": _pram_arm,
    "tm-apmdm": _tm_apmdm, "tm-arm": _tm_arm,
    "sudoku": _sudoku, "mincut": _mincut, "parity": _parity,
}


def state_decoder(trace: Trace) -> tuple[StateDecoder | None, str]:
    """The construction's state decoder for ``trace`` (or None) and a one-line note."""
    build = DECODERS.get(trace.construction)
    if build is None:
        return None, f"no state decoder for construction {trace.construction!r}"
    try:
        return build(trace.parameters, trace.schema), "decoded by the construction"
    except (ApmdmError, KeyError, TypeError, ValueError) as exc:
        return None, f"cannot rebuild {trace.construction!r} from the trace: {exc}"


def decoded_states(trace: Trace) -> tuple[list[dict] | None, str]:
    """The decoded state of the initial canvas and after every step (or None and why)."""
    decode, note = state_decoder(trace)
    if decode is None:
        return None, note
    work = sum(len(c) for c in trace.canvases())
    if work > MAX_DECODE_WORK:
        return None, (f"decoded state omitted: {work} canvas positions exceed the limit "
                      f"{MAX_DECODE_WORK}")
    out = []
    for canvas in trace.canvases():
        try:
            out.append(decode(canvas))
        except (ApmdmError, IndexError, KeyError, TypeError, ValueError) as exc:
            out.append({"error": f"{type(exc).__name__}: {exc}"})
    return out, note

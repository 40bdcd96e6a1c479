"""Trace targets for `apmdm trace`: every library PRAM program under mdm, apmdm and arm.

``build(model, n, seed)`` draws the input with the library's ``make_input(n, Random(seed))``,
compiles the construction with the declared bounds T(n) (MDM, ARM limits) and S(n) (AP-MDM)
and returns the :class:`TraceableRun`. Turing-machine targets ``tm-<machine>`` (models arm and
apmdm) trace the TM constructions on a random word of length n.
"""

from __future__ import annotations

import random

from apmdm.checks.pram_cases import library_programs
from apmdm.checks.trace_target import TraceableRun, TraceTarget
from apmdm.constructions.pram.apmdm import compile_apmdm
from apmdm.constructions.pram.arm import compile_arm
from apmdm.constructions.pram.mdm import compile_mdm
from apmdm.machines.resources import Resources

PRAM_MODELS = ("mdm", "apmdm", "arm")


def _builder(lib: object):
    def build(model: str, n: int, seed: int) -> TraceableRun:
        lib.check_size(n)
        inputs = tuple(lib.make_input(n, random.Random(seed)))
        bounds = lib.bounds.at(n)
        if model == "mdm":
            con = compile_mdm(lib.program, len(inputs), bounds.time, lib.variant)
            limits = con.limits()
        elif model == "apmdm":
            con = compile_apmdm(lib.program, len(inputs), max(bounds.memory, len(inputs), 1),
                                lib.variant)
            limits = con.limits(Resources(bounds.time, bounds.memory, con.processors))
        else:
            con = compile_arm(lib.program, len(inputs), lib.variant)
            limits = con.limits(Resources(bounds.time, bounds.memory, con.processors))
        params = dict(con.parameters(), size=n, seed=seed, inputs=list(inputs))
        return TraceableRun(con.process(), con.initial_canvas(inputs), limits,
                            con.process().name, params, con.vocabulary(), con.token_schema())
    return build


def library_targets() -> tuple[TraceTarget, ...]:
    """One target per library PRAM program (models mdm, apmdm, arm)."""
    return tuple(TraceTarget(name, PRAM_MODELS,
                             f"PRAM program {name} compiled to MDM (Thm 1), AP-MDM (Thm 4) or "
                             "CoT ARM", _builder(lib))
                 for name, lib in sorted(library_programs().items()))


def _tm_builder(machine_name: str):
    def build(model: str, n: int, seed: int) -> TraceableRun:
        from apmdm.constructions.tm.apmdm import compile_tm_apmdm
        from apmdm.constructions.tm.arm import compile_tm_arm
        from apmdm.machines.errors import InvalidArgumentError
        from apmdm.machines.tm_library import get_machine

        if not 0 <= n <= 64:
            raise InvalidArgumentError(f"tm-{machine_name}: --n must be 0..64, got {n}")
        machine = get_machine(machine_name)
        rng = random.Random(seed)
        word = tuple(rng.choice(sorted(machine.input_symbols)) for _ in range(n))
        ref = machine.run(word)
        if model == "arm":
            con = compile_tm_arm(machine, n)
        else:
            con = compile_tm_apmdm(machine, n)
        limits = con.limits(Resources.of_tm(ref))
        params = {"machine": machine_name, "n": n, "seed": seed, "word": "".join(word)}
        vocab = {"size": 0, "kind": "wide", "note": "TM symbols, (state, symbol) heads, "
                 "and (state, head, cell, symbol) records"}
        return TraceableRun(con.process(), con.initial_canvas(word), limits,
                            con.process().name, params, vocab, con.token_schema())
    return build


def tm_targets() -> tuple[TraceTarget, ...]:
    """One target ``tm-<machine>`` per library Turing machine (models arm, apmdm)."""
    from apmdm.machines.tm_library import LIBRARY

    return tuple(TraceTarget(f"tm-{name}", ("arm", "apmdm"),
                             f"Turing machine {name}: ARM (record per step) or AP-MDM (tape in "
                             "place)", _tm_builder(name))
                 for name in sorted(LIBRARY))


def pram_file_run(path: str, model: str, inputs: tuple[int, ...],
                  variant: str | None = None) -> TraceableRun:
    """A user's own PRAM program (assembly file) compiled to ``model`` on ``inputs``.

    The program is first run on the interpreter; the MDM is compiled with the measured T and
    the AP-MDM with the measured memory span S (a user file declares no bounds), and the step
    limits are the theorem's bounds at those values.
    """
    from apmdm.machines.errors import InvalidProgramError
    from apmdm.machines.pram import PRAM, Variant
    from apmdm.machines.pram.assembly import format_program, load_program_file

    program = load_program_file(path)
    chosen = Variant.parse(variant) if variant else Variant.CRCW_PRIORITY
    ref = PRAM(program, chosen).run(inputs)
    t, span = ref.counters.time, ref.counters.memory_span
    if model == "mdm":
        con = compile_mdm(program, len(inputs), t, chosen)
        limits = con.limits()
    elif model == "apmdm":
        con = compile_apmdm(program, len(inputs), max(span, len(inputs), 1), chosen)
        limits = con.limits(Resources.of_pram(ref.counters))
    else:
        con = compile_arm(program, len(inputs), chosen)
        limits = con.limits(Resources.of_pram(ref.counters))
    params = dict(con.parameters(), file=str(path), inputs=list(inputs), pram_time=t,
                  pram_span=span)
    schema = con.token_schema()
    try:  # the program text lets a viewer rebuild the decoder without the file
        schema["assembly"] = format_program(program)
    except InvalidProgramError:
        pass  # not expressible in canonical assembly: the viewer shows no decoded state
    return TraceableRun(con.process(), con.initial_canvas(inputs), limits,
                        con.process().name, params, con.vocabulary(), schema)

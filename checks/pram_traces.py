"""Trace targets for `apmdm trace`: every library PRAM program under mdm, apmdm and arm.

``build(model, n, seed)`` draws the input with the library's ``make_input(n, Random(seed))``,
compiles the construction with the declared bounds T(n) (MDM, ARM limits) and S(n) (AP-MDM)
and returns the :class:`TraceableRun`. Turing-machine targets ``tm-<machine>`` (models arm and
apmdm) trace the TM constructions on a random word of length n.
"""

from __future__ import annotations

import random

from apmdm.checks.pram_cases import library_programs
from apmdm.checks.trace_target import Answer, TraceableRun, TraceTarget
from apmdm.constructions.pram.apmdm import compile_apmdm
from apmdm.constructions.pram.arm import compile_arm
from apmdm.constructions.pram.mdm import compile_mdm
from apmdm.machines.pram import PRAM
from apmdm.machines.resources import Resources

PRAM_MODELS = ("mdm", "apmdm", "arm")


def decoded_answer(con: object, expected: object, shape=list):
    """``final canvas -> Answer``: ``con.decode`` next to the reference machine's output (a
    canvas that does not decode is an answer that differs, with the reason)."""
    from apmdm.machines.errors import ApmdmError

    reference = shape(expected)

    def answer(final: tuple) -> Answer:
        try:
            got = shape(con.decode(final))
        except ApmdmError as exc:
            return Answer(f"not decodable: {exc}", reference, False)
        return Answer(got, reference, got == reference)
    return answer


def tm_shape(result: tuple) -> list:
    """A TM answer ``(state, tape)`` as JSON: ``[state, [symbols...]]``."""
    state, tape = result
    return [state, list(tape)]


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
        expected = PRAM(lib.program, lib.variant).run(inputs).output
        return TraceableRun(con.process(), con.initial_canvas(inputs), limits,
                            con.process().name, params, con.vocabulary(), con.token_schema(),
                            answer=decoded_answer(con, expected))
    return build


def library_targets() -> tuple[TraceTarget, ...]:
    """One target per library PRAM program (models mdm, apmdm, arm)."""
    return tuple(TraceTarget(name, PRAM_MODELS,
                             f"PRAM program {name} compiled to MDM (Thm 1), AP-MDM (Thm 4) or "
                             "CoT ARM", _builder(lib))
                 for name, lib in sorted(library_programs().items()))


def _tm_builder(machine_name: str):
    def build(model: str, n: int, seed: int) -> TraceableRun:
        from apmdm.machines.errors import InvalidArgumentError
        from apmdm.machines.tm_library import get_machine

        if not 0 <= n <= 64:
            raise InvalidArgumentError(f"tm-{machine_name}: --n must be 0..64, got {n}")
        machine = get_machine(machine_name)
        rng = random.Random(seed)
        word = tuple(rng.choice(sorted(machine.input_symbols)) for _ in range(n))
        params = {"machine": machine_name, "n": n, "seed": seed, "word": "".join(word)}
        return tm_run(machine, word, model, params)
    return build


TM_VOCABULARY = {"size": 0, "kind": "wide", "note": "TM symbols, (state, symbol) heads, "
                 "and (state, head, cell, symbol) records"}


def tm_run(machine: object, word: tuple, model: str, params: dict) -> TraceableRun:
    """The ARM or AP-MDM construction of ``machine`` on ``word``, limits from the TM's run."""
    from apmdm.constructions.tm.apmdm import compile_tm_apmdm
    from apmdm.constructions.tm.arm import compile_tm_arm

    ref = machine.run(word)
    con = (compile_tm_arm if model == "arm" else compile_tm_apmdm)(machine, len(word))
    limits = con.limits(Resources.of_tm(ref))
    params = dict(params, tm_steps=ref.steps, tm_space=ref.space)
    return TraceableRun(con.process(), con.initial_canvas(word), limits, con.process().name,
                        params, TM_VOCABULARY, con.token_schema(),
                        answer=decoded_answer(con, (ref.state, ref.output), tm_shape))


def tm_file_run(path: str, model: str, word_text: str) -> TraceableRun:
    """A user's Turing machine (JSON file, :mod:`apmdm.machines.tm_file`) on a word."""
    from apmdm.machines.tm_file import load_tm_file, parse_word

    machine = load_tm_file(path)
    word = parse_word(machine, word_text, "--input")
    return tm_run(machine, word, model, {"file": str(path), "machine": machine.name,
                                         "word": list(word)})


def tm_targets() -> tuple[TraceTarget, ...]:
    """One target ``tm-<machine>`` per library Turing machine (models arm, apmdm)."""
    from apmdm.machines.tm_library import LIBRARY

    return tuple(TraceTarget(f"tm-{name}", ("arm", "apmdm"),
                             f"Turing machine {name}: ARM (record per step) or AP-MDM (tape in "
                             "place)", _tm_builder(name))
                 for name in sorted(LIBRARY))


def pram_file_run(path: str, model: str, inputs: tuple[int, ...], variant: str | None = None,
                  processors: int | None = None, max_steps: int | None = None,
                  declared: tuple | None = None) -> TraceableRun:
    """A user's own PRAM program (assembly file) compiled to ``model`` on ``inputs``.

    The program is first run on the interpreter (``processors`` overrides its declared count,
    ``max_steps`` its step limit). Without ``declared`` bounds the MDM is compiled with the
    measured T and the AP-MDM with the memory ``max(S, n, 1)`` (S = the measured span); with
    ``declared = (T_expr, S_expr)`` (either may be None) the construction is compiled with
    T(n) / S(n) instead, the loose-bound path: the MDM still stops after T + 1 steps.
    """
    import dataclasses

    from apmdm.machines.errors import InvalidArgumentError, InvalidProgramError
    from apmdm.machines.pram import PRAMLimits, Variant
    from apmdm.machines.pram.assembly import format_program, load_program_file
    from apmdm.machines.pram.expr import parse_size_expr

    program = load_program_file(path)
    if processors is not None:
        program = dataclasses.replace(program, processors=parse_size_expr(processors))
    chosen = Variant.parse(variant) if variant else Variant.CRCW_PRIORITY
    limits = PRAMLimits(max_steps=max_steps) if max_steps is not None else PRAMLimits()
    ref = PRAM(program, chosen, limits).run(inputs)
    n = len(inputs)
    t, span = ref.counters.time, ref.counters.memory_span
    t_expr, s_expr = declared or (None, None)
    time = t_expr.evaluate(n) if t_expr is not None else t
    memory = s_expr.evaluate(n) if s_expr is not None else max(span, n, 1)
    if time < t:
        raise InvalidArgumentError(f"--declared-T: the program runs T={t} steps on this input, "
                                   f"more than the declared {t_expr} = {time}")
    if memory < span:
        raise InvalidArgumentError(f"--declared-S: the program spans S={span} cells on this "
                                   f"input, more than the declared {s_expr} = {memory}")
    resources = Resources(max(time, 1), memory, ref.counters.processors)
    if model == "mdm":
        con = compile_mdm(program, n, max(time, 1), chosen)
        run_limits = con.limits()
    elif model == "apmdm":
        con = compile_apmdm(program, n, max(memory, n, 1), chosen)
        run_limits = con.limits(resources)
    else:
        con = compile_arm(program, n, chosen)
        run_limits = con.limits(resources)
    params = dict(con.parameters(), file=str(path), inputs=list(inputs), pram_time=t,
                  pram_span=span)
    if declared:
        params.update(declared_T=str(t_expr) if t_expr else None,
                      declared_S=str(s_expr) if s_expr else None)
    schema = con.token_schema()
    try:  # the program text lets a viewer rebuild the decoder without the file
        schema["assembly"] = format_program(program)
    except InvalidProgramError:
        pass  # not expressible in canonical assembly: the viewer shows no decoded state
    return TraceableRun(con.process(), con.initial_canvas(inputs), run_limits,
                        con.process().name, params, con.vocabulary(), schema,
                        answer=decoded_answer(con, ref.output))

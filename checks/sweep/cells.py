"""One sweep cell: a construction run on one program at one size, next to its reference machine.

A :class:`Cell` names a construction (a :class:`SweepConstruction` of :data:`CONSTRUCTIONS`),
a program (a PRAM library program, a PRAM assembly file, or a Turing machine of the TM
library), a size ``n`` and a seed. :func:`run_cell` builds the input (seeded, so every worker
builds the same one), runs the reference machine (PRAM interpreter or Turing machine), compiles
and runs the construction on its generation loop, and returns a :class:`CellResult`: a
JSON-ready record (deterministic: the same bytes whoever runs it) and the wall time (kept apart
from the record, because it is not deterministic).

Every construction is used through its compile function (:mod:`apmdm.constructions.pram.mdm`,
``.apmdm``, ``.arm``, :mod:`apmdm.constructions.tm.arm`, ``.apmdm``; compiled mode: the E-FASP
compiled transformers of :mod:`apmdm.constructions.pram.compiled`, differential-checked against
the reference next-step function on every step by :func:`apmdm.checks.compiled.run_differential`).
The compilers are parameters of :func:`run_cell` (``compilers=``) so tests can feed a
deliberately broken construction.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from apmdm.machines.errors import ApmdmError, InvalidArgumentError
from apmdm.machines.resources import Resources
from apmdm.theory import theorem1 as th1
from apmdm.theory import theorem4 as th4

PRAM, TM = "pram", "tm"
FILE_INPUT_RANGE = 10   # [decision] inputs of an assembly-file program: seeded ints in 0..9


@dataclass(frozen=True, order=True)
class Cell:
    """One (construction, program, n, seed): the unit of work a sweep distributes."""

    construction: str
    program: str
    n: int
    seed: int = 0

    def key(self) -> str:
        return f"{self.construction}|{self.program}|{self.n}|{self.seed}"


@dataclass(frozen=True)
class SweepConstruction:
    """A construction the sweep can run: its theorem, machine kind and bound formulas."""

    name: str
    theorem: str
    kind: str                   # PRAM or TM
    steps_formula: str
    context_formula: str
    description: str


CONSTRUCTIONS: tuple[SweepConstruction, ...] = (
    SweepConstruction("pram-arm", "1", PRAM, "P*T + L + 1", "n + P*T + L + 2",
                      "contrast: chain-of-thought ARM, one slot per step"),
    SweepConstruction("pram-mdm", "1", PRAM, "T + 1", "n + P*T_bound + m",
                      "Theorem 1: PRAM -> MDM, one block of P slots per PRAM step"),
    SweepConstruction("pram-apmdm", "4", PRAM, "2T + 1", "S_bound + 2P",
                      "Theorem 4: PRAM -> AP-MDM, memory edited in place"),
    SweepConstruction("pram-mdm-compiled", "1", PRAM, "T + 1", "n + P*T_bound + m",
                      "Theorem 1 with the compiled transformer as next-step function"),
    SweepConstruction("pram-apmdm-compiled", "4", PRAM, "2T + 1", "S_bound + 2P",
                      "Theorem 4 with the compiled transformer as next-step function"),
    SweepConstruction("tm-arm", "4", TM, "T + 1", "n + T + 2",
                      "contrast: TM -> ARM, one record per TM step (context = time)"),
    SweepConstruction("tm-apmdm", "4", TM, "2T + 2", "n + space + 4",
                      "TM -> AP-MDM, tape edited in place (context = space)"),
)


def construction(name: str) -> SweepConstruction:
    for c in CONSTRUCTIONS:
        if c.name == name:
            return c
    known = ", ".join(c.name for c in CONSTRUCTIONS)
    raise InvalidArgumentError(f"no sweep construction {name!r} (known: {known})")


@dataclass(frozen=True)
class CellResult:
    """A finished cell: its deterministic ``record`` and its wall time in seconds."""

    record: dict[str, Any]
    seconds: float


# --- programs and inputs ----------------------------------------------------------------------


def is_program_file(program: str) -> bool:
    return program.endswith(".pram") or os.sep in program or "/" in program


def pram_instance(program: str, n: int, seed: int):
    """(Program, variant, inputs, declared T bound or None, declared S bound or None)."""
    rng = random.Random(f"{seed}:{program}:{n}")
    if is_program_file(program):
        from apmdm.machines.pram import Variant
        from apmdm.machines.pram.assembly import load_program_file
        prog = load_program_file(program)
        inputs = tuple(rng.randrange(FILE_INPUT_RANGE) for _ in range(n))
        return prog, Variant.CRCW_PRIORITY, inputs, None, None
    from apmdm.machines.pram.library import LIBRARY
    if program not in LIBRARY:
        raise InvalidArgumentError(f"{program!r} is neither a PRAM assembly file nor a library "
                                   f"program (library: {', '.join(sorted(LIBRARY))})")
    lib = LIBRARY[program]
    bounds = lib.bounds.at(n)
    return (lib.program, lib.variant, tuple(lib.make_input(n, rng)), bounds.time,
            max(bounds.memory, 1))


def tm_word(machine_name: str, n: int, seed: int) -> tuple[str, ...]:
    """The TM input of length ``n``: a member of the language for the two recognisers (the
    longest run), seeded random symbols otherwise."""
    from apmdm.machines.tm_library import get_machine
    symbols = sorted(get_machine(machine_name).input_symbols)
    rng = random.Random(f"{seed}:{machine_name}:{n}")
    if machine_name == "zeros-then-ones":
        return tuple("0" * (n // 2) + "1" * (n - n // 2))
    if machine_name == "palindromes":
        half = [rng.choice(symbols) for _ in range(n // 2)]
        middle = [rng.choice(symbols)] if n % 2 else []
        return tuple(half + middle + half[::-1])
    return tuple(rng.choice(symbols) for _ in range(n))


# --- the compilers (parameters, so tests can break one) ---------------------------------------


def default_compilers() -> dict[str, Callable]:
    from apmdm.constructions.pram.apmdm import compile_apmdm
    from apmdm.constructions.pram.arm import compile_arm
    from apmdm.constructions.pram.mdm import compile_mdm
    from apmdm.constructions.tm.apmdm import compile_tm_apmdm
    from apmdm.constructions.tm.arm import compile_tm_arm
    return {"pram-arm": compile_arm, "pram-mdm": compile_mdm, "pram-apmdm": compile_apmdm,
            "tm-arm": compile_tm_arm, "tm-apmdm": compile_tm_apmdm}


# --- running one cell -------------------------------------------------------------------------


def run_cell(cell: Cell, compilers: Mapping[str, Callable] | None = None) -> CellResult:
    """Run ``cell``; a construction error becomes a failed record, never an exception."""
    spec = construction(cell.construction)
    chosen = {**default_compilers(), **(compilers or {})}
    start = time.perf_counter()
    record: dict[str, Any] = {"construction": spec.name, "theorem": spec.theorem,
                              "program": cell.program, "n": cell.n, "seed": cell.seed}
    if spec.kind == PRAM:
        record.update(_run_pram(spec, cell, chosen))
    else:
        record.update(_run_tm(spec, cell, chosen))
    record["bound_formula"] = {"steps": spec.steps_formula, "context": spec.context_formula}
    measured, bound = record["measured"], record["bound"]
    record["ok"] = bool(record["outputs_equal"] and not record["error"]
                        and all(measured[k] <= bound[k] for k in bound))
    return CellResult(_ordered(record), time.perf_counter() - start)


RECORD_KEYS = ("construction", "theorem", "program", "n", "seed", "input_length", "reference",
               "compiled_with", "measured", "bound", "bound_formula", "outputs_equal", "ok",
               "error")


def _ordered(record: dict) -> dict:
    return {k: record[k] for k in RECORD_KEYS}


def _failed(exc: ApmdmError) -> dict:
    return {"measured": {"steps": 0, "context": 0, "tokens_written": 0},
            "outputs_equal": False, "error": f"{type(exc).__name__}: {exc}"}


def _run_pram(spec: SweepConstruction, cell: Cell, compilers: Mapping[str, Callable]) -> dict:
    from apmdm.machines.pram import PRAM as PramMachine
    program, variant, inputs, t_declared, s_declared = pram_instance(cell.program, cell.n,
                                                                     cell.seed)
    ref = PramMachine(program, variant).run(inputs)
    c = ref.counters
    n_in = len(inputs)
    T = t_declared or c.time
    S = s_declared or max(c.memory_span, n_in, 1)
    out: dict[str, Any] = {
        "input_length": n_in,
        "reference": {"T": c.time, "P": c.processors, "S": c.memory_span, "work": c.work},
        "compiled_with": {"T_bound": T, "S_bound": S},
    }
    if spec.theorem == "1" and spec.name == "pram-arm":
        L = program.output_region(n_in)[1]
        out["bound"] = {"steps": th1.arm_steps_bound(c.processors, c.time, L),
                        "context": th1.arm_context_bound(n_in, c.processors, c.time, L)}
    elif spec.theorem == "1":
        out["bound"] = {"steps": th1.mdm_steps_bound(c.time),
                        "context": th1.mdm_context_bound(n_in, c.processors, T,
                                                         program.output_region(n_in)[1])}
    else:
        out["bound"] = {"steps": th4.apmdm_steps_bound(c.time),
                        "context": th4.apmdm_context_bound(S, c.processors)}
    try:
        con, res = _run_pram_construction(spec.name, compilers, program, variant, inputs, T, S)
        got = con.decode(res.final)
        out.update(measured=_measured(res), outputs_equal=got == ref.output, error="")
    except ApmdmError as exc:
        out.update(_failed(exc))
    return out


def _run_pram_construction(name: str, compilers: Mapping[str, Callable], program, variant,
                           inputs: tuple[int, ...], T: int, S: int):
    n = len(inputs)
    if name == "pram-arm":
        con = compilers[name](program, n, variant)
        return con, con.process().run(con.initial_canvas(inputs), con.limits(Resources(T, S)))
    if name == "pram-mdm":
        con = compilers[name](program, n, T, variant)
        return con, con.process().run(con.initial_canvas(inputs), con.limits())
    if name == "pram-apmdm":
        con = compilers[name](program, n, S, variant)
        return con, con.process().run(con.initial_canvas(inputs), con.limits(Resources(T, S)))
    return _run_compiled(name, compilers, program, variant, inputs, T, S)


def _run_compiled(name: str, compilers: Mapping[str, Callable], program, variant,
                  inputs: tuple[int, ...], T: int, S: int):
    """The compiled transformer as f, differentially checked against the reference f at every
    step; its word size comes from n and the bounds only (never from the instance)."""
    from apmdm.checks.compiled import run_differential
    from apmdm.constructions.pram.compiled.apmdm import compile_apmdm_efasp
    from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
    from apmdm.machines.process import Model
    n = len(inputs)
    if name == "pram-mdm-compiled":
        con = compilers.get(name, compile_mdm_efasp)(program, n, T, variant, S)
        res = run_differential(Model.MDM, con.reference.next_step, con.compiled,
                               con.initial_canvas(inputs), con.limits(), name)
        return con, res
    con = compilers.get(name, compile_apmdm_efasp)(program, n, S, T, variant)
    res = run_differential(Model.APMDM, con.reference.next_step, con.compiled,
                           con.initial_canvas(inputs), con.limits(Resources(T, S)), name)
    return con, res


def _measured(res) -> dict[str, int]:
    return {"steps": res.counters.steps, "context": res.counters.max_context,
            "tokens_written": res.counters.tokens_written}


def _run_tm(spec: SweepConstruction, cell: Cell, compilers: Mapping[str, Callable]) -> dict:
    from apmdm.machines.tm_library import get_machine
    machine = get_machine(cell.program)
    word = tm_word(cell.program, cell.n, cell.seed)
    ref = machine.run(word)
    n = len(word)
    out: dict[str, Any] = {"input_length": n, "reference": {"T": ref.steps, "space": ref.space},
                           "compiled_with": {}}
    if spec.name == "tm-arm":
        out["bound"] = {"steps": th4.tm_arm_steps_bound(ref.steps),
                        "context": th4.tm_arm_context_bound(n, ref.steps)}
    else:
        out["bound"] = {"steps": th4.tm_apmdm_steps_bound(ref.steps),
                        "context": th4.tm_apmdm_context_bound(n, ref.space)}
    try:
        if spec.name == "tm-arm":
            con = compilers[spec.name](machine, n)
        else:
            con = compilers[spec.name](machine, n)
        res = con.process().run(con.initial_canvas(word), con.limits(Resources.of_tm(ref)))
        got = con.decode(res.final)
        out.update(measured=_measured(res), outputs_equal=got == (ref.state, ref.output),
                   error="")
    except ApmdmError as exc:
        out.update(_failed(exc))
    return out

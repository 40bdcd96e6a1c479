"""One call from a program to a checked simulation: :func:`simulate`.

In the spirit of tracr's ``compile_rasp_to_model``: give a PRAM program (or a Turing machine)
and its input, name the generation process, get back the run, the reference machine's result
and the measured steps and context held against the theorem's bound::

    import apmdm
    from apmdm.machines.pram.assembly import load_program_file

    sim = apmdm.simulate(load_program_file("examples/pram/double.pram"), [3, 1, 4, 1],
                         model="ap-mdm")
    assert sim.ok and sim.output == sim.expected

The passes are always the same, and each is one call on the construction's common interface
(:class:`apmdm.constructions.interface.Construction`):

1. run the reference machine (the PRAM interpreter or the Turing machine) and read its
   :class:`~apmdm.machines.resources.Resources`;
2. compile the construction for the input length (Theorem 1's MDM, Theorem 4's AP-MDM, the
   ARM contrast; ``compiled=True``: the next-step function is the compiled exact transformer);
3. run the generation process from ``initial_canvas`` within ``limits(resources)``;
4. ``decode`` the final canvas and compare it with the reference output;
5. hold the measured steps and context against ``bound(resources)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.resources import Resources

MODELS = ("mdm", "ap-mdm", "arm")


@dataclass(frozen=True)
class Simulation:
    """What :func:`simulate` returns.

    ``run`` is the generation run (:class:`~apmdm.machines.process.RunResult`, with its
    counters and stop reason), ``reference`` the reference machine's result, ``output`` the
    answer decoded from the final canvas and ``expected`` the reference machine's answer.
    ``measured`` and ``bound`` map ``"steps"`` and ``"context"`` to integers.
    """

    construction: str
    model: str
    compiled: bool
    run: Any
    reference: Any
    resources: Resources
    output: Any
    expected: Any
    measured: dict[str, int]
    bound: dict[str, int]

    @property
    def outputs_equal(self) -> bool:
        return self.output == self.expected

    @property
    def within_bound(self) -> bool:
        return all(self.measured[k] <= self.bound[k] for k in self.bound)

    @property
    def ok(self) -> bool:
        return self.outputs_equal and self.within_bound

    def summary(self) -> str:
        parts = [f"{m} {self.measured[m]} (bound {self.bound[m]})" for m in self.bound]
        verdict = "ok" if self.ok else "FAIL"
        return (f"{self.construction}: output {'=' if self.outputs_equal else '!='} reference; "
                f"{', '.join(parts)}: {verdict}")


def simulate(machine: Any, inputs: Sequence[Any], model: str = "ap-mdm",
             compiled: bool = False) -> Simulation:
    """Simulate ``machine`` on ``inputs`` with the generation process ``model``.

    ``machine``: a PRAM :class:`~apmdm.machines.pram.Program` (run under Priority-CRCW), a
    library program (:class:`~apmdm.machines.pram.library.LibraryProgram`, with its variant),
    the name of a library program, or a :class:`~apmdm.machines.turing.TuringMachine` (inputs:
    a word). ``model``: ``"mdm"`` (Theorem 1), ``"ap-mdm"`` (Theorem 4) or ``"arm"`` (the
    chain-of-thought contrast). ``compiled``: use the compiled exact transformer as the
    next-step function (PRAM programs under ``mdm`` / ``ap-mdm``).
    """
    from apmdm.machines.turing import TuringMachine

    key = model.replace("-", "").replace("_", "").lower()
    spelled = {m.replace("-", ""): m for m in MODELS}
    if key not in spelled:
        raise InvalidArgumentError(f"unknown model {model!r}; choose from {', '.join(MODELS)}")
    model = spelled[key]
    if isinstance(machine, TuringMachine):
        if compiled:
            raise InvalidArgumentError("compiled=True: Turing-machine constructions have no "
                                       "compiled transformer")
        return _simulate_tm(machine, tuple(inputs), model)
    return _simulate_pram(machine, tuple(inputs), model, compiled)


def _pram_program(machine: Any) -> tuple[Any, Any]:
    """(program, variant) from a Program, a LibraryProgram or a library name."""
    from apmdm.machines.pram import Program, Variant
    from apmdm.machines.pram.library import get_program

    if isinstance(machine, str):
        machine = get_program(machine)
    if isinstance(machine, Program):
        return machine, Variant.CRCW_PRIORITY
    program, variant = getattr(machine, "program", None), getattr(machine, "variant", None)
    if isinstance(program, Program) and isinstance(variant, Variant):
        return program, variant
    raise InvalidArgumentError(f"simulate: expected a PRAM Program, a library program, its name "
                               f"or a TuringMachine, got {type(machine).__name__}")


def _simulate_pram(machine: Any, inputs: tuple, model: str, compiled: bool) -> Simulation:
    from apmdm.machines.pram import PRAM

    program, variant = _pram_program(machine)
    reference = PRAM(program, variant).run(inputs)
    resources = Resources.of_pram(reference.counters)
    con = _compile_pram(program, variant, inputs, resources, model, compiled)
    run = con.process().run(con.initial_canvas(inputs), con.limits(resources))
    return _result(con, model, compiled, run, reference, resources, reference.output)


def _compile_pram(program: Any, variant: Any, inputs: tuple, resources: Resources, model: str,
                  compiled: bool) -> Any:
    n = len(inputs)
    memory = max(resources.space, n, 1)
    time = max(resources.time, 1)
    if compiled:
        if model == "mdm":
            from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
            return compile_mdm_efasp(program, n, time, variant, memory)
        if model == "ap-mdm":
            from apmdm.constructions.pram.compiled.apmdm import compile_apmdm_efasp
            return compile_apmdm_efasp(program, n, memory, time, variant)
        raise InvalidArgumentError("compiled=True: the ARM contrast has no compiled transformer")
    if model == "mdm":
        from apmdm.constructions.pram.mdm import compile_mdm
        return compile_mdm(program, n, time, variant)
    if model == "ap-mdm":
        from apmdm.constructions.pram.apmdm import compile_apmdm
        return compile_apmdm(program, n, memory, variant)
    from apmdm.constructions.pram.arm import compile_arm
    return compile_arm(program, n, variant)


def _simulate_tm(machine: Any, word: tuple, model: str) -> Simulation:
    reference = machine.run(word)
    resources = Resources.of_tm(reference)
    if model == "arm":
        from apmdm.constructions.tm.arm import compile_tm_arm
        con = compile_tm_arm(machine, len(word))
    elif model == "ap-mdm":
        from apmdm.constructions.tm.apmdm import compile_tm_apmdm
        con = compile_tm_apmdm(machine, len(word))
    else:
        raise InvalidArgumentError("Turing machines compile to 'arm' or 'ap-mdm', not 'mdm'")
    run = con.process().run(con.initial_canvas(word), con.limits(resources))
    return _result(con, model, False, run, reference, resources,
                   (reference.state, reference.output))


def _result(con: Any, model: str, compiled: bool, run: Any, reference: Any,
            resources: Resources, expected: Any) -> Simulation:
    return Simulation(
        construction=con.process().name, model=model, compiled=compiled, run=run,
        reference=reference, resources=resources, output=con.decode(run.final), expected=expected,
        measured={"steps": run.counters.steps, "context": run.counters.max_context},
        bound=con.bound(resources))

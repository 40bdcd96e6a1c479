"""Trace targets for Theorems 5 and 6: ``dyck`` and ``preserve``.

* ``apmdm trace dyck --model ap-mdm --n N --seed S``: one seeded sample of the pair-insertion
  generator for Dyck-2 (joint-draw variant), with words capped at length N (N even; the run
  stops by EOS).
* ``apmdm trace dyck-per-position --model ap-mdm --n N --seed S``: the same with the
  per-position generator (every position samples its own y and c).
* ``apmdm trace preserve --model ap-mdm|arm --n E --seed S``: a random PRESERVE instance with
  8 initial values and E edit steps, solved by the AP-MDM (in place) or by the ARM replay
  (answering the instance's query).
"""

from __future__ import annotations

from apmdm.checks.trace_target import TraceableRun, TraceTarget
from apmdm.constructions.dyck.apmdm import BOS, EOS, DyckGenerator, sampling_process
from apmdm.constructions.dyck.per_position import SEP, PerPositionDyck, per_position_process
from apmdm.constructions.preserve import (
    PreserveARMReplay,
    apmdm_canvas,
    apmdm_process,
    arm_canvas,
    arm_process,
    random_instance,
    script_tokens,
)
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.process import Limits, Model
from apmdm.theory import theorem5
from apmdm.theory.dyck import alphabet

PRESERVE_N0 = 8
PRESERVE_VALUES = 16  # random_instance's default value range


def _trace_dyck(model: str, n: int, seed: int) -> TraceableRun:
    if model != Model.APMDM.value:
        raise InvalidArgumentError(f"dyck: only the ap-mdm generator can be traced, not {model!r}")
    if n < 0 or n % 2:
        raise InvalidArgumentError(f"dyck: --n is the largest word length, even and >= 0; got {n}")
    gen = DyckGenerator(k=2, max_length=n)
    limits = Limits(theorem5.steps_bound(n) + 1, theorem5.context_bound(n))
    return TraceableRun(sampling_process(gen, seed), gen.initial_canvas(), limits,
                        "dyck-pair-insertion",
                        {"k": 2, "max_length": n, "seed": seed,
                         "stop_probability": f"{gen.stop_num}/{gen.stop_den}"},
                        [BOS, EOS, *alphabet(2)])


def _trace_dyck_per_position(model: str, n: int, seed: int) -> TraceableRun:
    if model != Model.APMDM.value:
        raise InvalidArgumentError(f"dyck-per-position: only the ap-mdm generator can be traced, "
                                   f"not {model!r}")
    if n < 0 or n % 2:
        raise InvalidArgumentError(f"dyck-per-position: --n is the largest word length, even "
                                   f"and >= 0; got {n}")
    gen = PerPositionDyck(k=2, max_length=n)
    limits = Limits(theorem5.per_position_steps_bound(n) + 1,
                    theorem5.per_position_context_bound(n))
    return TraceableRun(per_position_process(gen, seed), gen.initial_canvas(), limits,
                        "dyck-per-position", {"k": 2, "max_length": n, "seed": seed,
                                              "insert_probability": "1/(2g)"},
                        [BOS, SEP, EOS, *alphabet(2)])


def _trace_preserve(model: str, n: int, seed: int) -> TraceableRun:
    if n < 0:
        raise InvalidArgumentError(f"preserve: --n is the number of edit steps, >= 0; got {n}")
    inst = random_instance(seed, PRESERVE_N0, n)
    params = {"n0": PRESERVE_N0, "edits": n, "seed": seed, "query": inst.query}
    longest = PRESERVE_N0 + sum(len(e.insert) for e in inst.edits)
    cells = PRESERVE_VALUES * (n + 1) * longest
    vocab = {"size": cells + len(script_tokens(inst.edits)) + 1 + 1 + (n + 1) * longest
             + cells + 2,
             "description": "upper bound; data cells (value, step, position); SEP; script tokens "
                            "('step',t), ('remask'|'insert'|'delete',t,p), ('fill',t,p,v); "
                            "ARM: ('query',q), ('at',t,p), ('ans',...), EOS"}
    size = len(apmdm_canvas(inst))
    if model == Model.APMDM.value:
        return TraceableRun(apmdm_process(), apmdm_canvas(inst), Limits(n + 8, 2 * size + 16),
                            "preserve-apmdm", params, vocab)
    if model == Model.ARM.value:
        replay = PreserveARMReplay()
        return TraceableRun(arm_process(replay), arm_canvas(replay, inst),
                            Limits(n + 8, size + n + 16), "preserve-arm-replay", params, vocab)
    raise InvalidArgumentError(f"preserve: model {model!r} not available (ap-mdm, arm)")


TRACE_TARGETS = (
    TraceTarget("dyck", (Model.APMDM.value,),
                "Theorem 5: one seeded sample of the Dyck-2 pair-insertion AP-MDM (n = max word "
                "length)", _trace_dyck),
    TraceTarget("dyck-per-position", (Model.APMDM.value,),
                "Theorem 5: one seeded sample of the per-position Dyck-2 AP-MDM (every position "
                "samples its own y and c; n = max word length)", _trace_dyck_per_position),
    TraceTarget("preserve", (Model.APMDM.value, Model.ARM.value),
                "Theorem 6: a random PRESERVE instance with n edit steps, AP-MDM in place or ARM "
                "replay", _trace_preserve),
)

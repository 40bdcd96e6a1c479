"""PRESERVE (Theorem 6): track tokens through AP-MDM edits. OUR RECONSTRUCTION.

[paper] Some constant-depth AP-MDM's generation cannot be simulated by a constant-depth ARM
(or Masked-ARM): positions shift under insert/delete, and tracking which token sits where
after many edits (the PRESERVE problem) is too hard for constant depth.
[decision] The sources do not define PRESERVE. Ours: an instance is an initial canvas (values,
no masks), a sequence of E *edit steps* and a query position q. An edit step is an AP-MDM
step on the data: the positions with the remask / insert / delete bit and a fill value for
every mask that g would read (normal form, checked by :func:`validate_instance`: deletes only
on masks and never together with another bit; every mask not deleted or remasked has a fill;
no fill elsewhere). The answer is the cell at position q after all edits: MASK, or the cell
``(value, step, position)`` saying which step wrote the value at which (pre-step) position
(step 0 = the initial canvas).

Three solvers:

* :func:`oracle_cells` — plain Python list edits (``del``, ``insert`` and assignment, right to
  left), independent of :func:`machines.process.apply_transition`.
* :class:`PreserveAPMDM` — an AP-MDM whose canvas is ``data SEP script``; the script holds, per
  step t, a header ``("step", t)`` then instruction tokens ``("remask"|"insert"|"delete", t, p)``
  and ``("fill", t, p, v)``. Each g-step applies the first live block to the data in place,
  remasks that block and deletes the block remasked one step earlier: E steps, one cleanup
  step and one fixed-point step, i.e. E + 2 steps. Data tokens are wide tokens
  ``(value, step, position)``. Context never exceeds the initial context plus the largest
  number of inserts in one step.
* :class:`PreserveARMReplay` — an ARM cannot rewrite, so the edits stay in its context (its
  prompt ``data SEP script ("query", q)`` is the log) and it answers a query by writing a chain
  ``("at", t, p_t)`` for t = E, E−1, …: the query slot's position before step t, until the
  latest step that wrote the slot (or step 0), then ``("ans", …)`` and EOS. Each chain token
  maps a position back through one step (it reads that step's block).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Model, StepOutput, arm_prompt
from apmdm.machines.tokens import MASK, Canvas

SEP = "SEP"
EOS = "EOS"
Cell = tuple  # (value, step, position) or MASK


@dataclass(frozen=True)
class EditStep:
    """One AP-MDM step on the data canvas, in normal form (sorted tuples of positions)."""

    remask: tuple[int, ...] = ()
    insert: tuple[int, ...] = ()
    delete: tuple[int, ...] = ()
    fills: tuple[tuple[int, int], ...] = ()   # (position, value)

    @property
    def size(self) -> int:
        return len(self.remask) + len(self.insert) + len(self.delete) + len(self.fills)


@dataclass(frozen=True)
class PreserveInstance:
    initial: tuple[int, ...]
    edits: tuple[EditStep, ...]
    query: int


# --- validation and the oracle ----------------------------------------------------------------


def _mask_flags_after(flags: list[bool], e: EditStep) -> list[bool]:
    out: list[bool] = []
    rem, ins, dele = set(e.remask), set(e.insert), set(e.delete)
    for j in range(len(flags)):
        if j in dele:
            continue
        out.append(j in rem)
        if j in ins:
            out.append(True)
    return out


def _check_step(t: int, e: EditStep, flags: list[bool]) -> None:
    n = len(flags)
    for name, ps in (("remask", e.remask), ("insert", e.insert), ("delete", e.delete),
                     ("fill", tuple(p for p, _ in e.fills))):
        if list(ps) != sorted(set(ps)):
            raise InvalidArgumentError(f"edit step {t}: {name} positions not sorted and distinct")
        bad = [p for p in ps if isinstance(p, bool) or not isinstance(p, int) or not 0 <= p < n]
        if bad:
            raise InvalidArgumentError(
                f"edit step {t}: {name} position {bad[0]} outside 0..{n - 1}")
    dele, rem, ins = set(e.delete), set(e.remask), set(e.insert)
    for p in e.delete:
        if not flags[p]:
            raise InvalidArgumentError(f"edit step {t}: delete at position {p}, which is no mask")
        if p in rem or p in ins:
            raise InvalidArgumentError(f"edit step {t}: position {p} deleted and also re/inserted")
    fills = {p for p, _ in e.fills}
    for p, v in e.fills:
        if isinstance(v, bool) or not isinstance(v, int):
            raise InvalidArgumentError(f"edit step {t}: fill value {v!r} at {p} is not an int")
    need = {p for p, m in enumerate(flags) if m and p not in dele and p not in rem}
    if fills != need:
        p = min(fills ^ need)
        raise InvalidArgumentError(
            f"edit step {t}: position {p} " + ("needs a fill" if p in need else "is no open mask"))


def validate_instance(inst: PreserveInstance) -> None:
    """Raise :class:`InvalidArgumentError` naming the step and position of the first problem."""
    if not inst.initial:
        raise InvalidArgumentError("the initial canvas is empty")
    for i, v in enumerate(inst.initial):
        if isinstance(v, bool) or not isinstance(v, int):
            raise InvalidArgumentError(f"initial value {v!r} at position {i} is not an int")
    flags = [False] * len(inst.initial)
    for t, e in enumerate(inst.edits, 1):
        _check_step(t, e, flags)
        flags = _mask_flags_after(flags, e)
    if not 0 <= inst.query < len(flags):
        raise InvalidArgumentError(
            f"query {inst.query} outside the final canvas 0..{len(flags) - 1}")


def oracle_cells(inst: PreserveInstance) -> list:
    """The final cells, by plain list edits from right to left (independent of g)."""
    cells: list = [(v, 0, i) for i, v in enumerate(inst.initial)]
    for t, e in enumerate(inst.edits, 1):
        rem, ins, dele, fills = set(e.remask), set(e.insert), set(e.delete), dict(e.fills)
        for j in range(len(cells) - 1, -1, -1):
            if j in dele and cells[j] is MASK:
                del cells[j]
                continue
            if j in ins:
                cells.insert(j + 1, MASK)
            if j in rem:
                cells[j] = MASK
            elif cells[j] is MASK:
                cells[j] = (fills[j], t, j)
    return cells


def oracle_answer(inst: PreserveInstance):
    return oracle_cells(inst)[inst.query]


# --- instances --------------------------------------------------------------------------------


def random_instance(seed: int, n0: int, steps: int, max_ops: int = 2,
                    remask_percent: int = 10, values: int = 16) -> PreserveInstance:
    """A random valid instance. Each step touches 1..max_ops random decoded positions (insert
    a mask after it, or with ``remask_percent`` % remask it) and resolves every mask left by
    the previous step (delete it or fill it, half and half)."""
    if n0 < 1 or steps < 0 or max_ops < 1 or not 0 <= remask_percent <= 100:
        raise InvalidArgumentError("need n0 >= 1, steps >= 0, max_ops >= 1, 0 <= remask% <= 100")
    rng = random.Random(seed)
    initial = tuple(rng.randrange(values) for _ in range(n0))
    flags = [False] * n0
    edits = []
    for _ in range(steps):
        masks = [p for p, m in enumerate(flags) if m]
        dele = sorted(p for p in masks if rng.randrange(2))
        decoded = [p for p, m in enumerate(flags) if not m]
        touched = rng.sample(decoded, min(len(decoded), rng.randint(1, max_ops)))
        rem = sorted(p for p in touched if rng.randrange(100) < remask_percent)
        ins = sorted(p for p in touched if p not in rem)
        if len(flags) - len(dele) + len(ins) == 0:
            dele = dele[1:]  # keep the canvas non-empty: fill that mask instead
        fills = tuple((p, rng.randrange(values)) for p in masks if p not in dele)
        e = EditStep(tuple(rem), tuple(ins), tuple(dele), fills)
        edits.append(e)
        flags = _mask_flags_after(flags, e)
    query = rng.randrange(len(flags))
    return PreserveInstance(initial, tuple(edits), query)


# --- the canvas encoding ----------------------------------------------------------------------


def script_tokens(edits: Sequence[EditStep]) -> tuple:
    out: list = []
    for t, e in enumerate(edits, 1):
        out.append(("step", t))
        out.extend(("remask", t, p) for p in e.remask)
        out.extend(("insert", t, p) for p in e.insert)
        out.extend(("delete", t, p) for p in e.delete)
        out.extend(("fill", t, p, v) for p, v in e.fills)
    return tuple(out)


def apmdm_canvas(inst: PreserveInstance) -> Canvas:
    data = tuple((v, 0, i) for i, v in enumerate(inst.initial))
    return data + (SEP,) + script_tokens(inst.edits)


def parse_block(tokens: Sequence) -> EditStep:
    """The edit step of one block of instruction tokens (header excluded)."""
    rem, ins, dele, fills = [], [], [], []
    for tok in tokens:
        kind = tok[0]
        if kind == "remask":
            rem.append(tok[2])
        elif kind == "insert":
            ins.append(tok[2])
        elif kind == "delete":
            dele.append(tok[2])
        elif kind == "fill":
            fills.append((tok[2], tok[3]))
        else:
            raise ConstructionError(f"unknown PRESERVE instruction {tok!r}")
    return EditStep(tuple(sorted(rem)), tuple(sorted(ins)), tuple(sorted(dele)),
                    tuple(sorted(fills)))


# --- the AP-MDM -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PreserveAPMDM:
    """Carries out one edit block per g-step, in place. Pure in the canvas."""

    name: str = "preserve-apmdm"

    def block_edit(self, block: Sequence) -> EditStep:
        """Hook: how a block's instructions are read (tests override it to break it)."""
        return parse_block(block)

    def next_step(self, canvas: Canvas) -> StepOutput:
        try:
            s = canvas.index(SEP)
        except ValueError:
            raise ConstructionError("PRESERVE canvas has no SEP") from None
        consumed = [i for i in range(s + 1, len(canvas)) if canvas[i] is MASK]
        live = [i for i in range(s + 1, len(canvas)) if canvas[i] is not MASK]
        data_masks = [i for i in range(s) if canvas[i] is MASK]
        if not live:  # cleanup, then a fixed point; open data masks stay masked
            return StepOutput({}, remask=frozenset(data_masks), delete=frozenset(consumed))
        head = canvas[live[0]]
        if head[0] != "step":
            raise ConstructionError(f"PRESERVE script block starts with {head!r}, not a header")
        t = head[1]
        block = [i for i in live if canvas[i][1] == t]
        e = self.block_edit([canvas[i] for i in block[1:]])
        for p in e.remask + e.insert + e.delete + tuple(p for p, _ in e.fills):
            if not 0 <= p < s:
                raise ConstructionError(f"step {t}: position {p} outside the data (0..{s - 1})")
        fills = {p: (v, t, p) for p, v in e.fills}
        open_masks = [p for p in data_masks if p not in fills and p not in e.delete]
        return StepOutput(fills,
                          remask=frozenset(e.remask).union(open_masks, block),
                          insert=frozenset(e.insert),
                          delete=frozenset(e.delete).union(consumed))


def apmdm_process(solver: PreserveAPMDM = PreserveAPMDM()) -> GenerationProcess:
    return GenerationProcess(Model.APMDM, solver.next_step, name=solver.name)


def final_data(canvas: Canvas) -> list:
    """The data region of a finished AP-MDM canvas (everything before SEP)."""
    return list(canvas[:canvas.index(SEP)])


# --- the ARM replay ---------------------------------------------------------------------------


def step_back(e: EditStep, t: int, pos: int):
    """Map slot ``pos`` after step t back through ``e``: ("kept", j) if it is old slot j and
    step t left its content alone, else ("written", cell) with the cell step t put there."""
    events = sorted(set(e.insert) | set(e.delete))
    offset = 0  # new index - old index for old slots before the current event
    fills = dict(e.fills)
    rem = set(e.remask)
    dele = set(e.delete)
    for ev in events:
        if pos < ev + offset or (pos == ev + offset and ev not in dele):
            break
        if ev in dele:
            offset -= 1
        else:  # insert after ev: slot ev + offset + 1 is the new mask
            if pos == ev + offset + 1:
                return "written", MASK
            offset += 1
    j = pos - offset
    if j in rem:
        return "written", MASK
    if j in fills:
        return "written", (fills[j], t, j)
    return "kept", j


def backward_chain(inst: PreserveInstance, query: int, skip: frozenset = frozenset()):
    """(answer, positions visited) by mapping ``query`` back step by step."""
    pos = query
    visited = [pos]
    for t in range(len(inst.edits), 0, -1):
        kind, val = step_back(inst.edits[t - 1], t, pos)
        if kind == "written":
            return val, visited
        pos = val
        visited.append(pos)
    return (inst.initial[pos], 0, pos), visited


@dataclass(frozen=True)
class PreserveARMReplay:
    """The ARM: prompt ``data SEP script ("query", q)``, then the chain, the answer, EOS."""

    name: str = "preserve-arm-replay"

    def prompt(self, inst: PreserveInstance, query: int | None = None) -> Canvas:
        q = inst.query if query is None else query
        return apmdm_canvas(inst) + (("query", q),)

    def block_edit(self, block: Sequence) -> EditStep:
        """Hook: how a logged block is read (tests override it to break it)."""
        return parse_block(block)

    def next_step(self, canvas: Canvas) -> StepOutput:
        last = len(canvas) - 1
        qi = next((i for i in range(last - 1, -1, -1)
                   if isinstance(canvas[i], tuple) and canvas[i][:1] == ("query",)), None)
        if qi is None:
            raise ConstructionError("ARM replay prompt has no query token")
        s = canvas.index(SEP)
        script = canvas[s + 1:qi]
        steps = sum(1 for tok in script if tok[0] == "step")
        generated = canvas[qi + 1:last]
        if not generated:
            tok = ("at", steps, canvas[qi][1])
        elif generated[-1][0] == "ans":
            return StepOutput({last: EOS})
        else:
            _, t, pos = generated[-1]
            if t == 0:
                v, _, i = canvas[pos]
                tok = ("ans", v, 0, i)
            else:
                block = [x for x in script if x[1] == t and x[0] != "step"]
                kind, val = step_back(self.block_edit(block), t, pos)
                if kind == "kept":
                    tok = ("at", t - 1, val)
                else:
                    tok = ("ans", "mask") if val is MASK else ("ans",) + tuple(val)
        return StepOutput({last: tok}, insert=frozenset((last,)))

    def answer_of(self, final: Canvas):
        ans = final[-2]
        if not (isinstance(ans, tuple) and ans[0] == "ans"):
            raise ConstructionError(f"ARM replay did not end with an answer: {ans!r}")
        return MASK if ans[1:] == ("mask",) else tuple(ans[1:])


def arm_process(replay: PreserveARMReplay = PreserveARMReplay()) -> GenerationProcess:
    return GenerationProcess(Model.ARM, replay.next_step, eos=EOS, name=replay.name)


def arm_canvas(replay: PreserveARMReplay, inst: PreserveInstance, query: int | None = None):
    return arm_prompt(replay.prompt(inst, query))

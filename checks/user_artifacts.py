"""`apmdm check` on a user's own artifacts: a PRAM program, a Turing machine, Sudoku puzzles,
a graph.

Each artifact becomes one or more :class:`~apmdm.checks.suite.CheckSuite` objects that `apmdm
check` runs exactly like the built-in ones (same table, JSON, exit status). All files are read
and validated *before* any suite runs, so a malformed file is a one-line error (exit 2), not a
failed row.

* ``--program FILE.pram`` with theorems 1 (pram-mdm, and the pram-arm contrast) and 4
  (pram-apmdm): one row per input and construction, built by the Theorem 1 / 4 runners
  (:func:`apmdm.checks.theorem1.mdm_runner`, ...) through :func:`check_case`. Inputs: ``--n``
  sizes with seeded random inputs (values 0..99 [decision]) or ``--inputs FILE``.
  ``--declared-T EXPR`` / ``--declared-S EXPR`` (size expressions in n, parsed by
  :mod:`apmdm.machines.pram.expr`, never evaluated as Python) are the user's claimed bounds:
  the constructions are compiled with them (the MDM canvas for T(n) steps, the AP-MDM memory
  of S(n) cells) and each row also holds the PRAM's measured T and S against them
  (metrics ``pram_T`` and ``pram_S``); a row whose T exceeds T(n) fails and names its input.
* ``--tm FILE.json`` with theorem 4 (tm-arm, tm-apmdm): one row per word, via
  :func:`apmdm.simulate` (``--words FILE`` or ``--random-words N`` per ``--n`` length).
* ``--sudoku FILE`` / ``--graph FILE`` with the task suite (theorem id ``task``): one row per
  puzzle (answer checked against an independent solver) / for the graph (deleted edges =
  networkx's minimum cut, s and t disconnected, a subgraph of the input).
"""

from __future__ import annotations

import dataclasses
import os
import random
from collections.abc import Sequence
from dataclasses import dataclass

from apmdm.checks.pram_cases import PramCase, Runner, check_case
from apmdm.checks.suite import Category, CheckOptions, CheckRow, CheckSuite, labelled
from apmdm.machines.errors import ApmdmError, InvalidArgumentError, InvalidProgramError
from apmdm.machines.pram.expr import SizeExpr, parse_size_expr

MAX_SIZES = 1_000
MAX_N = 100_000
MAX_RANDOM_WORDS = 10_000
INPUT_VALUES = (0, 99)          # random PRAM input values [decision]
TM_LENGTHS = (4, 8, 16)         # default word lengths for --random-words
TASK = "task"


# --- command-line values ---------------------------------------------------------------------


def parse_sizes(text: str) -> tuple[int, ...]:
    """``"4..64"`` (as in `apmdm sweep`: the powers of two between A and B, plus A and B),
    ``"4,8,12"`` (exactly these), or a mix such as ``"0,4..64"``."""
    sizes: list[int] = []
    for part in text.split(","):
        part = part.strip()
        lo, sep, hi = part.partition("..")
        if not _is_int(lo) or (sep and not _is_int(hi)):
            raise InvalidArgumentError(f"--n: {part!r} is not a size N or a range A..B")
        a, b = int(lo), int(hi) if sep else int(lo)
        if not 0 <= a <= b <= MAX_N:
            raise InvalidArgumentError(f"--n: {part!r} must satisfy 0 <= A <= B <= {MAX_N}")
        sizes.extend({a, b} | {1 << k for k in range(b.bit_length()) if a <= 1 << k <= b})
        if len(sizes) > MAX_SIZES:
            raise InvalidArgumentError(f"--n: more than {MAX_SIZES} sizes")
    return tuple(sorted(set(sizes)))


def _is_int(text: str) -> bool:
    return text.isdigit() and len(text) <= 9


def parse_declared(text: str, flag: str) -> SizeExpr:
    """A declared bound: a size expression in n (``n``, ``2*clog2(n) + 3``, ``n^2``, with
    ``**`` accepted for ``^``), parsed by the project's own expression parser."""
    try:
        return parse_size_expr(text.replace("**", "^"))
    except InvalidProgramError as exc:
        raise InvalidArgumentError(f"{flag}: {exc}") from None


def evaluate(expr: SizeExpr, n: int, flag: str) -> int:
    try:
        return expr.evaluate(n)
    except InvalidProgramError as exc:
        raise InvalidArgumentError(f"{flag}: {exc}") from None


def describe_input(values: Sequence, limit: int = 16) -> str:
    shown = ",".join(str(v) for v in list(values)[:limit])
    return (shown + f",... ({len(values)} items)") if len(values) > limit else (shown or "(empty)")


# --- PRAM programs ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Declared:
    """The user's declared T(n) and S(n) (either may be absent)."""

    time: SizeExpr | None = None
    space: SizeExpr | None = None


@dataclass(frozen=True)
class UserInput:
    where: str              # "random input (seed 0)" or "inputs.txt:3"
    values: tuple[int, ...]


def random_inputs(label: str, sizes: Sequence[int], seed: int) -> list[UserInput]:
    out = []
    for n in sizes:
        rng = random.Random(f"{seed}:{label}:{n}")
        out.append(UserInput(f"random input (seed {seed})",
                             tuple(rng.randint(*INPUT_VALUES) for _ in range(n))))
    return out


def pram_case(label: str, program, variant, item: UserInput, declared: Declared) -> PramCase:
    n = len(item.values)
    time = evaluate(declared.time, n, "--declared-T") if declared.time else None
    space = evaluate(declared.space, n, "--declared-S") if declared.space else None
    return PramCase(label, program, item.values, variant, n, time, space)


def user_pram_row(theorem: str, construction: str, case: PramCase, runner: Runner,
                  item: UserInput, declared: Declared) -> CheckRow:
    """:func:`check_case`, plus the declared bounds as metrics and the input named."""
    try:
        c = case.reference().counters
    except ApmdmError as exc:   # the program itself fails on this input
        return CheckRow(theorem, construction, case.label, case.size, False,
                        {"steps": 0, "context": 0}, {"steps": 0, "context": 0}, 1, False,
                        f"{item.where} {describe_input(item.values)}: the PRAM "
                        f"interpreter failed: {type(exc).__name__}: {exc}")
    row = check_case(theorem, construction, case, runner)
    measured, bound = dict(row.measured), dict(row.bound)
    notes = []
    for metric, value, limit, text in (("pram_T", c.time, case.time_bound, declared.time),
                                       ("pram_S", c.memory_span, case.memory_bound,
                                        declared.space)):
        if text is None:
            continue
        measured[metric], bound[metric] = value, limit
        if value > limit:
            notes.append(f"PRAM {metric[-1]}={value} exceeds the declared {text} = {limit}")
    ok = row.ok and not notes
    detail = (f"{item.where} {describe_input(item.values)}: {row.detail}"
              + "".join(f"; {n}" for n in notes))
    return dataclasses.replace(row, ok=ok, measured=measured, bound=bound, detail=detail)


def _pram_runners(theorems: Sequence[str]) -> list[tuple[str, str, Runner, str]]:
    """(theorem, construction, runner, claim) of the built-in suites, for ``theorems``."""
    from apmdm.checks import theorem1, theorem4

    out = []
    if "1" in theorems:
        out += [(theorem1.THEOREM, theorem1.MDM_NAME, theorem1.mdm_runner(), theorem1.MDM_CLAIM),
                (theorem1.THEOREM, theorem1.ARM_NAME, theorem1.arm_runner(), theorem1.ARM_CLAIM)]
    if "4" in theorems:
        out.append((theorem4.THEOREM, theorem4.APMDM_NAME, theorem4.apmdm_runner(),
                    theorem4.APMDM_CLAIM))
    return out


def pram_suites(path: str, theorems: Sequence[str], variant_text: str | None,
                items: list[UserInput], declared: Declared) -> list[CheckSuite]:
    """One suite per construction of ``theorems`` (1 and/or 4) for the program in ``path``."""
    from apmdm.machines.pram import Variant
    from apmdm.machines.pram.assembly import load_program_file

    program = load_program_file(path)
    variant = Variant.parse(variant_text) if variant_text else Variant.CRCW_PRIORITY
    label = os.path.basename(path)
    cases = [(pram_case(label, program, variant, item, declared), item) for item in items]
    suites = []
    extra = "".join(f"; PRAM {m} <= declared {e}" for m, e in (("T", declared.time),
                                                                 ("S", declared.space)) if e)
    for theorem, name, runner, claim in _pram_runners(theorems):
        def run(_options: CheckOptions, theorem=theorem, name=name, runner=runner,
                claim=claim + extra):
            return labelled([user_pram_row(theorem, name, case, runner, item, declared)
                             for case, item in cases], Category.SCHEDULE, claim)
        suites.append(CheckSuite(theorem, name, f"{name} on {label}", run))
    return suites


# --- Turing machines -------------------------------------------------------------------------


def random_words(machine, lengths: Sequence[int], count: int, seed: int) -> list[tuple[str, tuple]]:
    if not 1 <= count <= MAX_RANDOM_WORDS:
        raise InvalidArgumentError(f"--random-words must be 1..{MAX_RANDOM_WORDS}, got {count}")
    symbols = sorted(machine.input_symbols)
    out = []
    for n in lengths:
        rng = random.Random(f"{seed}:{machine.name}:{n}")
        for k in range(count):
            out.append((f"random word {k + 1} (seed {seed})",
                        tuple(rng.choice(symbols) for _ in range(n))))
    return out


def tm_row(construction: str, machine, label: str, where: str, word: tuple) -> CheckRow:
    """Simulate ``machine`` on ``word`` with the ARM or AP-MDM construction (theorem 4)."""
    from apmdm.facade import simulate

    model = "arm" if construction == "tm-arm" else "ap-mdm"
    shown = ",".join(word) if any(len(s) > 1 for s in word) else "".join(word)
    try:
        sim = simulate(machine, word, model)
    except ApmdmError as exc:
        return CheckRow("4", construction, label, len(word), False, {"steps": 0, "context": 0},
                        {"steps": 0, "context": 0}, 1, False,
                        f"{where}: word {shown or '(empty)'}; {type(exc).__name__}: {exc}")
    ref = sim.reference
    detail = (f"{where}: word {shown or '(empty)'}: TM {ref.halt} in state {ref.state}, "
              f"steps={ref.steps} space={ref.space}"
              + ("" if sim.outputs_equal else "; decoded answer differs from the TM's"))
    return CheckRow("4", construction, label, len(word), sim.ok, dict(sim.measured),
                    dict(sim.bound), 1, sim.outputs_equal, detail)


def tm_suites(path: str, machine, words: list[tuple[str, tuple]]) -> list[CheckSuite]:
    from apmdm.checks.theorem4 import TM_CLAIMS

    label = os.path.basename(path)
    suites = []
    for name in ("tm-arm", "tm-apmdm"):
        def run(_options: CheckOptions, name=name):
            return labelled([tm_row(name, machine, label, where, word) for where, word in words],
                            Category.SCHEDULE, TM_CLAIMS[name])
        suites.append(CheckSuite("4", name, f"{name} on {label}", run))
    return suites


# --- task instances --------------------------------------------------------------------------


def sudoku_row(label: str, line: int, puzzle, process=None) -> CheckRow:
    from apmdm.checks.task_answers import sudoku_answer
    from apmdm.constructions.tasks.sudoku import SUDOKU_PROCESS, sudoku_canvas, sudoku_limits

    m = puzzle.m
    bound = {"context": 4 * m * m}
    try:
        r = (process or SUDOKU_PROCESS).run(sudoku_canvas(puzzle), sudoku_limits(m))
    except ApmdmError as exc:
        return CheckRow(TASK, "sudoku", f"{label}:{line}", m, False, {"context": 0}, bound, 1,
                        False, f"{label}:{line}: {type(exc).__name__}: {exc}")
    decoded, reference, correct = sudoku_answer(puzzle, r.final)
    c = r.counters
    measured = {"steps": c.steps, "context": c.max_context, "tokens_written": c.tokens_written,
                "edits": c.unmasks + c.remasks + c.inserts + c.deletes}
    ok = correct and r.halted and c.max_context <= bound["context"]
    detail = f"{label}:{line}: decoded {decoded}" + ("" if correct else
                                                     f"; WRONG (reference {reference})")
    return CheckRow(TASK, "sudoku", f"{label}:{line}", m, ok, measured, bound, 1, correct, detail)


def mincut_row(label: str, instance, process=None) -> CheckRow:
    from apmdm.checks.tasks import mincut_instance
    from apmdm.constructions.tasks.mincut import MINCUT_PROCESS

    res = mincut_instance(instance, process or MINCUT_PROCESS)
    measured = {"steps": res.steps, "context": res.context, "tokens_written": res.tokens_written,
                "edits": res.edits}
    bound = {"context": res.context_bound}
    if res.step_bound is not None:
        bound["steps"] = res.step_bound
    s, t = instance.names[instance.s], instance.names[instance.t]
    detail = (f"{label}: s={s} t={t}, {instance.n} vertices, {len(instance.edges)} unit arcs"
              + ("" if res.correct else "; WRONG cut") + (f"; {res.note}" if res.note else ""))
    return CheckRow(TASK, "mincut", label, instance.n, res.correct and res.within, measured,
                    bound, 1, res.correct, detail)


def task_suites(sudoku_path: str | None, graph_path: str | None, source: str | None,
                sink: str | None) -> list[CheckSuite]:
    from apmdm.checks.instance_files import graph_instance, read_graph_file, read_sudoku_file

    suites = []
    if sudoku_path:
        puzzles = read_sudoku_file(sudoku_path)
        label = os.path.basename(sudoku_path)
        suites.append(CheckSuite(TASK, "sudoku", f"sudoku on {label}", lambda _o: labelled(
            [sudoku_row(label, line, p) for line, p in puzzles], Category.SCHEDULE,
            "final board a valid solution (or unsolvable, as the reference solver finds); "
            "context = 4m^2")))
    if graph_path:
        instance = graph_instance(read_graph_file(graph_path), source, sink)
        glabel = os.path.basename(graph_path)
        suites.append(CheckSuite(TASK, "mincut", f"mincut on {glabel}", lambda _o: labelled(
            [mincut_row(glabel, instance)], Category.SCHEDULE,
            "deleted edges = networkx min-cut value, s cannot reach t, a subgraph; "
            "steps <= F(2N+1) + 2N + 3, context <= initial + N + E")))
    return suites


# --- from the command line -------------------------------------------------------------------

PRAM_THEOREMS, TM_THEOREMS, TASK_THEOREMS = ("1", "4"), ("4",), (TASK, "tasks")


def _theorems(given: Sequence[str], allowed: Sequence[str], what: str) -> list[str]:
    bad = [t for t in given if t not in allowed]
    if bad:
        raise InvalidArgumentError(f"{what} checks theorem(s) {', '.join(allowed)}, not {bad[0]!r}")
    return list(given) or list(allowed)


def artifact_options(args) -> dict:
    """The user-artifact options given on the command line (for the run's provenance)."""
    keys = ("program", "n", "inputs", "variant", "declared_T", "declared_S", "tm", "words",
            "random_words", "sudoku", "graph", "source", "sink")
    return {k: getattr(args, k) for k in keys if getattr(args, k, None) is not None}


def has_user_artifact(args) -> bool:
    """True iff an artifact option is given; an artifact's option without it is an error."""
    if any(getattr(args, k, None) for k in ("program", "tm", "sudoku", "graph")):
        return True
    _reject_unused(args, [])
    return False


def user_suites(args) -> list[CheckSuite]:
    """The suites for the artifacts named on the command line (files read and validated now)."""
    chosen = [k for k in ("program", "tm", "sudoku", "graph") if getattr(args, k)]
    if "program" in chosen and len(chosen) > 1 or "tm" in chosen and len(chosen) > 1:
        raise InvalidArgumentError("check one artifact at a time: --program, --tm, or "
                                   "--sudoku/--graph")
    _reject_unused(args, chosen)
    if args.program:
        theorems = _theorems(args.theorems, PRAM_THEOREMS, "--program")
        if (args.n is None) == (args.inputs is None):
            raise InvalidArgumentError("--program: give the input sizes with --n 4..64 or the "
                                       "inputs with --inputs FILE (one of them)")
        declared = Declared(
            parse_declared(args.declared_T, "--declared-T") if args.declared_T else None,
            parse_declared(args.declared_S, "--declared-S") if args.declared_S else None)
        if args.inputs:
            from apmdm.checks.instance_files import read_inputs_file
            label = os.path.basename(args.inputs)
            items = [UserInput(f"{label}:{line}", values)
                     for line, values in read_inputs_file(args.inputs)]
        else:
            items = random_inputs(os.path.basename(args.program), parse_sizes(args.n), args.seed)
        return pram_suites(args.program, theorems, args.variant, items, declared)
    if args.tm:
        from apmdm.machines.tm_file import load_tm_file

        _theorems(args.theorems, TM_THEOREMS, "--tm")
        machine = load_tm_file(args.tm)
        if (args.words is None) == (args.random_words is None):
            raise InvalidArgumentError("--tm: give --words FILE or --random-words N (one of them)")
        if args.words:
            from apmdm.checks.instance_files import read_words_file
            label = os.path.basename(args.words)
            words = [(f"{label}:{line}", w) for line, w in read_words_file(args.words, machine)]
        else:
            lengths = parse_sizes(args.n) if args.n else TM_LENGTHS
            words = random_words(machine, lengths, args.random_words, args.seed)
        return tm_suites(args.tm, machine, words)
    _theorems(args.theorems, TASK_THEOREMS, "--sudoku/--graph")
    return task_suites(args.sudoku, args.graph, args.source, args.sink)


def _reject_unused(args, chosen: list[str]) -> None:
    """Options that belong to another artifact are an error, not silently ignored."""
    belongs: dict[str, tuple[str, ...]] = {
        "inputs": ("program",), "variant": ("program",), "declared_T": ("program",),
        "declared_S": ("program",), "words": ("tm",), "random_words": ("tm",),
        "n": ("program", "tm"), "source": ("graph",), "sink": ("graph",)}
    for option, owners in belongs.items():
        if getattr(args, option, None) is not None and not set(owners) & set(chosen):
            flag = "--" + option.replace("_", "-")
            raise InvalidArgumentError(f"{flag} needs {' or '.join('--' + o for o in owners)}")
    if chosen and getattr(args, "compiled", False):
        raise InvalidArgumentError("--compiled is not available for your own artifacts yet")


"""Fuzzing every reader and the CLI with hostile and corrupted inputs.

Five readers: PRAM assembly (through `apmdm run-pram`), Turing machine dicts
(`TuringMachine.from_automata_dict`), traces (`apmdm show`), transitions files
(`apmdm validate-transitions`) and exported weights (`load_transformer`). Inputs are hostile
values (huge or Unicode digits, lone surrogates, deep nesting, control characters, huge sizes)
and single corruptions of valid files the toolkit wrote (a byte flipped, a JSON field replaced,
a line dropped, duplicated or cut). For each input: either a typed error (an ApmdmError; on the
CLI one line on stderr and exit 2, or exit 1 with `file:line: problem` for an inconsistent
transitions line), or acceptance that is provably harmless (the content read equals the
original); no traceback, no output file left, and the input handled within a time bound.

The default run uses a small budget (`FUZZ_EXAMPLES` per reader); the slow set
(`pytest -m slow`) runs `FUZZ_EXAMPLES_SLOW` per reader (2,500 inputs over the five).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import shutil
import tempfile
import time
import zipfile

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from apmdm.checks.cli import main
from apmdm.machines.errors import ApmdmError, InvalidMachineError, MalformedModelFileError
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput
from apmdm.machines.tokens import MASK
from apmdm.machines.trace import read_trace, record_trace, write_trace
from apmdm.machines.transitions import export_transitions
from apmdm.machines.turing import TuringMachine

FUZZ_EXAMPLES = 10
FUZZ_EXAMPLES_SLOW = 500
TIME_BOUND = 10.0  # seconds per input
MEMORY_BOUND_KB = 1024 * 1024  # peak resident memory of the test process: 1 GiB
COUNTS: dict[str, int] = {}


def _count(reader: str) -> None:
    COUNTS[reader] = COUNTS.get(reader, 0) + 1


def _peak_memory_kb() -> int:
    import resource
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux

HOSTILE_VALUES = [
    "1" * 5000, "\ud800", "\x1b[2J\n", "\u0661", "\uff11", True, False, None, -1, 0, 1.5,
    10**26, 2**63, -(2**63), [], {}, [[[[]]]], "x" * 20_000, {"size": -1}, [None], "",
    "\u202e", [1] * 50, "null", "sha256:" + "0" * 64,
]
HOSTILE_JSON_TEXT = ["[" * 900 + "]" * 900, "1" * 5000, '"\\ud800"', "1e999", "NaN",
                     '{"a":' * 600 + "1" + "}" * 600, "\x00", "\ufeff{}", "{}" * 3]
ASSEMBLY_LINES = [
    "pid r0", "halt", "load r1, [r0 - - 2]", "load r1, [r0 + -2]", "store [r0], r1",
    ".processors ((10^64)^64)^2", ".processors 2^62", ".output 0, 10^8", ".output 0, 2^40",
    ".output -1, 3", "const r0, \u0661", "const r0, \uff11", ".registers \u0664",
    "jmp @99999", ".registers 65", ".processors n; drop", "loop: jmp loop", "add r0, r0, r0",
    "div r0, r0, r1", ".name \x1b[2J", "const r0, 1099511627777", "x:", "x:", "nop",
    ".processors " + "(" * 40 + "n" + ")" * 40, ".processors 1" + "0" * 30, "\x00",
    "r0: halt", ".output 0, n", ".processors 1024", "mul r1, r1, r1", "const r1, 65536",
    "addi r0, r0, 1", "jnz r0, loop", "store [r0 + 4194304], r0",
]


def _run_cli(args: list[str]) -> tuple[int, str, float]:
    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        rc = main(args)
    return rc, err.getvalue(), time.monotonic() - start


def _assert_one_line_error(rc: int, err: str, command: str) -> None:
    assert "Traceback" not in err
    if rc == 2:
        lines = [ln for ln in err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith(f"apmdm {command}: error: "), err


# --- valid files to corrupt -----------------------------------------------------------------


def _demo_process():
    def f(canvas):
        if canvas == ("a", MASK, MASK):
            return StepOutput({1: "b"}, frozenset({0, 2}), frozenset({2}))
        return StepOutput({3: "c"}, frozenset(), frozenset(), frozenset({0, 2}))
    return GenerationProcess(Model.APMDM, f)


@pytest.fixture(scope="module")
def valid_files():
    folder = tempfile.mkdtemp(prefix="fuzz-")
    trace = record_trace(_demo_process(), ("a", MASK, MASK), Limits(max_steps=2), "demo",
                         {"seed": 0}, ["a", "b", "c"])
    write_trace(trace, os.path.join(folder, "t.jsonl"))
    from apmdm.constructions.tasks.parity import PARITY_PROCESS, parity_canvas, parity_limits
    export_transitions(PARITY_PROCESS, parity_canvas((1, 0, 1)), parity_limits(3),
                       os.path.join(folder, "x.jsonl"), "parity", {"n": 3})
    from apmdm.constructions.efasp import compile_program
    from apmdm.constructions.efasp.programs import EXAMPLES
    from apmdm.machines.transformer.export import save_transformer
    model = compile_program(EXAMPLES["reverse"][0](4), 4)
    save_transformer(model.spec, os.path.join(folder, "w.npz"))
    files = {name: open(os.path.join(folder, name), "rb").read()
             for name in ("t.jsonl", "x.jsonl", "w.npz")}
    yield files
    shutil.rmtree(folder, ignore_errors=True)


def _mutate_json_lines(data: bytes, rng: random.Random, kind: int) -> bytes:
    lines = data.decode().split("\n")[:-1]
    i = rng.randrange(len(lines))
    if kind == 0:  # flip one byte
        raw = bytearray(data)
        pos = rng.randrange(len(raw))
        raw[pos] ^= 1 << rng.randrange(8)
        return bytes(raw)
    if kind == 1:  # replace one JSON value (at any depth) by a hostile one
        obj = json.loads(lines[i])
        holder, key = obj, rng.choice(sorted(obj))
        while isinstance(holder[key], dict | list) and holder[key] and rng.random() < 0.5:
            holder = holder[key]
            key = rng.choice(sorted(holder)) if isinstance(holder, dict) else \
                rng.randrange(len(holder))
        holder[key] = rng.choice(HOSTILE_VALUES)
        lines[i] = json.dumps(obj, separators=(",", ":"), ensure_ascii=rng.random() < 0.5)
    elif kind == 2:  # a whole line replaced by hostile JSON text
        lines[i] = rng.choice(HOSTILE_JSON_TEXT)
    elif kind == 3:  # drop, duplicate or swap lines
        op = rng.randrange(3)
        if op == 0:
            del lines[i]
        elif op == 1:
            lines.insert(i, lines[i])
        else:
            j = rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
    else:  # cut the file
        return data[:rng.randrange(len(data))]
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


def _fuzz_jsonl(valid_files, name: str, seed: int, kind: int, command: list[str]):
    original = valid_files[name]
    rng = random.Random(seed)
    data = _mutate_json_lines(original, rng, kind)
    folder = tempfile.mkdtemp(prefix="fz-")
    try:
        path = os.path.join(folder, "in.jsonl")
        with open(path, "wb") as fh:
            fh.write(data)
        out = os.path.join(folder, "out.txt")
        args = [command[0], path, *command[1:]] + (["-o", out] if command[0] == "show" else [])
        rc, err, elapsed = _run_cli(args)
        assert elapsed < TIME_BOUND
        _assert_one_line_error(rc, err, command[0])
        if rc != 0:
            assert not os.path.exists(out)
            assert sorted(os.listdir(folder)) == ["in.jsonl"]
        return rc, data
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _equal_traces(a: bytes, b: bytes) -> bool:
    folder = tempfile.mkdtemp(prefix="fz-")
    try:
        pa, pb = os.path.join(folder, "a"), os.path.join(folder, "b")
        open(pa, "wb").write(a)
        open(pb, "wb").write(b)
        return read_trace(pa) == read_trace(pb)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _check_trace(valid_files, seed, kind):
    _count("traces")
    rc, data = _fuzz_jsonl(valid_files, "t.jsonl", seed, kind, ["show"])
    assert rc == 2 or (rc == 0 and _equal_traces(data, valid_files["t.jsonl"]))


def _check_transitions(valid_files, seed, kind):
    _count("transitions")
    rc, data = _fuzz_jsonl(valid_files, "x.jsonl", seed, kind, ["validate-transitions"])
    assert rc in (1, 2) or (rc == 0 and [json.loads(x) for x in data.splitlines()] ==
                            [json.loads(x) for x in valid_files["x.jsonl"].splitlines()])


# --- assembly -------------------------------------------------------------------------------


def _check_assembly(lines: list[str], raw_tail: bytes):
    _count("assembly")
    folder = tempfile.mkdtemp(prefix="fz-")
    try:
        path = os.path.join(folder, "p.pram")
        with open(path, "wb") as fh:
            fh.write("\n".join(lines).encode("utf-8", "surrogatepass") + raw_tail)
        trace = os.path.join(folder, "t.jsonl")
        rc, err, elapsed = _run_cli(["run-pram", path, "--input", "3,1,2", "--max-work",
                                     "20000", "--trace", trace])
        assert elapsed < TIME_BOUND
        _assert_one_line_error(rc, err, "run-pram")
        assert rc in (0, 2)
        if rc == 2:
            assert sorted(os.listdir(folder)) == ["p.pram"]
    finally:
        shutil.rmtree(folder, ignore_errors=True)


_assembly = st.tuples(st.lists(st.one_of(st.sampled_from(ASSEMBLY_LINES),
                                         st.text(max_size=30)), min_size=1, max_size=8),
                      st.binary(max_size=4))

# --- Turing machine dicts -------------------------------------------------------------------

_json_leaf = st.one_of(st.sampled_from(HOSTILE_VALUES[:22]), st.text(max_size=5),
                       st.integers(-5, 5))
_json_any = st.recursive(_json_leaf, lambda c: st.one_of(st.lists(c, max_size=3),
                                                         st.dictionaries(st.text(max_size=3), c,
                                                                         max_size=3)),
                         max_leaves=8)
_TM_FIELDS = ("states", "input_symbols", "tape_symbols", "transitions", "initial_state",
              "blank_symbol", "final_states")


def _check_tm(field: str, value, nested: bool):
    _count("tm-dicts")
    base = dict(states=["q0", "q1"], input_symbols=["0"], tape_symbols=["0", "_"],
                transitions={"q0": {"0": ["q1", "0", "R"]}}, initial_state="q0",
                blank_symbol="_", final_states=["q1"])
    if nested and field in ("transitions",):
        base["transitions"] = {"q0": {"0": ["q1", value, "R"]}}
    elif nested and isinstance(base[field], list):
        base[field] = base[field] + [value]
    else:
        base[field] = value
    start = time.monotonic()
    try:
        TuringMachine.from_automata_dict(**base)
    except InvalidMachineError as exc:
        assert "\n" not in str(exc).strip()
    assert time.monotonic() - start < TIME_BOUND


# --- weights --------------------------------------------------------------------------------


def _check_weights(valid_files, seed: int, kind: int):
    _count("weights")
    from apmdm.machines.transformer.export import load_transformer
    original = valid_files["w.npz"]
    rng = random.Random(seed)
    folder = tempfile.mkdtemp(prefix="fz-")
    try:
        path = os.path.join(folder, "w.npz")
        if kind == 0:  # flip one byte of the file
            raw = bytearray(original)
            raw[rng.randrange(len(raw))] ^= 1 << rng.randrange(8)
            data = bytes(raw)
        else:
            with np.load(io.BytesIO(original), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            names = sorted(k for k in arrays if k != "layout.json")
            if kind == 1:  # one weight changed (still an integer), or its shape / dtype
                name = rng.choice(names)
                a = arrays[name].copy()
                op = rng.randrange(3)
                if op == 0 and a.size:
                    a.flat[rng.randrange(a.size)] += rng.choice([1.0, -1.0, 2.0**40])
                elif op == 1:
                    a = a.reshape(-1)
                else:
                    a = a.astype(np.float32)
                arrays[name] = a
            else:  # one layout field replaced by a hostile value
                lay = json.loads(arrays["layout.json"].tobytes())
                holder, key = lay, rng.choice(sorted(lay))
                while isinstance(holder[key], dict | list) and holder[key] and rng.random() < .6:
                    holder = holder[key]
                    key = rng.choice(sorted(holder)) if isinstance(holder, dict) else \
                        rng.randrange(len(holder))
                holder[key] = rng.choice(HOSTILE_VALUES)
                text = json.dumps(lay, ensure_ascii=rng.random() < 0.5)
                arrays["layout.json"] = np.frombuffer(
                    text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
            buf = io.BytesIO()
            np.savez(buf, **arrays)
            data = buf.getvalue()
        with open(path, "wb") as fh:
            fh.write(data)
        start = time.monotonic()
        try:
            loaded = load_transformer(path)
        except MalformedModelFileError as exc:
            assert "\n" not in str(exc)
        else:  # accepted: only harmless if every array is bit-identical to the original
            with np.load(io.BytesIO(original), allow_pickle=False) as z, \
                    np.load(path, allow_pickle=False) as y:
                assert sorted(z.files) == sorted(y.files)
                assert all(np.array_equal(z[k], y[k]) and z[k].dtype == y[k].dtype
                           for k in z.files if k != "layout.json")
            assert loaded is not None
        assert time.monotonic() - start < TIME_BOUND
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- the tests: small budget by default, large under slow ------------------------------------

_SETTINGS = dict(deadline=None, derandomize=True,
                 suppress_health_check=[HealthCheck.function_scoped_fixture,
                                        HealthCheck.too_slow])
_seed_kind = (st.integers(0, 2**32), st.integers(0, 4))


@settings(max_examples=FUZZ_EXAMPLES, **_SETTINGS)
@given(*_seed_kind)
def test_fuzz_traces(valid_files, seed, kind):
    _check_trace(valid_files, seed, kind)


@settings(max_examples=FUZZ_EXAMPLES, **_SETTINGS)
@given(*_seed_kind)
def test_fuzz_transitions(valid_files, seed, kind):
    _check_transitions(valid_files, seed, kind)


@settings(max_examples=FUZZ_EXAMPLES, **_SETTINGS)
@given(_assembly)
def test_fuzz_assembly(program):
    _check_assembly(*program)


@settings(max_examples=FUZZ_EXAMPLES, **_SETTINGS)
@given(st.sampled_from(_TM_FIELDS), _json_any, st.booleans())
def test_fuzz_tm_dicts(field, value, nested):
    _check_tm(field, value, nested)


@settings(max_examples=FUZZ_EXAMPLES, **_SETTINGS)
@given(st.integers(0, 2**32), st.integers(0, 2))
def test_fuzz_weights(valid_files, seed, kind):
    _check_weights(valid_files, seed, kind)


@pytest.mark.slow
@settings(max_examples=FUZZ_EXAMPLES_SLOW, **_SETTINGS)
@given(*_seed_kind)
def test_fuzz_traces_large(valid_files, seed, kind):
    _check_trace(valid_files, seed, kind)


@pytest.mark.slow
@settings(max_examples=FUZZ_EXAMPLES_SLOW, **_SETTINGS)
@given(*_seed_kind)
def test_fuzz_transitions_large(valid_files, seed, kind):
    _check_transitions(valid_files, seed, kind)


@pytest.mark.slow
@settings(max_examples=FUZZ_EXAMPLES_SLOW, **_SETTINGS)
@given(_assembly)
def test_fuzz_assembly_large(program):
    _check_assembly(*program)


@pytest.mark.slow
@settings(max_examples=FUZZ_EXAMPLES_SLOW, **_SETTINGS)
@given(st.sampled_from(_TM_FIELDS), _json_any, st.booleans())
def test_fuzz_tm_dicts_large(field, value, nested):
    _check_tm(field, value, nested)


@pytest.mark.slow
@settings(max_examples=FUZZ_EXAMPLES_SLOW, **_SETTINGS)
@given(st.integers(0, 2**32), st.integers(0, 2))
def test_fuzz_weights_large(valid_files, seed, kind):
    _check_weights(valid_files, seed, kind)


@pytest.mark.slow
def test_fuzz_large_budget_counts_and_memory():
    """Runs after the five large tests (file order): at least 2,000 inputs in all, and the
    process never held more than 1 GiB."""
    large = {k: v for k, v in COUNTS.items()}
    if sum(large.values()) < 2000:
        pytest.skip(f"run the whole slow set of this file (counted {large})")
    print(f"fuzz inputs per reader: {large}, total {sum(large.values())}, "
          f"peak memory {_peak_memory_kb() // 1024} MiB")
    assert _peak_memory_kb() < MEMORY_BOUND_KB


# --- a corpus of hostile files, each a one-line error -----------------------------------------

TRACE_CORPUS = [
    b"", b"\n", b"[]\n", b"{}\n", b"\xff\xfe\n", b"{\"format\":\"apmdm-trace\"}",
    b'{"format":"apmdm-trace","version":true}\n',
    b'{"format":"apmdm-trace","version":2,"model":"ap-mdm","construction":"x","parameters":{},'
    b'"vocabulary":[],"eos":null,"limits":{"max_steps":' + b"9" * 5000 + b',"max_context":1},'
    b'"initial":[]}\n',
    b"[" * 900 + b"]" * 900 + b"\n",
    b'{"format":"\\ud800"}\n',
]


@pytest.mark.parametrize("content", TRACE_CORPUS)
def test_hostile_trace_corpus(tmp_path, content):
    p = tmp_path / "t.jsonl"
    p.write_bytes(content)
    for command in (["show", str(p), "-o", str(tmp_path / "o.txt")],
                    ["validate-transitions", str(p)]):
        rc, err, _ = _run_cli(command)
        assert rc == 2
        _assert_one_line_error(rc, err, command[0])
        assert sorted(os.listdir(tmp_path)) == ["t.jsonl"]


def test_hostile_npz_member_names_and_sizes(tmp_path):
    from apmdm.machines.transformer.export import load_transformer
    p = tmp_path / "z.npz"
    with zipfile.ZipFile(p, "w") as zf:
        zf.writestr("evil.pkl", b"\x80\x04")
    with pytest.raises(MalformedModelFileError):
        load_transformer(str(p))
    with zipfile.ZipFile(p, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("a.npy", b"\0" * (600 * 1024 * 1024 // 512))
        for i in range(600):
            zf.writestr(f"b{i}.npy", b"")
    with pytest.raises(ApmdmError):
        load_transformer(str(p))

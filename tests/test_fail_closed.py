"""Hostile inputs fail closed: bounded readers, integrity digests, work limits, terminal-safe
text, output paths refused before any work."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

from apmdm.checks.cli import main
from apmdm.machines.errors import (
    ApmdmError,
    AssemblyError,
    InvalidMachineError,
    InvalidProgramError,
    MalformedModelFileError,
    MalformedTraceError,
    SizeLimitExceeded,
)
from apmdm.machines.jsonl import JsonBoundError, escape_control, loads_bounded
from apmdm.machines.pram.assembly import parse_program
from apmdm.machines.pram.interpreter import PRAM
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput
from apmdm.machines.tokens import MASK
from apmdm.machines.trace import read_trace, record_trace, write_trace
from apmdm.machines.transitions import export_transitions, validate_transitions
from apmdm.machines.turing import TuringMachine

# --- bounded JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize("text,needle", [
    ("1" * 5000, "digits"),
    ("[" * 900 + "]" * 900, "nested"),
    ("[" * 40 + "]" * 40, "nested"),
    ('"\\ud800"', "surrogate"),
    ('{"a": "\\udfff"}', "surrogate"),
    ("1e999", "overflows"),
    ("NaN", "not JSON"),
    ("9223372036854775808", "outside"),
    ('"' + "x" * 20_000 + '"', "characters"),
])
def test_json_bounds_name_the_problem(text, needle):
    with pytest.raises(JsonBoundError, match=needle):
        loads_bounded(text)


def test_escape_control_keeps_one_line():
    assert escape_control("a\x1b[2Jb\nc\u202ed") == "a\\x1b[2Jb\\x0ac\\u202ed"
    assert escape_control("plain é") == "plain é"
    assert escape_control("\ud800") == "\\ud800"


# --- traces ---------------------------------------------------------------------------------


def _two_step_process():
    def f(canvas):
        if canvas == ("a", MASK, MASK):
            return StepOutput({1: "b"}, frozenset({0, 2}), frozenset({2}))
        return StepOutput({3: "c"}, frozenset(), frozenset(), frozenset({0, 2}))
    return GenerationProcess(Model.APMDM, f)


@pytest.fixture
def trace_path(tmp_path):
    t = record_trace(_two_step_process(), ("a", MASK, MASK), Limits(max_steps=2), "demo",
                     {"seed": 0}, ["a", "b", "c"])
    p = tmp_path / "t.jsonl"
    write_trace(t, p)
    return p


def _set(obj, path, value):
    for k in path[:-1]:
        obj = obj[k]
    obj[path[-1]] = value


@pytest.mark.parametrize("line,path,value", [
    (0, ("construction",), "forged"),
    (0, ("parameters", "seed"), 1),
    (0, ("vocabulary",), ["a", "b", "z"]),
    (0, ("limits", "max_context"), 99),
    (0, ("limits", "max_steps"), 10**15),
    (0, ("version",), True),
    (0, ("eos",), "c"),
    (-1, ("digest",), "sha256:" + "0" * 64),
    (-1, ("cycle_start",), 0),
    (-1, ("counters", "max_context"), 5),
])
def test_single_field_corruptions_are_rejected(trace_path, line, path, value):
    lines = trace_path.read_text().splitlines()
    obj = json.loads(lines[line])
    _set(obj, path, value)
    lines[line] = json.dumps(obj, separators=(",", ":"))
    trace_path.write_text("\n".join(lines) + "\n")
    with pytest.raises(MalformedTraceError):
        read_trace(trace_path)


def test_digest_mismatch_is_reported_as_corruption_with_the_line(trace_path, capsys):
    lines = trace_path.read_text().splitlines()
    lines[0] = lines[0].replace('"demo"', '"d3mo"')
    trace_path.write_text("\n".join(lines) + "\n")
    assert main(["show", str(trace_path)]) == 2
    err = capsys.readouterr().err
    assert f"{trace_path}:{len(lines)}: corrupted file" in err and err.count("\n") == 1


def test_version_1_trace_reads_with_a_warning(trace_path, capsys):
    lines = trace_path.read_text().splitlines()
    header, end = json.loads(lines[0]), json.loads(lines[-1])
    header["version"] = 1
    del end["digest"]
    lines[0], lines[-1] = (json.dumps(header, separators=(",", ":")),
                           json.dumps(end, separators=(",", ":")))
    trace_path.write_text("\n".join(lines) + "\n")
    assert read_trace(trace_path).digest is None
    assert main(["show", str(trace_path)]) == 0
    assert "without a content digest" in capsys.readouterr().err


def test_show_escapes_control_characters_of_tokens(tmp_path, capsys):
    evil = "\x1b[2J\nrm -rf"

    def f(canvas):
        return StepOutput({0: evil})
    t = record_trace(GenerationProcess(Model.MDM, f), (MASK,), Limits(3, 3), "evil\x1b]0;x\x07",
                     {}, [evil])
    p = tmp_path / "e.jsonl"
    write_trace(t, p)
    assert main(["show", str(p)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "[\\x1b[2J\\x0arm -rf]" in out and out.count("\n") == 4


def test_read_limit_is_checked_before_reading(trace_path, capsys):
    assert main(["show", str(trace_path), "--max-bytes", "10"]) == 2
    assert "--max-bytes" in capsys.readouterr().err


def test_view_budget_checked_while_reading(tmp_path, capsys):
    def f(canvas):
        return StepOutput({}, delete=frozenset(range(1, len(canvas))))
    n = 300_000
    t = record_trace(GenerationProcess(Model.APMDM, f), ("a",) + (MASK,) * n, Limits(3, n + 1),
                     "wide", {}, ["a"])
    p = tmp_path / "w.jsonl"
    write_trace(t, p)
    for fmt, out in (("text", "w.txt"), ("spacetime", "w.png"), ("html", "w.html")):
        start = time.process_time()
        assert main(["show", str(p), "--format", fmt, "--max-cells", "100000", "-o",
                     str(tmp_path / out)]) == 2
        assert time.process_time() - start < 10
        assert "--max-cells" in capsys.readouterr().err and not (tmp_path / out).exists()


# --- transitions ----------------------------------------------------------------------------


def _parity_export(path):
    from apmdm.constructions.tasks.parity import PARITY_PROCESS, parity_canvas, parity_limits
    bits = (1, 0, 1, 1)
    return export_transitions(PARITY_PROCESS, parity_canvas(bits), parity_limits(len(bits)),
                              path, "parity", {"n": 4})


@pytest.mark.parametrize("edit", [
    lambda h, e: h.__setitem__("construction", "other"),
    lambda h, e: h.__setitem__("parameters", {"n": 5}),
    lambda h, e: h.__setitem__("y_fill", "X"),
    lambda h, e: e.__setitem__("stop", "eos"),
    lambda h, e: e.__setitem__("digest", "sha256:" + "1" * 64),
])
def test_transitions_fields_not_replayed_are_covered_by_the_digest(tmp_path, edit):
    p = tmp_path / "t.jsonl"
    _parity_export(p)
    assert validate_transitions(p).digest is not None
    lines = p.read_text().splitlines()
    header, end = json.loads(lines[0]), json.loads(lines[-1])
    edit(header, end)
    lines[0], lines[-1] = (json.dumps(header, separators=(",", ":")),
                           json.dumps(end, separators=(",", ":")))
    p.write_text("\n".join(lines) + "\n")
    with pytest.raises(MalformedTraceError, match="corrupted|stop"):
        validate_transitions(p)


# --- weights --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    from apmdm.constructions.efasp import compile_program
    from apmdm.constructions.efasp.programs import EXAMPLES
    from apmdm.machines.transformer.export import save_transformer
    folder = tmp_path_factory.mktemp("w")
    model = compile_program(EXAMPLES["reverse"][0](8), 8)
    save_transformer(model.spec, str(folder / "m.npz"))
    with np.load(folder / "m.npz", allow_pickle=False) as z:
        return folder, {k: z[k] for k in z.files}


def test_a_single_weight_change_is_caught_by_its_digest(weights):
    from apmdm.machines.transformer.export import load_transformer
    folder, arrays = weights
    broken = dict(arrays)
    name = "layer0.head0.w_q"
    a = broken[name].copy()
    a.flat[0] += 1.0  # still an integer: the structural checks cannot see it
    broken[name] = a
    np.savez(folder / "b.npz", **broken)
    with pytest.raises(MalformedModelFileError, match="does not match its digest"):
        load_transformer(str(folder / "b.npz"))


def test_a_layout_change_is_caught_by_its_digest(weights):
    from apmdm.machines.transformer.export import load_transformer
    folder, arrays = weights
    lay = json.loads(arrays["layout.json"].tobytes())
    lay["layers"][0]["heads"][0]["kind"] = "mean" if lay["layers"][0]["heads"][0]["kind"] == \
        "pick" else "pick"
    broken = dict(arrays, **{"layout.json": np.frombuffer(json.dumps(lay).encode(), np.uint8)})
    np.savez(folder / "l.npz", **broken)
    with pytest.raises(MalformedModelFileError, match="corrupted layout|invalid"):
        load_transformer(str(folder / "l.npz"))


def test_an_npz_header_declaring_a_huge_array_is_refused_before_reading(tmp_path):
    import zipfile

    from apmdm.machines.transformer.export import load_transformer
    header = np.lib.format.header_data_from_array_1_0(np.zeros(1))
    header["shape"] = (10**6, 10**6)
    buf = __import__("io").BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    with zipfile.ZipFile(tmp_path / "h.npz", "w") as zf:
        zf.writestr("embed.token.npy", buf.getvalue() + b"\0" * 8)
    with pytest.raises(MalformedModelFileError, match="does not match"):
        load_transformer(str(tmp_path / "h.npz"))


# --- Turing machine dicts -------------------------------------------------------------------


def _tm(**changes):
    base = dict(states=["q0", "q1"], input_symbols=["0"], tape_symbols=["0", "_"],
                transitions={"q0": {"0": ("q1", "0", "R")}}, initial_state="q0",
                blank_symbol="_", final_states=["q1"])
    base.update(changes)
    return TuringMachine.from_automata_dict(**base)


@pytest.mark.parametrize("changes", [
    {"states": [["q0"]]}, {"final_states": [{}]}, {"input_symbols": [1]},
    {"tape_symbols": "0_"}, {"transitions": {"q0": {"0": ("q1", ["0"], "R")}}},
    {"initial_state": ["q0"]}, {"blank_symbol": None}, {"states": ["q" * 1000]},
    {"states": [f"q{i}" for i in range(20_000)]}, {"final_states": ["\ud800"]},
])
def test_malformed_tm_dicts_give_typed_errors(changes):
    with pytest.raises(InvalidMachineError):
        _tm(**changes)


# --- PRAM assembly and runs -----------------------------------------------------------------


@pytest.mark.parametrize("src,needle", [
    ("const r0, \u0661\nhalt\n", "bad immediate"),
    ("const r0, \uff11\nhalt\n", "bad immediate"),
    ("load r0, [r1 - - 2]\nhalt\n", "after '-'"),
    (".processors 1" + "0" * 25 + "\nhalt\n", "digits"),
    (".processors " + "(" * 40 + "n" + ")" * 40 + "\nhalt\n", "nested"),
    (".registers \u0664\nhalt\n", "registers"),
])
def test_assembly_rejects_hostile_text(src, needle):
    with pytest.raises(AssemblyError, match=needle):
        parse_program(src)


@pytest.mark.parametrize("directive", [".processors ((10^64)^64)^2", ".output 0, 10^8",
                                       ".output 0, 2^40", ".processors 2^62"])
def test_huge_sizes_fail_before_allocating(directive):
    program = parse_program(directive + "\nhalt\n")
    start = time.process_time()
    with pytest.raises(ApmdmError) as info:
        PRAM(program).run([1, 2])
    assert isinstance(info.value, (InvalidProgramError, SizeLimitExceeded))
    assert time.process_time() - start < 2


def test_an_infinite_loop_on_many_processors_ends_in_seconds(capsys, tmp_path):
    p = tmp_path / "loop.pram"
    p.write_text(".processors 1024\nloop: addi r0, r0, 1\n jmp loop\n")
    start = time.process_time()
    assert main(["run-pram", str(p), "--input", "1", "--max-steps", "1000000000000",
                 "--max-work", "200000"]) == 2
    assert time.process_time() - start < 5
    assert "raise it with --max-work" in capsys.readouterr().err


# --- output paths ---------------------------------------------------------------------------


def test_output_equal_to_an_input_is_refused_before_any_work(tmp_path, capsys):
    prog = tmp_path / "d.pram"
    prog.write_text("pid r0\nhalt\n")
    assert main(["run-pram", str(prog), "--input", "1,2", "--trace", str(prog)]) == 2
    assert prog.read_text() == "pid r0\nhalt\n"
    assert main(["run-pram", str(prog), "--input", "1,2", "--trace",
                 str(tmp_path / "x" / ".." / "d.pram")]) == 2
    assert "same file" in capsys.readouterr().err


def test_export_weights_paths_are_all_or_nothing(tmp_path, capsys):
    npz, layout = tmp_path / "d.npz", tmp_path / "no-such-dir" / "d.json"
    assert main(["export-weights", "efasp:dyck1", "--n", "8", "-o", str(npz), "--layout",
                 str(layout)]) == 2
    assert os.listdir(tmp_path) == []
    m = tmp_path / "m.npz"
    assert main(["export-weights", "efasp:dyck1", "--n", "8", "-o", str(m), "--layout",
                 str(m)]) == 2
    assert os.listdir(tmp_path) == []
    assert "same file" in capsys.readouterr().err


def test_show_output_equal_to_its_trace_is_refused(trace_path, capsys):
    before = trace_path.read_bytes()
    assert main(["show", str(trace_path), "-o", str(trace_path)]) == 2
    assert trace_path.read_bytes() == before


def test_trace_size_is_bounded_per_target(tmp_path, capsys):
    start = time.process_time()
    assert main(["trace", "task-parity", "--n", "1000000000", "-o", str(tmp_path / "t")]) == 2
    assert main(["export-transitions", "task-mincut", "--n", "1000000000", "-o",
                 str(tmp_path / "t")]) == 2
    assert time.process_time() - start < 2
    assert "outside 0.." in capsys.readouterr().err and os.listdir(tmp_path) == []


def test_work_limit_of_generation_runs(tmp_path, capsys):
    assert main(["trace", "task-parity", "--n", "64", "--max-work", "100", "-o",
                 str(tmp_path / "t")]) == 2
    assert "raise it with --max-work" in capsys.readouterr().err


def test_timeout_ends_a_long_command(tmp_path, capsys):
    p = tmp_path / "loop.pram"
    p.write_text(".processors 4\nloop: jmp loop\n")
    start = time.monotonic()
    assert main(["run-pram", str(p), "--input", "1", "--max-steps", "100000000000",
                 "--max-work", "100000000000", "--trace", str(tmp_path / "t.jsonl"),
                 "--timeout", "0.5"]) == 2
    assert time.monotonic() - start < 10
    assert "--timeout" in capsys.readouterr().err
    assert os.listdir(tmp_path) == ["loop.pram"]

"""Token schemas, decoded state, the inspector page and the space-time picture (no browser;
tests/test_inspector_browser.py drives the page in chromium)."""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import sys
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.checks.catalogue import trace_targets
from apmdm.checks.cli import main
from apmdm.checks.pram_cases import library_programs
from apmdm.checks.state_decoders import decoded_states, state_decoder
from apmdm.constructions.pram.apmdm import compile_apmdm
from apmdm.constructions.pram.arm import compile_arm
from apmdm.constructions.pram.mdm import compile_mdm
from apmdm.machines.errors import MissingExtraError
from apmdm.machines.inspector import build_payload, render_inspector
from apmdm.machines.inspector.payload import _written, token_kind
from apmdm.machines.pram import PRAM
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import MASK, canvas_to_json
from apmdm.machines.trace import (
    Trace,
    dumps_trace,
    read_trace,
    record_trace,
    trace_lines,
    write_trace,
    written_tokens,
)

HOSTILE = "<img src=x onerror=alert(1)>"


def traced(name: str, model: str, n: int, seed: int = 0) -> Trace:
    run = trace_targets()[name].build(model, n, seed)
    return record_trace(run.process, run.canvas, run.limits, run.construction, run.parameters,
                        run.vocabulary, run.schema)


def hostile_trace() -> Trace:
    """AP-MDM writing a hostile string token, in a construction with a hostile name."""
    def f(canvas):
        return StepOutput({1: HOSTILE}) if canvas[1] is MASK else StepOutput({})
    proc = GenerationProcess(Model.APMDM, f, name="x")
    return record_trace(proc, ("a", MASK), Limits(4, 4), HOSTILE, {"n": HOSTILE}, {"size": 2})


# --- schema in the trace header ---------------------------------------------------------------


def test_schema_round_trips_and_old_traces_still_read(tmp_path):
    t = traced("prefix-sum", "apmdm", 4)
    assert t.schema["kinds"][0]["name"] == "slot"
    assert [f[0] for f in t.schema["kinds"][0]["fields"][:6]] == ["t", "pid", "pc", "halted",
                                                                   "waddr", "wval"]
    p = tmp_path / "t.jsonl"
    write_trace(t, p)
    back = read_trace(p)
    assert back.schema == t.schema and dumps_trace(back) == dumps_trace(t)
    # an old trace: the same file without the header's schema field (and, being old,
    # version 1 without the content digest; a version-2 file so edited fails its digest)
    lines = trace_lines(t)
    header, end = json.loads(lines[0]), json.loads(lines[-1])
    del header["schema"], end["digest"]
    header["version"] = 1
    old = tmp_path / "old.jsonl"
    old.write_text("\n".join([json.dumps(header)] + lines[1:-1] + [json.dumps(end)]) + "\n")
    legacy = read_trace(old)
    assert legacy.schema is None and legacy.steps == t.steps
    page = render_inspector(legacy, *decoded_states(legacy))
    assert "<!DOCTYPE html>" in page


def test_schema_must_be_an_object(tmp_path, capsys):
    lines = trace_lines(traced("prefix-sum", "apmdm", 4))
    header = json.loads(lines[0])
    header["schema"] = [1, 2]
    p = tmp_path / "bad.jsonl"
    p.write_text("\n".join([json.dumps(header)] + lines[1:]) + "\n")
    assert main(["show", str(p)]) == 2
    assert "'schema' must be an object" in capsys.readouterr().err


def test_every_trace_target_has_a_schema_naming_its_tokens():
    for name, model, n in [("prefix-sum", "mdm", 4), ("prefix-sum", "arm", 4),
                           ("tm-palindromes", "apmdm", 4), ("tm-palindromes", "arm", 4),
                           ("task-sudoku", "ap-mdm", 4), ("task-mincut", "ap-mdm", 4),
                           ("task-parity", "ap-mdm", 4)]:
        t = traced(name, model, n)
        kinds = t.schema["kinds"]
        payload = build_payload(t)
        unnamed = [tok for tok in payload["tokens"] if tok[1] < 0]
        assert not unnamed, (name, model, unnamed[:3])
        for kind in kinds:
            assert kind["fields"] and all(len(f) == 2 and f[1] for f in kind["fields"])


def test_token_kind_rules():
    kinds = [{"match": {"type": "list", "length": 3, "tag": "e"}},
             {"match": {"type": "list", "length": 2}}, {"match": {"type": "int"}},
             {"match": {"type": "str", "values": ["SEP"]}}]
    assert [token_kind(kinds, t) for t in (["e", 1, 2], ["v", 1, 2], ["q", "a"], 5, "SEP",
                                           "x")] == [0, -1, 1, 2, 3, -1]


# --- decoded state: the constructions' own decoders -------------------------------------------


@settings(max_examples=6, deadline=None)
@given(st.sampled_from(["prefix-sum", "sum", "parity"]), st.sampled_from([4, 8]),
       st.integers(0, 1000))
def test_decoded_final_memory_is_the_pram_output(program, n, seed):
    """The decoded memory of the final canvas holds the interpreter's output, for all three
    PRAM constructions (the same layout code as their decode(), used by the checkers)."""
    lib = library_programs()[program]
    inputs = tuple(lib.make_input(n, random.Random(seed)))
    ref = PRAM(lib.program, lib.variant).run(inputs)
    start, length = lib.program.output_region(n)
    bounds = lib.bounds.at(n)
    cons = [compile_mdm(lib.program, n, bounds.time, lib.variant),
            compile_apmdm(lib.program, n, max(bounds.memory, n), lib.variant),
            compile_arm(lib.program, n, lib.variant)]
    for con in cons:
        limits = con.limits(Resources(bounds.time, bounds.memory, con.processors))
        final = con.process().run(con.initial_canvas(inputs), limits).final
        state = con.decode_state(final)
        out = tuple(state["memory"][start:start + length])
        assert out == con.decode(final) == tuple(ref.output), type(con).__name__
        assert all(p["halted"] for p in state["processors"])


def test_arm_decoded_memory_is_the_rightmost_match_at_every_step():
    """The ARM's one-pass memory equals its own _lookup (used by next_step and decode) for
    every address at every step."""
    lib = library_programs()["prefix-sum"]
    inputs = tuple(lib.make_input(4, random.Random(3)))
    con = compile_arm(lib.program, 4, lib.variant)
    bounds = lib.bounds.at(4)
    run = record_trace(con.process(), con.initial_canvas(inputs),
                       con.limits(Resources(bounds.time, bounds.memory, con.processors)),
                       "pram-arm", {}, {"size": 0})
    P = con.processors
    for canvas in run.canvases():
        state = con.decode_state(canvas)
        records = [s for s in canvas[5:] if isinstance(s, tuple)]
        visible = records[:len(records) // P * P]
        assert state["memory"] == [con._lookup(canvas, visible, a)
                                   for a in range(len(state["memory"]))]


def test_prefix_sum_step_19_is_a_commit_with_its_writers():
    t = traced("prefix-sum", "apmdm", 8)
    states, note = decoded_states(t)
    assert note == "decoded by the construction" and len(states) == len(t.steps) + 1
    before, after = states[18], states[19]
    assert before["next"] == "commit" and after["next"] == "advance"
    changed = [a for a, (x, y) in enumerate(zip(before["memory"], after["memory"], strict=True))
               if x != y]
    assert changed == [1, 2, 3, 4, 5, 6, 7]
    assert {(w["addr"], w["pid"]) for w in after["writes"]} == {(a, a) for a in changed}
    assert all(after["memory"][w["addr"]] == w["value"] for w in after["writes"] if w["won"])


def test_tm_and_task_states():
    tm = traced("tm-palindromes", "apmdm", 5)
    states, _ = decoded_states(tm)
    ref = tm.parameters["word"]
    assert "".join(states[0]["tape"]) == ref and states[0]["head"] == 0
    assert states[-1]["state"] in ("accept", "reject") or states[-1]["state"]
    sudoku = traced("task-sudoku", "ap-mdm", 4)
    states, _ = decoded_states(sudoku)
    assert states[-1]["outcome"] == "solved"
    assert all(isinstance(v, int) for row in states[-1]["grid"] for v in row)
    parity = traced("task-parity", "ap-mdm", 6)
    states, _ = decoded_states(parity)
    assert states[-1]["parity"] == states[0]["parity"]
    mincut = traced("task-mincut", "ap-mdm", 5)
    states, _ = decoded_states(mincut)
    assert states[-1]["phase"] == "cut"


def test_a_broken_canvas_is_reported_per_step_not_fatal():
    t = traced("prefix-sum", "apmdm", 4)
    decode, _ = state_decoder(t)
    broken = (MASK,) * len(t.initial)  # no processor pair holds a slot
    from apmdm.machines.errors import ConstructionError
    with pytest.raises(ConstructionError):
        decode(broken)
    bad = Trace(t.model, t.construction, dict(t.parameters, program="no-such-program"),
                t.vocabulary, t.eos, t.limits, t.initial, t.steps, t.stop, t.cycle_start,
                t.counters, t.schema)
    states, note = decoded_states(bad)
    assert states is None and "no-such-program" in note


# --- payload and page -------------------------------------------------------------------------


def test_written_tokens_match_the_reader_on_inserts_and_deletes():
    for t in (traced("tm-palindromes", "apmdm", 5), traced("task-mincut", "ap-mdm", 5)):
        before = t.initial
        for s in t.steps:
            ref = written_tokens(len(before), s)
            assert [ref[i] for i in s.unmasked] == _written(s)
            before = s.canvas


def _payload_of(page: str) -> dict:
    b64 = re.search(r'<script id="payload" type="application/octet-stream">([^<]*)</script>',
                    page).group(1)
    return json.loads(zlib.decompress(base64.b64decode(b64)))


def test_page_is_self_contained_with_a_hash_based_csp():
    t = traced("prefix-sum", "apmdm", 4)
    page = render_inspector(t, *decoded_states(t))
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page).group(1)
    assert csp.startswith("default-src 'none'") and "unsafe" not in csp
    script = re.search(r"<script>(.*)</script>", page, re.S).group(1)
    style = re.search(r"<style>(.*)</style>", page, re.S).group(1)
    for text in (script, style):
        digest = base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp
    assert not re.search(r"\b(src|href)\s*=", page) and "http:" not in page
    assert "innerHTML" not in script and "eval(" not in script
    data = _payload_of(page)
    assert data["meta"]["counters"]["steps"] == len(t.steps) and len(data["steps"]) == len(t.steps)
    # keyframes hold the exact canvases every `every` steps
    for j, key in enumerate(data["keys"]):
        canvas = t.canvases()[j * data["every"]]
        assert [None if i < 0 else data["tokens"][i][2] for i in key] == canvas_to_json(canvas)


def test_hostile_text_is_escaped_in_the_static_page():
    page = render_inspector(hostile_trace())
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert any(tok[0] == HOSTILE for tok in _payload_of(page)["tokens"])


def test_page_is_deterministic():
    t = traced("tm-palindromes", "arm", 4)
    assert render_inspector(t, *decoded_states(t)) == render_inspector(t, *decoded_states(t))


def test_show_guesses_the_format_from_the_suffix(tmp_path):
    p = tmp_path / "t.jsonl"
    assert main(["trace", "prefix-sum", "--model", "apmdm", "--n", "4", "-o", str(p)]) == 0
    assert main(["show", str(p), "-o", str(tmp_path / "t.html")]) == 0
    assert (tmp_path / "t.html").read_text().startswith("<!DOCTYPE html>")
    assert main(["show", str(p), "-o", str(tmp_path / "t.txt")]) == 0
    assert (tmp_path / "t.txt").read_text().startswith("# ap-mdm pram-apmdm")


def test_a_users_pram_file_is_decoded_from_the_assembly_in_the_schema(tmp_path):
    src = tmp_path / "mine.pram"
    src.write_text(Path(__file__).resolve().parents[1].joinpath(
        "examples", "pram", "any_nonzero.pram").read_text())
    p = tmp_path / "t.jsonl"
    assert main(["trace", str(src), "--model", "apmdm", "--input", "3,1,4,1", "-o", str(p)]) == 0
    src.unlink()  # the page must not need the file
    t = read_trace(p)
    states, note = decoded_states(t)
    assert note == "decoded by the construction" and states[-1]["memory"][:4] == [3, 1, 4, 1]


# --- space-time picture -----------------------------------------------------------------------


def test_spacetime_codes_and_downsampling():
    from apmdm.machines import spacetime_plot as sp

    t = hostile_trace()
    grid = sp.spacetime_codes(traced("tm-palindromes", "apmdm", 4))
    assert {sp.UNMASKED, sp.REMASKED, sp.INSERTED, sp.DELETED} <= set(grid.flatten().tolist())
    assert sp.spacetime_codes(t).tolist() == [[sp.TOKEN, sp.MASKED], [sp.TOKEN, sp.UNMASKED],
                                              [sp.TOKEN, sp.TOKEN]]
    import numpy as np

    big = np.full((3000, 10), sp.TOKEN, dtype=np.uint8)
    big[1234, 7] = sp.DELETED
    small, fr, fc = sp.downsample(big)
    assert small.shape[0] <= sp.MAX_ROWS and fr == 3 and fc == 1
    assert small[1234 // 3, 7] == sp.DELETED and (small == sp.DELETED).sum() == 1


def test_spacetime_png_with_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    p = tmp_path / "t.jsonl"
    write_trace(traced("prefix-sum", "mdm", 4), p)
    out = tmp_path / "t.png"
    assert main(["show", str(p), "-o", str(out)]) == 0
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    assert main(["show", str(p), "-o", str(tmp_path / "u.png")]) == 0
    assert (tmp_path / "u.png").read_bytes() == data  # deterministic


def test_spacetime_without_matplotlib_names_the_extra(tmp_path, capsys, monkeypatch):
    p = tmp_path / "t.jsonl"
    write_trace(hostile_trace(), p)
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    from apmdm.machines.spacetime_plot import render_spacetime_plot
    with pytest.raises(MissingExtraError, match=r"apmdm\[plot\]"):
        render_spacetime_plot(read_trace(p))
    assert main(["show", str(p), "-o", str(tmp_path / "x.png")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "apmdm[plot]" in err and not (tmp_path / "x.png").exists()

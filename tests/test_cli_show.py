"""`apmdm show`: text, space-time PNG and HTML views; errors become one line and exit 2."""

from __future__ import annotations

import struct
import zlib

import pytest

from apmdm.checks.cli import main
from apmdm.machines.process import GenerationProcess, Limits, Model, StepOutput
from apmdm.machines.render import (
    render_html,
    render_spacetime_png,
    render_text,
    spacetime_cells,
    step_marks,
)
from apmdm.machines.tokens import MASK
from apmdm.machines.trace import read_trace, record_trace, write_trace

E = frozenset()


def every_operation():
    """AP-MDM on (a, M, M): step 1 unmask 1, remask 0, insert after 2;
    step 2: delete 0 and 2, unmask 3. Canvases: (a,M,M) -> (M,b,M,M) -> (b,c)."""
    def f(canvas):
        if canvas == ("a", MASK, MASK):
            return StepOutput({1: "b"}, frozenset({0, 2}), frozenset({2}))
        return StepOutput({3: "c"}, E, E, frozenset({0, 2}))
    return GenerationProcess(Model.APMDM, f)


@pytest.fixture
def trace_file(tmp_path):
    t = record_trace(every_operation(), ("a", MASK, MASK), Limits(max_steps=2), "demo",
                     {"seed": 0}, ["a", "b", "c"])
    p = tmp_path / "t.jsonl"
    write_trace(t, p)
    return p


GOLDEN = """\
# ap-mdm demo {"seed": 0}
0 | a _ _
1 | {_} [b] _ <_>
2 | ~ b ~ [c]
# stop=step-limit steps=2 initial=3 max=4 final=2 unmasks=2 remasks=1 inserts=1 deletes=2
"""


def test_show_text_golden(trace_file, capsys):
    assert main(["show", str(trace_file)]) == 0
    assert capsys.readouterr().out == GOLDEN


def test_show_text_color_and_output_file(trace_file, tmp_path, capsys):
    assert main(["show", str(trace_file), "--color"]) == 0
    out = capsys.readouterr().out
    assert "\x1b[32m[b]\x1b[0m" in out and "\x1b[31m~\x1b[0m" in out
    target = tmp_path / "view.txt"
    assert main(["show", str(trace_file), "-o", str(target)]) == 0
    assert target.read_text() == GOLDEN


def _png_size_and_rows(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, size = 8, b"", None
    while pos < len(data):
        (n,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        (crc,) = struct.unpack(">I", data[pos + 8 + n:pos + 12 + n])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF
        if kind == b"IHDR":
            size = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    return size, zlib.decompress(idat)


def test_spacetime_png_pixels(trace_file, tmp_path):
    # the dependency-free PNG of machines.render (`apmdm show` draws with matplotlib now,
    # tests/test_inspector.py)
    data = render_spacetime_png(read_trace(trace_file), 2)
    (w, h), raw = _png_size_and_rows(data)
    assert (w, h) == (4 * 2, 3 * 2)  # widest canvas 4, three canvases
    assert len(raw) == h * (1 + 3 * w)
    grid, doomed = spacetime_cells(read_trace(trace_file))
    green, orange, blue, red = (46, 160, 67), (240, 140, 30), (50, 110, 220), (215, 40, 40)
    grey, white = (70, 70, 70), (255, 255, 255)
    assert grid[1] == [orange, green, grey, blue]
    assert grid[2][0] != green and grid[2][1] == green and grid[2][2:] == [white, white]
    assert doomed == {(1, 0), (1, 2)}  # step 2 deletes the masks at 0 and 2 of row 1
    stride = 1 + 3 * w
    top, bottom = raw[2 * stride:3 * stride], raw[3 * stride:4 * stride]  # pixel rows of row 1
    assert top[1:4] == bytes(orange) and bottom[1:4] == bytes(red)
    assert top[1 + 3 * 4:1 + 3 * 5] == bytes(grey) and bottom[1 + 3 * 4:1 + 3 * 5] == bytes(red)
    assert bottom[1 + 3 * 2:1 + 3 * 3] == bytes(green)
    assert render_spacetime_png(read_trace(trace_file), 2) == data  # deterministic


def test_plain_html_table(trace_file):
    # machines.render's script-free table (`apmdm show --format html` gives the inspector now)
    page = render_html(read_trace(trace_file))
    assert page.startswith("<!DOCTYPE html>") and "<script" not in page and "http" not in page
    assert '<td class="unmasked">b</td>' in page and 'class="deleted"' in page


def test_step_marks_map_before_positions_to_after_cells():
    t = read_trace_from_ops()
    marks, deleted_at = step_marks(4, t.steps[1])
    assert marks == [None, "unmasked"] and deleted_at == [0, 1]


def read_trace_from_ops():
    return record_trace(every_operation(), ("a", MASK, MASK), Limits(max_steps=2), "demo",
                        {}, {"size": 3})


def test_text_marks_every_operation():
    text = render_text(read_trace_from_ops())
    for mark in ("[b]", "{_}", "<_>", "~"):
        assert mark in text


@pytest.mark.parametrize("content,needle", [
    ("", "empty file"),
    ('{"format": "apmdm-trace", "version": 1}\n', "missing field"),
    ("{broken\n", "malformed JSON"),
])
def test_malformed_trace_is_one_line_exit_2(tmp_path, capsys, content, needle):
    p = tmp_path / "bad.jsonl"
    p.write_text(content)
    assert main(["show", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and needle in err and str(p) in err
    assert "Traceback" not in err


def test_truncated_trace_via_cli(trace_file, capsys):
    lines = trace_file.read_text().splitlines()
    trace_file.write_text("\n".join(lines[:-1]) + "\n")
    assert main(["show", str(trace_file)]) == 2
    err = capsys.readouterr().err
    assert "truncated" in err and err.count("\n") == 1


def test_picture_formats_need_an_output_file(trace_file, capsys):
    assert main(["show", str(trace_file), "--format", "html"]) == 2
    assert "needs -o FILE" in capsys.readouterr().err
    assert main(["show", str(trace_file), "--format", "spacetime", "-o", "x.png",
                 "--scale", "0"]) == 2
    assert "scale" in capsys.readouterr().err


def test_help_explains_the_marks(capsys):
    with pytest.raises(SystemExit) as info:
        main(["show", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for needle in ("[x]", "{_}", "<_>", "remasked", "spacetime", "html"):
        assert needle in out

"""Progress on stderr: shown on a terminal (a pseudo-terminal here), silent when piped."""

from __future__ import annotations

import fcntl
import io
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest

from apmdm.checks.progress import Progress

SWEEP = ["sweep", "--construction", "pram-apmdm", "--program", "sum", "--n", "4..8",
         "--workers", "1"]
CHECK = ["check", "6", "--quick", "--brief"]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k != "APMDM_PROGRESS"}
    env.update(OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", COLUMNS="100")
    return env


def _on_pty(args: list[str], cwd: str) -> tuple[int, str, str]:
    """Run ``python -m apmdm ARGS`` with stderr on a pseudo-terminal; (status, stdout, tty)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "apmdm", *args], stdout=subprocess.PIPE,
                            stderr=slave, stdin=subprocess.DEVNULL, cwd=cwd, env=_env())
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 4096)
        except OSError:          # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode()
    proc.stdout.close()
    status = proc.wait(timeout=120)
    os.close(master)
    return status, out, b"".join(chunks).decode(errors="replace")


def _piped(args: list[str], cwd: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "apmdm", *args], capture_output=True,
                          text=True, cwd=cwd, env=_env(), timeout=120, check=False)


@pytest.mark.parametrize("args, what", [(SWEEP, "sweep"), (CHECK, "check")])
def test_progress_on_a_terminal_and_silent_when_piped(tmp_path, args, what):
    status, out, tty = _on_pty(args, str(tmp_path))
    assert status == 0
    assert what in tty and ("2/2" in tty or "1/1" in tty)     # done / total
    assert what not in out.splitlines()[0]                     # stdout stays the table
    piped = _piped(args, str(tmp_path))
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout.splitlines()[0] == out.splitlines()[0]


def test_fallback_line_printer_without_tqdm(monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.delenv("APMDM_PROGRESS", raising=False)
    term = _Terminal()
    with Progress(2, "sweep", term) as bar:
        bar.current("pram-apmdm sum n=4")
        bar.advance("pram-apmdm sum n=4")
        bar.advance("pram-apmdm sum n=8")
    text = term.getvalue()
    assert "\rsweep: 2/2" in text and "n=8" in text and text.endswith("\n")


def test_no_output_when_not_a_terminal(monkeypatch):
    monkeypatch.delenv("APMDM_PROGRESS", raising=False)
    stream = io.StringIO()
    with Progress(3, "check", stream) as bar:
        bar.current("x")
        bar.advance("x")
    assert stream.getvalue() == ""


def test_environment_switch(monkeypatch):
    monkeypatch.setenv("APMDM_PROGRESS", "0")
    term = _Terminal()
    with Progress(1, "check", term) as bar:
        bar.advance()
    assert term.getvalue() == ""

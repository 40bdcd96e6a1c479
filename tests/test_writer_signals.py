"""Writers under interruption: SIGTERM / SIGHUP mid-write leave neither a partial target nor
a temp file and end with status 128 + signal; a SIGKILLed run's temp file is removed by the
next run of the same command."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from apmdm.machines.jsonl import sweep_stale_temps, write_chunks_atomic

LOOP = ".processors 64\nloop: addi r0, r0, 1\n  store [r0], r0\n  jmp loop\n"


def _start(args, cwd):
    return subprocess.Popen([sys.executable, "-m", "apmdm", *args], cwd=cwd,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_part(folder, proc, timeout=60.0):
    """Poll until a non-empty temp file appears beside the target (the writer is mid-write)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        parts = [f for f in os.listdir(folder) if f.endswith(".part")]
        if parts and os.path.getsize(os.path.join(folder, parts[0])) > 0:
            return parts[0]
        if proc.poll() is not None:
            raise AssertionError(f"writer ended before writing: {proc.stderr.read()!r}")
        time.sleep(0.02)
    proc.kill()
    raise AssertionError("no temp file appeared")


def _streaming_commands(folder):
    prog = os.path.join(folder, "loop.pram")
    with open(prog, "w") as fh:
        fh.write(LOOP)
    return {
        "run-pram": ["run-pram", prog, "--input", "1,2", "--max-steps", "100000000",
                     "--max-work", "1000000000", "--trace", "out.jsonl"],
        "export-transitions": ["export-transitions", "task-parity", "--n", "2048",
                               "--max-work", "1000000000", "-o", "out.jsonl"],
    }


@pytest.mark.parametrize("command", ["run-pram", "export-transitions"])
def test_sigterm_mid_write_leaves_nothing(tmp_path, command):
    args = _streaming_commands(str(tmp_path))[command]
    proc = _start(args, tmp_path)
    _wait_for_part(str(tmp_path), proc)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 128 + signal.SIGTERM
    left = sorted(f for f in os.listdir(tmp_path) if f != "loop.pram")
    assert left == []
    assert b"Traceback" not in proc.stderr.read()


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGHUP, signal.SIGINT])
@pytest.mark.parametrize("command", ["run-pram", "export-transitions"])
def test_other_signals_mid_write_leave_nothing(tmp_path, command, sig):
    args = _streaming_commands(str(tmp_path))[command]
    proc = _start(args, tmp_path)
    _wait_for_part(str(tmp_path), proc)
    proc.send_signal(sig)
    assert proc.wait(60) == 128 + sig
    assert sorted(f for f in os.listdir(tmp_path) if f != "loop.pram") == []


def _wait_for_handler(proc: subprocess.Popen, sig: int, timeout: float = 60.0) -> None:
    """Wait until ``proc`` catches ``sig`` (Linux: the SigCgt mask of /proc/PID/status), so a
    loaded machine's slow start-up cannot make the test send the signal too early."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with open(f"/proc/{proc.pid}/status") as fh:
                caught = next(int(line.split()[1], 16) for line in fh
                              if line.startswith("SigCgt:"))
        except (OSError, StopIteration):
            caught = 0
        if caught >> (sig - 1) & 1:
            return
        time.sleep(0.05)
    raise AssertionError(f"process {proc.pid} did not install a handler for signal {sig}")


def test_sigterm_during_a_trace_run_leaves_nothing(tmp_path):
    proc = _start(["trace", "task-parity", "--n", "2048", "--max-work", "1000000000", "-o",
                   "t.jsonl"], tmp_path)
    _wait_for_handler(proc, signal.SIGTERM)   # past start-up: the handler is installed
    time.sleep(0.5)  # inside the run (it takes several seconds)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 128 + signal.SIGTERM
    assert os.listdir(tmp_path) == []


def test_sigkilled_temp_file_is_swept_by_the_next_run(tmp_path):
    args = _streaming_commands(str(tmp_path))["run-pram"]
    proc = _start(args, tmp_path)
    part = _wait_for_part(str(tmp_path), proc)
    proc.send_signal(signal.SIGKILL)
    proc.wait(60)
    assert part in os.listdir(tmp_path)  # SIGKILL cannot be caught: the temp file stays
    prog = os.path.join(tmp_path, "ok.pram")
    with open(prog, "w") as fh:
        fh.write("pid r0\nhalt\n")
    rerun = subprocess.run([sys.executable, "-m", "apmdm", "run-pram", prog, "--input", "1",
                            "--trace", "out.jsonl"], cwd=tmp_path, capture_output=True)
    assert rerun.returncode == 0, rerun.stderr
    assert part not in os.listdir(tmp_path)
    assert sorted(os.listdir(tmp_path)) == ["loop.pram", "ok.pram", "out.jsonl"]


def test_sweep_keeps_temp_files_of_live_processes_and_other_targets(tmp_path):
    live = tmp_path / f".a.txt.{os.getpid()}.0123abcd.part"
    other = tmp_path / ".b.txt.999999999.0123abcd.part"
    dead = tmp_path / ".a.txt.999999999.0123abcd.part"
    for p in (live, other, dead):
        p.write_text("x")
    assert sweep_stale_temps(str(tmp_path / "a.txt")) == [dead.name]
    assert live.exists() and other.exists() and not dead.exists()


def test_an_error_mid_stream_removes_the_temp_file(tmp_path):
    target = tmp_path / "t.txt"
    target.write_text("old")

    def chunks():
        yield b"new"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        write_chunks_atomic(target, chunks())
    assert target.read_text() == "old" and os.listdir(tmp_path) == ["t.txt"]


def test_multi_file_write_is_all_or_nothing(tmp_path):
    from apmdm.machines.errors import InvalidArgumentError
    from apmdm.machines.jsonl import write_files_atomic
    first, second = tmp_path / "a.npz", tmp_path / "a.json"
    first.write_text("old")

    def failing():
        yield b"{"
        raise OSError(28, "No space left on device")

    with pytest.raises(InvalidArgumentError, match="No space left"):
        write_files_atomic([(first, (b"new",)), (second, failing())])
    assert first.read_text() == "old" and sorted(os.listdir(tmp_path)) == ["a.npz"]
    write_files_atomic([(first, (b"new",)), (second, (b"{}",))])
    assert first.read_text() == "new" and second.read_text() == "{}"

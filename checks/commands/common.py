"""Options shared by several commands: ``--timeout`` and ``--max-bytes``."""

from __future__ import annotations

import argparse

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.jsonl import DEFAULT_MAX_FILE_BYTES

MAX_TIMEOUT_SECONDS = 7 * 24 * 3600


def seconds(text: str) -> float:
    """A ``--timeout`` value: a positive number of seconds, at most a week."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text[:40]!r}") from None
    if not 0 < value <= MAX_TIMEOUT_SECONDS:
        raise argparse.ArgumentTypeError(f"--timeout must be in (0, {MAX_TIMEOUT_SECONDS}]")
    return value


def byte_count(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 15:
        raise argparse.ArgumentTypeError(f"not a byte count: {text[:40]!r}")
    return int(text)


def add_timeout(p: argparse.ArgumentParser) -> None:
    p.add_argument("--timeout", type=seconds, metavar="SECONDS",
                   help="stop with exit status 2 after SECONDS of wall-clock time (no output "
                        "file is left)")


def add_max_bytes(p: argparse.ArgumentParser) -> None:
    p.add_argument("--max-bytes", type=byte_count, default=DEFAULT_MAX_FILE_BYTES, metavar="B",
                   help=f"refuse an input file larger than B bytes (default "
                        f"{DEFAULT_MAX_FILE_BYTES})")


def positive(value: int, flag: str) -> int:
    if value < 1:
        raise InvalidArgumentError(f"{flag} must be >= 1, got {value}")
    return value

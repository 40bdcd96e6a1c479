"""The `apmdm` command line: a thin layer over the Python API.

Each command lives in ``checks/commands/<name>.py`` and exposes ``register(subparsers)``,
which adds its sub-parser and sets ``handler`` (a function ``args -> int`` exit status).
Errors derived from :class:`ApmdmError` become one-line messages with exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys

from apmdm._version import __version__
from apmdm.machines.errors import ApmdmError, TimeLimitExceeded
from apmdm.machines.jsonl import Terminated, escape_control, terminating_signals_raise

COMMAND_MODULES: list[str] = [
    "apmdm.checks.commands.list_cmd",
    "apmdm.checks.commands.explain_cmd",
    "apmdm.checks.commands.export_cmd",
    "apmdm.checks.commands.validate_transitions_cmd",
    "apmdm.checks.commands.run_pram_cmd",
    "apmdm.checks.commands.run_tm_cmd",
    "apmdm.checks.commands.show_cmd",
    "apmdm.checks.commands.check_cmd",
    "apmdm.checks.commands.trace_cmd",
    "apmdm.checks.commands.sweep_cmd",
    "apmdm.checks.commands.plot_cmd",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="apmdm",
        description="Executable theorems of 'On Powerful Ways to Generate' (arXiv 2510.06190): "
        "machines, constructions and checkers for ARM, MDM and AP-MDM.",
    )
    parser.add_argument("--version", action="version", version=f"apmdm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for mod in COMMAND_MODULES:
        importlib.import_module(mod).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "handler", None):
        parser.print_help()
        return 2
    try:
        with terminating_signals_raise(), _time_limit(getattr(args, "timeout", None)):
            return int(args.handler(args))
    except ApmdmError as exc:
        print(f"apmdm {args.command}: error: {escape_control(str(exc))}", file=sys.stderr)
        return 2
    except RecursionError:
        print(f"apmdm {args.command}: error: input nested too deeply", file=sys.stderr)
        return 2
    except MemoryError:
        print(f"apmdm {args.command}: error: out of memory (lower the size)", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("apmdm: interrupted", file=sys.stderr)
        return 130
    except Terminated as exc:
        print(f"apmdm: terminated by signal {exc.signum}", file=sys.stderr)
        return 128 + exc.signum
    except BrokenPipeError:
        return 0


class _time_limit:
    """``--timeout SECONDS``: a real-time alarm that raises :class:`TimeLimitExceeded`."""

    def __init__(self, seconds: float | None):
        self.seconds = seconds

    def __enter__(self) -> None:
        if self.seconds is None or not hasattr(signal, "setitimer"):
            return
        self.old = signal.signal(signal.SIGALRM, self._expire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def _expire(self, signum: int, frame: object) -> None:
        raise TimeLimitExceeded(f"stopped after --timeout {self.seconds:g} seconds")

    def __exit__(self, *exc: object) -> None:
        if self.seconds is None or not hasattr(signal, "setitimer"):
            return
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

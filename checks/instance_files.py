"""Readers for a user's instance files: PRAM inputs, TM words, Sudoku puzzles, graphs.

All four are line formats [decision]: UTF-8 text, at most 10 MB and 100,000 lines; a line
whose first non-blank character is ``#`` is a comment. Every error is a one-line
:class:`~apmdm.machines.errors.MalformedInstanceFileError` naming the file and the line.

* **PRAM inputs** (``--inputs FILE``): one input per line, comma-separated integers as for
  ``--input`` (``3,1,4,1``); a line holding only ``-`` is the empty input (blank lines are
  skipped).
* **TM words** (``--words FILE``): one word per line, written as for ``run-tm --input``
  (one symbol per character, or comma-separated symbols when some input symbol is longer than
  one character); a blank line is the empty word.
* **Sudoku** (``--instance FILE`` / ``--sudoku FILE``): one puzzle per line in the common
  compact format, ``m²`` characters with ``.`` or ``0`` for a blank: 81 characters for 9×9,
  16 for 4×4, 256 for 16×16 (digits ``1``-``9`` then ``A``-``G``), or ``m²`` whitespace- or
  comma-separated integers on the line (see :mod:`constructions.tasks.sudoku_puzzles`).
* **Graphs** (``--instance FILE`` / ``--graph FILE``): one file is one graph, an edge list with
  one directed edge per line, ``u v`` or ``u v capacity`` (a positive integer; default 1) —
  the format networkx reads with
  ``nx.read_edgelist(path, create_using=nx.MultiDiGraph, data=[("capacity", int)])``.
  Vertex names are tokens without whitespace; when every name is a decimal integer the
  vertices are those integers. An integer capacity c is c parallel unit arcs (the min-cut
  construction cuts unit-capacity multigraphs); repeated lines add up. The source and sink
  are given on the command line (``--source``, ``--sink``); by default the smallest and the
  largest vertex.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from apmdm.machines.errors import ApmdmError, InvalidArgumentError, MalformedInstanceFileError

MAX_FILE_BYTES = 10_000_000
MAX_LINES = 100_000
MAX_CAPACITY = 1_000
MAX_ARCS = 20_000
MAX_VERTICES = 2_000
_NAME = re.compile(r"[A-Za-z0-9_.:+\-]{1,64}")
_INT = re.compile(r"\d{1,9}")


def read_lines(path: str) -> list[tuple[int, str]]:
    """(line number, text) of every non-comment line of ``path`` (bounded)."""
    if os.path.isdir(path):
        raise InvalidArgumentError(f"{path!r} is a directory, not an instance file")
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InvalidArgumentError(f"cannot read {path!r}: {exc.strerror}") from None
    if len(data) > MAX_FILE_BYTES:
        raise MalformedInstanceFileError(f"{path}: larger than {MAX_FILE_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedInstanceFileError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    lines = text.splitlines()
    if len(lines) > MAX_LINES:
        raise MalformedInstanceFileError(f"{path}: {len(lines)} lines; the limit is {MAX_LINES}")
    return [(k, line.strip()) for k, line in enumerate(lines, start=1)
            if not line.strip().startswith("#")]


def _at(path: str, line: int, exc: ApmdmError) -> MalformedInstanceFileError:
    return MalformedInstanceFileError(f"{path}:{line}: {exc}")


def _nonempty(path: str, items: list, what: str) -> list:
    if not items:
        raise MalformedInstanceFileError(f"{path}: no {what} in the file")
    return items


# --- PRAM inputs and TM words ----------------------------------------------------------------


def read_inputs_file(path: str) -> list[tuple[int, tuple[int, ...]]]:
    """(line, input) pairs of a PRAM inputs file."""
    from apmdm.checks.commands.run_pram_cmd import parse_input_list

    out = []
    for line, text in read_lines(path):
        if not text:
            continue
        try:
            out.append((line, () if text == "-" else parse_input_list(text)))
        except ApmdmError as exc:
            raise _at(path, line, exc) from None
    return _nonempty(path, out, "inputs")


def read_words_file(path: str, machine: object) -> list[tuple[int, tuple[str, ...]]]:
    """(line, word) pairs of a TM words file (a blank line is the empty word)."""
    from apmdm.machines.tm_file import parse_word

    out = []
    for line, text in read_lines(path):
        try:
            out.append((line, parse_word(machine, text, "word")))
        except ApmdmError as exc:
            raise _at(path, line, exc) from None
    return _nonempty(path, out, "words")


# --- Sudoku ----------------------------------------------------------------------------------


def read_sudoku_file(path: str) -> list[tuple[int, object]]:
    """(line, :class:`Puzzle`) pairs, one puzzle per non-blank line."""
    from apmdm.constructions.tasks.sudoku_puzzles import parse_puzzle

    out = []
    for line, text in read_lines(path):
        if not text:
            continue
        try:
            out.append((line, parse_puzzle(text)))
        except ApmdmError as exc:
            raise _at(path, line, exc) from None
    return _nonempty(path, out, "puzzles")


# --- graphs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class GraphFile:
    """An edge list as read: vertex names and unit arcs (u, v) with multiplicity."""

    path: str
    names: tuple
    arcs: tuple[tuple[object, object], ...]


def read_graph_file(path: str) -> GraphFile:
    """The edge list of ``path`` (see the module docstring)."""
    rows: list[tuple[int, str, str, int]] = []
    arcs = 0
    for line, text in read_lines(path):
        if not text:
            continue
        fields = text.split()
        if len(fields) not in (2, 3):
            raise MalformedInstanceFileError(f"{path}:{line}: expected 'u v' or 'u v capacity', "
                                             f"got {len(fields)} fields")
        for f in fields[:2]:
            if not _NAME.fullmatch(f):
                raise MalformedInstanceFileError(
                    f"{path}:{line}: vertex name {f[:40]!r} is not 1-64 letters, digits or _.:+-")
        cap = 1
        if len(fields) == 3:
            if not _INT.fullmatch(fields[2]) or not 1 <= int(fields[2]) <= MAX_CAPACITY:
                raise MalformedInstanceFileError(
                    f"{path}:{line}: capacity {fields[2][:40]!r} is not an integer in "
                    f"1..{MAX_CAPACITY}")
            cap = int(fields[2])
        arcs += cap
        if arcs > MAX_ARCS:
            raise MalformedInstanceFileError(f"{path}:{line}: more than {MAX_ARCS} unit arcs "
                                             "(capacities add up)")
        rows.append((line, fields[0], fields[1], cap))
    _nonempty(path, rows, "edges")
    numeric = all(_INT.fullmatch(u) and _INT.fullmatch(v) for _, u, v, _ in rows)
    key = int if numeric else str
    names = sorted({key(x) for _, u, v, _ in rows for x in (u, v)})
    if len(names) > MAX_VERTICES:
        raise MalformedInstanceFileError(f"{path}: {len(names)} vertices; the limit is "
                                         f"{MAX_VERTICES}")
    unit = tuple((key(u), key(v)) for _, u, v, cap in rows for _ in range(cap))
    return GraphFile(path, tuple(names), unit)


def graph_instance(graph: GraphFile, source: str | None, sink: str | None):
    """The :class:`MinCutInstance` of ``graph`` with ``source``/``sink`` given by name
    (default: the smallest and the largest vertex)."""
    from apmdm.constructions.tasks.mincut import MinCutInstance

    def vertex(name: str | None, default: object, flag: str) -> int:
        if name is None:
            return graph.names.index(default)
        for i, v in enumerate(graph.names):
            if str(v) == name:
                return i
        raise InvalidArgumentError(f"{flag} {name!r} is not a vertex of {graph.path}")

    s = vertex(source, graph.names[0], "--source")
    t = vertex(sink, graph.names[-1], "--sink")
    index = {v: i for i, v in enumerate(graph.names)}
    return MinCutInstance(len(graph.names), s, t,
                          tuple((index[u], index[v]) for u, v in graph.arcs), graph.names)

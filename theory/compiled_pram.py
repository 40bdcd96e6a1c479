"""Shape bounds of the compiled PRAM-step transformers (Theorems 1 and 4, transformer level).

Statement [paper]: the Theorem-1 construction is a *constant-depth, O(log n)-width* encoder
(paper-notes); Theorem 4's AP-MDM is built the same way. A check that only counts steps and
context says nothing about that model class: these bounds let `apmdm check --compiled` hold the
compiled transformer itself to it, at every size of the sweep.

Depth [decision, derived from the E-FASP chain of :mod:`constructions.pram.compiled`]. The
scheduler puts each head / gadget in the earliest sublayer its inputs allow, so the depth is
the longest dependency chain of the step program. That chain is fixed by the construction
(layout, current block, fetch of the previous slot, decode, memory read, execute) and by one
property of the PRAM program only: whether it divides (``div`` / ``mod``: the quotient is
computed digit-group by digit-group, a longer chain). It does not depend on n, the time or
memory bound, the word size, or the other opcodes. Counted by compiling every opcode alone:

* Theorem 1 (MDM): **9** layers, **20** with division;
* Theorem 4 (AP-MDM): **10** layers, **19** with division.

The depth is held from both sides: never above the declared value, and at most
``depth_slack`` below it: 0 for a program that reads memory (every library program), 1 for
one without a ``load`` (the Theorem-1 read head then has nothing to wait for, one layer less).
A compiler change that adds a layer at some n, or a loosened constant, fails the row.

Width [decision]. Every residual dimension is a named feature: per instruction a decoded
one-hot and its gadget outputs, per register a value and (for registers whose bits an
instruction needs) w bits, where the word size w <= ⌈log₂ L⌉ + 12 (``bitlen(L) + 7`` clamped
to at least 12, L the canvas length); each division adds one comparison per low-digit value,
``K = ⌈2^(w+1) / L⌉ <= max(512, ⌈2^13 / L⌉)``. The declared envelope, for a program of I
instructions and R registers::

    items     = I + R + 1 + 16·B        (B = instructions with a bit-level gadget:
                                          mul, and, or, xor, shr, div, mod)
    width     <= items · (⌈log₂ L⌉ + 12) + K_max(L)·D   (D = div / mod instructions)
    mlp_width <= 2 · the same expression   (one MLP holds a layer's gadgets side by side)

i.e. ``a + b·⌈log₂ L⌉`` with ``a = 12·items + K_max·D``, ``b = items``: logarithmic in the
context for a fixed program. A bit-level gadget has at most 16 units per word bit (``and`` at
w = 12 adds 143 dimensions, the widest); the per-item coefficient 1 elsewhere is an envelope
over the gadgets, not a gadget-by-gadget count (see docs/theorem-1.md, "What is not
shown").
"""

from __future__ import annotations

DEPTH = {"1": 9, "4": 10}
DEPTH_DIVIDE = {"1": 20, "4": 19}
WORD_EXTRA = 12
LOW_DIGITS_MIN = 512
LOW_DIGITS_NUMERATOR = 2 ** 13


def ceil_log2(x: int) -> int:
    """⌈log₂ x⌉ for x >= 1 (0 for x = 1)."""
    return max(0, (max(1, x) - 1).bit_length())


def depth_bound(theorem: str, divides: bool) -> int:
    """The declared (exact) depth of the compiled Theorem-``theorem`` step transformer."""
    return (DEPTH_DIVIDE if divides else DEPTH)[theorem]


MLP_FACTOR = 2


def mlp_width_bound(width: int) -> int:
    """The widest MLP allowed, from the residual width bound: ``2·width_bound``."""
    return MLP_FACTOR * width


def depth_slack(theorem: str, loads: bool) -> int:
    """How far below :func:`depth_bound` the measured depth may be (see above)."""
    return 0 if loads else 1


def low_digits_max(context: int) -> int:
    """The largest low-digit base K a dividing program's quotient gadget uses at length L."""
    return max(LOW_DIGITS_MIN, -(-LOW_DIGITS_NUMERATOR // max(1, context)))


BIT_GADGET_UNITS = 16


def width_bound(instructions: int, registers: int, bit_instructions: int, context: int,
                divisions: int) -> int:
    """``items·(⌈log₂ L⌉ + 12) + K_max(L)·D`` with ``items = I + R + 1 + 16·B``: the
    residual (and MLP) width allowed."""
    items = instructions + registers + 1 + BIT_GADGET_UNITS * bit_instructions
    return items * (ceil_log2(context) + WORD_EXTRA) + low_digits_max(context) * divisions

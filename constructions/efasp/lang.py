"""E-FASP: a small language of per-position features, and its type checker.

[decision] The paper names E-FASP (an extension of PENCIL's FASP) without defining it; this
is our definition. A *program* is a list of named nodes; every node is a feature, i.e. one
value per canvas position, computed from the canvas only:

* inputs: ``token_field(F)`` (an integer field of the token, 0 at MASK), ``is_mask()``,
  ``position()`` (0-based, re-encoded each step), ``position_sq()``, ``const(c)``; also
  ``token_field_bit(F, b)`` (bit b of a field, two's complement) and
  ``position_div(K, O)`` / ``position_mod(K, O)`` (block index and slot of a blocked layout);
* local maps (compiled to exact ReLU MLPs): ``linear`` (add, subtract, scale by an
  integer, add a constant: free, they fold into the next linear map), ``compare``
  (``< <= > >= == !=``), ``max``, ``min``, ``select``, ``and``/``or``/``not``/``xor``,
  ``lookup`` (a finite table on the argument's integer domain) and ``mul`` (product of two
  variables; width grows with the smaller domain, reported);
* aggregations over all positions (non-causal AHA): ``rightmost_match(query, key, value,
  where, default)`` (the value at the largest j with ``key_j == query_i`` and ``where_j``),
  ``seq_max``/``seq_min`` (with ``where``/``default``), ``seq_sum`` (integer) and ``seq_mean``
  (a rational; ``prefix=True`` averages over ``j <= i`` with a causal head),
  ``count_match(pairs, where)`` (how many ``j`` have ``key_j == query_i`` for every boolean
  pair, and ``where_j``: an integer in ``[0, L]``), and
  ``quotient(a, b)`` (``floor(a / b)`` for a divisor ``b >= 1``, clamped to the positions
  ``[0, L - 1]``: the positions serve as the candidate quotients of one pick head).

Every integer feature has a declared or inferred domain ``[lo, hi]``; the compiled MLPs are
exact on these domains. Means are *rational* features: they may only feed ``linear`` maps
(at most one rational term) and comparisons (at most one rational side), which is what
keeps the compiled transformer exact (see machines/transformer/forward.py).

Outputs: the token (either integer ``fields`` of a wide token decoded by the program's
codec, or an index into a finite ``vocab``) and optionally the three control bits.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from apmdm.machines.errors import InvalidEFASPProgramError
from apmdm.machines.transformer.embedding import TokenCodec

COMPARE_OPS = ("<", "<=", ">", ">=", "==", "!=")
MAX_LOOKUP_DOMAIN = 1 << 16


@dataclass(frozen=True)
class Node:
    """One feature. ``op`` selects the meaning of ``args`` (node names) and ``params``."""

    name: str
    op: str
    args: tuple[str, ...] = ()
    params: tuple = ()


@dataclass(frozen=True)
class Type:
    """Value range of a feature. ``rational``: a mean; ``denom`` is ``"length"`` (mean over
    the whole canvas) or ``"count"`` (mean over a subset), ``None`` for integers."""

    lo: int | Fraction
    hi: int | Fraction
    rational: bool = False
    denom: str | None = None

    @property
    def is_bool(self) -> bool:
        return not self.rational and self.lo >= 0 and self.hi <= 1


class Feature:
    """A handle on a program node, with arithmetic sugar (+, -, unary -, * by an int)."""

    def __init__(self, program: Program, name: str):
        self.program, self.name = program, name

    def __repr__(self) -> str:
        return f"Feature({self.name!r})"

    def __add__(self, other: Feature | int) -> Feature:
        return self.program.linear([(self, 1), (other, 1)])

    def __radd__(self, other: int) -> Feature:
        return self.__add__(other)

    def __sub__(self, other: Feature | int) -> Feature:
        return self.program.linear([(self, 1), (other, -1)])

    def __rsub__(self, other: int) -> Feature:
        return self.program.linear([(other, 1), (self, -1)])

    def __neg__(self) -> Feature:
        return self.program.linear([(self, -1)])

    def __mul__(self, k: int) -> Feature:
        if isinstance(k, bool) or not isinstance(k, int):
            raise InvalidEFASPProgramError(
                f"program {self.program.name}: {self.name} * {k!r}: only integer constants "
                "scale a feature; use Program.mul for a product of two features")
        return self.program.linear([(self, k)])

    __rmul__ = __mul__


@dataclass
class Program:
    """A program under construction. ``fields``: ``(name, lo, hi)`` per token field;
    ``encode``/``decode`` map a token to its field values and back."""

    name: str
    fields: tuple[tuple[str, int, int], ...]
    encode: Callable[[Any], tuple[int, ...]]
    decode: Callable[[tuple[int, ...]], Any] = tuple
    nodes: list[Node] = field(default_factory=list)
    token_output: tuple = ()     # ("fields", names...) or ("vocab", index_name, vocab)
    control_output: tuple = ()   # (remask, insert, delete) names or None each
    description: str = ""
    _counter: int = 0
    encode_rows: Callable[[Sequence[Any]], Any] | None = None   # TokenCodec's batch forms
    decode_rows: Callable[[Any], list | None] | None = None

    # --- plumbing ---------------------------------------------------------------------

    @property
    def codec(self) -> TokenCodec:
        return TokenCodec(tuple(f[0] for f in self.fields),
                          tuple((f[1], f[2]) for f in self.fields), self.encode, self.decode,
                          self.encode_rows, self.decode_rows)

    def node(self, name: str) -> Node:
        for nd in self.nodes:
            if nd.name == name:
                return nd
        raise InvalidEFASPProgramError(f"program {self.name}: no node named {name!r}")

    def _add(self, op: str, args: Sequence[Any], params: tuple = (),
             name: str | None = None) -> Feature:
        if name is None:
            self._counter += 1
            name = f"{op}{self._counter}"
        refs = tuple(self._ref(a, name) for a in args)
        self.nodes.append(Node(name, op, refs, params))
        return Feature(self, name)

    def _ref(self, a: Any, user: str) -> str:
        if isinstance(a, Feature):
            if a.program is not self:
                raise InvalidEFASPProgramError(
                    f"program {self.name}: node {user!r} uses {a.name!r} from another program")
            return a.name
        if isinstance(a, int) and not isinstance(a, bool):
            return self.const(a).name
        if isinstance(a, str):
            return a
        raise InvalidEFASPProgramError(
            f"program {self.name}: node {user!r}: argument {a!r} is not a feature")

    # --- inputs -----------------------------------------------------------------------

    def token_field(self, field_name: str, name: str | None = None) -> Feature:
        return self._add("token_field", (), (field_name,), name or field_name)

    def is_mask(self, name: str | None = None) -> Feature:
        return self._add("is_mask", (), (), name)

    def position(self, name: str | None = None) -> Feature:
        return self._add("position", (), (), name)

    def token_field_sq(self, field_name: str, name: str | None = None) -> Feature:
        """The square of a token field (an embedding feature, ``field_sq:F``)."""
        return self._add("token_field_sq", (), (field_name,), name)

    def token_field_bit(self, field_name: str, bit: int, name: str | None = None) -> Feature:
        """Bit ``bit`` of a token field in two's complement (``(v >> bit) & 1``; 0 at MASK):
        an embedding feature, like ``field_sq``."""
        return self._add("token_field_bit", (), (field_name, bit), name)

    def position_sq(self, name: str | None = None) -> Feature:
        """``j^2`` (the embedding feature ``pos_sq``), e.g. a value for a square lookup."""
        return self._add("position_sq", (), (), name)

    def position_div(self, k: int, offset: int = 0, name: str | None = None) -> Feature:
        """``floor((j - offset) / k)``: the block index of a layout of blocks of ``k``
        positions starting at ``offset`` (a position-encoding feature)."""
        return self._add("position_div", (), (k, offset), name)

    def position_mod(self, k: int, offset: int = 0, name: str | None = None) -> Feature:
        """``(j - offset) mod k``: the slot inside that block (a position-encoding feature)."""
        return self._add("position_mod", (), (k, offset), name)

    def const(self, value: int, name: str | None = None) -> Feature:
        return self._add("const", (), (value,), name)

    # --- local maps -------------------------------------------------------------------

    def linear(self, terms: Sequence[tuple[Any, int]], const: int = 0,
               name: str | None = None) -> Feature:
        args = [t[0] for t in terms if not isinstance(t[0], int) or isinstance(t[0], bool)]
        const = const + sum(t[0] * t[1] for t in terms
                            if isinstance(t[0], int) and not isinstance(t[0], bool))
        coeffs = tuple(t[1] for t in terms
                       if not isinstance(t[0], int) or isinstance(t[0], bool))
        return self._add("linear", args, (coeffs, const), name)

    def compare(self, a: Any, op: str, b: Any, name: str | None = None) -> Feature:
        return self._add("compare", (a, b), (op,), name)

    def max(self, a: Any, b: Any, name: str | None = None) -> Feature:
        return self._add("max", (a, b), (), name)

    def min(self, a: Any, b: Any, name: str | None = None) -> Feature:
        return self._add("min", (a, b), (), name)

    def select(self, cond: Any, a: Any, b: Any, name: str | None = None) -> Feature:
        return self._add("select", (cond, a, b), (), name)

    def and_(self, *args: Any, name: str | None = None) -> Feature:
        return self._add("and", args, (), name)

    def or_(self, *args: Any, name: str | None = None) -> Feature:
        return self._add("or", args, (), name)

    def not_(self, a: Any, name: str | None = None) -> Feature:
        return self._add("not", (a,), (), name)

    def xor(self, a: Any, b: Any, name: str | None = None) -> Feature:
        return self._add("xor", (a, b), (), name)

    def lookup(self, x: Any, table: dict[int, int], default: int = 0,
               name: str | None = None) -> Feature:
        return self._add("lookup", (x,), (tuple(sorted(table.items())), default), name)

    def mul(self, a: Any, b: Any, name: str | None = None) -> Feature:
        return self._add("mul", (a, b), (), name)

    # --- aggregations -----------------------------------------------------------------

    def rightmost_match(self, query: Any, key: Any, value: Any, where: Any = None,
                        default: int = 0, name: str | None = None,
                        key_sq: Any = None) -> Feature:
        """``key_sq`` (optional): a feature equal to ``key**2`` at every position (the
        evaluator checks it), used for the score instead of a key-square lookup gadget; e.g.
        an affine form of embedding features when the key is an affine map of a field."""
        args = (query, key, value) + ((where,) if where is not None else ())
        if key_sq is None:
            return self._add("rightmost_match", args, (default, where is not None), name)
        return self._add("rightmost_match", args + (key_sq,), (default, where is not None, True),
                         name)

    def quotient(self, a: Any, b: Any, name: str | None = None) -> Feature:
        """``min(max(floor(a / b), 0), L - 1)`` for a divisor whose domain is ``b >= 1``
        (``L`` = canvas length): one pick head whose candidates are the positions ``j``
        (see :mod:`constructions.efasp.lower`). Exact ``floor(a / b)`` whenever
        ``0 <= a < L * b``; a caller that needs more checks ``0 <= a - q * b < b``."""
        return self._add("quotient", (a, b), (), name)

    def seq_max(self, x: Any, where: Any = None, default: int = 0,
                name: str | None = None) -> Feature:
        args = (x,) + ((where,) if where is not None else ())
        return self._add("seq_max", args, (default, where is not None), name)

    def seq_min(self, x: Any, where: Any = None, default: int = 0,
                name: str | None = None) -> Feature:
        args = (x,) + ((where,) if where is not None else ())
        return self._add("seq_min", args, (default, where is not None), name)

    def seq_mean(self, x: Any, where: Any = None, prefix: bool = False,
                 name: str | None = None) -> Feature:
        args = (x,) + ((where,) if where is not None else ())
        return self._add("seq_mean", args, (bool(prefix), where is not None), name)

    def seq_sum(self, x: Any, where: Any = None, name: str | None = None) -> Feature:
        args = (x,) + ((where,) if where is not None else ())
        return self._add("seq_sum", args, (where is not None,), name)

    def count_match(self, pairs: Sequence[tuple[Any, Any]], where: Any = None,
                    name: str | None = None) -> Feature:
        """``#{j : key_j == query_i for every (query, key) in pairs, and where_j}``: the
        number of positions whose key booleans equal my query booleans (a *selector width*).
        Queries, keys and ``where`` are boolean features (integer constants 0/1 allowed);
        the result is an integer in ``[0, L]``. Compiled with an anchor at position 0, a
        mean head (``1/|A|``) and a conversion head back to the integer count (see
        :mod:`constructions.efasp.lower`): O(len(pairs)) width, constant depth."""
        pairs = tuple(pairs)
        for pair in pairs:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InvalidEFASPProgramError(
                    f"program {self.name}: count_match pairs must be (query, key) tuples, got "
                    f"{pair!r}")
        args = tuple(x for pair in pairs for x in pair) + ((where,) if where is not None else ())
        return self._add("count_match", args, (len(pairs), where is not None), name)

    # --- outputs ----------------------------------------------------------------------

    def output_fields(self, *features: Any) -> None:
        self.token_output = ("fields",) + tuple(self._ref(f, "<output>") for f in features)

    def output_vocab(self, index: Any, vocab: Sequence[Any]) -> None:
        self.token_output = ("vocab", self._ref(index, "<output>"), tuple(vocab))

    def output_controls(self, remask: Any = None, insert: Any = None, delete: Any = None) -> None:
        self.control_output = tuple(None if f is None else self._ref(f, "<controls>")
                                    for f in (remask, insert, delete))

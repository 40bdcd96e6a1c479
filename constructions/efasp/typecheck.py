"""The first compiler pass: validate an E-FASP program and infer each feature's domain.

Domains are intervals, propagated by interval arithmetic; they are sound, so every value a
node takes on a canvas of length <= ``max_length`` lies in its domain, which is where the
compiled gadgets are exact. Every problem raises :class:`InvalidEFASPProgramError` naming
the program and the offending node.
"""

from __future__ import annotations

from fractions import Fraction

from apmdm.constructions.efasp.lang import COMPARE_OPS, MAX_LOOKUP_DOMAIN, Node, Program, Type
from apmdm.machines.errors import InvalidEFASPProgramError

ARITY = {"token_field": (0, 0), "is_mask": (0, 0), "position": (0, 0), "const": (0, 0),
         "linear": (0, 1 << 16), "compare": (2, 2), "max": (2, 2), "min": (2, 2),
         "select": (3, 3), "and": (1, 1 << 16), "or": (1, 1 << 16), "not": (1, 1), "xor": (2, 2),
         "lookup": (1, 1), "mul": (2, 2), "rightmost_match": (3, 5),
         "token_field_bit": (0, 0), "token_field_sq": (0, 0), "position_div": (0, 0),
         "position_mod": (0, 0), "seq_max": (1, 2), "quotient": (2, 2),
         "seq_min": (1, 2), "seq_mean": (1, 2), "seq_sum": (1, 2)}
ARITY.update({"count_match": (0, 1 << 16), "position_sq": (0, 0)})


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


class TypeChecker:
    def __init__(self, program: Program, max_length: int):
        self.p, self.n = program, max_length
        self.types: dict[str, Type] = {}
        self.node: Node | None = None

    def fail(self, msg: str) -> None:
        where = f"node {self.node.name!r} ({self.node.op})" if self.node else "program"
        raise InvalidEFASPProgramError(f"program {self.p.name}: {where}: {msg}")

    def run(self) -> dict[str, Type]:
        if isinstance(self.n, bool) or not _is_int(self.n) or self.n < 1:
            self.fail(f"max_length must be a positive integer, got {self.n!r}")
        self.check_fields()
        for nd in self.p.nodes:
            self.node = nd
            self.check_node_shape(nd)
            self.types[nd.name] = getattr(self, "t_" + nd.op)(nd, [self.types[a] for a in nd.args])
        self.node = None
        self.check_outputs()
        return self.types

    def check_fields(self) -> None:
        seen = set()
        for f in self.p.fields:
            if len(f) != 3 or not isinstance(f[0], str) or not _is_int(f[1]) or not _is_int(f[2]) \
                    or f[1] > f[2] or f[0] in seen:
                self.fail(f"bad token field declaration {f!r} (name, lo <= hi, unique names)")
            seen.add(f[0])

    def check_node_shape(self, nd: Node) -> None:
        if not isinstance(nd.name, str) or not nd.name or nd.name in self.types:
            self.fail("node names must be non-empty and unique")
        if nd.op not in ARITY:
            self.fail(f"unknown operation {nd.op!r}")
        lo, hi = ARITY[nd.op]
        if not lo <= len(nd.args) <= hi:
            self.fail(f"takes {lo}..{hi} arguments, got {len(nd.args)}")
        for a in nd.args:
            if a not in self.types:
                self.fail(f"argument {a!r} is not an earlier node")

    def need_int(self, t: Type, what: str) -> None:
        if t.rational:
            self.fail(f"{what} is a rational mean; only linear maps and comparisons accept one")

    def need_bool(self, t: Type, what: str) -> None:
        if t.rational or not t.is_bool:
            self.fail(f"{what} must be a boolean feature (domain within [0, 1]), "
                      f"has domain [{t.lo}, {t.hi}]")

    def need_default(self, v: object) -> int:
        if not _is_int(v):
            self.fail(f"default must be an integer, got {v!r}")
        return v

    # --- inputs ---
    def t_token_field(self, nd: Node, _ts: list) -> Type:
        for f, lo, hi in self.p.fields:
            if nd.params == (f,):
                return Type(min(lo, 0), max(hi, 0))
        self.fail(f"unknown token field {nd.params!r}")

    def t_token_field_sq(self, nd: Node, _ts: list) -> Type:
        for f, lo, hi in self.p.fields:
            if nd.params == (f,):
                m = max(abs(lo), abs(hi))
                return Type(0, m * m)
        self.fail(f"unknown token field {nd.params!r}")

    def t_token_field_bit(self, nd: Node, _ts: list) -> Type:
        if len(nd.params) != 2 or not _is_int(nd.params[1]) or not 0 <= nd.params[1] < 63:
            self.fail(f"bit index must be an integer in 0..62, got {nd.params!r}")
        if nd.params[0] not in [f[0] for f in self.p.fields]:
            self.fail(f"unknown token field {nd.params[0]!r}")
        return Type(0, 1)

    def _block(self, nd: Node) -> tuple[int, int]:
        if len(nd.params) != 2 or not all(_is_int(v) for v in nd.params) or nd.params[0] < 1:
            self.fail(f"needs (k >= 1, offset) integers, got {nd.params!r}")
        return nd.params

    def t_position_div(self, nd: Node, _ts: list) -> Type:
        k, off = self._block(nd)
        return Type((0 - off) // k, (self.n - 1 - off) // k)

    def t_position_mod(self, nd: Node, _ts: list) -> Type:
        k, _ = self._block(nd)
        return Type(0, k - 1)

    def t_is_mask(self, nd: Node, _ts: list) -> Type:
        return Type(0, 1)

    def t_position(self, nd: Node, _ts: list) -> Type:
        return Type(0, self.n - 1)

    def t_position_sq(self, nd: Node, _ts: list) -> Type:
        return Type(0, (self.n - 1) ** 2)

    def t_const(self, nd: Node, _ts: list) -> Type:
        if len(nd.params) != 1 or not _is_int(nd.params[0]):
            self.fail(f"constant must be an integer, got {nd.params!r}")
        return Type(nd.params[0], nd.params[0])

    # --- local maps ---
    def t_linear(self, nd: Node, ts: list) -> Type:
        coeffs, const = nd.params
        if len(coeffs) != len(ts) or not all(_is_int(c) for c in coeffs) or not _is_int(const):
            self.fail("linear coefficients and constant must be integers, one per argument")
        rats = [t for t in ts if t.rational]
        if len(rats) > 1 or (rats and len({t.denom for t in rats}) > 1):
            self.fail("a linear map may combine at most one rational mean with integers")
        lo = hi = Fraction(const) if rats else const
        for c, t in zip(coeffs, ts, strict=True):
            a, b = c * t.lo, c * t.hi
            lo, hi = lo + min(a, b), hi + max(a, b)
        return Type(lo, hi, bool(rats), rats[0].denom if rats else None)

    def t_compare(self, nd: Node, ts: list) -> Type:
        if nd.params not in tuple((o,) for o in COMPARE_OPS):
            self.fail(f"comparison must be one of {COMPARE_OPS}, got {nd.params!r}")
        if ts[0].rational and ts[1].rational:
            self.fail("at most one side of a comparison may be a rational mean")
        return Type(0, 1)

    def t_max(self, nd: Node, ts: list) -> Type:
        for k, t in enumerate(ts):
            self.need_int(t, f"argument {k}")
        return Type(max(ts[0].lo, ts[1].lo), max(ts[0].hi, ts[1].hi))

    def t_min(self, nd: Node, ts: list) -> Type:
        for k, t in enumerate(ts):
            self.need_int(t, f"argument {k}")
        return Type(min(ts[0].lo, ts[1].lo), min(ts[0].hi, ts[1].hi))

    def t_select(self, nd: Node, ts: list) -> Type:
        self.need_bool(ts[0], "condition")
        self.need_int(ts[1], "then-value")
        self.need_int(ts[2], "else-value")
        return Type(min(ts[1].lo, ts[2].lo), max(ts[1].hi, ts[2].hi))

    def _logic(self, ts: list) -> Type:
        for k, t in enumerate(ts):
            self.need_bool(t, f"argument {k}")
        return Type(0, 1)

    t_and = t_or = t_not = t_xor = lambda self, nd, ts: self._logic(ts)

    def t_lookup(self, nd: Node, ts: list) -> Type:
        self.need_int(ts[0], "argument")
        table, default = nd.params
        self.need_default(default)
        if not all(_is_int(k) and _is_int(v) for k, v in table):
            self.fail("lookup table keys and values must be integers")
        if ts[0].hi - ts[0].lo + 1 > MAX_LOOKUP_DOMAIN:
            self.fail(f"argument domain [{ts[0].lo}, {ts[0].hi}] is too large for a lookup")
        tab = dict(table)
        vals = [tab.get(k, default) for k in range(ts[0].lo, ts[0].hi + 1)]
        return Type(min(vals), max(vals))

    def t_mul(self, nd: Node, ts: list) -> Type:
        for k, t in enumerate(ts):
            self.need_int(t, f"argument {k}")
        if min(t.hi - t.lo + 1 for t in ts) > MAX_LOOKUP_DOMAIN:
            self.fail("both factors have domains too large for the multiplication gadget")
        corners = [a * b for a in (ts[0].lo, ts[0].hi) for b in (ts[1].lo, ts[1].hi)]
        return Type(min(corners), max(corners))

    # --- aggregations ---
    def _where(self, nd: Node, ts: list, k: int) -> None:
        if nd.params[-1]:
            self.need_bool(ts[k], "where")

    def t_rightmost_match(self, nd: Node, ts: list) -> Type:
        has_sq = len(nd.params) > 2 and bool(nd.params[2])
        if len(ts) != 3 + int(bool(nd.params[1])) + int(has_sq):
            self.fail("argument count does not match the where / key_sq flags")
        for k, what in enumerate(("query", "key", "value")):
            self.need_int(ts[k], what)
        if nd.params[1]:
            self.need_bool(ts[3], "where")
        if has_sq:
            self.need_int(ts[-1], "key_sq")
        d = self.need_default(nd.params[0])
        return Type(min(ts[2].lo, d), max(ts[2].hi, d))

    def t_quotient(self, nd: Node, ts: list) -> Type:
        self.need_int(ts[0], "dividend")
        self.need_int(ts[1], "divisor")
        if ts[1].lo < 1:
            self.fail(f"the divisor's domain [{ts[1].lo}, {ts[1].hi}] must lie in [1, ...) "
                      "(e.g. max(b, 1), with the caller checking b >= 1)")
        return Type(0, self.n - 1)

    def t_seq_max(self, nd: Node, ts: list) -> Type:
        if len(ts) != 1 + int(bool(nd.params[1])):
            self.fail("argument count does not match the where flag")
        self.need_int(ts[0], "argument")
        self._where(nd, ts, 1)
        d = self.need_default(nd.params[0])
        if nd.params[1]:
            return Type(min(ts[0].lo, d), max(ts[0].hi, d))
        return Type(ts[0].lo, ts[0].hi)

    t_seq_min = t_seq_max

    def t_seq_mean(self, nd: Node, ts: list) -> Type:
        if len(ts) != 1 + int(bool(nd.params[1])):
            self.fail("argument count does not match the where flag")
        self.need_int(ts[0], "argument")
        self._where(nd, ts, 1)
        prefix, has_where = nd.params
        lo, hi = ts[0].lo, ts[0].hi
        if has_where:
            lo, hi = min(lo, 0), max(hi, 0)
        denom = "length" if not prefix and not has_where else "count"
        return Type(Fraction(lo), Fraction(hi), True, denom)

    def t_seq_sum(self, nd: Node, ts: list) -> Type:
        if len(ts) != 1 + int(bool(nd.params[0])):
            self.fail("argument count does not match the where flag")
        self.need_int(ts[0], "argument")
        self._where(nd, ts, 1)
        return Type(self.n * min(ts[0].lo, 0), self.n * max(ts[0].hi, 0))

    def t_count_match(self, nd: Node, ts: list) -> Type:
        if len(nd.params) != 2 or not _is_int(nd.params[0]) or nd.params[0] < 0:
            self.fail(f"needs (number of pairs, where flag), got {nd.params!r}")
        npairs, has_where = nd.params
        if len(ts) != 2 * npairs + int(bool(has_where)):
            self.fail("argument count does not match the pairs / where flag")
        for k in range(npairs):
            self.need_bool(ts[2 * k], f"query of pair {k}")
            self.need_bool(ts[2 * k + 1], f"key of pair {k}")
        self._where(nd, ts, 2 * npairs)
        return Type(0, self.n)

    # --- outputs ---
    def check_outputs(self) -> None:
        out = self.p.token_output
        if not out or out[0] not in ("fields", "vocab"):
            self.fail("no token output: call output_fields(...) or output_vocab(...)")
        names = out[1:] if out[0] == "fields" else (out[1],)
        if out[0] == "fields" and len(names) != len(self.p.fields):
            self.fail(f"output_fields gives {len(names)} fields, the codec has "
                      f"{len(self.p.fields)}")
        if out[0] == "vocab" and (len(out) != 3 or not out[2]):
            self.fail("output_vocab needs an index feature and a non-empty vocabulary")
        for nm in names:
            if nm not in self.types:
                self.fail(f"output {nm!r} is not a node")
            self.need_int(self.types[nm], f"output {nm!r}")
        if out[0] == "vocab":
            t = self.types[out[1]]
            if t.lo < 0 or t.hi >= len(out[2]):
                self.fail(f"vocabulary index {out[1]!r} has domain [{t.lo}, {t.hi}], outside "
                          f"[0, {len(out[2]) - 1}]")
        for nm in self.p.control_output or ():
            if nm is not None:
                if nm not in self.types:
                    self.fail(f"control output {nm!r} is not a node")
                self.need_bool(self.types[nm], f"control output {nm!r}")


def check_program(program: Program, max_length: int) -> dict[str, Type]:
    """Validate ``program`` for canvases of length <= ``max_length``; return node types."""
    return TypeChecker(program, max_length).run()

"""Theorem 3 at the transformer level: an AO-MDM given as an E-FASP program becomes one
Masked-ARM transformer with at most two extra layers.

Input: an E-FASP program whose compiled next-step function is an AO-MDM (fills exactly one
mask per step: the remask bit stays set on every other mask) and the AO canvas length S.
Output (:func:`compile_masked_arm`): a compiled transformer for the Masked-ARM of the
log-and-replay construction (:mod:`constructions.masked_arm.schedule`), with max length 2S.

**Canvas** [decision]. The Masked-ARM canvas is a *log* of (position, token) records:

    cell(0, x0_0) … cell(S-1, x0_{S-1})   MASK … MASK   (m slots, m = #masks of x0)

``cell(p, t) = ("cell", p, t)`` is the initial AO token at p (``t = BLANK`` for a MASK);
each step writes the record ``(p, y)`` (the AO decision) into the leftmost slot. Every
non-mask token therefore names a position, which is what makes the rebuild one exact match
(below). Length S + m <= 2S. Token fields: ``t3.cell``, ``t3.rec``, ``t3.blank`` (0/1),
``t3.rpos`` (the named position) and the AO program's own fields (0 on blank cells).

**The transformation** works on the *lowered* program (the compiler's IR of attention heads
and MLP gadgets over named residual dimensions, :mod:`constructions.efasp.lower`), then
reuses the compiler's ``schedule`` and ``assemble``:

1. *rebuild* (one head, layer 0): position ``i`` attends by rightmost exact match
   ``score_j = 2N i k_j - N k_j^2 + N w_j + j`` (``k = t3.rpos``, ``w = cell + rec``,
   ``N = 2S``) and reads the matched token's features. For ``i < S`` a match always exists
   (the cell at ``i`` names ``i``), so no default branch is needed and the head's outputs
   *are* the rebuilt AO token features (``is_mask`` = the blank flag, ``field:F``,
   ``field_sq:F``): the original token features re-derived inside the stream, for free;
2. *original layers*: every head and gadget of the AO program, with each AO token-feature
   dimension renamed to its rebuilt dimension (position features are unchanged: region
   positions are AO positions), and every AO head's keys restricted to the canvas region:
   its score gets ``+ B · cell_j`` with ``B`` larger than twice the head's score bound
   (interval bounds over the IR), so the arg-max always lies among the cells; means, sums
   (whose length bits come from a scoped ``seq_max(pos)``) and maxima are then exactly the
   AO program's values on the AO canvas;
3. *decision and log* (one head): the AO decision is the unique region position with
   ``rebuilt is_mask = 1`` and AO remask bit 0. The head scores ``N (blank_j + cell_j -
   remask_j) + j`` (maximal, = 2N + j, exactly at that position) and reads ``(j, y_j)``;
   for a vocabulary readout it reads the index and lookup gadgets (same layer) turn it into
   the AO token's fields. The leftmost free slot is ``is_mask_i ∧ ¬is_mask_{i-1}`` (one head
   reading the left neighbour, one gadget, in parallel with the rebuild). Outputs: the
   record's fields at every position (g reads a token only at the unmasked slot) and remask
   on every other masked slot.

Depth: step 1 delays AO heads that read token features by one layer (gadgets read the head
outputs in layer 0's MLP), so every AO op lands at most one layer later; step 3 adds one
attention layer after the AO remask bit. Hence ``depth <= depth_AO + 2``
(:data:`theory.theorem3.COMPILED_EXTRA_LAYERS`); :attr:`CompiledMaskedARM.extra_layers` is
the measured difference of the two compiled depths.

EOS: if the AO-MDM has an EOS token, the slot after a record ``(p, eos)`` receives ``HALT``
(the Masked-ARM's EOS), as in the function-level construction: a second head on the left
neighbour reads its record flag and fields, one equality gadget (layer 0's MLP) compares an
injective code of the fields with the EOS, and the output fields become HALT's through
select / lookup gadgets in the decision layer's MLP: no extra layer.

Not covered: AO programs that read the token feature ``field_eq:F:0`` (a blank cell has
field 0; refused with a clear error).

Why not a program-to-program transformation: E-FASP (as of this writing) has no
aggregation whose keys can be restricted without an extra MLP layer per use, no exact match
without a default branch, and no way to refer to a compiled output; the IR has all three.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from apmdm.constructions.efasp import gadgets as G
from apmdm.constructions.efasp.compiler import assemble, compile_program, schedule
from apmdm.constructions.efasp.gadgets import Affine, Gadget
from apmdm.constructions.efasp.lang import Program, Type
from apmdm.constructions.efasp.lower import GadgetOp, HeadOp, Lowered, lower
from apmdm.constructions.efasp.typecheck import check_program
from apmdm.constructions.masked_arm.schedule import BLANK, HALT, LoggedLayout, MaskedARMSimulation
from apmdm.machines.errors import ConstructionError, InvalidArgumentError
from apmdm.machines.process import GenerationProcess, Model
from apmdm.machines.tokens import MASK, Canvas
from apmdm.machines.transformer import CompiledTransformer
from apmdm.machines.transformer.embedding import TokenCodec

CELL = "cell"
F_CELL, F_REC, F_BLANK, F_HALT, F_RPOS = "t3.cell", "t3.rec", "t3.blank", "t3.halt", "t3.rpos"
_OWN_FIELDS = (F_CELL, F_REC, F_BLANK, F_HALT, F_RPOS)
POS, POS_SQ = "in.pos", "in.pos_sq"


def cell(p: int, token: Any) -> tuple:
    """The initial-canvas record of position ``p`` (``token`` is ``BLANK`` for a MASK)."""
    return (CELL, p, token)


def _in(feature: str) -> Affine:
    return Affine.dim("in." + feature)


# --- the canvas and its codec ----------------------------------------------------------------


def masked_arm_codec(ao_program: Program, size: int) -> TokenCodec:
    """Fields ``t3.cell, t3.rec, t3.blank, t3.rpos`` then the AO fields (widened to hold 0)."""
    ao = ao_program.codec
    clash = set(_OWN_FIELDS) & set(ao.field_names)
    if clash:
        raise ConstructionError(f"AO program {ao_program.name}: field name {min(clash)!r} is "
                                "reserved by the Theorem 3 construction")
    nf = len(ao.field_names)
    bounds = ((0, 1), (0, 1), (0, 1), (0, 1), (0, size - 1)) + tuple(
        (min(lo, 0), max(hi, 0)) for lo, hi in ao.bounds)

    def encode(tok: Any) -> tuple[int, ...]:
        if isinstance(tok, tuple) and len(tok) == 3 and tok[0] == CELL:
            _, p, t = tok
            if t == BLANK:
                return (1, 0, 1, 0, p) + (0,) * nf
            return (1, 0, 0, 0, p) + tuple(ao.encode(t))
        if tok == HALT:
            return (0, 0, 0, 1, 0) + (0,) * nf
        if isinstance(tok, tuple) and len(tok) == 2:
            return (0, 1, 0, 0, tok[0]) + tuple(ao.encode(tok[1]))
        raise InvalidArgumentError(f"not a Masked-ARM log token: {tok!r}")

    def decode(f: tuple[int, ...]) -> Any:
        if f[3]:
            return HALT
        y = BLANK if f[2] else ao.decode(tuple(f[5:]))
        return cell(f[4], y) if f[0] else (f[4], y)

    return TokenCodec(_OWN_FIELDS + ao.field_names, bounds, encode, decode)


def log_initial_canvas(ao_canvas: Sequence[Any]) -> Canvas:
    """``cell(p, x0_p)`` for every position (BLANK for MASK), then one MASK slot per mask."""
    if any(t == BLANK for t in ao_canvas if t is not MASK):
        raise InvalidArgumentError(f"the AO canvas already uses the BLANK token {BLANK!r}")
    cells = tuple(cell(p, BLANK if t is MASK else t) for p, t in enumerate(ao_canvas))
    return cells + (MASK,) * sum(1 for t in ao_canvas if t is MASK)


def rebuild_from_log(canvas: Sequence[Any], size: int) -> Canvas:
    """The AO canvas a log canvas encodes: per position, the rightmost record naming it."""
    latest: dict[int, Any] = {}
    for tok in canvas:
        if tok is MASK or tok == HALT:
            continue
        p, y = (tok[1], tok[2]) if tok[0] == CELL and len(tok) == 3 else tok
        latest[p] = y
    return tuple(MASK if latest.get(p, BLANK) == BLANK else latest[p] for p in range(size))


# --- interval bounds over the IR (for the key-scope bonus) -----------------------------------


def _input_bounds(inputs: dict[str, tuple[str, str]], codec: TokenCodec,
                  max_length: int) -> dict[str, int]:
    fb = {f: max(abs(lo), abs(hi)) for f, (lo, hi) in zip(codec.field_names, codec.bounds,
                                                           strict=True)}
    last = max_length - 1
    out = {}
    for dim, (_, feat) in inputs.items():
        parts = feat.split(":")
        if feat in ("one", "is_mask") or parts[0] in ("pos_bit", "field_eq", "field_bit"):
            out[dim] = 1
        elif parts[0] in ("pos_div", "pos_mod"):
            k, off = int(parts[1]), int(parts[2])
            ends = ((-off) // k, (last - off) // k) if parts[0] == "pos_div" else (k - 1,)
            out[dim] = max(abs(e) for e in ends)
        elif feat == "pos":
            out[dim] = last
        elif feat == "pos_sq":
            out[dim] = last * last
        elif parts[0] == "field":
            out[dim] = fb[parts[1]]
        elif parts[0] == "field_sq":
            out[dim] = fb[parts[1]] ** 2
        else:
            raise ConstructionError(f"no bound for input feature {feat!r}")
    return out


def _aff_bound(aff: Affine, bounds: dict[str, int]) -> int:
    return abs(int(aff.const)) + sum(abs(c) * bounds[d] for d, c in aff.terms)


def _propagate(op: HeadOp | GadgetOp, bounds: dict[str, int]) -> None:
    if isinstance(op, HeadOp):
        for dim, aff in op.values:
            bounds[dim] = _aff_bound(aff, bounds)
    else:
        g = op.gadget
        bounds[op.dim] = abs(g.const) + sum(abs(c) * _aff_bound(u, bounds)
                                            for u, c in zip(g.units, g.coeffs, strict=True))


def score_bound(op: HeadOp, bounds: dict[str, int]) -> int:
    """``max |q_i . k_j|`` over all positions, from interval bounds."""
    return sum(_aff_bound(q, bounds) * _aff_bound(k, bounds)
               for q, k in zip(op.query, op.key, strict=True))


# --- the transformation ----------------------------------------------------------------------


def _rename(aff: Affine, ren: dict[str, str]) -> Affine:
    return Affine.of([(ren.get(d, d), c) for d, c in aff.terms], aff.const)


def _rename_op(op: HeadOp | GadgetOp, ren: dict[str, str]) -> HeadOp | GadgetOp:
    if isinstance(op, HeadOp):
        return replace(op, query=tuple(_rename(a, ren) for a in op.query),
                       key=tuple(_rename(a, ren) for a in op.key),
                       values=tuple((d, _rename(a, ren)) for d, a in op.values))
    g = op.gadget
    return replace(op, gadget=Gadget(tuple(_rename(u, ren) for u in g.units), g.coeffs,
                                     g.const, g.kind))


def scope_to_cells(op: HeadOp, bounds: dict[str, int]) -> HeadOp:
    """Hide the record slots from an AO head: ``score += B · cell_j``, B > 2 max|score|."""
    big = 2 * score_bound(op, bounds) + 1
    return replace(op, query=op.query + (Affine(const=big),),
                   key=op.key + (_in(f"field:{F_CELL}"),),
                   note=op.note + f" [keys: cells only, +{big}·cell]")


def _rebuilt_value(feature: str) -> Affine:
    """The Masked-ARM token feature that carries AO token feature ``feature``."""
    parts = feature.split(":")
    if feature == "is_mask":
        return _in(f"field:{F_BLANK}")
    if parts[0] in ("field", "field_sq") and len(parts) == 2:
        return _in(feature)
    if parts[0] == "field_eq" and len(parts) == 3 and int(parts[2]) != 0:
        return _in(feature)
    if parts[0] == "field_bit" and len(parts) == 3:   # blank cells and MASK: field 0, bit 0
        return _in(feature)
    raise ConstructionError(f"the Theorem 3 rebuild does not support the AO token feature "
                            f"{feature!r}")


def rebuild_head(token_inputs: list[str], n: int) -> HeadOp:
    """Rightmost exact match on the named position; a cell always matches for i < S."""
    query = (_in("pos") * (2 * n), Affine(const=-n), Affine(const=n), Affine(const=1))
    key = (_in(f"field:{F_RPOS}"), _in(f"field_sq:{F_RPOS}"),
           _in(f"field:{F_CELL}") + _in(f"field:{F_REC}"), _in("pos"))
    values = tuple(("t3.rb." + f, _rebuilt_value(f)) for f in token_inputs)
    return HeadOp("t3.rebuild", query, key, values, False, False,
                  "t3.rebuild: rightmost record j with rpos_j == i; reads its token features")


def log_slot_ops(n: int) -> tuple[list, Affine]:
    """``is_log_i = is_mask_i ∧ ¬is_mask_{i-1}`` (the leftmost free slot); returns the ops
    and the remask affine ``is_mask - is_log``."""
    q, k = _prev_query(n)
    prev = HeadOp("t3.prev", q, k, (("t3.prev_mask", _in("is_mask")),), False, False,
                  "t3.prev: position i - 1; reads is_mask")
    g = G.and_all([_in("is_mask"), 1 - Affine.dim("t3.prev_mask")])
    return [prev, GadgetOp("t3.is_log", g, "t3.is_log: leftmost masked slot")], \
        _in("is_mask") - Affine.dim("t3.is_log")


def _gadget(ops: list, dim: str, g: Gadget, extra: Affine, note: str) -> Affine:
    if not g.width:
        return extra + g.const
    ops.append(GadgetOp(dim, g, note))
    return extra + Affine.dim(dim)


def _prev_query(n: int) -> tuple[tuple[Affine, ...], tuple[Affine, ...]]:
    """Scores ``2N(i-1)j - N j^2 + j``: the unique arg-max is ``j = i - 1`` (``j = 0`` at 0)."""
    return ((_in("pos") * (2 * n) - 2 * n, Affine(const=-n), Affine(const=1)),
            (_in("pos"), _in("pos_sq"), _in("pos")))


def after_eos_ops(ao_program: Program, eos: Any, n: int) -> tuple[list, Affine]:
    """``h_i = [the token at i-1 is a record whose AO token is eos]``: one head reading the
    left neighbour's fields, one equality gadget on an injective code of the fields (plus a
    penalty when the neighbour is not a record). ``h = 0`` when there is no EOS."""
    if eos is None:
        return [], Affine()
    ao = ao_program.codec
    try:
        target = tuple(ao.encode(eos))
    except (KeyError, ValueError, TypeError, IndexError) as exc:
        raise ConstructionError(f"cannot encode the AO EOS token {eos!r}: {exc}") from None
    q, k = _prev_query(n)
    vals = [("t3.prev_rec", _in(f"field:{F_REC}"))] + [
        (f"t3.prev_f{t}", _in(f"field:{f}")) for t, f in enumerate(ao.field_names)]
    head = HeadOp("t3.prev_eos", q, k, tuple(vals), False, False,
                  "t3.prev_eos: position i - 1; reads its record flag and AO fields")
    code, scale = Affine(), 1
    for t, (lo, hi) in enumerate(ao.bounds):
        lo, hi = min(lo, 0), max(hi, 0)
        code = code + (Affine.dim(f"t3.prev_f{t}") - target[t]) * scale
        scale *= hi - lo + 1
    arg = code + (1 - Affine.dim("t3.prev_rec")) * scale
    g = G.equal_zero(arg)
    return [head, GadgetOp("t3.after_eos", g, "t3.after_eos: left neighbour logged the EOS")], \
        Affine.dim("t3.after_eos")


def decision_ops(ao_program: Program, low: Lowered, types: dict[str, Type], ren: dict[str, str],
                 n: int, halt: Affine) -> tuple[list, list[Affine]]:
    """Broadcast the AO decision (p, y) from the unique filled position; returns the ops and
    the affines of the output token's fields (the record, or HALT where ``halt`` is 1)."""
    remask = _rename(low.values[ao_program.control_output[0]], ren)
    key = Affine.dim(ren["in.is_mask"]) + _in(f"field:{F_CELL}") - remask
    out = ao_program.token_output
    if out[0] == "fields":
        vals = [("t3.dec.pos", _in("pos"))] + [
            (f"t3.dec.y{k}", _rename(low.values[name], ren)) for k, name in enumerate(out[1:])]
    else:
        vals = [("t3.dec.pos", _in("pos")), ("t3.dec.idx", _rename(low.values[out[1]], ren))]
    head = HeadOp("t3.decide", (Affine(const=n), Affine(const=1)), (key, _in("pos")),
                  tuple(vals), False, False,
                  "t3.decide: the position the AO step fills (blank cell, remask off)")
    ops: list = [head]
    eos = bool(halt.terms)

    def unless_halt(dim: str, value: Affine, bound: int) -> Affine:
        if not eos:
            return value
        g, extra = G.select(halt, Affine(), value, bound)
        return _gadget(ops, dim, g, extra, f"{dim}: 0 if HALT")

    rpos = unless_halt("t3.out.rpos.v", Affine.dim("t3.dec.pos"), n)
    own = [Affine(), 1 - halt, Affine(), halt, rpos]
    if out[0] == "fields":
        return ops, own + [unless_halt(f"t3.out.y{k}.v", Affine.dim(f"t3.dec.y{k}"),
                                       int(max(abs(types[name].lo), abs(types[name].hi))))
                           for k, name in enumerate(out[1:])]
    t = types[out[1]]
    lo, span = int(t.lo), int(t.hi - t.lo + 1)
    encoded = [tuple(ao_program.encode(out[2][k])) for k in range(lo, lo + span)]
    nf = len(ao_program.fields)
    if eos:
        encoded += [(0,) * nf] * span   # index + span: the HALT token's fields (all 0)
    idx = Affine.dim("t3.dec.idx") + halt * span
    fields = []
    for f in range(nf):
        g, extra = G.lookup(idx, lo, [e[f] for e in encoded])
        fields.append(_gadget(ops, f"t3.dec.y{f}", g, extra, f"t3.dec.y{f}: field {f} of "
                                                             "vocab[idx] (or HALT)"))
    return ops, own + fields


@dataclass(frozen=True)
class Parts:
    """The construction's replaceable parts (tests swap in broken ones)."""

    rebuild: Callable[[list[str], int], HeadOp] = rebuild_head
    log: Callable[[int], tuple[list, Affine]] = log_slot_ops
    scope: Callable[[HeadOp, dict[str, int]], HeadOp] = scope_to_cells
    eos: Callable[[Program, Any, int], tuple[list, Affine]] = after_eos_ops


DEFAULT_PARTS = Parts()


def _check_vocab_roundtrip(ao_program: Program) -> None:
    out = ao_program.token_output
    if out and out[0] == "vocab":
        for y in out[2]:
            if ao_program.decode(tuple(ao_program.encode(y))) != y:
                raise ConstructionError(f"AO program {ao_program.name}: decode(encode({y!r})) "
                                        f"!= {y!r}; records store the token's fields")


def transform(ao_program: Program, size: int, eos: Any = None,
              parts: Parts = DEFAULT_PARTS) -> tuple:
    """The Masked-ARM IR: ``(lowered, types, renaming, output program)``."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise InvalidArgumentError(f"S must be a positive integer, got {size!r}")
    if not ao_program.control_output or ao_program.control_output[0] is None:
        raise ConstructionError(f"AO program {ao_program.name} has no remask output: "
                                "not an AO-MDM")
    _check_vocab_roundtrip(ao_program)
    n = 2 * size
    codec = masked_arm_codec(ao_program, size)
    types = check_program(ao_program, n)
    low = lower(ao_program, types, n)
    token_feats = sorted({f for k, f in low.inputs.values() if k == "token"} | {"is_mask"})
    ren = {"in." + f: "t3.rb." + f for f in token_feats}
    inputs = {d: kf for d, kf in low.inputs.items() if kf[0] == "position"}
    for f in ("one", "pos", "pos_sq"):
        inputs["in." + f] = ("position", f)
    for f in (f"field:{F_CELL}", f"field:{F_REC}", f"field:{F_BLANK}", f"field:{F_RPOS}",
              f"field_sq:{F_RPOS}", "is_mask"):
        inputs["in." + f] = ("token", f)
    for f in token_feats:
        for d in _rename(_rebuilt_value(f), {}).dims:
            inputs[d] = ("token", d[3:])
    rebuild = parts.rebuild(token_feats, n)
    bounds = _input_bounds(inputs, codec, n)
    _propagate(rebuild, bounds)
    ops: list = [rebuild]
    for op in low.ops:
        op = _rename_op(op, ren)
        if isinstance(op, HeadOp):
            op = parts.scope(op, bounds)
        ops.append(op)
        _propagate(op, bounds)
    log_ops, remask = parts.log(n)
    eos_ops, halt = parts.eos(ao_program, eos, n)
    dec_ops, record = decision_ops(ao_program, low, types, ren, n, halt)
    ops += log_ops + eos_ops + dec_ops
    values = {name: _rename(aff, ren) for name, aff in low.values.items()}
    names = [f"t3.out.{f}" for f in codec.field_names]
    for name, aff in zip(names, record, strict=True):
        values[name] = aff
    values["t3.out.remask"] = remask
    out_program = Program(f"masked-arm:{ao_program.name}",
                          tuple((f, lo, hi) for f, (lo, hi) in zip(codec.field_names,
                                                                   codec.bounds, strict=True)),
                          codec.encode, codec.decode)
    out_program.token_output = ("fields", *names)
    out_program.control_output = ("t3.out.remask", None, None)
    lowered = Lowered(values, ops, inputs, set(low.rational))
    return lowered, types, codec, out_program


@dataclass(frozen=True, eq=False)
class CompiledMaskedARM:
    """The Masked-ARM transformer and its measured depth against the AO program's."""

    ao_program: Program
    size: int
    eos: Any
    transformer: CompiledTransformer
    ao_depth: int
    node_values: dict[str, Affine]
    types: dict[str, Type]
    stats: dict = field(default_factory=dict)

    @property
    def depth(self) -> int:
        return self.transformer.spec.depth

    @property
    def extra_layers(self) -> int:
        return self.depth - self.ao_depth

    def process(self) -> GenerationProcess:
        from apmdm.machines.transformer import transformer_next_step
        return GenerationProcess(Model.MASKED_ARM, transformer_next_step(self.transformer),
                                 eos=HALT, name=f"masked-arm:{self.ao_program.name}")

    def simulation(self, ao_canvas: Sequence[Any]) -> MaskedARMSimulation:
        ao_canvas = tuple(ao_canvas)
        if len(ao_canvas) != self.size:
            raise InvalidArgumentError(f"AO canvas has length {len(ao_canvas)}, the Masked-ARM "
                                       f"was built for S = {self.size}")
        canvas = log_initial_canvas(ao_canvas)
        return LogSimulation(self.process(), canvas,
                             LoggedLayout(self.size, len(canvas) - self.size))

    def ao_node_values(self, canvas: Sequence[Any]) -> dict[str, list]:
        """Every AO node's value at the region positions, read off the final stream."""
        from apmdm.constructions.efasp.compiler import CompiledProgram
        cp = CompiledProgram(self.ao_program, 2 * self.size, self.types, self.node_values, {},
                             self.transformer)
        return {k: v[: self.size] for k, v in cp.node_values_on(canvas).items()}


@dataclass(frozen=True)
class LogSimulation(MaskedARMSimulation):
    """A :class:`MaskedARMSimulation` whose region holds cells: decoded by the log rebuild."""

    def decode(self, final: Sequence[Any]) -> Canvas:
        return rebuild_from_log(final, self.layout.size)


def compile_masked_arm(ao_program: Program, size: int, eos: Any = None,
                       parts: Parts = DEFAULT_PARTS) -> CompiledMaskedARM:
    """Compile the Masked-ARM transformer simulating the AO-MDM ``(ao_program, eos)`` on AO
    canvases of length ``size``; measure its depth against the AO program compiled for
    length ``size``. With an EOS, the step after the record ``(p, eos)`` writes HALT."""
    lowered, types, codec, out_program = transform(ao_program, size, eos, parts)
    slots = schedule(lowered)
    spec = assemble(out_program, lowered, slots, 2 * size, types)
    spec = replace(spec, name=f"thm3:{ao_program.name}",
                   notes={"program": ao_program.name, "S": size, "max_length": 2 * size})
    model = CompiledTransformer(spec, codec, spec.name, {"S": size})
    ao_depth = compile_program(ao_program, size).spec.depth
    ao_values = {k: v for k, v in lowered.values.items() if not k.startswith("t3.out.")}
    stats = {"depth": spec.depth, "width": spec.width, "ao_depth": ao_depth,
             "extra_layers": spec.depth - ao_depth}
    return CompiledMaskedARM(ao_program, size, eos, model, ao_depth, ao_values, types, stats)


def build_compiled(ao_program: Program, parts: Parts = DEFAULT_PARTS) -> Callable:
    """A ``build(ao_step, ao_canvas, ao_eos)`` for :func:`checks.theorem3.check_instance`:
    ignores ``ao_step`` (the AO program *is* the step)."""

    def build(ao_step: Any, ao_canvas: Sequence[Any], ao_eos: Any = None) -> MaskedARMSimulation:
        model = compile_masked_arm(ao_program, len(ao_canvas), ao_eos, parts)
        return model.simulation(ao_canvas)

    return build

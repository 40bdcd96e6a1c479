"""Shared E-FASP pieces of the compiled Theorem-1 and Theorem-4 constructions.

The reference constructions (:mod:`constructions.pram.mdm`, :mod:`constructions.pram.apmdm`)
compute their next-step function in plain Python. Here the same function is written as an
E-FASP program and compiled to an exact average-hard-attention transformer
(:func:`constructions.efasp.compile_program`); the compiled model is then the ``f`` that
drives the MDM / AP-MDM run. This module holds what both share.

**Token encoding [decision].** The canvases are exactly the reference ones (ints and slot
tuples ``(t, pid, pc, halted, waddr, wval, r0, ..)``, see :mod:`constructions.pram.slot`).
The codec maps a token to integer fields ``kind`` (0 = int token, 1 = slot), ``val`` (the int),
the slot fields ``t .. r{R-1}`` and ``fault`` (always 0 on the canvas; the model sets it when
a filled slot would access an address outside ``0 .. A-1`` and decoding then raises
:class:`ConstructionError`). Data fields (``val``, ``wval``, registers) range over a *word*
``[-2^w, 2^w - 1]``: the codec refuses a token outside it (typed error naming the field), which
is how a run that leaves the word is detected (:class:`WordSizeExceeded`, naming the bound).
[decision] ``w = O(log n)`` is our choice of word size (the paper's transformers compute on
O(log n)-bit values); it is a function of the context, i.e. of n and the declared bounds,
never of the instance, and capped at 22 bits (a deviation: see docs/transformer.md).

**One PRAM instruction as E-FASP [decision]** (:func:`build_execute`). The program is a
constant-size list, so instruction fetch is ``is_k = [pc == k]`` (one equality gadget per
instruction; exactly one is 1 for a running processor, none for a halted one, whose pc is
``end``: the reference keeps ``halted = [pc >= end]`` invariant). Every result is a sum of
``select(is_k, ..., 0)`` over the instructions that produce it:

* load address ``sum_k select(is_k, r_a + imm, 0)`` (0 when not a load), store address and
  value likewise; the new pc is ``pc + sum_k is_k (next_k - k)`` plus, for ``jz``/``jnz``,
  ``(target - k - 1) and(is_k, [r == 0])``;
* a register ``d`` becomes ``r_d + sum_{k writes d} select(is_k, res_k - r_d, 0)``;
* results: add/sub/addi/const/mov/pid/nproc/nin are affine (free); min/max one ReLU;
  comparisons a step or equality gadget; ``mul``, ``and``/``or``/``xor`` and ``shr`` use the
  two's-complement bits of their register operands, supplied by the embedding
  (``field_bit:r:b``, like ``field_sq``) and carried by the same attention head that fetches
  the registers: ``a * b = sum_{i<w} 2^i select(a_i, b, 0) - 2^w select(a_w, b, 0)``
  (width ``2(w+1)``), bitwise ops ``sum_i ±2^i op(a_i, b_i)`` (width ``w+1``), ``a >> s`` a
  select over the ``w+2`` cases of ``s`` (width ``5(w+2)``), ``a << s`` likewise a select
  over ``s = 0 .. w+1`` of ``a * 2^s`` (a nonzero ``a`` shifted further leaves the word: the
  slot faults). So the width is ``O(|program| + (#bit operands)·w) = O(log n)``.
* ``div`` and ``mod`` (:func:`divide`, shared by all div/mod instructions, since one
  instruction executes per slot): Python's floor division ``a // b`` is reduced to a
  nonnegative dividend and a positive divisor (``b < 0``: negate both; then ``a < 0``:
  ``floor(a/b) = -floor((b - 1 - a)/b)``). The quotient has two digits in base
  ``K = ceil(2^(w+1) / L)`` (:func:`low_digit_base`; ``L`` the canvas length, ``K <= 512``
  with the default word size): the high digit ``floor(a / (K b))`` is below ``L``, so the
  E-FASP ``quotient`` head finds it (its candidates are the canvas positions); the low digit
  is ``sum_{c=1}^{K-1} [a - K b hi >= c b]`` (``K - 1`` comparisons). The remainder
  ``R = a - q b`` uses the bits of the divisor register (the ``mul`` construction). The slot
  faults unless ``0 <= R < b`` (``b > 0``) or ``b < R <= 0`` (``b < 0``), which holds iff
  ``q`` is the true floor quotient: a zero divisor is detected, and no wrong quotient can
  pass silently. Width ``O(w)`` per distinct divisor register plus ``K``, one extra
  attention head, constant depth.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain, compress, repeat
from operator import countOf

import numpy as np

from apmdm.constructions.efasp.lang import Feature, Program
from apmdm.constructions.pram.slot import HEADER, slot_fields
from apmdm.constructions.pram.slot import WVAL as WVAL_FIELD
from apmdm.machines.errors import ConstructionError, WordSizeExceeded
from apmdm.machines.pram import Program as PramProgram
from apmdm.machines.pram import Variant
from apmdm.machines.pram.isa import Op
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer.embedding import TokenCodec

BIT_OPS = frozenset({Op.MUL, Op.AND, Op.OR, Op.XOR, Op.SHR, Op.DIV, Op.MOD})
DIVIDE_OPS = frozenset({Op.DIV, Op.MOD})
WORD_BITS_MIN, WORD_BITS_MAX = 12, 22


def compiles(program: PramProgram, variant: Variant) -> bool:
    """Whether :func:`check_supported` accepts ``program`` under ``variant``."""
    try:
        check_supported(program, variant)
    except ConstructionError:
        return False
    return True


def check_supported(program: PramProgram, variant: Variant) -> None:
    """Raise ConstructionError if the compiled path cannot run ``program`` under ``variant``
    (every opcode compiles; the one refusal is the crcw-arbitrary variant)."""
    if variant is Variant.CRCW_ARBITRARY:
        raise ConstructionError(
            f"compiled PRAM step: {program.name}: variant crcw-arbitrary (lowest id wins) is "
            "not compiled; the rightmost-match read implements highest-id-wins")


def default_word_bits(context: int) -> int:
    """[decision] Word size for a canvas of ``context`` positions: ``bitlen(context) + 7``,
    clamped to [12, 22] (values up to 128 times the context; Theta(log n))."""
    return max(WORD_BITS_MIN, min(WORD_BITS_MAX, context.bit_length() + 7))


def bits_needed(value: int) -> int:
    """The smallest w with ``-2^w <= value < 2^w``."""
    return max(1, (value if value >= 0 else -value - 1).bit_length())


def bit_registers(program: PramProgram) -> tuple[int, ...]:
    """Registers whose bits some instruction needs (operands of mul, and, or, xor, shr; the
    divisor of div and mod)."""
    need: set[int] = set()
    for ins in program.instructions:
        if ins.op in (Op.AND, Op.OR, Op.XOR):
            need.update(ins.args[1:3])
        elif ins.op in (Op.MUL, Op.SHR):
            need.add(ins.args[1])
        elif ins.op in DIVIDE_OPS:
            need.add(ins.args[2])
    return tuple(sorted(need))


def square_registers(program: PramProgram) -> tuple[int, ...]:
    """Base registers of stores (Theorem 4 needs the square of a store address)."""
    return tuple(sorted({ins.args[0] for ins in program.instructions if ins.op is Op.STORE}))


# --- the codec ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SlotCodec:
    """Field layout of the wide tokens (ints and slot tuples) of one compiled construction."""

    registers: int
    word_bits: int
    max_t: int
    processors: int
    pc_end: int
    address_bound: int

    @property
    def names(self) -> list[str]:
        return ["kind", "val"] + slot_fields(self.registers) + ["fault"]

    def fields(self) -> tuple[tuple[str, int, int], ...]:
        lo, hi = -(1 << self.word_bits), (1 << self.word_bits) - 1
        dom = {"kind": (0, 1), "val": (lo, hi), "t": (0, self.max_t),
               "pid": (0, self.processors - 1), "pc": (0, self.pc_end), "halted": (0, 1),
               "waddr": (-1, self.address_bound - 1), "wval": (lo, hi), "fault": (0, 1)}
        return tuple((f, *dom.get(f, (lo, hi))) for f in self.names)

    def encode(self, token: object) -> tuple[int, ...]:
        width = HEADER + self.registers
        if isinstance(token, tuple):
            if len(token) != width:
                raise ValueError(f"slot token has {len(token)} fields, expected {width}")
            self._check_word(token[WVAL_FIELD:WVAL_FIELD + 1] + token[HEADER:], token)
            return (1, 0) + tuple(token) + (0,)
        if isinstance(token, bool) or not isinstance(token, int):
            raise TypeError(f"not an int or slot token: {token!r}")
        self._check_word((token,), token)
        return (0, token) + (0,) * (width + 1)

    def _check_word(self, values: tuple, token: object) -> None:
        """Raise WordSizeExceeded if a data value (int token, ``wval``, a register) leaves
        the word ``[-2^w, 2^w - 1]``: the compiled weights hold w bits, fixed per n."""
        lo, hi = -(1 << self.word_bits), (1 << self.word_bits) - 1
        try:
            if lo <= min(values) and max(values) <= hi:
                return
        except (TypeError, ValueError):
            pass                  # not all ints: the codec's domain check names the field
        for v in values:
            if isinstance(v, int) and not isinstance(v, bool) and not lo <= v <= hi:
                raise WordSizeExceeded(
                    f"compiled PRAM step: value {v} in token {token!r} needs "
                    f"{bits_needed(v)} bits; the word bound of this construction is "
                    f"w = {self.word_bits} bits (w(n) = bit length of the context + 7, "
                    f"clamped to [{WORD_BITS_MIN}, {WORD_BITS_MAX}]; fixed by n and the "
                    "declared bounds T(n), S(n), never by the instance)")

    def encode_rows(self, tokens: Sequence[object]) -> np.ndarray | None:
        """:meth:`encode` for a list of tokens in one pass (``TokenCodec.encode_rows``): the
        ``(k, F)`` int64 rows, or None unless every token is a plain int or a tuple of
        ``HEADER + R`` plain ints, all inside int64 (then :meth:`encode` decides, token by
        token, with its errors). The word bound is the codec's domain check on the array."""
        width = HEADER + self.registers
        kinds = list(map(type, tokens))
        is_slot = np.fromiter(map(operator.is_, kinds, repeat(tuple)), dtype=bool,
                              count=len(kinds))
        out = np.zeros((len(kinds), width + 3), dtype=np.int64)
        slots = list(compress(tokens, is_slot))
        ints = list(compress(tokens, ~is_slot))
        if countOf(kinds, int) != len(ints):
            return None                       # bool, str, np.int64, a tuple subclass, ...
        if slots and (countOf(map(len, slots), width) != len(slots) or countOf(
                map(type, chain.from_iterable(slots)), int) != width * len(slots)):
            return None
        try:
            if slots:
                out[is_slot, 0] = 1
                out[is_slot, 2:2 + width] = np.array(slots, dtype=np.int64)
            if ints:
                out[~is_slot, 1] = np.array(ints, dtype=np.int64)
        except OverflowError:
            return None
        return out

    def decode_rows(self, values: np.ndarray) -> list | None:
        """:meth:`decode` for every row of an ``(k, F)`` int64 array
        (``TokenCodec.decode_rows``), or None if some row faults (:meth:`decode` raises)."""
        if values[:, -1].any():
            return None
        is_slot = values[:, 0] == 1
        if is_slot.all():               # an advance step: every read position gets a slot
            return list(map(tuple, values[:, 2:-1].tolist()))
        out = values[:, 1].tolist()
        if is_slot.any():
            slots = map(tuple, values[is_slot, 2:-1].tolist())
            for j, slot in zip(np.flatnonzero(is_slot).tolist(), slots, strict=True):
                out[j] = slot
        return out

    def decode(self, fields: Sequence[int]) -> object:
        if fields[-1]:
            raise ConstructionError(
                "compiled PRAM step: a filled slot faults: it accesses an address outside the "
                f"compiled range 0..{self.address_bound - 1}, shifts by an amount outside "
                "0..62 (or a nonzero value out of the word), or divides by 0 or with a "
                "quotient that is not a canvas position")
        if fields[0] == 1:
            return tuple(map(int, fields[2:-1]))
        return int(fields[1])

    def check_canvas(self, canvas: Sequence[object]) -> None:
        """Raise (typed) if some token of ``canvas`` lies outside the compiled domains."""
        f = self.fields()
        TokenCodec(tuple(x[0] for x in f), tuple((x[1], x[2]) for x in f), self.encode,
                   self.decode).encode_canvas([t for t in canvas if t is not MASK])


# --- E-FASP building blocks -----------------------------------------------------------------


@dataclass
class SlotView:
    """Features of one processor state (the slot an instruction executes on)."""

    pc: Feature
    pid: Feature | None                 # None until set (Theorem 1 takes it from the position)
    regs: list[Feature]
    bits: dict[int, list[Feature]]      # register -> bits 0..w (bit w: sign, weight -2^w)
    squares: dict[int, Feature]         # register -> its square
    extra: dict[str, Feature]           # other fetched slot fields (e.g. t)


def fetch_slot(p: Program, query: Feature, key: Feature, program: PramProgram, word_bits: int,
               squares: bool, prefix: str, extra: tuple[str, ...] = ()) -> SlotView:
    """The slot at the position whose ``key`` equals ``query`` (one merged attention head:
    every field, needed bit and square is a value of the same rightmost match)."""
    def get(value: Feature, name: str) -> Feature:
        return p.rightmost_match(query, key, value, name=f"{prefix}.{name}")

    regs = [get(p.token_field(f"r{d}", name=f"tok.r{d}") if not _has(p, f"tok.r{d}")
                else f"tok.r{d}", f"r{d}") for d in range(program.num_registers)]
    bits = {d: [get(p.token_field_bit(f"r{d}", b, name=f"tok.r{d}.bit{b}")
                    if not _has(p, f"tok.r{d}.bit{b}") else f"tok.r{d}.bit{b}", f"r{d}.bit{b}")
                for b in range(word_bits + 1)] for d in bit_registers(program)}
    sq = {}
    if squares:
        for d in square_registers(program):
            src = (p.token_field_sq(f"r{d}", name=f"tok.r{d}.sq") if not _has(p, f"tok.r{d}.sq")
                   else f"tok.r{d}.sq")
            sq[d] = get(src, f"r{d}.sq")
    pc = get(_tok(p, "pc"), "pc")
    more = {f: get(_tok(p, f), f) for f in extra}
    return SlotView(pc, more.get("pid"), regs, bits, sq, more)


def _has(p: Program, name: str) -> bool:
    return any(nd.name == name for nd in p.nodes)


def token(p: Program, field: str) -> Feature:
    """The token field ``field`` (one input node per field, shared by all users)."""
    return _tok(p, field)


def _tok(p: Program, field: str) -> Feature:
    name = f"tok.{field}"
    return Feature(p, name) if _has(p, name) else p.token_field(field, name=name)


@dataclass
class Decoded:
    """Instruction fetch and the addresses of the step (before the memory read)."""

    is_k: dict[int, Feature]
    load_addr: Feature
    store_key: Feature          # store address, -1 if the instruction does not store
    store_key_sq: Feature | None
    store_val: Feature
    fault: Feature
    quotient: Feature | None = None     # a // b of the executing div/mod instruction
    remainder: Feature | None = None    # a % b


def _sum(p: Program, terms: list[Feature], const: int, name: str) -> Feature:
    return p.linear([(t, 1) for t in terms], const, name=name)


def decode_step(p: Program, s: SlotView, program: PramProgram, address_bound: int,
                with_key_sq: bool, word_bits: int, canvas_length: int) -> Decoded:
    code = program.instructions
    is_k = {k: p.compare(s.pc, "==", k, name=f"is{k}") for k in range(len(code))}
    loads = [p.select(is_k[k], s.regs[ins.args[1]] + ins.args[2], 0, name=f"ld{k}")
             for k, ins in enumerate(code) if ins.op is Op.LOAD]
    load_addr = _sum(p, loads, 0, "load_addr")
    stores = [(k, ins) for k, ins in enumerate(code) if ins.op is Op.STORE]
    shifted = [p.select(is_k[k], s.regs[ins.args[0]] + (ins.args[1] + 1), 0, name=f"st{k}")
               for k, ins in stores]
    store_key = _sum(p, shifted, -1, "store_key")
    key_sq = None
    if with_key_sq:   # (a + 1)^2 summed over the one-hot stores, then (x - 1)^2 = x^2 - 2x + 1
        sq_terms = []
        for k, ins in stores:
            c = ins.args[1] + 1
            r = ins.args[0]
            sq_terms.append(p.select(is_k[k], p.linear([(s.squares[r], 1), (s.regs[r], 2 * c)],
                                                       c * c), 0, name=f"stsq{k}"))
        key_sq = p.linear([(t, 1) for t in sq_terms] + [(t, -2) for t in shifted], 1,
                          name="store_key_sq")
    store_val = _sum(p, [p.select(is_k[k], s.regs[ins.args[2]], 0, name=f"sv{k}")
                         for k, ins in stores], 0, "store_val")
    bad = [p.compare(load_addr, "<", 0, name="ld_neg"),
           p.compare(load_addr, ">=", address_bound, name="ld_far"),
           p.compare(store_key, ">=", address_bound, name="st_far")]
    if stores:
        neg = [p.and_(is_k[k], p.compare(s.regs[ins.args[0]] + ins.args[1], "<", 0,
                                         name=f"stneg{k}"), name=f"stbad{k}") for k, ins in stores]
        bad += neg
    for k, ins in enumerate(code):
        if ins.op is Op.SHR:
            amount = s.regs[ins.args[2]]
            bad.append(p.and_(is_k[k], p.or_(p.compare(amount, "<", 0, name=f"shneg{k}"),
                                             p.compare(amount, ">", 62, name=f"shbig{k}"),
                                             name=f"shout{k}"), name=f"shbad{k}"))
        elif ins.op is Op.SHL:   # amounts in w+2 .. 62 leave the word unless the operand is 0
            amount, x = s.regs[ins.args[2]], s.regs[ins.args[1]]
            far = p.and_(p.compare(amount, ">", word_bits + 1, name=f"shlfar{k}"),
                         p.compare(x, "!=", 0, name=f"shlnz{k}"), name=f"shlbig{k}")
            bad.append(p.and_(is_k[k], p.or_(p.compare(amount, "<", 0, name=f"shlneg{k}"),
                                             far, name=f"shlout{k}"), name=f"shlbad{k}"))
    quotient = remainder = None
    if any(ins.op in DIVIDE_OPS for ins in code):
        quotient, remainder, div_bad = divide(p, s, is_k, program, word_bits, canvas_length)
        bad.append(div_bad)
    fault = p.or_(*bad, name="fault_any")
    return Decoded(is_k, load_addr, store_key, key_sq, store_val, fault, quotient, remainder)


def low_digit_base(word_bits: int, canvas_length: int) -> int:
    """``K = ceil(2^(w+1) / L)``: the quotient head finds ``floor(a / (K b))``, which is below
    ``2^(w+1) / K <= L`` and so a canvas position, and ``K - 1`` comparisons find the low
    digit. With the default word size ``2^(w+1)`` lies in ``(256 L, 512 L]``, so ``K`` is at
    most 512: a constant."""
    return max(1, -(-(1 << (word_bits + 1)) // max(1, canvas_length)))


def divide(p: Program, s: SlotView, is_k: dict[int, Feature], program: PramProgram,
           w: int, canvas_length: int) -> tuple[Feature, Feature, Feature]:
    """``(a // b, a % b, fault)`` of the executing div/mod instruction (Python's floor
    division; see the module docstring for the derivation)."""
    code = program.instructions
    ks = [k for k, ins in enumerate(code) if ins.op in DIVIDE_OPS]
    a = _sum(p, [p.select(is_k[k], s.regs[code[k].args[1]], 0, name=f"dv.a.k{k}") for k in ks],
             0, "dv.a")
    b = _sum(p, [p.select(is_k[k], s.regs[code[k].args[2]], 0, name=f"dv.b.k{k}") for k in ks],
             0, "dv.b")
    flip = p.compare(b, "<", 0, name="dv.flip")
    a1 = p.select(flip, -a, a, name="dv.a1")
    b1 = p.max(p.select(flip, -b, b, name="dv.b1raw"), 1, name="dv.b1")      # >= 1
    neg = p.compare(a1, "<", 0, name="dv.neg")
    a2 = p.select(neg, p.linear([(b1, 1), (a1, -1)], -1), a1, name="dv.a2")  # >= 0
    # x * b from the two's-complement bits of the divisor register (one group per register)
    divisors = sorted({code[k].args[2] for k in ks})
    on = {r: p.or_(*[is_k[k] for k in ks if code[k].args[2] == r], name=f"dv.r{r}.on")
          for r in divisors}
    bits = [p.or_(*[p.and_(on[r], s.bits[r][i], name=f"dv.r{r}.bit{i}") for r in divisors],
                  name=f"dv.bit{i}") for i in range(w + 1)]

    def times_b(x: Feature, nm: str) -> Feature:
        return p.linear([(p.select(bits[i], x, 0, name=f"{nm}.b{i}"),
                          (1 << i) if i < w else -(1 << w)) for i in range(w + 1)], name=nm)

    base = low_digit_base(w, canvas_length)
    if base == 1:
        q2 = p.quotient(a2, b1, name="dv.q2")
    else:   # high digit by the quotient head, low digit by base - 1 comparisons
        hi = p.quotient(a2, b1 * base, name="dv.qhi")
        hb = times_b(hi, "dv.hib")                               # hi * b
        rest = p.linear([(a2, 1), (p.select(flip, -hb, hb, name="dv.hiabs"), -base)],
                        name="dv.rest")                          # a2 - base * hi * |b|
        low = [(p.compare(rest, ">=", b1 * c, name=f"dv.lo{c}"), 1) for c in range(1, base)]
        q2 = p.linear([(hi, base)] + low, name="dv.q2")
    q = p.select(neg, -q2, q2, name="dv.q")
    terms = [(p.select(bits[i], q, 0, name=f"dv.qb{i}"), (1 << i) if i < w else -(1 << w))
             for i in range(w + 1)]
    r = p.linear([(a, 1)] + [(t, -c) for t, c in terms], name="dv.rem")
    pos_ok = p.and_(p.compare(b, ">", 0, name="dv.bpos"), p.compare(r, ">=", 0, name="dv.r0"),
                    p.compare(r, "<", b, name="dv.rb"), name="dv.okpos")
    neg_ok = p.and_(flip, p.compare(r, "<=", 0, name="dv.rn0"),
                    p.compare(r, ">", b, name="dv.rnb"), name="dv.okneg")
    active = p.or_(*[is_k[k] for k in ks], name="dv.active")
    bad = p.and_(active, p.not_(p.or_(pos_ok, neg_ok, name="dv.ok"), name="dv.notok"),
                 name="dv.bad")
    return q, r, bad


@dataclass
class Executed:
    pc: Feature
    halted: Feature
    waddr: Feature
    wval: Feature
    regs: list[Feature]


def execute_step(p: Program, s: SlotView, dec: Decoded, loaded: Feature, program: PramProgram,
                 processors: int, n: int, word_bits: int) -> Executed:
    """The slot after one instruction (a halted slot comes out unchanged, no write)."""
    code, end = program.instructions, len(program.instructions)
    moves, cond = [], []
    writes: dict[int, list[Feature]] = {}
    for k, ins in enumerate(code):
        op, a = ins.op, ins.args
        nxt = k + 1
        if op is Op.HALT:
            nxt = end
        elif op is Op.JMP:
            nxt = a[0]
        elif op in (Op.JZ, Op.JNZ):
            zero = p.compare(s.regs[a[0]], "==" if op is Op.JZ else "!=", 0, name=f"c{k}")
            cond.append((p.and_(dec.is_k[k], zero, name=f"jump{k}"), a[1] - k - 1))
        moves.append((dec.is_k[k], nxt - k))
        res = _result(p, k, ins, s, dec, loaded, processors, n, word_bits)
        if res is not None:
            d = a[0]
            writes.setdefault(d, []).append(
                p.select(dec.is_k[k], p.linear([(res, 1), (s.regs[d], -1)]), 0, name=f"w{k}"))
    pc = p.linear([(s.pc, 1)] + moves + cond, name="new_pc")
    halted = p.compare(pc, ">=", end, name="new_halted")
    regs = [p.linear([(s.regs[d], 1)] + [(w, 1) for w in writes.get(d, [])], name=f"new_r{d}")
            for d in range(program.num_registers)]
    return Executed(pc, halted, dec.store_key, dec.store_val, regs)


def _result(p: Program, k: int, ins, s: SlotView, dec: Decoded, loaded: Feature,
            processors: int, n: int, w: int) -> Feature | None:
    """The value instruction ``k`` writes to its destination register (None: no write)."""
    op, a, r = ins.op, ins.args, s.regs
    nm = f"res{k}"
    if op is Op.CONST:
        return p.const(a[1], name=nm)
    if op is Op.MOV:
        return r[a[1]]
    if op is Op.ADDI:
        return r[a[1]] + a[2]
    if op is Op.PID:
        return s.pid
    if op is Op.NPROC:
        return p.const(processors, name=nm)
    if op is Op.NIN:
        return p.const(n, name=nm)
    if op is Op.LOAD:
        return loaded
    x, y = (r[a[1]], r[a[2]]) if len(a) == 3 else (None, None)
    if op is Op.ADD:
        return x + y
    if op is Op.SUB:
        return x - y
    if op is Op.MIN:
        return p.min(x, y, name=nm)
    if op is Op.MAX:
        return p.max(x, y, name=nm)
    cmp = {Op.LT: "<", Op.LE: "<=", Op.EQ: "==", Op.NE: "!="}
    if op in cmp:
        return p.compare(x, cmp[op], y, name=nm)
    if op is Op.MUL:
        bits = s.bits[a[1]]
        terms = [(p.select(bits[i], y, 0, name=f"{nm}.b{i}"), 1 << i) for i in range(w)]
        terms.append((p.select(bits[w], y, 0, name=f"{nm}.b{w}"), -(1 << w)))
        return p.linear(terms, name=nm)
    if op in (Op.AND, Op.OR, Op.XOR):
        fn = {Op.AND: p.and_, Op.OR: p.or_, Op.XOR: p.xor}[op]
        ba, bb = s.bits[a[1]], s.bits[a[2]]
        terms = [(fn(ba[i], bb[i], name=f"{nm}.b{i}"), (1 << i) if i < w else -(1 << w))
                 for i in range(w + 1)]
        return p.linear(terms, name=nm)
    if op is Op.SHR:
        return _shr(p, nm, s.bits[a[1]], y, w)
    if op is Op.SHL:
        return _shl(p, nm, x, y, w)
    if op is Op.DIV:
        return dec.quotient
    if op is Op.MOD:
        return dec.remainder
    return None  # jumps, store, halt


def _shr(p: Program, nm: str, bits: list[Feature], amount: Feature, w: int) -> Feature:
    """``a >> s`` (floor division by 2^s): for s = 0..w the affine form of the bits
    ``sum_{i>=s} 2^(i-s) a_i - 2^(w-s) a_w``; for s > w it is ``-a_w``."""
    terms = []
    for sh in range(w + 1):
        shifted = p.linear([(bits[i], 1 << (i - sh)) for i in range(sh, w)]
                           + [(bits[w], -(1 << (w - sh)))], name=f"{nm}.sh{sh}")
        hit = p.compare(amount, "==", sh, name=f"{nm}.is{sh}")
        terms.append((p.select(hit, shifted, 0, name=f"{nm}.sel{sh}"), 1))
    big = p.compare(amount, ">", w, name=f"{nm}.big")
    terms.append((p.and_(big, bits[w], name=f"{nm}.neg"), -1))
    return p.linear(terms, name=nm)


def _shl(p: Program, nm: str, x: Feature, amount: Feature, w: int) -> Feature:
    """``a << s = a * 2^s``: a select over ``s = 0 .. w+1`` of the affine ``a * 2^s`` (larger
    amounts fault unless ``a = 0``, see :func:`decode_step`, and give 0)."""
    terms = []
    for sh in range(w + 2):
        hit = p.compare(amount, "==", sh, name=f"{nm}.is{sh}")
        terms.append((p.select(hit, x * (1 << sh), 0, name=f"{nm}.sel{sh}"), 1))
    return p.linear(terms, name=nm)

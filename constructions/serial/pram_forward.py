"""Theorem 2 on the PRAM interpreter: one generic P = 1 program that runs a whole MDM.

[decision] The program (:func:`mdm_program`) is one fixed instruction list, the same for
every MDM: it reads the transformer's weights, the canvas and its scratch areas from a
*memory image* (:func:`memory_image`) whose header holds the addresses and sizes; weights
are stored sparse (only nonzero entries), so the program's length does not grow with S, the
width or the depth. It runs on :meth:`machines.pram.interpreter.PRAM.run_scalar` with
P = 1, so the measured parallel time T is the number of instructions executed.

Memory image (all integers; header cells at fixed addresses ``H_*``):

* canvas: S rows of ``W = 1 + F`` cells, ``[is_mask, field_1 .. field_F]`` (fields 0 at
  MASK: :meth:`TokenCodec.encode_canvas`); the program rewrites it in place;
* features: count, then per token/position feature a 5-tuple ``(kind, field, p, b, K)``
  (:data:`FEATURE_KINDS`); its value at position i is computed branch-free (every kind's
  candidate value times ``[kind == k]``, summed);
* a *sparse list* is ``count`` then ``count`` triples ``(src, dst, w)`` meaning
  ``out[dst] += in[src]·w``; the embedding (sources: the feature buffer), each head's
  ``W_q, W_k, W_v`` (sources: the residual row), each MLP's ``W1`` and ``W2``, ``b2`` (as
  triples with source the constant-1 cell), the token and control readouts are sparse lists;
* layers: count, then per layer a record ``[heads, mlp, V_L, head_1 .. head_H]``; head
  record ``[k, v, q-list, k-list, v-list, out-dims, offset, mean, r_q, w_q[r_q]]`` (the
  q-list without the row of the rational dimension ``r_q`` the query reads, -1 if none;
  ``V_L`` = Σ (v + 1): each head's v values and its count); MLP record
  ``[h, W1-list, b1 (h dense), W2-list, b2-list, rational units, groups]`` (W1 on integer
  dimensions, W2 of the integer units; rational units ``(u, r, w1[r, u])``; per rational
  dimension r its units' W2 rows as a sparse list and the columns they touch);
* readout record ``[kind, m, W-list, b (m dense), labels (m rows of F fields), C-list,
  c (3 dense), field bounds (F pairs)]``.

One pass (the loop nest of :func:`theory.theorem2.pram_time`):

1. zero the residual X (S·d cells);
2. embedding: per position, the feature buffer then its sparse list into ``X[i]``;
3. per layer, per head: zero Q, K, V; per position the three sparse products; per query i
   the scores ``q_i·k_j`` for every j (a k-loop) into SC, their maximum, then the sum of
   ``v_j`` over ``{j : SC[j] = max}`` and its count c (a branch: only members add their
   v), then ``S/c`` per value dimension with an exactness test (``(S div c)·c = S``, else
   the run stops with :data:`ERR_NOT_INTEGER`) into the layer's head-output buffer; after
   every head of the layer, the buffer is added to ``X`` at the heads' output dimensions
   (all heads read the same stream, as in :func:`machines.transformer.forward.forward`);
   then per position the MLP: ``hid = b1 + x W1``, ``max(hid, 0)``, ``x += hid W2 + b2``
   (the pick average, the mean head and the MLP over rational dimensions: see below);
4. readout and g per position: the three control logits (bit iff > 0). Insert or delete
   set, or remask on a decoded token: :data:`ERR_RESTRICTION` (the MDM machine refuses such
   an f). A mask with remask stays (counted); otherwise the token readout: vocab kind, the
   first arg-max label (branch-free) and its encoded fields from the label table; fields
   kind, the integer values checked against the codec's field bounds
   (:data:`ERR_FIELD_DOMAIN`); written into the row, ``is_mask = 0``;
5. stop as :class:`machines.process.GenerationProcess` does for an MDM: no mask left
   (``NO_MASK``), else nothing filled (``FIXED_POINT``), else the pass limit (``STEP_LIMIT``).

Exactness: the PRAM's integers are exact; its value limit is set to ``2^53 − 1``
(:data:`EXACT_LIMITS`), so a value leaving the transformer's exact range stops the run with
:class:`~apmdm.machines.errors.SizeLimitExceeded` (the forward pass raises PrecisionError).
Rational dimensions as in the forward pass: numerators in X, denominators in DEN (S·d, all
1 at the start of a pass when the network has a rational dimension); a mean head writes
``(S, c)``; a query reading r is scaled to ``den_r·q_int + num_r·w_r``; an MLP unit reading r
gets ``den_r·(x_int W1 + b1) + num_r·w1[r, u]`` and the W2 output of r's units is divided by
``den_r`` exactly (else :data:`ERR_NOT_INTEGER`). Not supported (typed error at compile
time): causal heads (an MDM's encoder is bidirectional).

The program also counts four run-dependent events in its header (for the exact time
formula): arg-max members, members weighted by their head's v, filled positions, masks that
stay. ``mdm_program().costs`` holds the length of every straight-line piece of the program,
measured while it is emitted; :func:`theory.theorem2.pram_time` composes them along the loop
nest, and the checker requires it to equal the interpreter's T.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from apmdm.machines.errors import (
    InvalidArgumentError,
    PrecisionError,
    RestrictionViolation,
    SizeLimitExceeded,
)
from apmdm.machines.pram.interpreter import PRAM, PRAMLimits, PRAMResult
from apmdm.machines.pram.isa import Program
from apmdm.machines.pram.library.kit import Asm
from apmdm.machines.process import StopReason
from apmdm.machines.tokens import MASK, Canvas
from apmdm.machines.transformer.model import CompiledTransformer
from apmdm.machines.transformer.spec import TransformerSpec
from apmdm.theory.theorem2 import PramNetwork

# header addresses
(H_STATUS, H_PASSES, H_ERRPOS, H_S, H_F, H_D, H_CANVAS, H_X, H_FEAT, H_EMB, H_LAYERS,
 H_READOUT, H_FB, H_QKV, H_SC, H_SUM, H_HO, H_HID, H_LG, H_CT, H_ONE, H_MAXPASS,
 H_EV_MEMBERS, H_EV_MEMBER_V, H_EV_FILL, H_EV_STAY, H_RATIONAL, H_DEN, H_GB) = range(29)
HEADER = 29

STOP_NO_MASK, STOP_FIXED_POINT, STOP_STEP_LIMIT = 1, 2, 3
ERR_RESTRICTION, ERR_NOT_INTEGER, ERR_FIELD_DOMAIN = -1, -2, -3
STOPS = {STOP_NO_MASK: StopReason.NO_MASK, STOP_FIXED_POINT: StopReason.FIXED_POINT,
         STOP_STEP_LIMIT: StopReason.STEP_LIMIT}

# feature kinds: value at position i of a canvas row [m, f_1..f_F], fv = f_field
FEATURE_KINDS = ("is_mask", "field", "field_sq", "field_eq", "field_bit", "one", "pos",
                 "pos_sq", "pos_bit", "pos_div", "pos_mod")
EXACT_LIMITS = dict(max_abs_value=2**53 - 1, max_address=1 << 22)


# --- the program ---------------------------------------------------------------------------


class _Emitter:
    """kit.Asm plus loop macros; ``costs`` records the length of every straight-line piece
    (instructions) under a name, read off the emitted code (used by the time formula)."""

    def __init__(self) -> None:
        self.a = Asm("thm2-mdm-serial", processors=1, output=(0, 3), registers=64)
        self.costs: dict[str, int] = {}
        self.starts: dict[str, int] = {}  # first instruction index of each named piece
        self._marks: dict[str, int] = {}

    def here(self) -> int:
        return len(self.a._ops)  # the leading ``pid`` of Asm included

    def start(self, name: str) -> None:
        self._marks[name] = self.here()
        self.starts.setdefault(name, self.here())

    def stop(self, name: str) -> None:
        n = self.here() - self._marks.pop(name)
        if self.costs.setdefault(name, n) != n:
            raise InvalidArgumentError(f"cost piece {name!r} measured twice differently")

    def piece(self, name: str, emit: Callable[[], object]) -> None:
        self.start(name)
        emit()
        self.stop(name)

    def loop(self, cnt: int, n: int, body: Callable[[], object], idx: int | None = None) -> None:
        """``body`` R[n] times (R[n] >= 0). Cost: 3 + R[n]·(body + 3) with an index register
        (``const idx 0`` ... ``addi idx``), 2 + R[n]·(body + 2) without."""
        a = self.a
        top, end = a.fresh("top"), a.fresh("end")
        tag = "loop_idx" if idx is not None else "loop"
        self.start(tag + "_setup")
        if idx is not None:
            a.const(idx, 0)
        a.mov(cnt, n).jz(cnt, end)
        self.stop(tag + "_setup")
        a.label(top)
        body()
        self.start(tag + "_step")
        if idx is not None:
            a.addi(idx, idx, 1)
        a.addi(cnt, cnt, -1).jnz(cnt, top)
        self.stop(tag + "_step")
        a.label(end)

    def spmv(self, lst: int, inb: int, outb: int, t: Sequence[int]) -> None:
        """``out[dst] += in[src]·w`` over the sparse list at R[lst]: 3 + nnz·13."""
        a = self.a
        cnt, p, s, d, w = t[:5]
        top, end = a.fresh("sp"), a.fresh("spend")
        self.piece("spmv_setup", lambda: a.load(cnt, lst, 0).addi(p, lst, 1).jz(cnt, end))
        a.label(top)
        self.start("spmv_entry")
        a.load(s, p, 0).load(d, p, 1).load(w, p, 2).add(s, s, inb).load(s, s, 0).mul(s, s, w)
        a.add(d, d, outb).load(w, d, 0).add(w, w, s).store(d, 0, w)
        a.addi(p, p, 3).addi(cnt, cnt, -1).jnz(cnt, top)
        self.stop("spmv_entry")
        a.label(end)

    def fill(self, base: int, n: int, value: int, t: Sequence[int]) -> None:
        """``M[R[base] .. + R[n]) = R[value]``: 3 + n·4."""
        a = self.a
        cnt, p = t[:2]
        top, end = a.fresh("fill"), a.fresh("fillend")
        self.piece("fill_setup", lambda: a.mov(p, base).mov(cnt, n).jz(cnt, end))
        a.label(top)
        self.piece("fill_cell", lambda: a.store(p, 0, value).addi(p, p, 1)
                   .addi(cnt, cnt, -1).jnz(cnt, top))
        a.label(end)

    def copy(self, src: int, dst: int, n: int, t: Sequence[int]) -> None:
        """``M[R[dst] + c] = M[R[src] + c]`` for c < R[n]: 4 + n·6."""
        a = self.a
        cnt, p, q, v = t[:4]
        top, end = a.fresh("copy"), a.fresh("copyend")
        self.piece("copy_setup", lambda: a.mov(p, src).mov(q, dst).mov(cnt, n).jz(cnt, end))
        a.label(top)
        self.piece("copy_cell", lambda: a.load(v, p, 0).store(q, 0, v).addi(p, p, 1)
                   .addi(q, q, 1).addi(cnt, cnt, -1).jnz(cnt, top))
        a.label(end)


@dataclass(frozen=True)
class SerialProgram:
    """The program, the length of each named straight-line piece (``costs``, read by
    :func:`theory.theorem2.pram_time`) and where each piece first starts (``starts``)."""

    program: Program
    costs: dict[str, int]
    starts: dict[str, int]


_PROGRAM: SerialProgram | None = None


def mdm_program() -> SerialProgram:
    """The generic program (built once; the same instruction list for every MDM)."""
    global _PROGRAM
    if _PROGRAM is None:
        _PROGRAM = _build()
    return _PROGRAM


def _build() -> SerialProgram:  # noqa: PLR0915 - one program, phase by phase
    e = _Emitter()
    a = e.a
    (ZERO, S, D, W, CANV, X, PASSES, FILLED, STAY, I, CI, XI, CROW,
     LAY, NL, CL, LREC, NH, CH, HREC, HK, HV, QB, KB, VB, J, CJ, QI, KJ, VJ, C, CC,
     BEST, CNT, HO, VL, OFF, TMP, TMP2, M, B1, B2, B3, CNH, IDX, REM,
     DENB, R1, R2, R3, R4, R5, R6) = a.alloc(53)
    T = a.alloc(8)  # temporaries of the macros
    # -- set-up
    e.start("setup")
    a.const(ZERO, 0).load(S, ZERO, H_S).load(W, ZERO, H_F).addi(W, W, 1)
    a.load(D, ZERO, H_D).load(CANV, ZERO, H_CANVAS).load(X, ZERO, H_X).const(PASSES, 0)
    a.const(STAY, 0).mov(CROW, CANV).load(DENB, ZERO, H_DEN)
    e.stop("setup")
    # masks of the initial canvas
    e.loop(CI, S, lambda: e.piece("count_mask", lambda: a.load(TMP, CROW, 0)
                                  .add(STAY, STAY, TMP).add(CROW, CROW, W)))
    e.piece("no_mask_test", lambda: a.jnz(STAY, "pass"))
    e.piece("no_mask_exit", lambda: a.const(TMP, STOP_NO_MASK).store(ZERO, H_STATUS, TMP)
            .jmp("done"))
    # -- one pass
    a.label("pass")
    e.piece("pass_head", lambda: a.const(FILLED, 0).const(STAY, 0).mul(TMP, S, D))
    e.fill(X, TMP, ZERO, T)
    no_den = a.fresh("no_den")
    e.piece("den_test", lambda: a.load(TMP2, ZERO, H_RATIONAL).jz(TMP2, no_den))
    e.piece("den_one", lambda: a.const(R1, 1))
    e.fill(DENB, TMP, R1, T)  # every denominator 1; a mean head overwrites its dimensions
    a.label(no_den)
    _embedding(e, locals())
    _layers(e, locals())
    _readout(e, locals())
    # stop rules, branch-free: status = 1·[no mask] + 2·[nothing filled] + 3·[pass limit]
    e.start("pass_tail")
    a.addi(PASSES, PASSES, 1).store(ZERO, H_PASSES, PASSES)
    a.load(TMP, ZERO, H_EV_FILL).add(TMP, TMP, FILLED).store(ZERO, H_EV_FILL, TMP)
    a.load(TMP, ZERO, H_EV_STAY).add(TMP, TMP, STAY).store(ZERO, H_EV_STAY, TMP)
    a.eq(B1, STAY, ZERO).sub(B3, ZERO, B1).addi(B3, B3, 1)             # B3 = 1 - s0
    a.eq(B2, FILLED, ZERO).mul(B2, B2, B3)                              # s1
    a.sub(TMP2, B3, B2)                                                 # (1 - s0)(1 - s1)
    a.load(M, ZERO, H_MAXPASS).le(M, M, PASSES).mul(M, M, TMP2)         # s2
    a.add(TMP, B2, B2).add(TMP, TMP, B1)                                # s0 + 2·s1
    a.add(TMP2, M, M).add(TMP2, TMP2, M).add(TMP, TMP, TMP2)            # + 3·s2
    a.jz(TMP, "pass")
    e.stop("pass_tail")
    e.piece("final", lambda: a.store(ZERO, H_STATUS, TMP).jmp("done"))
    # error exits: status in TMP, position in I
    a.label("error").store(ZERO, H_STATUS, TMP).store(ZERO, H_ERRPOS, I)
    a.label("done")
    e.piece("halt", lambda: a.halt())
    return SerialProgram(a.build(), dict(e.costs), dict(e.starts))


def _embedding(e: _Emitter, r: dict) -> None:
    a, T = e.a, r["T"]
    ZERO, S, D, W, I, CI, XI, CROW = (r[k] for k in ("ZERO", "S", "D", "W", "I", "CI", "XI",
                                                     "CROW"))
    FB, FP, NF, CF, FI = r["B1"], r["B2"], r["B3"], r["CC"], r["C"]
    KIND, FV, P, BB, K, V, EQ = r["HK"], r["HV"], r["QB"], r["KB"], r["VB"], r["TMP"], r["TMP2"]
    M = r["M"]

    def feature() -> None:
        e.start("feature")
        a.load(KIND, FP, 0).load(FV, FP, 1).add(FV, FV, CROW).load(FV, FV, 0)
        a.load(P, FP, 2).load(BB, FP, 3).load(K, FP, 4).load(M, CROW, 0)
        a.const(V, 0)
        cands = (
            lambda t: a.mov(t, M),                                        # is_mask
            lambda t: a.mov(t, FV),                                       # field
            lambda t: a.mul(t, FV, FV),                                   # field_sq
            lambda t: a.eq(t, FV, P).sub(EQ, ZERO, M).addi(EQ, EQ, 1)
                       .mul(t, t, EQ),                                    # field_eq, not MASK
            lambda t: a.shr(t, FV, BB).and_(t, t, T[7]),                  # field_bit
            lambda t: a.const(t, 1),                                      # one
            lambda t: a.mov(t, I),                                        # pos
            lambda t: a.mul(t, I, I),                                     # pos_sq
            lambda t: a.shr(t, I, BB).and_(t, t, T[7]),                   # pos_bit
            lambda t: a.sub(t, I, P).div(t, t, K),                        # pos_div
            lambda t: a.sub(t, I, P).mod(t, t, K),                        # pos_mod
        )
        for kind, cand in enumerate(cands):
            cand(T[5])
            a.const(T[6], kind).eq(T[6], KIND, T[6]).mul(T[5], T[5], T[6]).add(V, V, T[5])
        a.store(FI, 0, V).addi(FI, FI, 1).addi(FP, FP, 5)
        e.stop("feature")

    def position() -> None:
        e.piece("embed_row", lambda: a.mul(XI, I, D).add(XI, XI, r["X"])
                .load(FP, ZERO, H_FEAT).load(NF, FP, 0).addi(FP, FP, 1).mov(FI, FB))
        e.loop(CF, NF, feature)
        e.piece("embed_list", lambda: a.load(T[6], ZERO, H_EMB))
        e.spmv(T[6], FB, XI, T)
        e.piece("embed_next", lambda: a.add(CROW, CROW, W))

    e.piece("embed_head", lambda: a.load(FB, ZERO, H_FB).mov(CROW, r["CANV"])
            .const(T[7], 1))
    e.loop(CI, S, position, idx=I)


def _layers(e: _Emitter, r: dict) -> None:
    a, T = e.a, r["T"]
    g = r.get
    ZERO, S, D, I, CI, XI = (g(k) for k in ("ZERO", "S", "D", "I", "CI", "XI"))
    LAY, NL, CL, LREC, NH, CH, HREC = (g(k) for k in ("LAY", "NL", "CL", "LREC", "NH", "CH",
                                                      "HREC"))
    HK, HV, QB, KB, VB, J, CJ, QI, KJ, VJ, C, CC = (g(k) for k in (
        "HK", "HV", "QB", "KB", "VB", "J", "CJ", "QI", "KJ", "VJ", "C", "CC"))
    BEST, CNT, HO, VL, OFF, TMP, TMP2, M, B1, B2, B3 = (g(k) for k in (
        "BEST", "CNT", "HO", "VL", "OFF", "TMP", "TMP2", "M", "B1", "B2", "B3"))
    X, DENB, R1, R2, R3, R4, R5, R6 = (g(k) for k in ("X", "DENB", "R1", "R2", "R3", "R4",
                                                     "R5", "R6"))
    IDX, REM = g("IDX"), g("REM")

    def project() -> None:  # position I: three sparse lists into Q, K, V rows
        e.piece("proj_row", lambda: a.mul(XI, I, D).add(XI, XI, X)
                .mul(QI, I, HK).add(KJ, QI, KB).add(QI, QI, QB)
                .mul(VJ, I, HV).add(VJ, VJ, VB).load(B1, HREC, 2))
        e.spmv(B1, XI, QI, T)
        e.piece("proj_k", lambda: a.load(B1, HREC, 3))
        e.spmv(B1, XI, KJ, T)
        e.piece("proj_v", lambda: a.load(B1, HREC, 4))
        e.spmv(B1, XI, VJ, T)
        # a query reading a rational dimension r = num_r / den_r: q = den_r·q_int + num_r·w_r
        # (the integer query of machines.transformer.forward: same arg-max set)
        no_qr = a.fresh("no_qr")
        e.piece("qr_test", lambda: a.load(R1, HREC, 8).lt(R2, R1, ZERO).jnz(R2, no_qr))
        e.piece("qr_setup", lambda: a.add(R2, XI, R1).load(R2, R2, 0).mul(R3, I, D)
                .add(R3, R3, DENB).add(R3, R3, R1).load(R3, R3, 0).load(R1, HREC, 9)
                .mov(M, QI))
        e.loop(CC, HK, lambda: e.piece("qr_term", lambda: a.load(TMP, M, 0)
                                       .mul(TMP, TMP, R3).load(TMP2, R1, 0).mul(TMP2, TMP2, R2)
                                       .add(TMP, TMP, TMP2).store(M, 0, TMP).addi(M, M, 1)
                                       .addi(R1, R1, 1)))
        a.label(no_qr)

    def score() -> None:  # SC[J] = q_I . k_J
        def term() -> None:
            e.piece("score_term", lambda: a.load(TMP, M, 0).load(TMP2, B3, 0)
                    .mul(TMP, TMP, TMP2).add(BEST, BEST, TMP).addi(M, M, 1).addi(B3, B3, 1))
        e.piece("score_head", lambda: a.const(BEST, 0).mov(M, QI).mul(B3, J, HK)
                .add(B3, B3, KB))
        e.loop(CC, HK, term)
        e.piece("score_store", lambda: a.add(TMP, B2, J).store(TMP, 0, BEST))

    def member() -> None:  # J in the arg-max set: count it and add v_J
        def add_v() -> None:
            e.piece("member_term", lambda: a.load(TMP, VJ, 0).add(TMP2, B3, C)
                    .load(M, TMP2, 0).add(M, M, TMP).store(TMP2, 0, M).addi(VJ, VJ, 1))
        skip = a.fresh("skip")
        e.piece("member_test", lambda: a.add(TMP, B2, J).load(TMP, TMP, 0)
                .eq(TMP, TMP, BEST).jz(TMP, skip))
        e.piece("member_head", lambda: a.addi(CNT, CNT, 1).mul(VJ, J, HV).add(VJ, VJ, VB))
        e.loop(CC, HV, add_v, idx=C)
        a.label(skip)

    def finish_term() -> None:  # C-th value dimension: S / c, exact, into HO
        e.piece("finish_term", lambda: a.add(TMP, B3, C).load(TMP, TMP, 0)
                .div(TMP2, TMP, CNT).mul(M, TMP2, CNT).ne(M, M, TMP).jnz(M, "not_int")
                .add(M, QI, C).store(M, 0, TMP2))

    def query() -> None:  # position I: scores, maximum, members, averages
        e.piece("query_head", lambda: a.mul(QI, I, HK).add(QI, QI, QB))
        e.loop(CJ, S, score, idx=J)
        e.piece("max_head", lambda: a.load(BEST, B2, 0).mov(TMP2, B2))
        e.loop(CJ, S, lambda: e.piece("max_term", lambda: a.load(TMP, TMP2, 0)
                                      .max(BEST, BEST, TMP).addi(TMP2, TMP2, 1)))
        e.piece("sum_head", lambda: a.const(CNT, 0).load(B3, ZERO, H_SUM))
        e.fill(B3, HV, ZERO, T)
        e.loop(CJ, S, member, idx=J)
        e.piece("events", lambda: a.load(TMP, ZERO, H_EV_MEMBERS).add(TMP, TMP, CNT)
                .store(ZERO, H_EV_MEMBERS, TMP).mul(TMP2, CNT, HV)
                .load(TMP, ZERO, H_EV_MEMBER_V).add(TMP, TMP, TMP2)
                .store(ZERO, H_EV_MEMBER_V, TMP)
                .mul(QI, I, VL).add(QI, QI, OFF).add(QI, QI, HO))
        mean, done = a.fresh("mean_fin"), a.fresh("fin_done")
        e.piece("finish_kind", lambda: a.load(R1, HREC, 7).jnz(R1, mean))
        e.loop(CC, HV, finish_term, idx=C)
        e.piece("pick_jmp", lambda: a.jmp(done))
        a.label(mean)  # a mean head keeps the sum S and the count c (num / den)
        e.loop(CC, HV, lambda: e.piece("mean_term", lambda: a.add(TMP, B3, C)
                                       .load(TMP, TMP, 0).add(M, QI, C).store(M, 0, TMP)),
               idx=C)
        a.label(done)
        e.piece("count_store", lambda: a.add(M, QI, HV).store(M, 0, CNT))

    def head() -> None:
        e.piece("head_setup", lambda: a.load(HREC, CH, 0).load(HK, HREC, 0).load(HV, HREC, 1)
                .load(OFF, HREC, 6).load(QB, ZERO, H_QKV).mul(TMP, S, HK).add(KB, QB, TMP)
                .add(VB, KB, TMP).add(TMP, TMP, TMP).mul(TMP2, S, HV).add(TMP, TMP, TMP2)
                .load(B2, ZERO, H_SC))
        e.fill(QB, TMP, ZERO, T)
        e.loop(CI, S, project, idx=I)
        e.loop(CI, S, query, idx=I)
        e.piece("head_next", lambda: a.addi(CH, CH, 1))

    def add_out() -> None:  # head CH: HO columns into X at its output dimensions
        def pos() -> None:
            def term() -> None:
                e.piece("out_term", lambda: a.load(TMP, QI, 0).load(TMP2, KJ, 0)
                        .add(TMP2, TMP2, XI).load(M, TMP2, 0).add(M, M, TMP)
                        .store(TMP2, 0, M).addi(QI, QI, 1).addi(KJ, KJ, 1))
            e.piece("out_row", lambda: a.mul(XI, I, D).add(XI, XI, X).mul(QI, I, VL)
                    .add(QI, QI, OFF).add(QI, QI, HO).load(KJ, HREC, 5))
            e.loop(CC, HV, term)
        def pos_mean() -> None:  # X[dim] = S, DEN[dim] = c
            def term() -> None:
                e.piece("mean_out_term", lambda: a.load(TMP, QI, 0).load(TMP2, KJ, 0)
                        .add(M, TMP2, XI).store(M, 0, TMP).add(M, TMP2, R2).store(M, 0, R3)
                        .addi(QI, QI, 1).addi(KJ, KJ, 1))
            e.piece("mean_row", lambda: a.mul(XI, I, D).add(XI, XI, X).mul(R2, I, D)
                    .add(R2, R2, DENB).mul(QI, I, VL).add(QI, QI, OFF).add(QI, QI, HO)
                    .add(R3, QI, HV).load(R3, R3, 0).load(KJ, HREC, 5))
            e.loop(CC, HV, term)
        mean, done = a.fresh("out_mean"), a.fresh("out_done")
        e.piece("out_setup", lambda: a.load(HREC, CH, 0).load(HV, HREC, 1)
                .load(OFF, HREC, 6).load(R1, HREC, 7).jnz(R1, mean))
        e.loop(CI, S, pos, idx=I)
        e.piece("out_pick_jmp", lambda: a.jmp(done))
        a.label(mean)
        e.loop(CI, S, pos_mean, idx=I)
        a.label(done)
        e.piece("out_next", lambda: a.addi(CH, CH, 1))

    def mlp_row() -> None:
        e.piece("mlp_row", lambda: a.mul(XI, I, D).add(XI, XI, X).load(B1, TMP2, 2))
        e.copy(B1, B3, HK, T)
        e.piece("mlp_w1", lambda: a.load(B1, TMP2, 1))
        e.spmv(B1, XI, B3, T)
        # units reading a rational dimension r: pre = den_r·(x_int W1 + b1) + num_r·w1[r, u]
        e.piece("rat_head", lambda: a.mul(R6, I, D).add(R6, R6, DENB).load(R1, TMP2, 5)
                .load(R2, R1, 0).addi(R1, R1, 1))
        e.loop(CC, R2, lambda: e.piece("rat_term", lambda: a.load(TMP, R1, 0)
                                       .load(M, R1, 1).load(R3, R1, 2).add(TMP, TMP, B3)
                                       .add(R4, M, XI).load(R4, R4, 0).mul(R4, R4, R3)
                                       .add(R5, M, R6).load(R5, R5, 0).load(R3, TMP, 0)
                                       .mul(R3, R3, R5).add(R3, R3, R4).store(TMP, 0, R3)
                                       .addi(R1, R1, 3)))
        e.piece("relu_head", lambda: a.mov(M, B3))
        e.loop(CC, HK, lambda: e.piece("relu", lambda: a.load(TMP, M, 0).max(TMP, TMP, ZERO)
                                       .store(M, 0, TMP).addi(M, M, 1)))
        e.piece("mlp_w2", lambda: a.load(B1, TMP2, 3))
        e.spmv(B1, B3, XI, T)
        e.piece("mlp_b2", lambda: a.load(B1, TMP2, 4).const(B2, H_ONE))
        e.spmv(B1, B2, XI, T)
        # per rational dimension r read by some units: their W2 rows into GB, each touched
        # column divided exactly by den_r (else ERR_NOT_INTEGER) and added to X; GB reset

        def column() -> None:
            e.piece("grp_col", lambda: a.load(TMP, R4, 0).add(B2, TMP, R5).load(REM, B2, 0)
                    .store(B2, 0, ZERO).div(IDX, REM, R3).mul(BEST, IDX, R3)
                    .ne(BEST, BEST, REM).jnz(BEST, "not_int").add(TMP, TMP, XI)
                    .load(REM, TMP, 0).add(REM, REM, IDX).store(TMP, 0, REM).addi(R4, R4, 1))

        def group() -> None:
            e.piece("grp_head", lambda: a.load(R3, R1, 0).add(R3, R3, R6).load(R3, R3, 0)
                    .load(B1, R1, 1).load(R4, R1, 2))
            e.spmv(B1, B3, R5, T)
            e.piece("grp_cols", lambda: a.load(M, R4, 0).addi(R4, R4, 1))
            e.loop(CC, M, column)
            e.piece("grp_next", lambda: a.addi(R1, R1, 3))
        e.piece("grp_setup", lambda: a.load(R1, TMP2, 6).load(R2, R1, 0).addi(R1, R1, 1)
                .load(R5, ZERO, H_GB))
        e.loop(CJ, R2, group)

    def layer() -> None:
        e.piece("layer_setup", lambda: a.load(LREC, CL, 0).load(NH, LREC, 0)
                .load(VL, LREC, 2).load(HO, ZERO, H_HO).addi(CH, LREC, 3))
        e.loop(g("CNH"), NH, head)
        e.piece("out_head", lambda: a.addi(CH, LREC, 3))
        e.loop(g("CNH"), NH, add_out)
        nomlp = a.fresh("nomlp")
        e.piece("mlp_test", lambda: a.load(TMP2, LREC, 1).jz(TMP2, nomlp))
        e.piece("mlp_setup", lambda: a.load(HK, TMP2, 0).load(B3, ZERO, H_HID))
        e.loop(CI, S, mlp_row, idx=I)
        a.label(nomlp)
        e.piece("layer_next", lambda: a.addi(CL, CL, 1))

    e.piece("layers_head", lambda: a.load(LAY, ZERO, H_LAYERS).load(NL, LAY, 0)
            .addi(CL, LAY, 1))
    e.loop(LAY, NL, layer)
    e.piece("layers_jmp", lambda: a.jmp("layers_done"))
    a.label("not_int").const(TMP, ERR_NOT_INTEGER).jmp("error")
    a.label("layers_done")


def _readout(e: _Emitter, r: dict) -> None:
    a, T = e.a, r["T"]
    g = r.get
    ZERO, S, D, W, I, CI, XI, CROW, X = (g(k) for k in ("ZERO", "S", "D", "W", "I", "CI",
                                                        "XI", "CROW", "X"))
    FILLED, STAY, TMP, TMP2, M, B1, B2, B3 = (g(k) for k in (
        "FILLED", "STAY", "TMP", "TMP2", "M", "B1", "B2", "B3"))
    RREC, CT, LG, MM, KIND, F, BEST, IDX, C, CC, REM = (g(k) for k in (
        "HREC", "QB", "KB", "HK", "VB", "HV", "BEST", "IDX", "C", "CC", "REM"))

    def argmax_term() -> None:  # first arg-max: IDX moves only on a strictly larger logit
        e.piece("argmax_term", lambda: a.add(TMP, LG, C).load(TMP, TMP, 0)
                .lt(TMP2, BEST, TMP).sub(M, C, IDX).mul(M, M, TMP2).add(IDX, IDX, M)
                .max(BEST, BEST, TMP))

    def field_term() -> None:  # field C: bounds check, then into the canvas row
        e.piece("field_term", lambda: a.add(TMP, LG, C).load(TMP, TMP, 0)
                .add(TMP2, C, C).add(TMP2, TMP2, B2).load(M, TMP2, 0).lt(M, TMP, M)
                .jnz(M, "field_err").load(M, TMP2, 1).lt(M, M, TMP).jnz(M, "field_err")
                .add(M, CROW, C).store(M, 1, TMP))

    def position() -> None:
        e.piece("ro_row", lambda: a.mul(XI, I, D).add(XI, XI, X).load(B1, RREC, 6)
                .const(B3, 3))
        e.copy(B1, CT, B3, T)
        e.piece("ro_ctrl", lambda: a.load(B1, RREC, 5))
        e.spmv(B1, XI, CT, T)
        done, stay, mask_label = a.fresh("ro_done"), a.fresh("ro_stay"), a.fresh("ro_mask")
        e.piece("ro_bits", lambda: a.load(REM, CT, 0).lt(REM, ZERO, REM)
                .load(TMP, CT, 1).lt(TMP, ZERO, TMP).load(TMP2, CT, 2).lt(TMP2, ZERO, TMP2)
                .or_(TMP, TMP, TMP2).jnz(TMP, "restriction").load(M, CROW, 0)
                .jnz(M, mask_label))
        e.piece("ro_decoded", lambda: a.jnz(REM, "restriction").jmp(done))
        a.label(mask_label)
        e.piece("ro_mask", lambda: a.jnz(REM, stay))
        e.piece("ro_fill", lambda: a.load(B1, RREC, 3))
        e.copy(B1, LG, MM, T)
        e.piece("ro_token", lambda: a.load(B1, RREC, 2))
        e.spmv(B1, XI, LG, T)
        fields = a.fresh("ro_fields")
        e.piece("ro_kind", lambda: a.jnz(KIND, fields))
        e.piece("vocab_head", lambda: a.load(BEST, LG, 0).const(IDX, 0))
        e.loop(CC, MM, argmax_term, idx=C)
        e.piece("vocab_tail", lambda: a.load(B1, RREC, 4).mul(TMP, IDX, F).add(B1, B1, TMP)
                .addi(B2, CROW, 1))
        e.copy(B1, B2, F, T)
        written = a.fresh("ro_written")
        e.piece("vocab_jmp", lambda: a.jmp(written))
        a.label(fields)
        e.piece("fields_head", lambda: a.load(B2, RREC, 7))
        e.loop(CC, F, field_term, idx=C)
        a.label(written)
        e.piece("ro_write", lambda: a.store(CROW, 0, ZERO).addi(FILLED, FILLED, 1)
                .jmp(done))
        a.label(stay)
        e.piece("ro_stay", lambda: a.addi(STAY, STAY, 1))
        a.label(done)
        e.piece("ro_next", lambda: a.add(CROW, CROW, W))

    e.piece("ro_head", lambda: a.load(RREC, ZERO, H_READOUT).load(CT, ZERO, H_CT)
            .load(LG, ZERO, H_LG).load(KIND, RREC, 0).load(MM, RREC, 1).load(F, ZERO, H_F)
            .mov(CROW, r["CANV"]))
    e.loop(CI, S, position, idx=I)
    e.piece("readout_jmp", lambda: a.jmp("readout_done"))
    a.label("restriction").const(TMP, ERR_RESTRICTION).jmp("error")
    a.label("field_err").const(TMP, ERR_FIELD_DOMAIN).jmp("error")
    a.label("readout_done")


# --- the memory image ----------------------------------------------------------------------


def _feature_tuple(name: str, field_names: Sequence[str]) -> tuple[int, int, int, int, int]:
    """``(kind, field, p, b, K)`` of a feature name of :mod:`machines.transformer.spec`."""
    parts = name.split(":")
    index = {f: 1 + k for k, f in enumerate(field_names)}
    kind = {"is_mask": "is_mask", "one": "one", "pos": "pos", "pos_sq": "pos_sq"}.get(name,
                                                                                     parts[0])
    if kind not in FEATURE_KINDS:
        raise InvalidArgumentError(f"serial PRAM: unknown feature {name!r}")
    k = FEATURE_KINDS.index(kind)
    try:
        if kind in ("field", "field_sq"):
            return (k, index[parts[1]], 0, 0, 1)
        if kind == "field_eq":
            return (k, index[parts[1]], int(parts[2]), 0, 1)
        if kind == "field_bit":
            return (k, index[parts[1]], 0, int(parts[2]), 1)
        if kind == "pos_bit":
            return (k, 1, 0, int(parts[1]), 1)
        if kind in ("pos_div", "pos_mod"):
            return (k, 1, int(parts[2]), 0, int(parts[1]))
    except (KeyError, IndexError, ValueError):
        raise InvalidArgumentError(f"serial PRAM: malformed feature {name!r}") from None
    return (k, 1, 0, 0, 1)


def _sparse(w: np.ndarray) -> list[int]:
    """A sparse list: count, then (row, column, weight) per nonzero entry, row-major."""
    rows, cols = np.nonzero(w)
    out = [len(rows)]
    for i, j in zip(rows.tolist(), cols.tolist(), strict=True):
        out += [i, j, int(w[i, j])]
    return out


class _Image:
    def __init__(self) -> None:
        self.cells: list[int] = [0] * HEADER

    def put(self, values: Sequence[int]) -> int:
        at = len(self.cells)
        self.cells.extend(int(v) for v in values)
        return at

    def reserve(self, n: int) -> int:
        return self.put([0] * max(n, 1))


def check_supported(spec: TransformerSpec) -> None:
    if spec.causal or any(h.causal for layer in spec.layers for h in layer.heads):
        raise InvalidArgumentError(f"serial PRAM: {spec.name or 'the network'} has causal "
                                   "heads: not supported (an MDM's encoder is bidirectional)")


@dataclass(frozen=True, eq=False)
class _HeadParts:
    """A head as the program reads it: the query without its rational row (``qr``, -1 if
    none) and that row, dense."""

    q_int: np.ndarray
    qr: int
    q_row: np.ndarray


@dataclass(frozen=True, eq=False)
class _MLPParts:
    """An MLP as the program reads it: W1 on integer dimensions, the units reading a
    rational dimension ``(u, r, w1[r, u])``, W2 of the integer units, and per rational
    dimension r its units' W2 rows and the columns they touch."""

    w1_int: np.ndarray
    rational_units: tuple[tuple[int, int, int], ...]
    w2_int: np.ndarray
    groups: tuple[tuple[int, np.ndarray, tuple[int, ...]], ...]


def _head_parts(spec: TransformerSpec, h) -> _HeadParts:
    rat = np.flatnonzero(np.asarray(spec.rational, dtype=bool) & np.any(h.w_q != 0, axis=1))
    if rat.size == 0:
        return _HeadParts(h.w_q, -1, np.zeros(h.w_q.shape[1]))
    r = int(rat[0])
    q_int = h.w_q.copy()
    q_int[r] = 0.0
    return _HeadParts(q_int, r, h.w_q[r].copy())


def _mlp_parts(spec: TransformerSpec, m) -> _MLPParts:
    rational = np.asarray(spec.rational, dtype=bool)
    src = np.full(m.width, -1)
    for u in range(m.width):
        rows = np.flatnonzero(rational & (m.w1[:, u] != 0))
        if rows.size:
            src[u] = int(rows[0])
    w1_int = m.w1.copy()
    w1_int[rational, :] = 0.0
    units = tuple((int(u), int(src[u]), int(m.w1[src[u], u])) for u in np.flatnonzero(src >= 0))
    w2_int = m.w2.copy()
    w2_int[src >= 0, :] = 0.0
    groups = []
    for r in sorted(set(src[src >= 0].tolist())):
        w2 = np.zeros_like(m.w2)
        w2[src == r, :] = m.w2[src == r, :]
        cols = tuple(int(t) for t in np.flatnonzero(np.any(w2 != 0, axis=0)))
        groups.append((int(r), w2, cols))
    return _MLPParts(w1_int, units, w2_int, tuple(groups))


def network_counts(model: CompiledTransformer) -> PramNetwork:
    """The sizes and nonzero counts of ``model`` as the program reads them."""
    spec = model.spec
    check_supported(spec)
    nz = np.count_nonzero
    heads = []
    for layer in spec.layers:
        row = []
        for h in layer.heads:
            hp = _head_parts(spec, h)
            row.append((h.w_q.shape[1], h.w_v.shape[1], nz(hp.q_int), nz(h.w_k), nz(h.w_v),
                        int(h.mean), int(hp.qr >= 0)))
        heads.append(tuple(row))
    mlps = []
    for layer in spec.layers:
        if layer.mlp is None:
            mlps.append(None)
            continue
        mp = _mlp_parts(spec, layer.mlp)
        mlps.append((layer.mlp.width, nz(mp.w1_int), nz(mp.w2_int), nz(layer.mlp.b2),
                     len(mp.rational_units),
                     tuple((int(nz(w2)), len(cols)) for _, w2, cols in mp.groups)))
    r = spec.token_readout
    ctrl = 0 if spec.control_w is None else nz(spec.control_w)
    return PramNetwork(spec.width, len(spec.token_features) + len(spec.position_features),
                       nz(spec.w_tok) + nz(spec.w_pos), tuple(heads), tuple(mlps),
                       r.kind == "vocab", len(r.labels), nz(r.w), ctrl,
                       len(model.codec.field_names), bool(any(spec.rational)))


def memory_image(model: CompiledTransformer, canvas: Sequence[Any], max_passes: int
                 ) -> list[int]:
    """The PRAM's input: header, canvas, weights (sparse) and scratch areas."""
    spec, codec = model.spec, model.codec
    check_supported(spec)
    s, d, nf = len(canvas), spec.width, len(codec.field_names)
    if s > spec.max_length:
        raise SizeLimitExceeded(f"canvas length {s} exceeds the model's max_length "
                                f"{spec.max_length}")
    img = _Image()
    h = img.cells
    h[H_S], h[H_F], h[H_D], h[H_MAXPASS] = s, nf, d, max_passes
    h[H_RATIONAL] = int(any(spec.rational))
    h[H_CANVAS] = img.put(codec.encode_canvas(canvas).ravel().tolist())
    h[H_X] = img.reserve(s * d)
    h[H_DEN] = img.reserve(s * d)
    h[H_GB] = img.reserve(d)
    names = spec.field_names or spec.notes.get("field_names", ())
    feats = [_feature_tuple(f, names) for f in spec.token_features]
    feats += [_feature_tuple(f, ()) for f in spec.position_features]
    h[H_FEAT] = img.put([len(feats)] + [v for f in feats for v in f])
    h[H_FB] = img.reserve(len(feats))
    h[H_EMB] = img.put(_sparse(np.vstack([spec.w_tok, spec.w_pos])))
    layers, qkv, v_max, hid, ho = [], 1, 1, 1, 1
    for layer in spec.layers:
        recs, off = [], 0
        for hd in layer.heads:
            k, v = hd.w_q.shape[1], hd.w_v.shape[1]
            hp = _head_parts(spec, hd)
            dims = img.put(list(hd.out_dims))
            recs.append(img.put([k, v, img.put(_sparse(hp.q_int)), img.put(_sparse(hd.w_k)),
                                 img.put(_sparse(hd.w_v)), dims, off, int(hd.mean), hp.qr,
                                 img.put(hp.q_row.tolist() or [0])]))
            off += v + 1  # v values and the count
            qkv, v_max = max(qkv, s * (2 * k + v)), max(v_max, v)
        mlp = 0
        if layer.mlp is not None:
            m = layer.mlp
            mp = _mlp_parts(spec, m)
            hid = max(hid, m.width)
            groups = [len(mp.groups)]
            for r, w2, cols in mp.groups:
                groups += [r, img.put(_sparse(w2)), img.put([len(cols), *cols])]
            mlp = img.put([m.width, img.put(_sparse(mp.w1_int)), img.put(m.b1.tolist()),
                           img.put(_sparse(mp.w2_int)), img.put(_sparse(m.b2[None, :])),
                           img.put([len(mp.rational_units)]
                                   + [x for unit in mp.rational_units for x in unit]),
                           img.put(groups)])
        layers.append(img.put([len(recs), mlp, off, *recs]))
        ho = max(ho, s * off)
    h[H_LAYERS] = img.put([len(layers), *layers])
    h[H_HO] = img.reserve(ho)
    h[H_QKV], h[H_SC], h[H_SUM], h[H_HID] = (img.reserve(qkv), img.reserve(s),
                                            img.reserve(v_max), img.reserve(hid))
    r = spec.token_readout
    m = len(r.labels)
    labels = [] if r.kind != "vocab" else [v for lab in r.labels for v in codec.encode(lab)]
    cw = np.zeros((d, 3)) if spec.control_w is None else spec.control_w
    cb = np.full(3, -1.0) if spec.control_b is None else spec.control_b
    bounds = [v for pair in codec.bounds for v in pair]
    h[H_READOUT] = img.put([int(r.kind != "vocab"), m, img.put(_sparse(r.w)),
                            img.put(r.b.tolist()), img.put(labels or [0]), img.put(_sparse(cw)),
                            img.put(cb.tolist()), img.put(bounds or [0])])
    h[H_LG], h[H_CT] = img.reserve(m), img.reserve(3)
    h[H_ONE] = 1
    if max(map(abs, img.cells)) >= 2**53:
        raise PrecisionError("serial PRAM: a weight leaves the exact range 2^53")
    return img.cells


# --- running it ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PramRun:
    """The PRAM's run of an MDM: its final canvas, stop reason and measured time."""

    final: Canvas
    fields: tuple[tuple[int, ...], ...]  # the final canvas as the PRAM holds it
    stop: StopReason
    passes: int
    time: int  # T: PRAM steps = instructions executed (P = 1)
    memory_span: int
    events: tuple[int, int, int, int]  # arg-max members, members·v, fills, stays
    result: PRAMResult


ImageEdit = Callable[[list[int]], None]


def run_mdm_on_pram(model: CompiledTransformer, canvas: Sequence[Any],
                    max_passes: int | None = None, max_steps: int = 10**9,
                    program: Program | None = None, edit: ImageEdit | None = None) -> PramRun:
    """Run the MDM of ``model`` from ``canvas`` on the PRAM interpreter (P = 1), at most
    ``max_passes`` passes (default S + 1, so a run past the theorem's S passes is seen) and
    ``max_steps`` PRAM steps. ``program`` and ``edit`` (applied to the memory image) exist
    to feed the checker deliberately broken compilations (tests)."""
    s = len(canvas)
    limit = s + 1 if max_passes is None else max_passes
    image = memory_image(model, canvas, limit)
    if edit is not None:
        edit(image)
    prog = program or mdm_program().program
    limits = PRAMLimits(max_steps=max_steps, max_work=max_steps, **EXACT_LIMITS)
    res = PRAM(prog, limits=limits).run_scalar(image)
    mem = res.memory_dict()
    status, passes = mem.get(H_STATUS, 0), mem.get(H_PASSES, 0)
    where = mem.get(H_ERRPOS, 0)
    if status == ERR_RESTRICTION:
        raise RestrictionViolation(model.name or "serial-pram", passes + 1, where,
                                   "the MDM's readout breaks the MDM restriction")
    if status == ERR_NOT_INTEGER:
        raise PrecisionError(f"serial PRAM: a pick-head average or an MLP output over a "
                             f"rational dimension is not an integer at position {where} "
                             f"(pass {passes + 1})")
    if status == ERR_FIELD_DOMAIN:
        raise InvalidArgumentError(f"serial PRAM: token fields at position {where} leave the "
                                   f"codec's domain (pass {passes + 1})")
    if status not in STOPS:
        raise InvalidArgumentError(f"serial PRAM: ended with unknown status {status}")
    w = 1 + len(model.codec.field_names)
    base = image[H_CANVAS]
    rows = tuple(tuple(mem.get(base + i * w + c, 0) for c in range(w)) for i in range(s))
    final = tuple(MASK if row[0] else model.codec.decode(row[1:]) for row in rows)
    events = tuple(mem.get(a, 0) for a in (H_EV_MEMBERS, H_EV_MEMBER_V, H_EV_FILL,
                                            H_EV_STAY))
    return PramRun(final, rows, STOPS[status], passes, res.counters.time,
                   res.counters.memory_span, events, res)

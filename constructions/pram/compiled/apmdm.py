"""Theorem 4 as a real transformer: the PRAM -> AP-MDM next-step function in E-FASP, compiled.

Same canvas layout, tokens and schedule as :mod:`constructions.pram.apmdm` (the reference):
``M[0] .. M[S-1] | A_0 B_0 | ... | A_{P-1} B_{P-1}``, each pair holding one slot and one MASK.
The E-FASP program computes, at every position ``j`` (functions of the canvas only):

1. *layout* (position encoding): ``in_mem = [j < S]``, ``m = (j - S) mod 2`` and the partner
   ``j + 1 - 2m`` (the other half of the pair);
2. *mode*: ``commit = seq_max(is_mask, where in_mem)`` (a memory cell is masked), else advance;
3. *current slot* (the masked half's partner): one attention head fetches its fields, the bits
   of the registers that need them and the squares of the store base registers;
4. *decode, memory read, execute* as in Theorem 1 (:mod:`constructions.pram.compiled.common`);
   the read is a match keyed by position over the memory cells (``pos_sq`` from the embedding);
5. *cells to remask* (advance): a memory cell ``a`` looks for a running processor whose *new*
   slot writes ``a``: a rightmost match of its position against the computed store address
   ``k``, with ``k^2`` supplied as the affine form ``sum_k select(is_k, r^2 + 2cr + c^2, 0)``
   of fetched squares (``rightmost_match(..., key_sq=...)``), so no lookup over the address
   domain is needed;
6. *commit*: ``tmax = seq_max(t)`` over the slots; a masked cell takes the ``wval`` of the
   rightmost fresh slot (``t = tmax``) whose ``waddr`` is its position (pairs are ordered by
   processor id: highest id wins, Priority-CRCW);
7. readouts: memory cells ``(kind 0, val)``, processor positions the new slot; remask as in
   the reference (advance: the current half and the written cells of running processors and
   the masked half of halted ones; commit: every masked half).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from apmdm.constructions.efasp import CompiledProgram, compile_program
from apmdm.constructions.efasp.lang import Program
from apmdm.constructions.interface import Bound
from apmdm.constructions.pram.apmdm import PramToAPMDM
from apmdm.constructions.pram.compiled.common import (
    SlotCodec,
    check_supported,
    decode_step,
    default_word_bits,
    execute_step,
    fetch_slot,
    token,
)
from apmdm.machines.pram import Program as PramProgram
from apmdm.machines.pram import Variant
from apmdm.machines.process import GenerationProcess, Limits, Model, NextStep
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import Canvas

CONSTRUCTION = "thm4-apmdm"


def apmdm_step_program(ref: PramToAPMDM, codec: SlotCodec) -> Program:
    """The E-FASP program of the Theorem-4 next-step function for ``ref``'s sizes."""
    prog, n, P, S, w = ref.program, ref.n, ref.processors, ref.memory_size, codec.word_bits
    end = len(prog.instructions)
    p = Program(f"thm4-apmdm:{prog.name}:n{n}", codec.fields(), codec.encode, codec.decode,
                description=f"Theorem 4 next step for {prog.name} (n={n}, P={P}, S={S}, w={w})",
                encode_rows=codec.encode_rows, decode_rows=codec.decode_rows)
    pos = p.position("pos")
    mask = p.is_mask("mask")
    kind = token(p, "kind")
    in_mem = p.compare(pos, "<", S, name="in_mem")
    half = p.position_mod(2, S, name="half")
    partner = p.linear([(pos, 1), (half, -2)], 1, name="partner")
    commit = p.seq_max(mask, where=in_mem, default=0, name="commit")
    advance = p.not_(commit, name="advance")
    s = fetch_slot(p, partner, pos, prog, w, True, "cur", extra=("t", "pid"))
    running = p.compare(s.pc, "<", end, name="running")
    proc_mask = p.and_(mask, p.not_(in_mem, name="in_procs"), name="proc_mask")
    dec = decode_step(p, s, prog, S, True, w, ref.context)
    val = token(p, "val")
    loaded = p.rightmost_match(dec.load_addr, pos, val, where=in_mem, name="loaded")
    ex = execute_step(p, s, dec, loaded, prog, P, n, w)
    writer = p.and_(proc_mask, running, name="writer")
    written = p.rightmost_match(pos, dec.store_key, 1, where=writer, key_sq=dec.store_key_sq,
                                name="written")
    # commit: the freshest writer of each masked cell, highest processor id (rightmost) wins
    t_tok = token(p, "t")
    tmax = p.seq_max(t_tok, where=kind, default=0, name="tmax")
    fresh = p.and_(kind, p.compare(t_tok, "==", tmax, name="is_fresh"), name="fresh")
    committed = p.rightmost_match(pos, token(p, "waddr"), token(p, "wval"), where=fresh,
                                  name="committed")
    own_running = p.and_(kind, p.compare(token(p, "pc"), "<", end, name="own_pc_ok"),
                         name="own_running")
    adv_remask = p.or_(p.and_(proc_mask, p.not_(running, name="stopped"), name="idle_half"),
                       p.and_(p.not_(mask, name="decoded"), own_running, name="old_half"),
                       p.and_(in_mem, written, name="cell_written"), name="adv_remask")
    remask = p.or_(p.and_(advance, adv_remask, name="remask_adv"),
                   p.and_(commit, proc_mask, name="remask_commit"), name="remask")
    fill_slot = p.and_(advance, writer, name="fill_slot")
    t_new = p.linear([(s.extra["t"], 1)], 1, name="new_t")
    p.output_fields(p.not_(in_mem, name="out.kind"), committed, t_new, s.pid, ex.pc, ex.halted,
                    ex.waddr, ex.wval, *ex.regs, p.and_(fill_slot, dec.fault, name="fault"))
    p.output_controls(remask=remask)
    return p


@dataclass(frozen=True)
class CompiledPramAPMDM:
    """The Theorem-4 construction with the compiled transformer as its next-step function."""

    reference: PramToAPMDM
    time_bound: int
    word_bits: int
    compiled: CompiledProgram = field(repr=False, compare=False)

    @property
    def context(self) -> int:
        return self.reference.context

    @property
    def codec(self) -> SlotCodec:
        return codec_for(self.reference, self.time_bound, self.word_bits)

    def next_step_function(self) -> NextStep:
        return self.compiled.generation_step()

    def process(self) -> GenerationProcess:
        return GenerationProcess(Model.APMDM, self.compiled.generation_step(), name=CONSTRUCTION)

    def initial_canvas(self, inputs: Sequence[int]) -> Canvas:
        canvas = self.reference.initial_canvas(inputs)
        self.codec.check_canvas(canvas)
        return canvas

    def limits(self, resources: Resources | None = None) -> Limits:
        """The reference construction's limits (for the compiled time bound by default)."""
        return self.reference.limits(resources or Resources(self.time_bound, 0))

    def bound(self, resources: Resources) -> Bound:
        return self.reference.bound(resources)

    def decode(self, final: Canvas) -> tuple[int, ...]:
        self.codec.check_canvas(final)
        return self.reference.decode(final)

    def parameters(self) -> dict:
        return {**self.reference.parameters(), "time_bound": self.time_bound,
                "word_bits": self.word_bits, **self.compiled.stats}


def codec_for(ref: PramToAPMDM, time_bound: int, word_bits: int) -> SlotCodec:
    return SlotCodec(ref.program.num_registers, word_bits, time_bound, ref.processors,
                     len(ref.program.instructions), ref.memory_size)


def compile_apmdm_efasp(program: PramProgram, n: int, memory_size: int, time_bound: int,
                        variant: Variant = Variant.CRCW_PRIORITY,
                        word_bits: int | None = None) -> CompiledPramAPMDM:
    """Compile ``program`` (inputs of length ``n``, memory ``0 .. memory_size - 1``, at most
    ``time_bound`` PRAM steps: the range of the slot field ``t``) into the Theorem-4 AP-MDM
    whose next-step function is a compiled transformer."""
    check_supported(program, variant)
    ref = PramToAPMDM(program, n, memory_size, variant)
    w = word_bits if word_bits is not None else default_word_bits(ref.context)
    codec = codec_for(ref, time_bound, w)
    model = compile_program(apmdm_step_program(ref, codec), ref.context)
    return CompiledPramAPMDM(ref, time_bound, w, model)

"""Theorem 1 as a real transformer: the PRAM -> MDM next-step function in E-FASP, compiled.

Same canvas layout, tokens and schedule as :mod:`constructions.pram.mdm` (the reference):
``x_0 .. x_{n-1} | block 1: P slots | ... | block T: P slots``. The E-FASP program computes,
at every position ``j`` (all features are functions of the canvas only):

1. *layout* (position encoding): ``blk = floor((j - n) / P) + 1`` and ``p = (j - n) mod P``
   (``pos_div`` / ``pos_mod`` features; inputs have ``blk <= 0``);
2. *current block*: ``cur = seq_min(blk, where is_mask)`` (the first all-mask block);
3. *previous state*: one attention head fetches the slot at position
   ``n + (cur - 2) P + p`` (slot p of block cur-1; for ``cur = 1`` an input or nothing, whose
   slot fields are 0: the implicit initial state) -- every register, its bits and the pc;
4. *all halted*: ``seq_min(prev.halted, where blk == cur)``; the positions filled this step
   are the masks of block cur, or every mask once all processors halted;
5. *decode and addresses* (local): see :mod:`constructions.pram.compiled.common`;
6. *memory read* (aggregation): the latest write to the load address: a rightmost exact match
   keyed by the token field ``waddr`` over the slots of the filled blocks (a slot further right
   is later, or in the same block has a higher processor id: Priority-CRCW), else the input
   at that address (a match keyed by position), else 0. Both keys are token or position
   features, so ``key^2`` comes from the embedding (``field_sq``, ``pos_sq``): no domain-wide
   lookup, width independent of n;
7. *execute* (local) and the readouts: the new slot's fields, remask = "mask not filled".

Depth is a constant (the chain above); width is ``O(|program| + w)`` with the word size
``w = O(log n)``. :class:`CompiledPramMDM` wraps the reference construction (layout,
canvas, decoding, limits) and replaces its ``next_step`` by the compiled transformer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from apmdm.constructions.efasp import CompiledProgram, compile_program
from apmdm.constructions.efasp.lang import Feature, Program
from apmdm.constructions.interface import Bound
from apmdm.constructions.pram.compiled.common import (
    SlotCodec,
    check_supported,
    decode_step,
    default_word_bits,
    execute_step,
    fetch_slot,
)
from apmdm.constructions.pram.mdm import PramToMDM
from apmdm.machines.pram import Program as PramProgram
from apmdm.machines.pram import Variant
from apmdm.machines.process import GenerationProcess, Limits, Model, NextStep
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import Canvas

CONSTRUCTION = "thm1-mdm"


def mdm_step_program(ref: PramToMDM, codec: SlotCodec) -> Program:
    """The E-FASP program of the Theorem-1 next-step function for ``ref``'s sizes."""
    prog, n, P, w = ref.program, ref.n, ref.processors, codec.word_bits
    T, out0 = ref.time_bound, ref.output_start
    out_start, _ = prog.output_region(n)
    p = Program(f"thm1-mdm:{prog.name}:n{n}", codec.fields(), codec.encode, codec.decode,
                description=f"Theorem 1 next step for {prog.name} (n={n}, P={P}, "
                            f"T={T}, w={w})",
                encode_rows=codec.encode_rows, decode_rows=codec.decode_rows)
    pos = p.position("pos")
    blk = p.linear([(p.position_div(P, n, name="blk0"), 1)], 1, name="blk")
    slot_p = p.position_mod(P, n, name="slot_p")
    mask = p.is_mask("mask")
    kind = p.token_field("kind", name="tok.kind")
    is_out = p.compare(pos, ">=", out0, name="is_out")
    is_slot = p.not_(is_out, name="is_slot")
    cur = p.seq_min(blk, where=mask, default=T + 1, name="cur")
    prev_pos = p.linear([(cur, P), (slot_p, 1)], n - 2 * P, name="prev_pos")
    s = fetch_slot(p, prev_pos, pos, prog, w, False, "prev")
    s.pid = slot_p
    prev_halted = p.compare(s.pc, ">=", len(prog.instructions), name="prev_halted")
    in_cur = p.and_(p.compare(blk, "==", cur, name="blk_is_cur"), is_slot, name="in_cur")
    # The PRAM has ended iff every processor of block cur-1 halted: seen through the slots of
    # block cur (their fetched predecessors) while a slot block is masked (cur <= T); when
    # only the output block is left (cur = T + 1, no slot of block cur) straight from the
    # halted fields of block T (0 while block T is masked, i.e. whenever cur <= T).
    halted_before = p.seq_min(prev_halted, where=in_cur, default=0, name="halted_before")
    halted_last = p.seq_min(p.token_field("halted", name="tok.halted"),
                            where=p.compare(blk, "==", T, name="in_last"), default=0,
                            name="halted_last")
    all_halted = p.or_(halted_before, halted_last, name="all_halted")
    fill = p.and_(mask, p.or_(in_cur, all_halted, name="fill_block"), name="fill")
    dec = decode_step(p, s, prog, codec.address_bound, False, w, ref.context)
    waddr, wval = p.token_field("waddr", name="tok.waddr"), p.token_field("wval", name="tok.wval")
    val = p.token_field("val", name="tok.val")
    is_input = p.compare(pos, "<", n, name="is_input")

    def read_memory(query: Feature, prefix: str, name: str) -> Feature:
        """Memory cell ``query``: the latest write record, else the input cell, else 0."""
        written = p.rightmost_match(query, waddr, wval, where=kind, name=f"{prefix}.slot")
        found = p.rightmost_match(query, waddr, 1, where=kind, name=f"{prefix}.found")
        initial = p.rightmost_match(query, pos, val, where=is_input, name=f"{prefix}.input")
        return p.select(found, written, initial, name=name)

    loaded = read_memory(dec.load_addr, "mem", "loaded")
    # copy-out: output position out0 + q reads cell out_start + q, the same lookup as a load
    # (its query is a position feature, so these heads run beside the first layers)
    copied = read_memory(p.linear([(pos, 1)], out_start - out0, name="out_addr"), "out",
                         "copied")
    ex = execute_step(p, s, dec, loaded, prog, P, n, w)
    fault = p.and_(fill, is_slot, dec.fault, name="fault")
    p.output_fields(is_slot, copied, blk, slot_p, ex.pc, ex.halted, ex.waddr, ex.wval,
                    *ex.regs, fault)
    p.output_controls(remask=p.and_(mask, p.not_(fill, name="not_fill"), name="keep"))
    return p


@dataclass(frozen=True)
class CompiledPramMDM:
    """The Theorem-1 construction with the compiled transformer as its next-step function."""

    reference: PramToMDM
    word_bits: int
    address_bound: int
    compiled: CompiledProgram = field(repr=False, compare=False)

    @property
    def context(self) -> int:
        return self.reference.context

    def next_step_function(self) -> NextStep:
        return self.compiled.generation_step()

    def process(self) -> GenerationProcess:
        return GenerationProcess(Model.MDM, self.compiled.generation_step(), name=CONSTRUCTION)

    def initial_canvas(self, inputs: Sequence[int]) -> Canvas:
        canvas = self.reference.initial_canvas(inputs)
        self.codec.check_canvas(canvas)
        return canvas

    def limits(self, resources: Resources | None = None) -> Limits:
        return self.reference.limits(resources)

    def bound(self, resources: Resources) -> Bound:
        return self.reference.bound(resources)

    def decode(self, final: Canvas) -> tuple[int, ...]:
        self.codec.check_canvas(final)
        return self.reference.decode(final)

    @property
    def codec(self) -> SlotCodec:
        return codec_for(self.reference, self.word_bits, self.address_bound)

    def parameters(self) -> dict:
        return {**self.reference.parameters(), "word_bits": self.word_bits,
                "address_bound": self.address_bound, **self.compiled.stats}


def codec_for(ref: PramToMDM, word_bits: int, address_bound: int) -> SlotCodec:
    """The slot codec of the Theorem-1 layout. ``t`` ranges over 0..T+1: the output block is
    the (T+1)-th block, and the transformer writes its block index into ``t`` there too (the
    int token it fills ignores the field on decode, but the field must stay in the declared
    domain: the serial PRAM of Theorem 2 re-embeds the fields it holds)."""
    return SlotCodec(ref.program.num_registers, word_bits, ref.time_bound + 1, ref.processors,
                     len(ref.program.instructions), address_bound)


def compile_mdm_efasp(program: PramProgram, n: int, time_bound: int,
                      variant: Variant = Variant.CRCW_PRIORITY, memory_bound: int | None = None,
                      word_bits: int | None = None) -> CompiledPramMDM:
    """Compile ``program`` (inputs of length ``n``, ``time_bound`` PRAM steps) into the
    Theorem-1 MDM whose next-step function is a compiled transformer.

    ``memory_bound``: addresses are compiled for ``0 .. memory_bound - 1`` (pass the program's
    S(n); default: the context ``n + P*T``); an access outside raises ConstructionError when
    the slot is decoded. ``word_bits``: default :func:`default_word_bits` of the context."""
    check_supported(program, variant)
    ref = PramToMDM(program, n, time_bound, variant)
    bound = memory_bound if memory_bound is not None else ref.context
    w = word_bits if word_bits is not None else default_word_bits(ref.context)
    codec = codec_for(ref, w, max(bound, 1))
    model = compile_program(mdm_step_program(ref, codec), ref.context)
    return CompiledPramMDM(ref, w, max(bound, 1), model)


"""The codec's batch forms against the per-token codec (differential tests).

``TokenCodec.encode_rows`` / ``decode_rows`` are fast paths of the compiled step (the PRAM slot
codec of Theorem 4 gives them, :class:`SlotCodec`). Here they are compared with the per-token
``encode`` / ``decode``, which stay the reference:

* encode: random canvases of valid and invalid tokens (bools, floats, strings, numpy ints,
  ints beyond int64, tuple subclasses, wrong lengths, values outside the word or a field's
  domain): the same array, or the same typed error with the same message; through the full
  and the incremental encode;
* decode: random field arrays (int and slot kinds, other kinds, fault bits): the same tokens
  of the same types, or the same error;
* a whole compiled Theorem-4 run gives the same canvases with and without the batch forms;
* a deliberately broken batch encode is caught by the comparison.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from apmdm.constructions.pram.compiled.apmdm import compile_apmdm_efasp
from apmdm.constructions.pram.compiled.common import SlotCodec
from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
from apmdm.constructions.pram.slot import HEADER
from apmdm.machines.errors import ApmdmError
from apmdm.machines.pram import PRAM
from apmdm.machines.pram.library import LIBRARY
from apmdm.machines.process import GenerationProcess, Model
from apmdm.machines.tokens import MASK
from apmdm.machines.transformer.embedding import IncrementalEncoder, TokenCodec
from apmdm.machines.transformer.model import CompiledTransformer, transformer_generation_step

SLOTS = SlotCodec(registers=2, word_bits=12, max_t=50, processors=4, pc_end=10,
                  address_bound=64)
WIDTH = HEADER + SLOTS.registers
WORD = 1 << SLOTS.word_bits


class SubTuple(tuple):
    """A tuple subclass: the batch declines it, the per-token codec decides."""


def codecs(slots: SlotCodec = SLOTS) -> tuple[TokenCodec, TokenCodec]:
    """(per-token codec, the same codec with the batch forms)."""
    f = slots.fields()
    plain = TokenCodec(tuple(x[0] for x in f), tuple((x[1], x[2]) for x in f), slots.encode,
                       slots.decode)
    return plain, dataclasses.replace(plain, encode_rows=slots.encode_rows,
                                      decode_rows=slots.decode_rows)


odd_scalars = st.sampled_from([True, False, 1.5, "x", np.int64(3), 2 ** 70, -(2 ** 70)])
words = st.integers(-WORD - 2, WORD + 1)
fields = st.one_of(words, st.integers(-3, 70), odd_scalars)


@st.composite
def slot_tokens(draw):
    if draw(st.integers(0, 4)):       # mostly in-domain slots
        vals = [draw(st.integers(0, 50)), draw(st.integers(0, 3)), draw(st.integers(0, 10)),
                draw(st.integers(0, 1)), draw(st.integers(-1, 63))] + [
            draw(st.integers(-WORD, WORD - 1)) for _ in range(WIDTH - 5)]
        if draw(st.integers(0, 3)) == 0:      # one field perturbed (domain, type)
            vals[draw(st.integers(0, WIDTH - 1))] = draw(fields)
    else:
        vals = draw(st.lists(fields, min_size=WIDTH - 1, max_size=WIDTH + 1))
    return SubTuple(vals) if draw(st.integers(0, 15)) == 0 else tuple(vals)


canvas_tokens = st.one_of(st.just(MASK), st.integers(-WORD, WORD - 1), words, odd_scalars,
                          slot_tokens(), slot_tokens())


def outcome(call):
    try:
        return call()
    except ApmdmError as exc:
        return type(exc).__name__, str(exc)


def same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and np.array_equal(a, b)
    return a == b


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(canvas_tokens, max_size=10))
def test_batch_encode_equals_per_token(canvas):
    plain, batch = codecs()
    want = outcome(lambda: plain.encode_canvas(canvas))
    assert same(outcome(lambda: batch.encode_canvas(canvas)), want)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.lists(st.lists(canvas_tokens, min_size=6, max_size=6), min_size=1, max_size=5),
       st.randoms())
def test_incremental_batch_encode_equals_full(canvases, rnd):
    plain, batch = codecs()
    enc = IncrementalEncoder(batch)
    prev: list = []
    for c in canvases:
        c = [prev[i] if prev and rnd.random() < 0.5 else t for i, t in enumerate(c)]
        want = outcome(lambda c=c: plain.encode_canvas(c))
        assert same(outcome(lambda c=c: enc.encode(tuple(c))), want)
        prev = c


@st.composite
def field_arrays(draw):
    k = draw(st.integers(0, 8))
    rows = []
    for _ in range(k):
        row = [draw(st.sampled_from([0, 1, 1, 2])), draw(words)] + [
            draw(st.integers(-WORD, WORD)) for _ in range(WIDTH)] + [
            int(draw(st.integers(0, 9)) == 0)]
        rows.append(row)
    return np.array(rows, dtype=np.int64).reshape(k, WIDTH + 3)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(field_arrays())
def test_batch_decode_equals_per_row(values):
    def per_row():
        return [SLOTS.decode(tuple(row)) for row in values.tolist()]
    want = outcome(per_row)
    got = SLOTS.decode_rows(values)
    if isinstance(want, tuple) and isinstance(want[0], str):   # an error: the batch declines
        assert got is None
        return
    assert got == want
    assert [type(t) for t in got] == [type(t) for t in want]
    assert all(type(f) is int for t in got if type(t) is tuple for f in t)


def test_compiled_theorem4_run_is_the_same_with_and_without_batches():
    lib = LIBRARY["prefix-sum"]
    b = lib.bounds.at(8)
    con = compile_apmdm_efasp(lib.program, 8, b.memory, b.time, lib.variant)
    model = con.compiled.transformer
    assert model.codec.encode_rows is not None and model.codec.decode_rows is not None
    plain = CompiledTransformer(model.spec, dataclasses.replace(
        model.codec, encode_rows=None, decode_rows=None), model.name, model.info)
    start = con.initial_canvas(lib.make_input(8, random.Random(5)))
    runs = [list(GenerationProcess(Model.APMDM, transformer_generation_step(m)).run_stepwise(
        start, con.limits())) for m in (model, plain)]
    assert [r.after for r in runs[0]] == [r.after for r in runs[1]]
    assert [r.output for r in runs[0]] == [r.output for r in runs[1]]
    assert con.decode(runs[0][-1].after) == PRAM(lib.program, lib.variant).run(
        lib.make_input(8, random.Random(5))).output


def test_compiled_theorem1_run_is_the_same_with_and_without_batches():
    lib = LIBRARY["prefix-sum"]
    b = lib.bounds.at(4)
    con = compile_mdm_efasp(lib.program, 4, b.time, lib.variant)
    model = con.compiled.transformer
    assert model.codec.encode_rows is not None and model.codec.decode_rows is not None
    plain = CompiledTransformer(model.spec, dataclasses.replace(
        model.codec, encode_rows=None, decode_rows=None), model.name, model.info)
    inputs = lib.make_input(4, random.Random(3))
    start = con.initial_canvas(inputs)
    runs = [list(GenerationProcess(Model.MDM, transformer_generation_step(m)).run_stepwise(
        start, con.limits())) for m in (model, plain)]
    assert [r.after for r in runs[0]] == [r.after for r in runs[1]]
    assert [r.output for r in runs[0]] == [r.output for r in runs[1]]
    assert con.decode(runs[0][-1].after) == PRAM(lib.program, lib.variant).run(inputs).output


def test_the_comparison_catches_a_broken_batch_encode():
    """Guard against a test that cannot fail: a batch that drops the last register."""
    plain, batch = codecs()

    def broken(tokens):
        out = SLOTS.encode_rows(tokens)
        if out is not None:
            out[:, 2 + WIDTH - 1] = 0
        return out
    bad = dataclasses.replace(batch, encode_rows=broken)
    canvas = [(1, 0, 2, 0, -1, 0, 5, 7), MASK, 3]
    assert same(batch.encode_canvas(canvas), plain.encode_canvas(canvas))
    assert not same(bad.encode_canvas(canvas), plain.encode_canvas(canvas))


@pytest.mark.parametrize("token", [(1, 0, 2, 0, -1, 0, 5, True), True, 2 ** 70,
                                   (1, 0, 2, 0, -1, 0, 5, 2 ** 70),
                                   SubTuple((1, 0, 2, 0, -1, 0, 5, 7)), (1, 2, 3)])
def test_batch_declines_what_it_cannot_vouch_for(token):
    assert SLOTS.encode_rows([3, token]) is None


def test_out_of_word_values_fail_the_domain_check_with_the_per_token_error():
    plain, batch = codecs()
    for token in ((1, 0, 2, 0, -1, 0, 5, WORD), -WORD - 1):
        assert SLOTS.encode_rows([token]) is not None
        want = outcome(lambda t=token: plain.encode_canvas([t]))
        assert want[0] == "WordSizeExceeded"
        assert outcome(lambda t=token: batch.encode_canvas([t])) == want

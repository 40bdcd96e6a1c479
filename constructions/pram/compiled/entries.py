"""Builders of the compiled Theorem-1 / Theorem-4 transformers for `apmdm explain` and
`apmdm export-weights` (listed in the catalogue as ``thm1-mdm`` and ``thm4-apmdm``).

``--program`` names a PRAM library program the compiled path supports (any program not
run under CRCW-arbitrary), ``--n`` its size parameter; the construction is compiled with the
library's declared bounds T(n) and S(n) and the default word size ``w(n)``
(:func:`constructions.pram.compiled.common.default_word_bits`).
"""

from __future__ import annotations

from apmdm.constructions.pram.compiled.common import compiles
from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.transformer import CompiledTransformer


def supported_library() -> tuple[str, ...]:
    from apmdm.machines.pram.library import LIBRARY
    return tuple(name for name, lib in sorted(LIBRARY.items())
                 if compiles(lib.program, lib.variant))


def _library(program: str | None, n: int):
    from apmdm.machines.pram.library import get_program
    lib = get_program(program)
    if n not in lib.sizes:
        raise InvalidArgumentError(f"{program}: --n {n} not among its sizes "
                                   f"({', '.join(map(str, lib.sizes))})")
    return lib, lib.bounds.at(n), lib.input_length(n)


def _wrap(compiled, extra: dict) -> CompiledTransformer:
    base = compiled.transformer
    return CompiledTransformer(base.spec, base.codec, base.name,
                               {"compiled_program": compiled, "stats": dict(compiled.stats),
                                **extra})


def build_thm1(program: str | None, n: int) -> CompiledTransformer:
    from apmdm.constructions.pram.compiled.mdm import compile_mdm_efasp
    lib, b, length = _library(program, n)
    con = compile_mdm_efasp(lib.program, length, b.time, lib.variant, max(b.memory, 1))
    return _wrap(con.compiled, con.parameters())


def build_thm4(program: str | None, n: int) -> CompiledTransformer:
    from apmdm.constructions.pram.compiled.apmdm import compile_apmdm_efasp
    lib, b, length = _library(program, n)
    con = compile_apmdm_efasp(lib.program, length, max(b.memory, length, 1), b.time,
                              lib.variant)
    return _wrap(con.compiled, con.parameters())

"""The PRAM program library: real parallel algorithms with declared T(n), P(n), S(n).

``LIBRARY`` maps a name to a :class:`LibraryProgram` (program, weakest legal variant,
declared bounds from :mod:`theory.pram_bounds`, random input generator, independent oracle,
allowed sizes). ``get_program(name)`` looks one up; ``check_bounds`` holds a run's counters
against the declared bounds. Conventions and figures: ``docs/pram-programs.md``.
"""

from __future__ import annotations

from math import isqrt

from apmdm.machines.errors import InvalidArgumentError
from apmdm.machines.pram.interpreter import Variant
from apmdm.machines.pram.isa import Op
from apmdm.machines.pram.library import basic, dyck, graphs, lists, matrix, sorting
from apmdm.machines.pram.library.spec import BoundCheck, LibraryProgram, check_bounds
from apmdm.theory.pram_bounds import BOUNDS

__all__ = ["LIBRARY", "LibraryProgram", "BoundCheck", "check_bounds", "get_program"]

# Size sweeps: small sizes of every residue, powers of two and their neighbours, up to 256
# (matrix dimensions up to 32: 32 768 processors).
LINEAR_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 31, 32, 33, 63, 64, 65, 100, 127,
                128, 129, 200, 255, 256)
MATRIX_SIZES = (1, 2, 3, 4, 5, 6, 7, 8, 12, 16, 32)


def _same(n: int) -> int:
    return n


def _entry(name: str, program, variant: Variant, description: str, make_input, oracle,
           sizes=LINEAR_SIZES, input_length=_same, size_of=_same,
           size_meaning: str = "input length") -> LibraryProgram:
    return LibraryProgram(name, program, variant, description, BOUNDS[name], input_length,
                          size_of, make_input, oracle, tuple(sizes), size_meaning)


def _matrix_size_of(length: int) -> int:
    """The dimension d of an input of length 2d² + 1 (exact integer square root)."""
    d = isqrt(max(length - 1, 0) // 2)
    if length < 3 or 2 * d * d + 1 != length:
        raise InvalidArgumentError(f"a matrix-product input has length 2d²+1, got {length}")
    return d


def _graph_size_of(length: int) -> int:
    if length < 2 or length % 2:
        raise InvalidArgumentError(f"a graph input has even length 2n >= 2, got {length}")
    return length // 2


_ENTRIES = (
    _entry("prefix-sum", basic.build_prefix_sum(), Variant.EREW,
           "inclusive prefix sums in place (Hillis–Steele scan)",
           basic.random_values, basic.oracle_prefix_sum),
    _entry("sum", basic.build_reduction("sum", Op.ADD), Variant.EREW,
           "sum of n integers by a balanced tree reduction",
           basic.random_values, basic.oracle_sum),
    _entry("parity", basic.build_reduction("parity", Op.XOR), Variant.EREW,
           "XOR (parity) of n bits by a balanced tree reduction",
           basic.random_bits, basic.oracle_parity),
    _entry("seq-sum", basic.build_seq_sum(), Variant.EREW,
           "sequential sum, one processor (contrast)", basic.random_values, basic.oracle_sum),
    _entry("list-rank", lists.build_list_rank(), Variant.CREW,
           "list ranking by pointer jumping (Wyllie)", lists.random_list,
           lists.oracle_list_rank),
    _entry("connected-components", graphs.build_connected_components(), Variant.CRCW_PRIORITY,
           "connected components (Awerbuch–Shiloach hooking + pointer jumping), min-id labels",
           graphs.random_graph, graphs.oracle_components, input_length=lambda n: 2 * n,
           size_of=_graph_size_of, size_meaning="number of vertices (n edge slots)"),
    _entry("bitonic-sort", sorting.build_bitonic_sort(), Variant.EREW,
           "bitonic sorting network, any n", sorting.random_keys, sorting.oracle_sorted),
    _entry("matmul-int", matrix.build_matmul_int(), Variant.CREW,
           "integer matrix product with d³ processors, tree-summed", matrix.random_int_matrices,
           matrix.oracle_matmul_int, sizes=MATRIX_SIZES, input_length=lambda d: 2 * d * d + 1,
           size_of=_matrix_size_of, size_meaning="matrix dimension d"),
    _entry("matmul-bool", matrix.build_matmul_bool(), Variant.CRCW_COMMON,
           "Boolean matrix product with d³ processors, common concurrent writes",
           matrix.random_bool_matrices, matrix.oracle_matmul_bool, sizes=MATRIX_SIZES,
           input_length=lambda d: 2 * d * d + 1, size_of=_matrix_size_of,
           size_meaning="matrix dimension d"),
    _entry("dyck1", dyck.build_dyck1(), Variant.EREW,
           "Dyck-1 recognition: prefix sums and a min-reduction", dyck.random_dyck1,
           dyck.oracle_dyck),
    _entry("dyck-k", dyck.build_dyck_k(), Variant.EREW,
           "Dyck-k recognition: levels by prefix sums, match by sorting (level, position)",
           dyck.random_dyck_k, dyck.oracle_dyck),
    _entry("seq-dyck", dyck.build_seq_dyck(), Variant.EREW,
           "sequential Dyck-k stack check, one processor (contrast)", dyck.random_dyck_k,
           dyck.oracle_dyck),
)

LIBRARY: dict[str, LibraryProgram] = {e.name: e for e in _ENTRIES}


def get_program(name: str) -> LibraryProgram:
    """The library program called ``name``; InvalidArgumentError lists the known names."""
    if not isinstance(name, str) or name not in LIBRARY:
        raise InvalidArgumentError(f"unknown library program {name!r} "
                                   f"(known: {', '.join(sorted(LIBRARY))})")
    return LIBRARY[name]

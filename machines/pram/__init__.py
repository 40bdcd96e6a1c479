"""The PRAM: instruction set, programs, size expressions and the interpreter."""

from apmdm.machines.pram.expr import SizeExpr, clog2, parse_size_expr
from apmdm.machines.pram.interpreter import (
    PRAM,
    Access,
    PRAMCounters,
    PRAMLimits,
    PRAMResult,
    PRAMStep,
    Variant,
    alu,
)
from apmdm.machines.pram.isa import BINARY_OPS, OPERANDS, Instr, Op, Program, ProgramBuilder

__all__ = [
    "PRAM", "Access", "PRAMCounters", "PRAMLimits", "PRAMResult", "PRAMStep", "Variant", "alu",
    "SizeExpr", "clog2", "parse_size_expr", "BINARY_OPS", "OPERANDS", "Instr", "Op", "Program",
    "ProgramBuilder",
]

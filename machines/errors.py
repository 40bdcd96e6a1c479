"""The toolkit's exceptions: one base class, one subclass per failure kind.

Every error the toolkit raises on bad input or a broken construction derives from
:class:`ApmdmError`, so the CLI can turn it into a one-line message and a non-zero exit
status. Each error names where the problem is (line/column, step/processor/address,
step/position) in its message.
"""

from __future__ import annotations


class ApmdmError(Exception):
    """Base class of every error the toolkit raises on purpose."""


# --- input and specification errors -------------------------------------------------------


class InvalidArgumentError(ApmdmError):
    """A function or CLI argument is out of its documented domain."""


class InvalidProgramError(ApmdmError):
    """A PRAM program (instruction list) is malformed."""


class AssemblyError(InvalidProgramError):
    """PRAM assembly text does not parse; carries the 1-based line and column."""

    def __init__(self, message: str, line: int, column: int, source: str = "<assembly>"):
        self.line = line
        self.column = column
        self.source = source
        super().__init__(f"{source}:{line}:{column}: {message}")


class OutputPathError(InvalidArgumentError):
    """An output path equals an input path or another output, or cannot be written."""


class InvalidMachineError(ApmdmError):
    """A Turing machine definition is malformed."""


class MalformedMachineFileError(InvalidMachineError):
    """A Turing-machine JSON file is malformed; names the file and the JSON path."""


class MalformedInstanceFileError(InvalidArgumentError):
    """A user's instance file (PRAM inputs, words, Sudoku puzzles, graph edge list) is
    malformed; names the file and the line."""


class InvalidEFASPProgramError(ApmdmError):
    """An E-FASP program is malformed (unknown feature, bad domain, cycle, ...)."""


class MalformedModelFileError(ApmdmError):
    """An exported transformer file (npz + JSON layout) is malformed; names file and part."""


class MalformedTraceError(ApmdmError):
    """A trace or transitions file is malformed or truncated; names file and line."""

    def __init__(self, message: str, path: str = "<trace>", line: int | None = None):
        self.path = path
        self.line = line
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")


# --- run-time errors -----------------------------------------------------------------------


class StepLimitExceeded(ApmdmError):
    """A run hit its step limit without halting."""


class SizeLimitExceeded(ApmdmError):
    """A run exceeded a size limit (context length, memory span, tape, value range)."""


class WorkLimitExceeded(SizeLimitExceeded):
    """A run exceeded its work limit (processor-steps or positions processed)."""


class TimeLimitExceeded(ApmdmError):
    """A command ran longer than its ``--timeout``."""


class PRAMRuntimeError(ApmdmError):
    """A PRAM program failed at run time (negative address, division by zero, overflow)."""


class AccessConflictError(PRAMRuntimeError):
    """A memory access broke the PRAM variant's access rule.

    Names the step, processor, instruction index and address of the offending access.
    """

    def __init__(
        self,
        variant: str,
        kind: str,
        step: int,
        processor: int,
        instruction: int,
        address: int,
        detail: str = "",
    ):
        self.variant = variant
        self.kind = kind
        self.step = step
        self.processor = processor
        self.instruction = instruction
        self.address = address
        msg = (
            f"{variant}: {kind} at step {step}, processor {processor}, "
            f"instruction {instruction}, address {address}"
        )
        super().__init__(msg + (f" ({detail})" if detail else ""))


class ConcurrentReadError(AccessConflictError):
    """Two processors read one address in one step under an exclusive-read variant."""


class ConcurrentWriteError(AccessConflictError):
    """Two processors wrote one address in one step under an exclusive-write variant."""


class CommonWriteConflictError(AccessConflictError):
    """CRCW-common: processors wrote different values to one address in one step."""


class RestrictionViolation(ApmdmError):
    """A next-step function's output breaks its model's rule; names step and position."""

    def __init__(self, model: str, step: int, position: int | None, detail: str):
        self.model = model
        self.step = step
        self.position = position
        where = f"step {step}" + (f", position {position}" if position is not None else "")
        super().__init__(f"{model}: {detail} at {where}")


class PrecisionError(ApmdmError):
    """A transformer value left the exactly representable range."""


class CompiledModelMismatch(ApmdmError):
    """The compiled transformer disagreed with the reference next-step function."""


class ConstructionError(ApmdmError):
    """A construction cannot be built for the given program or instance."""


class MalformedResultsError(ApmdmError):
    """A sweep results or journal file is not in the documented format; names file and line."""


class MissingExtraError(ApmdmError):
    """An optional dependency is not installed; names the extra that provides it."""


class CheckerUnavailableError(ApmdmError):
    """A checker, or a module it needs, cannot be imported: an error, never fewer checks."""


class WordSizeExceeded(ConstructionError):
    """A value needs more bits than the word size a compiled construction was built with for
    its n (the weights depend on n and the declared bounds only, never on the instance)."""

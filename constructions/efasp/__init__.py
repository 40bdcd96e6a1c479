"""E-FASP: per-position feature programs, their reference evaluator, and the compiler to
exact average-hard-attention transformers. See docs/transformer.md.

Typical use::

    from apmdm.constructions.efasp import Program, compile_program, evaluate
    p = Program("reverse", fields=(("tok", 0, 9),), encode=lambda t: (t,),
                decode=lambda f: f[0])
    ...
    model = compile_program(p, max_length=64)
    f = model.next_step()          # canvas -> StepOutput, computed by the transformer
"""

from apmdm.constructions.efasp.compiler import CompiledProgram, compile_program
from apmdm.constructions.efasp.evaluate import evaluate, reference_step
from apmdm.constructions.efasp.lang import Feature, Node, Program, Type
from apmdm.constructions.efasp.typecheck import check_program

__all__ = ["CompiledProgram", "Feature", "Node", "Program", "Type", "check_program",
           "compile_program", "evaluate", "reference_step"]

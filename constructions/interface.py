"""The one interface every construction implements.

A construction turns a reference machine (a PRAM program, a Turing machine, an AO-MDM) into a
generation process. Whatever it simulates, it answers the same five questions:

* ``initial_canvas(inputs)``: the canvas x0 the run starts from;
* ``process()``: the :class:`~apmdm.machines.process.GenerationProcess` (the model and its
  next-step function f, which sees only the canvas);
* ``limits(resources)``: the step and context limits of a run, from the reference run's
  :class:`~apmdm.machines.resources.Resources` (a schedule that overruns its bound is measured,
  not truncated: limits are looser than bounds);
* ``decode(final)``: the answer read from the final canvas, comparable with the reference
  machine's output;
* ``bound(resources)``: the theorem's bound on ``steps`` and ``context`` for this run, from
  :mod:`apmdm.theory` with its explicit constants.

:func:`apmdm.simulate` and the checkers use nothing else, so a user's own construction that
implements this protocol can be checked the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from apmdm.machines.process import GenerationProcess, Limits
from apmdm.machines.resources import Resources
from apmdm.machines.tokens import Canvas

Bound = dict[str, int]   # metric ("steps", "context") -> the bound's value


@runtime_checkable
class Construction(Protocol):
    def initial_canvas(self, inputs: Sequence[Any]) -> Canvas: ...

    def process(self) -> GenerationProcess: ...

    def limits(self, resources: Resources) -> Limits: ...

    def decode(self, final: Canvas) -> Any: ...

    def bound(self, resources: Resources) -> Bound: ...

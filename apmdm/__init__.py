"""apmdm: executable theorems of *On Powerful Ways to Generate* (arXiv 2510.06190).

The architecture is four subpackages, each a top-level folder of the repository:

* :mod:`apmdm.theory`: statements and bounds (sympy), importing nothing else of ours;
* :mod:`apmdm.machines`: PRAM, Turing machine, the generation processes and transition g,
  the exact transformer, traces;
* :mod:`apmdm.constructions`: compilers PRAM/TM -> ARM/MDM/AP-MDM, E-FASP, the paper's tasks;
* :mod:`apmdm.checks`: theorem checkers, the catalogue, the ``apmdm`` command line.

The facade (:func:`simulate`) is imported lazily so that ``apmdm --version`` stays fast.
"""

from __future__ import annotations

from apmdm._version import __version__

__all__ = ["__version__", "simulate", "Simulation"]


def __getattr__(name: str):
    if name in ("simulate", "Simulation"):
        from apmdm import facade
        return getattr(facade, name)
    raise AttributeError(f"module 'apmdm' has no attribute {name!r}")

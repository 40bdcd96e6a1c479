"""The paper's experimental tasks as hand-built AP-MDM generation processes.

* :mod:`constructions.tasks.parity`: parity by elimination (remask, then delete);
* :mod:`constructions.tasks.sudoku`: generalized Sudoku by a depth-first search kept in the
  canvas (puzzles, parsing and the generator in :mod:`constructions.tasks.sudoku_puzzles`);
* :mod:`constructions.tasks.mincut`: deleting a minimum s–t cut by Edmonds–Karp as edits.

Every process is ``GenerationProcess(Model.APMDM, f)`` with ``f`` a pure function of the
canvas; every step goes through the transition g.
"""

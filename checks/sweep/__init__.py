"""Growth sweeps: every construction's steps and context as a function of n.

* :mod:`.cells` — what one sweep cell is (construction, program, n, seed) and how it runs;
* :mod:`.plan` — which cells a sweep runs (the default sweep and its per-construction caps);
* :mod:`.results` — the versioned results document (JSON, CSV) and the append-only journal;
* :mod:`.runner` — running cells in-process or on a Dask cluster, in any order, results in
  plan order;
* :mod:`.growth` — log-log slopes and fitted constants held against each theorem's claim;
* :mod:`.plot` — the figures (matplotlib, the ``[plot]`` extra).

Format and commands: ``docs/sweep.md``.
"""

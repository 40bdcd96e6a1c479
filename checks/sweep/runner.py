"""Run a sweep's cells in-process or on a Dask cluster; results in plan order.

* ``workers == 1`` and no scheduler: every cell runs in this process, in plan order; Dask is not
  imported.
* ``workers >= 2``: a local ``dask.distributed`` cluster, one single-threaded worker process per
  worker, listening on loopback only, no dashboard.
* ``scheduler="tcp://HOST:PORT"``: an existing cluster (its workers need this apmdm installed and,
  for assembly-file programs, the same file path).

Cells run in any order on any worker; each finished cell is appended to the journal as it
arrives, so a killed sweep (or a killed worker) loses no finished cell. A worker that dies mid-
cell is replaced by the cluster's nanny and its cell is run again (Dask reschedules it; a cell
that kills ``ALLOWED_FAILURES`` workers in a row fails the sweep). The returned results are in
plan order, so the results document is byte-identical whatever the number of workers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from apmdm.checks.progress import Progress
from apmdm.checks.sweep.cells import Cell, CellResult, run_cell
from apmdm.checks.sweep.plan import SweepPlan
from apmdm.checks.sweep.results import Journal
from apmdm.machines.errors import InvalidArgumentError, MissingExtraError

CellFunction = Callable[[Cell], CellResult]
ALLOWED_FAILURES = 3
# [decision] Dask's statistical profiler samples every worker thread's stack every 10 ms and its
# event loop ticks every 20 ms; each takes the GIL from the cell's thread, and on the generation
# loop's deep Python stacks that cost 1.6x to 3x the cell time (measured on one cell, n=256
# MDM). The local cluster runs without the profiler and with slower housekeeping ticks. An
# existing cluster (--scheduler) keeps its own settings.
DASK_CONFIG = {"distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
               "distributed.worker.profile.enabled": False,
               "distributed.admin.tick.interval": "1s",
               "distributed.admin.system-monitor.interval": "5s",
               "distributed.worker.memory.monitor-interval": "1s"}


def run_plan(plan: SweepPlan, *, workers: int = 1, scheduler: str | None = None,
             journal: Journal | None = None, done: Mapping[Cell, CellResult] | None = None,
             progress: Progress | None = None,
             cell_fn: CellFunction = run_cell) -> list[CellResult]:
    """Run every cell of ``plan`` not already in ``done``; all results, in plan order."""
    if workers < 1:
        raise InvalidArgumentError(f"--workers {workers}: expected at least 1")
    finished: dict[Cell, CellResult] = {c: r for c, r in (done or {}).items()
                                        if c in set(plan.cells)}
    todo = [c for c in dict.fromkeys(plan.cells) if c not in finished]
    if progress is not None:
        for _ in finished:
            progress.advance("(resumed)")

    def arrived(cell: Cell, result: CellResult) -> None:
        finished[cell] = result
        if journal is not None:
            journal.append(cell, result)
        if progress is not None:
            progress.advance(f"{cell.construction} {cell.program} n={cell.n}")

    if todo and (scheduler is not None or workers > 1):
        _run_on_dask(todo, workers, scheduler, cell_fn, arrived)
    else:
        for cell in todo:
            if progress is not None:
                progress.current(f"{cell.construction} {cell.program} n={cell.n}")
            arrived(cell, cell_fn(cell))
    return [finished[c] for c in plan.cells]


def _import_distributed():
    try:
        import distributed
    except ImportError:
        raise MissingExtraError("--workers > 1 and --scheduler need dask.distributed: "
                                "pip install 'apmdm[cluster]'") from None
    return distributed


def local_cluster(workers: int):
    """A loopback-only local cluster: ``workers`` processes, one thread each, no dashboard."""
    distributed = _import_distributed()
    import warnings

    import dask
    with dask.config.set(DASK_CONFIG), warnings.catch_warnings():
        # the scheduler's health endpoint (loopback) moves off a busy port 8787 with a warning
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        return distributed.LocalCluster(host="127.0.0.1", processes=True, n_workers=workers,
                                        threads_per_worker=1, dashboard_address=None,
                                        silence_logs=50)


def _run_on_dask(todo: list[Cell], workers: int, scheduler: str | None, cell_fn: CellFunction,
                 arrived: Callable[[Cell, CellResult], None]) -> None:
    distributed = _import_distributed()
    import dask
    cluster = None
    with dask.config.set(DASK_CONFIG):
        try:
            if scheduler is not None:
                client = distributed.Client(scheduler, timeout="20s")
            else:
                cluster = local_cluster(workers)
                client = distributed.Client(cluster)
        except OSError as exc:
            raise InvalidArgumentError(f"cannot reach the Dask scheduler "
                                       f"{scheduler or '(local)'}: {exc}") from None
        try:
            futures = {client.submit(cell_fn, cell, key=f"apmdm-cell-{cell.key()}",
                                     pure=False): cell for cell in todo}
            for future in distributed.as_completed(list(futures)):
                cell = futures[future]
                try:
                    result = future.result()
                except distributed.KilledWorker:
                    raise InvalidArgumentError(f"cell {cell.key()} killed {ALLOWED_FAILURES} "
                                               "workers; finished cells are in the journal "
                                               "(--resume)") from None
                arrived(cell, result)
                future.release()
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

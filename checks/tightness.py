"""Bounds held from below: a loosened constant fails a check, not only a test that pins it.

A row is ok iff every measured metric is at most its bound. To notice a bound that has become
too generous (say ``steps <= 2T + 1`` where the layout gives ``T + 1``), a row also carries,
for a metric the layout makes tight, the metric ``"<name> slack"``: measured = bound −
measured value, bound = the documented tightness (the largest gap the layout allows, from
:mod:`apmdm.theory`). A loosened constant widens the gap past it and the row fails.
"""

from __future__ import annotations


def slack_name(metric: str) -> str:
    return f"{metric} slack"


def held_from_below(measured: dict[str, int], bound: dict[str, int],
                    allowed: dict[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """``(measured, bound)`` with a ``"<metric> slack"`` metric for each metric in
    ``allowed``: the gap ``bound - measured`` (clamped at 0: going over is the upper check's
    failure), held against ``allowed[metric]``."""
    m, b = dict(measured), dict(bound)
    for metric, gap in allowed.items():
        m[slack_name(metric)] = max(0, bound[metric] - measured[metric])
        b[slack_name(metric)] = gap
    return m, b

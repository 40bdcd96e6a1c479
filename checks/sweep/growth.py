"""Growth analysis: log-log slopes and fitted constants, held against each theorem's claim.

For every (construction, program) series of a sweep and every claim of that construction
(:data:`CLAIMS`), the analysis fits by least squares

* the slope of log(measured) against log(n) (what a reader sees on the figure), and
* the slope of log(measured) against log(resource), the resource the theorem names (T, P·T,
  n + P·T, S, space),

and reports the constant measured / resource at the largest n and its range over the series.

[paper] The theorems claim growth *at most linear* in their resource (O(T) steps, O(P·T) or
O(S) context). [decision] A claim is **contradicted** when the slope against the resource
exceeds 1 by more than :data:`SLOPE_TOLERANCE` over a series that spans at least a factor
:data:`MIN_SPAN` in the resource with at least :data:`MIN_POINTS` sizes; a series with a failed
cell (wrong output, or a measured value over its bound) also fails. Too short a series is
reported as "too few points", not as a pass.

What is not shown: a slope over a finite range is evidence, not a proof of an asymptotic
bound; lower-order terms (the +1 of T+1, the n of n+P·T) make small-n slopes smaller than the
asymptotic one, which is why the claim is one-sided (at most 1 + tolerance).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

SLOPE_TOLERANCE = 0.1
MIN_POINTS = 3
MIN_SPAN = 2.0

HOLDS, CONTRADICTED, FAILED_CELLS, TOO_FEW = "holds", "CONTRADICTED", "FAIL (cells)", "too few"


def _ref(key: str) -> Callable[[dict], int]:
    return lambda r: r["reference"][key]


RESOURCES: dict[str, Callable[[dict], int]] = {
    "T": _ref("T"),
    "P·T": lambda r: r["reference"]["P"] * r["reference"]["T"],
    "n + P·T_bound": lambda r: r["input_length"] + r["reference"]["P"]
    * r["compiled_with"]["T_bound"],
    "S": lambda r: r["compiled_with"]["S_bound"],
    "space": _ref("space"),
}


@dataclass(frozen=True)
class Claim:
    """``metric`` grows at most linearly in ``resource`` (slope <= 1 + tolerance)."""

    construction: str
    metric: str
    resource: str
    statement: str


CLAIMS: tuple[Claim, ...] = (
    Claim("pram-arm", "steps", "P·T", "ARM steps = P·T + L + 1 (pays the total work)"),
    Claim("pram-arm", "context", "P·T", "ARM context = n + P·T + L + 2"),
    Claim("pram-mdm", "steps", "T", "Thm 1: MDM steps O(T) (T + 1)"),
    Claim("pram-mdm", "context", "n + P·T_bound", "Thm 1: MDM context O(P·T) (n + P·T)"),
    Claim("pram-apmdm", "steps", "T", "Thm 4: AP-MDM steps O(T) (2T + 1)"),
    Claim("pram-apmdm", "context", "S", "Thm 4: AP-MDM context O(S) (S + 2P)"),
    Claim("pram-mdm-compiled", "steps", "T", "Thm 1 (compiled f): steps O(T)"),
    Claim("pram-mdm-compiled", "context", "n + P·T_bound", "Thm 1 (compiled f): context O(P·T)"),
    Claim("pram-apmdm-compiled", "steps", "T", "Thm 4 (compiled f): steps O(T)"),
    Claim("pram-apmdm-compiled", "context", "S", "Thm 4 (compiled f): context O(S)"),
    Claim("tm-arm", "steps", "T", "TM ARM steps = T + 1"),
    Claim("tm-arm", "context", "T", "TM ARM context = n + T + 2 (grows with time)"),
    Claim("tm-apmdm", "steps", "T", "TM AP-MDM steps O(T) (2T + 2)"),
    Claim("tm-apmdm", "context", "space", "TM AP-MDM context O(space) (n + space + 4)"),
)


@dataclass(frozen=True)
class GrowthRow:
    theorem: str
    construction: str
    program: str
    metric: str
    n_min: int
    n_max: int
    points: int
    slope_n: float | None
    resource: str
    slope_resource: float | None
    constant_last: float
    constant_min: float
    constant_max: float
    claim: str
    verdict: str

    def to_json(self) -> dict:
        return {"theorem": self.theorem, "construction": self.construction,
                "program": self.program, "metric": self.metric, "n_min": self.n_min,
                "n_max": self.n_max, "points": self.points,
                "slope_vs_n": _round(self.slope_n), "resource": self.resource,
                "slope_vs_resource": _round(self.slope_resource),
                "constant_at_max_n": _round(self.constant_last),
                "constant_min": _round(self.constant_min),
                "constant_max": _round(self.constant_max),
                "claim": self.claim, "verdict": self.verdict}


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 4)


def loglog_slope(xs: list[float], ys: list[float]) -> float | None:
    """Least-squares slope of log y against log x (None for fewer than 2 distinct x)."""
    pts = [(math.log(x), math.log(y)) for x, y in zip(xs, ys, strict=True) if x > 0 and y > 0]
    if len({p[0] for p in pts}) < 2:
        return None
    mx = sum(p[0] for p in pts) / len(pts)
    my = sum(p[1] for p in pts) / len(pts)
    sxx = sum((p[0] - mx) ** 2 for p in pts)
    sxy = sum((p[0] - mx) * (p[1] - my) for p in pts)
    return sxy / sxx


def analyse(records: list[dict], claims: tuple[Claim, ...] = CLAIMS) -> list[GrowthRow]:
    """One row per (construction, program, claim) series present in ``records``."""
    series: dict[tuple[str, str], list[dict]] = {}
    for r in records:
        series.setdefault((r["construction"], r["program"]), []).append(r)
    rows = []
    for (name, program), group in series.items():
        group = sorted(group, key=lambda r: r["n"])
        for claim in claims:
            if claim.construction == name:
                rows.append(_row(claim, program, group))
    return rows


def _row(claim: Claim, program: str, group: list[dict]) -> GrowthRow:
    good = [r for r in group if r["ok"]]
    resource = RESOURCES[claim.resource]
    xs = [float(resource(r)) for r in good]
    ys = [float(r["measured"][claim.metric]) for r in good]
    ns = [float(r["n"]) for r in good]
    constants = [y / x for x, y in zip(xs, ys, strict=True) if x > 0] or [0.0]
    slope_r = loglog_slope(xs, ys)
    slope_n = loglog_slope(ns, ys)
    if len(good) < len(group):
        verdict = FAILED_CELLS
    elif (len(set(xs)) < MIN_POINTS or slope_r is None or not xs
          or max(xs) < MIN_SPAN * min(xs)):
        verdict = TOO_FEW
    elif slope_r > 1 + SLOPE_TOLERANCE:
        verdict = CONTRADICTED
    else:
        verdict = HOLDS
    return GrowthRow(group[0]["theorem"], claim.construction, program, claim.metric,
                     group[0]["n"], group[-1]["n"], len(group), slope_n, claim.resource,
                     slope_r, constants[-1], min(constants), max(constants), claim.statement,
                     verdict)


def contradicted(rows: list[GrowthRow]) -> list[GrowthRow]:
    return [r for r in rows if r.verdict in (CONTRADICTED, FAILED_CELLS)]


def table(rows: list[GrowthRow]) -> list[list[str]]:
    out = [["thm", "construction", "program", "metric", "n", "slope vs n", "resource R",
            "slope vs R", "metric/R at max n (range)", "claim", "verdict"]]
    for r in rows:
        out.append([r.theorem, r.construction, r.program, r.metric, f"{r.n_min}..{r.n_max}",
                    _fmt(r.slope_n), r.resource, _fmt(r.slope_resource),
                    f"{r.constant_last:.2f} ({r.constant_min:.2f}-{r.constant_max:.2f})",
                    r.claim, r.verdict])
    return out


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


def render_text(t: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in t) for i in range(len(t[0]))]
    lines = []
    for k, row in enumerate(t):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_markdown(t: list[list[str]]) -> str:
    lines = ["| " + " | ".join(t[0]) + " |", "|" + "---|" * len(t[0])]
    lines += ["| " + " | ".join(row) + " |" for row in t[1:]]
    return "\n".join(lines)

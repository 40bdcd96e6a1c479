"""Figures of a sweep's results (matplotlib: the ``[plot]`` extra).

:func:`write_figures` writes, as PNG and SVG into a directory:

* ``theorem-1`` / ``theorem-4``: per theorem, measured steps and context against n on log-log
  axes, every (construction, program) a solid line, its bound dashed in the same colour;
* ``message-<program>``: the paper's message for one PRAM program: steps vs n and context vs n
  for ARM, MDM and AP-MDM side by side;
* ``tm-pair``: the Turing-machine pair (time-bounded ARM context against space-bounded AP-MDM
  context) for ``zeros-then-ones`` (0^k 1^k).

Each caption names the toolkit version and the seed. Figures whose series the results do not
contain are skipped (and not listed in the returned paths).
"""

from __future__ import annotations

import os

from apmdm.machines.errors import MissingExtraError

THEOREM_FIGURES = {"1": ("pram-mdm", "pram-arm", "pram-mdm-compiled"),
                   "4": ("pram-apmdm", "pram-apmdm-compiled", "tm-apmdm", "tm-arm")}
MESSAGE = ("pram-arm", "pram-mdm", "pram-apmdm")
LABELS = {"pram-arm": "ARM (chain of thought)", "pram-mdm": "MDM (Thm 1)",
          "pram-apmdm": "AP-MDM (Thm 4)", "pram-mdm-compiled": "MDM, compiled f",
          "pram-apmdm-compiled": "AP-MDM, compiled f", "tm-arm": "TM -> ARM",
          "tm-apmdm": "TM -> AP-MDM"}
MARKERS = {"pram-arm": "s", "pram-mdm": "o", "pram-apmdm": "^", "tm-arm": "s", "tm-apmdm": "^"}
UNITS = {"steps": "steps (generation steps)", "context": "context (tokens)"}
DPI = 80


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise MissingExtraError("apmdm plot needs matplotlib: pip install 'apmdm[plot]'") from None
    matplotlib.use("Agg")
    matplotlib.rcParams["svg.hashsalt"] = "apmdm"
    import matplotlib.pyplot as plt
    return plt


def _series(records: list[dict], construction: str, program: str) -> list[dict]:
    return sorted((r for r in records if r["construction"] == construction
                   and r["program"] == program and r["ok"]), key=lambda r: r["n"])


def _draw(ax, records: list[dict], pairs: list[tuple[str, str]], metric: str,
          colours: dict) -> bool:
    drawn = False
    for construction, program in pairs:
        rows = _series(records, construction, program)
        if not rows:
            continue
        colour = colours.setdefault((construction, program), f"C{len(colours) % 10}")
        ns = [r["n"] for r in rows]
        marker = MARKERS.get(construction, "d")
        ax.plot(ns, [r["measured"][metric] for r in rows], marker + "-", color=colour,
                markersize=4 if marker == "s" else 3,
                label=f"{LABELS.get(construction, construction)}, {program}")
        ax.plot(ns, [r["bound"][metric] for r in rows], "--", color=colour, linewidth=1)
        drawn = True
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("n (input size)")
    ax.set_ylabel(UNITS[metric])
    ax.grid(True, which="major", alpha=0.3)
    return drawn


def _pairs(records: list[dict], constructions: tuple[str, ...]) -> list[tuple[str, str]]:
    seen = dict.fromkeys((r["construction"], r["program"]) for r in records)
    return [(c, p) for c in constructions for (c2, p) in seen if c2 == c]


def _save(fig, directory: str, stem: str, caption: str) -> list[str]:
    fig.text(0.5, 0.01, caption, ha="center", va="bottom", fontsize=7, color="0.35")
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    paths = []
    for ext, meta in (("png", {"Software": None}), ("svg", {"Date": None})):
        path = os.path.join(directory, f"{stem}.{ext}")
        fig.savefig(path, format=ext, dpi=DPI, metadata=meta)
        paths.append(path)
    return paths


def write_figures(doc: dict, directory: str) -> list[str]:
    """Write every figure the results support into ``directory``; return the paths."""
    plt = _pyplot()
    os.makedirs(directory, exist_ok=True)
    records = doc["cells"]
    caption = (f"apmdm {doc['apmdm_version']}, seed {doc['seed']}: measured (solid, dots), "
               "bound (dashed, same colour); log-log axes")
    written: list[str] = []
    for theorem, constructions in THEOREM_FIGURES.items():
        pairs = _pairs(records, constructions)
        if not pairs:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
        colours: dict = {}
        for ax, metric in zip(axes, ("steps", "context"), strict=True):
            _draw(ax, records, pairs, metric, colours)
            ax.set_title(f"Theorem {theorem}: {metric} vs n")
        axes[1].legend(fontsize=7, loc="upper left")
        written += _save(fig, directory, f"theorem-{theorem}", caption)
        plt.close(fig)
    programs = dict.fromkeys(r["program"] for r in records if r["construction"] in MESSAGE)
    for program in programs:
        pairs = [(c, program) for c in MESSAGE if _series(records, c, program)]
        if len(pairs) < 2:
            continue
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
        colours = {}
        for ax, metric in zip(axes, ("steps", "context"), strict=True):
            _draw(ax, records, pairs, metric, colours)
            ax.set_title(f"{program}: {metric} vs n")
        axes[0].legend(fontsize=8, loc="upper left")
        written += _save(fig, directory, f"message-{program}", caption)
        plt.close(fig)
    pairs = [(c, "zeros-then-ones") for c in ("tm-arm", "tm-apmdm")
             if _series(records, c, "zeros-then-ones")]
    if len(pairs) == 2:
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
        colours = {}
        for ax, metric in zip(axes, ("steps", "context"), strict=True):
            _draw(ax, records, pairs, metric, colours)
            ax.set_title(f"0^k 1^k on a TM: {metric} vs n")
        axes[1].legend(fontsize=8, loc="upper left")
        written += _save(fig, directory, "tm-pair", caption)
        plt.close(fig)
    return written

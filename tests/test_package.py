"""The package as a user gets it: one import namespace, layered imports, no cycles, the facade.

The architecture is the folders: ``theory`` imports nothing of ours, ``machines`` nothing of
``constructions`` or ``checks``, ``constructions`` nothing of ``checks``; and no module imports
itself back through others (checked on every import statement, including those inside
functions, so a deferred import cannot hide a cycle).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import networkx as nx
import pytest

import apmdm

ROOT = Path(__file__).resolve().parents[1]
LAYERS = {"theory": 0, "machines": 1, "constructions": 2, "checks": 3}
FOLDERS = {"apmdm": ROOT / "apmdm", **{name: ROOT / name for name in LAYERS}}


def _modules() -> dict[str, Path]:
    """Every module of the package by dotted name (``apmdm.machines.process`` ...)."""
    out = {}
    for top, folder in FOLDERS.items():
        for path in folder.rglob("*.py"):
            rel = path.relative_to(folder).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            prefix = ["apmdm"] if top == "apmdm" else ["apmdm", top]
            out[".".join(prefix + parts)] = path
    return out


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """The modules of ours that ``path`` imports (resolved to the longest known module)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            while name and name not in MODULES:
                name = name.rpartition(".")[0]
            if name.startswith("apmdm."):
                found.add(name)
    return found


def _layer(module: str) -> int | None:
    parts = module.split(".")
    return LAYERS.get(parts[1]) if len(parts) > 1 else None


GRAPH = nx.DiGraph()
for _mod, _path in MODULES.items():
    GRAPH.add_node(_mod)
    for _dep in _imports(_path):
        if _dep != _mod and not _mod.startswith(_dep + "."):   # a package's own __init__
            GRAPH.add_edge(_mod, _dep)


def test_every_module_is_found():
    assert len(MODULES) > 80 and "apmdm.checks.catalogue" in MODULES


def test_no_upward_import():
    upward = [(a, b) for a, b in GRAPH.edges
              if _layer(a) is not None and _layer(b) is not None and _layer(b) > _layer(a)]
    assert upward == []


def test_theory_imports_nothing_of_ours():
    assert [(a, b) for a, b in GRAPH.edges if _layer(a) == 0 and _layer(b) != 0] == []


def test_no_import_cycle():
    assert list(nx.simple_cycles(GRAPH)) == []


def test_the_check_detects_a_cycle_and_an_upward_import():
    g = nx.DiGraph([("apmdm.checks.a", "apmdm.checks.b"), ("apmdm.checks.b", "apmdm.checks.a")])
    assert list(nx.simple_cycles(g))
    assert _layer("apmdm.machines.x") < _layer("apmdm.constructions.y")


def test_no_bare_top_level_import_anywhere():
    """Every import of ours goes through ``apmdm.``: a user's own ``theory.py`` or another
    distribution's ``checks`` package can never stand in for ours."""
    bare = re.compile(r"^\s*(from|import)\s+(theory|machines|constructions|checks)\b", re.M)
    files = [p for p in ROOT.rglob("*.py") if ".venv" not in p.parts and "build" not in p.parts]
    files += list((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
    offenders = [str(p.relative_to(ROOT)) for p in files if bare.search(p.read_text())]
    assert offenders == []


def test_pyproject_lists_every_package():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    listed = set(config["packages"])
    present = {m for m, p in MODULES.items() if p.name == "__init__.py"} | {"apmdm"}
    assert listed == present
    assert set(config["package-dir"]) == {"apmdm", *(f"apmdm.{k}" for k in LAYERS)}


def test_version_is_the_same_everywhere():
    script = Path(sys.executable).with_name("apmdm")
    by_module = subprocess.run([sys.executable, "-m", "apmdm", "--version"], capture_output=True,
                               text=True, check=True).stdout.strip()
    assert by_module == f"apmdm {apmdm.__version__}"
    if script.exists():
        by_script = subprocess.run([str(script), "--version"], capture_output=True, text=True,
                                   check=True).stdout.strip()
        assert by_script == by_module


@pytest.mark.parametrize("page", ["docs/index.md", "README.md"])
def test_facade_python_example_runs(page, monkeypatch, capsys):
    text = (ROOT / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    example = next(b for b in blocks if "apmdm.simulate(" in b)
    monkeypatch.chdir(ROOT)
    exec(compile(example, page, "exec"), {})   # our own docs, not user input
    printed = capsys.readouterr().out.strip()
    assert printed in example and printed.endswith(": ok")


def test_facade_agrees_with_the_reference_on_every_model():
    from apmdm.machines.pram.assembly import load_program_file
    from apmdm.machines.tm_library import get_machine

    program = load_program_file(ROOT / "examples" / "pram" / "sum.pram")
    for model in ("mdm", "ap-mdm", "arm"):
        sim = apmdm.simulate(program, [5, 7, 9], model=model)
        assert sim.ok, sim.summary()
    tm = get_machine("zeros-then-ones")
    for model in ("arm", "ap-mdm"):
        sim = apmdm.simulate(tm, tuple("0011"), model=model)
        assert sim.ok and sim.expected[0] in tm.accept_states, sim.summary()
    sim = apmdm.simulate("prefix-sum", [1, 2, 3, 4], model="ap-mdm", compiled=True)
    assert sim.ok and sim.construction == "thm4-apmdm"


def test_facade_reports_a_wrong_answer():
    """A construction whose decode is off makes ``ok`` false: the facade does not trust it."""
    from dataclasses import replace

    sim = apmdm.simulate("sum", [1, 2, 3, 4], model="mdm")
    broken = replace(sim, output=tuple(v + 1 for v in sim.output))
    assert sim.ok and not broken.ok and not broken.outputs_equal


def test_facade_rejects_bad_arguments():
    from apmdm.machines.errors import InvalidArgumentError

    with pytest.raises(InvalidArgumentError, match="unknown model"):
        apmdm.simulate("sum", [1], model="gpt")
    with pytest.raises(InvalidArgumentError, match="expected a PRAM Program"):
        apmdm.simulate(3.5, [1])


def test_every_construction_implements_the_interface():
    from apmdm.constructions.interface import Construction
    from apmdm.constructions.pram.apmdm import compile_apmdm
    from apmdm.constructions.pram.arm import compile_arm
    from apmdm.constructions.pram.mdm import compile_mdm
    from apmdm.constructions.tm.apmdm import compile_tm_apmdm
    from apmdm.constructions.tm.arm import compile_tm_arm
    from apmdm.machines.pram.library import get_program
    from apmdm.machines.tm_library import get_machine

    lib = get_program("sum")
    tm = get_machine("palindromes")
    built = [compile_mdm(lib.program, 4, 3, lib.variant), compile_apmdm(lib.program, 4, 4),
             compile_arm(lib.program, 4), compile_tm_arm(tm, 4), compile_tm_apmdm(tm, 4)]
    for con in built:
        assert isinstance(con, Construction), type(con).__name__


def test_construction_bounds_equal_the_checkers_bounds():
    """The facade reports ``construction.bound``; the checkers compute the bound from theory
    themselves. Compiled with the same parameters, the two agree."""
    from apmdm.checks.pram_cases import library_cases
    from apmdm.checks.theorem1 import arm_runner, mdm_runner
    from apmdm.checks.theorem4 import apmdm_runner
    from apmdm.constructions.pram.apmdm import compile_apmdm
    from apmdm.constructions.pram.arm import compile_arm
    from apmdm.constructions.pram.mdm import compile_mdm
    from apmdm.machines.resources import Resources

    cases = [c for c in library_cases((4,), 0) if c.label in ("sum", "prefix-sum", "dyck1")]
    assert len(cases) == 3
    for case in cases:
        ref = case.reference()
        c, n = ref.counters, len(case.inputs)
        resources = Resources.of_pram(c)
        built = {
            "mdm": compile_mdm(case.program, n, case.time_bound or c.time, case.variant),
            "ap-mdm": compile_apmdm(case.program, n,
                                    case.memory_bound or max(c.memory_span, n, 1),
                                    case.variant),
            "arm": compile_arm(case.program, n, case.variant),
        }
        for model, runner in (("mdm", mdm_runner()), ("ap-mdm", apmdm_runner()),
                              ("arm", arm_runner())):
            _outcome, checker_bound = runner(case, ref)
            upper = {k: v for k, v in checker_bound.items() if not k.endswith(" slack")}
            assert built[model].bound(resources) == upper, (case.label, model)


def test_citation_and_cite_page_carry_the_version():
    cff = (ROOT / "CITATION.cff").read_text()
    assert f"\nversion: {apmdm.__version__}\n" in cff
    assert f"version = {{{apmdm.__version__}}}" in (ROOT / "docs" / "cite.md").read_text()

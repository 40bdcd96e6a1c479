"""mkdocs hooks for the apmdm site.

* ``on_config``: the four architecture folders install as ``apmdm.theory``, ``apmdm.machines``,
  ``apmdm.constructions`` and ``apmdm.checks`` (a setuptools package-dir mapping), which a
  static reader of the source cannot see. We lay out the package as it installs, as a copy
  under ``build/docs-api/`` and point mkdocstrings there.
* ``on_page_markdown``: a code path such as ``machines/process.py`` in a page becomes a link
  to that module's entry in the API reference (``api/modules.md``), so every path in the docs
  leads to its source.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from mkdocs.plugins import event_priority

ROOT = Path(__file__).resolve().parents[1]
STAGE = ROOT / "build" / "docs-api"
FOLDERS = ("theory", "machines", "constructions", "checks")
PATH = re.compile(r"`((?:apmdm|theory|machines|constructions|checks)(?:/[A-Za-z0-9_]+)*\.py)"
                  r"((?::[^`]*)?)`")


def stage_package() -> Path:
    """``build/docs-api/apmdm``: a copy of the sources laid out as the package installs
    (griffe does not follow linked folders)."""
    pkg = STAGE / "apmdm"
    if STAGE.exists():
        shutil.rmtree(STAGE)
    pkg.mkdir(parents=True)
    for src in (ROOT / "apmdm").iterdir():
        if src.suffix == ".py" or src.name == "py.typed":
            shutil.copy2(src, pkg / src.name)
    for folder in FOLDERS:
        shutil.copytree(ROOT / folder, pkg / folder,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return STAGE


def module_of(path: str) -> str | None:
    """``machines/process.py`` -> ``apmdm.machines.process`` if that file exists."""
    if not (ROOT / path).is_file():
        return None
    parts = path[:-3].split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    if parts[0] != "apmdm":
        parts = ["apmdm", *parts]
    return ".".join(parts)


def all_modules() -> list[str]:
    out = set()
    for top in ("apmdm", *FOLDERS):
        for path in (ROOT / top).rglob("*.py"):
            if "__pycache__" in path.parts or path.name in ("__main__.py", "_version.py"):
                continue
            out.add(module_of(str(path.relative_to(ROOT))))
    return sorted(out)


def modules_page(docs_dir: Path) -> str:
    """Every module not already on a hand-written API page: its docstring, by folder."""
    shown = set()
    for page in (docs_dir / "api").glob("*.md"):
        shown |= set(re.findall(r"^::: (\S+)", page.read_text(), re.M))
    lines = ["# All modules", "",
             "Every module of the package with its docstring, in the order of the folders "
             "(theory, machines, constructions, checks). The public API has its own pages.", ""]
    group = None
    for module in all_modules():
        if module in shown:
            continue
        top = module.split(".")[1] if module.count(".") else "apmdm"
        if top != group:
            lines += [f"## {top}", ""]
            group = top
        lines += [f"::: {module}", "    options:", "      members: false",
                  "      show_root_heading: true", "      heading_level: 3", ""]
    return "\n".join(lines)


@event_priority(100)  # before mkdocstrings reads its search paths, which must exist then
def on_config(config, **_):
    stage_package()
    return config


def on_files(files, config, **_):
    from mkdocs.structure.files import File

    files.append(File.generated(config, "api/modules.md",
                                content=modules_page(Path(config["docs_dir"]))))
    return files


INCLUDE = re.compile(r"<!-- include: ([A-Za-z0-9_.\-/]+) -->")


def include(m: re.Match) -> str:
    """``<!-- include: FILE -->``: the repository file FILE as a code block."""
    path = (ROOT / m.group(1)).resolve()
    if ROOT not in path.parents or not path.is_file():
        raise ValueError(f"include: no file {m.group(1)!r} in the repository")
    lang = {".cff": "yaml", ".toml": "toml", ".py": "python"}.get(path.suffix, "text")
    return f"```{lang}\n{path.read_text().rstrip()}\n```"


def on_page_markdown(markdown: str, page, **_):
    if page.file.src_uri.startswith("api/"):
        return markdown
    markdown = INCLUDE.sub(include, markdown)

    def link(m: re.Match) -> str:
        module = module_of(m.group(1))
        if module is None:
            return m.group(0)
        return f"[`{m.group(1)}{m.group(2)}`][{module}]"

    # leave fenced code blocks alone
    parts = re.split(r"(```.*?```)", markdown, flags=re.S)
    return "".join(p if p.startswith("```") else PATH.sub(link, p) for p in parts)

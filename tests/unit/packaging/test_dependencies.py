"""Every workspace member declares each third-party package it imports (no import that works only by luck)."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
MEMBERS = sorted(p.parent for p in [ROOT / "schemas/pyproject.toml", *ROOT.glob("libs/*/pyproject.toml"),
                                    *ROOT.glob("services/*/pyproject.toml")])  # fmt: skip


def normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared(member: Path) -> set[str]:
    project = tomllib.loads((member / "pyproject.toml").read_text())["project"]
    extras = [d for group in project.get("optional-dependencies", {}).values() for d in group]
    return {
        normalised(re.split(r"[\s\[<>=!~;]", d, maxsplit=1)[0]) for d in [*project.get("dependencies", []), *extras]
    }


def workspace_modules() -> dict[str, str]:
    """Each workspace member's top-level package -> its distribution name (editable installs list none)."""
    found = {}
    for member in MEMBERS:
        name = normalised(tomllib.loads((member / "pyproject.toml").read_text())["project"]["name"])
        found.update({p.name: name for p in (member / "src").iterdir() if p.is_dir() and not p.name.startswith(".")})
    return found


def imported(member: Path) -> dict[str, str]:
    """Top-level modules the member's code imports, each with one place it does (file:line)."""
    found: dict[str, str] = {}
    for path in sorted((member / "src").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names: list[str] = []
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for name in names:
                found.setdefault(name.split(".")[0], f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


@pytest.mark.parametrize("member", MEMBERS, ids=lambda p: p.name)
def test_every_third_party_import_is_a_declared_dependency(member):
    own = {p.name for p in (member / "src").iterdir() if p.is_dir()}
    distributions = {**packages_distributions(), **{m: [d] for m, d in workspace_modules().items()}}
    wanted = declared(member)
    undeclared = []
    for module, where in imported(member).items():
        if module in own or module in sys.stdlib_module_names or module == "__future__":
            continue
        providers = {normalised(d) for d in distributions.get(module, [])}
        if not providers & wanted:
            undeclared.append(f"{where}: {module} (from {', '.join(sorted(providers)) or 'no installed package'})")
    assert not undeclared, f"{member.name} imports what its pyproject.toml does not declare:\n" + "\n".join(undeclared)

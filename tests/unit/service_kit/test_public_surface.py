"""service_kit's public surface is explicit: every module says what it offers, and nobody reaches past it."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import service_kit

ROOT = Path(__file__).resolve().parents[3]
USERS = ("services", "tests", "bench", "examples", "libs/service-kit/src")


def modules() -> list[str]:
    return [m.name for m in pkgutil.walk_packages(service_kit.__path__, "service_kit.")]


def test_every_module_of_the_kit_declares_its_public_names_and_each_exists():
    for name in modules():
        module = importlib.import_module(name)
        assert hasattr(module, "__all__"), f"{name} has no __all__"
        missing = [n for n in module.__all__ if not hasattr(module, n)]
        assert not missing, f"{name}.__all__ names what it does not define: {missing}"


def test_the_package_lists_its_modules():
    assert sorted(service_kit.__all__) == sorted(
        name.removeprefix("service_kit.") for name in modules() if name.count(".") == 1
    )


def test_code_imports_only_what_a_kit_module_declares_public():
    public = {name: set(importlib.import_module(name).__all__) for name in modules()}
    reaching = []
    for top in USERS:
        for path in (ROOT / top).rglob("*.py"):
            if ".venv" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if isinstance(node, ast.ImportFrom) and node.module in public:
                    names = {alias.name for alias in node.names}
                    inside = node.module.startswith("service_kit.") and path.is_relative_to(
                        ROOT / "libs/service-kit/src"
                    )
                    if not inside and (stray := names - public[node.module]):
                        reaching.append(f"{path.relative_to(ROOT)}: {node.module} {sorted(stray)}")
    assert not reaching, "imports of names a kit module does not declare public:\n" + "\n".join(reaching)


def test_production_code_never_imports_the_test_doubles():
    offenders = []
    for path in (ROOT / "services").rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("service_kit.testing"):
                offenders.append(str(path.relative_to(ROOT)))
    assert not offenders, offenders

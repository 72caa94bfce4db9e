"""The house rules a newcomer can rely on: every module imports, its own dependencies are named at its top,
and nothing guards against the package's own modules being missing."""

from __future__ import annotations

import ast
import configparser
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import rigbench
from conftest import REPO
from rigbench import kernels, profiles

# Imported inside functions on purpose: heavy, and not every command needs them.
LAZY = ("torch", "numba", "matplotlib")

ROOT = Path(rigbench.__file__).resolve().parent


def _modules() -> list[str]:
    names = []
    for pkg in (rigbench, kernels, profiles):
        names.append(pkg.__name__)
        names += [m.name for m in pkgutil.walk_packages(pkg.__path__, pkg.__name__ + ".")]
    return sorted(set(names))


def _source(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    return Path(spec.origin)


@pytest.mark.parametrize("name", [m for m in _modules() if not m.endswith("__main__")])  # __main__ runs the CLI
def test_every_module_imports(name):
    importlib.import_module(name)


def _local_own_imports(tree: ast.AST) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for sub in ast.walk(node):
            if isinstance(sub, ast.ImportFrom) and (sub.level or (sub.module or "").split(".")[0] == "rigbench"):
                found.append((sub.lineno, f"from {'.' * sub.level}{sub.module or ''} import ..."))
            elif isinstance(sub, ast.Import):
                found += [(sub.lineno, f"import {a.name}") for a in sub.names if a.name.split(".")[0] == "rigbench"]
    return found


def test_own_modules_are_imported_at_the_top_of_each_file():
    offenders = []
    for name in _modules():
        path = _source(name)
        for line, what in _local_own_imports(ast.parse(path.read_text(encoding="utf-8"))):
            offenders.append(f"{path.relative_to(ROOT.parent) if ROOT.parent in path.parents else path}:{line}: {what}")
    assert not offenders, "imports of the package's own modules inside functions:\n" + "\n".join(offenders)


def _local_imports(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, module) of every import inside a function, whatever it imports."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Import):
                    found += [(sub.lineno, a.name) for a in sub.names]
                elif isinstance(sub, ast.ImportFrom) and not sub.level:
                    found.append((sub.lineno, sub.module or ""))
    return found


def test_only_the_heavy_libraries_are_imported_inside_functions():
    offenders = []
    for name in _modules():
        path = _source(name)
        offenders += [f"{path}:{line}: import {module}"
                      for line, module in _local_imports(ast.parse(path.read_text(encoding="utf-8")))
                      if module.split(".")[0] not in LAZY]
    assert not offenders, f"imports inside functions of something other than {', '.join(LAZY)}:\n" + "\n".join(offenders)


def _imports_own(node: ast.AST) -> bool:
    """An import of a rigbench module: a statement, or importlib.import_module("rigbench...")."""
    if isinstance(node, ast.ImportFrom):
        return bool(node.level) or (node.module or "").startswith("rigbench")
    if isinstance(node, ast.Import):
        return any(a.name.startswith("rigbench") for a in node.names)
    if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module":
        return bool(node.args) and "rigbench" in ast.dump(node.args[0])
    return False


def test_no_guard_against_the_package_s_own_modules():
    offenders = []
    for name in _modules():
        path = _source(name)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Try):
                continue
            catches_import = any(isinstance(h.type, (ast.Name, ast.Tuple)) and
                                 any(e in ast.dump(h.type) for e in ("ImportError", "ModuleNotFoundError"))
                                 for h in node.handlers)
            own = any(_imports_own(sub) for stmt in node.body for sub in ast.walk(stmt))
            if catches_import and own:
                offenders.append(f"{path}:{node.lineno}")
    assert not offenders, "guards against the package's own modules being missing:\n" + "\n".join(offenders)


def test_the_heavy_libraries_are_not_imported_by_import_rigbench():
    import subprocess
    import sys

    code = "import sys, rigbench; print(sorted(m for m in %r if m in sys.modules))" % (LAZY,)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


# A distribution whose module has another name.
_MODULE_OF = {"nvidia-ml-py": "pynvml"}


def test_every_dependency_is_named_once_and_imported_by_the_package():
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    names = [re.split(r"[<>=!~;\[ ]", line.strip())[0].lower()
             for line in cfg.get("options", "install_requires").splitlines() if line.strip()]
    assert len(names) == len(set(names)), f"named twice in setup.cfg: {sorted({n for n in names if names.count(n) > 1})}"
    imported = set()
    for name in _modules():
        for node in ast.walk(ast.parse(_source(name).read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                imported.add(node.module.split(".")[0])
    unused = [n for n in names if _MODULE_OF.get(n, n) not in imported]
    assert not unused, f"dependencies nothing in the package imports: {unused}"


def test_every_package_is_listed_for_the_wheel():
    # setup.cfg lists packages by hand (kernels/ and profiles/ are mapped into rigbench.*): a package left off the
    # list is missing from a `pip install .` wheel, though an editable install still finds it
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    listed = {line.strip() for line in cfg.get("options", "packages").splitlines() if line.strip()}
    packages = {name for name in _modules() if Path(_source(name)).name == "__init__.py"}
    assert packages - listed == set(), f"packages missing from setup.cfg [options] packages: {sorted(packages - listed)}"
    assert listed - packages == set(), f"setup.cfg lists packages that do not exist: {sorted(listed - packages)}"

"""The layout keeps its shape: packages by stage, one home per name, the stage contracts
(import-linter) and strict typing (mypy) hold — so a wrong import fails the suite, not a review."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BRIEFING = ROOT / "briefing"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    found = {}
    for top in ("briefing", "workers"):
        for path in (ROOT / top).rglob("*.py"):
            if "migrations" not in path.parts:
                found[_module_name(path)] = path
    return found


def _defined_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                elements = target.elts if isinstance(target, ast.Tuple) else [target]
                names |= {e.id for e in elements if isinstance(e, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, (ast.If, ast.Try)):  # definitions made under a condition
            names |= _defined_names(ast.Module(body=node.body, type_ignores=[]))
    return names


def test_briefing_top_level_holds_only_packages() -> None:
    modules = sorted(p.name for p in BRIEFING.glob("*.py"))
    assert modules == ["__init__.py", "__main__.py"]
    assert all((d / "__init__.py").exists() for d in BRIEFING.iterdir()
               if d.is_dir() and d.name != "__pycache__")


def test_every_name_is_imported_from_its_one_home() -> None:
    """`from briefing.x import name` names a submodule of x or something x defines itself:
    no module re-exports another's names (package doors in `__init__` excepted)."""
    modules = _modules()
    definitions = {name: _defined_names(ast.parse(path.read_text()))
                   for name, path in modules.items()}
    wrong = []
    for path in [*modules.values(), *(ROOT / "tests").rglob("*.py"),
                 *(ROOT / "benchmarks").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.ImportFrom) and node.module and not node.level):
                continue
            source = node.module
            if source not in modules or modules[source].name == "__init__.py":
                continue
            for alias in node.names:
                if alias.name not in definitions[source] \
                        and f"{source}.{alias.name}" not in modules:
                    wrong.append(f"{path.relative_to(ROOT)}: {alias.name} from {source}")
    assert wrong == []


def test_all_lists_only_names_defined_where_listed() -> None:
    wrong = []
    for name, path in _modules().items():
        tree = ast.parse(path.read_text())
        listed = [node.value for node in tree.body if isinstance(node, ast.Assign)
                  and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)]
        if not listed or path.name == "__init__.py":
            continue
        exported = ast.literal_eval(listed[0])
        wrong += [f"{name}.{n}" for n in exported if n not in _defined_names(tree)]
    assert wrong == []


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)


def test_import_contracts_hold() -> None:
    """The stages form a stack; the core imports no framework, face or `workers`."""
    linter = Path(sys.executable).parent / "lint-imports"
    if not linter.exists():
        pytest.fail("lint-imports is missing: install the test extras (pip install -e '.[test]')")
    result = _run(str(linter), "--no-cache")
    assert result.returncode == 0, result.stdout[-4000:]


def test_types_check_strictly() -> None:
    result = _run(sys.executable, "-m", "mypy", "--no-incremental")
    assert result.returncode == 0, result.stdout[-4000:]

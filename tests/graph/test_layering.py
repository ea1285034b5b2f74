"""The layers: ``rules/`` and ``passes/`` both stand on ``graph/``, and neither imports the other
(the runner, which checks a model after each pass, is the one exception). ``graph/`` imports no
torch, no ONNX Runtime and no onnxscript, so the checker stays a light lint.

Imports are read from the source (``ast``), function-level ones included: an import hidden in a
function to dodge a cycle is still a dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import trtready

PACKAGE = Path(trtready.__file__).parent
#: the one module of ``passes/`` that may import ``rules/``: it runs the checker after each pass
RUNNER = "trtready.passes.runner"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, wherever the import statement is."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def _layer(name: str) -> list[tuple[str, set[str]]]:
    return [(_module_name(p), _imports(p)) for p in sorted((PACKAGE / name).rglob("*.py"))]


def _reaches(imports: set[str], layer: str) -> set[str]:
    prefix = f"trtready.{layer}"
    return {m for m in imports if m == prefix or m.startswith(prefix + ".")}


def test_the_import_reader_sees_relative_and_function_level_imports():
    imports = _imports(PACKAGE / "passes" / "runner.py")
    assert "trtready.rules.check_model" in imports and "onnxruntime" in imports  # the latter inside a function


@pytest.mark.parametrize("module, imports", _layer("rules"), ids=lambda v: v if isinstance(v, str) else "")
def test_rules_never_import_passes(module, imports):
    assert not _reaches(imports, "passes"), f"{module} imports {sorted(_reaches(imports, 'passes'))}"


@pytest.mark.parametrize("module, imports", _layer("passes"), ids=lambda v: v if isinstance(v, str) else "")
def test_passes_never_import_rules_but_the_runner(module, imports):
    if module != RUNNER:
        assert not _reaches(imports, "rules"), f"{module} imports {sorted(_reaches(imports, 'rules'))}"


@pytest.mark.parametrize("module, imports", _layer("graph"), ids=lambda v: v if isinstance(v, str) else "")
def test_the_graph_layer_stands_alone(module, imports):
    above = {m for layer in ("rules", "passes", "catalog", "exporters", "verify") for m in _reaches(imports, layer)}
    heavy = {m for m in imports if m.split(".")[0] in ("torch", "onnxruntime", "onnxscript")}
    assert not above and not heavy, f"{module} imports {sorted(above | heavy)}"


def test_onnx_file_reads_no_rule():
    assert not _reaches(_imports(PACKAGE / "onnx_file.py"), "rules")


def test_importing_the_graph_layer_and_the_checker_loads_no_heavy_library():
    code = (
        "import sys, pkgutil, importlib, trtready.graph as g\n"
        "for info in pkgutil.iter_modules(g.__path__): importlib.import_module(f'trtready.graph.{info.name}')\n"
        "import trtready.checking, trtready.rules\n"
        "print(sorted(m for m in ('torch', 'onnxruntime', 'onnxscript', 'trtready.passes') if m in sys.modules))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"

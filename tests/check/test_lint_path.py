"""``trtready check`` is a lint: it never imports torch (nor ONNX Runtime), whatever it finds; nor
does ``trtready.check(path)`` from Python, which also leaves sympy unexecuted.

Importing torch takes seconds; a checker that does it is as slow as an export. The
check path (rules -> the graph layer) must stay free of it; rules do not reach the
fix passes at all (tests/graph/test_layering.py). Measured: ``benchmarks/check_speed.py``.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

PROBE = """
import sys
from trtready.cli.main import main
code = main(sys.argv[1:])
heavy = sorted(m for m in ("torch", "onnxruntime", "onnxscript") if m in sys.modules)
print("HEAVY:", ",".join(heavy) or "none", "EXIT:", code)
"""


def _run(*args: str) -> str:
    proc = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120)
    return proc.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "markdown"])
def test_check_imports_neither_torch_nor_onnxruntime(squeeze_onnx, fmt):
    # squeeze_onnx has If nodes: the fold-if rule and its pass are reached, findings are rendered
    assert _run("check", str(squeeze_onnx), "--format", fmt) == "HEAVY: none EXIT: 1"


def test_check_of_a_clean_file_and_of_a_bad_one_stay_light(mask_onnx, tmp_path):
    assert _run("check", str(mask_onnx), "--trt", "10.3").startswith("HEAVY: none EXIT:")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"not onnx at all")
    assert _run("check", str(bad)) == "HEAVY: none EXIT: 2"


LIBRARY_PROBE = """
import sys
import trtready
from trtready.deferred_imports import is_deferred
results = [trtready.check(sys.argv[1]), *trtready.check_files(sys.argv[1:])]
heavy = sorted(m for m in ("torch", "onnxruntime", "onnxscript") if m in sys.modules)
sympy = "deferred" if is_deferred("sympy") else ("imported" if "sympy" in sys.modules else "absent")
print("HEAVY:", ",".join(heavy) or "none", "SYMPY:", sympy, "FOUND:", sorted({f.rule_id for r in results for f in r.findings}))
"""


def test_the_library_check_imports_neither_torch_nor_sympy(mask_onnx, squeeze_onnx):
    """``trtready.check(path)`` / ``check_files`` from Python: as light as the command line (onnx_ir
    imports sympy, which checking never uses: it stays deferred, still importable by whoever needs it)."""
    proc = subprocess.run([sys.executable, "-c", LIBRARY_PROBE, str(mask_onnx), str(squeeze_onnx)],
                          capture_output=True, text=True, timeout=120, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    heavy, found = proc.stdout.strip().splitlines()[-1].split(" FOUND: ")
    assert heavy == "HEAVY: none SYMPY: deferred"
    assert "TRT205" in found  # the mask file's findings: the check really ran


def test_sympy_deferred_by_the_library_check_still_works_for_torch(clean_onnx):
    """A program that checks a file, then exports with torch.export (which computes with sympy)."""
    code = (
        "import sys, trtready\n"
        "from trtready.deferred_imports import is_deferred\n"
        "trtready.check(sys.argv[1])\n"
        "assert is_deferred('sympy')\n"
        "import torch\n"
        "batch = torch.export.Dim('batch')\n"
        "program = torch.export.export(torch.nn.Linear(4, 2), (torch.rand(3, 4),), dynamic_shapes=({0: batch},))\n"
        "import sympy\n"
        "print(sympy.Symbol('s') * 2 + 1, len(program.graph.nodes) > 0)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code, str(clean_onnx)], capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "2*s + 1 True"

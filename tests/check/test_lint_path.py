"""``trtready check`` is a lint: it never imports torch (nor ONNX Runtime), whatever it finds.

Importing torch takes seconds; a checker that does it is as slow as an export. The
check path (rules -> their autofix passes -> verification helpers) must stay free
of it. Measured: ``benchmarks/check_speed.py``.
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

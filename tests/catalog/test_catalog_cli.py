"""``trtready rules`` and ``trtready explain`` over the whole catalog, through the real entry
point, without importing torch."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from trtready.catalog import Kind, all_units

ROOT = Path(__file__).resolve().parents[2]
ENV = dict(os.environ, PYTHONPATH=str(ROOT / "src"), COLUMNS="160")


def trtready(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "trtready.cli.main", *args], capture_output=True, text=True,
                          env=ENV, timeout=120)  # fmt: skip


@pytest.mark.parametrize("argv", [["rules"], ["rules", "--format", "json"], ["explain", "R003"], ["explain", "doc301"]])
def test_rules_and_explain_do_not_import_torch(argv):
    code = (
        "import sys\n"
        "from trtready.cli.main import main\n"
        f"code = main({argv!r})\n"
        "assert code == 0, code\n"
        "loaded = sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.'))\n"
        "assert not loaded, loaded[:5]\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, timeout=120)
    assert done.returncode == 0, done.stderr


def test_rules_lists_every_code_by_kind():
    done = trtready("rules")
    assert done.returncode == 0, done.stderr
    for unit in all_units():
        assert unit.id in done.stdout
    for kind in Kind.ORDER:
        assert Kind.TITLES[kind].split(" (")[0] in done.stdout


def test_rules_json_is_the_catalog():
    done = trtready("rules", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert [u["id"] for u in data["units"]] == [u.id for u in all_units()]
    assert {u["kind"] for u in data["units"]} == set(Kind.ORDER)
    assert all(u["references"][0]["url"].startswith("https://") for u in data["units"])


def test_rules_kind_filter():
    data = json.loads(trtready("rules", "--format", "json", "--kind", "rewrite", "--kind", "verify").stdout)
    assert {u["kind"] for u in data["units"]} == {"rewrite", "verify"}


@pytest.mark.parametrize("code", ["DOC301", "R003", "fix.unpin-batch", "VER001", "TRT207", "rewrite.bool-index-long",
                                  "ver003", "Fix.Retrace-Batch"])  # fmt: skip
def test_explain_any_code_in_any_case(code):
    done = trtready("explain", code)
    assert done.returncode == 0, done.stderr
    unit = next(u for u in all_units() if code.lower() in (u.id.lower(), u.name.lower()))
    text = " ".join(done.stdout.split())
    assert unit.id in text and unit.name in text and "Why." in text and "Fix." in text
    assert unit.references[0].url in done.stdout.replace("\n", "").replace(" ", "")


def test_explain_unknown_code_is_one_line_with_a_suggestion():
    done = trtready("explain", "fix.unpin")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "did you mean fix.unpin-batch" in done.stderr

"""``-q`` / ``-v`` where they used to be accepted and ignored: ``rules`` (codes only / every fix in
full), ``explain`` (summary and fix / the related codes) and ``doctor`` (every step's time)."""

from __future__ import annotations

import json

from trtready.catalog import Kind, all_units, find_unit, related_units

from . import report_models
from .runners import run_in, run_main


def test_rules_quiet_lists_the_codes_only_one_per_line(capsys):
    done = run_main(capsys, "rules", "-q")
    assert done.code == 0 and done.out.splitlines() == [u.id for u in all_units()]
    fixes = run_main(capsys, "rules", "--kind", "fix", "-q").out.split()
    assert fixes == [u.id for u in all_units() if u.kind == Kind.FIX]


def test_rules_verbose_prints_every_fix_in_full(capsys):
    normal = " ".join(run_main(capsys, "rules", "--kind", "rule").out.split())
    verbose = " ".join(run_main(capsys, "rules", "--kind", "rule", "-v").out.split())
    rules = [u for u in all_units() if u.kind == Kind.RULE]
    assert all(" ".join(u.fix.split()) in verbose for u in rules)  # wrapped, never cut
    assert not any(" ".join(u.fix.split()) in normal for u in rules if len(u.fix) > 60)
    assert "Fixes:" in verbose and "Fixes:" not in normal


def test_rules_json_is_the_whole_catalog_whatever_the_verbosity(capsys):
    for flag in ("-q", "-v"):
        data = json.loads(run_main(capsys, "rules", "--format", "json", flag).out)
        assert [u["id"] for u in data["units"]] == [u.id for u in all_units()]


def test_explain_quiet_gives_the_summary_and_the_fix_as_plain_text(capsys):
    unit = find_unit("TRT205")
    done = run_main(capsys, "explain", "trt205", "-q")
    assert done.code == 0
    assert done.out.splitlines() == [f"{unit.id} {unit.name} ({unit.severity}): {unit.summary}", f"Fix: {unit.fix}"]


def test_explain_verbose_names_the_codes_that_act_on_a_finding(tmp_path):
    """TRT205 names no fix of its own, but three rewrites carry out its advice; a fix names the
    findings it removes, and those name it back."""
    related = {u.id for u in related_units(find_unit("TRT205"))}
    assert related == {"R001", "R006", "R008"}
    assert {u.id for u in related_units(find_unit("fix.retrace-batch"))} == {"VER001", "TRT207"}
    assert "fix.retrace-batch" in {u.id for u in related_units(find_unit("TRT207"))}  # not TRT207's own autofix
    normal = run_in(tmp_path, "explain", "TRT205")
    verbose = run_in(tmp_path, "explain", "TRT205", "-v")
    assert normal.returncode == verbose.returncode == 0
    assert "Related codes." in verbose.stdout and "Related codes." not in normal.stdout
    assert all(code in verbose.stdout.split("Related codes.")[1] for code in related)
    assert verbose.stdout.startswith(normal.stdout.rstrip()[:200])  # the same section above


def test_doctor_verbose_gives_the_time_of_every_step(tmp_path):
    spec = f"{report_models.__file__}:build_item"
    normal = run_in(tmp_path, "doctor", spec)
    verbose = run_in(tmp_path, "doctor", spec, "-v")
    assert normal.returncode == verbose.returncode, verbose.stderr
    assert "Steps:" in verbose.stdout and "Steps:" not in normal.stdout
    data = json.loads(run_in(tmp_path, "doctor", spec, "--format", "json").stdout)
    steps = data["steps"]
    assert list(steps) == ["TorchScript trace at two batch sizes", "torch.export with a dynamic batch", "eager run", "checks"]
    assert all(seconds >= 0 for seconds in steps.values()) and steps["torch.export with a dynamic batch"] > 0.01
    line = next(line for line in verbose.stdout.splitlines() if line.startswith("Steps:"))
    assert all(f"{name} " in line for name in steps)

"""Unknown names are one-line errors with a suggestion on every flag that takes a name; a flag has
one name across commands; every ``trtready`` command in the README and docs parses and names
things that exist."""

from __future__ import annotations

import argparse
import json
import re
import shlex
from pathlib import Path

import pytest

from trtready.catalog import unit_of
from trtready.cli.main import build_parser
from trtready.options import CodeSelection, FixSelection, RewriteSelection

from . import onnx_files, report_models
from .runners import run_main

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "benchmarks" / "README.md"]


@pytest.fixture(scope="module")
def mask_onnx(tmp_path_factory):
    return onnx_files.mask_torchscript(tmp_path_factory.mktemp("names"))


@pytest.mark.parametrize("args, message, suggestion", [
    (["fix", "{model}", "-o", "{out}", "--skip-fix", "fix.reshape-alowzero"], "unknown fix 'fix.reshape-alowzero'", "fix.reshape-allowzero"),
    (["fix", "{model}", "-o", "{out}", "--skip", "fix.allowzero"], "unknown fix 'fix.allowzero'", "did you mean"),
    (["export", f"{report_models.__file__}:build_mask", "--skip-fix", "fix.bogus"], "unknown fix 'fix.bogus'", "did you mean"),
    (["export", f"{report_models.__file__}:build_mask", "--disable-rewrite", "R0006"], "R0006", "R006"),
    (["check", "{model}", "--select", "shape.nonzeros"], "no code matches 'shape.nonzeros'", "shape.nonzero"),
    (["doctor", f"{report_models.__file__}:build_mask", "--ignore", "DOC2O1"], "no code matches 'DOC2O1'", "DOC201"),
])  # fmt: skip
def test_unknown_names_are_one_line_errors_with_a_suggestion(capsys, mask_onnx, tmp_path, args, message, suggestion):
    args = [a.format(model=mask_onnx, out=tmp_path / "out.onnx") for a in args]
    done = run_main(capsys, *args)
    assert done.code == 2 and done.out == ""
    assert done.err.startswith("error: ") and done.err.count("\n") == 1, done.err
    assert message in done.err and suggestion in done.err
    assert not (tmp_path / "out.onnx").exists()


def test_skip_fix_and_its_old_name_leave_the_pass_out(capsys, mask_onnx, tmp_path):
    def applied(*extra):
        run_main(capsys, "fix", mask_onnx, "-o", tmp_path / "o.onnx", "--json", tmp_path / "r.json", *extra)
        data = json.loads((tmp_path / "r.json").read_text())
        return {p["name"] for p in data["passes"] if p["modified"] and not p["rolled_back"]}

    assert "fix.cast-nonzero-input" in applied()
    assert "fix.cast-nonzero-input" not in applied("--skip-fix", "fix.cast-nonzero-input")
    assert "fix.cast-nonzero-input" not in applied("--skip", "fix.cast-nonzero-input")


def _subparsers() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return dict(action.choices)


def test_one_flag_name_for_one_thing_across_commands():
    spellings: dict[tuple, set[tuple[str, ...]]] = {}  # (dest, const): -q and -v share a dest
    owners: dict[str, set[tuple]] = {}
    for parser in _subparsers().values():
        for action in parser._actions:
            if not action.option_strings or action.help == argparse.SUPPRESS:
                continue
            key = (action.dest, action.const)
            spellings.setdefault(key, set()).add(tuple(action.option_strings))
            for flag in action.option_strings:
                owners.setdefault(flag, set()).add(key)
    assert {dest: names for dest, names in spellings.items() if len(names) > 1} == {}
    assert {flag: dests for flag, dests in owners.items() if len(dests) > 1} == {}
    assert spellings[("skip_fix", None)] == {("--skip-fix",)}


def test_the_old_skip_name_is_hidden_from_help(capsys):
    text = run_main(capsys, "fix", "--help").out
    assert "--skip-fix" in text and not re.search(r"--skip\b(?!-)", text)


def _documented_commands() -> list[tuple[str, list[str]]]:
    """``trtready ...`` lines of the README and docs code blocks, as argument lists."""
    found = []
    for doc in DOCS:
        blocks = re.findall(r"```bash\n(.*?)```", doc.read_text(), flags=re.DOTALL)
        for line in (ln for block in blocks for ln in block.splitlines()):
            command = line.split("#", 1)[0].split("&&")[-1].strip()
            if command.startswith(("trtready ", "python -m trtready ")):
                words = shlex.split(re.sub(r"[\[\]]", "", command))
                words = [w.split("|")[0] for w in words[words.index("trtready") + 1 if "trtready" in words else 3 :]]
                found.append((f"{doc.name}: {line.strip()}", words))
    return found


DOCUMENTED = _documented_commands()


def test_the_docs_show_the_commands_of_this_issue():
    shown = " ".join(" ".join(words) for _, words in DOCUMENTED)
    for flag in ("--format concise", "--format github", "--fail-on", "--ignore", "--skip-fix", "--version"):
        assert flag in shown


@pytest.mark.parametrize("where, words", DOCUMENTED, ids=[w for w, _ in DOCUMENTED])
def test_every_documented_command_parses_and_names_what_exists(where, words):
    try:
        args = build_parser().parse_args(words)
    except SystemExit as exc:  # an unknown flag or choice exits 2; --version and --help exit 0
        assert exc.code == 0, where
        return
    if getattr(args, "skip_fix", None):
        FixSelection(skip=tuple(args.skip_fix))
    if getattr(args, "disable_rewrite", None) or getattr(args, "enable_rewrite", None):
        RewriteSelection(disabled=tuple(args.disable_rewrite), opt_in=tuple(args.enable_rewrite))
    CodeSelection.parse(getattr(args, "select", None), getattr(args, "ignore", None))
    if args.command == "explain":
        assert unit_of(args.code if hasattr(args, "code") else args.rule) is not None, where

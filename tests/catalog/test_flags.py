"""Advice names only flags that exist: every ``--flag`` in any code's text is defined by the
command it is written with (```trtready export --skip-fix NAME```), or, written alone, by
every command that shows that kind of code (a rule's fix is read in check, export and fix
reports). Spans that run another tool (```polygraphy ...```, ```trtexec ...```) are that
tool's business."""

from __future__ import annotations

import argparse
import re

import onnx_ir as ir
import pytest

from trtready.catalog import Kind, all_units
from trtready.cli.main import build_parser
from trtready.rules import all_rules, check_model
from trtready.rules.base import example_parts

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
SPAN = re.compile(r"`([^`]+)`")
OTHER_TOOLS = ("polygraphy", "trtexec", "onnxsim", "python", "pip")


def command_flags() -> dict[str, set[str]]:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return {name: set(p._option_string_actions) for name, p in sub.choices.items()}


FLAGS = command_flags()
#: the commands whose reports show each kind of code
SHOWN_BY = {Kind.RULE: ("check", "export", "fix"), Kind.DOCTOR: ("doctor", "export"), Kind.VERIFY: ("export",),
            Kind.REWRITE: ("export",), Kind.FIX: ("export", "fix")}  # fmt: skip


def unknown_flags(text: str, shown_by: tuple[str, ...]) -> list[str]:
    """Flags in ``text`` that the command they are written with lacks, or, written alone, that
    one of the commands ``shown_by`` lacks."""
    everywhere = set.intersection(*(FLAGS[command] for command in shown_by))
    bad = []
    for span in SPAN.findall(text):
        words = span.split()
        if words[0] in OTHER_TOOLS:
            continue
        known = FLAGS.get(words[1], set()) if words[0] == "trtready" and len(words) > 1 else everywhere
        bad += [flag for flag in FLAG.findall(span) if flag not in known]
    bad += [flag for flag in FLAG.findall(SPAN.sub(" ", text)) if flag not in everywhere]
    return bad


def test_the_extraction_catches_what_it_must():
    rule = SHOWN_BY[Kind.RULE]
    assert unknown_flags("implement a plugin and pass it with --plugin", rule) == ["--plugin"]  # export, fix lack it
    assert unknown_flags("`trtready export --plugin NAME`", rule) == ["--plugin"]  # check has it, export has not
    assert unknown_flags("`trtready check --plugin OP`, `polygraphy run --trt --plugins x.so`", rule) == []
    assert unknown_flags("--trt 10.1", rule) == []


@pytest.mark.parametrize("unit", all_units(), ids=lambda u: u.id)
def test_unit_texts_name_real_flags(unit):
    assert unknown_flags(" ".join(unit.texts()), SHOWN_BY[unit.kind]) == []


def test_finding_texts_name_real_flags():
    for rule in all_rules().values():
        for example in rule.INVALID:
            text, options = example_parts(example)
            for finding in check_model(ir.from_onnx_text(text), **options):
                assert unknown_flags(f"{finding.message} {finding.fix}", SHOWN_BY[Kind.RULE]) == [], rule.id

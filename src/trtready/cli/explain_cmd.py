"""``trtready explain ID_OR_NAME``: a rule's why, fix and examples (its docs/rules.md section)."""

from __future__ import annotations

import argparse
import difflib

from rich.console import Console
from rich.markdown import Markdown

from ..errors import UserError
from ..rules import Rule, all_rules
from ..rules.docs import rule_section


def add_parser(subparsers, epilog: str) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "explain",
        help="explain one rule: why, how to fix, examples",
        description="Show why a rule exists, how to fix what it flags, and the models it does and does not flag.",
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("rule", metavar="ID_OR_NAME", help="a rule id (TRT204) or name (shape.nonzero)")
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    Console().print(Markdown(rule_section(find_rule(args.rule))))
    return 0


def find_rule(key: str) -> type[Rule]:
    """The rule with id (any case) or name ``key``; UserError with close matches otherwise."""
    rules = all_rules()
    by_key = {**{r.id.upper(): r for r in rules.values()}, **{r.name: r for r in rules.values()}}
    rule = by_key.get(key.strip().upper()) or by_key.get(key.strip())
    if rule is not None:
        return rule
    close = difflib.get_close_matches(key.strip(), [*rules, *(r.name for r in rules.values())], n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else "`trtready rules` lists them"
    raise UserError(f"no rule '{key}'", hint=hint)

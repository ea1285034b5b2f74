"""Where the catalog's units come from: the rule, check and pass classes, the rewrite
specs and the declared units. Nothing imported here imports torch."""

from __future__ import annotations

import sys
import textwrap

from .unit import Example, Kind, Reference, Unit

__all__ = ["check_unit", "collect", "pass_unit", "rule_unit"]


def collect() -> list[Unit]:
    """Every unit, in catalog order: by kind, then by id (fixes in the order they run)."""
    from ..doctor.checks import CHECKS
    from ..passes.catalog import ALL_PASSES, autofix_of
    from ..rules.registry import all_rules
    from .declared import DECLARED
    from .rewrites import REWRITES

    rules = all_rules()
    units = [rule_unit(rule, autofix_of(rule.id)) for rule in rules.values()]
    units += [check_unit(check) for check in CHECKS]
    units += [spec.unit() for spec in REWRITES.values()]
    units += [pass_unit(cls, rules) for cls in ALL_PASSES]
    units += DECLARED
    order = {kind: i for i, kind in enumerate(Kind.ORDER)}
    by_id = (Kind.RULE, Kind.DOCTOR, Kind.VERIFY, Kind.REWRITE)  # fixes keep their run order
    return sorted(units, key=lambda u: (order[u.kind], u.id if u.kind in by_id else ""))


def rule_unit(rule, autofix=None) -> Unit:
    """A rule's unit; ``autofix``: the pass that removes its findings (a pass names the rules it
    fixes, a rule names no pass)."""
    details = (("autofix", autofix.name),) if autofix else ()
    return Unit(
        id=rule.id, name=rule.name, kind=Kind.RULE, severity=rule.severity, summary=rule.summary(),
        why=rule.why, fix=rule.fix, examples=_rule_examples(rule), references=tuple(rule.references),
        details=details,
    )  # fmt: skip


def _rule_examples(rule) -> tuple[Example, ...]:
    from ..rules.base import example_parts

    examples = []
    for title, cases in (("Flagged", rule.INVALID), ("Not flagged", rule.VALID)):
        for case in cases:
            text, options = example_parts(case)
            suffix = f" (with {', '.join(f'{k}={v!r}' for k, v in options.items())})" if options else ""
            examples.append(Example(title + suffix, textwrap.dedent(text).strip("\n")))
    return tuple(examples)


def check_unit(check) -> Unit:
    return Unit(
        id=check.id, name=check.name, kind=Kind.DOCTOR, severity=check.severity, summary=_check_summary(check),
        why=check.why, fix=check.fix, references=tuple(check.references),
    )  # fmt: skip


def _check_summary(check) -> str:
    """The first line of the check's module doc, without its ``DOCxxx:`` prefix."""
    doc = (sys.modules[check.__module__].__doc__ or "").strip()
    first = doc.splitlines()[0] if doc else check.name
    first = first.split(": ", 1)[1] if first.startswith(f"{check.id}:") else first
    return (first[:1].upper() + first[1:]).replace("``", "`")


def pass_unit(cls, rules: dict) -> Unit:
    fixed = [rules[i] for i in cls.fixes if i in rules]
    return Unit(
        id=cls.name, name=cls.name, kind=Kind.FIX, severity="info", summary=cls.description,
        why=_pass_why(cls, fixed), fix=_pass_switch(cls.name),
        examples=tuple(Example("A model it rewrites", textwrap.dedent(text).strip("\n")) for text in cls.EXAMPLES),
        references=_unique(ref for rule in fixed for ref in rule.references),
        details=(("fixes", ", ".join(cls.fixes)),),
    )  # fmt: skip


def _pass_why(cls, fixed: list) -> str:
    doc = " ".join((cls.__doc__ or "").split())
    what = "; ".join(f"{rule.id} ({rule.summary().rstrip('.')})" for rule in fixed)
    proof = (" It changes what the model computes at other batch sizes (that is the point), so it is compared "
             "only where the original runs." if cls.changes_other_batches else "")
    return (f"{doc} It removes the findings of {what}. It runs on a copy and is kept only when onnx.checker "
            f"accepts the result and ONNX Runtime gives the same outputs before and after at two batch sizes; "
            f"otherwise it is rolled back.{proof}")  # fmt: skip


def _pass_switch(name: str) -> str:
    return (f"On by default in `trtready export` and `trtready fix`. Leave it out with "
            f"`--skip-fix {name}` (`trtready export`, `trtready fix`); `trtready export --no-fix` "
            f"turns off every fix.")  # fmt: skip


def _unique(refs) -> tuple[Reference, ...]:
    return tuple(dict.fromkeys(refs))

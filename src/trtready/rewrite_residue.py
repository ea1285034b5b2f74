"""Findings that are what is left after a torch-level rewrite: the tool already did what their rule advises.

A rewrite declares the checker rules whose advice it carries out (``TorchRewrite.addresses``) and
what is left to do after it (``TorchRewrite.remains``). A finding of such a rule at a Python line
the rewrite fired at (its ``rewrite.*`` pass record lists the lines) says that the rewrite already
ran there, and its fix becomes what remains: never advice to do by hand what was done (R006 turns
``x[bool_mask]`` into long indices; the TRT205 left at that line is about the data-dependent count,
not about the mask). A finding on a node of an op type the rewrite keeps out of the graph
(``removes``) is not its residue: the rewrite declined that call.
"""

from __future__ import annotations

import os

from .result import Finding, PassRecord

__all__ = ["credit_rewrites"]

_PREFIX = "rewrite."


def credit_rewrites(findings: list[Finding], records: list[PassRecord]) -> list[Finding]:
    """Annotate, in place, each finding that a fired rewrite addresses at its line; return those."""
    by_line = _rewrites_by_line(records)
    credited = []
    for finding in findings if by_line else ():
        rewrite = _rewrite_behind(finding, by_line)
        if rewrite is not None:
            _credit(finding, rewrite)
            credited.append(finding)
    return credited


def _rewrites_by_line(records: list[PassRecord]) -> dict[tuple[str, int], list]:
    fired = [r for r in records if r.name.startswith(_PREFIX) and r.modified and r.sources]
    if not fired:
        return {}
    from .rewrites import find_rewrite  # torch: only reached after an export, whose rewrites fired

    by_line: dict[tuple[str, int], list] = {}
    for record in fired:
        rewrite = find_rewrite(record.name)
        if rewrite is None or not rewrite.addresses:
            continue
        for source in record.sources:
            if source.file and source.line:
                by_line.setdefault(_key(source.file, source.line), []).append(rewrite)
    return by_line


def _rewrite_behind(finding: Finding, by_line: dict) -> type | None:
    source = finding.source
    if source is None or not source.file or not source.line:
        return None
    for rewrite in by_line.get(_key(source.file, source.line), ()):
        if finding.rule_id in rewrite.addresses and finding.op_type not in rewrite.removes:
            return rewrite
    return None


def _credit(finding: Finding, rewrite) -> None:
    replaced = rewrite.spec.replaces if rewrite.spec is not None else rewrite.name
    left = rewrite.caveat.rstrip(".") if rewrite.caveat else "what this finding says"
    finding.message = (f"{finding.message} [{rewrite.id} ({rewrite.name}) already rewrote {replaced} at this line; "
                       f"what remains: {left[:1].lower()}{left[1:]}]")  # fmt: skip
    finding.fix = rewrite.remains or f"{rewrite.id} already did what this rule advises; nothing more is needed at this line."


def _key(file: str, line: int) -> tuple[str, int]:
    return os.path.normcase(os.path.abspath(file)), int(line)

"""Choosing the best exporter attempt.

Order of merit (lower score is better): exported; batch axis symbolic (when a
dynamic batch was asked for); verified; fewest TensorRT error findings; fewest
warnings; fewest nodes in the model the attempt ended with.
"""

from __future__ import annotations

from .result import Attempt, Severity

__all__ = ["choose_attempt", "is_clean", "score", "shortfall"]

_CRITERIA = (
    "it exported",
    "its batch axis stayed dynamic",
    "it verified against PyTorch",
    "fewer TensorRT errors",
    "fewer TensorRT warnings",
    "fewer nodes",
)


def score(attempt: Attempt, dynamic_batch: bool) -> tuple:
    return (
        not attempt.ok,
        dynamic_batch and attempt.batch_symbolic is False,
        attempt.verified is False,
        attempt.error_findings,
        sum(f.severity == Severity.WARNING for f in attempt.findings),
        attempt.nodes_final or attempt.node_count or 0,
    )


def is_clean(attempt: Attempt, dynamic_batch: bool) -> bool:
    """Good enough to stop trying: exported, dynamic, verified, no TensorRT errors."""
    s = score(attempt, dynamic_batch)
    return not any(s[:4])


def shortfall(attempt: Attempt, dynamic_batch: bool) -> str:
    """Why an attempt is not clean, in words ("" when it is)."""
    if not attempt.ok:
        return f"the {attempt.label} exporter failed ({attempt.error})"
    s = score(attempt, dynamic_batch)
    if s[1]:
        return f"the {attempt.label} file lost the dynamic batch"
    if s[2]:
        failed = [r for r in attempt.verification if not r.passed]
        if failed and all(r.status == "unproved" for r in failed):
            return f"the {attempt.label} file matched PyTorch on the traced path only (the tracer baked a value computed from the inputs)"
        return f"the {attempt.label} file did not verify against PyTorch ({len(failed)} of {len(attempt.verification)} checks failed)"
    if s[3]:
        return f"the {attempt.label} file has {s[3]} TensorRT error(s)"
    return ""


def choose_attempt(attempts: list[Attempt], dynamic_batch: bool) -> tuple[Attempt | None, str]:
    for attempt in attempts:
        attempt.score = score(attempt, dynamic_batch)
    usable = [a for a in attempts if a.ok]
    if not usable:
        return None, "no exporter produced a model"
    best = min(usable, key=lambda a: a.score)
    return best, _reason(best, attempts)


def _reason(best: Attempt, attempts: list[Attempt]) -> str:
    others = [a for a in attempts if a is not best]
    if not others:
        if not any(best.score[:4]):
            return f"{best.label}: exported, verified, no TensorRT errors; no other exporter needed"
        return f"{best.label}: the only exporter tried"
    parts = []
    for other in others:
        index = next((i for i, (x, y) in enumerate(zip(best.score, other.score)) if x != y), None)
        if index is None:
            parts.append(f"ties with {other.label}; kept the first")
        else:
            parts.append(f"{_CRITERIA[index]} than {other.label}" if index >= 3 else f"{_CRITERIA[index]}, {other.label}'s did not")
    return f"{best.label}: " + "; ".join(parts)

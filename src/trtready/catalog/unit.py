"""The records of the catalog: ``Unit`` (one code the tool can print), ``Reference``, ``Example``.

Plain frozen dataclasses with no imports beyond the standard library, so that
rule, check, pass and rewrite modules can declare them and ``trtready rules`` /
``trtready explain`` can read them without importing torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["KINDS", "Example", "Kind", "Reference", "Unit"]


class Kind:
    """What a unit is; the order is the catalog's order."""

    RULE = "rule"  # TRT*: checker rules over an ONNX file
    DOCTOR = "doctor"  # DOC*: doctor checks over a PyTorch model
    VERIFY = "verify"  # VER*: verification against PyTorch
    REWRITE = "rewrite"  # R0xx: torch-level rewrites while exporting
    FIX = "fix"  # fix.*: ONNX-level fix passes
    ORDER = (RULE, DOCTOR, VERIFY, REWRITE, FIX)
    TITLES = {
        RULE: "Checker rules (ONNX file, `trtready check`)",
        DOCTOR: "Doctor checks (PyTorch model, `trtready doctor`)",
        VERIFY: "Verification (ONNX Runtime against PyTorch, `trtready export`)",
        REWRITE: "Torch-level rewrites (while `trtready export` traces)",
        FIX: "ONNX fixes (`trtready fix`, and every export)",
    }
    #: kinds whose units are findings (SARIF rules); the others are things the tool did
    FINDINGS = (RULE, DOCTOR, VERIFY)


KINDS = Kind.ORDER


@dataclass(frozen=True)
class Reference:
    """A public source: its name as a reader would search for it, and its address."""

    name: str
    url: str

    def section(self, title: str, anchor: str) -> Reference:
        """The same source, pointing at one of its sections (``anchor`` without '#')."""
        return Reference(f'{self.name}, "{title}"', f"{self.url.split('#')[0]}#{anchor}")

    def __str__(self) -> str:
        return f"{self.name} <{self.url}>"


@dataclass(frozen=True)
class Example:
    """A titled snippet: ONNX text a rule flags or not, a pass rewrites, Python a rewrite replaces."""

    title: str  # "Flagged", "Not flagged (with trt='9.3')", "Rewritten", "In PyTorch"
    text: str
    language: str = ""  # "python" or "" (ONNX text)


@dataclass(frozen=True)
class Unit:
    """One code the tool can print, with everything a user needs to act on it."""

    id: str  # TRT101, DOC301, VER001, R003, fix.unpin-batch
    name: str  # ops.unsupported, doctor.batch-constant, verify.batch-pinned, rewrite.squeeze-index
    kind: str  # one of Kind.ORDER
    severity: str  # error | warning | info (rewrites and fixes: info)
    summary: str  # one line
    why: str
    fix: str
    examples: tuple[Example, ...] = ()
    references: tuple[Reference, ...] = ()
    details: tuple[tuple[str, str], ...] = field(default=())  # ("autofix", "fix.fold-if"), ("opt-in", "yes")...

    def keys(self) -> tuple[str, str]:
        """What ``explain`` accepts for it (any case)."""
        return (self.id, self.name)

    def texts(self) -> list[str]:
        """Every user-visible string of the unit."""
        return [
            self.id, self.name, self.summary, self.why, self.fix,
            *(text for example in self.examples for text in (example.title, example.text)),
            *(text for ref in self.references for text in (ref.name, ref.url)),
            *(text for pair in self.details for text in pair),
        ]  # fmt: skip

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "severity": self.severity,
            "summary": self.summary,
            "why": self.why,
            "fix": self.fix,
            "examples": [{"title": e.title, "text": e.text, "language": e.language} for e in self.examples],
            "references": [{"name": r.name, "url": r.url} for r in self.references],
            "details": dict(self.details),
        }

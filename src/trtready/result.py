"""The one Result that flows through every stage, and the records it holds.

A stage adds to the Result (attempts, findings, pass records, verification
rows, artifacts) and never raises for an expected failure, so a report can
always be rendered, even for a half-finished run.

The records only hold data: rendering lives in ``report/`` (``trtready.summary(result)``
is the plain-text summary) and the one-line verdict in ``verdict.py``.

``Result.to_json()`` has a stable schema, documented in docs/json-schema.md;
``SCHEMA`` names its version and changes only when a field is removed or its
meaning changes (new fields may be added without a bump).
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Artifact",
    "Attempt",
    "Finding",
    "PassRecord",
    "Result",
    "SCHEMA",
    "Severity",
    "SourceLocation",
    "VerifyRow",
    "WrittenFile",
    "rows_verified",
]

SCHEMA = "trtready.result/1"


class Severity:
    """Finding severities, most severe first."""

    ERROR = "error"  # TensorRT will refuse the model
    WARNING = "warning"  # it builds but is slow, fragile or numerically risky
    INFO = "info"
    ORDER = (ERROR, WARNING, INFO)

    @classmethod
    def rank(cls, severity: str) -> int:
        """0 for the most severe; a severity that is not in ORDER ranks after all of them."""
        return cls.ORDER.index(severity) if severity in cls.ORDER else len(cls.ORDER)


@dataclass
class SourceLocation:
    """Where in the user's PyTorch code a node came from."""

    file: str | None = None
    line: int | None = None
    module: str | None = None  # module path, e.g. "backbone.layer1.0.conv1"
    function: str | None = None
    code: str | None = None  # the source line's text, when known

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.file and self.line else (self.file or "")
        if self.module:
            where = f"{where} ({self.module})" if where else self.module
        return where


@dataclass
class Finding:
    """One problem (or note) found by a rule, a verifier or a diagnosis step."""

    rule_id: str
    name: str
    severity: str
    message: str
    node: str | None = None
    op_type: str | None = None
    graph_path: str | None = None  # "main", or "main/If_12/then_branch" inside subgraphs
    source: SourceLocation | None = None
    fix: str | None = None
    stage: str = "check"  # check | verify | export | doctor

    def location(self) -> str:
        parts = []
        if self.node:
            parts.append(f"{self.op_type or 'node'} '{self.node}'")
        if self.source and str(self.source):
            parts.append(f"at {self.source}")
        return " ".join(parts)


@dataclass
class Attempt:
    """One exporter run: the model it produced or the error it hit."""

    exporter: str  # "torchscript" | "dynamo"
    variant: str = ""  # "" (as asked), "no rewrites", "without R006", "batch re-traced"...
    ok: bool = False
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)  # seconds by stage: export, simplify, fix, verify, check
    node_count: int | None = None  # nodes of the exporter's file
    nodes_final: int | None = None  # nodes of the model the attempt ended with (simplified, fixed)
    batch_symbolic: bool | None = None  # None when no dynamic batch was asked for
    verified: bool | None = None
    findings: list[Finding] = field(default_factory=list)
    passes: list[PassRecord] = field(default_factory=list)
    verification: list[VerifyRow] = field(default_factory=list)
    capture: str | None = None  # how the graph was captured: "trace", "script", torch.onnx's strategy name
    rewrites_fired: list[str] | None = field(default_factory=list)  # ids of the rewrites that fired; None: unknown (crash)
    score: tuple | None = None  # lower is better; see trtready.selection
    model: Any = field(default=None, repr=False, compare=False)  # onnx_ir.Model, not serialized
    raw_model: Any = field(default=None, repr=False, compare=False)  # the exporter's own file, not serialized

    @property
    def label(self) -> str:
        return f"{self.exporter} ({self.variant})" if self.variant else self.exporter

    @property
    def error_findings(self) -> int:
        return sum(f.severity == Severity.ERROR for f in self.findings)


@dataclass
class VerifyRow:
    """One output compared at one batch size."""

    batch: int
    output: str
    status: str  # pass | fail | error | degenerate | nondeterministic | unproved
    max_abs: float | None = None
    rel_err: float | None = None
    shape: list[int] | None = None
    ref_shape: list[int] | None = None
    dtype: str | None = None
    ref_dtype: str | None = None
    atol: float | None = None
    rtol: float | None = None
    message: str | None = None
    bad_fraction: float | None = None  # share of elements out of the element-wise tolerance
    case: str | None = None  # which inputs: "example", "resampled", "n varied to 4"...
    artifact: str | None = None  # which file (static-batch runs write several)

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass
class PassRecord:
    """One graph pass that ran (or was rolled back)."""

    name: str
    modified: bool
    seconds: float = 0.0
    nodes_before: int | None = None
    nodes_after: int | None = None
    rolled_back: bool = False
    findings_removed: int = 0
    message: str | None = None
    sources: list[SourceLocation] = field(default_factory=list)  # a rewrite.* record: every line it rewrote


@dataclass
class Artifact:
    """A file the run wrote."""

    path: str
    kind: str  # onnx | onnx-external-data | json | report
    batch: int | None = None  # for static-batch files
    verified: bool | None = None


@dataclass
class WrittenFile:
    """One ONNX file the export wrote (``--static-batches`` writes several): how it was made."""

    path: str
    batch: int | None = None  # the static batch size; None for a dynamic-batch file
    exporter: str | None = None  # label of the chosen attempt, e.g. "torchscript (no rewrites)"
    choice_reason: str | None = None
    verified: bool | None = None
    nodes_exported: int | None = None
    nodes_final: int | None = None
    inputs: list[dict[str, Any]] = field(default_factory=list)  # name, shape (str dims = dynamic), dtype
    outputs: list[dict[str, Any]] = field(default_factory=list)
    verified_batches: list[int] = field(default_factory=list)
    trtexec: str | None = None


@dataclass
class Result:
    """Everything one run learned. Truthy only when a file was written and verified."""

    command: str = "export"
    model: str | None = None  # what was exported (spec or class name)
    options: dict[str, Any] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    files: list[WrittenFile] = field(default_factory=list)  # one record per written ONNX file
    notes: list[str] = field(default_factory=list)  # what the run decided for the user (dropped outputs, skipped steps)
    verification: list[VerifyRow] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    passes: list[PassRecord] = field(default_factory=list)
    artifacts: list[Artifact] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # stage failures, one line each
    seconds: float = 0.0
    steps: dict[str, float] = field(default_factory=dict)  # seconds each step took (export: each stage; doctor: each probe)

    # -- the first written file's record (the only one unless --static-batches) --
    @property
    def file(self) -> WrittenFile | None:
        return self.files[0] if self.files else None

    chosen = property(lambda self: self.file.exporter if self.file else None)
    choice_reason = property(lambda self: self.file.choice_reason if self.file else None)
    nodes_exported = property(lambda self: self.file.nodes_exported if self.file else None)
    nodes_final = property(lambda self: self.file.nodes_final if self.file else None)
    inputs = property(lambda self: self.file.inputs if self.file else [])
    outputs = property(lambda self: self.file.outputs if self.file else [])
    trtexec = property(lambda self: self.file.trtexec if self.file else None)

    # -- verdicts -----------------------------------------------------------
    @property
    def written(self) -> bool:
        return any(a.kind == "onnx" for a in self.artifacts)

    @property
    def verified(self) -> bool:
        return rows_verified(self.verification)

    def __bool__(self) -> bool:
        return self.written and self.verified and not self.errors

    def count(self, severity: str) -> int:
        return sum(f.severity == severity for f in self.findings)

    def exit_code(self) -> int:
        from .errors import ExitCode

        code = ExitCode.OK
        if self.count(Severity.ERROR):
            code |= ExitCode.FINDINGS
        if self.verification and not self.verified:
            code |= ExitCode.VERIFY_FAILED
        if self.errors and self.command == "check":  # a file among several that could not be read
            code |= ExitCode.USAGE
        elif self.errors or (self.command == "export" and not self.written):
            code |= ExitCode.STAGE_FAILED
        return int(code)

    @property
    def output_path(self) -> str | None:
        onnx_files = [a.path for a in self.artifacts if a.kind == "onnx"]
        return onnx_files[0] if onnx_files else None

    # -- serialisation ------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        data = _plain(self)
        data["attempts"] = [_attempt_dict(a) for a in self.attempts]
        data.update(
            chosen=self.chosen, choice_reason=self.choice_reason, nodes_exported=self.nodes_exported,
            nodes_final=self.nodes_final, inputs=self.inputs, outputs=self.outputs, trtexec=self.trtexec,
            schema=SCHEMA,
            ok=bool(self),
            written=self.written,
            verified=self.verified,
            exit_code=self.exit_code(),
            counts={s: self.count(s) for s in Severity.ORDER},
            versions=_versions(),
        )
        return data

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, default=str)


def _versions() -> dict[str, str | None]:
    from .versions import versions

    return versions()


FAILING_STATUSES = ("fail", "error", "unproved")


def rows_verified(rows: list[VerifyRow]) -> bool:
    """Verified: at least one row passes and none fails, errs or is unproved (a path the inputs
    never took); degenerate and non-deterministic references prove nothing either way."""
    return bool(rows) and not any(r.status in FAILING_STATUSES for r in rows) and any(r.passed for r in rows)


def _attempt_dict(attempt: Attempt) -> dict[str, Any]:
    data = {k: v for k, v in _plain(attempt).items() if k not in ("model", "raw_model")}
    data["error_findings"] = attempt.error_findings
    return data


def _plain(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            f.name: _plain(getattr(obj, f.name))
            for f in dataclasses.fields(obj)
            if f.name not in ("model", "raw_model") or isinstance(getattr(obj, f.name), (str, type(None)))
        }
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, float) and obj != obj:  # NaN is not JSON
        return None
    return obj

"""The ``Rule`` base class: one TensorRT fact, its examples, and the check.

A rule is a class with class attributes only (no state) and one ``check``
method. Most rules name the op types they inspect in ``ops`` and implement
``check_node``; rules that look at the model as a whole override ``check``.

``VALID`` / ``INVALID`` are tiny models in ONNX text (``onnx_ir.from_onnx_text``).
They are the rule's tests (tests/rules/test_rules.py) and its documentation
(docs/rules.md): every VALID example gives zero findings of the rule, every
INVALID example at least one. An example may also be a pair
``(text, check_model options)`` when the rule needs one, e.g.
``(MODEL, {"trt": "9.3"})`` or ``(MODEL, {"file_size": 3 * 2**30})``.

``references`` name the public sources of ``why`` and ``fix`` (default: the
onnx-tensorrt operator table); the catalog (:mod:`trtready.catalog`) shows them.
A rule does not name the fix that removes its findings: a fix pass declares the rule
ids it ``fixes``, and the catalog looks it up by rule id (``passes.catalog.autofix_of``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, ClassVar

import onnx_ir as ir

from ..catalog.references import ONNX_TRT_OPERATORS
from ..catalog.unit import Reference
from ..ir import source_of
from ..result import Finding, Severity

if TYPE_CHECKING:
    from .context import Context

__all__ = ["Example", "Rule", "Severity", "example_parts"]

Example = str | tuple[str, dict]


class Rule:
    """Base of every checker rule (see the module doc)."""

    id: ClassVar[str] = ""  # stable, e.g. "TRT101"
    name: ClassVar[str] = ""  # readable, "<category>.<what>", e.g. "ops.unsupported"
    severity: ClassVar[str] = Severity.ERROR  # default severity of its findings
    why: ClassVar[str] = ""  # the TensorRT fact behind the rule, with its public source
    fix: ClassVar[str] = ""  # what to change, in PyTorch terms where possible
    references: ClassVar[tuple[Reference, ...]] = (ONNX_TRT_OPERATORS,)  # public sources of why and fix
    VALID: ClassVar[list[Example]] = []
    INVALID: ClassVar[list[Example]] = []
    ops: ClassVar[tuple[str, ...]] = ()  # standard-domain op types handed to check_node

    def check(self, ctx: Context) -> Iterable[Finding]:
        for path, node in ctx.nodes_of(*self.ops):
            yield from self.check_node(ctx, path, node)

    def check_node(self, ctx: Context, path: str, node: ir.Node) -> Iterable[Finding]:
        return ()

    def finding(
        self,
        message: str,
        node: ir.Node | None = None,
        path: str | None = None,
        *,
        severity: str | None = None,
    ) -> Finding:
        """A Finding of this rule, located at ``node`` (and its PyTorch source) when given."""
        return Finding(
            rule_id=self.id,
            name=self.name,
            severity=severity or self.severity,
            message=message,
            node=(node.name or None) if node is not None else None,
            op_type=node.op_type if node is not None else None,
            graph_path=path,
            source=source_of(node) if node is not None else None,
            fix=self.fix,
            stage="check",
        )

    @classmethod
    def category(cls) -> str:
        return cls.name.split(".", 1)[0]

    @classmethod
    def summary(cls) -> str:
        """First line of the class docstring."""
        return (cls.__doc__ or "").strip().splitlines()[0] if cls.__doc__ else ""


def example_parts(example: Example) -> tuple[str, dict]:
    """``(onnx_text, check_model options)`` of a VALID/INVALID example."""
    return (example, {}) if isinstance(example, str) else (example[0], dict(example[1]))


def describe(node: ir.Node) -> str:
    """``Reshape 'name'`` or just ``Reshape`` for unnamed nodes, for messages."""
    return f"{node.op_type} '{node.name}'" if node.name else node.op_type


def input_at(node: ir.Node, index: int) -> ir.Value | None:
    return node.inputs[index] if index < len(node.inputs) else None


def output_at(node: ir.Node, index: int) -> ir.Value | None:
    return node.outputs[index] if index < len(node.outputs) else None

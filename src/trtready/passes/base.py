"""The ``FixPass`` base class: one safe ONNX rewrite, the autofix of checker rules.

A fix pass is an ``onnx_ir`` in-place pass with a little more:

* ``name`` (``fix.fold-if``), the rule ids it ``fixes`` (``("TRT303",)``) and a
  ``description``;
* ``EXAMPLES``: ONNX-text models (the INVALID examples of the rules it fixes
  are used too) on which the pass must (a) report ``modified``, (b) remove
  every finding of the rules it fixes, and (c) leave ONNX Runtime's outputs
  unchanged (tests/passes);
* every node it creates carries ``metadata_props["trtready.pass"] = name``
  (provenance: the report says which fix made which node) — use ``stamp()``;
* ``near_misses`` after a run: the places where it looked but did not rewrite, and
  why (a :class:`NearMiss` each; the passes made of rewrite rules fill it,
  ``passes.rewriting``). A finding left at such a place says that reason.

Passes never verify themselves: ``passes.runner.apply_fixes`` runs each one on
a copy, compares ONNX Runtime outputs before/after on the same inputs at two
batch sizes, and rolls the pass back when they differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import onnx_ir as ir
import onnx_ir.passes

from ..result import PassRecord

__all__ = ["PROVENANCE_KEY", "FixPass", "FixRecord", "NearMiss", "stamp"]

PROVENANCE_KEY = "trtready.pass"


class FixPass(onnx_ir.passes.InPlacePass):
    name: ClassVar[str] = ""  # "fix.<what>"
    fixes: ClassVar[tuple[str, ...]] = ()  # checker rule ids whose findings it removes
    description: ClassVar[str] = ""
    EXAMPLES: ClassVar[list[str]] = []
    # True for passes that change what the model does at *other* batch sizes (un-pinning a batch):
    # the runner then compares outputs only at batch sizes where the original model runs.
    changes_other_batches: ClassVar[bool] = False
    #: where the last run looked but did not rewrite, and why
    near_misses: tuple[NearMiss, ...] = ()

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:  # pragma: no cover - abstract
        raise NotImplementedError


@dataclass(frozen=True)
class NearMiss:
    """A place a pass looked at and did not rewrite: the nodes its pattern matched, and why its check
    refused them. ``nodes``: ``(graph path, node name, op type)`` of each matched node that a finding
    can be told to be about (a named node, or the only unnamed node of its op type in its graph)."""

    pass_name: str
    fixes: tuple[str, ...]  # the rule ids of the pass
    nodes: tuple[tuple[str, str | None, str], ...]
    reason: str

    def concerns(self, rule_id: str, graph_path: str | None, node: str | None, op_type: str | None) -> bool:
        """Whether a finding of ``rule_id`` at that node is one this near miss explains."""
        return rule_id in self.fixes and (graph_path or "main", node, op_type) in self.nodes


class FixRecord(PassRecord):
    """The record of a fix pass that ran, with where it looked and did not rewrite (``near_misses``,
    which ``fixing.explain_remaining`` reads; not a field, so not in the JSON result)."""

    near_misses: tuple[NearMiss, ...] = ()


def stamp(node: ir.Node, pass_name: str) -> ir.Node:
    """Mark ``node`` as created by ``pass_name``; returns the node."""
    node.metadata_props[PROVENANCE_KEY] = pass_name
    return node

"""The ``FixPass`` base class: one safe ONNX rewrite, the autofix of checker rules.

A fix pass is an ``onnx_ir`` in-place pass with a little more:

* ``name`` (``fix.fold-if``), the rule ids it ``fixes`` (``("TRT303",)``) and a
  ``description``;
* ``EXAMPLES``: ONNX-text models (the INVALID examples of the rules it fixes
  are used too) on which the pass must (a) report ``modified``, (b) remove
  every finding of the rules it fixes, and (c) leave ONNX Runtime's outputs
  unchanged (tests/passes);
* every node it creates carries ``metadata_props["trtready.pass"] = name``
  (provenance: the report says which fix made which node) — use ``stamp()``.

Passes never verify themselves: ``passes.runner.apply_fixes`` runs each one on
a copy, compares ONNX Runtime outputs before/after on the same inputs at two
batch sizes, and rolls the pass back when they differ.
"""

from __future__ import annotations

from typing import ClassVar

import onnx_ir as ir
import onnx_ir.passes

__all__ = ["PROVENANCE_KEY", "FixPass", "stamp"]

PROVENANCE_KEY = "trtready.pass"


class FixPass(onnx_ir.passes.InPlacePass):
    name: ClassVar[str] = ""  # "fix.<what>"
    fixes: ClassVar[tuple[str, ...]] = ()  # checker rule ids whose findings it removes
    description: ClassVar[str] = ""
    EXAMPLES: ClassVar[list[str]] = []
    # True for passes that change what the model does at *other* batch sizes (un-pinning a batch):
    # the runner then compares outputs only at batch sizes where the original model runs.
    changes_other_batches: ClassVar[bool] = False

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:  # pragma: no cover - abstract
        raise NotImplementedError


def stamp(node: ir.Node, pass_name: str) -> ir.Node:
    """Mark ``node`` as created by ``pass_name``; returns the node."""
    node.metadata_props[PROVENANCE_KEY] = pass_name
    return node

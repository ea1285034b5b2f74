"""Fix passes made of onnxscript rewrite rules (pattern, check, replacement), and the small
manager that runs them.

A :class:`RewritePass` lists its :class:`PatternRule` s for a model: an onnxscript ``RewriteRule``
whose check returns a ``MatchResult`` failed with a reason for each condition it refuses
(:func:`refuse`), and the op type its pattern ends at. :func:`apply_rules` runs them over the graph
and its subgraphs until none fires, as onnxscript's ``RewriteRuleSet`` does, except that it

* tries a rule only on the nodes of its root op type (matching stays linear and quick);
* stamps every new node with the pass (provenance); a new node named like a node it replaces
  takes that node's doc string and metadata (where in PyTorch it came from);
* keeps the file's names: new values and nodes get unique names, and nothing else is renamed
  (``RewriteRuleSet`` names every unnamed node and value of the model after a rewrite);
* removes the matched nodes a rule leaves (``remove_nodes=False``) once nothing reads them, so a
  check can refuse a match whose intermediate value is read elsewhere, with a reason, where the
  matcher would only say that it does not match.

Then :func:`near_misses` matches the rules once more on the rewritten model under a
``MatchingTracer`` that keeps every match a check refused: its nodes and its reason, which
``fixing.explain_remaining`` gives the finding left there. onnxscript is imported on first use:
the checker reads the pass classes (the catalog) and must stay light.
"""

from __future__ import annotations

import functools
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import onnx_ir as ir
import onnx_ir.passes

from ..graph.constants import STANDARD_DOMAINS
from ..graph.traversal import all_graphs, all_nodes, graph_paths
from ._graph import unique_name
from .base import FixPass, NearMiss, stamp

if TYPE_CHECKING:
    from onnxscript.rewriter.pattern import MatchResult, RewriteRule

__all__ = [
    "PatternRule",
    "RewritePass",
    "accept",
    "apply_rules",
    "near_misses",
    "nothing_to_do",
    "refuse",
    "rewrite_rule",
]

_MAX_SWEEPS = 64  # a rule that moves a node one step per sweep (a Cast up a layout chain) needs several


@dataclass(frozen=True)
class PatternRule:
    """One rewrite rule of a pass: the onnxscript rule and the op type its pattern ends at."""

    root: str
    rule: RewriteRule
    main_graph_only: bool = False  # not inside If/Loop/Scan bodies


class RewritePass(FixPass):
    """A fix pass whose work is a few rewrite rules (see the module doc)."""

    def rules(self, model: ir.Model) -> list[PatternRule]:  # pragma: no cover - abstract
        raise NotImplementedError

    def finish(self, model: ir.Model) -> None:
        """After a run that rewrote something: what the model needs besides (an opset, a domain)."""

    def call(self, model: ir.Model) -> onnx_ir.passes.PassResult:
        rules = self.rules(model)
        fired = apply_rules(model, rules, self.name)
        if fired:
            self.finish(model)
        self.near_misses = near_misses(model, rules, self)
        return onnx_ir.passes.PassResult(model, bool(fired))


def rewrite_rule(pattern: Callable, check: Callable, replacement: Callable, *, name: str, remove_nodes: bool = True):
    """An onnxscript ``RewriteRule`` (see ``onnxscript.rewriter.pattern``)."""
    from onnxscript.rewriter.pattern import RewriteRule

    return RewriteRule(pattern, replacement, check, name=name, remove_nodes=remove_nodes)


def refuse(reason: str) -> MatchResult:
    """A check's answer for a match it refuses: the reason, as a finding left there will say it."""
    from onnxscript.rewriter.pattern import MatchResult

    return MatchResult().fail(reason)


def nothing_to_do() -> MatchResult:
    """A check's answer for a match with nothing to fix (done already, a dtype TensorRT takes): no
    near miss, since no finding can be there."""
    from onnxscript.rewriter.pattern import MatchResult

    return MatchResult().fail()


def accept() -> MatchResult:
    """A check's answer for a match it accepts."""
    from onnxscript.rewriter.pattern import MatchResult

    return MatchResult()


# -- applying ----------------------------------------------------------------------------
def apply_rules(model: ir.Model, rules: Iterable[PatternRule], pass_name: str) -> int:
    """Apply ``rules`` until none fires (or ``_MAX_SWEEPS`` sweeps); returns how many rewrites."""
    by_root: dict[str, list[PatternRule]] = defaultdict(list)
    for rule in rules:
        by_root[rule.root].append(rule)
    fired, taken = 0, None
    for _ in range(_MAX_SWEEPS if by_root else 0):
        taken = taken or _Names(model.graph)
        count = sum(_try_rules(model, node, by_root[node.op_type], pass_name, taken) for node in _roots(model, by_root))
        fired += count
        if not count:
            break
    return fired


def _roots(model: ir.Model, ops: Iterable[str]) -> list[ir.Node]:
    """The standard-domain nodes of the op types ``ops``, subgraphs included, in graph order."""
    return [n for n in all_nodes(model.graph) if n.op_type in ops and n.domain in STANDARD_DOMAINS]


class _Names:
    """The value names and the node names in use (two namespaces), to name new ones uniquely."""

    def __init__(self, graph: ir.Graph) -> None:
        self.nodes = {n.name for n in all_nodes(graph) if n.name}
        self.values = {v.name for g in all_graphs(graph) for v in (*g.inputs, *g.initializers.values()) if v.name}
        self.values.update(v.name for n in all_nodes(graph) for v in n.outputs if v.name)

    def value(self, name: str) -> str:
        return unique_name(self.values, name)

    def node(self, name: str) -> str:
        return unique_name(self.nodes, name)


def _try_rules(model: ir.Model, node: ir.Node, rules: list[PatternRule], pass_name: str, taken: _Names) -> bool:
    """Rewrite at ``node`` with the first of ``rules`` that fires there."""
    for rule in rules:
        graph = node.graph
        if graph is None:  # removed by an earlier rewrite
            return False
        if rule.main_graph_only and graph is not model.graph:
            continue
        delta = rule.rule.try_rewrite(model, graph, node)
        if delta is not None:
            _replace(graph, node, delta, rule.rule.remove_nodes, pass_name, taken)
            return True
    return False


def _replace(graph: ir.Graph, root: ir.Node, delta: Any, remove_nodes: bool, pass_name: str, taken: _Names) -> None:
    from onnx_ir.convenience import replace_nodes_and_values

    matched = list(delta.match.nodes)
    kept_names = {id(v) for v in delta.new_outputs}  # they take the names of the values they replace
    for node in delta.new_nodes:
        _adopt(node, matched, taken)
        for value in node.outputs:
            if id(value) not in kept_names:
                value.name = taken.value(value.name or f"{node.name or node.op_type}_output")
        stamp(node, pass_name)
    replace_nodes_and_values(
        graph, root, matched if remove_nodes else [], delta.new_nodes, delta.match.outputs, delta.new_outputs
    )
    if not remove_nodes:
        _remove_unused(matched)


def _adopt(node: ir.Node, matched: list[ir.Node], taken: _Names) -> None:
    """A new node named like a matched node of its op type stands for it: its doc string and
    metadata (PyTorch source) carry over. Any other name is made unique."""
    same = next((m for m in matched if node.name and m.name == node.name and m.op_type == node.op_type), None)
    if same is None:
        node.name = taken.node(node.name) if node.name else None
        return
    node.doc_string = same.doc_string
    node.metadata_props.update(same.metadata_props)


def _remove_unused(nodes: list[ir.Node]) -> None:
    """Remove those of ``nodes`` whose outputs nothing reads any more (until none is left to remove)."""
    left = [n for n in nodes if n.graph is not None]
    while True:
        unused = [n for n in left if not any(v.uses() or v.is_graph_output() for v in n.outputs)]
        if not unused:
            return
        for node in unused:
            node.graph.remove(node, safe=True)
        left = [n for n in left if n.graph is not None]


# -- near misses ---------------------------------------------------------------------------
def near_misses(model: ir.Model, rules: Iterable[PatternRule], fix: FixPass) -> tuple[NearMiss, ...]:
    """Where a pattern of ``rules`` matches in ``model`` but its check refuses, and why."""
    rules = list(rules)
    tracer = _refusal_tracer()()
    for node in _roots(model, {rule.root for rule in rules}):
        for rule in rules:
            if rule.root == node.op_type and not (rule.main_graph_only and node.graph is not model.graph):
                rule.rule.match(
                    model, node.graph, node, check_nodes_are_removable=rule.rule.remove_nodes, tracer=tracer
                )
    if not tracer.refused:
        return ()
    where = _Places(model)
    found = (NearMiss(fix.name, tuple(fix.fixes), where.keys(nodes), reason) for nodes, reason in tracer.refused)
    return tuple(dict.fromkeys(miss for miss in found if miss.nodes))


class _Places:
    """``(graph path, name, op type)`` keys of nodes, for the nodes a finding can be told to be about."""

    def __init__(self, model: ir.Model) -> None:
        self._paths = graph_paths(model.graph)
        self._unnamed = Counter((n.graph, n.op_type) for n in all_nodes(model.graph) if not n.name)

    def keys(self, nodes: Iterable[ir.Node]) -> tuple[tuple[str, str | None, str], ...]:
        return tuple(
            (self._paths.get(n.graph, "main"), n.name or None, n.op_type)
            for n in nodes
            if n.name or self._unnamed[n.graph, n.op_type] == 1
        )


@functools.cache
def _refusal_tracer() -> type:
    from onnxscript.rewriter.pattern import MatchingTracer, MatchStatus

    class RefusalTracer(MatchingTracer):
        """Keeps every match a rule's check refused, with its nodes and reason (onnxscript's own
        tracer keeps only the best-scoring matches of each rule)."""

        def __init__(self) -> None:
            super().__init__()
            self.refused: list[tuple[tuple[ir.Node, ...], str]] = []

        def log(self, rule, container, node, match_result, status) -> None:
            if status == MatchStatus.CONDITION_FAILED and match_result.reason:
                self.refused.append((tuple(match_result.nodes), match_result.reason))

    return RefusalTracer

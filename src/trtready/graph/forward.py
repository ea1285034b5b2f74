"""Memoised forward analyses: a fact per value, combined from the facts of its producer's inputs.

A fact is found on first question and kept. The walk recurses while it is shallow (the usual cone
of a shape input) and carries on with an explicit stack past :data:`RECURSION_DEPTH` values, so a
graph deeper than Python's stack is answered too, in time linear in what it looks at; a value met
again while its own fact is being found (a cycle, in a malformed graph) counts as ``cycle_fact``.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import onnx_ir as ir

__all__ = ["RECURSION_DEPTH", "ForwardAnalysis"]

Fact = TypeVar("Fact")
UNKNOWN = object()  # no fact yet (a fact may be False or 0)
RECURSION_DEPTH = 64  # values found recursively at once before the explicit stack takes over


class ForwardAnalysis(Generic[Fact]):
    """Memoised fact per value: a leaf fact, or one combined from the producer's inputs."""

    cycle_fact: Fact

    def __init__(self) -> None:
        self._facts: dict[ir.Value, Fact] = {}

    def leaf(self, value: ir.Value, node: ir.Node | None) -> Fact | None:
        """The fact when it does not depend on the producer's inputs, else None."""
        raise NotImplementedError

    def combine(self, node: ir.Node, facts: list[Fact]) -> Fact:
        raise NotImplementedError

    def dependencies(self, node: ir.Node) -> list[ir.Value]:
        """The values whose facts ``combine`` reads: the node's inputs (a subclass may add more)."""
        return [v for v in node.inputs if v is not None]

    def __call__(self, value: ir.Value) -> Fact:
        fact = self._facts.get(value, UNKNOWN)
        return fact if fact is not UNKNOWN else self._find(value, set())

    def _find(self, value: ir.Value, open_values: set[ir.Value]) -> Fact:
        """``value``'s fact, found recursively while the walk is shallow (the usual cone of a shape
        input), then with :meth:`_walk`'s explicit stack (a graph deeper than Python's stack)."""
        facts = self._facts
        node = value.producer()
        fact = self.leaf(value, node)
        if fact is None:
            if len(open_values) >= RECURSION_DEPTH:
                return self._walk(value, node)
            open_values.add(value)
            needed = self.dependencies(node)
            found = []
            for v in needed:
                known = facts.get(v, UNKNOWN)
                if known is UNKNOWN:
                    known = self.cycle_fact if v in open_values else self._find(v, open_values)
                found.append(known)
            open_values.discard(value)
            fact = self.combine(node, found)
        facts[value] = fact
        return fact

    def _walk(self, value: ir.Value, node: ir.Node) -> Fact:
        """Combine the facts of everything ``value`` depends on, depth first with an explicit stack.
        A value met again while its own facts are being found (a cycle) counts as ``cycle_fact``."""
        facts, leaf, dependencies = self._facts, self.leaf, self.dependencies
        frames = [[value, node, dependencies(node), 0]]  # value, producer, what it needs, next to look at
        open_values = {value}
        while frames:
            frame = frames[-1]
            needed = frame[2]
            while frame[3] < len(needed):
                current = needed[frame[3]]
                frame[3] += 1
                if current in facts or current in open_values:
                    continue
                producer = current.producer()
                fact = leaf(current, producer)
                if fact is not None:
                    facts[current] = fact
                    continue
                frames.append([current, producer, dependencies(producer), 0])
                open_values.add(current)
                break
            else:
                facts[frame[0]] = self.combine(frame[1], [facts.get(v, self.cycle_fact) for v in needed])
                open_values.discard(frame[0])
                frames.pop()
        return facts[value]

"""Reading node attributes: one reader per kind, each with a default for a missing attribute."""

from __future__ import annotations

from typing import TypeVar

import onnx_ir as ir

__all__ = ["attribute", "float_attr", "int_attr", "ints_attr", "str_attr"]

T = TypeVar("T")


def attribute(node: ir.Node, name: str) -> ir.Attr | None:
    """``node.attributes.get(name)``, ten times cheaper for a missing attribute (onnx_ir's mapping
    raises and catches a KeyError then): the rules ask every Reshape for its ``allowzero``."""
    attributes = node.attributes
    return attributes.get(name) if name in attributes else None


def int_attr(node: ir.Node, name: str, default: T) -> int | T:
    """An INT attribute (a bool flag, an axis), or ``default`` when the node has none."""
    attr = attribute(node, name)
    return default if attr is None else int(attr.value)


def float_attr(node: ir.Node, name: str, default: T) -> float | T:
    """A FLOAT attribute (``epsilon``, ``alpha``), or ``default`` when the node has none."""
    attr = attribute(node, name)
    return default if attr is None else float(attr.value)


def str_attr(node: ir.Node, name: str, default: T) -> str | T:
    """A STRING attribute (``mode``, ``reduction``), or ``default`` when the node has none."""
    attr = attribute(node, name)
    return default if attr is None else str(attr.value)


def ints_attr(node: ir.Node, name: str, default: T = None) -> list[int] | T:
    """An INTS attribute (``perm``, ``axes``) as a list, or ``default`` when the node has none."""
    attr = attribute(node, name)
    return default if attr is None else [int(v) for v in attr.value]

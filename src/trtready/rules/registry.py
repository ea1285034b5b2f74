"""Finding the rules: every ``Rule`` subclass in the modules of ``rules/<category>/``.

A rule is registered by existing: drop a module with one ``Rule`` subclass into a
category package (a sub-package of ``trtready.rules``) and it is picked up.
"""

from __future__ import annotations

import functools
import importlib
import pkgutil

from ..errors import InternalError, UserError
from .base import Rule

__all__ = ["all_rules", "select_rules"]


@functools.cache
def all_rules() -> dict[str, type[Rule]]:
    """Every rule class by id, sorted by id."""
    found: dict[str, type[Rule]] = {}
    names: dict[str, str] = {}
    for cls in _discover():
        if cls.id in found or cls.name in names:
            raise InternalError(f"duplicate rule id or name: {cls.id} {cls.name}")
        found[cls.id] = cls
        names[cls.name] = cls.id
    return dict(sorted(found.items()))


def _discover() -> list[type[Rule]]:
    package = importlib.import_module(__package__)
    classes = []
    for category in pkgutil.iter_modules(package.__path__):
        if not category.ispkg:
            continue
        category_pkg = importlib.import_module(f"{__package__}.{category.name}")
        for module_info in pkgutil.iter_modules(category_pkg.__path__):
            module = importlib.import_module(f"{category_pkg.__name__}.{module_info.name}")
            classes.extend(
                obj
                for obj in vars(module).values()
                if isinstance(obj, type) and issubclass(obj, Rule) and obj.id and obj.__module__ == module.__name__
            )
    return classes


def select_rules(select=None, ignore=None) -> list[type[Rule]]:
    """Rules matching ``select`` (all when None) minus those matching ``ignore``.

    A selector is an id ("TRT101"), a name ("ops.unsupported") or a prefix of
    either ("TRT1", "dtype."). Ids are case-insensitive. A selector that matches
    no rule is a UserError.
    """
    rules = list(all_rules().values())
    chosen = rules if select is None else _matching(rules, _as_list(select))
    dropped = set() if ignore is None else set(_matching(rules, _as_list(ignore)))
    return [r for r in chosen if r not in dropped]


def _as_list(selectors) -> list[str]:
    if isinstance(selectors, str):
        return [s for s in selectors.split(",") if s.strip()]
    return list(selectors)


def _matching(rules: list[type[Rule]], selectors: list[str]) -> list[type[Rule]]:
    matched: list[type[Rule]] = []
    for selector in selectors:
        hits = [r for r in rules if _matches(r, selector.strip())]
        if not hits:
            raise UserError(f"no rule matches '{selector}'", hint="use a rule id (TRT101), name (ops.unsupported) or prefix (TRT1, dtype.)")
        matched.extend(r for r in hits if r not in matched)
    return [r for r in rules if r in matched]


def _matches(rule: type[Rule], selector: str) -> bool:
    return rule.id.upper().startswith(selector.upper()) or rule.name.startswith(selector)

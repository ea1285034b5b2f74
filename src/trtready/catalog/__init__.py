"""One catalog of every code trtready can print: checker rules (TRT*), doctor checks
(DOC*), verification findings (VER*), torch-level rewrites (R0xx) and ONNX fixes (fix.*).

>>> unit = find_unit("r003")          # by id or name, any case
>>> unit.why, unit.fix, unit.references

``trtready rules`` lists the catalog, ``trtready explain CODE`` shows one unit,
SARIF reports declare their rules from it and docs/rules.md is generated from it.
Building it imports neither torch nor anything that does.
"""

from __future__ import annotations

import difflib
import functools

from ..errors import UserError
from .unit import KINDS, Example, Kind, Reference, Unit

__all__ = [
    "KINDS",
    "Example",
    "Kind",
    "Reference",
    "Unit",
    "all_units",
    "find_unit",
    "related_units",
    "unit_of",
    "units_of_kind",
]


@functools.cache
def all_units() -> tuple[Unit, ...]:
    """Every unit, grouped by kind (rules, doctor, verify, rewrites, fixes)."""
    from .sources import collect

    return tuple(collect())


def units_of_kind(*kinds: str) -> tuple[Unit, ...]:
    return tuple(u for u in all_units() if u.kind in kinds)


@functools.cache
def _index() -> dict[str, Unit]:
    return {key.lower(): unit for unit in all_units() for key in unit.keys()}


_PREFIXES = ("", "rewrite.", "fix.")  # rewrites and fixes are often named without theirs


def unit_of(code: str) -> Unit | None:
    """The unit with this id or name (any case; ``unpin-batch`` for ``fix.unpin-batch``), or None."""
    key = code.strip().lower()
    return next((_index()[p + key] for p in _PREFIXES if p + key in _index()), None)


def find_unit(code: str) -> Unit:
    """The unit with this id or name (any case); a UserError naming close matches otherwise."""
    unit = unit_of(code)
    if unit is not None:
        return unit
    close = difflib.get_close_matches(code.strip().lower(), list(_index()), n=3, cutoff=0.5)
    shown = dict.fromkeys(_spelled(key) for key in close)
    hint = f"did you mean {', '.join(shown)}?" if shown else "`trtready rules` lists every code"
    raise UserError(f"unknown code '{code}'", hint=hint)


#: The details that name other codes: a rule's autofix, the findings a fix removes, the advice a rewrite carries out.
_LINKS = ("autofix", "fixes", "carries out the advice of")


def related_units(unit: Unit) -> tuple[Unit, ...]:
    """The units ``unit`` names in its details and those that name it (the fixes and rewrites that act
    on a finding, the findings a fix or rewrite acts on), in catalog order."""

    def named(other: Unit) -> set[str]:
        return {code.strip() for key, value in other.details if key in _LINKS for code in value.split(",")}

    mine = named(unit)
    return tuple(u for u in all_units() if u is not unit and (u.id in mine or unit.id in named(u)))


def _spelled(key: str) -> str:
    """An index key as the catalog spells it (ids upper-case, names as they are)."""
    unit = _index()[key]
    return unit.id if key == unit.id.lower() else unit.name

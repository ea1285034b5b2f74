"""``--select`` / ``--ignore`` selectors over every code a trtready command can report.

Codes come from the one catalog (:mod:`trtready.catalog`, which imports no torch):
the checker's rules (``TRT101``, names like ``ops.unsupported``), the doctor's checks
(``DOC101``), verification findings (``VER001``), torch-level rewrites (``R006``,
``rewrite.bool-index-long``) and ONNX-level fixes (``fix.unpin-batch``). A selector
is a code, a name, or a prefix of either (``TRT2``, ``DOC``, ``dtype.``),
case-insensitive, as in ruff.
"""

from __future__ import annotations

import difflib

from .errors import UserError

__all__ = ["all_codes", "check_selector", "matches"]


def matches(selector: str, code: str, name: str | None = None) -> bool:
    """``selector`` is ``code`` or ``name``, or a prefix of either (case-insensitive)."""
    key = selector.strip().lower()
    return bool(key) and (code.lower().startswith(key) or bool(name and name.lower().startswith(key)))


def check_selector(selector: str) -> None:
    """Raise a one-line :class:`UserError` with the closest codes when ``selector`` matches no code."""
    codes = all_codes()
    if any(matches(selector, code, name) for code, name in codes.items()):
        return
    known = [*codes, *dict.fromkeys(codes.values())]
    close = difflib.get_close_matches(selector.strip(), known, n=3, cutoff=0.5)
    close = close or difflib.get_close_matches(selector.strip().upper(), list(codes), n=3, cutoff=0.5)
    hint = (
        f"did you mean {', '.join(close)}?"
        if close
        else "use a code (TRT101, DOC301, VER001, R006), a name or a prefix (TRT2, DOC, dtype.); `trtready rules` lists them"
    )
    raise UserError(f"no code matches '{selector}'", hint=hint)


def all_codes() -> dict[str, str]:
    """Every code trtready can print: id -> name."""
    from .catalog import all_units

    return {unit.id: unit.name for unit in all_units()}

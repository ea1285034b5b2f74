"""ONNX-level fixes: one pass per module (the autofixes of checker rules), applied by
``runner.apply_fixes`` which proves each one with ONNX Runtime or rolls it back.

>>> model, records = apply_fixes(model, default_passes(export_batch=2), feeds)
"""

from __future__ import annotations

import inspect

from .base import PROVENANCE_KEY, FixPass, stamp
from .feeds import feeds_for_model

__all__ = ["PROVENANCE_KEY", "FixPass", "apply_fixes", "default_passes", "feeds_for_model", "stamp"]


def default_passes(*, skip=(), **options) -> list[FixPass]:
    """Every pass, in order, built with the ``options`` its constructor takes (e.g. ``export_batch``).

    ``skip``: pass names (``fix.fold-if``) to leave out.
    """
    from .catalog import ALL_PASSES

    passes = []
    for cls in ALL_PASSES:
        if cls.name in skip:
            continue
        accepted = inspect.signature(cls.__init__).parameters
        passes.append(cls(**{k: v for k, v in options.items() if k in accepted}))
    return passes


def __getattr__(name: str):
    """``apply_fixes`` on first use: the runner needs ONNX Runtime, which whoever only reads the
    passes (the catalog, for ``trtready rules`` and SARIF reports of a check) never does."""
    if name == "apply_fixes":
        from .runner import apply_fixes

        return apply_fixes
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

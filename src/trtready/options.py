"""Typed, frozen, self-validating options for ``trtready.export``.

Each part checks itself where it is made, so a bad value fails before any work
starts, with one line and a hint (:class:`~trtready.errors.UserError`), and every
layer reads attributes instead of string keys. ``ExportOptions.summary()`` is the
plain view kept in ``Result.options`` for reports and JSON.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from .errors import UserError

__all__ = [
    "EXPORTERS",
    "FAIL_ON",
    "BatchPolicy",
    "CodeSelection",
    "ExportOptions",
    "FixSelection",
    "RewriteSelection",
    "Tolerance",
    "unknown_name",
]

EXPORTERS = ("auto", "torchscript", "dynamo")


def unknown_name(kind: str, name: str, known: Iterable[str]) -> UserError:
    """``unknown pass 'fix.alowzero'`` with the closest known names as the hint."""
    known = list(known)
    close = difflib.get_close_matches(name, known, n=3, cutoff=0.5)
    hint = f"did you mean {', '.join(close)}?" if close else f"choose from {', '.join(known)}"
    return UserError(f"unknown {kind} '{name}'", hint=hint)


@dataclass(frozen=True)
class Tolerance:
    """Verification tolerances (see :mod:`trtready.verify`)."""

    atol: float = 1e-4
    rtol: float = 1e-3

    def __post_init__(self) -> None:
        for name in ("atol", "rtol"):
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or not 0 <= value < float("inf"):
                raise UserError(f"{name} must be a finite number >= 0, got {value!r}")


@dataclass(frozen=True)
class BatchPolicy:
    """Which axis is the batch, whether it stays dynamic, and the sizes to write and verify."""

    dynamic: bool = True
    dim: int = 0
    static_sizes: tuple[int, ...] = ()  # one static file per size instead of one dynamic file
    verify_sizes: tuple[int, ...] = ()  # empty: the export batch, 1 and an odd size above

    def __post_init__(self) -> None:
        if not isinstance(self.dim, int) or self.dim < 0:
            raise UserError(f"batch_dim must be an integer >= 0, got {self.dim!r}")
        for label, sizes in (("static batch", self.static_sizes), ("verify batch", self.verify_sizes)):
            if any(not isinstance(s, int) or s < 1 for s in sizes):
                raise UserError(f"{label} sizes must be integers >= 1, got {list(sizes)}")
        if self.static_sizes:
            object.__setattr__(self, "dynamic", False)


@dataclass(frozen=True)
class RewriteSelection:
    """Torch-level rewrites: on or off, ids or names disabled, opt-in ones enabled."""

    enabled: bool = True
    disabled: tuple[str, ...] = ()
    opt_in: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from .rewrites import select_rewrites

        select_rewrites(disabled=self.disabled, opt_in=self.opt_in)  # unknown ids raise here

    def for_child(self) -> dict | None:
        """What the exporter child needs (``None``: no rewrites)."""
        return {"disabled": self.disabled, "opt_in": self.opt_in} if self.enabled else None

    def without(self, *ids: str) -> RewriteSelection:
        return RewriteSelection(self.enabled, tuple(dict.fromkeys(self.disabled + ids)), self.opt_in)


@dataclass(frozen=True)
class FixSelection:
    """ONNX-level fixes: on or off, and the passes to skip (validated names)."""

    enabled: bool = True
    skip: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from .exporters.retrace import PASS_NAME as RETRACE_PASS
        from .passes.catalog import ALL_PASSES

        known = [p.name for p in ALL_PASSES] + [RETRACE_PASS]
        for name in self.skip:
            if name not in known:
                raise unknown_name("fix", name, known)


FAIL_ON = ("error", "warning")  # --fail-on: the least severe finding that fails the run


@dataclass(frozen=True)
class CodeSelection:
    """``--select`` / ``--ignore``: which findings a report keeps, by code, name or prefix of either.

    ``select`` empty keeps every code; ``ignore`` wins over ``select``. A selector that
    matches no code trtready knows is refused with the closest codes.
    """

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        from .codes import check_selector

        for label in ("select", "ignore"):
            selectors = tuple(dict.fromkeys(_split(getattr(self, label))))
            object.__setattr__(self, label, selectors)
            for selector in selectors:
                check_selector(selector)

    @classmethod
    def parse(cls, select=None, ignore=None) -> CodeSelection:
        """From ``--select``/``--ignore`` values: None, a comma-separated string, or a list of them."""
        return cls(tuple(_split(select)), tuple(_split(ignore)))

    @property
    def active(self) -> bool:
        return bool(self.select or self.ignore)

    def keeps(self, code: str, name: str | None = None) -> bool:
        from .codes import matches

        chosen = not self.select or any(matches(s, code, name) for s in self.select)
        return chosen and not any(matches(s, code, name) for s in self.ignore)

    def apply(self, findings: list) -> list:
        """The findings (anything with ``rule_id`` and ``name``) this selection keeps, in order."""
        return [f for f in findings if self.keeps(f.rule_id, f.name)]


def _split(values) -> list[str]:
    if values is None:
        return []
    items = [values] if isinstance(values, str) else list(values)
    return [part.strip() for item in items for part in item.split(",") if part.strip()]


NMS_MODES = ("onnx", "plugin")


@dataclass(frozen=True)
class DetectionOptions:
    """How a detector's post-processing is exported (see :mod:`trtready.detection`)."""

    max_detections: int | None = None  # K rows per image; None: the model's own detections per image
    nms: str = "onnx"  # "onnx": NonMaxSuppression + TopK; "plugin": NVIDIA's EfficientNMS_TRT plugin

    def __post_init__(self) -> None:
        from .detection.limits import TOPK_LIMIT

        if self.nms not in NMS_MODES:
            raise unknown_name("NMS mode", self.nms, NMS_MODES)
        k = self.max_detections
        if k is not None and (not isinstance(k, int) or not 1 <= k < TOPK_LIMIT):
            raise UserError(f"--detections {k} is outside 1..{TOPK_LIMIT - 1}",
                            hint=f"TensorRT's TopK takes K < {TOPK_LIMIT} (onnx-tensorrt's operator docs)")  # fmt: skip

    @property
    def asked(self) -> bool:
        """Whether the user asked for anything detection-specific."""
        return self.max_detections is not None or self.nms != "onnx"


@dataclass(frozen=True)
class ExportOptions:
    """Everything ``trtready.export`` was asked to do."""

    exporter: str = "auto"
    opset: int | None = None  # None: 18, or the newest the TensorRT release's parser reads
    batch: BatchPolicy = field(default_factory=BatchPolicy)
    tolerance: Tolerance = field(default_factory=Tolerance)
    rewrites: RewriteSelection = field(default_factory=RewriteSelection)
    fixes: FixSelection = field(default_factory=FixSelection)
    verify: bool = True
    diagnose: bool = True
    trt: str = ""  # the TensorRT release asked for ("" = newest); `release` is the table it is read against
    plugins: dict = field(default_factory=dict, compare=False)  # submodule path -> PluginSpec
    detection: DetectionOptions = field(default_factory=DetectionOptions)

    def __post_init__(self) -> None:
        from .trt_ops import DEFAULT_OPSET

        if self.exporter not in EXPORTERS:
            raise unknown_name("exporter", self.exporter, EXPORTERS)
        release = self.release  # validates the text
        if self.opset is None:
            object.__setattr__(self, "opset", release.export_opset)
        if not isinstance(self.opset, int) or not 9 <= self.opset <= 23:
            raise UserError(f"opset {self.opset} is outside what the exporters support", hint=f"use 17 to 20; default {DEFAULT_OPSET}")
        if self.opset > release.opset_range[1]:
            raise UserError(
                f"opset {self.opset} is newer than TensorRT {release.version}'s ONNX parser reads (up to {release.opset_range[1]})",
                hint=f"leave --opset out (trtready then exports with opset {release.export_opset}) or choose {release.opset_range[1]} or lower",
            )  # fmt: skip

    @property
    def release(self):
        """The TensorRT parser table ``trt`` is read against (see ``trt_ops.load_release``)."""
        from .trt_ops import load_release

        return load_release(self.trt or None)

    @property
    def verifies(self) -> bool:
        """Verification runs unless turned off or impossible (ONNX Runtime cannot run plugin nodes)."""
        return self.verify and not self.plugins

    def summary(self) -> dict:
        """The plain view kept in ``Result.options``."""
        return {
            "exporter": self.exporter, "opset": self.opset, "dynamic_batch": self.batch.dynamic,
            "batch_dim": self.batch.dim, "verify": self.verifies, "fix": self.fixes.enabled,
            "skip_fixes": list(self.fixes.skip), "atol": self.tolerance.atol, "rtol": self.tolerance.rtol,
            "trt": self.release.version, "rewrites": self.rewrites.for_child(), "diagnose": self.diagnose,
            "plugins": {path: spec.name for path, spec in self.plugins.items()},
            "detections": self.detection.max_detections, "nms": self.detection.nms,
        }  # fmt: skip

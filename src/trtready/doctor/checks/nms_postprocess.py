"""DOC303: detection post-processing that calls torchvision's NMS per image or on boolean-masked candidates."""

from __future__ import annotations

import ast
import functools
import linecache
import os
from dataclasses import dataclass

from ...catalog import references as refs
from ...result import Severity
from ..evidence import Evidence, NmsCall
from ..source import Site
from .base import Check

REWRITE = (
    "Batch the post-processing and call trtready.detection.nms_fixed once for the whole batch, with masks instead "
    "of boolean indexing and K rows per image. For `batched_nms(boxes, scores, labels, iou)` on candidates "
    "`boxes [B, N, 4]`, `scores [B, N]`, `labels [B, N]`: `by_class = labels.unsqueeze(1) == "
    "torch.arange(C).view(1, -1, 1)`; `num, boxes, scores, labels = nms_fixed(boxes, scores.unsqueeze(1).expand(-1, C, -1), "
    "iou_threshold={iou}, score_threshold=thr, max_detections=K, valid=by_class & (scores > thr).unsqueeze(1))` gives "
    "`[B]`, `[B, K, 4]`, `[B, K]`, `[B, K]`, rows past `num` padded (labels -1): return these instead of a list per "
    "image. A top-k before the NMS stays a top-k of masked scores: `torch.where(s > thr, s, -1.0).topk(k, dim=1)` "
    "instead of `s[s > thr].topk(min(k, n))`; `boxes[i, j]` from `torch.where(mask)` becomes a `gather`. The NMS "
    "exports as ONNX NonMaxSuppression and TopK, which TensorRT's parser maps to its own layers, or as NVIDIA's "
    "EfficientNMS_TRT plugin with `plugin=True`."
)


@dataclass(frozen=True)
class Loop:
    site: Site
    header: str


class NmsPostprocess(Check):
    id = "DOC303"
    name = "doctor.nms-postprocess"
    severity = Severity.ERROR
    references = (refs.ONNX_TRT_OPERATORS, refs.EFFICIENT_NMS_PLUGIN, refs.guidance("Parallelizable For Loops", "parallelizable-for-loops"),
                  refs.TORCH_EXPORT)  # fmt: skip
    why = ("Detection post-processing written image by image (a Python loop over the batch around "
           "torchvision.ops.batched_nms or nms) cannot keep a dynamic batch: the TorchScript trace unrolls the loop "
           "for the example's batch size, and torch.export cannot iterate over a symbolic batch. Thresholding by "
           "boolean-mask indexing (`scores[scores > thr]`, `torch.where(mask)`) before the NMS, and the NMS itself, "
           "give results whose length depends on the data: ONNX NonZero and outputs of unknown size, where TensorRT "
           "deployments expect fixed-size detections (a count per image and K padded rows).")
    fix = REWRITE.replace("{iou}", "iou")
    supersedes = ("DOC202",)  # torch.export's data-dependent guard inside the NMS call: this finding explains it

    def run(self, evidence: Evidence):
        return [self._finding(call, evidence) for call in evidence.eager.nms]

    def _finding(self, call: NmsCall, evidence: Evidence):
        site = call.stack[0]
        loops = _loops(call.stack)
        per_image = _per_image(call)
        parts = [f"{call.api} " + (_per_image_text(call, loops, site) if per_image else _other_text(call, loops, site))]
        if call.length_from is not None:
            parts.append(f"its candidates come from {call.length_how} at {_where(call.length_from, site)}, so their "
                         "count depends on the data")  # fmt: skip
        parts.append("what it keeps has a data-dependent length, so the detections have no fixed size")
        parts.append(_export_note(evidence, call))
        iou = f"{call.iou_threshold:g}" if call.iou_threshold is not None else "iou"
        return self.finding("; ".join(parts), site, severity=Severity.ERROR if per_image else Severity.WARNING,
                            fix=REWRITE.replace("{iou}", iou))  # fmt: skip


def _per_image(call: NmsCall) -> bool:
    """The call count grows with the batch size."""
    runs = sorted(call.calls)
    return len(runs) >= 2 and runs[-1][0] > runs[0][0] and runs[-1][1] > runs[0][1]


def _counts(call: NmsCall) -> str:
    return ", ".join(f"{n} call{'s' if n != 1 else ''} at batch {b}" for b, n in sorted(call.calls))


def _per_image_text(call: NmsCall, loops: list[Loop], site: Site) -> str:
    loop = loops[-1] if loops else None  # the outermost: the loop over the images
    where = f" in the Python loop at {_where(loop.site, site)} (`{loop.header}`)" if loop else ""
    return (f"runs once per image ({_counts(call)}){where}: the TorchScript trace unrolls it for the example's "
            "batch size and torch.export cannot iterate over a symbolic batch, so the batch cannot stay dynamic")


def _other_text(call: NmsCall, loops: list[Loop], site: Site) -> str:
    counts = f" ({_counts(call)})" if call.calls else ""
    same = ", the same number of times whatever the batch size: the batch can stay dynamic" if len(call.calls) >= 2 else ""
    if loops:
        return f"runs in the Python loop at {_where(loops[0].site, site)} (`{loops[0].header}`){counts}{same}"
    return f"is called here{counts}{same}"


def _export_note(evidence: Evidence, call: NmsCall) -> str:
    ex = evidence.export
    if ex.ok and not ex.static_ok:
        return "torch.export exporter: captures it, with outputs of data-dependent size"
    if ex.error_kind == "specialized":
        return "torch.export exporter: specializes the batch to the example's size"
    if not ex.error:
        return "torch.export exporter: not checked"
    site = ex.error_site
    if site is None:
        return f"torch.export exporter: capture fails ({ex.error})"
    if site.key() in {s.key() for s in call.stack} or _in_torchvision(site.file):
        return f"torch.export exporter: fails in this call ({ex.error})"
    return f"torch.export exporter: capture stops at {_where(site, call.stack[0])} ({ex.error})"


def _in_torchvision(file: str) -> bool:
    return f"{os.sep}torchvision{os.sep}" in os.path.abspath(file)


def _where(place: Site, here: Site) -> str:
    """``line N``, with the file's name when it is not the file of ``here``."""
    if os.path.abspath(place.file) == os.path.abspath(here.file):
        return f"line {place.line}"
    return f"{os.path.basename(place.file)}:{place.line}"


# -- the loops around a call, from the source ---------------------------------------------------------------------


def _loops(stack: tuple[Site, ...]) -> list[Loop]:
    """The Python loops around the call, innermost first, through the user's calling frames."""
    found: dict[tuple, Loop] = {}
    for site in stack:
        for node in _enclosing_loops(site):
            key = (site.file, node.lineno)
            found.setdefault(key, Loop(Site(site.file, node.lineno, site.function), _header(node)))
    return list(found.values())


def _enclosing_loops(site: Site) -> list[ast.AST]:
    tree = _parse(site.file)
    function = _function_at(tree, site) if tree is not None else None
    if function is None:
        return []
    loops = [node for node in ast.walk(function) if _loop_around(node, site.line)]
    return sorted(loops, key=lambda n: (n.lineno, n.col_offset), reverse=True)


def _header(node: ast.AST) -> str:
    """``for i in range(n)``, ``while cond``: the loop's header without its body or comments."""
    if isinstance(node, ast.While):
        return f"while {ast.unparse(node.test)}"
    loop = node if isinstance(node, (ast.For, ast.AsyncFor)) else node.generators[0]
    return f"for {ast.unparse(loop.target)} in {ast.unparse(loop.iter)}"


def _loop_around(node: ast.AST, line: int) -> bool:
    if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
        return node.body[0].lineno <= line <= node.body[-1].end_lineno
    if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
        return node.lineno <= line <= node.end_lineno
    return False


def _function_at(tree: ast.AST, site: Site) -> ast.AST | None:
    """The innermost function definition holding the site's line (a comprehension's frame: its function)."""
    functions = [node for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                 and node.lineno <= site.line <= node.end_lineno]  # fmt: skip
    return max(functions, key=lambda node: node.lineno, default=None)


def _parse(file: str) -> ast.AST | None:
    try:
        return _parsed(file, os.path.getmtime(file))
    except OSError:
        return None


@functools.lru_cache(maxsize=32)
def _parsed(file: str, _mtime: float) -> ast.AST | None:
    try:
        return ast.parse("".join(linecache.getlines(file)), filename=file)
    except (SyntaxError, ValueError):
        return None

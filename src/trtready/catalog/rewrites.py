"""The torch-level rewrites, declared without torch: what each replaces, why, and its limits.

Each ``rewrites/<name>.py`` class points at its spec (``spec = REWRITES["R001"]``)
and takes ``id``, ``name``, ``why``, ``exact``, ``opt_in``, ``caveat`` and
``removes`` from it, so ``trtready rules`` / ``trtready explain R003`` read them
here without importing torch (the rewrite modules do).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import references as refs
from .unit import Example, Kind, Reference, Unit

__all__ = ["REWRITES", "RewriteSpec"]


@dataclass(frozen=True)
class RewriteSpec:
    """One rewrite's declaration; ``unit()`` is its catalog entry."""

    id: str  # R001
    name: str  # rewrite.unique-sort
    replaces: str  # what the user wrote: "torch.unique (sorted, dim=None)"
    why: str
    before: str  # Python the user wrote
    after: str  # what the rewrite computes instead (Python)
    references: tuple[Reference, ...]
    exact: bool = True  # same values on every input, inf and nan included
    opt_in: bool = False  # off unless asked for by id or name
    caveat: str = ""  # how it differs when not exact, or what it leaves as it was
    removes: tuple[str, ...] = ()  # ONNX op types the original exports to that the rewrite keeps out
    # checker rules whose advice the rewrite carries out: a finding of one of them at a line the
    # rewrite fired at is its residue, and gets ``remains`` as advice instead of the rule's own fix
    addresses: tuple[str, ...] = ()
    remains: str = ""

    def unit(self) -> Unit:
        return Unit(
            id=self.id, name=self.name, kind=Kind.REWRITE, severity="info",
            summary=f"{self.replaces}: {self.why.split(';')[0].rstrip('.')}.",
            why=self.why + (f" Limits: {self.caveat}" if self.caveat else ""),
            fix=self._switch(),
            examples=(Example("In PyTorch", self.before, "python"), Example("Exported as", self.after, "python")),
            references=self.references,
            details=(("replaces", self.replaces), ("exact", "yes" if self.exact else "no"),
                     ("opt-in", "yes" if self.opt_in else "no"),
                     *((("keeps out of the graph", ", ".join(self.removes)),) if self.removes else ()),
                     *((("carries out the advice of", ", ".join(self.addresses)),) if self.addresses else ()),
                     *((("what remains to do", self.remains),) if self.remains else ())),
        )  # fmt: skip

    def _switch(self) -> str:
        if self.opt_in:
            return (f"Off by default: turn it on with `trtready export --enable-rewrite {self.id}` "
                    f"(API: export(..., enable_rewrites=['{self.id}'])), or write the replacement in your code.")
        return (f"On by default while exporting; the report names the Python line it rewrote. Leave it out with "
                f"`trtready export --disable-rewrite {self.id}` (or --no-rewrites for all).")  # fmt: skip


_SQUEEZE = refs.guidance("torch.Tensor.squeeze", "torchtensorsqueeze")
_UNSUPPORTED = refs.guidance("Unsupported Operators", "unsupported-operators")
_BOOL_INDEX = refs.guidance("Bool Indexing", "bool-indexing")
_WHERE = refs.guidance("torch.where", "torchwhere")

_UNIQUE_REMAINS = ("The number of distinct values is still known only at run time (the rewrite selects them with "
                   "NonZero). Where TensorRT should see a fixed size and the values are small non-negative integers "
                   "below a known n, use presence flags instead: torch.nn.functional.one_hot(x, n).amax(0) (or "
                   "torch.zeros(n).index_fill(0, x, 1)).")

_SPECS = (
    RewriteSpec(
        "R001", "rewrite.unique-sort", "torch.unique (sorted, dim=None)",
        "TensorRT has no Unique op in any release; torch.unique becomes sort + compare + gather, as NVIDIA's "
        "export guidance writes it (torch_unique_trt), with return_inverse and return_counts from the same sort.",
        "values, inverse = torch.unique(x, return_inverse=True)",
        "s, perm = torch.sort(x.flatten()); new = cat([True], s[1:] != s[:-1]); values = s[nonzero(new)]",
        (_UNSUPPORTED, refs.ONNX_TRT_OPERATORS),
        caveat="The output length stays data-dependent (NonZero); sort exports to TopK, which TensorRT limits to K < 3840.",
        removes=("Unique",),
        addresses=("TRT101", "TRT204", "TRT205"),
        remains=_UNIQUE_REMAINS + " Keep the input under 3840 elements: torch.sort exports to TopK, which TensorRT limits to K < 3840.",
    ),
    RewriteSpec(
        "R002", "rewrite.atan2-atan", "torch.atan2",
        "ONNX has no Atan2, and the exporters' Atan(y/x) form is wrong at y=0, x<=0 (atan2(0, -1) gives -pi, "
        "atan2(0, 0) nan); this atan-based form is exact, signed zeros and infinities included.",
        "angle = torch.atan2(y, x)",
        "a = atan(min(|x|, |y|) / max(|x|, |y|)), reflected by quadrant with torch.where",
        (_UNSUPPORTED, refs.ONNX_OPERATORS),
    ),
    RewriteSpec(
        "R003", "rewrite.squeeze-index", "x.squeeze(d) on a size-1 axis",
        "squeeze on an axis the exporter cannot prove is 1 exports to an If that TensorRT rejects "
        "('IIfConditionalOutputLayer inputs must have the same shape'); indexing the size-1 axis exports to a Gather.",
        "y = x.squeeze(1)",
        "y = x[:, 0]",
        (_SQUEEZE, refs.ONNX_TRT_OPERATORS),
        caveat="Only axes of size 1 at trace time are rewritten; the result keeps that axis removed at every size.",
        removes=("If", "Squeeze"),
    ),
    RewriteSpec(
        "R004", "rewrite.unsqueeze-index", "x.unsqueeze(d)",
        "unsqueeze(d) as indexing with None, as NVIDIA's export guidance suggests; torch 2.14 exports both spellings "
        "to the same Unsqueeze, hence opt-in.",
        "y = x.unsqueeze(1)",
        "y = x[:, None]",
        (_SQUEEZE,),
        opt_in=True,
    ),
    RewriteSpec(
        "R005", "rewrite.bool-bitwise-arith", "& | ^ ~ on bool tensors",
        "Bitwise ops on bool tensors work in TensorRT 'usually, but sometimes may not'; int32 arithmetic and a "
        "comparison always do. Both exporters emit And/Or/Xor/Not, which TensorRT accepts, hence opt-in.",
        "keep = (score > t) & ~ignored",
        "keep = (score > t).int() * (ignored.int() == 0).int() > 0",
        (refs.guidance("Bitwise Ops", "bitwise-ops"),),
        opt_in=True,
        removes=("And", "Or", "Xor", "Not"),
    ),
    RewriteSpec(
        "R006", "rewrite.bool-index-long", "x[bool_mask]",
        "x[mask] exports NonZero on a BOOL input (TensorRT's NonZero lists FP32/FP16 only) + GatherND; gathering "
        "rows at long indices (NVIDIA's index_bool2long_trt) exports NonZero on FP32 + Gather.",
        "boxes = boxes[scores > 0.5]",
        "boxes = boxes.index_select(0, torch.nonzero((scores > 0.5).float())[:, 0])",
        (_BOOL_INDEX, refs.guidance("Missing NonZero operation in TensorRT", "missing-nonzero-operation-in-tensorrt"),
         refs.ONNX_TRT_OPERATORS),
        caveat="The output length stays data-dependent (NonZero).",
        removes=("GatherND",),
        addresses=("TRT205", "TRT403"),
        remains="The selected rows still have a data-dependent count. Where TensorRT should see a fixed size, "
                "keep the full tensor and multiply by the mask (x * mask, or torch.where(mask, x, fill)), or "
                "select a fixed number with torch.topk(score, k).",
    ),
    RewriteSpec(
        "R007", "rewrite.fold-conv-transpose", "F.fold / nn.Fold",
        "F.fold exports to Col2Im, which TensorRT does not support in any release; a grouped ConvTranspose with a "
        "one-hot kernel computes the same sum from supported ops.",
        "y = F.fold(cols, output_size=(h, w), kernel_size=3)",
        "y = F.conv_transpose2d(cols, one_hot_kernel, groups=c)  # fold's stride, dilation and padding",
        (refs.LEIMAO_ATEN, refs.ONNX_TRT_OPERATORS),
        exact=False,
        caveat="inf/nan inputs spread as nan to neighbouring outputs (0 * inf); finite inputs match to float rounding.",
        removes=("Col2Im",),
    ),
    RewriteSpec(
        "R008", "rewrite.unique-consecutive", "torch.unique_consecutive (dim=None)",
        "aten::unique_consecutive has no ONNX export in either exporter; it becomes compare + gather (the sort-free "
        "half of NVIDIA's torch_unique_trt).",
        "values, counts = torch.unique_consecutive(x, return_counts=True)",
        "new = cat([True], x[1:] != x[:-1]); values = x[nonzero(new)]",
        (_UNSUPPORTED, refs.LEIMAO_ATEN),
        caveat="The output length stays data-dependent (NonZero).",
        addresses=("TRT101", "TRT204", "TRT205"),
        remains=_UNIQUE_REMAINS,
    ),
    RewriteSpec(
        "R009", "rewrite.fft-matmul", "torch.fft.rfft / fft of a real, fixed-size axis",
        "fft/rfft fails to export with the TorchScript exporter and becomes DFT with the torch.export one, which "
        "TensorRT does not support; the transform is two matmuls with constant cos/sin tables.",
        "mag = torch.fft.rfft(x, dim=-1).abs()",
        "re, im = x @ C, -(x @ S); mag = torch.sqrt(re * re + im * im)",
        (refs.LEIMAO_ATEN, refs.ONNX_TRT_OPERATORS),
        exact=False,
        caveat="Real inputs with a fixed-size axis only; matmul rounding; the complex result may only be consumed "
               "by abs, real, imag, angle or view_as_real.",
        removes=("DFT",),
    ),
    RewriteSpec(
        "R010", "rewrite.where-arith", "torch.where(cond, a, b)",
        "torch.where as cond * a + (1 - cond) * b, which NVIDIA's export guidance recommends when a conditional "
        "node makes the TensorRT build fail; both exporters emit a plain Where, which TensorRT supports, hence opt-in.",
        "y = torch.where(cond, a, b)",
        "c = cond.to(a.dtype); y = c * a + (1 - c) * b",
        (_WHERE, refs.guidance("Dynamic if-else", "dynamic-if-else")),
        exact=False,
        opt_in=True,
        caveat="An inf or nan in the branch not taken makes the result nan.",
        removes=("Where",),
    ),
)  # fmt: skip

REWRITES: dict[str, RewriteSpec] = {spec.id: spec for spec in _SPECS}

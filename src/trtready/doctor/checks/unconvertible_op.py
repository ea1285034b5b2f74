"""DOC101: operators without an ONNX translation, per exporter, at the user's line."""

from __future__ import annotations

from ...catalog import references as refs
from ...result import Severity
from ..evidence import DYNAMO, TORCHSCRIPT, Evidence, UnsupportedOp
from .base import Check

# Concrete rewrites into ops both exporters translate (Lei Mao's ATen post: compose supported ops).
REWRITES = {
    "linalg_inv": "for small fixed sizes write the inverse out (adjugate / determinant for 2x2 and 3x3); "
                  "if the matrix is constant, invert it once outside the model and register the result as a buffer",
    "linalg_solve": "multiply by a precomputed inverse (constant matrices) or write the 2x2/3x3 solve out (Cramer's rule)",
    "linalg_eig": "precompute the decomposition outside the model, or use a fixed number of power iterations (matmul + normalize)",
    "linalg_svd": "precompute the decomposition outside the model; for a norm use torch.linalg.vector_norm",
    "erfinv": "use a polynomial approximation (e.g. Giles' single-precision erfinv) with log/sqrt/mul/add",
    "median": "torch.sort(x, dim).values.select(dim, (x.shape[dim] - 1) // 2)",
    "nanmedian": "replace NaNs (torch.where) and sort: torch.sort(x, dim).values.select(dim, k)",
    "kthvalue": "torch.topk(x, k, dim, largest=False).values.select(dim, k - 1)",
    "mode": "compute it outside the model, or one-hot + sum + argmax for a small known value range",
    "cummax": "for short axes unroll with torch.maximum over shifted slices, or compute outside the model",
    "cumprod": "torch.exp(torch.cumsum(torch.log(x), dim)) for positive x",
    "histc": "(x[..., None] >= edges).float() differences summed: torch.nn.functional.one_hot(bucket, bins).sum(0)",
    "searchsorted": "(x[..., None] >= boundaries).sum(-1) (boundaries sorted, right=False semantics)",
    "logaddexp": "m = torch.maximum(a, b); m + torch.log1p(torch.exp(-(a - b).abs()))",
    "logcumsumexp": "m = x.amax(dim, keepdim=True); m + torch.log(torch.cumsum(torch.exp(x - m), dim))",
    "fft_rfft": "multiply by a precomputed DFT matrix (cos/sin buffers) with torch.matmul",
    "count_nonzero": "(x != 0).sum(dim)",
    "heaviside": "torch.where(x > 0, 1.0, torch.where(x == 0, values, 0.0))",
    "hypot": "torch.sqrt(a * a + b * b)",
    "diff": "x[..., 1:] - x[..., :-1]",
    "channel_shuffle": "x.view(b, g, c // g, h, w).transpose(1, 2).reshape(b, c, h, w)",
    "rot90": "torch.flip(x.transpose(-2, -1), (-2,)) (or the matching flip/transpose pair)",
    "sinc": "torch.where(x == 0, 1.0, torch.sin(pi * x) / (pi * x))",
    "trapezoid": "((y[..., 1:] + y[..., :-1]) * 0.5 * dx).sum(-1)",
    "digamma": "compute it outside the model or use an asymptotic series with log/reciprocal",
    "lgamma": "use Stirling's series with log, or precompute",
    "i0": "use a polynomial approximation (Abramowitz & Stegun 9.8.1/9.8.2)",
    "cdist": "torch.sqrt(((a[:, :, None] - b[:, None]) ** 2).sum(-1)) or the matmul form a2 + b2 - 2ab",
    "pdist": "compute the full distance matrix with matmul and take the upper triangle with a constant mask",
}
GENERIC = ("rewrite it with operators both exporters translate, register a custom "
           "symbolic / onnxscript function, or keep it out of the exported model")


def base_name(op: str) -> str:
    """``aten::linalg_inv`` / ``aten.linalg_inv_ex.default`` / ``prims.erf_inv.default`` -> ``linalg_inv`` / ``erfinv``."""
    name = op.split("::")[-1] if "::" in op else op.split(".")[1] if op.count(".") >= 1 else op
    name = name.lstrip("_")
    for suffix in ("_ex", "_forward"):
        name = name[: -len(suffix)] if name.endswith(suffix) else name
    return {"erf_inv": "erfinv", "bessel_i0": "i0"}.get(name, name)


class UnconvertibleOp(Check):
    id = "DOC101"
    name = "doctor.unconvertible-op"
    severity = Severity.ERROR
    references = (refs.TORCH_ONNX, refs.LEIMAO_ATEN, refs.guidance("Unsupported Operators", "unsupported-operators"))
    why = ("An operator with no ONNX translation stops the export: the TorchScript exporter has no symbolic "
           "function registered for it at the opset, the torch.export exporter no onnxscript (torchlib) function "
           "after decomposition. Both exporters report only the first one; the doctor lists all of them.")
    fix = GENERIC

    def run(self, evidence: Evidence):
        groups = _group(evidence.trace.unsupported, evidence.export.unsupported)
        findings = []
        for (_, name), ops in groups.items():
            site = next((o.site for o in ops if o.site), None)
            module = next((o.module for o in ops if o.module), None)
            ts = sorted({o.op for o in ops if o.exporter == TORCHSCRIPT})
            dy = sorted({o.op for o in ops if o.exporter == DYNAMO})
            message = f"{name}: " + "; ".join([self._ts(evidence, ts), self._dy(evidence, dy)])
            fix = REWRITES.get(name)
            findings.append(self.finding(message, site, module=module, op_type=(ts or dy)[0],
                                         fix=f"{fix}. Otherwise {GENERIC}" if fix else GENERIC))
        return findings

    @staticmethod
    def _ts(evidence: Evidence, ops: list[str]) -> str:
        if ops:
            return (f"TorchScript exporter: no symbolic for {', '.join(ops)} at opset {evidence.trace.opset}, "
                    "the export fails ('Exporting the operator ... is not supported')")
        if not evidence.trace.ok:
            return f"TorchScript exporter: not checked (the trace failed: {evidence.trace.error})"
        return "TorchScript exporter: translates it"

    @staticmethod
    def _dy(evidence: Evidence, ops: list[str]) -> str:
        if ops:
            return (f"torch.export exporter: no ONNX function for {', '.join(ops)} after decomposition, "
                    "the export fails at step 3/3 (translation)")
        if not evidence.export.ops_checked:
            return f"torch.export exporter: not checked (capture failed: {evidence.export.error})"
        return "torch.export exporter: translates it (`trtready export --exporter dynamo`)"


def _group(ts_ops: list[UnsupportedOp], dy_ops: list[UnsupportedOp]) -> dict[tuple, list[UnsupportedOp]]:
    """(place, op name) -> ops. A torch.export op joins the TorchScript op it is: the one on the same
    line when that line has just one (its decomposed name may differ), else the one op of the same
    name elsewhere (torch.export's stack traces stop at ``forward``, so an op in a helper function
    is placed at the line of ``forward`` that calls it, where the trace places it in the helper)."""
    groups: dict[tuple, list[UnsupportedOp]] = {}
    for op in ts_ops:
        groups.setdefault((_where(op), base_name(op.op)), []).append(op)
    torchscript_only = [k for k in groups if all(o.exporter == TORCHSCRIPT for o in groups[k])]
    for op in dy_ops:
        key = (_where(op), base_name(op.op))
        if key not in groups:
            same_line = [k for k in torchscript_only if k[0] == key[0]]
            same_name = [k for k in torchscript_only if k[1] == key[1]]
            key = same_line[0] if len(same_line) == 1 else same_name[0] if len(same_name) == 1 else key
        groups.setdefault(key, []).append(op)
    return groups


def _where(op: UnsupportedOp) -> tuple:
    return op.site.key() if op.site else (op.module,)

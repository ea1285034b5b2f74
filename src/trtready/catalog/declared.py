"""Units that have no class of their own: the verification findings (VER*), the note
that the diagnosis was skipped (DOC900) and the re-trace fix stamped by the exporter.

The modules that emit them (``verify/pinned.py``, ``verify/paths.py``, ``api.py``,
``exporters/retrace.py``) import torch; these declarations do not, so they take
their id, name, severity and fix from here.
"""

from __future__ import annotations

from . import references as refs
from .unit import Example, Kind, Unit

__all__ = ["BATCH_PINNED", "DECLARED", "DIAGNOSIS_SKIPPED", "PLUGIN_UNVERIFIED", "RETRACE_BATCH", "TRACED_PATH_ONLY"]

_KEEP_BATCH_SYMBOLIC = (
    "keep the batch symbolic in PyTorch: x.view(x.size(0), -1) or x.flatten(1) instead of "
    "x.view(int(x.size(0)), -1); x.new_zeros(x.shape) / torch.zeros_like(x) instead of "
    "torch.zeros(int(x.shape[0]), ...); -1 in reshape/view; expand_as instead of repeat(b, ...)"
)

BATCH_PINNED = Unit(
    id="VER001", name="verify.batch-pinned", kind=Kind.VERIFY, severity="error",
    summary="The file is right at the export batch and wrong at another batch size: a constant holds the export batch.",
    why=("ONNX Runtime ran the file at several batch sizes against PyTorch: it matches at the batch it was exported "
         "with and fails at another one. The usual cause is a size read as a Python int while tracing "
         "(view(int(x.size(0)), -1), torch.zeros(b, ...)), recorded as a constant in a Reshape/Expand/Tile/"
         "ConstantOfShape; the report names that node and, when known, the Python line. torchpipe's export notes "
         "name the same pattern as what breaks a dynamic batch."),
    fix=_KEEP_BATCH_SYMBOLIC,
    examples=(Example("In PyTorch", "b = int(x.size(0))\ny = x.view(b, -1)  # pinned: use x.flatten(1)", "python"),),
    references=(refs.TORCHPIPE_ONNX, refs.TRT_DYNAMIC_SHAPES, refs.TORCH_ONNX_TORCHSCRIPT),
)  # fmt: skip

PLUGIN_UNVERIFIED = Unit(
    id="VER002", name="verify.plugin-unverified", kind=Kind.VERIFY, severity="warning",
    summary="The file holds TensorRT plugin nodes, which ONNX Runtime cannot run, so it was not verified.",
    why=("A submodule or function exported as a TensorRT plugin node (trt.plugins::Name) has no ONNX Runtime kernel, "
         "so trtready cannot compare the file with PyTorch on CPU. The file is written, and marked not verified."),
    fix=("Verify the engine with TensorRT and your plugin library: build and run it, e.g. "
         "`polygraphy run model.onnx --trt --plugins libmyplugin.so`, and compare its outputs with PyTorch's on "
         "your data."),
    references=(refs.TRT_PLUGINS, refs.POLYGRAPHY, refs.NVIDIA_PACKNET_POST),
)  # fmt: skip

TRACED_PATH_ONLY = Unit(
    id="VER003", name="verify.traced-path-only", kind=Kind.VERIFY, severity="warning",
    summary="A data-dependent Python value took the same value in every verification run: other paths are unproved.",
    why=("The tracer records one path: if x.sum() > 0, .item(), int(tensor) and range(n) over an input become "
         "constants of the traced run. When every verification run took that same path, the file is verified on the "
         "traced path only; inputs that take another path were never compared. torch.export never bakes such a "
         "value (it raises or keeps it symbolic)."),
    fix=("Give verification data that takes the other paths (--verify-data FILE / verify_inputs=), or make the "
         "graph independent of the value: vectorize the branch (y = cond * f(x) + (1 - cond) * g(x)), keep counts "
         "and flags as tensors instead of Python values, or move a data-dependent loop into a @torch.jit.script "
         "function."),
    examples=(Example("In PyTorch", "if x.sum() > 0:  # traced: one branch only\n    y = f(x)\nelse:\n    y = g(x)",
                      "python"),),
    references=(refs.guidance("Dynamic if-else", "dynamic-if-else"), refs.guidance("For Loop", "for-loop"),
                refs.torchscript_exporter("Tracing vs Scripting", "tracing-vs-scripting")),
)  # fmt: skip

DIAGNOSIS_SKIPPED = Unit(
    id="DOC900", name="doctor.skipped", kind=Kind.DOCTOR, severity="info",
    summary="The PyTorch-side diagnosis that export runs after an exporter failure could not run.",
    why=("When an exporter fails, trtready export runs the doctor on the PyTorch model to list every blocker at its "
         "line. It needs the Python model (not a TorchScript module) and a model the doctor's probes can run; "
         "the message says what stopped it."),
    fix="Run `trtready doctor SPEC --input NAME:SHAPE` on the Python model yourself to see the blockers.",
    references=(refs.TORCH_ONNX,),
)  # fmt: skip

RETRACE_BATCH = Unit(
    id="fix.retrace-batch", name="fix.retrace-batch", kind=Kind.FIX, severity="info",
    summary="Rebuild every constant that holds the export batch from the runtime batch, found by tracing again.",
    why=("A TorchScript export records Python ints as constants, so after view(int(b), -1), torch.zeros(int(b), 4) "
         "or torch.split(z, [b, b]) the file only runs at the batch it was traced at. trtready traces the model "
         "again at two more batch sizes: a constant that changes between the traces depends on the batch, and how "
         "it changes (a*B + c, an Expand of one slice, a Range) is rebuilt from Shape(input) at run time. A constant "
         "that does not change, like a channel count equal to the batch, is never touched. The result is verified "
         "against PyTorch at several batch sizes like every fix."),
    fix=("Runs by itself during `trtready export` when a TorchScript file holds the export batch. What it cannot "
         "rebuild (a Python loop over the batch the tracer unrolled, a float computed from the batch) is reported "
         "as VER001 at its Python line; there, keep sizes symbolic in PyTorch."),
    examples=(Example("In PyTorch", "y = x.view(int(x.size(0)), -1)  # Reshape(x, [2, -1]) -> Reshape(x, [B, -1])",
                      "python"),),
    references=(refs.TORCHPIPE_ONNX, refs.TRT_DYNAMIC_SHAPES),
    details=(("fixes", "VER001, TRT207"),),
)  # fmt: skip

DECLARED: tuple[Unit, ...] = (BATCH_PINNED, PLUGIN_UNVERIFIED, TRACED_PATH_ONLY, DIAGNOSIS_SKIPPED, RETRACE_BATCH)

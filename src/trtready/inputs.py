"""Example inputs: parsing ``--input`` specs, flattening nested inputs and outputs
into named tensors, and resizing the batch (verification inputs: :mod:`trtready.verify.cases`).

ONNX graphs take and return flat lists of tensors. :class:`FlatModel` wraps the
user's module so that both exporters see ``forward(*tensors) -> tuple[tensors]``
with stable names: ``x`` for a plain argument, ``batch.image`` for a dict entry,
``pair.0`` for a tuple element; outputs ``output`` (single tensor), ``output_0``
(sequence), or the dict keys.
"""

from __future__ import annotations

import inspect
import math
import re
from dataclasses import dataclass

import torch
from torch.utils import _pytree as pytree

from .errors import InputSpecError, ModelRunError
from .loading import model_error

__all__ = ["FlatModel", "InputSpec", "eval_mode", "parse_input_spec", "resize_batch"]

MAX_INPUT_ELEMENTS = 2**28  # one --input (1 GiB of float32)
_DTYPES = {
    "float32": torch.float32, "float": torch.float32, "fp32": torch.float32,
    "float16": torch.float16, "half": torch.float16, "fp16": torch.float16,
    "bfloat16": torch.bfloat16, "bf16": torch.bfloat16,
    "float64": torch.float64, "double": torch.float64,
    "int64": torch.int64, "long": torch.int64, "int32": torch.int32, "int": torch.int32,
    "int8": torch.int8, "uint8": torch.uint8, "bool": torch.bool,
}  # fmt: skip


@dataclass
class InputSpec:
    name: str
    shape: tuple[int, ...]
    dtype: torch.dtype = torch.float32

    def make(self, generator: torch.Generator) -> torch.Tensor:
        if self.dtype.is_floating_point:
            return torch.rand(self.shape, generator=generator).to(self.dtype)
        if self.dtype == torch.bool:
            return torch.rand(self.shape, generator=generator) > 0.5
        return torch.randint(0, 100, self.shape, generator=generator, dtype=self.dtype)


def parse_input_spec(text: str) -> InputSpec:
    """``images:2x3x640x640`` or ``ids:2x128:int64``."""
    parts = text.split(":")
    if len(parts) not in (2, 3) or not parts[0] or not re.fullmatch(r"\d+(x\d+)*", parts[1]):
        raise InputSpecError(f"bad --input '{text}'", hint="write NAME:2x3x224x224 or NAME:2x128:int64")
    dtype = torch.float32
    if len(parts) == 3:
        if parts[2] not in _DTYPES:
            raise InputSpecError(f"unknown dtype '{parts[2]}' in --input '{text}'", hint=", ".join(sorted(_DTYPES)))
        dtype = _DTYPES[parts[2]]
    shape = tuple(int(d) for d in parts[1].split("x"))
    if 0 in shape:
        raise InputSpecError(f"bad --input '{text}': sizes must be >= 1")
    if math.prod(shape) > MAX_INPUT_ELEMENTS:
        raise InputSpecError(f"--input '{text}' has {math.prod(shape):,} elements, over the {MAX_INPUT_ELEMENTS:,} cap",
                             hint="an example needs no more than a few samples: use batch 2")  # fmt: skip
    return InputSpec(parts[0], shape, dtype)


class FlatModel(torch.nn.Module):
    """``forward(*tensors) -> tuple(tensors)`` around a module with nested inputs/outputs."""

    def __init__(self, module: torch.nn.Module, args: tuple, kwargs: dict):
        super().__init__()
        self.module = module
        bound = _bind(module, args, kwargs)
        leaves, self._in_spec = pytree.tree_flatten_with_path(bound)
        self._is_tensor = [isinstance(v, torch.Tensor) for _, v in leaves]
        self._constants = [None if t else v for (_, v), t in zip(leaves, self._is_tensor)]
        self.input_names = [_name(p) for (p, _), t in zip(leaves, self._is_tensor) if t]
        self.example = tuple(v for (_, v), t in zip(leaves, self._is_tensor) if t)
        self._param_kinds = _param_kinds(module)
        self.output_names: list[str] = []
        self.notes: list[str] = []  # outputs dropped or converted, said in the report

    def flatten(self, args: tuple, kwargs: dict | None = None) -> tuple:
        """Other arguments for the module as flat tensors (structured like the example)."""
        leaves, spec = pytree.tree_flatten(_bind(self.module, tuple(args), kwargs or {}))
        if spec != self._in_spec:
            raise InputSpecError("verification inputs are not structured like the example inputs")
        return tuple(v for v, t in zip(leaves, self._is_tensor) if t)

    def forward(self, *tensors: torch.Tensor):
        return tuple(_output_tensor(v) for v in pytree.tree_leaves(self.call_nested(tensors)) if v is not None)

    def call_nested(self, tensors: tuple):
        """Call the wrapped module on flat tensors; return its output unflattened."""
        args, kwargs = self.nested_args(tensors)
        return self.module(*args, **kwargs)

    def nested_args(self, tensors: tuple) -> tuple[list, dict]:
        """The wrapped module's ``(args, kwargs)`` rebuilt from flat tensors."""
        it = iter(tensors)
        leaves = [next(it) if t else c for t, c in zip(self._is_tensor, self._constants)]
        return self._call_args(pytree.tree_unflatten(leaves, self._in_spec))

    def _call_args(self, bound: dict) -> tuple[list, dict]:
        """Arguments for the module from bound parameters.

        Parameters go by position up to the first optional one the example left
        out, and by keyword after it, so that the next one cannot shift into the
        missing one's slot (``forward(x, cache=None, mask=None)`` called with
        ``x`` and ``mask``).
        """
        args, kwargs = [], {}
        gap = False
        for name, kind in self._param_kinds.items() or ((n, None) for n in bound):
            if name not in bound:
                gap = gap or kind in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
                continue
            value = bound[name]
            if kind == inspect.Parameter.VAR_POSITIONAL:
                args.extend(value)
            elif kind == inspect.Parameter.VAR_KEYWORD:
                kwargs.update(value)
            elif kind == inspect.Parameter.KEYWORD_ONLY or (gap and kind == inspect.Parameter.POSITIONAL_OR_KEYWORD):
                kwargs[name] = value
            else:
                args.append(value)
        return args, kwargs

    def describe_outputs(self, output_names: list[str] | None) -> tuple:
        """Run the model once on the example; name the outputs. Returns the flat outputs."""
        with torch.no_grad():
            try:
                out = self.call_nested(self.example)
            except Exception as exc:
                raise model_error("the model raised on the example inputs", exc) from None
        leaves = pytree.tree_flatten_with_path(out)[0]
        dropped = [_name(p) or "output" for p, v in leaves if v is None]
        scalars = [_name(p) or "output" for p, v in leaves if isinstance(v, (bool, int, float))]
        bad = [(_name(p) or "output", type(v).__name__) for p, v in leaves
               if v is not None and not isinstance(v, (torch.Tensor, bool, int, float))]  # fmt: skip
        if bad:
            where, kind = bad[0]
            raise ModelRunError(
                f"the model returns a {kind} at output '{where}'; ONNX outputs must be tensors",
                hint="wrap the model so that forward returns tensors (or a tuple/dict of tensors)",
            )
        leaves = [(p, v) for p, v in leaves if v is not None]
        self.notes = []
        if dropped:
            self.notes.append(f"output(s) {', '.join(dropped)} are None and are left out of the ONNX file, as torch.onnx does")
        if scalars:
            self.notes.append(f"output(s) {', '.join(scalars)} are Python numbers; the ONNX file returns them as 0-d tensors")
        if not leaves:
            raise ModelRunError("the model returns no tensors", hint="forward must return at least one tensor")
        self.output_names = list(output_names) if output_names else _output_names([p for p, _ in leaves])
        if len(self.output_names) != len(leaves):
            raise InputSpecError(
                f"{len(self.output_names)} output names given for {len(leaves)} outputs",
                hint=f"the outputs are: {', '.join(_output_names([p for p, _ in leaves]))}",
            )
        return tuple(_output_tensor(v) for _, v in leaves)


def _output_tensor(value) -> torch.Tensor:
    """A model output as a tensor: Python numbers become 0-d tensors."""
    return value if isinstance(value, torch.Tensor) else torch.tensor(value)


def _bind(module: torch.nn.Module, args: tuple, kwargs: dict) -> dict:
    try:
        signature = inspect.signature(module.forward)
        bound = signature.bind(*args, **kwargs)
    except (TypeError, ValueError) as exc:
        if isinstance(exc, TypeError) and "signature" not in str(exc):
            raise InputSpecError(f"the example inputs do not fit forward(): {exc}") from None
        return {f"input_{i}": a for i, a in enumerate(args)} | dict(kwargs)
    return dict(bound.arguments)


def _param_kinds(module: torch.nn.Module) -> dict:
    try:
        return {n: p.kind for n, p in inspect.signature(module.forward).parameters.items()}
    except (TypeError, ValueError):
        return {}


def _name(path: tuple) -> str:
    parts = []
    for key in path:
        if isinstance(key, pytree.MappingKey):
            parts.append(str(key.key))
        elif isinstance(key, pytree.SequenceKey):
            parts.append(str(key.idx))
        elif isinstance(key, pytree.GetAttrKey):
            parts.append(key.name)
        else:
            parts.append(str(key).strip(".[]'\""))
    return re.sub(r"[^0-9A-Za-z_.]", "_", ".".join(parts))


def _output_names(paths: list[tuple]) -> list[str]:
    if len(paths) == 1 and not paths[0]:
        return ["output"]
    names = [_name(p) for p in paths]
    if all(isinstance(p[0], pytree.SequenceKey) for p in paths if p):
        names = [f"output_{n}" for n in names]
    return [n.replace(".", "_") if n.startswith("output_") else n for n in names]


def eval_mode(model: torch.nn.Module) -> torch.nn.Module:
    """``model.eval()``; a module unlifted from an ExportedProgram refuses it and is used as captured."""
    try:
        return model.eval()
    except NotImplementedError:
        return model


def batch_size_of(tensors: tuple, batch_dim: int) -> int | None:
    """The batch size: the size at ``batch_dim`` of the first input that has it."""
    for t in tensors:
        if t.dim() > batch_dim:
            return int(t.shape[batch_dim])
    return None


def batched(tensors: tuple, batch_dim: int) -> list[bool]:
    """Which inputs carry the batch axis (those whose size there is the batch size)."""
    size = batch_size_of(tensors, batch_dim)
    return [t.dim() > batch_dim and int(t.shape[batch_dim]) == size for t in tensors]


def resize_batch(tensors: tuple, batch_dim: int, size: int) -> tuple:
    """Inputs with the batch axis cycled to ``size`` rows (used to reach batch >= 2)."""
    flags = batched(tensors, batch_dim)
    out = []
    for t, flag in zip(tensors, flags):
        if flag:
            index = torch.arange(size) % t.shape[batch_dim]
            t = t.index_select(batch_dim, index)
        out.append(t)
    return tuple(out)

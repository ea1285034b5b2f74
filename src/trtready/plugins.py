"""Map PyTorch submodules to TensorRT plugin nodes in the exported ONNX (torch.onnx
custom operators; NVIDIA's PackNet post on TensorRT plugins).

``export(model, args, f, plugins={"head": "MyHeadPlugin"})`` exports the
submodule ``model.head`` as one node ``trt.plugins::MyHeadPlugin``, and
``plugins={"torch.nn.functional.grid_sample": "GridSamplePlugin"}`` every call
of that function (its tensor arguments become the node's inputs), with the
attributes TensorRT's ONNX parser reads to find the plugin creator
(``plugin_version``, ``plugin_namespace``), plus any extra plugin fields.
The checker then accepts the op (it is declared).

How: while the TorchScript exporter traces, the submodule's ``forward`` runs
through an ``autograd.Function`` whose ``forward`` computes the real module
(untraced, so output shapes and dtypes are right) and whose ``symbolic`` emits
the plugin node. The torch.export-based exporter is not used for plugin
mappings. ONNX Runtime has no kernel for plugin nodes, so such a file cannot be
verified on CPU: verify the engine with TensorRT.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import torch
from torch.overrides import TorchFunctionMode

from .errors import UserError

__all__ = ["PLUGIN_DOMAIN", "PluginSpec", "parse_plugin_option", "plugin_function", "plugin_modules", "resolve_plugins"]

PLUGIN_DOMAIN = "trt.plugins"


@dataclass(frozen=True)
class PluginSpec:
    name: str  # the plugin creator's name: the ONNX op type
    version: str = "1"
    namespace: str = ""
    attributes: dict = field(default_factory=dict, hash=False)  # extra plugin fields: int, float, str


def parse_plugin_option(text: str) -> tuple[str, PluginSpec]:
    """``head.cls=MyPlugin[:VERSION[:NAMESPACE]]`` -> ``("head.cls", PluginSpec(...))``."""
    path, _, rest = text.partition("=")
    parts = rest.split(":")
    if not path or not parts[0] or len(parts) > 3:
        raise UserError(f"bad --plugin-module '{text}'", hint="write MODULE.PATH=PluginName[:version[:namespace]]")
    return path, PluginSpec(*parts)


def resolve_plugins(model: torch.nn.Module, plugins: dict | None) -> dict[str, PluginSpec]:
    """Check that every key names a submodule or a ``torch.`` function; accept plain names for specs."""
    resolved = {}
    for path, spec in (plugins or {}).items():
        if path.startswith("torch."):
            _function(path)
        else:
            try:
                model.get_submodule(path)
            except AttributeError:
                raise UserError(f"no submodule '{path}' to map to a plugin",
                                hint="use a name from model.named_modules(), or a torch.* function") from None
        resolved[path] = spec if isinstance(spec, PluginSpec) else PluginSpec(str(spec))
    return resolved


def _function(path: str):
    module_name, _, attr = path.rpartition(".")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError):
        raise UserError(f"no function '{path}' to map to a plugin", hint="e.g. torch.nn.functional.grid_sample") from None


@contextlib.contextmanager
def plugin_modules(root: torch.nn.Module, plugins: dict[str, PluginSpec]) -> Iterator[None]:
    """While active, mapped submodules and functions export as plugin nodes (TorchScript exporter)."""
    patched = []
    functions = {_function(p): spec for p, spec in plugins.items() if p.startswith("torch.")}
    try:
        for path, spec in plugins.items():
            if path.startswith("torch."):
                continue
            module = root.get_submodule(path)
            function = plugin_function(spec, module.forward)
            patched.append((module, "forward" in module.__dict__, module.forward))
            module.forward = lambda *inputs, _f=function: _f.apply(*inputs)
        with _PluginCalls(functions) if functions else contextlib.nullcontext():
            yield
    finally:
        for module, had_own, original in reversed(patched):
            if had_own:
                module.forward = original
            else:
                del module.forward


class _PluginCalls(TorchFunctionMode):
    """Route calls of mapped torch functions through their plugin's autograd.Function."""

    def __init__(self, table: dict):
        super().__init__()
        self.table = table

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        spec = self.table.get(func)
        if spec is None:
            return func(*args, **kwargs)
        slots = [i for i, a in enumerate(args) if isinstance(a, torch.Tensor)]

        def original(*tensors):
            call = list(args)
            for i, t in zip(slots, tensors):
                call[i] = t
            return func(*call, **kwargs)

        return plugin_function(spec, original).apply(*(args[i] for i in slots))


def plugin_function(spec: PluginSpec, original):
    class PluginFunction(torch.autograd.Function):
        outputs: tuple = ()

        @staticmethod
        def forward(ctx, *inputs):
            state = torch._C._get_tracing_state()  # run the real module without recording it
            torch._C._set_tracing_state(None)
            try:
                out = original(*inputs)
            finally:
                torch._C._set_tracing_state(state)
            PluginFunction.outputs = out if isinstance(out, tuple) else (out,)
            return out

        @staticmethod
        def symbolic(g, *inputs):
            outs = g.op(f"{PLUGIN_DOMAIN}::{spec.name}", *inputs, outputs=len(PluginFunction.outputs),
                        **_attributes(spec))  # fmt: skip
            for value, tensor in zip(outs if isinstance(outs, (tuple, list)) else (outs,), PluginFunction.outputs):
                sizes = [None] + list(tensor.shape[1:]) if tensor.dim() else []
                value.setType(value.type().with_dtype(tensor.dtype).with_sizes(sizes))
            return outs

    return PluginFunction


def _attributes(spec: PluginSpec) -> dict:
    suffix = {int: "i", float: "f", str: "s", bool: "i"}
    attrs = {"plugin_version_s": spec.version, "plugin_namespace_s": spec.namespace}
    for key, value in spec.attributes.items():
        kind = suffix.get(type(value))
        if kind is None:
            raise UserError(f"plugin attribute {key}={value!r}: use int, float or str")
        attrs[f"{key}_{kind}"] = int(value) if isinstance(value, bool) else value
    return attrs

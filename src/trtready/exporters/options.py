"""What an exporter needs to know, computed once from the user's options and example."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ExportJob:
    """One export request, shared by every exporter."""

    path: str  # where the exporter writes its raw ONNX file
    input_names: list[str]
    output_names: list[str]
    batched_inputs: list[bool]  # which inputs carry the batch axis
    batched_outputs: list[bool]  # which outputs carry it (in eager, at the example batch)
    dynamic_batch: bool
    batch_dim: int
    opset: int
    # torch-level rewrites: {"enabled": ..., "disabled": ..., "opt_in": ...}; None turns them off
    rewrites: dict | None = field(default=None)
    # submodule path -> plugins.PluginSpec: exported as TensorRT plugin nodes (TorchScript exporter only)
    plugins: dict = field(default_factory=dict)

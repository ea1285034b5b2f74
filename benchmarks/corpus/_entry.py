"""The corpus entry: a named model factory with its realistic input data, plus shared building blocks."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn
from torch.utils import _pytree as pytree

from ._data import Data

__all__ = ["EXAMPLE_SEED", "EXPORT_BATCH", "Entry", "calibrate_batchnorm", "conv_bn_act", "select"]

EXPORT_BATCH = 2
EXAMPLE_SEED = 0
CALIBRATION_SEEDS = range(100, 108)  # disjoint from the example seed and the verifier's seeds
CALIBRATION_BATCH = 8


@dataclass(frozen=True)
class Entry:
    """One corpus model.

    ``factory`` builds the module (random weights; ``build`` seeds torch first),
    ``data(batch, seed)`` returns its positional inputs at any batch, drawn from the
    model's real input domain. The export example is ``data(EXPORT_BATCH, EXAMPLE_SEED)``.
    """

    name: str
    pattern: str  # the construct under test, e.g. "pinned_batch", "nonzero", "control"
    factory: Callable[[], nn.Module]
    data: Data
    form: str = ""  # one line: the syntax and the context it appears in
    group: str = ""  # the corpus module it lives in (filled in by the registry)
    quick: bool = False  # part of --quick
    tags: tuple[str, ...] = ()  # further patterns the model also exercises

    @property
    def patterns(self) -> tuple[str, ...]:
        """The main pattern first, then the tags."""
        return (self.pattern, *self.tags)

    def build(self) -> nn.Module:
        """The model in eval mode, built under ``torch.manual_seed(0)``, batch norms calibrated on real data."""
        torch.manual_seed(0)
        with torch.no_grad():
            model = self.factory()
        calibrate_batchnorm(model, self.data)
        return model.eval()

    def example(self) -> tuple:
        """The export example: batch 2, seed 0."""
        return self.data(EXPORT_BATCH, EXAMPLE_SEED)

    def input_names(self, model: nn.Module) -> list[str]:
        """One name per input tensor: the ``forward`` parameter name, ``param.key`` for a dict entry.

        Nested inputs are flattened in ``torch.utils._pytree`` order, as the exporters flatten them.
        """
        params = list(inspect.signature(model.forward).parameters)
        names = []
        for param, value in zip(params, self.example()):
            leaves = pytree.tree_flatten_with_path(value)[0]
            tensors = [path for path, leaf in leaves if isinstance(leaf, torch.Tensor)]
            names += [".".join([param, *map(_key_text, path)]) for path in tensors]
        return names


def _key_text(key) -> str:
    if isinstance(key, pytree.MappingKey):
        return str(key.key)
    if isinstance(key, pytree.SequenceKey):
        return str(key.idx)
    return str(key).strip(".[]'\"")


def select(entries: list[Entry], only: str | None = None, pattern: str | None = None, quick: bool = False) -> list:
    """Entries filtered by names or name fragments (comma-separated), pattern (main or tag) or group, --quick."""
    entries = [e for e in entries if e.quick] if quick else list(entries)
    if pattern:
        entries = [e for e in entries if pattern == e.group or pattern in e.patterns]
    if only:
        keys = [k.strip() for k in only.split(",") if k.strip()]
        entries = [e for e in entries if any(k == e.name or k in e.name for k in keys)]
    return entries


def calibrate_batchnorm(model: nn.Module, data: Data) -> None:
    """Re-estimate every BatchNorm's running statistics on realistic batches (cumulative average).

    Random-weight networks with default statistics (mean 0, var 1) saturate or
    collapse; real deployments carry statistics of real data. Only the norms are
    put in training mode, the rest of the model stays in eval mode.
    """
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.track_running_stats]
    if not norms:
        return
    norm_buffers = {id(b) for m in norms for b in m.buffers()}
    other_state = {n: b.clone() for n, b in model.named_buffers() if id(b) not in norm_buffers}
    model.eval()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average over the calibration batches
        m.train()
    with torch.no_grad():
        for seed in CALIBRATION_SEEDS:
            model(*data(CALIBRATION_BATCH, seed))
    for m in norms:
        m.momentum = 0.1
    model.load_state_dict(other_state, strict=False)  # undo state the calibration passes changed (counters)
    model.eval()


def conv_bn_act(cin: int, cout: int, stride: int = 1, k: int = 3, act: type[nn.Module] = nn.ReLU) -> nn.Sequential:
    """The usual Conv-BN-activation block."""
    return nn.Sequential(nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout), act())

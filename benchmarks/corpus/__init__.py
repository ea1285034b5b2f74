"""A generalization corpus for TensorRT-oriented ONNX export: 123 small, realistic PyTorch models.

Every construct of NVIDIA's TensorRT ONNX-export guidance (seed 000) and
torchpipe's dynamic-batch notes (seed 001) appears in several forms and
contexts, next to clean controls. Each :class:`Entry` builds its model with
random weights under ``torch.manual_seed(0)`` and gives realistic inputs at any
batch via ``entry.data(batch, seed)``; ``entry.example()`` is the batch-2 export
example. ``benchmarks/corpus_bench.py`` runs the exporters over it and
``benchmarks/independent_verify.py`` judges their files.

>>> from corpus import CORPUS, select
>>> [e.name for e in select(pattern="nonzero")][:2]
['detect_threshold_bool_index', 'detect_topk_nonzero_count']
"""

from __future__ import annotations

import dataclasses

from . import (
    baked_constants,
    batch_built,
    batch_loops,
    control_flow,
    controls,
    dtypes,
    input_domain,
    misc,
    outputs,
    pinned_batch,
    squeeze,
    thresholding,
    unsupported_ops,
)
from ._entry import EXAMPLE_SEED, EXPORT_BATCH, Entry
from ._entry import select as select_entries

__all__ = ["CORPUS", "EXAMPLE_SEED", "EXPORT_BATCH", "Entry", "by_name", "select"]

_MODULES = (
    controls,
    pinned_batch,
    batch_built,
    batch_loops,
    squeeze,
    control_flow,
    thresholding,
    unsupported_ops,
    dtypes,
    baked_constants,
    input_domain,
    outputs,
    misc,
)

CORPUS: list[Entry] = [
    dataclasses.replace(entry, group=module.__name__.rsplit(".", 1)[-1])
    for module in _MODULES
    for entry in module.ENTRIES
]


def by_name(name: str) -> Entry:
    """The entry called ``name`` (KeyError if there is none)."""
    for entry in CORPUS:
        if entry.name == name:
            return entry
    raise KeyError(name)


def select(only: str | None = None, pattern: str | None = None, quick: bool = False) -> list[Entry]:
    """Entries filtered by names or name fragments (comma-separated), pattern (main or tag) or group, --quick."""
    return select_entries(CORPUS, only, pattern, quick)


def _check_unique_names() -> None:
    seen: set[str] = set()
    for entry in CORPUS:
        if entry.name in seen:
            raise ValueError(f"duplicate corpus entry {entry.name!r}")
        seen.add(entry.name)


_check_unique_names()

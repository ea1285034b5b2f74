"""The user's own verification data: ``--verify-data FILE`` and ``verify_inputs=``.

* A file (``.npz``, or ``.pt`` / ``.pth`` loaded with ``torch.load(weights_only=True)``, so no
  code runs) holds named arrays, one per model input (the flat names: ``x``, ``batch.image``).
  Its rows become the pool that inputs at every batch size are drawn from; an input the file
  lacks keeps the example's value.
* ``verify_inputs`` is a list of argument tuples (each verified as given, at its own batch
  size) or a callable ``batch -> args`` (called for every batch size verified).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from ..errors import InputSpecError, UserError
from .cases import Case, InputPool

__all__ = ["load_verify_data", "user_cases"]


def load_verify_data(path: str | Path, names: Sequence[str], example: tuple, flags: Sequence[bool], batch_dim: int) -> InputPool:
    """An :class:`InputPool` from a data file of named arrays."""
    arrays = _read(Path(path))
    missing = [n for n, b in zip(names, flags) if b and n not in arrays]
    if missing:
        raise InputSpecError(f"--verify-data {path} has no array for input(s) {', '.join(missing)}",
                             hint=f"name the arrays after the inputs: {', '.join(names)}")  # fmt: skip
    tensors = []
    for name, ref, flag in zip(names, example, flags):
        if name not in arrays:
            tensors.append(ref)
            continue
        t = torch.as_tensor(np.asarray(arrays[name])).to(ref.dtype)
        expected = [d for i, d in enumerate(ref.shape) if not (flag and i == batch_dim)]
        got = [d for i, d in enumerate(t.shape) if not (flag and i == batch_dim)]
        if t.dim() != ref.dim() or got != expected:
            raise InputSpecError(f"--verify-data array '{name}' has shape {list(t.shape)}; "
                                 f"the example's is {list(ref.shape)} (only the batch axis may differ)")  # fmt: skip
        tensors.append(t)
    return InputPool(tuple(tensors), flags, batch_dim)


def user_cases(flat, verify_inputs: Sequence[tuple] | Callable[[int], tuple], batches: Sequence[int], batch_dim: int) -> list[Case]:
    """Cases from ``verify_inputs`` (argument tuples, or a callable ``batch -> args``)."""
    if callable(verify_inputs):
        return [Case(f"verify_inputs({b})", b, _flat(flat, verify_inputs(b))) for b in batches]
    cases = []
    for i, args in enumerate(verify_inputs):
        tensors = _flat(flat, args)
        batch = next((int(t.shape[batch_dim]) for t in tensors if t.dim() > batch_dim), 1)
        cases.append(Case(f"verify_inputs[{i}]", batch, tensors))
    return cases


def _flat(flat, args) -> tuple:
    if isinstance(args, torch.Tensor):
        args = (args,)
    if isinstance(args, dict):
        return flat.flatten((), args)
    return flat.flatten(tuple(args))


def _read(path: Path) -> dict:
    if not path.is_file():
        raise UserError(f"--verify-data file {path} does not exist")
    try:
        if path.suffix == ".npz":
            with np.load(path, allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        if path.suffix in (".pt", ".pth"):
            data = torch.load(path, map_location="cpu", weights_only=True)
            if isinstance(data, dict) and all(isinstance(v, torch.Tensor) for v in data.values()):
                return dict(data)
            raise UserError(f"--verify-data {path} must hold a dict of named tensors")
    except UserError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's to fix
        raise UserError(f"cannot read --verify-data {path}: {' '.join(str(exc).split())[:200]}") from None
    raise UserError(f"--verify-data {path}: unknown format", hint="use .npz or .pt (a dict of named tensors)")

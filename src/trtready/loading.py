"""Model specs: turn ``file.py:factory``, ``pkg.mod:factory``, ``torchvision:NAME``,
``model.pt`` (TorchScript) or ``program.pt2`` (ExportedProgram) into a module.

A factory returns a module, a ``(module, example_args)`` pair where
``example_args`` is a tensor, a tuple of inputs, or ``(args, kwargs)``, or a
``(module, example_args, verify_inputs)`` triple whose last item is the data to
verify on (a list of argument tuples, or a callable ``batch -> args``).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import inspect
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ModelFileError, ModelRunError, SpecError, one_line

__all__ = ["LoadedModel", "load_spec"]

_TORCHVISION_INPUT = {
    "classification": (2, 3, 224, 224),
    "segmentation": (2, 3, 224, 224),
    "detection": (2, 3, 320, 320),
    "video": (2, 3, 8, 112, 112),
    "optical_flow": None,  # two inputs; see _torchvision_example
    "quantization": (2, 3, 224, 224),
}


@dataclass
class LoadedModel:
    """A module and, when the spec provides them, example inputs."""

    module: Any
    name: str
    args: tuple | None = None
    kwargs: dict = field(default_factory=dict)
    verify_inputs: Any = None  # a list of argument tuples, or a callable batch -> args
    # called with the example inputs before the export (trtready's own random-weight detectors are
    # calibrated on them, so that they detect something: see trtready.detection.calibrate)
    prepare: Callable[[tuple], None] | None = None


def load_spec(spec: str, *, allow_pickle: bool = False) -> LoadedModel:
    """Resolve a model spec. Raises SpecError / ModelFileError with a hint."""
    if spec.startswith("torchvision:"):
        return _load_torchvision(spec.split(":", 1)[1])
    path_part, _, factory = spec.rpartition(":") if ":" in spec else (spec, "", "")
    if not factory:
        path_part = spec
    if path_part.endswith(".py"):
        if not factory:
            raise SpecError(f"'{spec}' names a file but no factory", hint=f"write {spec}:build_model")
        return _call_factory(_import_file(Path(path_part)), factory, spec)
    if spec.endswith(".pt2"):
        return _load_exported_program(Path(spec), allow_pickle)
    if spec.endswith((".pt", ".pth", ".ts")):
        return _load_torchscript(Path(spec), allow_pickle)
    if factory and _looks_like_module(path_part):
        return _call_factory(_import_module(path_part, spec), factory, spec)
    raise SpecError(
        f"cannot understand model spec '{spec}'",
        hint="use path/file.py:factory, pkg.module:factory, torchvision:NAME, model.pt or program.pt2",
    )


def _looks_like_module(name: str) -> bool:
    return all(part.isidentifier() for part in name.split("."))


def _import_file(path: Path):
    if not path.is_file():
        raise SpecError(f"no such file: {path}")
    module_name = f"_trtready_user_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    sys.path.insert(0, str(path.resolve().parent))
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        raise SpecError(f"importing {path} failed: {one_line(exc)}", hint=_where(exc)) from None
    finally:
        sys.path.remove(str(path.resolve().parent))
    return module


def _import_module(name: str, spec: str):
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        raise SpecError(f"cannot import '{name}' from spec '{spec}': {exc}", hint="is it installed?") from None
    except Exception as exc:
        raise SpecError(f"importing '{name}' failed: {one_line(exc)}", hint=_where(exc)) from None


def _call_factory(module, factory: str, spec: str) -> LoadedModel:
    fn = getattr(module, factory, None)
    if fn is None or not callable(fn):
        names = [n for n, v in vars(module).items() if callable(v) and not n.startswith("_")]
        raise SpecError(f"'{factory}' not found in {module.__name__}", hint=f"callables there: {', '.join(names[:8])}")
    try:
        built = fn()
    except Exception as exc:
        raise SpecError(f"factory {factory}() raised {one_line(exc)}", hint=_where(exc)) from None
    return _from_factory_result(built, spec)


def _from_factory_result(built: Any, name: str) -> LoadedModel:
    import torch

    if isinstance(built, torch.nn.Module):
        return LoadedModel(built, name)
    if isinstance(built, tuple) and len(built) in (2, 3) and isinstance(built[0], torch.nn.Module):
        module, example, *data = built
        args, kwargs = _split_example(example)
        return LoadedModel(module, name, args, kwargs, data[0] if data else None)
    raise SpecError(
        f"factory for '{name}' returned {type(built).__name__}",
        hint="return an nn.Module, a (module, example_args) pair or a (module, example_args, verify_inputs) triple",
    )


def _split_example(example: Any) -> tuple[tuple, dict]:
    import torch

    if isinstance(example, torch.Tensor):
        return (example,), {}
    if isinstance(example, dict):
        return (), dict(example)
    if (
        isinstance(example, tuple)
        and len(example) == 2
        and isinstance(example[0], tuple)
        and isinstance(example[1], dict)
    ):
        return example[0], example[1]
    if isinstance(example, (tuple, list)):
        return tuple(example), {}
    raise SpecError(f"example inputs of type {type(example).__name__} are not supported")


def _load_torchvision(name: str) -> LoadedModel:
    try:
        import torchvision
    except ImportError:
        raise SpecError("torchvision is not installed", hint="pip install torchvision") from None
    try:
        builder = torchvision.models.get_model_builder(name)
    except ValueError:
        raise SpecError(
            f"unknown torchvision model '{name}'", hint="see torchvision.models.list_models()"
        ) from None
    kind = builder.__module__.split(".")[2] if builder.__module__.count(".") >= 2 else "classification"
    kwargs = {"weights": None}
    if "weights_backbone" in inspect.signature(builder).parameters:
        kwargs["weights_backbone"] = None
    module = builder(**kwargs).eval()  # built here for inference: not a model the user left in training mode
    _randomize_zero_weights(module)
    prepare = _calibrator(module) if kind == "detection" else None
    return LoadedModel(module, f"torchvision:{name}", _torchvision_example(kind), prepare=prepare)


def _calibrator(module) -> Callable[[tuple], None]:
    """Random-weight detectors detect nothing (scores sit at the prior, under every threshold):
    calibrate the one built here on the images it will be exported and verified with."""

    def calibrate(example: tuple) -> None:
        from .detection.calibrate import calibrate_detector
        from .detection.prepare import example_images

        calibrate_detector(module, example_images(example))

    return calibrate


def _randomize_zero_weights(module) -> None:
    """Give all-zero weight matrices (ViT's head, some residual branches) small random values.

    torchvision zero-initializes a few layers; with random weights elsewhere the
    model's output is then constant, and a parity check against it proves
    nothing. Biases (1-D) stay as they are.
    """
    import torch

    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for param in module.parameters():
            if param.dim() >= 2 and not param.any():
                param.copy_(torch.randn(param.shape, generator=gen) * 0.02)


_IMAGENET_MEAN, _IMAGENET_STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def _torchvision_example(kind: str) -> tuple | None:
    import torch

    gen = torch.Generator().manual_seed(0)
    if kind == "optical_flow":
        return tuple(torch.rand(2, 3, 128, 128, generator=gen) for _ in range(2))
    shape = _TORCHVISION_INPUT.get(kind, (2, 3, 224, 224))
    if kind == "detection":  # pictures of objects, not noise: see trtready.detection.scenes
        from .detection.scenes import scenes

        return (scenes(shape[0], shape[2:], seed=0),)
    image = torch.rand(*shape, generator=gen)
    if kind in ("classification", "segmentation", "quantization"):  # these expect normalized images
        mean, std = torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1)
        image = (image - mean) / std
    return (image,)


def _load_torchscript(path: Path, allow_pickle: bool) -> LoadedModel:
    import torch

    if not path.is_file():
        raise SpecError(f"no such file: {path}")
    try:
        return LoadedModel(torch.jit.load(str(path), map_location="cpu"), path.name)
    except Exception as jit_error:
        jit_message = one_line(jit_error)
    try:
        obj = torch.load(str(path), map_location="cpu", weights_only=not allow_pickle)
    except Exception as exc:
        hint = "if you trust the file, pass --allow-pickle" if "weights_only" in str(exc) else None
        raise ModelFileError(f"cannot load {path}: {jit_message}", hint=hint) from None
    if isinstance(obj, torch.nn.Module):
        return LoadedModel(obj, path.name)
    raise ModelFileError(
        f"{path} holds a {type(obj).__name__}, not a model",
        hint="a state_dict needs its model class: use file.py:factory",
    )


def _load_exported_program(path: Path, allow_pickle: bool) -> LoadedModel:
    import torch

    if not path.is_file():
        raise SpecError(f"no such file: {path}")
    try:
        with _weights_only(not allow_pickle):
            program = torch.export.load(str(path))
    except Exception as exc:
        hint = "if you trust the file, pass --allow-pickle" if not allow_pickle and _UNSAFE in str(exc) else None
        raise ModelFileError(f"cannot load {path} as an ExportedProgram: {one_line(exc)}", hint=hint) from None
    args, kwargs = program.example_inputs or ((), {})
    return LoadedModel(program.module(), path.name, tuple(args), dict(kwargs))


_UNSAFE = "weights_only"


@contextlib.contextmanager
def _weights_only(enforce: bool):
    """``torch.load`` with ``weights_only=True`` whatever its caller asks, while active.

    ``torch.export.load`` unpickles the sample inputs, weights and constants of a
    ``.pt2`` with ``weights_only=False`` when the safe load fails, which runs any
    code the file carries; without ``--allow-pickle`` that retry must fail instead.
    """
    import torch

    if not enforce:
        yield
        return
    original = torch.load

    def safe_load(*args, **kwargs):
        kwargs["weights_only"] = True
        return original(*args, **kwargs)

    torch.load = safe_load
    logger = logging.getLogger("torch._export.serde.serialize")
    level, logger.level = logger.level, logging.CRITICAL  # no 60-line traceback for a refused file
    try:
        yield
    finally:
        torch.load = original
        logger.setLevel(level)


def _where(exc: BaseException) -> str | None:
    tb = exc.__traceback__
    last = None
    while tb is not None:
        last = tb
        tb = tb.tb_next
    if last is None:
        return None
    return f"raised at {last.tb_frame.f_code.co_filename}:{last.tb_lineno}"


def model_error(what: str, exc: BaseException) -> ModelRunError:
    """A ModelRunError for an exception raised by the user's model."""
    return ModelRunError(f"{what}: {one_line(exc)}", hint=_where(exc))

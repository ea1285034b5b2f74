"""Fixtures of the fuzz tests: the seed models, built once per session, and warm children."""

from __future__ import annotations

import pytest
from fuzz_harness import warm_up
from fuzz_seeds import build_seeds, mlp


@pytest.fixture(scope="session", autouse=True)
def warm(tmp_path_factory):
    """Every call once in this process first: forked children then start warm (a cold one takes seconds)."""
    directory = tmp_path_factory.mktemp("fuzz-warm")
    mlp(directory / "model.onnx")
    warm_up(directory / "model.onnx", directory / "out")


@pytest.fixture(scope="session")
def seeds(tmp_path_factory):
    """Every seed model of fuzz_seeds (conv net, MLP, If, Loop, external data, torch.onnx.export)."""
    return build_seeds(tmp_path_factory.mktemp("fuzz-seeds"))

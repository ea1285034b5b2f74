"""Factories for the CLI tests (loaded as tests/doctor/spec_models.py:NAME)."""

import torch

from models import Combined


def combined():
    return Combined(), (torch.rand(2, 3, 6, 6),)

from __future__ import annotations

from pathlib import Path

import pytest

MODELS = Path(__file__).with_name("models.py")


def marker_line(name: str) -> int:
    """The line of ``models.py`` that ends with ``# MARK: name``."""
    for number, text in enumerate(MODELS.read_text().splitlines(), start=1):
        if text.rstrip().endswith(f"# MARK: {name}"):
            return number
    raise AssertionError(f"no marker {name}")


@pytest.fixture(scope="session")
def line():
    return marker_line

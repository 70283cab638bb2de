"""Shared fixtures: the repository root and a non-interactive plotting backend."""

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def repo():
    return REPO

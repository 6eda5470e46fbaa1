"""Every test here starts Windows' CPython under Wine, a process that takes seconds: all are
``slow`` (left out of the inner loop, run by CI), new files included."""

from __future__ import annotations

from pathlib import Path

import pytest

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.slow)

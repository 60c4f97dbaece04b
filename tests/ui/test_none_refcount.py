"""Regression: a long session must not abort with 'deallocating None'.

PySide6 6.12 on Python 3.11 drops a reference to None on every void call; pyproject.toml keeps 6.12 away from
Python < 3.12. This test fails if a Qt binding with that bug is ever installed again.
"""

from __future__ import annotations

import os
import subprocess
import sys

LOOP = """
import os, sys
os.environ["QT_QPA_PLATFORM"] = "offscreen"
import sfrt_reader.ui
from PySide6.QtGui import QColor
colour = QColor()
for _ in range(400_000):  # void methods: each one used to drop a reference to None
    colour.setRed(1)
print("alive")
"""


def test_hundreds_of_thousands_of_void_qt_calls_do_not_abort() -> None:
    result = subprocess.run(
        [sys.executable, "-c", LOOP], env=dict(os.environ), capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-400:]
    assert "alive" in result.stdout

"""Shared test set-up: Qt and VTK headless, and the real-world DICOM samples found through SFRT_REALDATA."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Qt offscreen when there is no screen; VTK inside offscreen Qt needs the OSMesa window (see README).
if not os.environ.get("DISPLAY"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkOSOpenGLRenderWindow")


@pytest.fixture(scope="session")
def realdata() -> Path:
    """The folder of public real-scanner DICOM samples; the test is skipped when SFRT_REALDATA is unset."""
    value = os.environ.get("SFRT_REALDATA")
    if not value:
        pytest.skip("SFRT_REALDATA is not set: real-scanner samples not available")
    path = Path(value)
    if not (path / "MANIFEST.json").is_file():
        pytest.skip(f"SFRT_REALDATA does not point at a folder with MANIFEST.json: {path}")
    return path

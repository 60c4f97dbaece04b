"""DICOM in: index folders, build Volumes (geometry + HU), de-identify, demo phantoms.

The names exported here are what the rest of the application codes against. They are imported on first use
(PEP 562), so that importing `sfrt_reader.imaging.volume` (as the viewer does at start-up) does not pull in
pydicom and its pixel decoders, which cost about a second before the window can appear.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sfrt_reader.imaging.catalog import Catalog, PatientInfo, SeriesInfo, StudyInfo, scan
    from sfrt_reader.imaging.errors import ImagingError
    from sfrt_reader.imaging.loader import SliceReady, load_path, load_series
    from sfrt_reader.imaging.volume import Volume

_WHERE = {
    "Catalog": "catalog",
    "PatientInfo": "catalog",
    "SeriesInfo": "catalog",
    "StudyInfo": "catalog",
    "scan": "catalog",
    "ImagingError": "errors",
    "SliceReady": "loader",
    "load_path": "loader",
    "load_series": "loader",
    "Volume": "volume",
}

__all__ = [
    "Catalog",
    "ImagingError",
    "PatientInfo",
    "SeriesInfo",
    "SliceReady",
    "StudyInfo",
    "Volume",
    "load_path",
    "load_series",
    "scan",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'sfrt_reader.imaging' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"sfrt_reader.imaging.{module}"), name)
    globals()[name] = value
    return value

"""DICOM in: index folders, build Volumes (geometry + HU), de-identify, demo phantoms.

The names exported here are what the rest of the application codes against.
"""

from sfrt_reader.imaging.catalog import Catalog, PatientInfo, SeriesInfo, StudyInfo, scan
from sfrt_reader.imaging.errors import ImagingError
from sfrt_reader.imaging.loader import SliceReady, load_path, load_series
from sfrt_reader.imaging.volume import Volume

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

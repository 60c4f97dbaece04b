"""Search a DICOM file for identifiers, the way a curious person would.

Identifiers with a letter in them (names, IDs, institutions) are searched in the raw bytes of the file.
All-digit ones (dates) are searched in every attribute value except UIDs and binary data: a remapped UID is a
39-digit random-looking number (2.25 form) that contains any given 8-digit date now and then by pure chance.
"""

from __future__ import annotations

from pathlib import Path

import pydicom

_SKIP_VR = {"UI", "OB", "OW", "OF", "OD", "OL", "OV", "UN", "SQ"}


def leaks(path: Path, secrets: list[str]) -> list[str]:
    raw = path.read_bytes()
    found = [s for s in secrets if not s.isdigit() and s.encode() in raw]
    digits = [s for s in secrets if s.isdigit()]
    if digits:
        ds = pydicom.dcmread(path)
        values = [str(e.value) for e in ds.file_meta.iterall() if e.VR not in _SKIP_VR]
        values += [str(e.value) for e in ds.iterall() if e.VR not in _SKIP_VR]
        found += [s for s in digits if any(s in v for v in values)]
    return found

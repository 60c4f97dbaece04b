"""Errors of the DICOM layer: each names the file or series and the reason, never a patient identifier.

The messages are read by radiologists in a message box or on a terminal, so they speak of slices, millimetres and
series numbers, and say what to do next. File names are given without their folders: folder names on clinical
media often carry the patient's name, file names (IM0001, 1-15.dcm, a UID) do not.
"""

from __future__ import annotations

from sfrt_reader.errors import SfrtError


class ImagingError(SfrtError):
    """A file, folder or series that cannot be used as asked."""


class NotDicomError(ImagingError):
    """The file is not a DICOM file (or is too damaged to be recognised as one)."""


class UnreadableFileError(ImagingError):
    """A DICOM file whose header or pixel data cannot be read (truncated, corrupt, missing pixel data)."""


class NoImageSeriesError(ImagingError):
    """A folder or file that holds no image series that could become a volume."""


class SeriesChoiceError(ImagingError):
    """Several image series match: the user has to pick one (the message lists them)."""


class SeriesNotFoundError(ImagingError):
    """The series asked for is not in the folder (the message lists those that are)."""


class SeriesGeometryError(ImagingError):
    """The slices of a series cannot be placed in the patient: missing or inconsistent position, orientation,
    pixel spacing or image size."""


class NotAVolumeError(SeriesGeometryError):
    """All images of a series lie in the same plane (a bolus-tracking, fluoroscopy or repeated single slice)."""


class DuplicateSlicesError(SeriesGeometryError):
    """Different images claim the same position and nothing in their headers tells them apart."""


class MissingSlicesError(SeriesGeometryError):
    """Slices are missing from the stack (raised only when gaps are not allowed; otherwise a warning)."""


class UnsupportedImageError(ImagingError):
    """An image the workstation does not read (colour, not a cross-sectional image, unsupported pixel layout)."""


class UnsupportedTransferSyntaxError(ImagingError):
    """Compressed pixel data that no installed decoder can decode."""


class RegistrationInputError(ImagingError):
    """Images or settings that registration cannot work with (too small a field of view, invalid options, a stored
    registration that does not parse)."""

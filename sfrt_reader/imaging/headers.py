"""Read what the catalogue and the loader need from one DICOM file's header, without its pixel data.

One file gives either image planes (`Frame`, one per frame of a multi-frame file), a non-image object (SEG, SR,
RT, PR, KO, PDF...) with the series and instances it references, or a DICOMDIR. Everything later steps need is
copied into small immutable records so that the pydicom datasets can be dropped at once: a catalogue of thousands
of files must not keep thousands of datasets alive.
"""

from __future__ import annotations

import os
import re
import struct
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

import pydicom
from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.uid import UID

from sfrt_reader.imaging.errors import NotDicomError, UnreadableFileError
from sfrt_reader.imaging.fastheader import RawHeader, fast_header

DICOMDIR_CLASS = "1.2.840.10008.1.3.10"

# SOP classes that carry no cross-sectional image we could measure on, whatever their modality says.
_NON_IMAGE_PREFIXES: dict[str, str] = {
    "1.2.840.10008.5.1.4.1.1.66": "SEG",  # segmentation and its relatives (surface, registration...)
    "1.2.840.10008.5.1.4.1.1.88.59": "KO",
    "1.2.840.10008.5.1.4.1.1.88": "SR",
    "1.2.840.10008.5.1.4.1.1.481.2": "RTDOSE",
    "1.2.840.10008.5.1.4.1.1.481.3": "RTSTRUCT",
    "1.2.840.10008.5.1.4.1.1.481.5": "RTPLAN",
    "1.2.840.10008.5.1.4.1.1.481.8": "RTPLAN",
    "1.2.840.10008.5.1.4.1.1.481": "RT",
    "1.2.840.10008.5.1.4.1.1.11": "PR",
    "1.2.840.10008.5.1.4.1.1.104": "DOC",  # encapsulated PDF / CDA
    "1.2.840.10008.5.1.4.1.1.9": "ECG",  # waveforms
}
_NON_IMAGE_MODALITIES = {"SR", "SEG", "RTSTRUCT", "RTPLAN", "RTDOSE", "RTRECORD", "PR", "KO", "DOC", "REG", "ECG"}


@dataclass(frozen=True, slots=True)
class Frame:
    """One image plane: a single-frame file, or one frame of a multi-frame file.

    pixel_spacing is DICOM PixelSpacing order: (distance between rows, distance between columns) in mm.
    orientation is ImageOrientationPatient: row direction then column direction (LPS).
    """

    path: str = field(repr=False)  # folders on clinical media often carry the patient's name
    sop_instance_uid: str
    frame_number: int | None
    rows: int
    columns: int
    position: tuple[float, float, float] | None
    orientation: tuple[float, float, float, float, float, float] | None
    pixel_spacing: tuple[float, float] | None
    slope: float = 1.0
    intercept: float = 0.0
    instance_number: int | None = None
    thickness: float | None = None
    echo: str = ""
    temporal: str = ""
    acquisition: str = ""
    stack_id: str = ""
    transfer_syntax: str = ""
    acquired: datetime | None = None
    pixel_offset: int | None = field(default=None, compare=False)

    @property
    def file_name(self) -> str:
        """The file's name without its folders (folders on clinical media often carry the patient's name)."""
        return os.path.basename(self.path)


@dataclass(slots=True)
class SeriesHeader:
    """Series-, study- and patient-level attributes, taken from one file of the series."""

    series_instance_uid: str
    study_instance_uid: str
    sop_class_uid: str
    modality: str
    series_number: int | None
    series_description: str
    frame_of_reference_uid: str
    patient_id: str = field(repr=False)
    patient_name: str = field(repr=False)
    patient_birth_date: str = field(repr=False)
    patient_sex: str
    study_date: str
    study_time: str
    study_description: str
    accession_number: str = field(repr=False)
    institution: str = field(repr=False)
    contrast_agent: str
    samples_per_pixel: int
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    photometric: str
    manufacturer: str
    window: tuple[float, float] | None  # (center, width) from the header, when present


@dataclass(slots=True)
class NonImageObject:
    """A non-image DICOM object (SEG, SR, RTSTRUCT, RTPLAN, RTDOSE, PR, KO, PDF...) and what it points at."""

    path: str = field(repr=False)
    kind: str
    sop_class_uid: str
    sop_instance_uid: str
    header: SeriesHeader = field(repr=False)
    referenced_series: tuple[str, ...] = ()
    referenced_instances: tuple[str, ...] = ()

    @property
    def sop_class_name(self) -> str:
        return str(UID(self.sop_class_uid).name) if self.sop_class_uid else ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "sop_class": self.sop_class_name,
            "sop_class_uid": self.sop_class_uid,
            "sop_instance_uid": self.sop_instance_uid,
            "series_instance_uid": self.header.series_instance_uid,
            "series_number": self.header.series_number,
            "description": self.header.series_description,
            "file": self.path,
            "referenced_series": list(self.referenced_series),
            "referenced_instances": list(self.referenced_instances),
        }


@dataclass(slots=True)
class FileHeader:
    """What one file turned out to be: image frames, a non-image object, or a DICOMDIR."""

    path: str = field(repr=False)
    header: SeriesHeader | None = field(default=None, repr=False)
    frames: list[Frame] = field(default_factory=list)
    non_image: NonImageObject | None = None
    is_dicomdir: bool = False


# ----------------------------------------------------------------------------------------------- helpers
# Fast value access. Converting header values through pydicom's DataElement machinery (validation, charset,
# MultiValue) costs tens of microseconds per value and made header reading 4x slower than dcmread itself
# (measured with bench/scan_bench.py). Plain ASCII text and binary numbers are decoded here directly from the raw
# element; anything else (non-ASCII text needing the character set, sequences, already converted values) goes
# through pydicom as usual.
_BINARY = {"US": "H", "UL": "L", "SS": "h", "SL": "l", "FL": "f", "FD": "d"}
_TAG_CACHE: dict[str, int] = {}
_STRUCTS = {code: struct.Struct("<" + code) for code in _BINARY.values()}


def _tag(keyword: str) -> int:
    """The tag of a keyword as a plain int: dict lookups with pydicom's BaseTag go through its Python __eq__."""
    tag = _TAG_CACHE.get(keyword)
    if tag is None:
        found = tag_for_keyword(keyword)
        if found is None:
            raise KeyError(keyword)
        tag = _TAG_CACHE[keyword] = int(found)
    return tag


_COMPLEX = object()  # marks a value left to pydicom


def _simple(vr: str, raw: bytes | None, little_endian: bool) -> Any:
    """A binary number (or list of them) or plain ASCII text (or list) decoded from raw bytes, None when empty,
    or _COMPLEX when pydicom must decode it (sequences, text needing the character set)."""
    if raw is None or len(raw) == 0:
        return None
    code = _BINARY.get(vr)
    if code is not None:
        size = _STRUCTS[code].size
        count = len(raw) // size
        if count == 1 and little_endian:
            return _STRUCTS[code].unpack_from(raw)[0]
        values = struct.unpack(("<" if little_endian else ">") + code * count, raw[: count * size])
        return values[0] if count == 1 else list(values)
    if vr != "SQ" and raw.isascii():
        parts = [p.strip(" \x00") for p in raw.decode("ascii").split("\\")]
        return parts[0] if len(parts) == 1 else parts
    return _COMPLEX


def _get(ds: Dataset | RawHeader, keyword: str) -> Any:
    """Like ds.get(keyword) for simple values: a str, an int/float, a list of those, or None."""
    tag = _tag(keyword)
    if isinstance(ds, RawHeader):
        item = ds.elements.get(tag)
        if item is None:
            return None
        if isinstance(item, tuple):
            value = _simple(item[0] or dictionary_VR(tag), item[1], True)
            if value is not _COMPLEX:
                return value
        return _get(ds.dataset(), keyword)
    elem = ds.get_item(tag)
    if elem is None:
        return None
    if isinstance(elem, RawDataElement):
        value = _simple(elem.VR or dictionary_VR(tag), elem.value, elem.is_little_endian)
        if value is not _COMPLEX:
            return value
    value = ds[tag].value
    if isinstance(value, pydicom.multival.MultiValue):
        return list(value)
    return value


def _has(ds: Dataset | RawHeader, keyword: str) -> bool:
    return _tag(keyword) in (ds.elements if isinstance(ds, RawHeader) else ds)


def _text(ds: Dataset | RawHeader, keyword: str) -> str:
    value = _get(ds, keyword)
    if value is None:
        return ""
    if isinstance(value, list):
        return "\\".join(str(v) for v in value).strip()
    return str(value).strip()


def _float(value: Any) -> float | None:
    try:
        if value is None or value == "":
            return None
        return float(value)
    except (TypeError, ValueError):
        return None


def _int(value: Any) -> int | None:
    try:
        if value is None or value == "":
            return None
        return int(value)
    except (TypeError, ValueError):
        return None


def _triplet(value: Any) -> tuple[float, float, float] | None:
    try:
        if value is None or len(value) != 3:
            return None
        return (float(value[0]), float(value[1]), float(value[2]))
    except (TypeError, ValueError):
        return None


def _sextet(value: Any) -> tuple[float, float, float, float, float, float] | None:
    try:
        if value is None or len(value) != 6:
            return None
        v = [float(x) for x in value]
        return (v[0], v[1], v[2], v[3], v[4], v[5])
    except (TypeError, ValueError):
        return None


def _pair(value: Any) -> tuple[float, float] | None:
    try:
        if value is None or len(value) != 2:
            return None
        a, b = float(value[0]), float(value[1])
        return (a, b) if a > 0 and b > 0 else None
    except (TypeError, ValueError):
        return None


def _first(value: Any) -> Any:
    if isinstance(value, (list, pydicom.multival.MultiValue)):
        return value[0] if len(value) else None
    return value


_DT = re.compile(r"^(\d{8})(\d{2})?(\d{2})?(\d{2})?")


def parse_datetime(date: str, time: str = "") -> datetime | None:
    """DICOM DA + TM (or one DT string) to a naive datetime; None when absent or malformed."""
    text = (date or "").strip() + (time or "").strip().split(".")[0].replace(":", "")
    m = _DT.match(text)
    if not m:
        return None
    day = m.group(1)
    try:  # int() on fixed slices: strptime cost as much as the rest of a file's header
        return datetime(
            int(day[:4]),
            int(day[4:6]),
            int(day[6:8]),
            int(m.group(2) or 0),
            int(m.group(3) or 0),
            int(m.group(4) or 0),
        )
    except ValueError:
        return None


@lru_cache(maxsize=256)
def non_image_kind(sop_class_uid: str, modality: str) -> str | None:
    """The kind of non-image object ("SEG", "SR"...), or None for an image."""
    for prefix, kind in _NON_IMAGE_PREFIXES.items():
        if sop_class_uid == prefix or sop_class_uid.startswith(prefix + "."):
            return kind
    if modality in _NON_IMAGE_MODALITIES:
        return modality
    return None


def _walk_references(ds: Dataset, depth: int = 0) -> Iterator[tuple[str, str]]:
    """Yield ("series", uid) and ("instance", uid) for every reference nested in sequences."""
    if depth > 12:
        return
    for raw in ds.elements():  # unconverted: converting every element of an SR content tree cost most of a scan
        vr = raw.VR
        if vr in (None, "UN"):
            vr = ds[raw.tag].VR  # implicit VR or UN: pydicom decides, from its dictionary or the encoding
        if vr != "SQ":
            continue
        for item in ds[raw.tag].value:
            series = item.get("SeriesInstanceUID")
            if series:
                yield ("series", str(series))
            instance = item.get("ReferencedSOPInstanceUID")
            if instance:
                yield ("instance", str(instance))
            yield from _walk_references(item, depth + 1)


def _series_header(ds: Dataset | RawHeader) -> SeriesHeader:
    window = None
    center, width = _float(_first(_get(ds, "WindowCenter"))), _float(_first(_get(ds, "WindowWidth")))
    if center is not None and width is not None and width > 0:
        window = (center, width)
    contrast = _text(ds, "ContrastBolusAgent")
    if not contrast:
        usage = _get(ds, "SharedFunctionalGroupsSequence")
        if usage:
            seq = usage[0].get("ContrastBolusUsageSequence")
            if seq and str(seq[0].get("ContrastBolusAgentAdministered", "")).upper() == "YES":
                contrast = "administered"
    return SeriesHeader(
        series_instance_uid=_text(ds, "SeriesInstanceUID"),
        study_instance_uid=_text(ds, "StudyInstanceUID"),
        sop_class_uid=_text(ds, "SOPClassUID"),
        modality=_text(ds, "Modality").upper(),
        series_number=_int(_get(ds, "SeriesNumber")),
        series_description=_text(ds, "SeriesDescription"),
        frame_of_reference_uid=_text(ds, "FrameOfReferenceUID"),
        patient_id=_text(ds, "PatientID"),
        patient_name=_text(ds, "PatientName"),
        patient_birth_date=_text(ds, "PatientBirthDate"),
        patient_sex=_text(ds, "PatientSex"),
        study_date=_text(ds, "StudyDate"),
        study_time=_text(ds, "StudyTime"),
        study_description=_text(ds, "StudyDescription"),
        accession_number=_text(ds, "AccessionNumber"),
        institution=_text(ds, "InstitutionName"),
        contrast_agent=contrast,
        samples_per_pixel=_int(_get(ds, "SamplesPerPixel")) or 1,
        bits_allocated=_int(_get(ds, "BitsAllocated")) or 16,
        bits_stored=_int(_get(ds, "BitsStored")) or _int(_get(ds, "BitsAllocated")) or 16,
        pixel_representation=_int(_get(ds, "PixelRepresentation")) or 0,
        photometric=_text(ds, "PhotometricInterpretation"),
        manufacturer=_text(ds, "Manufacturer"),
        window=window,
    )


def _acquired(ds: Dataset | RawHeader) -> datetime | None:
    dt = _text(ds, "AcquisitionDateTime")
    if dt:
        return parse_datetime(dt[:8], dt[8:])
    for date_kw, time_kw in (
        ("AcquisitionDate", "AcquisitionTime"),
        ("SeriesDate", "SeriesTime"),
        ("StudyDate", "StudyTime"),
    ):
        date = _text(ds, date_kw)
        if date:
            return parse_datetime(date, _text(ds, time_kw))
    return None


def _group(item: Dataset | None, shared: Dataset | None, keyword: str) -> Dataset | None:
    """A functional group macro, per-frame first, shared otherwise (enhanced multi-frame)."""
    for source in (item, shared):
        if source is not None:
            seq = source.get(keyword)
            if seq:
                return seq[0]  # type: ignore[no-any-return]
    return None


def _enhanced_frames(ds: Dataset | RawHeader, path: str, ts: str, acquired: datetime | None) -> list[Frame]:
    per_frame = _get(ds, "PerFrameFunctionalGroupsSequence") or []
    shared_seq = _get(ds, "SharedFunctionalGroupsSequence")
    shared = shared_seq[0] if shared_seq else None
    n = _int(_get(ds, "NumberOfFrames")) or len(per_frame) or 1
    sop = _text(ds, "SOPInstanceUID")
    rows, cols = _int(_get(ds, "Rows")) or 0, _int(_get(ds, "Columns")) or 0
    frames = []
    for index in range(n):
        item = per_frame[index] if index < len(per_frame) else None
        pos = _group(item, shared, "PlanePositionSequence")
        ori = _group(item, shared, "PlaneOrientationSequence")
        meas = _group(item, shared, "PixelMeasuresSequence")
        pvt = _group(item, shared, "PixelValueTransformationSequence")
        content = _group(item, shared, "FrameContentSequence")
        echo = _group(item, shared, "MREchoSequence")
        frame_dt = _text(content, "FrameAcquisitionDateTime") if content is not None else ""
        frames.append(
            Frame(
                path=path,
                sop_instance_uid=sop,
                frame_number=index + 1,
                rows=rows,
                columns=cols,
                position=_triplet(_get(pos, "ImagePositionPatient")) if pos is not None else None,
                orientation=_sextet(_get(ori, "ImageOrientationPatient")) if ori is not None else None,
                pixel_spacing=_pair(_get(meas, "PixelSpacing"))
                if meas is not None
                else _pair(_get(ds, "PixelSpacing")),
                slope=_float(_get(pvt or ds, "RescaleSlope")) or 1.0,
                intercept=_float(_get(pvt or ds, "RescaleIntercept")) or 0.0,
                instance_number=_int(_get(ds, "InstanceNumber")),
                thickness=_float(_get(meas, "SliceThickness")) if meas is not None else None,
                echo=str(echo.get("EffectiveEchoTime", "")) if echo is not None else "",
                temporal=str(content.get("TemporalPositionIndex", "")) if content is not None else "",
                acquisition="",
                stack_id=str(content.get("StackID", "")) if content is not None else "",
                transfer_syntax=ts,
                acquired=parse_datetime(frame_dt[:8], frame_dt[8:]) if frame_dt else acquired,
            )
        )
    return frames


def _classic_frame(ds: Dataset | RawHeader, path: str, ts: str, pixel_offset: int | None = None) -> Frame:
    echo = _get(ds, "EchoNumbers")
    temporal = _get(ds, "TemporalPositionIdentifier")
    if temporal is None and _get(ds, "NumberOfTemporalPositions") is not None:
        temporal = _get(ds, "TriggerTime")
    return Frame(
        path=path,
        sop_instance_uid=_text(ds, "SOPInstanceUID"),
        frame_number=None,
        rows=_int(_get(ds, "Rows")) or 0,
        columns=_int(_get(ds, "Columns")) or 0,
        position=_triplet(_get(ds, "ImagePositionPatient")),
        orientation=_sextet(_get(ds, "ImageOrientationPatient")),
        pixel_spacing=_pair(_get(ds, "PixelSpacing")) or _pair(_get(ds, "ImagerPixelSpacing")),
        slope=_float(_get(ds, "RescaleSlope")) or 1.0,
        intercept=_float(_get(ds, "RescaleIntercept")) or 0.0,
        instance_number=_int(_get(ds, "InstanceNumber")),
        thickness=_float(_get(ds, "SliceThickness")),
        echo="" if echo is None else str(_first(echo)),
        temporal="" if temporal is None else str(temporal),
        acquisition=_text(ds, "AcquisitionNumber"),
        transfer_syntax=ts,
        acquired=_acquired(ds),
        pixel_offset=pixel_offset,
    )


def _looks_like_raw_dicom(path: str) -> bool:
    """A DICOM file written without its 128-byte preamble starts with group 0x0002 (meta) or 0x0008."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(4)
    except OSError:
        return False
    return len(head) == 4 and head[:2] in (b"\x02\x00", b"\x08\x00") and head[3] == 0


def _read(path: str, stop_before_pixels: bool) -> Dataset | RawHeader:
    name = os.path.basename(path)
    if stop_before_pixels:
        try:
            fast = fast_header(path)
        except (OSError, ValueError, struct.error):
            fast = None  # let dcmread read it and explain what is wrong
        if fast is not None:
            return fast
    try:
        return pydicom.dcmread(path, stop_before_pixels=stop_before_pixels)
    except InvalidDicomError as error:
        if _looks_like_raw_dicom(path):
            try:
                return pydicom.dcmread(path, stop_before_pixels=stop_before_pixels, force=True)
            except Exception as inner:  # a damaged file can raise anything from deep inside the parser
                raise UnreadableFileError(f"file {name}: DICOM header cannot be read ({inner})") from inner
        raise NotDicomError(f"file {name}: not a DICOM file") from error
    except (OSError, EOFError) as error:
        raise UnreadableFileError(f"file {name}: cannot be read ({error.__class__.__name__}: {error})") from error
    except Exception as error:  # truncated or corrupt headers raise assorted exceptions inside pydicom
        raise UnreadableFileError(f"file {name}: DICOM header is damaged ({error.__class__.__name__})") from error


def read_dataset(path: str, *, stop_before_pixels: bool = True) -> Dataset:
    """dcmread with the two outcomes the catalogue distinguishes: not DICOM at all, or DICOM but unreadable."""
    source = _read(path, stop_before_pixels)
    return source.dataset() if isinstance(source, RawHeader) else source


HeaderCache = dict[tuple[str, str, str], SeriesHeader]


def read_header(path: str, cache: HeaderCache | None = None) -> FileHeader:
    """Read one file's header (no pixel data) into plain records.

    cache: series-level headers already read, keyed by (SeriesInstanceUID, SOPClassUID, Modality). The files
    of one series share them, so reading them once per series instead of once per file saves half the work of
    a scan. Raises NotDicomError for files that are not DICOM and UnreadableFileError for damaged DICOM files.
    """
    ds = _read(path, True)
    pixel_offset = ds.pixel_offset if isinstance(ds, RawHeader) else None
    meta = getattr(ds, "file_meta", None)
    ts = _text(meta, "TransferSyntaxUID") if meta is not None else ""
    media_class = _text(meta, "MediaStorageSOPClassUID") if meta is not None else ""
    if media_class == DICOMDIR_CLASS or _has(ds, "DirectoryRecordSequence"):
        return FileHeader(path=path, is_dicomdir=True)
    key = (_text(ds, "SeriesInstanceUID"), _text(ds, "SOPClassUID") or media_class, _text(ds, "Modality"))
    cached = cache.get(key) if cache is not None and key[0] else None
    header = cached if cached is not None else _series_header(ds)
    if cache is not None and cached is None and key[0]:
        cache[key] = header
    if not header.series_instance_uid or not _has(ds, "SOPInstanceUID"):
        missing = "SeriesInstanceUID" if not header.series_instance_uid else "SOPInstanceUID"
        raise UnreadableFileError(
            f"file {os.path.basename(path)}: incomplete DICOM header (no {missing}): truncated or damaged file"
        )
    if not header.sop_class_uid and media_class:
        header.sop_class_uid = media_class
    kind = non_image_kind(header.sop_class_uid, header.modality)
    if kind is None and not _has(ds, "Rows"):
        kind = "NO PIXELS"  # an image SOP class written without its image (test or placeholder files)
    if kind is not None:
        series: list[str] = []
        instances: list[str] = []
        for what, uid in _walk_references(ds.dataset() if isinstance(ds, RawHeader) else ds):
            target = series if what == "series" else instances
            if uid not in target and uid != header.series_instance_uid:
                target.append(uid)
        obj = NonImageObject(
            path=path,
            kind=kind,
            sop_class_uid=header.sop_class_uid,
            sop_instance_uid=_text(ds, "SOPInstanceUID"),
            header=header,
            referenced_series=tuple(series),
            referenced_instances=tuple(instances),
        )
        return FileHeader(path=path, header=header, non_image=obj)
    if _has(ds, "PerFrameFunctionalGroupsSequence") or _has(ds, "SharedFunctionalGroupsSequence"):
        frames = _enhanced_frames(ds, path, ts, _acquired(ds))
    elif (_int(_get(ds, "NumberOfFrames")) or 1) > 1:
        # Classic multi-frame (e.g. NM, some US/XA): one position for all frames; the loader refuses it as a
        # volume with a precise reason, but the catalogue still lists it.
        base = _classic_frame(ds, path, ts)
        n = _int(_get(ds, "NumberOfFrames")) or 1
        frames = [replace(base, frame_number=i + 1) for i in range(n)]
    else:
        frames = [_classic_frame(ds, path, ts, pixel_offset)]
    return FileHeader(path=path, header=header, frames=frames)

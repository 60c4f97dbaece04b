"""Write small DICOM series with known geometry and known pixel values, for the loader and catalogue tests.

Every voxel's value is a formula of its (i, j, k) index in the *true* geometric order, so a test can check
ordering, rescale and geometry against values computed here, independently of the code under test. Files are
written with shuffled names and InstanceNumbers so that any sorting by name or number would show.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence as DicomSequence
from pydicom.uid import (
    PYDICOM_IMPLEMENTATION_UID,
    CTImageStorage,
    EnhancedCTImageStorage,
    ExplicitVRLittleEndian,
    MRImageStorage,
    SegmentationStorage,
    generate_uid,
)

PATIENT_NAME = "Testperson^Geraldine"
PATIENT_ID = "PID-9931-XQ"
BIRTH_DATE = "19610213"
ACCESSION = "ACC7781234"
INSTITUTION = "Hopital Saint-Testard"


def hu_formula(i: np.ndarray | int, j: np.ndarray | int, k: np.ndarray | int) -> np.ndarray:
    """The HU (or signal) written at voxel (i, j, k) of the true geometric order."""
    return np.asarray(-1000 + 37 * np.asarray(k) + 3 * (np.asarray(i) % 11) + 5 * (np.asarray(j) % 7), dtype=np.int32)


@dataclass
class SeriesSpec:
    """Geometry and content of one generated series."""

    n: int = 6
    rows: int = 16
    columns: int = 20
    pixel_spacing: tuple[float, float] = (0.8, 0.7)  # DICOM order: row spacing (y), column spacing (x)
    row_dir: tuple[float, float, float] = (1.0, 0.0, 0.0)
    col_dir: tuple[float, float, float] = (0.0, 1.0, 0.0)
    origin: tuple[float, float, float] = (-20.0, -30.0, 100.0)
    step: float = 2.5  # along the normal
    shear: tuple[float, float, float] = (0.0, 0.0, 0.0)  # added per slice (gantry tilt)
    offsets: Sequence[float] | None = None  # explicit offsets along the normal (gaps, duplicates)
    modality: str = "CT"
    slope: float | Sequence[float] = 1.0
    intercept: float | Sequence[float] = -1024.0
    thickness: float | None = 2.5
    series_number: int = 3
    description: str = "Abdomen portal venous"
    series_uid: str = field(default_factory=generate_uid)
    study_uid: str = ""
    for_uid: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    per_slice: Callable[[int, Dataset], None] | None = None
    value: Callable[[np.ndarray, np.ndarray, int], np.ndarray] | None = None
    seed: int = 7

    def normal(self) -> np.ndarray:
        return np.cross(np.asarray(self.row_dir, float), np.asarray(self.col_dir, float))

    def offsets_mm(self) -> list[float]:
        return list(self.offsets) if self.offsets is not None else [self.step * k for k in range(self.n)]

    def position(self, k: int) -> np.ndarray:
        off = self.offsets_mm()[k]
        return np.asarray(self.origin, float) + off * self.normal() + k * np.asarray(self.shear, float)

    def slope_of(self, k: int) -> float:
        return float(self.slope[k]) if isinstance(self.slope, Sequence) else float(self.slope)

    def intercept_of(self, k: int) -> float:
        return float(self.intercept[k]) if isinstance(self.intercept, Sequence) else float(self.intercept)

    def stored_values(self, k: int) -> np.ndarray:
        """What goes into PixelData: the true values un-rescaled and rounded to integers."""
        return np.rint((self.true_values(k) - self.intercept_of(k)) / self.slope_of(k)).astype(np.int16)

    def expected_values(self, k: int) -> np.ndarray:
        """What a correct loader returns for slice k: stored * slope + intercept."""
        return self.stored_values(k).astype(np.float64) * self.slope_of(k) + self.intercept_of(k)

    def true_values(self, k: int) -> np.ndarray:
        j, i = np.mgrid[0 : self.rows, 0 : self.columns]
        if self.value is not None:
            return self.value(i, j, k)
        return hu_formula(i, j, k)


def base_dataset(sop_class: str, modality: str, study_uid: str, series_uid: str) -> Dataset:
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = PYDICOM_IMPLEMENTATION_UID
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = PATIENT_NAME
    ds.PatientID = PATIENT_ID
    ds.PatientBirthDate = BIRTH_DATE
    ds.PatientSex = "F"
    ds.AccessionNumber = ACCESSION
    ds.InstitutionName = INSTITUTION
    ds.StudyInstanceUID = study_uid
    ds.SeriesInstanceUID = series_uid
    ds.StudyDate = "20260105"
    ds.StudyTime = "101500"
    ds.StudyDescription = "CT thigh"
    ds.StudyID = "1"
    ds.Modality = modality
    return ds


def write_series(folder: Path, spec: SeriesSpec, *, compress: str | None = None) -> list[Path]:
    """Write the series, one file per slice, names and InstanceNumbers shuffled; returns the paths in true order."""
    folder.mkdir(parents=True, exist_ok=True)
    study_uid = spec.study_uid or generate_uid()
    spec.study_uid = study_uid
    for_uid = spec.for_uid or generate_uid()
    rng = random.Random(spec.seed)
    names = [f"IMG{n:04d}.dcm" for n in rng.sample(range(1000, 9999), spec.n)]
    numbers = rng.sample(range(1, 10 * spec.n + 1), spec.n)
    sop = CTImageStorage if spec.modality == "CT" else MRImageStorage
    paths = []
    for k in range(spec.n):
        ds = base_dataset(sop, spec.modality, study_uid, spec.series_uid)
        ds.SeriesNumber = spec.series_number
        ds.SeriesDescription = spec.description
        ds.FrameOfReferenceUID = for_uid
        ds.InstanceNumber = numbers[k]
        ds.ImagePositionPatient = [float(x) for x in spec.position(k)]
        ds.ImageOrientationPatient = [*map(float, spec.row_dir), *map(float, spec.col_dir)]
        ds.PixelSpacing = list(spec.pixel_spacing)
        if spec.thickness is not None:
            ds.SliceThickness = spec.thickness
        ds.Rows, ds.Columns = spec.rows, spec.columns
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.BitsAllocated = 16
        ds.BitsStored = 16
        ds.HighBit = 15
        ds.PixelRepresentation = 1
        slope, intercept = spec.slope_of(k), spec.intercept_of(k)
        ds.RescaleSlope = slope
        ds.RescaleIntercept = intercept
        ds.AcquisitionDate = "20260105"
        ds.AcquisitionTime = "101700"
        stored = spec.stored_values(k)
        ds.PixelData = stored.tobytes()
        for key, value in spec.extra.items():
            setattr(ds, key, value)
        if spec.per_slice is not None:
            spec.per_slice(k, ds)
        if compress is not None:
            ds.compress(compress)
        path = folder / names[k]
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
    return paths


def write_enhanced_ct(path: Path, spec: SeriesSpec, *, reverse: bool = True) -> Dataset:
    """One Enhanced CT file holding the series as frames (stored in reverse geometric order by default)."""
    spec.study_uid = spec.study_uid or generate_uid()
    ds = base_dataset(EnhancedCTImageStorage, "CT", spec.study_uid, spec.series_uid)
    ds.SeriesNumber = spec.series_number
    ds.SeriesDescription = spec.description
    ds.FrameOfReferenceUID = spec.for_uid or generate_uid()
    ds.InstanceNumber = 1
    ds.Rows, ds.Columns = spec.rows, spec.columns
    ds.NumberOfFrames = spec.n
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.AcquisitionDateTime = "20260105101700"
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = list(spec.pixel_spacing)
    measures.SliceThickness = spec.thickness or spec.step
    shared.PixelMeasuresSequence = DicomSequence([measures])
    orientation = Dataset()
    orientation.ImageOrientationPatient = [*map(float, spec.row_dir), *map(float, spec.col_dir)]
    shared.PlaneOrientationSequence = DicomSequence([orientation])
    ds.SharedFunctionalGroupsSequence = DicomSequence([shared])
    order = list(range(spec.n))[::-1] if reverse else list(range(spec.n))
    per_frame = []
    pixels = []
    for k in order:
        item = Dataset()
        pos = Dataset()
        pos.ImagePositionPatient = [float(x) for x in spec.position(k)]
        item.PlanePositionSequence = DicomSequence([pos])
        pvt = Dataset()
        pvt.RescaleSlope = spec.slope_of(k)
        pvt.RescaleIntercept = spec.intercept_of(k)
        pvt.RescaleType = "HU"
        item.PixelValueTransformationSequence = DicomSequence([pvt])
        content = Dataset()
        content.StackID = "1"
        content.InStackPositionNumber = k + 1
        item.FrameContentSequence = DicomSequence([content])
        per_frame.append(item)
        pixels.append(spec.stored_values(k))
    ds.PerFrameFunctionalGroupsSequence = DicomSequence(per_frame)
    ds.PixelData = np.stack(pixels).tobytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return ds


def write_seg(path: Path, study_uid: str, referenced_series_uid: str) -> str:
    """A header-level SEG object that references a series (enough for the catalogue: no pixel data needed)."""
    ds = base_dataset(SegmentationStorage, "SEG", study_uid, generate_uid())
    ds.SeriesNumber = 99
    ds.SeriesDescription = "tumour mask"
    ref = Dataset()
    ref.SeriesInstanceUID = referenced_series_uid
    inst = Dataset()
    inst.ReferencedSOPClassUID = CTImageStorage
    inst.ReferencedSOPInstanceUID = generate_uid()
    ref.ReferencedInstanceSequence = DicomSequence([inst])
    ds.ReferencedSeriesSequence = DicomSequence([ref])
    path.parent.mkdir(parents=True, exist_ok=True)
    ds.save_as(path, enforce_file_format=True)
    return str(ds.SOPInstanceUID)

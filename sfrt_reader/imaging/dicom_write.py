"""Write a `Volume` as a classic single-frame CT Image Storage or MR Image Storage series, one file per slice.

Why our own writer and not SimpleITK's: SimpleITK writes a thin header (no contrast/bolus, equipment, accession or
referring physician) and cannot be made to pass dciodvfy for CT without hand-made tags anyway; the demo trial needs
complete, valid headers with realistic identities so that indexing, blinding and export are tested on files that
look like a scanner's. pydicom builds the datasets; the modules written are listed in `_MODULES`.

Every UID and date comes from the caller, so the same input gives byte-identical files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import UID, ExplicitVRLittleEndian, generate_uid

from sfrt_reader.imaging.volume import Volume

CT_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
MR_IMAGE_STORAGE = "1.2.840.10008.5.1.4.1.1.4"
UID_PREFIX = "1.2.826.0.1.3680043.8.498."  # pydicom's registered root, used for generated UIDs
IMPLEMENTATION_VERSION = "SFRTREADER_01"
CT_RESCALE_INTERCEPT = -1024

_MODULES = (
    "Patient, General Study, Patient Study, General Series, Frame of Reference, General Equipment, General "
    "Acquisition, General Image, Image Plane, Image Pixel, Contrast/Bolus, CT Image or MR Image, VOI LUT, SOP Common"
)


@dataclass(frozen=True)
class PatientIdentity:
    """Who the images belong to: everything that blinding must later remove."""

    name: str
    patient_id: str
    birth_date: str
    sex: str
    institution: str
    institution_address: str
    referring_physician: str
    weight_kg: float
    height_m: float


@dataclass(frozen=True)
class SeriesHeader:
    """Study- and series-level attributes of one written series."""

    patient: PatientIdentity
    study_instance_uid: str
    series_instance_uid: str
    frame_of_reference_uid: str
    study_date: str
    study_time: str
    accession_number: str
    study_id: str
    study_description: str
    series_description: str
    series_number: int
    patient_age: str
    station_name: str
    manufacturer: str
    model_name: str
    contrast_agent: str | None
    contrast_route: str = "IV"
    contrast_volume_ml: float = 100.0
    contrast_ingredient: str = "IODINE"
    contrast_concentration: float = 350.0
    body_part: str = "THIGH"
    patient_position: str = "FFS"
    laterality: str = ""  # R or L: the side the series is aimed at (MR); empty when both thighs are in the field


def sop_instance_uid(series_instance_uid: str, index: int) -> str:
    """Deterministic SOP Instance UID of slice `index` of a series."""
    return str(generate_uid(prefix=UID_PREFIX, entropy_srcs=[series_instance_uid, "slice", str(index)]))


def _base_dataset(header: SeriesHeader, modality: str) -> Dataset:
    ds = Dataset()
    p = header.patient
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL" if modality == "CT" else "OTHER"]
    ds.SOPClassUID = CT_IMAGE_STORAGE if modality == "CT" else MR_IMAGE_STORAGE
    ds.StudyDate = header.study_date
    ds.SeriesDate = header.study_date
    ds.AcquisitionDate = header.study_date
    ds.ContentDate = header.study_date
    ds.StudyTime = header.study_time
    ds.SeriesTime = header.study_time
    ds.AcquisitionTime = header.study_time
    ds.ContentTime = header.study_time
    ds.InstanceCreationDate = header.study_date
    ds.InstanceCreationTime = header.study_time
    ds.AccessionNumber = header.accession_number
    ds.Modality = modality
    ds.Manufacturer = header.manufacturer
    ds.InstitutionName = p.institution
    ds.InstitutionAddress = p.institution_address
    ds.ReferringPhysicianName = header.patient.referring_physician
    ds.StationName = header.station_name
    ds.StudyDescription = header.study_description
    ds.SeriesDescription = header.series_description
    ds.ManufacturerModelName = header.model_name
    ds.PatientName = p.name
    ds.PatientID = p.patient_id
    ds.PatientBirthDate = p.birth_date
    ds.PatientSex = p.sex
    ds.PatientAge = header.patient_age
    ds.PatientSize = f"{p.height_m:.2f}"
    ds.PatientWeight = f"{p.weight_kg:.1f}"
    ds.BodyPartExamined = header.body_part
    if header.laterality:
        ds.Laterality = header.laterality
    else:
        ds.ImageLaterality = "B"  # both thighs in the field: the paired-structure condition is met per image
    ds.SoftwareVersions = "SFRT-READER DEMO 1"
    ds.PatientPosition = header.patient_position
    ds.StudyInstanceUID = header.study_instance_uid
    ds.SeriesInstanceUID = header.series_instance_uid
    ds.StudyID = header.study_id
    ds.SeriesNumber = header.series_number
    ds.AcquisitionNumber = 1
    ds.FrameOfReferenceUID = header.frame_of_reference_uid
    ds.PositionReferenceIndicator = ""
    if header.contrast_agent:
        ds.ContrastBolusAgent = header.contrast_agent
        ds.ContrastBolusRoute = header.contrast_route
        ds.ContrastBolusVolume = f"{header.contrast_volume_ml:g}"
        ds.ContrastBolusStartTime = header.study_time
        ds.ContrastBolusIngredient = header.contrast_ingredient
        ds.ContrastBolusIngredientConcentration = f"{header.contrast_concentration:g}"
    return ds


def _ct_attributes(ds: Dataset) -> None:
    ds.KVP = "120"
    ds.DataCollectionDiameter = "500"
    ds.ReconstructionDiameter = "384"
    ds.GantryDetectorTilt = "0"
    ds.TableHeight = "160"
    ds.RotationDirection = "CW"
    ds.ExposureTime = "500"
    ds.XRayTubeCurrent = "220"
    ds.Exposure = "110"
    ds.FilterType = "BODY FILTER"
    ds.ConvolutionKernel = "STANDARD"
    ds.RescaleIntercept = str(CT_RESCALE_INTERCEPT)
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0


def _mr_attributes(ds: Dataset) -> None:
    ds.ScanningSequence = "SE"
    ds.SequenceVariant = "SK"
    ds.ScanOptions = "FS"
    ds.MRAcquisitionType = "2D"
    ds.SequenceName = "tse2d1_3"
    ds.RepetitionTime = "550"
    ds.EchoTime = "11"
    ds.EchoTrainLength = 3
    ds.NumberOfAverages = "1"
    ds.ImagingFrequency = "63.67"
    ds.ImagedNucleus = "1H"
    ds.MagneticFieldStrength = "1.5"
    ds.FlipAngle = "150"
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0


def write_series(
    volume: Volume,
    header: SeriesHeader,
    folder: Path,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write every slice of `volume` into `folder` as IM0001.dcm, IM0002.dcm...; returns the paths.

    Instance number 1 is the most superior slice (a feet-first scan is reconstructed from the hip down), so the
    instance order runs against increasing z: readers must sort by position, as they should.
    CT is stored unsigned with RescaleIntercept -1024 (HU = stored - 1024); MR as the signal values.
    """
    if volume.modality not in ("CT", "MR"):
        raise ValueError(f"only CT and MR volumes can be written, not {volume.modality!r}")
    folder.mkdir(parents=True, exist_ok=True)
    nz, ny, nx = volume.shape
    if volume.modality == "CT":
        stored = (volume.array.astype(np.int32) - CT_RESCALE_INTERCEPT).clip(0, 4095).astype(np.uint16)
    else:
        stored = np.asarray(volume.array).clip(0, 4095).astype(np.uint16)
    base = _base_dataset(header, volume.modality)
    if volume.modality == "CT":
        _ct_attributes(base)
    else:
        _mr_attributes(base)
    row = volume.row_direction
    col = volume.column_direction
    sx, sy = volume.pixel_spacing
    centre, width = volume.window or (40.0, 400.0)
    paths = []
    order = list(range(nz - 1, -1, -1))
    for number, k in enumerate(order, start=1):
        ds = Dataset()
        ds.update(base)
        uid = sop_instance_uid(header.series_instance_uid, k)
        ds.SOPInstanceUID = uid
        ds.InstanceNumber = number
        pos = volume.positions[k]
        ds.ImagePositionPatient = [f"{c:.4f}".rstrip("0").rstrip(".") for c in pos]
        ds.ImageOrientationPatient = [f"{c:.6f}".rstrip("0").rstrip(".") for c in (*row, *col)]
        ds.PixelSpacing = [f"{sy:.6f}".rstrip("0").rstrip("."), f"{sx:.6f}".rstrip("0").rstrip(".")]
        ds.SliceThickness = f"{(volume.slice_thickness or volume.slice_spacing_mm):g}"
        if volume.modality == "MR":
            ds.SpacingBetweenSlices = f"{volume.slice_spacing_mm:g}"
        ds.SliceLocation = f"{float(pos[2]):.4f}".rstrip("0").rstrip(".")
        ds.SamplesPerPixel = 1
        ds.PhotometricInterpretation = "MONOCHROME2"
        ds.Rows = ny
        ds.Columns = nx
        ds.WindowCenter = f"{centre:g}"
        ds.WindowWidth = f"{width:g}"
        ds.WindowCenterWidthExplanation = "SOFT TISSUE" if volume.modality == "CT" else "T1 POST-CONTRAST"
        pixels = np.ascontiguousarray(stored[k])
        ds.SmallestImagePixelValue = int(pixels.min())
        ds.LargestImagePixelValue = int(pixels.max())
        ds.PixelData = pixels.tobytes()
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = ds.SOPClassUID
        meta.MediaStorageSOPInstanceUID = UID(uid)
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        meta.ImplementationVersionName = IMPLEMENTATION_VERSION
        ds.file_meta = meta
        path = folder / f"IM{number:04d}.dcm"
        ds.save_as(path, enforce_file_format=True)
        paths.append(path)
        if progress is not None:
            progress(number, nz)
    return paths

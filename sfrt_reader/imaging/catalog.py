"""Index folders of DICOM files: Patient -> Study -> Series (stacks), non-image objects, and every problem found.

`scan` reads headers only and never raises for a bad file or series: each one becomes a readable problem in the
catalogue, so a site's whole export can be indexed even when part of it is damaged. Identifiers (patient name,
ID, birth date, accession number) are kept because the read database needs them to match subjects, but no repr
prints them and `to_dict(blinded=True)` leaves them out.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sfrt_reader.imaging.errors import ImagingError, NotDicomError
from sfrt_reader.imaging.headers import FileHeader, Frame, HeaderCache, NonImageObject, SeriesHeader, read_header
from sfrt_reader.imaging.stacks import analyse_stack, split_into_stacks

ScanProgress = Callable[[int, int], None]

_NO_CONTRAST = re.compile(
    r"(non[- ]?contrast|without contrast|w/o|\bnative?\b|\bplain\b|\bnc\b|\bc-(?=\s|$)|\bpre[- ]?contrast|"
    r"non[- ]?enhanced|unenhanced)",
    re.I,
)
_CONTRAST = re.compile(
    r"(\bc\+|\+c\b|with contrast|contrast|\bkm\b|portal|venous|\bpv\b|arterial|post[- ]?(contrast|gad|gd)|"
    r"\bgad|\bgd\b|\bce\b|enhanced)",
    re.I,
)
_NO_AGENT = {"", "NONE", "NO", "N", "NIL", "0", "-"}


def contrast_flag(agent: str, description: str) -> bool | None:
    """True/False from ContrastBolusAgent when filled, else from words in the series description, else None."""
    if agent.strip().upper() not in _NO_AGENT:
        return True
    if _NO_CONTRAST.search(description or ""):
        return False
    if _CONTRAST.search(description or ""):
        return True
    if agent.strip().upper() in {"NONE", "NO", "N"}:
        return False
    return None


@dataclass(eq=False)
class SeriesInfo:
    """One loadable stack of a series. A series that mixes orientations, echoes or time points gives several
    SeriesInfo entries with the same UID and different `stack` labels; `key` tells them apart."""

    series_instance_uid: str
    study_instance_uid: str
    modality: str
    series_number: int | None
    description: str
    stack: str = ""
    stack_index: int = 0
    frame_of_reference_uid: str = ""
    sop_class_uid: str = ""
    frames: tuple[Frame, ...] = field(default=(), repr=False)
    header: SeriesHeader | None = field(default=None, repr=False)
    rows: int = 0
    columns: int = 0
    pixel_spacing: tuple[float, float] | None = None
    slice_spacing_mm: float | None = None
    slice_thickness: float | None = None
    tilt_degrees: float = 0.0
    contrast: bool | None = None
    acquisition_datetime: datetime | None = None
    transfer_syntaxes: tuple[str, ...] = ()
    problems: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def key(self) -> str:
        """What `--series` accepts: the SeriesInstanceUID, with '#n' when the series was split into stacks."""
        return f"{self.series_instance_uid}#{self.stack_index}" if self.stack_index else self.series_instance_uid

    @property
    def name(self) -> str:
        """How messages refer to this stack: 'series 3 'ThoraxRoutine' [echo 2]'."""
        text = (
            f"series {self.series_number}"
            if self.series_number is not None
            else f"series ..{self.series_instance_uid[-8:]}"
        )
        if self.description:
            text += f" '{self.description}'"
        if self.stack:
            text += f" [{self.stack}]"
        return text

    @property
    def slice_count(self) -> int:
        return len(self.frames)

    @property
    def usable(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "series_instance_uid": self.series_instance_uid,
            "stack": self.stack,
            "series_number": self.series_number,
            "modality": self.modality,
            "description": self.description,
            "slices": self.slice_count,
            "rows": self.rows,
            "columns": self.columns,
            "pixel_spacing_mm": list(self.pixel_spacing) if self.pixel_spacing else None,
            "slice_spacing_mm": self.slice_spacing_mm,
            "slice_thickness_mm": self.slice_thickness,
            "tilt_degrees": round(self.tilt_degrees, 3),
            "contrast": self.contrast,
            "acquisition_datetime": self.acquisition_datetime.isoformat() if self.acquisition_datetime else None,
            "frame_of_reference_uid": self.frame_of_reference_uid,
            "sop_class_uid": self.sop_class_uid,
            "transfer_syntaxes": list(self.transfer_syntaxes),
            "usable": self.usable,
            "error": self.error,
            "problems": list(self.problems),
        }


@dataclass(eq=False)
class StudyInfo:
    study_instance_uid: str
    study_date: str = ""
    study_time: str = ""
    description: str = ""
    accession_number: str = field(default="", repr=False)
    series: list[SeriesInfo] = field(default_factory=list)
    objects: list[NonImageObject] = field(default_factory=list, repr=False)

    def to_dict(self, blinded: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "study_instance_uid": self.study_instance_uid,
            "study_date": self.study_date,
            "study_time": self.study_time,
            "description": self.description,
            "series": [s.to_dict() for s in self.series],
            "objects": [o.to_dict() for o in self.objects],
        }
        if not blinded:
            out["accession_number"] = self.accession_number
        else:
            for obj in out["objects"]:
                obj.pop("file", None)
        return out


@dataclass(eq=False)
class PatientInfo:
    patient_id: str = field(repr=False)
    patient_name: str = field(default="", repr=False)
    birth_date: str = field(default="", repr=False)
    sex: str = ""
    studies: list[StudyInfo] = field(default_factory=list)

    def to_dict(self, blinded: bool = False, number: int = 0) -> dict[str, Any]:
        out: dict[str, Any] = {"sex": self.sex, "studies": [s.to_dict(blinded) for s in self.studies]}
        if blinded:
            out["patient"] = f"patient {number}"
        else:
            out.update(patient_id=self.patient_id, patient_name=self.patient_name, birth_date=self.birth_date)
        return out


@dataclass(eq=False)
class DicomdirInfo:
    """A DICOMDIR found while scanning: how many files it lists, how many of those are missing, why it failed."""

    path: str = field(repr=False)
    referenced: int = 0
    missing: int = 0
    problem: str | None = None

    def to_dict(self, blinded: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {"referenced": self.referenced, "missing": self.missing, "problem": self.problem}
        out["file"] = os.path.basename(self.path) if blinded else self.path
        return out


@dataclass(eq=False)
class Catalog:
    patients: list[PatientInfo] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    dicom_files: int = 0
    non_dicom_files: int = 0
    unreadable_files: int = 0
    dicomdirs: list[DicomdirInfo] = field(default_factory=list)

    def studies(self) -> Iterator[StudyInfo]:
        for patient in self.patients:
            yield from patient.studies

    def series(self) -> list[SeriesInfo]:
        """Every image stack, in patient, study date and series number order."""
        return [s for study in self.studies() for s in study.series]

    def objects(self) -> list[NonImageObject]:
        """Every non-image object (SEG, SR, RT, PR, KO, PDF...)."""
        return [o for study in self.studies() for o in study.objects]

    def find(self, key: str) -> list[SeriesInfo]:
        """Stacks whose key or SeriesInstanceUID is `key`."""
        exact = [s for s in self.series() if s.key == key]
        return exact or [s for s in self.series() if s.series_instance_uid == key]

    def to_dict(self, blinded: bool = False) -> dict[str, Any]:
        return {
            "patients": [p.to_dict(blinded, i + 1) for i, p in enumerate(self.patients)],
            "dicom_files": self.dicom_files,
            "non_dicom_files": self.non_dicom_files,
            "unreadable_files": self.unreadable_files,
            "dicomdirs": [d.to_dict(blinded) for d in self.dicomdirs],
            "problems": list(self.problems),
        }

    def __repr__(self) -> str:
        return (
            f"Catalog(patients={len(self.patients)}, series={len(self.series())}, objects={len(self.objects())}, "
            f"dicom_files={self.dicom_files}, non_dicom_files={self.non_dicom_files}, problems={len(self.problems)})"
        )


# ------------------------------------------------------------------------------------------------ scanning
def _walk(paths: Iterable[str | os.PathLike[str]], problems: list[str]) -> list[str]:
    """Every file under the given folders (recursively) and the given files, each once.

    Files are told apart by (device, inode) so a folder given twice or reached through a link is read once;
    os.scandir gives the inode without an extra system call, unlike os.path.realpath per file.
    """
    out: list[str] = []
    seen: set[tuple[int, int]] = set()

    for root in paths:
        root_s = os.fspath(root)
        if os.path.isfile(root_s):
            st = os.stat(root_s)
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                out.append(root_s)
            continue
        if not os.path.isdir(root_s):
            problems.append(f"{os.path.basename(root_s) or root_s}: no such file or folder")
            continue
        stack = [root_s]
        while stack:
            folder = stack.pop()
            try:
                device = os.stat(folder).st_dev
                entries = sorted(os.scandir(folder), key=lambda e: e.name)
            except OSError as error:
                problems.append(f"folder {os.path.basename(folder)}: cannot be listed ({error.strerror})")
                continue
            subfolders = []
            for entry in entries:
                if entry.is_dir(follow_symlinks=False):
                    subfolders.append(entry.path)
                elif entry.is_file():
                    key = (device, entry.inode()) if not entry.is_symlink() else _stat_key(entry.path)
                    if key not in seen:
                        seen.add(key)
                        out.append(entry.path)
            stack.extend(reversed(subfolders))
    return out


def _stat_key(path: str) -> tuple[int, int]:
    st = os.stat(path)
    return (st.st_dev, st.st_ino)


class _Reader:
    """Reads headers and reports progress; with workers > 1 in threads (no gain measured: parsing holds the GIL)."""

    def __init__(self, progress: ScanProgress | None, workers: int) -> None:
        self.progress = progress
        self.workers = workers
        self.done = 0
        self.cache: HeaderCache = {}

    def read(self, paths: Sequence[str], total: int) -> list[FileHeader | ImagingError]:
        def one(p: str) -> FileHeader | ImagingError:
            try:
                return read_header(p, self.cache)
            except ImagingError as error:
                return error

        results: list[FileHeader | ImagingError] = []
        if self.workers > 1 and len(paths) > 64:
            with ThreadPoolExecutor(self.workers) as pool:
                for result in pool.map(one, paths, chunksize=32):
                    results.append(result)
                    self._tick(total)
        else:
            for p in paths:
                results.append(one(p))
                self._tick(total)
        return results

    def _tick(self, total: int) -> None:
        self.done += 1
        if self.progress is not None and (self.done % 50 == 0 or self.done == total):
            self.progress(self.done, total)


def _dicomdir_files(path: str) -> tuple[list[str], int, str | None]:
    """Files a DICOMDIR lists (those present), how many are missing, and why it could not be read.

    Reads the directory records directly rather than through pydicom's FileSet: FileSet drops missing files
    with only a log line (we must report them) and refuses a whole DICOMDIR for one record of an unknown type,
    while the files its other records list are perfectly usable.
    """
    import pydicom

    name = os.path.basename(path)
    base = os.path.dirname(path)
    try:
        ds = pydicom.dcmread(path)
        records = ds.DirectoryRecordSequence
    except Exception as error:  # damaged DICOMDIRs raise assorted errors inside pydicom
        return [], 0, f"DICOMDIR {name} cannot be read ({error}): the files in its folder were indexed directly"
    present, missing = [], 0
    for record in records:
        file_id = record.get("ReferencedFileID")
        if not file_id:
            continue
        parts = [file_id] if isinstance(file_id, str) else list(file_id)
        candidate = os.path.join(base, *[str(p) for p in parts])
        if os.path.isfile(candidate):
            present.append(candidate)
        else:
            missing += 1
    problem = None
    if missing:
        problem = f"DICOMDIR {name}: {missing} of {missing + len(present)} listed files are missing"
    return present, missing, problem


def _series_name(header: SeriesHeader) -> str:
    text = f"series {header.series_number}" if header.series_number is not None else "series (no number)"
    return text + (f" '{header.series_description}'" if header.series_description else "")


def scan(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    progress: ScanProgress | None = None,
    *,
    workers: int = 1,
) -> Catalog:
    """Index DICOM files under folders (recursively), single files and DICOMDIRs, reading headers only.

    progress(done, total) is called every 50 files. Never raises for bad input: every unusable file or series
    becomes a message in `Catalog.problems` (files) or `SeriesInfo.problems` / `SeriesInfo.error` (series).
    workers > 1 reads headers in threads; on the 2-core reference machine this does not pay (see
    bench/scan_bench.py), so the default is 1.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    catalog = Catalog()
    files = _walk(paths, catalog.problems)
    reader = _Reader(progress, workers)
    results = reader.read(files, len(files))
    headers: list[FileHeader] = []
    for result in results:
        if isinstance(result, NotDicomError):
            catalog.non_dicom_files += 1
        elif isinstance(result, ImagingError):
            catalog.unreadable_files += 1
            catalog.problems.append(str(result))
        else:
            catalog.dicom_files += 1
            headers.append(result)
    # DICOMDIRs: files they list outside the walked folders are read too; broken ones are reported.
    extra: list[str] = []
    known: set[tuple[int, int]] = set()
    for h in headers:
        if not h.is_dicomdir:
            continue
        if not known:
            known = {_stat_key(p) for p in files}
        present, missing, problem = _dicomdir_files(h.path)
        catalog.dicomdirs.append(DicomdirInfo(h.path, len(present) + missing, missing, problem))
        if problem:
            catalog.problems.append(problem)
        for p in present:
            key = _stat_key(p)
            if key not in known:
                known.add(key)
                extra.append(p)
    if extra:
        for result in reader.read(extra, len(files) + len(extra)):
            if isinstance(result, NotDicomError):
                catalog.non_dicom_files += 1
            elif isinstance(result, ImagingError):
                catalog.unreadable_files += 1
                catalog.problems.append(str(result))
            else:
                catalog.dicom_files += 1
                headers.append(result)
    _build_tree(catalog, headers)
    return catalog


def _build_tree(catalog: Catalog, headers: list[FileHeader]) -> None:
    patients: dict[str, PatientInfo] = {}
    studies: dict[str, StudyInfo] = {}
    study_patient: dict[str, str] = {}
    series_frames: dict[str, list[Frame]] = defaultdict(list)
    series_header: dict[str, SeriesHeader] = {}

    def study_for(h: SeriesHeader) -> StudyInfo:
        pkey = h.patient_id or h.patient_name or "(no patient ID)"
        if pkey not in patients:
            patients[pkey] = PatientInfo(h.patient_id, h.patient_name, h.patient_birth_date, h.patient_sex)
        skey = h.study_instance_uid or f"(no study UID) {pkey}"
        if skey not in studies:
            studies[skey] = StudyInfo(
                h.study_instance_uid, h.study_date, h.study_time, h.study_description, h.accession_number
            )
            patients[pkey].studies.append(studies[skey])
            study_patient[skey] = pkey
        return studies[skey]

    for fh in headers:
        if fh.is_dicomdir or fh.header is None:
            continue
        if fh.non_image is not None:
            study_for(fh.header).objects.append(fh.non_image)
            continue
        uid = fh.header.series_instance_uid
        if not uid:
            catalog.problems.append(f"file {os.path.basename(fh.path)}: image without SeriesInstanceUID, ignored")
            continue
        series_header.setdefault(uid, fh.header)
        series_frames[uid].extend(fh.frames)

    for uid, frames in series_frames.items():
        h = series_header[uid]
        study = study_for(h)
        stacks = split_into_stacks(frames)
        for index, stack in enumerate(stacks, start=1):
            info = SeriesInfo(
                series_instance_uid=uid,
                study_instance_uid=h.study_instance_uid,
                modality=h.modality,
                series_number=h.series_number,
                description=h.series_description,
                stack=stack.label,
                stack_index=index if len(stacks) > 1 else 0,
                frame_of_reference_uid=h.frame_of_reference_uid,
                sop_class_uid=h.sop_class_uid,
                frames=stack.frames,
                header=h,
                rows=stack.frames[0].rows,
                columns=stack.frames[0].columns,
                pixel_spacing=stack.frames[0].pixel_spacing,
                slice_thickness=stack.frames[0].thickness,
                contrast=contrast_flag(h.contrast_agent, h.series_description),
                acquisition_datetime=min((f.acquired for f in stack.frames if f.acquired), default=None),
                transfer_syntaxes=tuple(sorted({f.transfer_syntax for f in stack.frames if f.transfer_syntax})),
            )
            if len(stacks) > 1:
                info.problems.append(
                    f"{_series_name(h)}: mixes {len(stacks)} stacks ({', '.join(s.label for s in stacks)}); "
                    f"this is [{stack.label}], loadable on its own as {info.key}"
                )
            info.problems.extend(f"{info.name}: {note}" for note in stack.notes)
            if h.samples_per_pixel != 1:
                info.error = f"{info.name}: colour images ({h.photometric}) are not read as a volume"
            else:
                try:
                    geometry = analyse_stack(stack.frames, info.name)
                except ImagingError as error:
                    info.error = str(error)
                else:
                    info.frames = geometry.frames
                    info.slice_spacing_mm = geometry.slice_spacing_mm
                    info.tilt_degrees = geometry.tilt_degrees
                    info.problems.extend(geometry.warnings)
            if info.error:
                info.problems.append(info.error)
            study.series.append(info)

    for study in studies.values():
        study.series.sort(key=lambda s: (s.series_number if s.series_number is not None else 1 << 30, s.stack_index))
    for patient in patients.values():
        patient.studies.sort(key=lambda s: (s.study_date, s.study_time, s.study_instance_uid))
    catalog.patients = sorted(patients.values(), key=lambda p: (p.patient_id, p.patient_name))

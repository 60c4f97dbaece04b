"""Import a subject's DICOM folder: index its studies, link them to the subject, assign timepoints, and
optionally write de-identified copies for central review.

Identifiers read from the files go to the subject's identity record (checked against it when already known) and
never into messages: a mismatch says that the IDs differ, not what they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sfrt_reader.imaging import scan
from sfrt_reader.imaging.catalog import StudyInfo
from sfrt_reader.imaging.deidentify import deidentify_file
from sfrt_reader.reading.errors import WorkflowError
from sfrt_reader.reading.service import ReadingService, StudyAssignment, StudyRecord

IMAGE_MODALITIES = ("CT", "MR")


@dataclass
class ImportReport:
    """What an import did: studies added (with their timepoint), files copied or refused, problems."""

    studies: list[StudyAssignment] = field(default_factory=list)
    copied: int = 0
    refused: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _dicom_date(text: str) -> date | None:
    value = (text or "").strip()
    if len(value) == 8 and value.isdigit():
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            return None
    return None


def study_record(study: StudyInfo, source: Path) -> StudyRecord:
    """The database's view of a catalogued study: the main modality's usable series decide the reading facts."""
    image_series = [s for s in study.series if s.modality in IMAGE_MODALITIES] or list(study.series)
    usable = [s for s in image_series if s.usable] or image_series
    modality = usable[0].modality if usable else None
    main = [s for s in usable if s.modality == modality]
    flags = [s.contrast for s in main]
    contrast = True if any(f is True for f in flags) else (False if flags and all(f is False for f in flags) else None)
    thicknesses = [s.slice_thickness for s in main if s.slice_thickness]
    institution = next((s.header.institution for s in study.series if s.header and s.header.institution), None)
    files = {f.path for s in study.series for f in s.frames} | {o.path for o in study.objects}
    return StudyRecord(
        study_instance_uid=study.study_instance_uid,
        study_date=_dicom_date(study.study_date),
        modality=modality,
        contrast=contrast,
        slice_thickness_mm=min(thicknesses) if thicknesses else None,
        accession_number=study.accession_number or None,
        institution=institution,
        description=study.description or None,
        source_path=str(source),
        series_count=len({s.series_instance_uid for s in study.series}),
        instance_count=len(files),
    )


def import_folder(
    service: ReadingService, folder: Path, pseudonym: str, actor: str, deidentify_to: Path | None = None
) -> ImportReport:
    """Index `folder`, link its studies to subject `pseudonym`, and with `deidentify_to` write de-identified copies."""
    if not folder.exists():
        raise WorkflowError(f"{folder} does not exist")
    catalog = scan(folder)
    report = ImportReport(problems=list(catalog.problems))
    if not catalog.patients:
        raise WorkflowError(f"no DICOM images found under {folder}")
    if len(catalog.patients) > 1:
        raise WorkflowError(
            f"{folder} holds images of {len(catalog.patients)} different patients: import one patient's folder per "
            "subject"
        )
    patient = catalog.patients[0]
    service.link_identity(pseudonym, patient.patient_id, patient.patient_name, _dicom_date(patient.birth_date), actor)
    secret, shift = service.subject_secrets(pseudonym) if deidentify_to is not None else ("", 0)
    for study in patient.studies:
        record = study_record(study, folder)
        burned = False
        out_study: str | None = None
        if deidentify_to is not None:
            paths = sorted({f.path for s in study.series for f in s.frames} | {o.path for o in study.objects})
            for path in paths:
                result = deidentify_file(Path(path), deidentify_to, pseudonym, secret, shift)
                if result.refused:
                    burned = True
                    report.refused.append(f"{Path(path).name}: {result.refused}")
                    continue
                report.copied += 1
                out_study = result.study_instance_uid
            if out_study is not None:
                record = StudyRecord(
                    **{
                        **record.__dict__,
                        "deidentified_path": str(deidentify_to / pseudonym / out_study),
                        "burned_in_annotation": burned,
                    }
                )
        elif burned:
            record = StudyRecord(**{**record.__dict__, "burned_in_annotation": True})
        report.studies.append(service.add_study(pseudonym, record, actor))
    return report

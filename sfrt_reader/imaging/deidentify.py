"""De-identified copies of DICOM files for blinded central review (DICOM PS3.15 Annex E).

The attribute action table of the Basic Application Level Confidentiality Profile comes from the
`dicom-anonymizer` package (its tag lists are generated from PS3.15 Table E.1-1, 2024b edition); we apply it with
pydicom and replace three of its choices with the profile's options a longitudinal trial needs:

- UIDs (action U) are remapped deterministically per subject: the new UID is derived from a per-subject secret and
  the old UID, so every import of the same subject gives the same UIDs (studies, series, frames of reference and
  references stay consistent across imports), and no two subjects share a mapping.
- Dates are shifted by a per-subject number of days ("Retain Longitudinal Temporal Information with Modified
  Dates Option"), so intervals between scans, which the response criteria need, are kept exactly; birth date
  stays removed.
- Patient name and patient ID become the subject's pseudonym.
Private attributes are removed. Files whose BurnedInAnnotation is YES are not copied (text burned into the pixels
cannot be removed by header de-identification); they are reported so that a person can review them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pydicom
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from sfrt_reader.imaging.errors import ImagingError

PROFILE_VERSION = "dicomfields_2024b"
METHOD = (
    "DICOM PS3.15 Basic Application Level Confidentiality Profile (2024b table); "
    "Retain Longitudinal Temporal Information with Modified Dates Option; UIDs remapped per subject"
)


class DeidentificationError(ImagingError):
    """A file that cannot be de-identified (unreadable, or unsafe to copy)."""


@dataclass(frozen=True)
class DeidentifiedFile:
    """Where the copy went, and the remapped study UID it belongs to (None when not copied)."""

    source: Path
    output: Path | None
    study_instance_uid: str | None
    refused: str | None


_UID_NAMESPACE = uuid.UUID("6f1c3f0e-5a52-4d0b-9a47-3f2d8c1e7b21")


def remap_uid(uid: str, secret: str) -> str:
    """A new UID derived from the subject secret and the old UID: same input, same output.

    A name-based (SHA-1, version 5) UUID written as a 2.25 UID (PS3.5 B.2); pydicom's generate_uid ignores its
    entropy sources when no prefix is given, so it cannot serve here.
    """
    return f"2.25.{uuid.uuid5(_UID_NAMESPACE, secret + '/' + uid.strip()).int}"


def shift_date(value: str, days: int) -> str:
    """Shift a DA value (YYYYMMDD) by whole days; empty or partial dates are emptied rather than guessed."""
    text = value.strip()
    if len(text) != 8 or not text.isdigit():
        return ""
    moved = date(int(text[:4]), int(text[4:6]), int(text[6:])) + timedelta(days=days)
    return moved.strftime("%Y%m%d")


def shift_datetime(value: str, days: int) -> str:
    """Shift the date part of a DT value; the time of day and the offset are kept."""
    text = value.strip()
    if len(text) < 8:
        return ""
    shifted = shift_date(text[:8], days)
    return shifted + text[8:] if shifted else ""


def _base_actions() -> dict[tuple[int, ...], Any]:
    from dicomanonymizer.simpledicomanonymizer import initialize_actions

    actions: dict[tuple[int, ...], Any] = initialize_actions(PROFILE_VERSION)
    return actions


def _uid_tags() -> set[tuple[int, ...]]:
    from dicomanonymizer.simpledicomanonymizer import dicom_anonymization_database_selector

    tags = dicom_anonymization_database_selector(PROFILE_VERSION)
    return set(tags["U_TAGS"]) | set(tags["X_Z_U_STAR_TAGS"])


def _remap_element_uids(element: Any, secret: str) -> None:
    if element.VR == "UI":
        if isinstance(element.value, list | pydicom.multival.MultiValue):
            element.value = [remap_uid(v, secret) for v in element.value]
        elif element.value:
            element.value = remap_uid(element.value, secret)
    elif element.VR == "SQ":
        for item in element.value:
            for sub in item:
                _remap_element_uids(sub, secret)


def _shift_element(element: Any, days: int) -> None:
    values = element.value if isinstance(element.value, list | pydicom.multival.MultiValue) else [element.value]
    shift = shift_date if element.VR == "DA" else shift_datetime
    moved = [shift(str(v), days) for v in values if v not in (None, "")]
    element.value = moved[0] if len(moved) == 1 else (moved or "")


def _rules(pseudonym: str, secret: str, days: int) -> dict[tuple[int, ...], Any]:
    """The profile's table with our options: UID remap, date shift, pseudonym."""
    base = _base_actions()
    rules: dict[tuple[int, ...], Any] = {}

    def uid_action(dataset: Dataset, tag: tuple[int, int]) -> None:
        element = dataset.get(tag)
        if element is not None:
            _remap_element_uids(element, secret)

    def date_action(dataset: Dataset, tag: tuple[int, int]) -> None:
        element = dataset.get(tag)
        if element is not None:
            _shift_element(element, days)

    def pseudonym_action(dataset: Dataset, tag: tuple[int, int]) -> None:
        element = dataset.get(tag)
        if element is not None:
            element.value = pseudonym

    for tag in _uid_tags():
        rules[tag] = uid_action
    for tag in base:
        if len(tag) != 2 or tag == (0x0010, 0x0030):  # birth date stays removed
            continue
        try:
            vr = dictionary_VR(tag)
        except KeyError:
            continue
        if vr in ("DA", "DT"):
            rules[tag] = date_action

    def empty_action(dataset: Dataset, tag: tuple[int, int]) -> None:
        element = dataset.get(tag)
        if element is not None:
            element.value = ""

    # Z means zero length (PS3.15 E.1.1); dicom-anonymizer writes a dummy date 00010101 instead.
    rules[(0x0010, 0x0030)] = empty_action
    rules[(0x0010, 0x0010)] = pseudonym_action
    rules[(0x0010, 0x0020)] = pseudonym_action
    return rules


def _mark(dataset: Dataset) -> None:
    """The attributes that record what was done (PS3.15 E.1.1, PS3.3 C.7.1.1)."""
    dataset.PatientIdentityRemoved = "YES"
    dataset.DeidentificationMethod = METHOD[:64]
    codes = Sequence()
    for value, meaning in (
        ("113100", "Basic Application Confidentiality Profile"),
        ("113107", "Retain Longitudinal Temporal Information Modified Dates Option"),
    ):
        item = Dataset()
        item.CodeValue = value
        item.CodingSchemeDesignator = "DCM"
        item.CodeMeaning = meaning
        codes.append(item)
    dataset.DeidentificationMethodCodeSequence = codes
    dataset.LongitudinalTemporalInformationModified = "MODIFIED"


def deidentify_dataset(dataset: Dataset, pseudonym: str, secret: str, shift_days: int) -> None:
    """De-identify a dataset in place (see the module docstring for what is done and why)."""
    from dicomanonymizer.simpledicomanonymizer import anonymize_dataset

    anonymize_dataset(
        dataset,
        extra_anonymization_rules=_rules(pseudonym, secret, shift_days),
        delete_private_tags=True,
        base_rules_gen=_base_actions,
    )
    _mark(dataset)
    meta = getattr(dataset, "file_meta", None)
    if meta is not None and "SOPInstanceUID" in dataset:
        meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID


def deidentify_file(source: Path, out_root: Path, pseudonym: str, secret: str, shift_days: int) -> DeidentifiedFile:
    """Write a de-identified copy under out_root/<pseudonym>/<study>/<series>/<instance>.dcm.

    Folder and file names are the remapped UIDs, never the original names (clinical media often name folders
    after the patient).
    """
    try:
        dataset = pydicom.dcmread(source)
    except Exception as error:  # pydicom raises many types for damaged files
        raise DeidentificationError(f"{source.name}: cannot be read as DICOM ({type(error).__name__})") from None
    if str(dataset.get("BurnedInAnnotation", "")).strip().upper() == "YES":
        return DeidentifiedFile(
            source, None, None, "BurnedInAnnotation is YES: text in the pixels cannot be removed; not copied"
        )
    deidentify_dataset(dataset, pseudonym, secret, shift_days)
    study = str(dataset.get("StudyInstanceUID", "")) or "unknown-study"
    series = str(dataset.get("SeriesInstanceUID", "")) or "unknown-series"
    instance = str(dataset.get("SOPInstanceUID", "")) or remap_uid(source.name, secret)
    target = out_root / pseudonym / study / series / f"{instance}.dcm"
    target.parent.mkdir(parents=True, exist_ok=True)
    dataset.save_as(target, enforce_file_format=False)
    return DeidentifiedFile(source, target, study, None)

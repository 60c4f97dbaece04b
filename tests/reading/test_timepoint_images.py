"""Where the viewer finds a read's images: de-identified copies only for a blinded session."""

from __future__ import annotations

from dataclasses import replace

import pytest

from sfrt_reader.reading import AccessDeniedError, ReadingService, WorkflowError
from sfrt_reader.reading.service import StudyRecord
from tests.reading.conftest import IDENTITIES, PASSWORD, STUDY_DATES


def _add_copies(service: ReadingService, pseudonym: str) -> None:
    n = list(IDENTITIES).index(pseudonym) + 1
    for k, (label, day) in enumerate(STUDY_DATES.items(), start=1):
        record = StudyRecord(
            study_instance_uid=f"1.2.826.0.1.3680043.8.498.{n}.{k}",
            study_date=day,
            modality="CT",
            contrast=True,
            slice_thickness_mm=3.0,
        )
        service.add_study(pseudonym, replace(record, deidentified_path=f"/bicr/{pseudonym}/{label}"), "manager")


def test_unblinded_session_gets_the_folders_in_protocol_order(local_service: ReadingService) -> None:
    pseudonym = next(iter(IDENTITIES))
    session = local_service.login("reader1", PASSWORD)
    read = session.open_read(pseudonym)
    with pytest.raises(WorkflowError, match="no image folder"):
        session.timepoint_images(read.read_id)  # the fixture's studies were recorded without a folder
    _add_copies(local_service, pseudonym)
    images = session.timepoint_images(read.read_id)
    assert [im.label for im in images] == list(STUDY_DATES)
    base = STUDY_DATES["baseline"]
    assert [im.day for im in images] == [(d - base).days for d in STUDY_DATES.values()]


def test_blinded_session_is_refused_originals_and_gets_deidentified_copies(central_service: ReadingService) -> None:
    pseudonym = next(iter(IDENTITIES))
    session = central_service.login("reader1", PASSWORD)
    read = session.open_read(pseudonym)
    with pytest.raises(AccessDeniedError, match="de-identified"):
        session.timepoint_images(read.read_id)
    _add_copies(central_service, pseudonym)
    images = session.timepoint_images(read.read_id)
    assert [im.path for im in images] == [f"/bicr/{pseudonym}/{label}" for label in STUDY_DATES]
    assert all(im.deidentified for im in images)
    n = list(IDENTITIES).index(pseudonym) + 1
    originals = {f"1.2.826.0.1.3680043.8.498.{n}.{k}" for k in range(1, len(STUDY_DATES) + 1)}
    assert not originals & {im.study_instance_uid for im in images}  # the copies' remapped UIDs, never the originals
    assert "/bicr/" not in repr(images)  # paths stay out of the repr

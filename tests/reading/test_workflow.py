"""The reading workflow rules, enforced in the service: order, signing, locking, amendments, recompute."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sfrt_reader.reading import (
    AccessDeniedError,
    AuthenticationError,
    LockedReadError,
    ReaderSession,
    ReadingError,
    ReadingService,
    SignatureError,
    WorkflowError,
)
from sfrt_reader.reading.models import Reader, TimepointAssessment
from tests.reading.conftest import PASSWORD, ArithmeticAssessor


def read_baseline(session: ReaderSession, read_id: int, t1: float = 80.0, t2_short_axis: float = 20.0) -> None:
    session.start_timepoint(read_id, "baseline")
    session.add_lesion(read_id, "T1", "target", "thigh")
    session.add_lesion(read_id, "T2", "target", "lymph node", nodal=True)
    session.add_lesion(read_id, "NT1", "non-target", "lung")
    session.record_measurement(read_id, "baseline", "T1", diameter_mm=t1, mean_hu=45.0, unit="HU")
    session.record_measurement(read_id, "baseline", "T2", diameter_mm=31.0, short_axis_mm=t2_short_axis)
    session.set_non_target(read_id, "baseline", "NT1", "present")


def read_follow_up(session: ReaderSession, read_id: int, label: str, t1: float, t2: float = 12.0) -> None:
    session.start_timepoint(read_id, label)
    session.record_measurement(read_id, label, "T1", diameter_mm=t1, mean_hu=20.0, unit="HU")
    session.record_measurement(read_id, label, "T2", diameter_mm=20.0, short_axis_mm=t2)
    session.set_non_target(read_id, label, "NT1", "present")


def test_full_local_read_with_signing_and_amendment(
    local_service: ReadingService, assessor: ArithmeticAssessor
) -> None:
    session = local_service.login("reader1", PASSWORD)
    assert not session.blinded
    read_id = session.open_read("P-001").read_id

    with pytest.raises(WorkflowError, match="sign baseline before starting 3m"):
        session.start_timepoint(read_id, "3m")
    read_baseline(session, read_id)
    session.sign(read_id, "baseline", PASSWORD)
    with pytest.raises(WorkflowError, match="sign 3m before starting 6m"):
        session.start_timepoint(read_id, "6m")

    read_follow_up(session, read_id, "3m", t1=40.0)  # sum 52 vs 100: PR by the test double's arithmetic
    view = session.view(read_id)
    tp = view.timepoints[1]
    assert (tp.label, tp.day, tp.status) == ("3m", 129, "draft")  # 20 Dec 2025 -> 28 Apr 2026 is 129 days
    assert tp.results is not None and tp.results["recist1.1"]["sum_mm"] == 52.0
    assert tp.results["recist1.1"]["overall"] == "PR"
    assert tp.engine_version == assessor.version
    signature = session.sign(read_id, "3m", PASSWORD)
    assert signature.meaning == "I confirm this assessment"
    assert signature.signed_at.tzinfo is not None and signature.signed_at.utcoffset().total_seconds() == 0

    # Read-only once signed: every kind of change is refused, and nothing changes.
    with pytest.raises(LockedReadError, match="signed and read-only"):
        session.record_measurement(read_id, "3m", "T1", diameter_mm=41.0)
    with pytest.raises(LockedReadError):
        session.set_non_target(read_id, "3m", "NT1", "absent")
    with pytest.raises(LockedReadError):
        session.set_timepoint(read_id, "3m", comment="late change")
    with pytest.raises(LockedReadError):
        session.add_lesion(read_id, "T3", "target", "thigh")  # baseline is signed too
    assert session.view(read_id).timepoints[1].measurements[0].diameter_mm == 40.0

    # Amendment: a reason is required; a new version opens; the signed one stays readable as signed.
    with pytest.raises(WorkflowError, match="needs a reason"):
        session.amend(read_id, "3m", "  ")
    amended = session.amend(read_id, "3m", "T1 remeasured on the portal venous phase")
    assert (amended.version, amended.status) == (2, "draft")
    session.record_measurement(read_id, "3m", "T1", diameter_mm=70.0, mean_hu=20.0, unit="HU")
    assert session.view(read_id).timepoints[1].results["recist1.1"]["overall"] == "SD"  # recomputed: 82 vs 100
    session.sign(read_id, "3m", PASSWORD)
    history = session.history(read_id, "3m")
    assert [(h.version, h.status) for h in history] == [(1, "superseded"), (2, "signed")]
    assert history[0].measurements[0].diameter_mm == 40.0
    assert history[0].results["recist1.1"]["overall"] == "PR"
    assert history[0].signature is not None and history[1].signature is not None
    assert history[0].signature.content_hash != history[1].signature.content_hash
    assert history[1].amendment_reason == "T1 remeasured on the portal venous phase"
    assert session.view(read_id).results["recist1.1"]["best_overall_response"] == "SD"


def test_engine_document_is_assembled_from_the_database(
    local_service: ReadingService, assessor: ArithmeticAssessor
) -> None:
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    read_baseline(session, read_id)
    session.sign(read_id, "baseline", PASSWORD)
    session.start_timepoint(read_id, "3m")
    session.record_measurement(read_id, "3m", "T1", fragments_mm=[30.0, 12.5], mean_hu=20.0, unit="HU")
    session.record_measurement(read_id, "3m", "T2", status="too_small")
    session.set_non_target(read_id, "3m", "NT1", "absent")
    session.add_lesion(read_id, "N1", "new", "liver", label="3m")
    session.set_timepoint(read_id, "3m", new_lesions="equivocal", new_intratumoral_nodules=True)
    assert assessor.documents[-1] == {
        "options": {
            "randomized": True,
            "min_sd_days": 42,
            "confirmation_min_days": 28,
            "too_small_mm": 5,
            "irradiated_target_measurable": True,
            "choi_size_reference": "baseline",
            "choi_density_pooling": "mean_of_lesions",
        },
        "lesions": [
            {"id": "T1", "role": "target", "organ": "thigh", "nodal": False},
            {"id": "T2", "role": "target", "organ": "lymph node", "nodal": True},
            {"id": "NT1", "role": "non-target", "organ": "lung", "nodal": False},
        ],
        "timepoints": [
            {
                "label": "baseline",
                "day": 0,
                "modality": "CT",
                "contrast": True,
                "slice_thickness_mm": 3.0,
                # The node gives its short axis (20), not its long axis (31).
                "targets": {"T1": {"diameter_mm": 80.0, "mean_hu": 45.0}, "T2": {"diameter_mm": 20.0, "mean_hu": None}},
                "non_targets": {"NT1": "present"},
                "new_lesions": "no",
                "new_intratumoral_nodules": False,
            },
            {
                "label": "3m",
                "day": 129,
                "modality": "CT",
                "contrast": True,
                "slice_thickness_mm": 3.0,
                "targets": {
                    "T1": {"diameter_mm": [30.0, 12.5], "mean_hu": 20.0},
                    "T2": {"diameter_mm": "too_small", "mean_hu": None},
                },
                "non_targets": {"NT1": "absent"},
                "new_lesions": "equivocal",
                "new_intratumoral_nodules": True,
            },
        ],
    }


def _line(length: float) -> dict:
    return {"kind": "line", "start": [0.0, 0.0, 0.0], "end": [length, 0.0, 0.0], "length_mm": length}


@pytest.mark.parametrize(
    ("objects", "expected"),
    [
        # A one-click segmentation's metrics: nested long and short axis lines, volume, mean.
        (
            [
                {
                    "kind": "lesion_metrics",
                    "segmentation": {"kind": "lesion_mask", "series_uid": "1.2.3", "voxels": 5000},
                    "volume_ml": 212.5,
                    "mean": 41.5,
                    "sd": 12.0,
                    "unit": "HU",
                    "is_hu": True,
                    "longest_axial": _line(84.25),
                    "short_axis": _line(61.0),
                }
            ],
            (84.25, 61.0, 41.5, 212.5, "HU"),
        ),
        # A drawn bidimensional plus an ellipse ROI for density.
        (
            [
                {
                    "kind": "bidimensional",
                    "long_axis": _line(70.0),
                    "short_axis": _line(40.0),
                    "long_mm": 70.0,
                    "short_mm": 40.0,
                },
                {"kind": "region_stats", "region": {"kind": "ellipse"}, "mean": 33.0, "sd": 9.0, "unit": "HU"},
            ],
            (70.0, 40.0, 33.0, None, "HU"),
        ),
        # A plain line.
        ([_line(55.5)], (55.5, None, None, None, None)),
    ],
)
def test_measurement_numbers_come_from_measurement_objects(
    local_service: ReadingService, objects: list[dict], expected: tuple
) -> None:
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    session.start_timepoint(read_id, "baseline")
    session.add_lesion(read_id, "T1", "target", "thigh")
    m = session.record_measurement(read_id, "baseline", "T1", objects=objects)
    assert (m.diameter_mm, m.short_axis_mm, m.mean_hu, m.volume_ml, m.unit) == expected
    assert session.view(read_id).timepoints[0].measurements[0].objects == tuple(objects)
    with pytest.raises(WorkflowError, match="'kind'"):
        session.record_measurement(read_id, "baseline", "T1", objects=[{"length_mm": 3.0}])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"status": "measured"}, "needs diameter_mm"),
        ({"status": "gone"}, "use one of measured, too_small, disappeared, not_evaluable"),
        ({"status": "disappeared", "diameter_mm": 4.0}, "carries no diameter"),
        ({"diameter_mm": -3.0}, "negative"),
        ({"fragments_mm": [12.0]}, "at least two fragments"),
    ],
)
def test_bad_measurements_are_refused(local_service: ReadingService, kwargs: dict, message: str) -> None:
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    session.start_timepoint(read_id, "baseline")
    session.add_lesion(read_id, "T1", "target", "thigh")
    with pytest.raises(WorkflowError, match=message):
        session.record_measurement(read_id, "baseline", "T1", **kwargs)


def test_signing_requires_password_and_a_complete_assessment(local_service: ReadingService) -> None:
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    session.start_timepoint(read_id, "baseline")
    session.add_lesion(read_id, "T1", "target", "thigh")
    session.add_lesion(read_id, "NT1", "non-target", "lung")
    with pytest.raises(SignatureError, match="wrong password"):
        session.sign(read_id, "baseline", "not the password")
    with pytest.raises(SignatureError, match=r"target T1 has no measurement.*non-target NT1 has no status"):
        session.sign(read_id, "baseline", PASSWORD)
    session.record_measurement(read_id, "baseline", "T1", diameter_mm=90.0)
    session.set_non_target(read_id, "baseline", "NT1", "present")
    session.sign(read_id, "baseline", PASSWORD)
    assert session.view(read_id).timepoints[0].status == "signed"


def test_engine_problems_are_stored_and_block_signing(local_service: ReadingService) -> None:
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    session.start_timepoint(read_id, "baseline")
    session.add_lesion(read_id, "T1", "target", "thigh")
    session.record_measurement(read_id, "baseline", "T1", status="not_evaluable")
    tp = session.view(read_id).timepoints[0]
    assert tp.results is None
    assert tp.problems == ("timepoints[0].targets.T1.diameter_mm: missing",)
    with pytest.raises(SignatureError, match=r"targets\.T1\.diameter_mm: missing"):
        session.sign(read_id, "baseline", PASSWORD)


def test_lesion_rules(local_service: ReadingService) -> None:
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    read_baseline(session, read_id)
    with pytest.raises(WorkflowError, match="new lesion is recorded at a follow-up"):
        session.add_lesion(read_id, "N1", "new", "liver")
    with pytest.raises(WorkflowError, match="already exists"):
        session.add_lesion(read_id, "T1", "target", "thigh")
    with pytest.raises(WorkflowError, match="non-target lesion: record its status"):
        session.record_measurement(read_id, "baseline", "NT1", diameter_mm=12.0)
    session.sign(read_id, "baseline", PASSWORD)
    session.start_timepoint(read_id, "3m")
    with pytest.raises(WorkflowError, match="defined at baseline"):
        session.add_lesion(read_id, "T3", "target", "thigh", label="3m")
    session.add_lesion(read_id, "N1", "new", "liver", label="3m")
    assert session.view(read_id).timepoints[1].new_lesions == "yes"


def test_login_and_passwords(local_service: ReadingService) -> None:
    with pytest.raises(AuthenticationError, match="unknown reader or wrong password"):
        local_service.login("reader1", "wrong password")
    with pytest.raises(AuthenticationError, match="unknown reader or wrong password"):
        local_service.login("nobody", PASSWORD)
    stored = local_service.db.read(lambda s: s.scalar(select(Reader.password_hash).where(Reader.username == "reader1")))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_local_trial_allows_one_reader_per_subject_and_roles_are_enforced(local_service: ReadingService) -> None:
    local_service.login("reader1", PASSWORD).open_read("P-001")
    with pytest.raises(WorkflowError, match="already has 1 read"):
        local_service.login("reader2", PASSWORD).open_read("P-001")
    with pytest.raises(AccessDeniedError, match="does not read subjects"):
        local_service.login("adj", PASSWORD).open_read("P-002")


def test_versions_are_rows_not_overwrites(local_service: ReadingService) -> None:
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    read_baseline(session, read_id)
    session.sign(read_id, "baseline", PASSWORD)
    session.amend(read_id, "baseline", "typo in T1")
    rows = local_service.db.read(
        lambda s: [
            (a.version, a.status, a.supersedes_id is not None)
            for a in s.scalars(select(TimepointAssessment).order_by(TimepointAssessment.version))
        ]
    )
    assert rows == [(1, "superseded", False), (2, "draft", True)]


def test_exported_documents_are_recorded_with_their_hash(local_service: ReadingService) -> None:
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    read_baseline(session, read_id)
    digest = "ab" * 32
    with pytest.raises(WorkflowError, match="not signed"):
        local_service.record_export(read_id, "baseline", "pdf-form", digest, session.reader_id)
    session.sign(read_id, "baseline", PASSWORD)
    with pytest.raises(ReadingError, match="64 lower-case hexadecimal"):
        local_service.record_export(read_id, "baseline", "pdf-form", "xyz", session.reader_id)
    local_service.record_export(read_id, "baseline", "pdf-form", digest, session.reader_id)
    event = local_service.audit_events(1)[0]
    assert (event["actor"], event["action"], event["entity"]) == ("reader1", "export", "exported_document")
    assert event["after"] == {"read": read_id, "timepoint": "baseline", "kind": "pdf-form", "sha256": digest}


def test_no_follow_up_before_a_signed_baseline_even_without_a_baseline_study(local_service: ReadingService) -> None:
    from sfrt_reader.reading.models import ImagingStudy

    local_service.db.write(
        lambda s: (
            s.query(ImagingStudy).filter(ImagingStudy.timepoint_label == "baseline").update({"timepoint_label": None})
        )
    )
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    with pytest.raises(WorkflowError, match="sign baseline before starting 3m"):
        session.start_timepoint(read_id, "3m")


def test_study_record_repr_holds_no_identifier() -> None:
    from datetime import date

    from sfrt_reader.reading import StudyRecord

    record = StudyRecord(
        "1.2.3",
        date(2025, 12, 20),
        "CT",
        True,
        3.0,
        accession_number="ACC48213",
        institution="Shandong Cancer",
        description="CT thigh",
        source_path="/media/WANG XIAOMING",
    )
    text = repr(record)
    assert "1.2.3" in text
    assert not any(s in text for s in ("ACC48213", "Shandong", "WANG", "2025"))


def test_measurements_and_lesions_can_be_removed_from_drafts_only(local_service: ReadingService) -> None:
    session = local_service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    read_baseline(session, read_id)
    session.add_lesion(read_id, "T3", "target", "thigh")
    session.record_measurement(read_id, "baseline", "T3", diameter_mm=15.0)
    session.clear_measurement(read_id, "baseline", "T3")
    assert "T3" not in {m.lesion for m in session.view(read_id).timepoints[0].measurements}
    session.remove_lesion(read_id, "T3")
    session.remove_lesion(read_id, "NT1")
    view = session.view(read_id)
    assert [les.code for les in view.lesions] == ["T1", "T2"] and view.timepoints[0].non_targets == {}
    assert local_service.audit_verify().ok
    session.sign(read_id, "baseline", PASSWORD)
    with pytest.raises(LockedReadError):
        session.remove_lesion(read_id, "T1")
    with pytest.raises(LockedReadError):
        session.clear_measurement(read_id, "baseline", "T1")

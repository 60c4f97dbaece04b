"""Registrations stored with a read: reuse by series pair and options, rejection with a reason, audit, access."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from sfrt_reader.imaging.registration_result import Registration, link_point, matrix_tuple
from sfrt_reader.reading import ReadingService
from sfrt_reader.reading.errors import AccessDeniedError, NotFoundError, WorkflowError
from sfrt_reader.reading.registrations import options_key
from sfrt_reader.reading.session import ReaderSession
from tests.reading.conftest import PASSWORD

BASE_UID, FU_UID, FU2_UID = "1.2.826.0.1.3680043.8.498.77.1", "1.2.826.0.1.3680043.8.498.77.2", "1.2.3.9"


@dataclass(frozen=True)
class Options:
    affine: bool = False
    working_spacing_mm: float = 2.0


def _shift(moving: str, dx: float, verdict: str = "ok") -> Registration:
    m = np.eye(4)
    m[0, 3] = dx
    return Registration(
        fixed_series_uid=BASE_UID,
        moving_series_uid=moving,
        matrix=matrix_tuple(m),
        transform_type="Euler3DTransform",
        parameters=(0.0, 0.0, 0.0, dx, 0.0, 0.0),
        fixed_parameters=(0.0, 0.0, 0.0, 0.0),
        metric="mattes_mutual_information",
        metric_value=-0.61,
        verdict=verdict,  # type: ignore[arg-type]
        reason="body outlines agree" if verdict == "ok" else "body overlap 0.40 below 0.85",
        method="rigid",
        elapsed_s=3.2,
        checks={"body_dice": 0.97},
    )


def _reader(service: ReadingService, name: str = "reader1") -> tuple[ReaderSession, int]:
    session = service.login(name, PASSWORD)
    read_id = session.open_read("P-001").read_id
    return session, read_id


def test_options_key_changes_with_every_field_and_only_then() -> None:
    assert options_key(Options()) == options_key(Options())
    assert options_key(Options(affine=True)) != options_key(Options())
    assert options_key(Options(working_spacing_mm=2.5)) != options_key(Options())
    with pytest.raises(TypeError):
        options_key({"affine": False})


def test_store_then_reuse_by_pair_and_options(central_service: ReadingService) -> None:
    session, read_id = _reader(central_service)
    key = options_key(Options())
    assert session.registrations(read_id, key) == {}
    reg = _shift(FU_UID, 7.5)
    session.store_registration(read_id, reg, key)
    session.store_registration(read_id, _shift(FU2_UID, -3.0, "poor"), key)
    # a new session (the subject opened again) finds both, unchanged
    again, _ = _reader(central_service)
    stored = again.registrations(read_id, key)
    assert set(stored) == {(BASE_UID, FU_UID), (BASE_UID, FU2_UID)}
    assert stored[(BASE_UID, FU_UID)] == reg
    assert stored[(BASE_UID, FU2_UID)].verdict == "poor"
    # other options: nothing to reuse
    assert again.registrations(read_id, options_key(Options(affine=True))) == {}
    events = [e for e in central_service.audit_events() if e["entity"] == "registration"]
    assert [e["action"] for e in events] == ["create", "create"]


def test_storing_again_replaces_and_is_audited_as_an_update(central_service: ReadingService) -> None:
    session, read_id = _reader(central_service)
    key = options_key(Options())
    session.store_registration(read_id, _shift(FU_UID, 1.0), key)
    session.store_registration(read_id, _shift(FU_UID, 2.0), key)
    stored = session.registrations(read_id, key)
    assert len(stored) == 1 and stored[(BASE_UID, FU_UID)].matrix[0][3] == 2.0
    events = [e for e in central_service.audit_events() if e["entity"] == "registration"]
    assert [e["action"] for e in events] == ["create", "update"]


def test_reject_falls_back_to_table_position_and_is_audited_with_the_reason(central_service: ReadingService) -> None:
    session, read_id = _reader(central_service)
    key = options_key(Options())
    session.store_registration(read_id, _shift(FU_UID, 7.5), key)
    rejected = session.reject_registration(read_id, BASE_UID, FU_UID, key, "the femur does not line up at the knee")
    assert rejected.verdict == "poor" and "femur does not line up" in rejected.reason
    stored = session.registrations(read_id, key)[(BASE_UID, FU_UID)]
    assert stored.verdict == "poor" and "rejected by the reader" in stored.reason
    linked = link_point(stored, (10.0, 20.0, 30.0))
    assert linked.method == "table position" and linked.lps == (10.0, 20.0, 30.0)
    assert linked.notice is not None and "femur" in linked.notice
    event = [e for e in central_service.audit_events() if e["entity"] == "registration"][-1]
    assert event["action"] == "reject" and event["reason"] == "the femur does not line up at the knee"
    # a new run with the same options does not silently undo the reader's judgement
    with pytest.raises(WorkflowError, match="rejected"):
        session.store_registration(read_id, _shift(FU_UID, 7.5), key)
    with pytest.raises(WorkflowError, match="already rejected"):
        session.reject_registration(read_id, BASE_UID, FU_UID, key, "still wrong, really")
    assert central_service.audit_verify().ok


def test_reject_needs_a_reason_and_a_stored_registration(central_service: ReadingService) -> None:
    session, read_id = _reader(central_service)
    key = options_key(Options())
    with pytest.raises(NotFoundError, match="wait until it is computed"):
        session.reject_registration(read_id, BASE_UID, FU_UID, key, "does not line up")
    session.store_registration(read_id, _shift(FU_UID, 7.5), key)
    with pytest.raises(WorkflowError, match="reason"):
        session.reject_registration(read_id, BASE_UID, FU_UID, key, "  ")


def test_a_read_s_registrations_stay_with_its_reader(central_service: ReadingService) -> None:
    """Blinded readers are independent: one reader's registrations and rejections never reach the other."""
    one, read_one = _reader(central_service, "reader1")
    two, read_two = _reader(central_service, "reader2")
    key = options_key(Options())
    one.store_registration(read_one, _shift(FU_UID, 7.5), key)
    assert two.registrations(read_two, key) == {}
    with pytest.raises(AccessDeniedError):
        two.registrations(read_one, key)
    with pytest.raises(AccessDeniedError):
        two.store_registration(read_one, _shift(FU_UID, 1.0), key)
    with pytest.raises(AccessDeniedError):
        two.reject_registration(read_one, BASE_UID, FU_UID, key, "not my read at all")


def test_a_rejection_can_be_withdrawn_and_the_registration_links_by_anatomy_again(
    central_service: ReadingService,
) -> None:
    session, read_id = _reader(central_service)
    key = options_key(Options())
    computed = _shift(FU_UID, 7.5)
    session.store_registration(read_id, computed, key)
    with pytest.raises(WorkflowError, match="not rejected"):
        session.withdraw_registration_rejection(read_id, BASE_UID, FU_UID, key)
    session.reject_registration(read_id, BASE_UID, FU_UID, key, "wrong follow-up was active, my slip")
    used = session.withdraw_registration_rejection(read_id, BASE_UID, FU_UID, key)
    assert used == computed  # the stored registration as computed: verdict ok, its own reason
    again, _ = _reader(central_service)
    stored = again.registrations(read_id, key)[(BASE_UID, FU_UID)]
    assert stored == computed
    linked = link_point(stored, (10.0, 20.0, 30.0))
    assert linked.method != "table position" and linked.lps == pytest.approx((17.5, 20.0, 30.0))
    # audited with who and the rejection it takes back; the trail still verifies
    events = [e for e in central_service.audit_events() if e["entity"] == "registration"]
    assert [e["action"] for e in events] == ["create", "reject", "withdraw_rejection"]
    withdrawn = events[-1]
    assert withdrawn["actor"] == "reader1" and withdrawn["at"]
    assert "my slip" in withdrawn["reason"]
    assert withdrawn["before"]["rejected"] is True and withdrawn["after"]["rejected"] is False
    assert central_service.audit_verify().ok
    # once withdrawn it can be rejected again, and a new run with the same options may replace it meanwhile
    session.store_registration(read_id, _shift(FU_UID, 7.0), key)
    session.reject_registration(read_id, BASE_UID, FU_UID, key, "now it really does not line up")
    assert session.registrations(read_id, key)[(BASE_UID, FU_UID)].verdict == "poor"


def test_withdrawing_needs_a_stored_rejection_of_one_s_own_read(central_service: ReadingService) -> None:
    one, read_one = _reader(central_service, "reader1")
    two, _ = _reader(central_service, "reader2")
    key = options_key(Options())
    with pytest.raises(NotFoundError, match="no rejection to withdraw"):
        one.withdraw_registration_rejection(read_one, BASE_UID, FU_UID, key)
    one.store_registration(read_one, _shift(FU_UID, 7.5), key)
    one.reject_registration(read_one, BASE_UID, FU_UID, key, "does not line up at the knee")
    with pytest.raises(AccessDeniedError):
        two.withdraw_registration_rejection(read_one, BASE_UID, FU_UID, key)
    assert one.registrations(read_one, key)[(BASE_UID, FU_UID)].verdict == "poor"

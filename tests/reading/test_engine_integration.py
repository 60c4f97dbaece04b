"""The reading layer with the real criteria engine: documents it builds are accepted, results stored as computed."""

from __future__ import annotations

import pytest

from sfrt_reader.criteria import ENGINE_VERSION, assess_document
from sfrt_reader.reading import ReadingService, SignatureError
from sfrt_reader.reading.database import Database
from tests.reading.conftest import PASSWORD, ArithmeticAssessor, populate


@pytest.fixture
def service(database: Database) -> ReadingService:
    service = ReadingService(database)  # the default assessor: the criteria engine
    populate(service, "local")
    return service


def test_read_assessed_by_the_criteria_engine(service: ReadingService) -> None:
    session = service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    session.start_timepoint(read_id, "baseline")
    session.add_lesion(read_id, "T1", "target", "thigh")
    session.add_lesion(read_id, "T2", "target", "lymph node", nodal=True)
    session.add_lesion(read_id, "NT1", "non-target", "lung")
    session.record_measurement(read_id, "baseline", "T1", diameter_mm=82.0, mean_hu=45.0, unit="HU")
    session.record_measurement(read_id, "baseline", "T2", diameter_mm=25.0, short_axis_mm=18.0)
    session.set_non_target(read_id, "baseline", "NT1", "present")
    session.sign(read_id, "baseline", PASSWORD)
    session.start_timepoint(read_id, "3m")
    session.record_measurement(read_id, "3m", "T1", fragments_mm=[30.0, 12.5], mean_hu=20.0, unit="HU")
    session.record_measurement(read_id, "3m", "T2", status="too_small")
    session.set_non_target(read_id, "3m", "NT1", "absent")
    session.sign(read_id, "3m", PASSWORD)

    view = session.view(read_id)
    tp = view.timepoints[1]
    recist, choi = tp.results["recist1.1"], tp.results["choi"]
    # By hand: baseline sum 82 + 18 = 100 mm; 3 months 30 + 12.5 + 5 (too small) = 47.5 mm, -52.5%: PR.
    assert (recist["day"], recist["sum_mm"], recist["change_from_baseline_pct"]) == (129, 47.5, -52.5)
    assert (recist["target"], recist["non_target"], recist["overall"]) == ("PR", "CR", "PR")
    # Choi: size -52.5% and density 45 -> 20 HU (-55.6%): PR.
    assert choi["overall"] == "PR" and choi["density_evaluable"] is True
    assert tp.engine_version == view.engine_version == ENGINE_VERSION
    assert view.results["recist1.1"]["best_overall_response"] == "PR"
    assert view.results["choi"]["best_overall_response"] == "PR"
    assert view.results["recist1.1"]["progression_day"] is None


def test_stored_results_equal_the_engine_on_the_assembled_document(service: ReadingService) -> None:
    """Recording what the engine is given, then running the engine on it directly, gives the stored results."""
    recorder = ArithmeticAssessor()
    session = service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    session.start_timepoint(read_id, "baseline")
    session.add_lesion(read_id, "T1", "target", "thigh")
    session.record_measurement(read_id, "baseline", "T1", diameter_mm=60.0, mean_hu=30.0, unit="HU")
    session.sign(read_id, "baseline", PASSWORD)
    session.start_timepoint(read_id, "3m")
    session.record_measurement(read_id, "3m", "T1", diameter_mm=72.0, mean_hu=31.0, unit="HU")
    stored = session.view(read_id)
    service.assessor = recorder
    session.set_timepoint(read_id, "3m", comment="no change")
    expected = assess_document(recorder.documents[-1], criteria="both")
    assert stored.timepoints[1].results == {c: expected[c]["timepoints"][1] for c in ("recist1.1", "choi")}
    assert stored.timepoints[1].results["recist1.1"]["overall"] == "PD"  # +12 mm, +20.0% from 60: PD


def test_engine_input_problems_block_signing(service: ReadingService) -> None:
    session = service.login("reader1", PASSWORD)
    read_id = session.open_read("P-001").read_id
    session.start_timepoint(read_id, "baseline")
    session.add_lesion(read_id, "T1", "target", "thigh")
    session.record_measurement(read_id, "baseline", "T1", diameter_mm=8.0)  # below 10 mm: not measurable
    tp = session.view(read_id).timepoints[0]
    assert tp.results is None and tp.problems and tp.engine_version == ENGINE_VERSION
    assert any("T1" in p for p in tp.problems)
    with pytest.raises(SignatureError, match="cannot be signed yet"):
        session.sign(read_id, "baseline", PASSWORD)

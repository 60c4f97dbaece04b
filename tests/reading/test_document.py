"""The engine's input document assembled from recorded measurements, value by value."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sfrt_reader.criteria import assess_document
from sfrt_reader.reading.document import (
    LesionInput,
    MeasurementInput,
    TimepointInput,
    build_engine_document,
    target_value,
)

TUMOUR = LesionInput("T1", "target", "thigh", False)
NODE = LesionInput("T2", "target", "lymph node", True)


def _tp(label: str, day: int, *ms: MeasurementInput, modality: str = "CT") -> TimepointInput:
    return TimepointInput(label, day, modality, True, 5.0, ms, {}, "no", False)


def test_status_mapping_and_nodal_short_axis() -> None:
    assert target_value(TUMOUR, MeasurementInput("T1", "too_small")) == "too_small"
    assert target_value(TUMOUR, MeasurementInput("T1", "disappeared")) == 0.0
    assert target_value(TUMOUR, MeasurementInput("T1", "not_evaluable")) is None
    assert target_value(NODE, MeasurementInput("T2", "measured", diameter_mm=21.0, short_axis_mm=16.04)) == 16.0
    assert target_value(TUMOUR, MeasurementInput("T1", "measured", fragments_mm=(10.04, 20.06))) == [10.0, 20.1]


def test_values_reach_the_engine_as_recorded_to_a_tenth() -> None:
    doc = build_engine_document(
        {},
        [TUMOUR],
        [
            _tp("baseline", 0, MeasurementInput("T1", "measured", diameter_mm=88.80451, mean_hu=81.50049, unit="HU")),
            _tp("3m", 91, MeasurementInput("T1", "measured", diameter_mm=83.04362, mean_hu=65.38931, unit="HU")),
        ],
    )
    assert doc["timepoints"][0]["targets"]["T1"] == {"diameter_mm": 88.8, "mean_hu": 81.5}
    assert doc["timepoints"][1]["targets"]["T1"] == {"diameter_mm": 83.0, "mean_hu": 65.4}
    result = assess_document(doc)
    assert result["recist1.1"]["timepoints"][1]["sum_mm"] == 83.0
    assert all("83.04" not in reason for reason in result["recist1.1"]["timepoints"][1]["reasons"])


def test_mr_signal_is_never_given_as_hu() -> None:
    doc = build_engine_document(
        {},
        [TUMOUR],
        [
            _tp(
                "baseline",
                0,
                MeasurementInput("T1", "measured", diameter_mm=50.0, mean_hu=412.0, unit="signal"),
                modality="MR",
            )
        ],
    )
    assert doc["timepoints"][0]["targets"]["T1"]["mean_hu"] is None


@given(st.floats(min_value=0.0, max_value=400.0, allow_nan=False))
def test_recorded_value_is_within_half_a_tenth(value: float) -> None:
    got = target_value(TUMOUR, MeasurementInput("T1", "measured", diameter_mm=value))
    assert isinstance(got, float)
    assert abs(got - value) <= 0.05 + 1e-9
    assert round(got * 10) == got * 10 or abs(round(got * 10) - got * 10) < 1e-6

"""Corner annotations (blinding), scale bar lengths and the window/level lookup."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfrt_reader.ui.state import TimepointInfo, ViewportState, corner_text, scale_bar_mm
from sfrt_reader.ui.state.annotations import day_from_baseline
from sfrt_reader.ui.state.windowing import apply_window
from tests.ui.volumes import axial_ct

INFO = TimepointInfo(
    pseudonym="SUBJ-017",
    timepoint_label="6 months",
    day_from_baseline=183,
    patient_name="DOE^JANE",
    patient_id="MRN1234567",
    study_date=date(2026, 3, 14),
)


def _all_text(corners: object) -> str:
    return "\n".join(line for field in vars(corners).values() for line in field)


def test_blinded_corners_hide_identity_and_dates() -> None:
    state = ViewportState(axial_ct(nz=20, z0=-100, dz=5))
    text = _all_text(corner_text(state, INFO, blinded=True, screen_zoom=1.5))
    for secret in ("DOE", "JANE", "MRN1234567", "2026", "03-14"):
        assert secret not in text
    for shown in ("SUBJ-017", "6 months", "day 183", "CT Axial", "CT chest abdomen", "Im 11/20", "Pos -50.0 mm"):
        assert shown in text
    assert "W 400  L 40" in text and "Zoom 1.50x" in text


def test_unblinded_corners_show_identity_and_date() -> None:
    text = _all_text(corner_text(ViewportState(axial_ct()), INFO, blinded=False, screen_zoom=1.0))
    assert "DOE^JANE MRN1234567" in text and "2026-03-14" in text
    assert "identity" not in repr(INFO) and "DOE" not in repr(INFO)


def test_day_from_baseline() -> None:
    assert day_from_baseline(date(2026, 1, 1), date(2026, 4, 1)) == 90
    assert day_from_baseline(None, date(2026, 4, 1)) is None


@pytest.mark.parametrize(
    ("scale", "room", "expected"), [(0.5, 100, 50), (0.7, 100, 50), (0.3, 100, 20), (2.0, 60, 100)]
)
def test_scale_bar_examples(scale: float, room: float, expected: float) -> None:
    assert scale_bar_mm(scale, room) == expected


@given(scale=st.floats(0.01, 20), room=st.floats(20, 2000))
def test_scale_bar_is_nice_and_fits(scale: float, room: float) -> None:
    length = scale_bar_mm(scale, room)
    assert length <= scale * room * (1 + 1e-9)
    assert length > scale * room / 2.5 - 1e-9
    mantissa = length / 10 ** np.floor(np.log10(length))
    assert round(mantissa, 6) in {1.0, 2.0, 5.0}


def test_window_lookup_follows_the_dicom_linear_function() -> None:
    # Width 400, level 40: values <= -160 black, > 239 white, 40 -> ((40 - 39.5) / 399 + 0.5) * 255 = 127.8 -> 128
    values = np.array([[-1024, -160, -159, 40, 239, 240, 3000]], dtype=np.int16)
    out = apply_window(values, 400, 40)
    expected = [0, 0, round(((-159 - 39.5) / 399 + 0.5) * 255), 128, 255, 255, 255]
    assert out.tolist() == [expected]
    assert out.dtype == np.uint8 and out.flags.c_contiguous


@given(
    data=st.lists(st.integers(-32768, 32767), min_size=1, max_size=50),
    width=st.floats(1, 5000),
    level=st.floats(-2000, 2000),
)
def test_lookup_equals_formula_for_int16_uint16_and_float(data: list[int], width: float, level: float) -> None:
    def formula(x: float) -> int:
        if width == 1:
            return 255 if x > level - 0.5 else 0
        y = ((x - (level - 0.5)) / (width - 1) + 0.5) * 255
        return int(np.rint(min(255.0, max(0.0, y))))

    arr16 = np.array([data], dtype=np.int16)
    assert apply_window(arr16, width, level).tolist() == [[formula(x) for x in data]]
    arru = np.abs(arr16).astype(np.uint16)
    assert apply_window(arru, width, level).tolist() == [[formula(float(x)) for x in arru[0]]]
    arrf = arr16.astype(np.float32) / 3
    assert apply_window(arrf, width, level).tolist() == [[formula(float(x)) for x in arrf[0]]]


@given(data=st.lists(st.integers(-32768, 32767), min_size=1, max_size=30), width=st.floats(1, 4000))
def test_rgb32_lookup_is_the_grey_of_the_uint8_lookup(data: list[int], width: float) -> None:
    from sfrt_reader.ui.state.windowing import apply_window_rgb32

    arr = np.array([data], dtype=np.int16)
    grey = apply_window(arr, width, 40).astype(np.uint32)
    expected = 0xFF000000 | (grey << 16) | (grey << 8) | grey
    np.testing.assert_array_equal(apply_window_rgb32(arr, width, 40), expected)
    floats = arr.astype(np.float32)
    np.testing.assert_array_equal(apply_window_rgb32(floats, width, 40), expected)

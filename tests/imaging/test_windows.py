"""Window presets and percentile windows."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sfrt_reader.imaging.windows import CT_PRESETS, Window, apply_window, ct_window, default_window, percentile_window


def test_ct_presets_are_the_protocol_values() -> None:
    assert ct_window("soft tissue") == Window(40.0, 400.0)
    assert ct_window("lung") == Window(-600.0, 1500.0)
    assert ct_window("bone") == Window(500.0, 2000.0)
    assert ct_window("liver") == Window(90.0, 150.0)
    assert (CT_PRESETS["soft tissue"].low, CT_PRESETS["soft tissue"].high) == (-160.0, 240.0)
    with pytest.raises(ValueError, match="unknown CT window 'brain'"):
        ct_window("brain")


def test_apply_window_maps_edges_to_black_and_white() -> None:
    w = Window(40.0, 400.0)
    out = apply_window(np.array([-1000, -160, 40, 240, 3000]), w)
    assert out.tolist() == [0, 0, 128, 255, 255]  # 200/400*255 = 127.5 rounds to 128


@settings(max_examples=40, deadline=None)
@given(arrays(np.int16, st.integers(10, 400), elements=st.integers(-2000, 4000)))
def test_percentile_window_spans_1st_to_99th_percentile_of_non_zero(values: np.ndarray) -> None:
    non_zero = values[values != 0]
    w = percentile_window(values)
    if non_zero.size == 0:
        assert w == Window(0.0, 1.0)
        return
    lo, hi = np.percentile(non_zero, [1, 99])
    if hi > lo:
        assert w.low == pytest.approx(lo) and w.high == pytest.approx(hi)
    else:
        assert w.width == 1.0


def test_default_window_by_modality() -> None:
    mr = np.arange(1, 1001, dtype=np.uint16)
    assert default_window("CT", mr) == ct_window("soft tissue")
    w = default_window("MR", mr)
    assert w.low == pytest.approx(np.percentile(mr, 1)) and w.high == pytest.approx(np.percentile(mr, 99))
    with pytest.raises(ValueError):
        percentile_window(mr, 50, 10)

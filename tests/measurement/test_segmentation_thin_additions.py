"""The settling's additions outside the outline are kept only where an in-plane 3 x 3 cross in the mask covers them.

Rule under test (segmentation._drop_thin_additions): a voxel the settling added survives when it belongs to an
in-plane 3 x 3 cross lying wholly in the settled mask; every voxel of the mask before the settling stays.
The expected sets are written out by hand from that rule, not computed by the code under test.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.measurement.segmentation import _drop_thin_additions


def _square(n: int, lo: int, hi: int) -> np.ndarray:
    m = np.zeros((1, n, n), dtype=bool)
    m[0, lo:hi, lo:hi] = True
    return m


def test_one_voxel_finger_and_corner_voxel_are_dropped() -> None:
    before = _square(20, 5, 15)
    settled = before.copy()
    settled[0, 9, 15:18] = True  # a finger one voxel wide, three long, at the tip of the section
    settled[0, 4, 15] = True  # a voxel touching the square only through its corner
    settled[0, 17, 2:10] = True  # a line one voxel thick, apart from the mask
    out = _drop_thin_additions(settled, before)
    expected = before.copy()
    expected[0, 9, 15] = True  # the finger's first voxel lies on the cross centred on the outline voxel (9, 14)
    assert np.array_equal(out, expected)


def test_single_voxel_on_a_flat_edge_stays() -> None:
    """The cross centred on the outline voxel under it covers it: the rule does not trim a flat outline."""
    before = _square(20, 5, 15)
    settled = before.copy()
    settled[0, 4, 10] = True
    assert np.array_equal(_drop_thin_additions(settled, before), settled)


def test_layer_two_voxels_wide_is_kept() -> None:
    before = _square(20, 5, 15)
    settled = before.copy()
    settled[0, 8:12, 15:17] = True  # a bulge two voxels deep and four wide: lesion outline, not noise
    out = _drop_thin_additions(settled, before)
    expected = settled.copy()
    expected[0, [8, 11], 16] = False  # only its two outer right-angle corners: no cross in the mask covers them
    assert np.array_equal(out, expected)


def test_whole_outer_layer_is_kept() -> None:
    """A margin moved out by one voxel all round is a real correction of the outline and stays whole."""
    before = _square(20, 5, 15)
    settled = _square(20, 4, 16)
    expected = settled.copy()
    expected[0, [4, 4, 15, 15], [4, 15, 4, 15]] = False  # the four right-angle corners of the new layer
    assert np.array_equal(_drop_thin_additions(settled, before), expected)


def test_removals_are_never_undone() -> None:
    before = _square(20, 5, 15)
    settled = before.copy()
    settled[0, 5, 5:15] = False  # the settling took the outer row back
    assert np.array_equal(_drop_thin_additions(settled, before), settled)


def test_slices_are_judged_on_their_own() -> None:
    """A finger one voxel wide in-plane is dropped even where the same voxels are added on the next slices."""
    before = np.repeat(_square(20, 5, 15), 3, axis=0)
    settled = before.copy()
    settled[:, 9, 15:18] = True
    expected = before.copy()
    expected[:, 9, 15] = True
    assert np.array_equal(_drop_thin_additions(settled, before), expected)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 19), st.integers(0, 19)), max_size=40),
    st.integers(2, 8),
    st.integers(11, 18),
)
def test_result_lies_between_the_kept_and_the_settled(added: list[tuple[int, int]], lo: int, hi: int) -> None:
    before = _square(20, lo, hi)
    settled = before.copy()
    for y, x in added:
        settled[0, y, x] = True
    out = _drop_thin_additions(settled, before)
    assert np.all(out <= settled)
    assert np.all(out >= (settled & before))
    # every added voxel kept has a full in-plane cross in the settled mask through it (brute force)
    pad = np.pad(settled[0], 1)
    for y, x in np.argwhere(out[0] & ~before[0]):
        centres = [(y, x), (y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)]
        assert any(
            all(pad[cy + 1 + dy, cx + 1 + dx] for dy, dx in ((0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)))
            for cy, cx in centres
        )

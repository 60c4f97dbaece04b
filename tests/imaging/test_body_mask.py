"""The body mask's box opening and dilation (scipy's separable filters) give exactly ITK's binary morphology.

ITK's BinaryMorphologicalOpening and BinaryDilate with a box are the reference: the registration used them, and
its accuracy figures were measured with them. Random masks with thin structures and structures touching the
border (where the border rules of erosion and dilation differ) must come out voxel for voxel the same."""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.imaging.body_mask import body_mask, box_dilation, box_opening


def _random_mask(seed: int, shape: tuple[int, int, int], density: float) -> np.ndarray:
    rng = np.random.default_rng(seed)
    mask = (rng.random(shape) < density).astype(np.uint8)
    z, y, x = shape
    mask[:, : y // 2, : x // 2] = 1  # a block touching three faces of the grid
    mask[z // 2, :, :] = 1  # a one-voxel sheet (a table shell) that an opening must remove
    return mask


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 10_000),
    shape=st.tuples(st.integers(3, 14), st.integers(3, 14), st.integers(3, 14)),
    density=st.sampled_from([0.2, 0.5, 0.8]),
    radius=st.tuples(st.integers(1, 3), st.integers(1, 3), st.integers(1, 2)),
)
def test_box_opening_and_dilation_equal_itk(
    seed: int, shape: tuple[int, int, int], density: float, radius: tuple[int, int, int]
) -> None:
    mask = _random_mask(seed, shape, density)
    image = sitk.GetImageFromArray(mask)
    opened = sitk.GetArrayFromImage(sitk.BinaryMorphologicalOpening(image, list(radius), sitk.sitkBox))
    dilated = sitk.GetArrayFromImage(sitk.BinaryDilate(image, list(radius), sitk.sitkBox))
    assert np.array_equal(box_opening(mask, radius), opened)
    assert np.array_equal(box_dilation(mask, radius), dilated)


def test_body_mask_drops_the_table_and_keeps_the_limb() -> None:
    """A 2 mm grid with a limb (soft tissue disc, 60 mm radius) above a 2 mm thin table shell: the shell is thinner
    than the opening and goes, the limb stays (its area counted against the disc's)."""
    y, x = np.mgrid[0:100, 0:100]
    array = np.full((30, 100, 100), -1000.0, dtype=np.float32)
    disc = (x - 50) ** 2 + (y - 45) ** 2 <= 30**2
    array[:, disc] = 40.0
    array[:, 85, :] = 200.0  # the table: one voxel (2 mm) thick, the whole width
    image = sitk.GetImageFromArray(array)
    image.SetSpacing((2.0, 2.0, 2.0))
    mask = sitk.GetArrayFromImage(body_mask(image, "HU")).astype(bool)
    disc = np.broadcast_to(disc, array.shape)
    assert not mask[:, 85, :].any()
    assert mask.dtype == bool and mask.shape == array.shape
    # an opening only removes: the limb's mask lies within the disc, and only the disc's outermost pixels where a
    # 5-voxel box does not fit (its flattened poles) may go
    assert not (mask & ~disc).any()
    assert mask.sum(axis=(1, 2)).min() >= 0.99 * disc[0].sum()

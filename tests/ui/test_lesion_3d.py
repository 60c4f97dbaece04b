"""The 3-D lesion view: the crop around a segmented lesion in true mm, and the VTK picture offscreen (OSMesa)
with the lesion surfaces and the volumes written on it. Expected volumes are the analytic ones (4/3 pi r^3)."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from sfrt_reader.measurement.lesion_mask import LesionSegmentation
from sfrt_reader.measurement.lesion_metrics import measure_segmentation
from sfrt_reader.ui.state.lesion_scene import LesionCrop, crop_around_lesion
from tests.ui.reformat_phantoms import INSIDE_HU, ellipsoid_ct, uneven_z


def _sphere_crop(radius: float, title: str, centre: tuple[float, float, float] = (4.0, -6.0, 3.0)) -> LesionCrop:
    volume = ellipsoid_ct(centre, (radius, radius, radius), n=96, z_positions=uneven_z(-45.0, 0.0, 45.0))
    inside = volume.array == INSIDE_HU
    seg = LesionSegmentation(volume.series_instance_uid, volume.shape, (0, 0, 0), inside)
    result = measure_segmentation(volume, seg)
    return crop_around_lesion(volume, seg, result.volume_ml, title)


def _sphere_ml(radius: float) -> float:
    return 4.0 / 3.0 * math.pi * radius**3 / 1000.0


def test_crop_is_centred_on_the_lesion_in_true_mm() -> None:
    crop = _sphere_crop(18.0, "Baseline")
    assert crop.centre_lps == pytest.approx((4.0, -6.0, 3.0), abs=1.5)
    # Mask on the isotropic grid: its volume is the sphere's (the stack's 6 mm gaps blur the poles a little).
    mask_ml = crop.mask.sum() * crop.spacing_mm**3 / 1000.0
    assert mask_ml == pytest.approx(_sphere_ml(18.0), rel=0.08)
    # Margin: the crop reaches 15 mm beyond the lesion on every side (within a voxel).
    half = (np.asarray(crop.mask.shape) - 1) * crop.spacing_mm / 2.0
    assert np.all(half >= 18.0 + 15.0 - crop.spacing_mm)
    assert crop.origin == pytest.approx(tuple(-h for h in half[::-1]))
    assert crop.volume_ml == pytest.approx(_sphere_ml(18.0), rel=0.08)


def test_caption_states_the_change_from_baseline() -> None:
    crop = _sphere_crop(10.0, "Current")
    object.__setattr__(crop, "volume_ml", 80.0)
    assert crop.caption(100.0) == "Current\nVolume 80.0 mL\n-20.0 % from baseline (-20.0 mL)"
    assert crop.caption() == "Current\nVolume 80.0 mL"


@pytest.fixture
def view3d(qtbot):  # type: ignore[no-untyped-def]
    from sfrt_reader.ui.volume3d import Lesion3DView

    view = Lesion3DView()
    qtbot.addWidget(view)
    view.resize(640, 320)
    view.show()
    qtbot.waitExposed(view)
    yield view
    view.close_view()


def _surface_pixels(picture: np.ndarray, rgb: tuple[float, float, float]) -> int:
    """Pixels whose hue is the surface colour's: the dominant channel and order match, and bright enough."""
    target = np.asarray(rgb)
    order = np.argsort(target)
    p = picture.astype(np.int32)
    match = (p[..., order[2]] > p[..., order[1]] + 20) & (p[..., order[1]] > p[..., order[0]] + 10)
    return int((match & (p.max(axis=-1) > 90)).sum())


def test_3d_view_renders_both_lesions_and_their_volumes(view3d) -> None:  # type: ignore[no-untyped-def]
    from sfrt_reader.ui.volume3d import BACKGROUND, SURFACE_COLORS

    baseline, current = _sphere_crop(20.0, "Baseline"), _sphere_crop(15.0, "Current")
    view3d.show_crops([baseline, current])
    picture = view3d.capture()
    height, width, _ = picture.shape
    assert (height, width) == (view3d.vtk_widget.height(), view3d.vtk_widget.width())
    background = np.round(np.asarray(BACKGROUND) * 255)
    drawn = np.abs(picture.astype(int) - background).max(axis=-1) > 12
    assert drawn.mean() > 0.05  # something is rendered, not a blank (or black) window
    left, right = picture[:, : width // 2], picture[:, width // 2 :]
    blue_left = _surface_pixels(left, SURFACE_COLORS[0])
    orange_right = _surface_pixels(right, SURFACE_COLORS[1])
    assert blue_left > 500 and orange_right > 300
    assert _surface_pixels(right, SURFACE_COLORS[0]) < blue_left / 10  # each side shows its own timepoint
    # The smaller follow-up lesion covers fewer pixels at the same (shared) camera scale.
    assert orange_right < blue_left
    # Without the surfaces, no lesion colour is left: the colour comes from the segmented surface.
    for actor in view3d.surfaces:
        actor.VisibilityOff()
    assert _surface_pixels(view3d.capture()[:, : width // 2], SURFACE_COLORS[0]) < blue_left / 10
    # The volumes written on the picture are the lesions' (analytic 4/3 pi r^3 within the voxel error).
    numbers = [float(re.search(r"Volume ([\d.]+) mL", c).group(1)) for c in view3d.captions]  # type: ignore[union-attr]
    assert numbers[0] == pytest.approx(_sphere_ml(20.0), rel=0.05)
    assert numbers[1] == pytest.approx(_sphere_ml(15.0), rel=0.06)
    change = float(re.search(r"([-+][\d.]+) % from baseline", view3d.captions[1]).group(1))  # type: ignore[union-attr]
    assert change == pytest.approx(100.0 * ((15.0 / 20.0) ** 3 - 1.0), abs=3.0)


def test_3d_view_rotates_with_one_camera(view3d) -> None:  # type: ignore[no-untyped-def]
    view3d.show_crops([_sphere_crop(12.0, "Baseline"), _sphere_crop(12.0, "Current")])
    assert view3d.renderers[0].GetActiveCamera() is view3d.renderers[1].GetActiveCamera()
    before = view3d.camera.GetPosition()
    view3d.rotate(90.0)
    after = view3d.camera.GetPosition()
    # An anterior view turned 90 degrees about the vertical looks from the side, same distance.
    assert np.linalg.norm(before) == pytest.approx(np.linalg.norm(after))
    assert abs(after[1]) < 1e-6 * np.linalg.norm(after) and abs(after[0]) > 0


def test_3d_view_without_lesion_says_so(view3d) -> None:  # type: ignore[no-untyped-def]
    view3d.show_crops([])
    picture = view3d.capture()
    assert picture.size > 0 and view3d.captions == []

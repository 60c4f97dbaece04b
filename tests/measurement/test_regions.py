"""Region statistics: the pixel-centre inclusion rule, boundary cases, and means equal to numpy on the same set."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.regions import (
    EllipseRegion,
    FreehandRegion,
    PolygonRegion,
    RegionStatistics,
    region_pixels,
    region_statistics,
)
from tests.measurement.phantoms import lps_of, make_volume, oblique_directions

RNG = np.random.default_rng(7)
NOISE = RNG.normal(40, 25, size=(4, 80, 96)).round().astype(np.int16)


def _winding_brute_force(px: float, py: float, poly: np.ndarray) -> bool:
    """Inside-or-on test by summing signed angles (an algorithm different from the code under test)."""
    n = len(poly)
    total = 0.0
    for m in range(n):
        ax, ay = poly[m] - (px, py)
        bx, by = poly[(m + 1) % n] - (px, py)
        # The stated rule: a centre within 0.001 pixel of the outline is on it, hence inside.
        ex, ey = bx - ax, by - ay
        t = min(1.0, max(0.0, -(ax * ex + ay * ey) / (ex * ex + ey * ey))) if ex or ey else 0.0
        if math.hypot(ax + t * ex, ay + t * ey) <= 1e-3:
            return True
        total += math.atan2(ax * by - ay * bx, ax * bx + ay * by)
    return abs(total) > math.pi


def _poly_lps(vol_kwargs: dict, ij: list[tuple[float, float]], k: int) -> tuple:
    return tuple(tuple(lps_of(i, j, k, **vol_kwargs)) for i, j in ij)


@pytest.mark.parametrize("oblique", [False, True])
def test_circle_pixels_and_mean_equal_numpy_on_anisotropic_grid(oblique: bool) -> None:
    row, col = oblique_directions() if oblique else (None, None)
    geo = dict(pixel_spacing=(0.6, 1.1), slice_gap=5.0, row=row, col=col)
    vol = make_volume(NOISE, **geo)  # type: ignore[arg-type]
    ci, cj, k, r = 40.3, 37.8, 2, 9.0
    stats = region_statistics(vol, EllipseRegion.circle(vol, lps_of(ci, cj, k, **geo), r))  # type: ignore[arg-type]
    jj, ii = np.mgrid[0:80, 0:96]
    sel = ((ii - ci) * 0.6) ** 2 + ((jj - cj) * 1.1) ** 2 <= r * r
    values = NOISE[k][sel].astype(float)
    assert stats.pixels == sel.sum()
    assert stats.mean == pytest.approx(values.mean(), abs=1e-9)
    assert stats.sd == pytest.approx(values.std(), abs=1e-9)
    assert stats.median == pytest.approx(np.median(values))
    assert (stats.min, stats.max) == (values.min(), values.max())
    assert stats.area_mm2 == pytest.approx(sel.sum() * 0.6 * 1.1)
    assert stats.unit == "HU" and stats.is_hu
    assert stats.ref.sop_instance_uid == vol.sop_instance_uids[k]


def test_circle_boundary_pixel_centre_on_the_circle_counts() -> None:
    vol = make_volume(NOISE, pixel_spacing=(1.0, 1.0))
    centre = lps_of(50, 40, 1)
    # Radius 2 px: centres with x^2 + y^2 <= 4 -> 13 lattice points (4 of them exactly on the circle).
    assert region_statistics(vol, EllipseRegion.circle(vol, centre, 2.0)).pixels == 13
    assert region_statistics(vol, EllipseRegion.circle(vol, centre, 2.0 - 1e-4)).pixels == 9


def test_circle_is_placed_on_the_nearest_acquired_slice() -> None:
    vol = make_volume(NOISE, pixel_spacing=(1.0, 1.0), slice_gap=5.0)
    between = lps_of(50, 40, 1.4)  # 2 mm past slice 1 towards slice 2
    stats = region_statistics(vol, EllipseRegion.circle(vol, between, 3.0))
    assert stats.ref.sop_instance_uid == vol.sop_instance_uids[1]
    jj, ii = np.mgrid[0:80, 0:96]
    sel = (ii - 50) ** 2 + (jj - 40) ** 2 <= 9
    assert stats.mean == pytest.approx(NOISE[1][sel].mean())


def test_square_with_edges_through_pixel_centres_includes_its_edges() -> None:
    geo: dict = dict(pixel_spacing=(0.8, 0.8))
    vol = make_volume(NOISE, **geo)
    on_centres = PolygonRegion(_poly_lps(geo, [(2, 2), (6, 2), (6, 6), (2, 6)], 0))
    assert region_statistics(vol, on_centres).pixels == 25  # 5 x 5: all four edges included
    between = PolygonRegion(_poly_lps(geo, [(2.5, 2.5), (6.5, 2.5), (6.5, 6.5), (2.5, 6.5)], 0))
    assert region_statistics(vol, between).pixels == 16  # 3..6 x 3..6
    _k, rows, cols = region_pixels(vol, on_centres)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (2, 6, 2, 6)


def test_triangle_matches_brute_force_inclusion_including_vertices_on_centres() -> None:
    geo: dict = dict(pixel_spacing=(0.7, 1.2), tilt_degrees=15.0, slice_gap=3.0)
    vol = make_volume(NOISE, **geo)
    tri = np.array([(10.0, 10.0), (60.0, 15.0), (30.0, 70.0)])  # vertices on pixel centres
    stats = region_statistics(vol, PolygonRegion(_poly_lps(geo, [tuple(p) for p in tri], 3)))
    expected = [(j, i) for j in range(80) for i in range(96) if _winding_brute_force(i, j, tri)]
    values = np.array([NOISE[3, j, i] for j, i in expected], dtype=float)
    assert stats.pixels == len(expected)
    assert stats.mean == pytest.approx(values.mean(), abs=1e-9)
    assert stats.area_mm2 == pytest.approx(len(expected) * 0.7 * 1.2)


def test_concave_freehand_matches_brute_force() -> None:
    geo: dict = dict(pixel_spacing=(1.0, 1.0))
    vol = make_volume(NOISE, **geo)
    t = np.linspace(0, 2 * np.pi, 97, endpoint=False)
    radius = 20 + 8 * np.sin(5 * t)  # a star-like concave outline
    outline = np.stack([48 + radius * np.cos(t), 40 + radius * np.sin(t)], axis=1)
    stats = region_statistics(vol, FreehandRegion(_poly_lps(geo, [tuple(p) for p in outline], 2)))
    expected = [(j, i) for j in range(80) for i in range(96) if _winding_brute_force(i, j, outline)]
    assert stats.pixels == len(expected)
    assert stats.mean == pytest.approx(np.mean([NOISE[2, j, i] for j, i in expected]), abs=1e-9)


def test_outline_drawn_twice_counts_its_area_once() -> None:
    geo: dict = dict(pixel_spacing=(1.0, 1.0))
    vol = make_volume(NOISE, **geo)
    square = [(10.3, 10.3), (30.3, 10.3), (30.3, 30.3), (10.3, 30.3)]
    once = region_statistics(vol, FreehandRegion(_poly_lps(geo, square, 0)))
    twice = region_statistics(vol, FreehandRegion(_poly_lps(geo, square * 2, 0)))
    assert once.pixels == twice.pixels == 400
    assert once.mean == twice.mean


def test_mr_values_are_flagged_as_signal() -> None:
    vol = make_volume(NOISE.astype(np.float32) + 500, modality="MR")
    stats = region_statistics(vol, EllipseRegion.circle(vol, lps_of(30, 30, 1), 4.0))
    assert stats.unit == "signal" and not stats.is_hu


def test_degenerate_regions_are_refused() -> None:
    geo: dict = dict(pixel_spacing=(1.0, 1.0))
    vol = make_volume(NOISE, **geo)
    with pytest.raises(MeasurementError, match="at least 3 points, got 2"):
        PolygonRegion(_poly_lps(geo, [(1, 1), (5, 5)], 0))
    with pytest.raises(MeasurementError, match="zero area"):
        FreehandRegion(_poly_lps(geo, [(1, 1), (5, 5), (9, 9)], 0))
    with pytest.raises(MeasurementError, match="zero area"):
        EllipseRegion((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 3.0, 0.0))
    with pytest.raises(MeasurementError, match="radius must be a positive"):
        EllipseRegion.circle(vol, lps_of(5, 5, 0), 0.0)
    tiny = PolygonRegion(_poly_lps(geo, [(5.1, 5.1), (5.4, 5.1), (5.4, 5.4)], 0))
    with pytest.raises(MeasurementError, match="contains no pixel centre"):
        region_statistics(vol, tiny)


def test_points_outside_or_on_several_slices_are_refused() -> None:
    geo: dict = dict(pixel_spacing=(1.0, 1.0))
    vol = make_volume(NOISE, **geo)
    with pytest.raises(MeasurementError, match="outside the image"):
        region_statistics(vol, PolygonRegion(_poly_lps(geo, [(1, 1), (120, 5), (9, 20)], 0)))
    skew = (tuple(lps_of(1, 1, 0)), tuple(lps_of(20, 1, 0)), tuple(lps_of(10, 20, 2)))
    with pytest.raises(MeasurementError, match="not on one slice"):
        region_statistics(vol, PolygonRegion(skew))  # type: ignore[arg-type]


def test_region_statistics_round_trip() -> None:
    geo: dict = dict(pixel_spacing=(1.0, 1.0))
    vol = make_volume(NOISE, **geo)
    for region in (
        EllipseRegion.circle(vol, lps_of(30, 30, 1), 4.0),
        PolygonRegion(_poly_lps(geo, [(1, 1), (20, 5), (9, 20)], 0)),
        FreehandRegion(_poly_lps(geo, [(1, 1), (20, 5), (25, 25), (9, 20)], 3)),
    ):
        stats = region_statistics(vol, region)
        data = json.loads(json.dumps(stats.to_dict()))
        assert data["region"]["kind"] == region.KIND
        assert RegionStatistics.from_dict(data) == stats


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.tuples(st.floats(5, 40), st.floats(5, 40)), min_size=3, max_size=9),
    st.integers(-4, 30),
    st.integers(-4, 30),
)
@example(pts=[(5.0, 5.0), (5.0, 6.0), (6.0, 5.0)], di=0, dj=1)  # vertices on centres, a hair off after LPS
def test_integer_translation_moves_the_pixel_set_exactly(pts: list[tuple[float, float]], di: int, dj: int) -> None:
    geo: dict = dict(pixel_spacing=(0.9, 0.9))
    vol = make_volume(NOISE, **geo)
    try:
        region = PolygonRegion(_poly_lps(geo, pts, 1))
    except MeasurementError:
        return  # collinear draw: refused, nothing to compare
    moved = PolygonRegion(_poly_lps(geo, [(x + di, y + dj) for x, y in pts], 1))
    _, r0, c0 = region_pixels(vol, region)
    _, r1, c1 = region_pixels(vol, moved)
    assert sorted(zip((r0 + dj).tolist(), (c0 + di).tolist(), strict=True)) == sorted(
        zip(r1.tolist(), c1.tolist(), strict=True)
    )


@settings(max_examples=40, deadline=None)
@given(st.floats(2, 15), st.floats(2, 15), st.floats(0, 360), st.integers(0, 3))
def test_rotation_about_a_pixel_centre(a: float, b: float, degrees: float, quarter: int) -> None:
    geo: dict = dict(pixel_spacing=(1.0, 1.0))
    vol = make_volume(NOISE, **geo)
    c = np.array([48.0, 40.0])

    def rect(angle: float) -> PolygonRegion:
        t = math.radians(angle)
        rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        corners = [c + rot @ np.array(p) for p in [(-a, -b), (a, -b), (a, b), (-a, b)]]
        return PolygonRegion(_poly_lps(geo, [tuple(p) for p in corners], 1))

    base = region_statistics(vol, rect(0.0))
    # A quarter turn about a pixel centre maps pixel centres onto pixel centres: same count.
    assert region_statistics(vol, rect(90.0 * quarter)).pixels == base.pixels
    # Any rotation: the pixel area stays within one pixel-wide band along the outline of the true area.
    turned = region_statistics(vol, rect(degrees))
    band = 2 * (2 * a + 2 * b) * 1.0 + 4
    assert abs(turned.area_mm2 - 4 * a * b) <= band
    assert turned.outline_area_mm2 == pytest.approx(4 * a * b)

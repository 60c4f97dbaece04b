"""The measurement dispatcher: every kind survives to_dict -> JSON -> measurement_from_dict unchanged."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.measurement.errors import MeasurementError
from sfrt_reader.measurement.geometry import SliceRef
from sfrt_reader.measurement.lesion_mask import LesionSegmentation
from sfrt_reader.measurement.lesion_metrics import SegmentationResult
from sfrt_reader.measurement.lines import Bidimensional, Line
from sfrt_reader.measurement.regions import EllipseRegion, FreehandRegion, PolygonRegion, RegionStatistics
from sfrt_reader.measurement.serialise import MEASUREMENT_TYPES, drawn_parts, measurement_from_dict

coord = st.floats(min_value=-400.0, max_value=400.0, allow_nan=False)
points = st.tuples(coord, coord, coord)
uids = st.from_regex(r"1\.2\.[1-9][0-9]{0,5}(\.[1-9][0-9]{0,3}){0,3}", fullmatch=True)
refs = st.builds(
    SliceRef, series_uid=uids, sop_instance_uid=uids, frame_number=st.none() | st.integers(min_value=1, max_value=9)
)
angles = st.floats(min_value=0.0, max_value=2 * math.pi)
lengths = st.floats(min_value=1.0, max_value=150.0)


def _frame(angle: float, tilt: float) -> tuple[np.ndarray, np.ndarray]:
    """Two perpendicular unit vectors: one at `angle` in a plane tilted by `tilt` about x."""
    c, s = math.cos(tilt), math.sin(tilt)
    e1, e2 = np.array([1.0, 0.0, 0.0]), np.array([0.0, c, s])
    u = math.cos(angle) * e1 + math.sin(angle) * e2
    v = -math.sin(angle) * e1 + math.cos(angle) * e2
    return u, v


@st.composite
def lines(draw: st.DrawFn) -> Line:
    a = np.asarray(draw(points))
    u, _ = _frame(draw(angles), draw(angles))
    return Line(tuple(a), tuple(a + draw(lengths) * u), draw(refs))  # type: ignore[arg-type]


@st.composite
def bidimensionals(draw: st.DrawFn) -> Bidimensional:
    c = np.asarray(draw(points))
    u, v = _frame(draw(angles), draw(angles))
    long_half = draw(lengths)
    short_half = long_half * draw(st.floats(min_value=0.05, max_value=1.0))
    ref = draw(refs)
    long_ = Line(tuple(c - long_half * u), tuple(c + long_half * u), ref)  # type: ignore[arg-type]
    short = Line(tuple(c - short_half * v), tuple(c + short_half * v), ref)  # type: ignore[arg-type]
    return Bidimensional(long_, short)


@st.composite
def ellipses(draw: st.DrawFn) -> EllipseRegion:
    c = np.asarray(draw(points))
    u, v = _frame(draw(angles), draw(angles))
    return EllipseRegion(tuple(c), tuple(c + draw(lengths) * u), tuple(c + draw(lengths) * v), draw(refs))  # type: ignore[arg-type]


@st.composite
def polygons(draw: st.DrawFn) -> PolygonRegion:
    c = np.asarray(draw(points))
    u, v = _frame(draw(angles), draw(angles))
    n = draw(st.integers(min_value=3, max_value=12))
    radii = draw(st.lists(lengths, min_size=n, max_size=n))
    pts = tuple(
        tuple(c + r * (math.cos(2 * math.pi * i / n) * u + math.sin(2 * math.pi * i / n) * v))
        for i, r in enumerate(radii)
    )
    cls = draw(st.sampled_from([PolygonRegion, FreehandRegion]))
    return cls(pts, draw(refs))  # type: ignore[arg-type]


regions = ellipses() | polygons()
finite = st.floats(min_value=-2000.0, max_value=4000.0, allow_nan=False)


@st.composite
def region_statistics(draw: st.DrawFn) -> RegionStatistics:
    unit = draw(st.sampled_from(["HU", "signal"]))
    return RegionStatistics(
        region=draw(regions),
        mean=draw(finite),
        sd=draw(st.floats(min_value=0.0, max_value=500.0)),
        median=draw(finite),
        min=draw(finite),
        max=draw(finite),
        pixels=draw(st.integers(min_value=1, max_value=10**6)),
        area_mm2=draw(st.floats(min_value=0.01, max_value=1e5)),
        unit=unit,
        is_hu=unit == "HU",
    )


@st.composite
def segmentations(draw: st.DrawFn) -> LesionSegmentation:
    box = tuple(draw(st.integers(min_value=1, max_value=6)) for _ in range(3))
    bits = draw(st.lists(st.booleans(), min_size=math.prod(box), max_size=math.prod(box)))
    mask = np.asarray(bits, dtype=bool).reshape(box)
    mask.flat[draw(st.integers(min_value=0, max_value=mask.size - 1))] = True
    offset = tuple(draw(st.integers(min_value=0, max_value=20)) for _ in range(3))
    shape = tuple(o + b + draw(st.integers(min_value=0, max_value=5)) for o, b in zip(offset, box, strict=True))
    seed = draw(st.none() | points)
    return LesionSegmentation(draw(uids), shape, offset, mask, seed, draw(st.sampled_from(["", "seeded", "brush"])))  # type: ignore[arg-type]


@st.composite
def segmentation_results(draw: st.DrawFn) -> SegmentationResult:
    seg = draw(segmentations())
    bi = draw(bidimensionals())
    unit = draw(st.sampled_from(["HU", "signal"]))
    return SegmentationResult(
        segmentation=seg,
        volume_ml=draw(st.floats(min_value=0.001, max_value=5000.0)),
        mean=draw(finite),
        sd=draw(st.floats(min_value=0.0, max_value=500.0)),
        unit=unit,
        is_hu=unit == "HU",
        voxels=seg.voxels,
        longest_axial=bi.long_axis,
        short_axis=bi.short_axis,
        max_3d=draw(lines()),
    )


measurements = st.one_of(
    lines(), bidimensionals(), ellipses(), polygons(), region_statistics(), segmentations(), segmentation_results()
)


@settings(max_examples=150, deadline=None)
@given(measurements)
def test_every_kind_round_trips_through_json(m: Any) -> None:
    stored = json.loads(json.dumps(m.to_dict()))
    back = measurement_from_dict(stored)
    assert type(back) is type(m)
    assert back == m
    assert back.to_dict() == stored


def test_the_dispatcher_knows_every_kind() -> None:
    assert set(MEASUREMENT_TYPES) == {
        "line",
        "bidimensional",
        "ellipse",
        "polygon",
        "freehand",
        "region_statistics",
        "lesion_segmentation",
        "segmentation_result",
    }


@pytest.mark.parametrize("data", [{}, {"kind": "angle"}, {"kind": None}, {"kind": 3}])
def test_unknown_kind_is_refused_by_name(data: dict[str, Any]) -> None:
    with pytest.raises(MeasurementError, match="unknown measurement kind"):
        measurement_from_dict(data)


def test_missing_field_is_named_not_a_key_error() -> None:
    with pytest.raises(MeasurementError, match="lacks the field 'end'"):
        measurement_from_dict({"kind": "line", "start": [0, 0, 0]})
    with pytest.raises(MeasurementError, match="JSON object"):
        measurement_from_dict([1, 2])  # type: ignore[arg-type]


def test_drawn_parts_of_a_bidimensional_and_a_circle() -> None:
    ref = SliceRef("1.2.3", "1.2.3.4", None)
    bi = Bidimensional(Line((-10, 0, 5), (10, 0, 5), ref), Line((0, -4, 5), (0, 4, 5), ref))
    parts = drawn_parts(measurement_from_dict(bi.to_dict()))
    assert [(p.name, p.points, p.closed, p.sop_instance_uid) for p in parts] == [
        ("long", ((-10.0, 0.0, 5.0), (10.0, 0.0, 5.0)), False, "1.2.3.4"),
        ("short", ((0.0, -4.0, 5.0), (0.0, 4.0, 5.0)), False, "1.2.3.4"),
    ]
    circle = EllipseRegion((1.0, 2.0, 3.0), (6.0, 2.0, 3.0), (1.0, 7.0, 3.0), ref)
    (outline,) = drawn_parts(circle)
    assert outline.closed and outline.name == "region" and len(outline.points) == 64
    radii = [math.dist(p, (1.0, 2.0, 3.0)) for p in outline.points]
    assert max(abs(r - 5.0) for r in radii) < 1e-9
    assert all(p[2] == pytest.approx(3.0) for p in outline.points)

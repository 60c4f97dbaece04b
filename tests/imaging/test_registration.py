"""Registration of follow-ups to the baseline: accuracy on the demo trial's known limb poses, determinism, the
quality verdict on bad runs, the stored record and the point mapping with its table-position fallback."""

from __future__ import annotations

import functools
import itertools
import json
import math
import threading
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.imaging.demo_trial import SUBJECTS, visit_specs
from sfrt_reader.imaging.errors import ImagingError, RegistrationInputError
from sfrt_reader.imaging.phantom import Grid, PhantomSpec, Pose, ellipsoid_spec, make_phantom_volume
from sfrt_reader.imaging.registration import (
    RegistrationOptions,
    register,
    register_follow_ups,
    to_sitk_transform,
)
from sfrt_reader.imaging.registration_result import (
    Registration,
    link_point,
    map_point,
    map_point_inverse,
    matrix_tuple,
)
from sfrt_reader.imaging.volume import Volume

# Small, coarse settings for the behaviour tests (the accuracy test uses the defaults).
QUICK = RegistrationOptions(
    working_spacing_mm=4.0, shrink_factors=(2, 1), smoothing_sigmas_mm=(4.0, 0.0), iterations=30, metric_samples=5000
)
SMALL_GRID = Grid(size=(96, 96, 30), pixel_spacing=(4.0, 4.0), slice_spacing=6.0, centre_xy=(0.0, 6.0), first_z=-87.0)


def _small(pose: Pose | None = None, first_z: float = -87.0, uid: str = "1.2.3") -> Volume:
    spec = PhantomSpec(grid=replace(SMALL_GRID, first_z=first_z), pose=pose or Pose())
    volume = make_phantom_volume(spec, seed=5).volume
    volume.series_instance_uid = uid
    return volume


@pytest.fixture(scope="module")
def pair() -> tuple[Volume, Volume]:
    return _small(uid="1.2.3.1"), _small(Pose((0.0, 0.0, 2.0), (4.0, -2.0, 3.0), (0.0, 5.0, 0.0)), uid="1.2.3.2")


def _euler(angles: tuple[float, float, float], shift: tuple[float, float, float], centre: Any) -> Registration:
    tx = sitk.Euler3DTransform(tuple(centre), *angles, tuple(shift))
    m = np.eye(4)
    m[:3, :3] = np.asarray(tx.GetMatrix()).reshape(3, 3)
    m[:3, 3] = np.asarray(tx.GetTranslation()) + np.asarray(centre) - m[:3, :3] @ np.asarray(centre)
    return Registration(
        fixed_series_uid="1.2.3.1",
        moving_series_uid="1.2.3.2",
        matrix=matrix_tuple(m),
        transform_type="Euler3DTransform",
        parameters=tuple(tx.GetParameters()),
        fixed_parameters=tuple(tx.GetFixedParameters()),
        metric="mattes_mutual_information",
        metric_value=-0.8,
        verdict="ok",
        reason="body outlines agree",
        method="rigid",
        elapsed_s=1.5,
        checks={"rotation_deg": 2.0},
    )


# ------------------------------------------------------------------------------------------- accuracy


@dataclass(frozen=True)
class _DemoResult:
    """One follow-up of a demo subject registered to its baseline, against the generator's known poses."""

    label: str
    modality: str
    error_lps: tuple[float, float, float]  # mapped baseline tumour centre minus the follow-up's true centre (mm)
    rotation_error_deg: float  # angle of (found matrix) x (true matrix)^-1
    verdict: str

    @property
    def error_mm(self) -> float:
        return float(np.linalg.norm(self.error_lps))

    @property
    def axial_error_mm(self) -> float:
        """The part of the error in the axial plane (LPS x, y); z runs along the limb."""
        return float(np.hypot(self.error_lps[0], self.error_lps[1]))


@functools.cache
def _demo_results(subject_index: int, size: int = 128) -> tuple[_DemoResult, ...]:
    """Register every follow-up of a demo subject once per test session (the accuracy tests share the runs).

    The truth is independent of the registration code: the generator places the anatomy at each visit by a known
    pose, so baseline LPS -> follow-up LPS is pose_follow_up @ inverse(pose_baseline)."""
    subject = SUBJECTS[subject_index]
    specs = visit_specs(subject, 0, size)
    base = make_phantom_volume(specs[0].spec, specs[0].phantom_seed)
    to_anatomy = np.linalg.inv(specs[0].spec.pose.matrix)
    out = []
    for v in specs[1:]:
        follow = make_phantom_volume(v.spec, v.phantom_seed)
        reg = register(base.volume, follow.volume)
        error = map_point(reg, base.truth["T1"].centre_lps) - np.asarray(follow.truth["T1"].centre_lps)
        truth = v.spec.pose.matrix @ to_anatomy
        residual = reg.affine[:3, :3] @ truth[:3, :3].T
        cosine = float(np.clip((np.trace(residual) - 1.0) / 2.0, -1.0, 1.0))
        out.append(
            _DemoResult(
                label=v.label,
                modality=f"{specs[0].spec.modality}-to-{v.spec.modality}",
                error_lps=(float(error[0]), float(error[1]), float(error[2])),
                rotation_error_deg=math.degrees(math.acos(cosine)),
                verdict=reg.verdict,
            )
        )
    return tuple(out)


@pytest.mark.slow
@pytest.mark.parametrize("subject_index", [0, 1, 2], ids=[s.code for s in SUBJECTS])
def test_tumour_centre_maps_within_2_mm_for_every_follow_up(subject_index: int) -> None:
    """The baseline's true tumour centre, mapped by the registration, lands within 2 mm of the follow-up's true
    tumour centre (both from the phantom's known poses), CT-to-CT (demo-01, demo-02) and CT-to-MR (demo-03)."""
    results = _demo_results(subject_index)
    assert all(r.verdict == "ok" for r in results), results
    assert max(r.error_mm for r in results) < 2.0, results


@pytest.mark.slow
@pytest.mark.parametrize("subject_index", [0, 1, 2], ids=[s.code for s in SUBJECTS])
def test_rotation_and_axial_position_are_recovered_for_every_follow_up(subject_index: int) -> None:
    """The parts of the transform the gradient stages recover on every demo follow-up: the rotation to within 0.5
    degree and the tumour centre's position in the axial plane to within 1 mm (the search along the table axis
    does not touch them)."""
    results = _demo_results(subject_index)
    assert all(r.verdict == "ok" for r in results), results
    assert max(r.rotation_error_deg for r in results) < 0.5, results
    assert max(r.axial_error_mm for r in results) < 1.0, results


@pytest.mark.slow
def test_ct_baseline_to_mr_follow_ups() -> None:
    """CT-to-MR explicitly (demo-03: CT baseline, MR follow-ups, other scanner, other field of view): mutual
    information must align the two modalities as it aligns CT with CT."""
    index = next(i for i, s in enumerate(SUBJECTS) if s.code == "demo-03")
    results = _demo_results(index)
    assert {r.modality for r in results} == {"CT-to-MR"}
    assert all(r.verdict == "ok" for r in results), results
    assert max(r.rotation_error_deg for r in results) < 0.5, results
    assert max(r.axial_error_mm for r in results) < 1.0, results


def test_registration_improves_on_no_motion(pair: tuple[Volume, Volume]) -> None:
    """On a small phantom moved by a known pose, the mapped centre is much closer than without registration."""
    fixed, moving = pair
    truth = Pose((0.0, 0.0, 2.0), (4.0, -2.0, 3.0), (0.0, 5.0, 0.0)).matrix
    point = np.array([-120.0, -30.0, 0.0])
    expected = truth[:3, :3] @ point + truth[:3, 3]
    reg = register(fixed, moving, QUICK)
    assert reg.verdict == "ok", reg.reason
    before = np.linalg.norm(point - expected)
    after = np.linalg.norm(map_point(reg, point) - expected)
    assert before > 8.0
    assert after < before / 2


def test_same_inputs_give_the_same_parameters(pair: tuple[Volume, Volume]) -> None:
    fixed, moving = pair
    a = register(fixed, moving, QUICK)
    b = register(fixed, moving, QUICK)
    assert a.parameters == b.parameters
    assert a.matrix == b.matrix
    assert a.metric_value == b.metric_value


# ------------------------------------------------------------------------------------------- poor runs


def test_unrelated_images_are_poor(pair: tuple[Volume, Volume]) -> None:
    """A thigh CT against a block of muscle holding an ellipsoid: nothing to match; verdict poor, with a reason."""
    fixed, _ = pair
    other = make_phantom_volume(ellipsoid_spec(), seed=1).volume
    reg = register(fixed, other, QUICK)
    assert reg.verdict == "poor"
    assert reg.reason
    assert link_point(reg, (0.0, 0.0, 0.0)).method != "registration"


def test_no_overlap_is_poor(pair: tuple[Volume, Volume]) -> None:
    """The follow-up scans another stretch of the thigh (no slice in common with the baseline): poor, and the
    reason names what failed (no overlap, or the implausible shift that aligning the two stretches would need)."""
    fixed, _ = pair
    elsewhere = _small(first_z=230.0)
    reg = register(fixed, elsewhere, QUICK)
    assert reg.verdict == "poor"
    assert any(word in reg.reason for word in ("overlap", "covers only", "shift of")), reg.reason


def test_cancel_before_and_during_a_run(pair: tuple[Volume, Volume]) -> None:
    fixed, moving = pair
    reg = register(fixed, moving, QUICK, cancel=lambda: True)
    assert reg.verdict == "poor" and "cancelled" in reg.reason
    polls = {"n": 0}

    def later() -> bool:
        polls["n"] += 1
        return polls["n"] > 5

    reg = register(fixed, moving, QUICK, cancel=later)
    assert reg.verdict == "poor" and "cancelled before it finished" in reg.reason
    assert np.allclose(reg.affine, np.eye(4))


def test_follow_ups_progress_and_cancel(pair: tuple[Volume, Volume]) -> None:
    """Progress rises from 0 to 1 across follow-ups; a cancel during the first leaves the rest poor, one result
    each."""
    fixed, moving = pair
    seen: list[float] = []
    results = register_follow_ups(fixed, [moving, moving], QUICK, progress=lambda f, _m: seen.append(f))
    assert len(results) == 2 and all(r.ok for r in results)
    assert seen[-1] == 1.0 and seen[0] == 0.0
    assert all(b >= a - 1e-9 for a, b in itertools.pairwise(seen))
    stop = threading.Event()

    def progress(fraction: float, _message: str) -> None:
        if fraction > 0.2:
            stop.set()

    results = register_follow_ups(fixed, [moving, moving], QUICK, progress=progress, cancel=stop.is_set)
    assert len(results) == 2
    assert all(r.verdict == "poor" and "cancelled" in r.reason for r in results)


# ------------------------------------------------------------------------------------------- input errors


def test_too_small_a_field_of_view_is_refused(pair: tuple[Volume, Volume]) -> None:
    fixed, _ = pair
    thin = Volume(
        array=fixed.array[:2],
        pixel_spacing=fixed.pixel_spacing,
        row_direction=fixed.row_direction,
        column_direction=fixed.column_direction,
        positions=fixed.positions[:2],
    )
    with pytest.raises(RegistrationInputError, match=r"follow-up covers only 12 mm along the slices"):
        register(fixed, thin, QUICK)
    with pytest.raises(ImagingError, match="must be a loaded image volume"):
        register(fixed, "not a volume", QUICK)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"shrink_factors": (1, 2)}, "coarse to fine"),
        ({"smoothing_sigmas_mm": (1.0,)}, "one per level"),
        ({"metric_samples": 10}, "metric_samples"),
        ({"working_spacing_mm": 0.0}, "working_spacing_mm"),
        ({"min_body_dice": 1.5}, "min_body_dice"),
        ({"max_rotation_deg": -1.0}, "max_rotation_deg"),
        ({"axial_search_mm": -1.0}, "axial_search_mm"),
        ({"axial_samples": 5}, "axial_samples"),
        ({"native_pixel_mm": float("nan")}, "native_pixel_mm"),
    ],
)
def test_invalid_options_are_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(RegistrationInputError, match=message):
        RegistrationOptions(**changes)


# ------------------------------------------------------------------------------------------- record and mapping


@settings(max_examples=40, deadline=None)
@given(
    angles=st.tuples(*[st.floats(-0.3, 0.3)] * 3),
    shift=st.tuples(*[st.floats(-50, 50)] * 3),
    centre=st.tuples(*[st.floats(-200, 200)] * 3),
    point=st.tuples(*[st.floats(-300, 300)] * 3),
)
def test_mapping_agrees_with_simpleitk_and_round_trips(
    angles: tuple[float, float, float],
    shift: tuple[float, float, float],
    centre: tuple[float, float, float],
    point: tuple[float, float, float],
) -> None:
    """map_point equals SimpleITK's own TransformPoint of the stored transform; the inverse undoes it; the JSON
    document reads back to an equal record."""
    reg = _euler(angles, shift, centre)
    expected = to_sitk_transform(reg).TransformPoint(point)
    assert map_point(reg, point) == pytest.approx(expected, abs=1e-6)
    assert map_point_inverse(reg, map_point(reg, point)) == pytest.approx(point, abs=1e-6)
    back = Registration.from_dict(json.loads(json.dumps(reg.to_dict())))
    assert back == reg


def test_link_point_falls_back_to_table_position() -> None:
    reg = _euler((0.0, 0.0, 0.05), (5.0, 0.0, 0.0), (0.0, 0.0, 0.0))
    linked = link_point(reg, (10.0, 20.0, 30.0))
    assert linked.method == "registration" and linked.notice is None
    assert linked.lps == pytest.approx(tuple(map_point(reg, (10.0, 20.0, 30.0))))
    back = link_point(reg, linked.lps, inverse=True)
    assert back.lps == pytest.approx((10.0, 20.0, 30.0))
    bad = reg.rejected("the femur does not line up")
    assert bad.verdict == "poor" and "femur" in bad.reason
    fallback = link_point(bad, (10.0, 20.0, 30.0))
    assert fallback.method == "table position"
    assert fallback.lps == (10.0, 20.0, 30.0)
    assert fallback.notice is not None and "femur" in fallback.notice
    assert link_point(None, (1.0, 2.0, 3.0)).notice is not None
    with pytest.raises(RegistrationInputError, match="reason is empty"):
        reg.rejected("  ")


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: d.pop("matrix"), "lacks the field 'matrix'"),
        (lambda d: d.update(schema="other/1"), "schema"),
        (lambda d: d.update(matrix=[[1, 0, 0, 0]] * 4), "last row"),
        (lambda d: d.update(verdict="fine"), "verdict"),
        (lambda d: d.update(parameters=[0.0] * 5), "6 parameters"),
        (lambda d: d.update(elapsed_s="soon"), "elapsed_s"),
        (lambda d: d.update(transform_type="BSplineTransform"), "unknown transform type"),
    ],
)
def test_damaged_documents_are_refused(damage: Any, message: str) -> None:
    doc = _euler((0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0)).to_dict()
    damage(doc)
    with pytest.raises(RegistrationInputError, match=message):
        Registration.from_dict(doc)


def test_registered_record_is_json_safe_and_consistent(pair: tuple[Volume, Volume]) -> None:
    fixed, moving = pair
    reg = register(fixed, moving, QUICK)
    doc = json.loads(json.dumps(reg.to_dict()))
    assert doc["fixed_series_uid"] == "1.2.3.1" and doc["moving_series_uid"] == "1.2.3.2"
    assert doc["verdict"] in ("ok", "poor") and doc["reason"] and doc["method"] == "rigid"
    assert Registration.from_dict(doc) == reg
    tx = to_sitk_transform(reg)
    p = (-100.0, 10.0, 5.0)
    assert map_point(reg, p) == pytest.approx(tx.TransformPoint(p), abs=1e-6)


@pytest.mark.parametrize("kind", ["uneven gaps", "gantry tilt"])
def test_irregular_stacks_are_resampled_in_true_positions(kind: str) -> None:
    """A tilted or unevenly spaced stack holding a value linear in LPS (2x + 3y + 5z) is resampled onto a regular
    grid; trilinear interpolation reproduces a linear field exactly, so every grid voxel inside the stack must
    hold the value of its own LPS position."""
    from sfrt_reader.imaging.sitk_convert import needs_resampling, volume_to_sitk

    nz, ny, nx = 12, 20, 24
    if kind == "uneven gaps":
        z = np.cumsum([0.0, 2.0, 2.0, 3.5, 2.0, 5.0, 2.0, 2.0, 2.5, 2.0, 4.0, 2.0])
        positions = np.array([[-10.0, -20.0, zz] for zz in z])
    else:
        positions = np.array([[-10.0, -20.0 + 0.6 * k, 3.0 * k] for k in range(nz)])  # tilted about x
    volume = Volume(np.zeros((nz, ny, nx), dtype=np.float32), (1.5, 1.5), (1, 0, 0), (0, 1, 0), positions)
    ijk = np.stack(np.meshgrid(np.arange(nx), np.arange(ny), np.arange(nz), indexing="xy"), axis=-1)
    lps = volume.index_to_lps(ijk.astype(float))
    field = lps @ np.array([2.0, 3.0, 5.0])
    volume.array = np.ascontiguousarray(np.transpose(field, (2, 0, 1))).astype(np.float32)
    assert needs_resampling(volume)
    image = volume_to_sitk(volume)
    arr = sitk.GetArrayFromImage(image)
    checked = 0
    for k, j, i in [(z, y, x) for z in range(0, arr.shape[0], 3) for y in range(0, arr.shape[1], 4) for x in (1, 9)]:
        point = np.array(image.TransformIndexToPhysicalPoint((int(i), int(j), int(k))))
        if not volume.contains_index(volume.lps_to_index(point), margin=0.0):
            continue
        assert arr[k, j, i] == pytest.approx(point @ np.array([2.0, 3.0, 5.0]), abs=1e-2)
        checked += 1
    assert checked > 20

"""The symmetric search along the table axis: its mutual information against values known in closed form, the
shift it finds against a known pure shift of the anatomy, and its symmetry (swapping the scans negates the shift).
"""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from sfrt_reader.imaging.phantom import Grid, PhantomSpec, Pose, make_phantom_volume
from sfrt_reader.imaging.registration import RegistrationOptions, _prepare, _refine_along_table_axis
from sfrt_reader.imaging.registration_refine import mutual_information
from sfrt_reader.imaging.volume import Volume

GRID = Grid(size=(96, 96, 30), pixel_spacing=(4.0, 4.0), slice_spacing=6.0, centre_xy=(0.0, 6.0), first_z=-87.0)
OPTIONS = RegistrationOptions(working_spacing_mm=4.0, shrink_factors=(2, 1), smoothing_sigmas_mm=(4.0, 0.0))


def _volume(pose: Pose) -> Volume:
    return make_phantom_volume(PhantomSpec(grid=replace(GRID), pose=pose), seed=5).volume


@settings(max_examples=25, deadline=None)
@given(k=st.integers(2, 16), repeats=st.integers(1, 5))
def test_mutual_information_of_identical_uniform_labels_is_log_k(k: int, repeats: int) -> None:
    """k equally frequent values, each exactly on a bin centre, paired with themselves: MI = entropy = ln k."""
    bins = k
    values = np.repeat(np.arange(k, dtype=np.float64), repeats)
    mi = mutual_information(values, values, ((0.0, k - 1.0), (0.0, k - 1.0)), bins)
    assert mi == pytest.approx(math.log(k), rel=1e-9)


@settings(max_examples=25, deadline=None)
@given(ka=st.integers(2, 8), kb=st.integers(2, 8))
def test_mutual_information_of_independent_values_is_zero(ka: int, kb: int) -> None:
    """Every pair of bin-centre values once: the joint histogram is the product of its margins, so MI = 0."""
    a, b = np.meshgrid(np.arange(ka, dtype=np.float64), np.arange(kb, dtype=np.float64), indexing="ij")
    mi = mutual_information(a.ravel(), b.ravel(), ((0.0, ka - 1.0), (0.0, kb - 1.0)), 8)
    assert mi == pytest.approx(0.0, abs=1e-12)


@pytest.fixture(scope="module")
def shifted_pair() -> tuple[Volume, Volume]:
    """The same anatomy, the second placed 7 mm further along the limb (z): baseline -> follow-up is +7 mm in z."""
    return _volume(Pose()), _volume(Pose(translation_mm=(0.0, 0.0, 7.0)))


def test_search_finds_a_pure_shift_along_the_limb(shifted_pair: tuple[Volume, Volume]) -> None:
    """Started from "no motion", the search alone recovers the known 7 mm shift to within one fine step."""
    base, follow = shifted_pair
    fixed, moving = _prepare(base, OPTIONS), _prepare(follow, OPTIONS)
    start = sitk.Euler3DTransform(fixed.centroid, 0.0, 0.0, 0.0, (0.0, 0.0, 0.0))
    transform, shift = _refine_along_table_axis(fixed, moving, start, OPTIONS, lambda: False)
    assert shift == pytest.approx(7.0, abs=0.5)
    assert transform.TransformPoint((-120.0, -30.0, 0.0)) == pytest.approx((-120.0, -30.0, shift), abs=1e-9)


def test_swapping_the_scans_negates_the_shift(shifted_pair: tuple[Volume, Volume]) -> None:
    """The metric is symmetric by construction: with every voxel sampled (small images), registering B to A from
    "no motion" gives exactly minus the shift of A to B. An asymmetric metric (one direction only) would not."""
    base, follow = shifted_pair
    a, b = _prepare(base, OPTIONS), _prepare(follow, OPTIONS)
    identity = sitk.Euler3DTransform((0.0, 0.0, 0.0), 0.0, 0.0, 0.0, (0.0, 0.0, 0.0))
    _, forward = _refine_along_table_axis(a, b, identity, OPTIONS, lambda: False)
    _, backward = _refine_along_table_axis(b, a, identity, OPTIONS, lambda: False)
    assert forward == pytest.approx(-backward, abs=1e-9)
    assert forward == pytest.approx(7.0, abs=0.5)


def test_search_stops_when_cancelled(shifted_pair: tuple[Volume, Volume]) -> None:
    from sfrt_reader.imaging.registration import _Cancelled

    base, follow = shifted_pair
    fixed, moving = _prepare(base, OPTIONS), _prepare(follow, OPTIONS)
    start = sitk.Euler3DTransform(fixed.centroid, 0.0, 0.0, 0.0, (0.0, 0.0, 0.0))
    with pytest.raises(_Cancelled):
        _refine_along_table_axis(fixed, moving, start, OPTIONS, lambda: True)

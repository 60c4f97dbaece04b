"""load_series / load_path on generated series whose geometry and voxel values are known by construction."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pydicom
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydicom.uid import JPEG2000Lossless, JPEGLSLossless, RLELossless

import sfrt_reader.imaging.loader as loader_module
from sfrt_reader.imaging import ImagingError, SliceReady, Volume, load_path, load_series, scan
from sfrt_reader.imaging.errors import (
    DuplicateSlicesError,
    MissingSlicesError,
    NoImageSeriesError,
    NotAVolumeError,
    SeriesChoiceError,
    SeriesNotFoundError,
    UnreadableFileError,
    UnsupportedTransferSyntaxError,
)
from tests.imaging.dicom_factory import (
    ACCESSION,
    BIRTH_DATE,
    PATIENT_ID,
    PATIENT_NAME,
    SeriesSpec,
    hu_formula,
    write_enhanced_ct,
    write_series,
)

IDENTIFIERS = (PATIENT_NAME, "Testperson", PATIENT_ID, BIRTH_DATE, ACCESSION)


def _expected(spec: SeriesSpec) -> np.ndarray:
    return np.stack([spec.expected_values(k) for k in range(spec.n)])


def _only_series(folder: Path):  # type: ignore[no-untyped-def]
    series = scan(folder).series()
    assert len(series) == 1
    return series[0]


def test_axial_ct_geometry_and_hu(tmp_path: Path) -> None:
    spec = SeriesSpec(n=7, pixel_spacing=(0.8, 0.7), origin=(-20.0, -30.0, 100.0), step=2.5)
    write_series(tmp_path, spec)
    vol = load_path(tmp_path)
    assert isinstance(vol, Volume)
    assert vol.array.dtype == np.int16
    assert vol.shape == (7, 16, 20)
    np.testing.assert_array_equal(vol.array, _expected(spec))
    assert vol.spacing == pytest.approx((0.7, 0.8, 2.5))
    assert vol.origin == pytest.approx((-20.0, -30.0, 100.0))
    np.testing.assert_allclose(vol.direction, np.eye(3), atol=1e-12)
    # voxel (i=3, j=5, k=4): x = -20 + 3*0.7, y = -30 + 5*0.8, z = 100 + 4*2.5
    assert vol.index_to_lps([3, 5, 4]) == pytest.approx([-17.9, -26.0, 110.0])
    assert vol.unit == "HU" and vol.modality == "CT"
    assert vol.contrast is True  # "portal venous" in the description
    assert vol.slice_thickness == pytest.approx(2.5)
    assert vol.acquisition_datetime is not None and vol.acquisition_datetime.hour == 10


def test_sop_instance_uids_follow_geometric_order(tmp_path: Path) -> None:
    spec = SeriesSpec(n=5)
    paths = write_series(tmp_path, spec)
    vol = load_path(tmp_path)
    expected = tuple(str(pydicom.dcmread(p, stop_before_pixels=True).SOPInstanceUID) for p in paths)
    assert vol.sop_instance_uids == expected
    assert vol.frame_numbers == (None,) * 5


def test_feet_first_order_is_resorted_along_the_normal(tmp_path: Path) -> None:
    # Slices written with decreasing z: the volume must still ascend along the normal.
    spec = SeriesSpec(n=6, origin=(0.0, 0.0, 50.0), offsets=[0.0, -3.0, -6.0, -9.0, -12.0, -15.0])
    write_series(tmp_path, spec)
    vol = load_path(tmp_path)
    assert vol.positions[:, 2] == pytest.approx([35.0, 38.0, 41.0, 44.0, 47.0, 50.0])
    np.testing.assert_array_equal(vol.array, _expected(spec)[::-1])


def test_per_slice_rescale_is_applied_without_float64(tmp_path: Path) -> None:
    spec = SeriesSpec(n=4, slope=[1.0, 0.5, 2.0, 1.0], intercept=[-1024.0, -1000.0, -2048.0, 0.0])
    write_series(tmp_path, spec)
    vol = load_path(tmp_path)
    assert vol.array.dtype == np.int16
    np.testing.assert_array_equal(vol.array, _expected(spec))


def test_mr_keeps_integers_when_slope_is_one_and_uses_float32_otherwise(tmp_path: Path) -> None:
    values = lambda i, j, k: (100 + 10 * k + i + j).astype(np.int32)  # noqa: E731
    write_series(tmp_path / "a", SeriesSpec(modality="MR", slope=1.0, intercept=0.0, value=values, description="T1"))
    vol = load_path(tmp_path / "a")
    assert vol.unit == "signal" and vol.array.dtype.kind in "iu"
    j, i = np.mgrid[0:16, 0:20]
    np.testing.assert_array_equal(vol.array[2], 100 + 20 + i + j)

    halves = lambda i, j, k: (100 + 10 * k + i + j) * 0.5  # noqa: E731
    write_series(tmp_path / "b", SeriesSpec(modality="MR", slope=0.5, intercept=0.0, value=halves, description="T2"))
    vol = load_path(tmp_path / "b")
    assert vol.array.dtype == np.float32
    np.testing.assert_allclose(vol.array[3], (100 + 30 + i + j) * 0.5)


def test_oblique_series(tmp_path: Path) -> None:
    c, s = np.cos(0.4), np.sin(0.4)
    spec = SeriesSpec(n=5, row_dir=(c, s, 0.0), col_dir=(0.0, 0.0, -1.0), step=3.0)
    write_series(tmp_path, spec)
    vol = load_path(tmp_path)
    normal = np.cross([c, s, 0.0], [0.0, 0.0, -1.0])
    assert vol.normal == pytest.approx(tuple(normal))
    assert vol.spacing[2] == pytest.approx(3.0)
    for k in range(5):
        assert vol.index_to_lps([2, 3, k]) == pytest.approx(
            spec.position(k) + 2 * 0.7 * np.array([c, s, 0]) + 3 * 0.8 * np.array([0, 0, -1.0])
        )
    np.testing.assert_array_equal(vol.array, _expected(spec))


def test_gantry_tilt_keeps_true_positions(tmp_path: Path) -> None:
    # 20 degree tilt: planes 2.5 mm apart along the normal, each origin shifted along y by 2.5*tan(20deg).
    tilt = np.radians(20.0)
    col = (0.0, np.cos(tilt), -np.sin(tilt))
    normal = np.cross((1.0, 0.0, 0.0), col)
    shift = 2.5 * np.tan(tilt) * np.asarray(col)
    spec = SeriesSpec(n=6, col_dir=col, step=2.5, shear=tuple(shift))
    write_series(tmp_path, spec)
    vol = load_path(tmp_path)
    assert vol.spacing[2] == pytest.approx(2.5)
    assert vol.stack_step_mm == pytest.approx(2.5 / np.cos(tilt))
    assert vol.tilt_degrees == pytest.approx(20.0, abs=1e-6)
    assert any("gantry tilt 20.0 degrees" in w for w in vol.metadata["warnings"])
    # Two voxels of the same column/row on slices 0 and 5: true distance between their written positions.
    a = spec.position(0) + 4 * 0.7 * np.array([1.0, 0, 0]) + 6 * 0.8 * np.asarray(col)
    b = spec.position(5) + 4 * 0.7 * np.array([1.0, 0, 0]) + 6 * 0.8 * np.asarray(col)
    assert np.linalg.norm(vol.index_to_lps([4, 6, 5]) - vol.index_to_lps([4, 6, 0])) == pytest.approx(
        np.linalg.norm(b - a)
    )
    assert float(normal @ (b - a)) == pytest.approx(12.5)


def test_missing_slices_are_reported_and_refused_when_asked(tmp_path: Path) -> None:
    spec = SeriesSpec(n=6, origin=(0.0, 0.0, 100.0), offsets=[0.0, 3.0, 6.0, 15.0, 18.0, 21.0], description="")
    write_series(tmp_path, spec)
    vol = load_path(tmp_path)
    assert vol.positions[:, 2] == pytest.approx([100, 103, 106, 115, 118, 121])
    assert any("slices 4-5 missing between z=106.0 and z=115.0 mm" in w for w in vol.metadata["warnings"])
    assert vol.metadata["missing_slices"] == 2
    with pytest.raises(MissingSlicesError, match=r"series 3: slices 4-5 missing between z=106.0 and z=115.0 mm"):
        load_path(tmp_path, allow_gaps=False)


def test_protocol_change_to_thicker_slices_is_not_a_gap(tmp_path: Path) -> None:
    offsets = [0.0, 4.0, 8.0, 12.0, 19.0, 26.0, 33.0]
    thick = [4.0, 4.0, 4.0, 4.0, 7.0, 7.0, 7.0]

    def per_slice(k: int, ds: pydicom.Dataset) -> None:
        ds.SliceThickness = thick[k]

    write_series(tmp_path, SeriesSpec(n=7, offsets=offsets, per_slice=per_slice))
    vol = load_path(tmp_path, allow_gaps=False)
    assert vol.metadata["missing_slices"] == 0
    assert not vol.is_uniform
    assert any("uneven slice spacing (4.00 to 7.00 mm)" in w for w in vol.metadata["warnings"])


def test_duplicate_positions_are_refused(tmp_path: Path) -> None:
    write_series(tmp_path, SeriesSpec(n=5, offsets=[0.0, 2.5, 5.0, 5.0, 7.5]))
    with pytest.raises(DuplicateSlicesError, match=r"both at z=105.0 mm"):
        load_path(tmp_path)


def test_identical_copies_are_ignored(tmp_path: Path) -> None:
    paths = write_series(tmp_path / "a", SeriesSpec(n=4))
    shutil.copy(paths[2], tmp_path / "a" / "copy_of_slice.dcm")
    series = _only_series(tmp_path / "a")
    assert series.slice_count == 4
    assert any("1 identical copy" in p for p in series.problems)
    assert load_series(series).shape[0] == 4


def test_single_plane_is_not_a_volume(tmp_path: Path) -> None:
    write_series(tmp_path, SeriesSpec(n=4, offsets=[0.0, 0.0, 0.0, 0.0]))
    with pytest.raises(NotAVolumeError, match="all 4 images lie in the same plane"):
        load_path(tmp_path)


def test_mixed_echoes_split_into_labelled_stacks(tmp_path: Path) -> None:
    uid = pydicom.uid.generate_uid()
    study = pydicom.uid.generate_uid()
    for echo in (1, 2):
        spec = SeriesSpec(
            n=5,
            modality="MR",
            intercept=0.0,
            series_uid=uid,
            study_uid=study,
            description="DE",
            extra={"EchoNumbers": echo, "EchoTime": 4.6 * echo},
            seed=echo,
            value=lambda i, j, k, e=echo: (200 * e + 10 * k + i).astype(np.int32),
        )
        write_series(tmp_path / f"e{echo}", spec)
    catalog = scan(tmp_path)
    stacks = catalog.series()
    assert [s.stack for s in stacks] == ["echo 1", "echo 2"]
    assert [s.key for s in stacks] == [f"{uid}#1", f"{uid}#2"]
    with pytest.raises(SeriesChoiceError, match="holds 2 stacks"):
        load_path(tmp_path, uid)
    vol = load_path(tmp_path, f"{uid}#2")
    assert vol.label == "echo 2"
    assert vol.array[3, 0, 5] == 400 + 30 + 5


def test_mixed_orientations_split(tmp_path: Path) -> None:
    uid = pydicom.uid.generate_uid()
    study = pydicom.uid.generate_uid()
    write_series(tmp_path / "ax", SeriesSpec(n=4, series_uid=uid, study_uid=study, seed=1))
    write_series(
        tmp_path / "cor",
        SeriesSpec(n=3, series_uid=uid, study_uid=study, col_dir=(0.0, 0.0, -1.0), seed=2),
    )
    stacks = scan(tmp_path).series()
    assert sorted(s.stack for s in stacks) == ["axial", "coronal"]
    assert {s.stack: s.slice_count for s in stacks} == {"axial": 4, "coronal": 3}
    assert all("mixes 2 stacks" in s.problems[0] for s in stacks)


def test_repeated_acquisitions_split_only_when_positions_repeat(tmp_path: Path) -> None:
    uid = pydicom.uid.generate_uid()
    study = pydicom.uid.generate_uid()
    for acq in (1, 2):
        write_series(
            tmp_path / f"a{acq}",
            SeriesSpec(n=4, series_uid=uid, study_uid=study, extra={"AcquisitionNumber": acq}, seed=acq),
        )
    assert [s.stack for s in scan(tmp_path).series()] == ["acquisition 1", "acquisition 2"]

    # Sequential CT: one acquisition number per slice, positions all different -> one stack.
    def per_slice(k: int, ds: pydicom.Dataset) -> None:
        ds.AcquisitionNumber = k + 1

    write_series(tmp_path / "seq", SeriesSpec(n=5, per_slice=per_slice))
    seq = [s for s in scan(tmp_path / "seq").series()]
    assert len(seq) == 1 and seq[0].stack == "" and seq[0].slice_count == 5


@pytest.mark.parametrize("syntax", [RLELossless, JPEG2000Lossless, JPEGLSLossless])
def test_compressed_series_decode_like_uncompressed(tmp_path: Path, syntax: str) -> None:
    spec = SeriesSpec(n=3, rows=32, columns=32)
    try:
        write_series(tmp_path, spec, compress=syntax)
    except (RuntimeError, NotImplementedError) as error:  # no encoder installed for this syntax
        pytest.skip(f"no encoder for {syntax}: {error}")
    vol = load_path(tmp_path)
    assert vol.metadata["transfer_syntaxes"] == [syntax]
    np.testing.assert_array_equal(vol.array, _expected(spec))


def test_enhanced_multiframe_ct_uses_per_frame_groups(tmp_path: Path) -> None:
    spec = SeriesSpec(
        n=5,
        origin=(10.0, -5.0, -40.0),
        step=1.25,
        slope=[1.0, 1.0, 2.0, 1.0, 1.0],
        intercept=[-1024.0, -1000.0, -2048.0, -1024.0, -1024.0],
    )
    write_enhanced_ct(tmp_path / "enh.dcm", spec, reverse=True)
    vol = load_path(tmp_path)
    np.testing.assert_array_equal(vol.array, _expected(spec))
    assert vol.frame_numbers == (5, 4, 3, 2, 1)  # stored reversed, loaded ascending along the normal
    assert vol.spacing == pytest.approx((0.7, 0.8, 1.25))
    assert vol.origin == pytest.approx((10.0, -5.0, -40.0))


def test_progress_shows_slice_zero_before_the_rest_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = SeriesSpec(n=6)
    write_series(tmp_path, spec)
    series = _only_series(tmp_path)
    events: list[tuple[str, object]] = []
    real_native = loader_module._read_native

    def recording_native(frame, series):  # type: ignore[no-untyped-def]
        events.append(("read", os.path.basename(frame.path)))
        return real_native(frame, series)

    first_images: list[np.ndarray] = []

    def progress(done: int, total: int, ready: SliceReady) -> None:
        events.append(("ready", ready.index))
        if done == 1:
            first_images.append(ready.image.copy())
        assert total == 6 and ready.array.shape == (6, 16, 20)

    monkeypatch.setattr(loader_module, "_read_native", recording_native)
    vol = load_series(series, progress)
    # Slice 0 is handed over after exactly one file was read.
    assert events[:2] == [("read", events[0][1]), ("ready", 0)]
    np.testing.assert_array_equal(first_images[0], _expected(spec)[0])
    np.testing.assert_array_equal(vol.array[0], first_images[0])
    assert [e[1] for e in events if e[0] == "ready"] == list(range(6))


def test_load_path_lists_series_and_picks_one(tmp_path: Path) -> None:
    a = SeriesSpec(n=3, series_number=2, description="arterial")
    b = SeriesSpec(n=4, series_number=5, description="portal venous")
    write_series(tmp_path / "a", a)
    write_series(tmp_path / "b", b)
    with pytest.raises(SeriesChoiceError) as info:
        load_path(tmp_path)
    text = str(info.value)
    assert a.series_uid in text and b.series_uid in text
    assert "'arterial'" in text and "4 slices" in text and "CT" in text
    assert load_path(tmp_path, b.series_uid).shape[0] == 4
    with pytest.raises(SeriesNotFoundError, match=r"no image series 1\.2\.3"):
        load_path(tmp_path, "1.2.3")


def test_single_file_loads_as_one_slice(tmp_path: Path) -> None:
    paths = write_series(tmp_path, SeriesSpec(n=3))
    vol = load_path(paths[1])
    assert vol.shape == (1, 16, 20)
    np.testing.assert_array_equal(vol.array[0], hu_formula(*np.mgrid[0:16, 0:20][::-1], 1))


def test_folder_without_images(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not an image")
    with pytest.raises(NoImageSeriesError, match="1 file"):
        load_path(tmp_path)
    with pytest.raises(ImagingError, match="no such file"):
        load_path(tmp_path / "absent")


def test_missing_pixel_data_is_named(tmp_path: Path) -> None:
    paths = write_series(tmp_path, SeriesSpec(n=3))
    ds = pydicom.dcmread(paths[1])
    del ds.PixelData
    ds.save_as(paths[1])
    with pytest.raises(UnreadableFileError, match=rf"file {paths[1].name}: has no pixel data"):
        load_path(tmp_path)


def test_12_bit_lossy_jpeg_is_refused_with_the_reason(tmp_path: Path) -> None:
    from pydicom.data import get_testdata_file

    source = get_testdata_file("JPEG-lossy.dcm")
    assert source is not None
    ds = pydicom.dcmread(source)
    assert ds.file_meta.TransferSyntaxUID == "1.2.840.10008.1.2.4.51" and ds.BitsStored == 12
    ds.ImagePositionPatient = [0.0, 0.0, 0.0]  # the sample has no geometry: give it one, keep its pixels
    ds.ImageOrientationPatient = [1.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    ds.PixelSpacing = [0.5, 0.5]
    ds.save_as(tmp_path / "lossy.dcm")
    with pytest.raises(UnsupportedTransferSyntaxError, match="12-bit lossy JPEG"):
        load_path(tmp_path)


def test_errors_never_carry_identifiers(tmp_path: Path) -> None:
    # Folder named after the patient, as on many CDs: messages must not repeat it.
    folder = tmp_path / PATIENT_NAME.replace("^", "_") / "series"
    write_series(folder / "a", SeriesSpec(n=4, offsets=[0.0, 2.5, 2.5, 5.0]))
    write_series(folder / "b", SeriesSpec(n=3))
    messages = []
    for call in (lambda: load_path(folder), lambda: load_series(scan(folder / "a").series()[0])):
        with pytest.raises(ImagingError) as info:
            call()
        messages.append(str(info.value))
    messages += [p for s in scan(folder).series() for p in s.problems]
    for text in messages:
        for ident in IDENTIFIERS:
            assert ident not in text, text
    vol = load_path(folder / "b")
    assert all(ident not in repr(vol) + repr(vol.metadata) for ident in IDENTIFIERS)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    angle=st.floats(min_value=-np.pi, max_value=np.pi),
    elevation=st.floats(min_value=-1.2, max_value=1.2),
    step=st.floats(min_value=0.5, max_value=6.0),
    seed=st.integers(min_value=0, max_value=10_000),
)
def test_any_orientation_round_trips_positions(
    tmp_path_factory: pytest.TempPathFactory, angle: float, elevation: float, step: float, seed: int
) -> None:
    row = np.array([np.cos(angle), np.sin(angle), 0.0])
    col = np.array([-np.sin(angle) * np.cos(elevation), np.cos(angle) * np.cos(elevation), np.sin(elevation)])
    spec = SeriesSpec(n=4, rows=6, columns=5, row_dir=tuple(row), col_dir=tuple(col), step=step, seed=seed)
    folder = tmp_path_factory.mktemp("orient")
    write_series(folder, spec)
    vol = load_path(folder)
    np.testing.assert_array_equal(vol.array, _expected(spec))
    for k in range(4):
        expected = spec.position(k) + 2 * 0.7 * row + 3 * 0.8 * col
        assert vol.index_to_lps([2, 3, k]) == pytest.approx(expected, abs=1e-4)
        assert vol.lps_to_index(expected) == pytest.approx([2, 3, k], abs=1e-4)


def test_pydicom_decoding_and_direct_reading_agree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Unsigned 12-bit data with a stray high bit in one slice: the direct reader must hand that file to pydicom.
    def per_slice(k: int, ds: pydicom.Dataset) -> None:
        ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 12, 11, 0
        values = np.frombuffer(ds.PixelData, dtype=np.int16).astype(np.uint16) & 0x0FFF
        if k == 2:
            values[0] |= 0x8000
        ds.PixelData = values.tobytes()

    write_series(tmp_path, SeriesSpec(n=4, per_slice=per_slice))
    series = _only_series(tmp_path)
    assert all(f.pixel_offset is not None for f in series.frames)
    direct = load_series(series)
    monkeypatch.setattr(loader_module, "_read_native", lambda frame, series: None)
    decoded = load_series(series)
    np.testing.assert_array_equal(direct.array, decoded.array)


def test_truncated_pixel_data_is_named(tmp_path: Path) -> None:
    paths = write_series(tmp_path, SeriesSpec(n=3))
    paths[1].write_bytes(paths[1].read_bytes()[:-100])
    with pytest.raises(UnreadableFileError, match=rf"file {paths[1].name}: pixel data cannot be read .*less than"):
        load_path(tmp_path)

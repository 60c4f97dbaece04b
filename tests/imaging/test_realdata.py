"""Every data set of the public real-scanner samples, checked against the independent values in MANIFEST.json.

Driven by the manifest: each data set id is covered by exactly one of the checks below, and a data set the
manifest adds later fails `test_every_dataset_is_covered` until a check is written for it. Conventions (voxel
index order [i, j, k], ROI definitions) are those of the manifest's `conventions` key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
import pytest

from sfrt_reader.imaging import Volume, load_path, load_series, scan
from sfrt_reader.imaging.errors import MissingSlicesError, NotAVolumeError, SeriesChoiceError

pytestmark = pytest.mark.realdata


def _manifest(root: Path) -> dict[str, Any]:
    return json.loads((root / "MANIFEST.json").read_text())  # type: ignore[no-any-return]


def _datasets(root: Path, prefix: str = "") -> list[dict[str, Any]]:
    return [d for d in _manifest(root)["datasets"] if d["id"].startswith(prefix)]


def _load_uid(folder: Path, uid: str, **kwargs: Any) -> Volume:
    found = scan(folder).find(uid)
    assert len(found) == 1, f"{uid}: {len(found)} stacks"
    return load_series(found[0], **kwargs)


def check_series(vol: Volume, ref: dict[str, Any], sitk: dict[str, Any] | None) -> None:
    """Compare a loaded volume with a manifest `pydicom` series reference (and SimpleITK's where it applies)."""
    nz, ny, nx = vol.shape
    assert (nz, ny, nx) == (ref["n_slices"], ref["rows"], ref["columns"])
    row_spacing, col_spacing = ref["pixel_spacing_row_col_mm"]
    assert vol.pixel_spacing == pytest.approx((col_spacing, row_spacing), abs=1e-6)
    assert vol.origin == pytest.approx(ref["origin_lps_mm"], abs=1e-4)
    row, col, normal = ref["direction_cosines_row_col_normal"]
    assert vol.row_direction == pytest.approx(row, abs=1e-5)
    assert vol.column_direction == pytest.approx(col, abs=1e-5)
    assert vol.normal == pytest.approx(normal, abs=1e-5)
    spacing = ref["slice_spacing_along_normal_mm"]
    if spacing["mean"] is not None and nz > 1:
        assert vol.spacing[2] == pytest.approx(spacing["mean"], abs=1e-4)
        gaps = np.diff(vol.slice_offsets_mm)
        assert gaps.min() == pytest.approx(spacing["min"], abs=1e-4)
        assert gaps.max() == pytest.approx(spacing["max"], abs=1e-4)
        if nz >= 3:
            assert vol.is_uniform == spacing["uniform_within_0.01mm"]
    if ref["angle_between_slice_stack_and_normal_deg"] is not None:
        # 0.05 degrees: the manifest takes the normal of ImageOrientationPatient without normalising it; for the
        # Hitachi series (|row x col| = 0.9999997) that alone gives 0.0465 degrees on a straight stack.
        assert vol.tilt_degrees == pytest.approx(ref["angle_between_slice_stack_and_normal_deg"], abs=0.05)
    assert sorted(vol.metadata["rescale_slopes"]) == sorted(ref["rescale_slopes"])
    assert sorted(vol.metadata["rescale_intercepts"]) == sorted(ref["rescale_intercepts"])
    assert vol.metadata["transfer_syntaxes"] == [ref["transfer_syntax"]]
    for voxel in ref.get("voxels", {}).values():
        i, j, k = voxel["ijk"]
        assert vol.array[k, j, i] == voxel["value"], voxel
        assert vol.sop_instance_uids[k] == voxel["sop_instance_uid"]
    stats = ref.get("volume_stats")
    if stats:
        assert float(vol.array.min()) == stats["min"] and float(vol.array.max()) == stats["max"]
        assert float(vol.array.mean(dtype=np.float64)) == pytest.approx(stats["mean"], abs=1e-3)
        assert float(vol.array.std(dtype=np.float64)) == pytest.approx(stats["std"], abs=1e-3)
    square = ref.get("roi_square_11x11")
    if square:
        (ci, cj), k = square["center_ij"], square["slice_k"]
        roi = vol.array[k, cj - 5 : cj + 6, ci - 5 : ci + 6].astype(np.float64)
        assert roi.size == square["n"] and roi.mean() == pytest.approx(square["mean"], abs=1e-3)
    circle = ref.get("roi_circle_r5mm")
    if circle:
        (ci, cj), k = circle["center_ij"], circle["slice_k"]
        jj, ii = np.mgrid[0:ny, 0:nx]
        inside = ((ii - ci) * vol.pixel_spacing[0]) ** 2 + ((jj - cj) * vol.pixel_spacing[1]) ** 2 <= 25.0
        values = vol.array[k][inside].astype(np.float64)
        assert values.size == circle["n"] and values.mean() == pytest.approx(circle["mean"], abs=1e-3)
    distance = ref.get("inplane_distance_mm")
    if distance:
        k = distance["slice_k"]
        a = vol.index_to_lps([*distance["from_ij"], k])
        b = vol.index_to_lps([*distance["to_ij"], k])
        assert float(np.linalg.norm(b - a)) == pytest.approx(distance["mm"], abs=1e-3)
    regular = ref["angle_between_slice_stack_and_normal_deg"] in (None, 0.0)
    if sitk and regular:
        # On a regular, untilted grid our mapping must agree with SimpleITK's physical points.
        for name, voxel in sitk["voxels"].items():
            assert vol.index_to_lps(voxel["ijk"]) == pytest.approx(voxel["physical_point_lps_mm"], abs=1e-3), name
        if nz > 1:
            assert vol.spacing == pytest.approx(sitk["spacing_xyz_mm"], abs=1e-5)


def _series_datasets(root: Path) -> list[tuple[str, str, dict[str, Any]]]:
    out = []
    for d in _manifest(root)["datasets"]:
        if d["category"] in ("ct", "ct_edge", "mr", "longitudinal", "mixed"):
            for s in d["reference"]["series"]:
                out.append((d["id"], d["path"], s))
    return out


def test_every_dataset_is_covered(realdata: Path) -> None:
    handled = {"ct", "ct_edge", "mr", "longitudinal", "mixed", "compressed", "enhanced", "dicomdir", "sr", "broken"}
    for d in _manifest(realdata)["datasets"]:
        assert d["category"] in handled, d["id"]
        if d["category"] == "broken":
            assert d["id"] in BROKEN, d["id"]


def test_classic_series_match_the_manifest(realdata: Path) -> None:
    checked = 0
    for ident, path, ref in _series_datasets(realdata):
        vol = _load_uid(realdata / path, ref["series_instance_uid"])
        check_series(vol, ref["pydicom"], ref.get("simpleitk"))
        folder = realdata / path
        first = pydicom.dcmread(folder / ref["pydicom"]["first_file_sorted"], stop_before_pixels=True)
        last = pydicom.dcmread(folder / ref["pydicom"]["last_file_sorted"], stop_before_pixels=True)
        assert vol.sop_instance_uids[0] == first.SOPInstanceUID, ident
        assert vol.sop_instance_uids[-1] == last.SOPInstanceUID, ident
        assert vol.modality == ref["Modality"]
        assert vol.unit == ("HU" if ref["Modality"] == "CT" else "signal")
        checked += 1
    assert checked >= 19


def test_gantry_tilted_ge_series_uses_true_plane_spacing(realdata: Path) -> None:
    (d,) = _datasets(realdata, "ct__ge_hispeed_gantry_tilt")
    ref = d["reference"]["series"][0]
    vol = _load_uid(realdata / d["path"], ref["series_instance_uid"])
    assert vol.tilt_degrees == pytest.approx(18.5, abs=0.01)
    # The reader's slice spacing is along the normal; SimpleITK's z spacing is the step between slice origins.
    assert vol.spacing[2] == pytest.approx(ref["pydicom"]["slice_spacing_along_normal_mm"]["mean"], abs=1e-4)
    assert vol.stack_step_mm == pytest.approx(ref["simpleitk"]["spacing_xyz_mm"][2], abs=1e-4)
    assert vol.spacing[2] < vol.stack_step_mm
    # The first 13 planes are 4.0 mm apart along the normal although their origins are 4.22 mm apart.
    assert np.diff(vol.slice_offsets_mm)[:13] == pytest.approx([4.002] * 13, abs=1e-3)
    assert np.linalg.norm(vol.positions[1] - vol.positions[0]) == pytest.approx(4.22, abs=1e-3)
    assert any("gantry tilt 18.5 degrees" in w for w in vol.metadata["warnings"])
    assert any("uneven slice spacing" in w for w in vol.metadata["warnings"])
    assert vol.metadata["missing_slices"] == 0  # 4 mm then 7 mm slices: a protocol change, not a gap


def test_longitudinal_pairs_group_by_patient_and_order_by_date(realdata: Path) -> None:
    for d in _datasets(realdata, "longitudinal_pairs"):
        catalog = scan(realdata / d["path"])
        assert len(catalog.patients) == 1
        refs = d["reference"]["series"]
        assert catalog.patients[0].patient_id == refs[0]["PatientID"]
        dates = [s.study_date for s in catalog.patients[0].studies]
        assert dates == sorted(r["StudyDate"] for r in refs)


def test_nine_transfer_syntaxes_decode_identically(realdata: Path) -> None:
    (d,) = _datasets(realdata, "compressed__dcm_qa_ts_same_image_9_syntaxes")
    folder = realdata / d["path"]
    arrays = {}
    syntaxes = set()
    for entry in d["reference"]["files"]:
        vol = load_path(folder / entry["file"])
        assert vol.metadata["transfer_syntaxes"] == [entry["transfer_syntax"]]
        syntaxes.add(entry["transfer_syntax"])
        image = vol.array[0]
        stats = entry["pydicom_stored_stats"]
        assert (float(image.min()), float(image.max())) == (stats["min"], stats["max"])
        assert float(image.mean(dtype=np.float64)) == pytest.approx(stats["mean"], abs=1e-3)
        for index, value in entry["pydicom_stored_values_at_flat_index"].items():
            assert image.ravel()[int(index)] == value
        assert vol.spacing[:2] == pytest.approx(entry["simpleitk"]["spacing_xyz_mm"][:2])
        assert vol.origin == pytest.approx(entry["simpleitk"]["origin_lps_mm"], abs=1e-4)
        arrays[entry["file"]] = image
    assert len(arrays) == 9 and len(syntaxes) == 7
    reference = arrays["1.dcm"]
    for name, image in arrays.items():
        np.testing.assert_array_equal(image, reference, err_msg=name)


def test_compressed_series_match_their_uncompressed_twin(realdata: Path) -> None:
    datasets = _datasets(realdata, "compressed__dicom2nifti_series__")
    assert len(datasets) == 5
    volumes = {}
    for d in datasets:
        folder = realdata / d["path"]
        (ref,) = d["reference"]["series_analysis"]["series"]
        vol = _load_uid(folder, ref["series_instance_uid"])
        check_series(vol, ref["pydicom"], ref.get("simpleitk"))
        for entry in d["reference"]["files"]:
            sop = pydicom.dcmread(folder / entry["file"], stop_before_pixels=True).SOPInstanceUID
            k = vol.sop_instance_uids.index(sop)
            for index, value in entry["pydicom_stored_values_at_flat_index"].items():
                assert vol.array[k].ravel()[int(index)] == value
        volumes[d["id"]] = vol.array
    base = next(a for name, a in volumes.items() if name.endswith("__compressed_rle"))
    for name, array in volumes.items():
        np.testing.assert_array_equal(array, base, err_msg=name)


def _frame_values(vol: Volume, shape: list[int], flat: dict[str, float]) -> None:
    """Manifest flat indices count in stored frame order; map each to its frame, then to our slice."""
    for index, value in flat.items():
        frame, rest = divmod(int(index), shape[1] * shape[2])
        j, i = divmod(rest, shape[2])
        k = vol.frame_numbers.index(frame + 1)
        assert vol.array[k, j, i] == value, (index, frame, k)


def test_enhanced_multiframe(realdata: Path) -> None:
    (ect,) = _datasets(realdata, "enhanced_multiframe__pydicom_data_eCT")
    (entry,) = ect["reference"]["files"]
    geometry = entry["enhanced_geometry"]
    vol = load_path(realdata / ect["path"])
    assert vol.shape == tuple(entry["pydicom_pixel_shape"])
    assert vol.array.dtype == np.int16 and vol.unit == "HU"
    row_spacing, col_spacing = geometry["pixel_spacing_row_col_mm"]
    assert vol.pixel_spacing == pytest.approx((col_spacing, row_spacing), abs=1e-6)
    row, col, normal = geometry["direction_cosines_row_col_normal"]
    assert (vol.row_direction, vol.column_direction, vol.normal) == (
        pytest.approx(row),
        pytest.approx(col),
        pytest.approx(normal),
    )
    assert vol.spacing[2] == pytest.approx(geometry["spacing_between_distinct_positions_mm"]["min"])
    assert vol.origin == pytest.approx(geometry["origin_lps_mm_lowest_position"])
    stats = entry["pydicom_rescaled_stats"]
    assert (float(vol.array.min()), float(vol.array.max())) == (stats["min"], stats["max"])
    assert float(vol.array.mean(dtype=np.float64)) == pytest.approx(stats["mean"], abs=1e-3)
    _frame_values(vol, entry["pydicom_pixel_shape"], entry["pydicom_rescaled_values_at_flat_index"])

    (siemens,) = _datasets(realdata, "enhanced_multiframe__dicom2nifti_siemens")
    catalog = scan(realdata / siemens["path"])
    assert catalog.non_dicom_files == 1  # the ground-truth NIfTI next to it
    (series,) = catalog.series()
    (entry,) = siemens["reference"]["files"]
    vol = load_series(series)
    assert vol.shape == tuple(entry["pydicom_pixel_shape"])
    assert vol.modality == "MR" and vol.spacing[:2] == pytest.approx((0.9375, 0.9375))
    assert vol.is_uniform
    stats = entry["pydicom_rescaled_stats"]
    assert float(vol.array.mean(dtype=np.float64)) == pytest.approx(stats["mean"], abs=1e-3)
    _frame_values(vol, entry["pydicom_pixel_shape"], entry["pydicom_rescaled_values_at_flat_index"])


def test_dicomdir_variants_index_or_explain(realdata: Path) -> None:
    (d,) = _datasets(realdata, "dicomdir")
    for entry in d["reference"]["dicomdirs"]:
        path = realdata / entry["file"]
        catalog = scan(path)
        (info,) = catalog.dicomdirs
        assert info.referenced == entry["n_instances_referenced"], entry["file"]
        assert info.missing == entry["n_instances_referenced"] - entry["n_referenced_files_present"]
        assert info.problem is None
        assert catalog.dicom_files == 1 + entry["n_referenced_files_present"]
        if "patients" in entry:
            assert sorted(p.patient_id for p in catalog.patients) == sorted(entry["patients"])
            assert len(list(catalog.studies())) == entry["n_studies"]
            uids = {s.series_instance_uid for s in catalog.series()}
            uids |= {o.header.series_instance_uid for o in catalog.objects()}
            assert len(uids) == entry["n_series"]
        else:
            # pydicom's FileSet refuses this one (unknown record type); its file references are still usable.
            assert "pydicom_fileset_error" in entry
            assert entry["record_type_counts"]["IMAGE"] == info.referenced


def test_mixed_folder_lists_its_seg(realdata: Path) -> None:
    (d,) = _datasets(realdata, "mixed_folder")
    catalog = scan(realdata / d["path"])
    (seg_ref,) = [o for o in d["reference"]["objects"] if o.get("sop_class") == "Segmentation Storage"]
    (seg,) = catalog.objects()
    assert seg.kind == "SEG" and seg.sop_class_name == "Segmentation Storage"
    assert seg.referenced_series == (seg_ref["referenced_series_uid"],)
    (series,) = catalog.series()
    assert series.series_instance_uid == seg_ref["referenced_series_uid"]
    assert series.slice_count == 3


def test_sr_and_seg_are_non_image_objects(realdata: Path) -> None:
    (d,) = _datasets(realdata, "sr_seg")
    folder = realdata / d["path"]
    catalog = scan(folder)
    by_file = {Path(o.path).name: o for o in catalog.objects()}
    for entry in d["reference"]["objects"]:
        if entry.get("sop_class") == "Segmentation Storage":
            obj = by_file[entry["file"]]
            assert obj.kind == "SEG"
            assert entry["referenced_series_uid"] in obj.referenced_series
        elif entry.get("sop_class") == "Comprehensive 3D SR Storage":
            assert by_file[entry["file"]].kind == "SR"
        else:
            assert entry["SOPClassUID"] == "CT Image Storage"
            vol = load_path(folder / entry["file"])
            stats = entry["pydicom_rescaled_stats"]
            assert (float(vol.array.min()), float(vol.array.max())) == (stats["min"], stats["max"])
            for index, value in entry["pydicom_rescaled_values_at_flat_index"].items():
                assert vol.array[0].ravel()[int(index)] == value


def _broken_tilt(folder: Path, ref: dict[str, Any]) -> None:
    vol = _load_uid(folder, ref["series_instance_uid"])
    check_series(vol, ref["pydicom"], None)
    assert any("gantry tilt 14.0 degrees" in w for w in vol.metadata["warnings"])


def _broken_not_a_volume(folder: Path, ref: dict[str, Any]) -> None:
    with pytest.raises(NotAVolumeError, match=r"series 4: all 4 images lie in the same plane \(z=61.5 mm\)"):
        load_path(folder)


def _broken_two_slices(folder: Path, ref: dict[str, Any]) -> None:
    vol = _load_uid(folder, ref["series_instance_uid"])
    check_series(vol, ref["pydicom"], None)
    assert any("only 2 slices" in w for w in vol.metadata["warnings"])


def _broken_gap(folder: Path, ref: dict[str, Any], expected: str) -> None:
    vol = _load_uid(folder, ref["series_instance_uid"])
    check_series(vol, ref["pydicom"], None)
    assert vol.metadata["missing_slices"] == 1
    assert any(expected in w for w in vol.metadata["warnings"]), vol.metadata["warnings"]
    with pytest.raises(MissingSlicesError, match=expected):
        load_path(folder, allow_gaps=False)


def _broken_orientation(folder: Path, ref: dict[str, Any]) -> None:
    stacks = scan(folder).find(ref["series_instance_uid"])
    assert sorted(s.stack for s in stacks) == ["axial", "sagittal"]
    assert all(s.slice_count == 2 and "mixes 2 stacks" in s.problems[0] for s in stacks)
    with pytest.raises(SeriesChoiceError, match="holds 2 image series"):
        load_path(folder)
    for s in stacks:
        assert load_series(s).shape[0] == 2


BROKEN = {
    "broken__dicom2nifti_failing__gantrytilting_001": _broken_tilt,
    "broken__dicom2nifti_failing__notavolume_001": _broken_not_a_volume,
    "broken__dicom2nifti_failing__slicecount_001": _broken_two_slices,
    "broken__dicom2nifti_failing__sliceincrement_001": lambda f, r: _broken_gap(
        f, r, "series 2: slice 4 missing between z=28.1 and z=38.1 mm"
    ),
    "broken__dicom2nifti_failing__sliceincrement_002": lambda f, r: _broken_gap(
        f, r, "series 3: slice 4 missing between z=-51.1 and z=-49.6 mm"
    ),
    "broken__dicom2nifti_failing__sliceorientation_001": _broken_orientation,
}


def test_broken_series_are_refused_or_repaired_with_their_reason(realdata: Path) -> None:
    datasets = _datasets(realdata, "broken")
    assert {d["id"] for d in datasets} == set(BROKEN)
    for d in datasets:
        (ref,) = d["reference"]["series_analysis"]["series"]
        BROKEN[d["id"]](realdata / d["path"], ref)

"""`sfrt-reader scan`: tree and JSON output, blinded mode, and one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.imaging.dicom_factory import (
    ACCESSION,
    BIRTH_DATE,
    PATIENT_ID,
    PATIENT_NAME,
    SeriesSpec,
    write_seg,
    write_series,
)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sfrt_reader", "scan", *args],
        capture_output=True,
        text=True,
        env=os.environ,
        check=False,
    )


def _folder(tmp_path: Path) -> SeriesSpec:
    spec = SeriesSpec(n=4, series_number=7, description="portal venous")
    write_series(tmp_path / "ct", spec)
    write_series(
        tmp_path / "bad",
        SeriesSpec(n=3, offsets=[0.0, 0.0, 0.0], series_number=8, description="tracking", study_uid=spec.study_uid),
    )
    write_seg(tmp_path / "seg.dcm", spec.study_uid, spec.series_uid)
    (tmp_path / "notes.txt").write_text("x")
    return spec


def test_tree_lists_series_objects_and_problems(tmp_path: Path) -> None:
    spec = _folder(tmp_path)
    result = _run(str(tmp_path))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "study 2026-01-05 'CT thigh'" in out
    assert "series 7  CT 'portal venous', 4 slices, 0.700 x 0.800 x 2.50 mm, contrast" in out
    assert "series 8  CT 'tracking', 3 slices" in out and "CANNOT BE LOADED" in out
    assert "all 3 images lie in the same plane" in out
    assert "SEG series 99 'tumour mask' (Segmentation Storage), refers to 1 series" in out
    assert f"-> {spec.series_uid}" in out
    assert "files: 8 DICOM, 1 not DICOM (ignored), 0 unreadable" in out


def test_json_and_blinded(tmp_path: Path) -> None:
    spec = _folder(tmp_path)
    data = json.loads(_run(str(tmp_path), "--json").stdout)
    assert data["patients"][0]["patient_id"] == PATIENT_ID
    series = data["patients"][0]["studies"][0]["series"]
    assert [(s["series_number"], s["slices"], s["usable"]) for s in series] == [(7, 4, True), (8, 3, False)]
    assert series[0]["series_instance_uid"] == spec.series_uid
    assert data["patients"][0]["studies"][0]["objects"][0]["referenced_series"] == [spec.series_uid]
    for args in (("--json", "--blinded"), ("--blinded",)):
        out = _run(str(tmp_path), *args).stdout
        assert "patient 1" in out
        for ident in (PATIENT_NAME, "Testperson", PATIENT_ID, BIRTH_DATE, ACCESSION):
            assert ident not in out


def test_folder_without_dicom_is_a_one_line_error(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    result = _run(str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip().startswith("sfrt-reader scan: no DICOM file found")
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_output_cut_short_by_a_pipe_is_not_an_error(tmp_path: Path) -> None:
    # 150 series give about 100 kB of JSON, more than a pipe holds: the writer meets a closed pipe.
    for n in range(150):
        write_series(tmp_path / f"s{n}", SeriesSpec(n=1, rows=2, columns=2, series_number=n + 1, seed=n))
    command = f"{sys.executable} -m sfrt_reader scan {tmp_path} --json | head -n 1"
    result = subprocess.run(command, shell=True, capture_output=True, text=True, env=os.environ, check=False)
    assert result.stdout.startswith("{")
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_identical_objects_are_counted_on_one_line(tmp_path: Path) -> None:
    from sfrt_reader.commands.scan import render_tree
    from sfrt_reader.imaging import scan

    spec = SeriesSpec(n=3)
    write_series(tmp_path / "ct", spec)
    for k in range(3):
        write_seg(tmp_path / f"seg{k}.dcm", spec.study_uid, spec.series_uid)
    out = render_tree(scan(tmp_path), blinded=True)
    assert "SEG series 99 'tumour mask' (Segmentation Storage), refers to 1 series, 3 files" in out
    assert out.count(f"-> {spec.series_uid}") == 1


def test_dicomdir_line_names_the_file_only_when_not_blinded(tmp_path: Path) -> None:
    import pydicom
    from pydicom.fileset import FileSet

    from sfrt_reader.commands.scan import render_tree
    from sfrt_reader.imaging import scan

    media = tmp_path / PATIENT_NAME.replace("^", "_")  # CD folders often carry the patient's name
    fs = FileSet()
    for p in write_series(tmp_path / "src", SeriesSpec(n=2)):
        fs.add(pydicom.dcmread(p))
    fs.write(media)
    catalog = scan(media / "DICOMDIR")
    assert f"DICOMDIR {media / 'DICOMDIR'}: 2 files listed, 0 missing" in render_tree(catalog)
    blinded = render_tree(catalog, blinded=True)
    assert "DICOMDIR: 2 files listed, 0 missing" in blinded and media.name not in blinded


def test_image_without_position_names_the_file(tmp_path: Path) -> None:
    from sfrt_reader.imaging import scan

    def no_position(k: int, ds: object) -> None:
        del ds.ImagePositionPatient  # type: ignore[attr-defined]

    write_series(tmp_path, SeriesSpec(n=1, per_slice=no_position))
    (series,) = scan(tmp_path).series()
    name = next(p.name for p in tmp_path.iterdir())
    assert series.error is not None and f"ImageOrientationPatient in file {name})" in series.error

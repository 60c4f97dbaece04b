"""How long the default demo trial takes to generate, and how our DICOM writer compares with SimpleITK's.

Target: the default trial (`sfrt-reader demo-data OUT`, 256 x 256, 15 series, 640 files) in well under 60 s on a
2-core machine, and under 150 MB. The reference figure from the same run is SimpleITK writing the same CT volume
as one file per slice (its GDCM series writer with the geometry tags): it shows what the complete headers of our
writer cost next to a thin one. CPU time is printed next to wall-clock time because the machine may be shared;
the target is judged on CPU time.

    PYTHONPATH=. python bench/demo_data_bench.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from sfrt_reader.imaging.demo_trial import SIZES, SUBJECTS, _grid, generate_demo_trial
from sfrt_reader.imaging.dicom_write import PatientIdentity, SeriesHeader, write_series
from sfrt_reader.imaging.phantom import PhantomSpec, make_phantom_volume

TARGET_S = 60.0
TARGET_MB = 150.0


def _sitk_write(
    array: np.ndarray, spacing: tuple[float, float, float], origin: tuple[float, float, float], out: Path
) -> None:
    """SimpleITK's usual recipe for writing a DICOM series: one 2-D image per slice with position tags."""
    image = sitk.GetImageFromArray(array)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    writer = sitk.ImageFileWriter()
    writer.KeepOriginalImageUIDOn()
    for k in range(image.GetDepth()):
        plane = image[:, :, k]
        plane.SetMetaData("0008|0060", "CT")
        plane.SetMetaData("0020|0032", "\\".join(map(str, image.TransformIndexToPhysicalPoint((0, 0, k)))))
        plane.SetMetaData("0020|0013", str(k + 1))
        plane.SetMetaData("0020|0037", "1\\0\\0\\0\\1\\0")
        writer.SetFileName(str(out / f"{k:04d}.dcm"))
        writer.Execute(plane)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "trial").mkdir()
        wall, cpu = time.perf_counter(), time.process_time()
        summary = generate_demo_trial(root / "trial", seed=0, size=256)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        mb = summary.bytes / 1e6
        print(f"default demo trial: {summary.files} files, {mb:.1f} MB, {wall:.1f} s wall, {cpu:.1f} s CPU")

        subject = SUBJECTS[0]
        spec = PhantomSpec(grid=_grid(SIZES[256], "CT", subject.affected_side, 0.0))
        t = time.process_time()
        result = make_phantom_volume(spec, seed=0)
        phantom_cpu = time.process_time() - t
        header_dir = root / "ours"
        header = SeriesHeader(
            patient=PatientIdentity("BENCH^ONE", "B1", "19700101", "O", "Bench", "Bench", "BENCH^DR", 70.0, 1.7),
            study_instance_uid="1.2.826.0.1.3680043.8.498.1",
            series_instance_uid="1.2.826.0.1.3680043.8.498.2",
            frame_of_reference_uid="1.2.826.0.1.3680043.8.498.3",
            study_date="20260101",
            study_time="090000",
            accession_number="A1",
            study_id="1",
            study_description="BENCH",
            series_description="BENCH",
            series_number=1,
            patient_age="056Y",
            station_name="BENCH",
            manufacturer="BENCH",
            model_name="BENCH",
            contrast_agent="IOHEXOL",
        )
        t = time.process_time()
        write_series(result.volume, header, header_dir)
        ours = time.process_time() - t
        ref_dir = root / "sitk"
        ref_dir.mkdir()
        t = time.process_time()
        _sitk_write(result.volume.array, result.volume.spacing, result.volume.origin, ref_dir)
        ref = time.process_time() - t
        n = result.volume.shape[0]
        print(f"one 256 x 256 x {n} CT visit: phantom {phantom_cpu:.2f} s CPU")
        print(
            f"  write {n} files: sfrt-reader {ours:.2f} s CPU ({n / ours:.0f} files/s), "
            f"SimpleITK reference {ref:.2f} s CPU ({n / ref:.0f} files/s)"
        )
        ok = cpu < TARGET_S and mb < TARGET_MB
        print(f"target: under {TARGET_S:.0f} s CPU and {TARGET_MB:.0f} MB: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    main()

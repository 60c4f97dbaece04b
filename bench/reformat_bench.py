"""Time to resample one reformat slice of a 512x512x150 gantry-tilted CT, and to build the 3-D view's crop.

A tilted stack is not a regular grid, so its coronal reformat is resampled slice by slice when shown
(`sfrt_reader.imaging.reslice`: LPS -> `Volume.lps_to_index` -> trilinear). Target: median under 100 ms per
coronal slice, so that scrolling a reformat stays interactive. Reference from the same run, same array and plane
size: SimpleITK's ResampleImageFilter (linear) extracting the same coronal plane from the stack taken as a
regular grid (which is what it would assume: it cannot represent the tilt, so it is faster but sheared).
Also timed: `crop_around_lesion` for a 60 mm lesion (what opening the 3-D dock computes per timepoint).

    PYTHONPATH=. python bench/reformat_bench.py
"""

from __future__ import annotations

import statistics
import time

import numpy as np
import SimpleITK as sitk
from body_phantom import SIZE, body_ct

from sfrt_reader.imaging.reslice import orthogonal_reformat
from sfrt_reader.measurement.lesion_mask import LesionSegmentation
from sfrt_reader.ui.state.lesion_scene import crop_around_lesion

SLICES, PIXEL, STEP, TILT = 150, 0.8, 2.5, 15.0
TARGET_MS = 100.0


def main() -> int:
    volume = body_ct(SLICES, PIXEL, STEP, tilt_deg=TILT)
    plane = orthogonal_reformat(volume, "coronal", "coronal")
    picks = np.linspace(plane.slice_count * 0.2, plane.slice_count * 0.8, 15).astype(int)
    plane.extract(None, int(picks[0]) - 1)  # warm-up: the first call imports scipy's interpolation
    ours = []
    for s in picks:
        start = time.perf_counter()
        plane.extract(None, int(s))
        ours.append((time.perf_counter() - start) * 1000)

    image = sitk.GetImageFromArray(volume.array)
    image.SetSpacing((PIXEL, PIXEL, volume.stack_step_mm))
    resampler = sitk.ResampleImageFilter()
    resampler.SetInterpolator(sitk.sitkLinear)
    resampler.SetDefaultPixelValue(-1000)
    resampler.SetSize((plane.width, 1, plane.height))
    resampler.SetOutputSpacing((plane.spacing_u, plane.spacing_s, plane.spacing_v))
    reference = []
    for s in picks:
        resampler.SetOutputOrigin((0.0, float(s) * plane.spacing_s, 0.0))
        start = time.perf_counter()
        resampler.Execute(image)
        reference.append((time.perf_counter() - start) * 1000)

    mask = np.zeros(volume.shape, dtype=bool)
    zz, yy, xx = np.ogrid[0 : volume.shape[0], 0:SIZE, 0:SIZE]
    mask[((xx - 256) * PIXEL / 30) ** 2 + ((yy - 256) * PIXEL / 30) ** 2 + ((zz - 75) * STEP / 30) ** 2 <= 1] = True
    seg = LesionSegmentation("", volume.shape, (0, 0, 0), mask)
    start = time.perf_counter()
    crop = crop_around_lesion(volume, seg, 113.1, "bench")
    crop_ms = (time.perf_counter() - start) * 1000

    ours_median = statistics.median(ours)
    print(f"coronal reformat of a {SIZE}x{SIZE}x{SLICES} CT tilted {TILT:g} deg, plane {plane.width}x{plane.height}")
    print(f"  sfrt-reader ResampledPlane.extract   median {ours_median:7.1f} ms  (max {max(ours):.1f})")
    ref_median = statistics.median(reference)
    print(f"  SimpleITK ResampleImageFilter (reference, regular grid, no tilt)  median {ref_median:7.1f} ms")
    print(
        f"  3-D crop around a 60 mm lesion: {crop.image.shape} voxels of {crop.spacing_mm:.2f} mm in {crop_ms:.0f} ms"
    )
    met = ours_median < TARGET_MS
    print(f"target median < {TARGET_MS:g} ms per reformat slice: {'met' if met else 'NOT met'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

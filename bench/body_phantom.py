"""The synthetic CT the reslicing benchmarks share: a 512 x 512 body ellipse of soft tissue with noise, air outside.

Its content does not matter to a resampler's speed; what matters is the size, the spacing and, for a tilted
stack, the geometry, so the benchmarks that time reformats and oblique planes build their stack here."""

from __future__ import annotations

import numpy as np

from sfrt_reader.imaging.volume import Volume

SIZE = 512


def body_ct(
    slices: int, pixel_mm: float, step_mm: float, tilt_deg: float = 0.0, corner_xy: tuple[float, float] = (0.0, 0.0)
) -> Volume:
    """`slices` axial slices `step_mm` apart along the table; a gantry tilt turns the columns about the x axis."""
    rng = np.random.default_rng(1)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    body = ((xx - 256) / 220.0) ** 2 + ((yy - 256) / 170.0) ** 2 <= 1.0
    array = np.full((slices, SIZE, SIZE), -1000, dtype=np.int16)
    array[:, body] = 40
    array += rng.integers(-20, 20, size=array.shape, dtype=np.int16)
    t = np.radians(tilt_deg)
    positions = np.array([[corner_xy[0], corner_xy[1], k * step_mm] for k in range(slices)])
    return Volume(
        array=array,
        pixel_spacing=(pixel_mm, pixel_mm),
        row_direction=(1.0, 0.0, 0.0),
        column_direction=(0.0, float(np.cos(t)), float(-np.sin(t))),
        positions=positions,
        series_description="bench",
    )

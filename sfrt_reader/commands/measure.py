"""`sfrt-reader measure PATH (--seed | --circle | --line) [--json]`: one measurement on a series, from the shell.

For our own checks and for batch users: load the series (a folder or a file; --series picks one of several),
make the measurement with exactly the code the workstation uses, print it. Coordinates are LPS millimetres.
"""

from __future__ import annotations

import argparse
import json
import math
from typing import Any

NAME = "measure"
HELP = "measure a lesion (one-click segmentation), a circular region or a distance on a series, in LPS mm"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", metavar="PATH", help="a DICOM folder (searched recursively) or a DICOM file")
    parser.add_argument("--series", metavar="UID", help="the series to load when PATH holds several (UID or key)")
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--seed",
        metavar="X,Y,Z",
        help="segment the lesion under this point and report volume, density and diameters",
    )
    what.add_argument(
        "--circle",
        metavar="X,Y,Z,R",
        help="statistics of the pixels whose centre lies within R mm of the point, on the nearest acquired slice",
    )
    what.add_argument("--line", metavar="X1,Y1,Z1,X2,Y2,Z2", help="the distance between two points")
    parser.add_argument("--json", action="store_true", help="print the result as one JSON object")


def parse_numbers(text: str, count: int, option: str, meaning: str) -> list[float]:
    """`count` comma-separated finite numbers, or a MeasurementError naming the option and the expected form."""
    from sfrt_reader.measurement.errors import MeasurementError

    parts = [p.strip() for p in text.split(",")]
    try:
        values = [float(p) for p in parts]
    except ValueError as error:
        raise MeasurementError(f"{option} expects {meaning} (numbers separated by commas), got {text!r}") from error
    if len(values) != count or not all(math.isfinite(v) for v in values):
        raise MeasurementError(f"{option} expects {count} numbers {meaning}, got {text!r}")
    return values


def run(args: argparse.Namespace) -> int:
    from sfrt_reader.imaging import load_path

    # Validate the coordinates before the (slow) load, so a typo is reported at once.
    seed = circle = line = None
    if args.seed is not None:
        seed = parse_numbers(args.seed, 3, "--seed", "X,Y,Z")
    elif args.circle is not None:
        circle = parse_numbers(args.circle, 4, "--circle", "X,Y,Z,R")
    else:
        line = parse_numbers(args.line, 6, "--line", "X1,Y1,Z1,X2,Y2,Z2")
    volume = load_path(args.path, series_uid=args.series)
    if seed is not None:
        result = _seed(volume, seed)
    elif circle is not None:
        result = _circle(volume, circle)
    else:
        assert line is not None
        result = _line(volume, line)
    print(json.dumps(result) if args.json else _text(result))
    return 0


def _seed(volume: Any, seed: list[float]) -> dict[str, Any]:
    from sfrt_reader.measurement.lesion_metrics import measure_segmentation
    from sfrt_reader.measurement.segmentation import segment_lesion

    return measure_segmentation(volume, segment_lesion(volume, seed)).summary()


def _circle(volume: Any, values: list[float]) -> dict[str, Any]:
    from sfrt_reader.measurement.regions import EllipseRegion, region_statistics

    stats = region_statistics(volume, EllipseRegion.circle(volume, values[:3], values[3]))
    return {
        "mean": stats.mean,
        "sd": stats.sd,
        "median": stats.median,
        "min": stats.min,
        "max": stats.max,
        "pixels": stats.pixels,
        "area_mm2": stats.area_mm2,
        "unit": stats.unit,
    }


def _line(volume: Any, values: list[float]) -> dict[str, Any]:
    from sfrt_reader.measurement.lines import measure_line

    return {"length_mm": measure_line(volume, values[:3], values[3:]).length_mm}


def _point(p: list[float]) -> str:
    return "(" + ", ".join(f"{v:.1f}" for v in p) + ")"


def _text(result: dict[str, Any]) -> str:
    """The result for a person: one quantity a line, with units."""
    if "length_mm" in result:
        return f"length: {result['length_mm']:.2f} mm"
    unit = result["unit"]
    note = "" if unit == "HU" else " (MR signal intensity, not HU)"
    if "volume_ml" in result:
        a, b = result["longest_axial_line"]
        c, d = result["short_axis_line"]
        return "\n".join(
            [
                f"volume: {result['volume_ml']:.2f} mL ({result['voxels']} voxels)",
                f"mean: {result['mean']:.1f} {unit}, SD {result['sd']:.1f}{note}",
                f"longest axial diameter: {result['longest_axial_diameter_mm']:.1f} mm from {_point(a)} to {_point(b)}",
                f"short axis: {result['short_axis_mm']:.1f} mm from {_point(c)} to {_point(d)}",
                f"maximal 3-D diameter: {result['max_3d_diameter_mm']:.1f} mm",
            ]
        )
    return "\n".join(
        [
            f"mean: {result['mean']:.1f} {unit}, SD {result['sd']:.1f}{note}",
            f"median: {result['median']:.1f}, min {result['min']:.1f}, max {result['max']:.1f}",
            f"pixels: {result['pixels']}, area {result['area_mm2']:.1f} mm2",
        ]
    )

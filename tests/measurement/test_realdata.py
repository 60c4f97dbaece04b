"""Real scanner data: region means and in-plane distances at the manifest's definitions (tests marked realdata)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from sfrt_reader.imaging import load_path
from sfrt_reader.measurement.lines import line_from_index
from sfrt_reader.measurement.regions import EllipseRegion, PolygonRegion, region_statistics

pytestmark = pytest.mark.realdata


def _cases(realdata: Path) -> list[tuple[str, str, dict[str, Any]]]:
    manifest = json.loads((realdata / "MANIFEST.json").read_text())
    out = []
    for dataset in manifest["datasets"]:
        for series in dataset.get("reference", {}).get("series", []):
            ref = series.get("pydicom", {})
            if "roi_circle_r5mm" in ref and "inplane_distance_mm" in ref:
                out.append((dataset["path"], series["series_instance_uid"], ref))
    return out


def test_region_means_and_distances_match_the_manifest(realdata: Path) -> None:
    cases = _cases(realdata)
    assert len(cases) >= 10  # CT, tilted CT, MR from five vendors, single-slice pairs
    for path, uid, ref in cases:
        vol = load_path(realdata / path, series_uid=uid)
        circle = ref["roi_circle_r5mm"]
        k = circle["slice_k"]
        ci, cj = circle["center_ij"]
        centre = vol.index_to_lps(np.array([ci, cj, k], dtype=float))
        stats = region_statistics(vol, EllipseRegion.circle(vol, centre, 5.0))
        assert stats.pixels == circle["n"], path
        assert stats.mean == pytest.approx(circle["mean"], abs=1e-3), path
        assert stats.sd == pytest.approx(circle["std"], abs=1e-3), path
        assert stats.ref.sop_instance_uid == vol.sop_instance_uids[k]
        square = ref["roi_square_11x11"]
        # 11 x 11 pixels = the polygon through the centres of the corner pixels (boundary inclusive).
        corners = [(ci - 5, cj - 5), (ci + 5, cj - 5), (ci + 5, cj + 5), (ci - 5, cj + 5)]
        pts = tuple(tuple(vol.index_to_lps(np.array([i, j, k], dtype=float))) for i, j in corners)
        sq = region_statistics(vol, PolygonRegion(pts))  # type: ignore[arg-type]
        assert sq.pixels == square["n"] == 121, path
        assert sq.mean == pytest.approx(square["mean"], abs=1e-3), path
        assert (sq.min, sq.max) == (square["min"], square["max"]), path
        dist = ref["inplane_distance_mm"]
        line = line_from_index(vol, dist["slice_k"], dist["from_ij"], dist["to_ij"])
        assert line.length_mm == pytest.approx(dist["mm"], abs=1e-3), path
        unit = "HU" if vol.modality == "CT" else "signal"
        assert stats.unit == unit

"""Render the workstation offscreen with demo phantoms and save the README's screenshots.

    PYTHONPATH=. QT_QPA_PLATFORM=offscreen python -m sfrt_reader.ui.screenshots docs/screenshots

CT: a blinded central read of three timepoints (baseline, 3 and 6 months after SFRT) side by side, linked on
the tumour, with a longest diameter on baseline and 3 months and, on the current scan, a bidimensional
measurement and an ellipse region with its mean HU. MR: the same subject's baseline and 6-month MR, unblinded.
Every drawing is placed through `SliceViewport.draw_lps` from the phantom's true lesion lines, i.e. through the
same Volume geometry and measurement code as a drawing made with the mouse.
"""

from __future__ import annotations

import sys
import tempfile
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from PySide6.QtCore import QSettings, Qt

from sfrt_reader.errors import SfrtError
from sfrt_reader.imaging.phantom import PhantomResult, PhantomSpec, Pose, TumourSpec, make_phantom_volume
from sfrt_reader.ui.app import application
from sfrt_reader.ui.main_window import MainWindow
from sfrt_reader.ui.state.hanging import Layout
from sfrt_reader.ui.state.tools import Tool
from sfrt_reader.ui.viewport import SliceViewport

SIZE = (1600, 900)
BASELINE_DATE = datetime(2026, 1, 12, 9, 40)
# (days after baseline, tumour size scale, necrotic lattice radius mm, table shift mm): shrinking, necrotic core
SCHEDULE = ((0, 1.0, 0.0, 0.0), (91, 0.86, 5.0, 0.0), (182, 0.7, 7.0, 0.0))
ZOOM = 1.9


def _timepoint(modality: str, days: int, scale: float, lattice: float, shift: float, seed: int) -> PhantomResult:
    base = PhantomSpec(modality=modality)
    tumour = replace(TumourSpec(), size_scale=scale, lattice_radius_mm=lattice, necrosis_fraction=0.12 + lattice / 40)
    spec = replace(base, tumour=tumour, pose=Pose(translation_mm=(0.0, 0.0, shift)))
    result = make_phantom_volume(spec, seed=seed)
    result.volume.acquisition_datetime = BASELINE_DATE + timedelta(days=days)
    result.volume.series_description = "Thigh post-contrast" if modality == "CT" else "AX T1 FS +C"
    return result


def _window(settings_dir: Path, blinded: bool, layout: Layout) -> MainWindow:
    application()
    settings = QSettings(str(settings_dir / f"settings-{int(blinded)}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(settings=settings, blinded=blinded)
    window.subject_label = "SFRT-017"
    window.set_layout(layout)
    window.resize(*SIZE)
    window.resizeDocks([window.measurements_dock], [400], Qt.Orientation.Horizontal)
    window.show()
    return window


def _viewport_of(window: MainWindow, result: PhantomResult) -> SliceViewport:
    for viewport in window.grid.viewports:
        if viewport.state.volume is result.volume:
            return viewport
    raise LookupError("timepoint not shown")


def _focus(window: MainWindow, result: PhantomResult) -> None:
    """Go to the tumour's slice in the current viewport (linking brings the others) and zoom every viewport on it,
    as a reader does before measuring."""
    current = _viewport_of(window, result)
    current.state.set_slice(result.truth["T1"].axial_slice_index)
    centre = np.asarray(result.truth["T1"].centre_lps, dtype=np.float64)
    for viewport in window.grid.viewports:
        volume = viewport.state.volume
        geometry = viewport.state.geometry
        if volume is None or geometry is None:
            continue
        u, v, _ = geometry.index_to_display(volume.lps_to_index(centre))
        viewport.state.set_zoom(ZOOM)
        # centre a little below and right of the tumour: the whole thigh stays in view
        viewport.state.set_pan(u - (geometry.width - 1) / 2 + 22, v - (geometry.height - 1) / 2 + 22)


def _show_measured_slices(window: MainWindow, results: list[PhantomResult]) -> None:
    """Each viewport on the slice its lesion was measured on (linking off meanwhile, then on again)."""
    window.set_linked(False)
    for result in results:
        _viewport_of(window, result).state.set_slice(result.truth["T1"].axial_slice_index)
    window.set_linked(True)


def _draw(viewport: SliceViewport, kind: str, points: np.ndarray, notes: list[str]) -> None:
    try:
        viewport.draw_lps(kind, points)
    except SfrtError as error:  # recorded, so a regression in the drawings shows in the script's output
        notes.append(f"{kind} not drawn: {error}")


def _line(result: PhantomResult, key: str = "T1") -> np.ndarray:
    return np.asarray(result.truth[key].longest_axial_line_lps, dtype=np.float64)


def _short(result: PhantomResult, key: str = "T1") -> np.ndarray:
    return np.asarray(result.truth[key].short_axis_line_lps, dtype=np.float64)


def _ellipse_points(result: PhantomResult, radius_mm: float, shift_mm: tuple[float, float] = (0.0, 0.0)) -> np.ndarray:
    """An ellipse (circle) region at the tumour centre, or shifted by (x, y) mm in LPS (e.g. into muscle)."""
    volume = result.volume
    truth = result.truth["T1"]
    k = truth.axial_slice_index
    centre = np.asarray(truth.centre_lps, dtype=np.float64) + np.array([shift_mm[0], shift_mm[1], 0.0])
    ijk = volume.lps_to_index(centre)
    centre = volume.index_to_lps([ijk[0], ijk[1], k])
    row = np.asarray(volume.row_direction)
    col = np.asarray(volume.column_direction)
    return np.array([centre, centre + radius_mm * row, centre + radius_mm * col])


def render_ct(out: Path, settings_dir: Path) -> list[str]:
    notes: list[str] = []
    results = [_timepoint("CT", d, s, lat, sh, seed=17 + n) for n, (d, s, lat, sh) in enumerate(SCHEDULE)]
    window = _window(settings_dir, blinded=True, layout=Layout.ONE_BY_THREE)
    for result in results:
        window.add_volume(result.volume, "phantom")
    app = application()
    app.processEvents()
    _focus(window, results[-1])
    current = _viewport_of(window, results[-1])
    baseline = _viewport_of(window, results[0])
    previous = _viewport_of(window, results[1])
    _draw(baseline, "length", _line(results[0]), notes)
    _draw(previous, "ellipse", _ellipse_points(results[1], 8.0), notes)
    _draw(current, "bidimensional", np.vstack([_line(results[2]), _short(results[2])]), notes)
    _show_measured_slices(window, results)
    window.set_tool(Tool.LENGTH)
    window.show_status("Length: drag from edge to edge: the longest diameter")
    _save(window, out / "workstation-ct.png")
    window.close()
    return notes


def render_mr(out: Path, settings_dir: Path) -> list[str]:
    notes: list[str] = []
    results = [_timepoint("MR", d, s, lat, sh, seed=41 + n) for n, (d, s, lat, sh) in enumerate(SCHEDULE[::2])]
    window = _window(settings_dir, blinded=False, layout=Layout.ONE_BY_TWO)
    for result in results:
        window.add_volume(result.volume, "phantom")
    application().processEvents()
    _focus(window, results[-1])
    current = _viewport_of(window, results[-1])
    baseline = _viewport_of(window, results[0])
    _draw(baseline, "length", _line(results[0]), notes)
    _draw(current, "length", _line(results[1]), notes)
    _draw(current, "ellipse", _ellipse_points(results[1], 8.0, shift_mm=(45.0, 40.0)), notes)  # muscle reference
    _show_measured_slices(window, results)
    window.set_tool(Tool.ELLIPSE)
    window.show_status("Ellipse: drag a box: ellipse region with mean, SD and area")
    _save(window, out / "workstation-mr.png")
    window.close()
    return notes


def _save(window: MainWindow, path: Path) -> None:
    app = application()
    for _ in range(3):
        app.processEvents()
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    out = Path(args[0]) if args else Path("docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    application()
    with tempfile.TemporaryDirectory() as tmp:
        notes = render_ct(out, Path(tmp)) + render_mr(out, Path(tmp))
    for note in notes:
        print(note, file=sys.stderr)
    print(f"saved {out / 'workstation-ct.png'} and {out / 'workstation-mr.png'}")
    return 1 if notes else 0


if __name__ == "__main__":
    raise SystemExit(main())

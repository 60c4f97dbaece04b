"""The 3-D lesion view: volume rendering of the region around the target lesion with its segmented surface, at
baseline and at the timepoint being read, side by side, rotating together, with the volumes in mL on the picture.

Imported only when the reader opens the 3-D dock (VTK takes a second to load; start-up time is a benchmark).
One render window holds one renderer per timepoint sharing a single camera, so dragging either side rotates
both. Rendering is VTK's: vtkSmartVolumeMapper (GPU ray casting, or CPU when the OpenGL context cannot) for the
region, vtkFlyingEdges3D for the lesion surface. The crops come from `state.lesion_scene`, already in true LPS
millimetres and centred on each lesion. Pictures of this view are taken with vtkWindowToImageFilter: Qt's
grab() shows VTK areas black.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import numpy as np

# VTK inside offscreen Qt renders garbage with the default window; the OSMesa one works (README, Running headless).
if os.environ.get("QT_QPA_PLATFORM") == "offscreen":
    os.environ.setdefault("VTK_DEFAULT_OPENGL_WINDOW", "vtkOSOpenGLRenderWindow")

import vtkmodules.vtkInteractionStyle  # registers the trackball interactor style
import vtkmodules.vtkRenderingOpenGL2  # registers the OpenGL render window
import vtkmodules.vtkRenderingVolumeOpenGL2  # noqa: F401  (registers the volume mappers)
from PySide6.QtWidgets import QDockWidget, QVBoxLayout, QWidget
from vtkmodules.qt.QVTKRenderWindowInteractor import QVTKRenderWindowInteractor
from vtkmodules.util.numpy_support import numpy_to_vtk, vtk_to_numpy
from vtkmodules.vtkCommonCore import VTK_FLOAT
from vtkmodules.vtkCommonDataModel import vtkImageData, vtkPiecewiseFunction
from vtkmodules.vtkFiltersCore import vtkFlyingEdges3D, vtkPolyDataNormals, vtkWindowedSincPolyDataFilter
from vtkmodules.vtkInteractionStyle import vtkInteractorStyleTrackballCamera
from vtkmodules.vtkRenderingCore import (
    vtkActor,
    vtkCamera,
    vtkColorTransferFunction,
    vtkPolyDataMapper,
    vtkRenderer,
    vtkTextActor,
    vtkVolume,
    vtkVolumeProperty,
    vtkWindowToImageFilter,
)
from vtkmodules.vtkRenderingVolume import vtkFixedPointVolumeRayCastMapper

from sfrt_reader.ui.state.lesion_scene import LesionCrop

BACKGROUND = (0.05, 0.055, 0.065)
SURFACE_COLORS = ((0.31, 0.64, 1.0), (1.0, 0.62, 0.26))  # baseline blue, follow-up orange
TEXT_COLOR = (0.91, 0.90, 0.85)


def _image_data(array: np.ndarray, crop: LesionCrop, vtk_type: int) -> vtkImageData:
    """A vtkImageData of a [z, y, x] array on the crop's grid (x fastest, as VTK stores it)."""
    data = vtkImageData()
    nz, ny, nx = array.shape
    data.SetDimensions(nx, ny, nz)
    data.SetOrigin(*crop.origin)
    data.SetSpacing(crop.spacing_mm, crop.spacing_mm, crop.spacing_mm)
    scalars = numpy_to_vtk(np.ascontiguousarray(array).ravel(), deep=True, array_type=vtk_type)
    data.GetPointData().SetScalars(scalars)
    return data


def _tissue_functions(crop: LesionCrop) -> tuple[vtkColorTransferFunction, vtkPiecewiseFunction]:
    """Colour and opacity for the region: soft tissue faint and warm, fat and air clear, bone brighter (CT HU);
    on MR the same ramp over the crop's 20th-99.5th percentile of signal."""
    color = vtkColorTransferFunction()
    opacity = vtkPiecewiseFunction()
    if crop.is_ct:
        lo, soft, hi = -150.0, 60.0, 700.0
    else:
        lo, hi = (float(v) for v in np.percentile(crop.image, [20.0, 99.5]))
        soft = lo + 0.4 * (hi - lo)
    color.AddRGBPoint(lo, 0.25, 0.18, 0.15)
    color.AddRGBPoint(soft, 0.78, 0.58, 0.48)
    color.AddRGBPoint(hi, 0.98, 0.96, 0.90)
    opacity.AddPoint(lo, 0.0)
    opacity.AddPoint(soft, 0.012)
    opacity.AddPoint(hi, 0.25)
    return color, opacity


class Lesion3DView(QWidget):
    """The render window with one side per timepoint (see the module docstring)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.vtk_widget = QVTKRenderWindowInteractor(self)
        layout.addWidget(self.vtk_widget)
        self.render_window = self.vtk_widget.GetRenderWindow()
        self.render_window.SetMultiSamples(0)
        self.vtk_widget.SetInteractorStyle(vtkInteractorStyleTrackballCamera())
        self.camera = vtkCamera()
        self.renderers: list[vtkRenderer] = []
        self.surfaces: list[vtkActor] = []
        self.captions: list[str] = []
        self.crops: list[LesionCrop] = []
        self.setMinimumSize(320, 240)

    # ------------------------------------------------------------------------------------------ contents
    def show_crops(self, crops: Sequence[LesionCrop]) -> None:
        """Show the timepoints side by side (first = baseline, whose volume the others' change refers to)."""
        for renderer in self.renderers:
            self.render_window.RemoveRenderer(renderer)
        self.renderers, self.surfaces, self.captions, self.crops = [], [], [], list(crops)
        count = max(1, len(crops))
        baseline_ml = crops[0].volume_ml if crops else None
        for n, crop in enumerate(crops):
            renderer = vtkRenderer()
            renderer.SetViewport(*self._viewport_of(n, count))
            renderer.SetBackground(*BACKGROUND)
            renderer.SetActiveCamera(self.camera)
            renderer.AddVolume(self._region(crop))
            surface = self._surface(crop, SURFACE_COLORS[min(n, 1)])
            renderer.AddActor(surface)
            caption = crop.caption(baseline_ml if n > 0 else None)
            renderer.AddViewProp(self._text(caption, SURFACE_COLORS[min(n, 1)]))
            self.render_window.AddRenderer(renderer)
            self.renderers.append(renderer)
            self.surfaces.append(surface)
            self.captions.append(caption)
        if not crops:
            renderer = vtkRenderer()
            renderer.SetBackground(*BACKGROUND)
            renderer.AddViewProp(self._text("No segmented lesion to show", TEXT_COLOR))
            self.render_window.AddRenderer(renderer)
            self.renderers.append(renderer)
        self.reset_camera()

    def _stacked(self) -> bool:
        """Baseline above current when the view is much taller than wide (a narrow dock), else side by side."""
        return self.vtk_widget.height() > 1.3 * self.vtk_widget.width()

    def _viewport_of(self, n: int, count: int) -> tuple[float, float, float, float]:
        if self._stacked():
            return (0.0, 1.0 - (n + 1) / count, 1.0, 1.0 - n / count)
        return (n / count, 0.0, (n + 1) / count, 1.0)

    def resizeEvent(self, event: object) -> None:
        super().resizeEvent(event)  # type: ignore[arg-type]
        for n, renderer in enumerate(self.renderers):
            renderer.SetViewport(*self._viewport_of(n, len(self.renderers)))

    def _region(self, crop: LesionCrop) -> vtkVolume:
        mapper = vtkFixedPointVolumeRayCastMapper()  # CPU: the same picture under OSMesa, Xvfb and a desktop
        mapper.SetInputData(_image_data(crop.image.astype(np.float32, copy=False), crop, VTK_FLOAT))
        mapper.SetSampleDistance(crop.spacing_mm / 2.0)
        color, opacity = _tissue_functions(crop)
        prop = vtkVolumeProperty()
        prop.SetColor(color)
        prop.SetScalarOpacity(opacity)
        prop.SetInterpolationTypeToLinear()
        prop.ShadeOff()
        volume = vtkVolume()
        volume.SetMapper(mapper)
        volume.SetProperty(prop)
        return volume

    def _surface(self, crop: LesionCrop, rgb: tuple[float, float, float]) -> vtkActor:
        from scipy.ndimage import gaussian_filter

        # The mask's voxel steps (5 mm on thick-slice CT) are blurred by one voxel before the iso-surface at 0.5:
        # the surface follows the lesion, not the slice grid, and keeps its volume on a convex shape.
        field = gaussian_filter(crop.mask.astype(np.float32), sigma=1.0)
        contour = vtkFlyingEdges3D()
        contour.SetInputData(_image_data(field, crop, VTK_FLOAT))
        contour.SetValue(0, 0.5)
        smooth = vtkWindowedSincPolyDataFilter()  # takes off the voxel steps without shrinking the surface
        smooth.SetInputConnection(contour.GetOutputPort())
        smooth.SetNumberOfIterations(15)
        smooth.SetPassBand(0.1)
        smooth.NormalizeCoordinatesOn()
        normals = vtkPolyDataNormals()
        normals.SetInputConnection(smooth.GetOutputPort())
        mapper = vtkPolyDataMapper()
        mapper.SetInputConnection(normals.GetOutputPort())
        mapper.ScalarVisibilityOff()
        actor = vtkActor()
        actor.SetMapper(mapper)
        prop = actor.GetProperty()
        prop.SetColor(*rgb)
        prop.SetOpacity(1.0)  # opaque: the ray cast composites the region correctly around it
        prop.SetSpecular(0.3)
        prop.SetSpecularPower(20)
        return actor

    @staticmethod
    def _text(text: str, rgb: tuple[float, float, float]) -> vtkTextActor:
        actor = vtkTextActor()
        actor.SetInput(text)
        position = actor.GetPositionCoordinate()
        position.SetCoordinateSystemToNormalizedViewport()
        position.SetValue(0.03, 0.97)
        prop = actor.GetTextProperty()
        prop.SetVerticalJustificationToTop()
        prop.SetFontSize(15)
        prop.SetColor(*rgb)
        prop.SetLineSpacing(1.25)
        prop.ShadowOn()
        return actor

    # -------------------------------------------------------------------------------------------- camera
    def reset_camera(self) -> None:
        """Anterior view, head up, the whole region in sight (both sides share this camera)."""
        half = max((max(c.image.shape) * c.spacing_mm / 2.0 for c in self.crops), default=50.0)
        # Far enough for the crop box to fit whichever way it is turned, in the narrower direction of one side.
        count = max(1, len(self.renderers))
        width, height = max(1, self.vtk_widget.width()), max(1, self.vtk_widget.height())
        side_w, side_h = (width, height / count) if self._stacked() else (width / count, height)
        view_angle = 30.0
        distance = 1.2 * half / (np.tan(np.radians(view_angle / 2.0)) * min(1.0, side_w / side_h))
        self.camera.SetFocalPoint(0.0, 0.0, 0.0)
        self.camera.SetPosition(0.0, -distance, 0.0)  # LPS: -y is anterior
        self.camera.SetViewUp(0.0, 0.0, 1.0)
        self.camera.SetViewAngle(view_angle)
        self.camera.SetClippingRange(max(1.0, distance - 2.0 * half), distance + 2.0 * half)
        self.render()

    def rotate(self, azimuth_deg: float, elevation_deg: float = 0.0) -> None:
        """Turn the shared camera about the lesion (what a mouse drag does)."""
        self.camera.Azimuth(azimuth_deg)
        self.camera.Elevation(elevation_deg)
        self.camera.OrthogonalizeViewUp()
        self.render()

    def render(self) -> None:
        if self.renderers:
            self.render_window.Render()

    def capture(self) -> np.ndarray:
        """The rendered picture as a [rows, columns, 3] uint8 array, top row first (vtkWindowToImageFilter)."""
        self.render()
        grab = vtkWindowToImageFilter()
        grab.SetInput(self.render_window)
        grab.SetInputBufferTypeToRGB()
        grab.ReadFrontBufferOff()
        grab.Update()
        image = grab.GetOutput()
        width, height, _ = image.GetDimensions()
        pixels = vtk_to_numpy(image.GetPointData().GetScalars()).reshape(height, width, -1)
        return np.ascontiguousarray(pixels[::-1, :, :3])

    def close_view(self) -> None:
        """Release the render window (close(), not Finalize(): see the README on running headless)."""
        self.vtk_widget.close()


class Lesion3DDock(QDockWidget):
    """The dock holding the 3-D view in the reading window."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("3-D lesion: baseline | current", parent)
        self.setObjectName("lesion3dDock")
        self.view = Lesion3DView(self)
        self.setWidget(self.view)

"""The patient's body in an image: what registration compares, without the scanner table and the air.

Why: the table does not move with the patient, and air is most of a thigh CT's field of view. Left in, both pull
the registration towards "no motion" (the table) or dilute the mutual information with empty voxels. The mask is
computed on the reduced working grid, where a morphological opening a few millimetres wide removes the table's
thin carbon-fibre shells and the noise, and only the large connected pieces (the limbs, the trunk) are kept.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

CT_BODY_THRESHOLD_HU = -400.0  # between lung/air (below) and fat (about -100 HU)
OPENING_RADIUS_MM = 4.0
MIN_COMPONENT_FRACTION = 0.05  # pieces smaller than this fraction of the largest are not body


def body_threshold(image: sitk.Image, unit: str) -> float:
    """Intensity above which a voxel is body: a fixed HU on CT; on MR (arbitrary units) a fraction of the
    Otsu threshold, because Otsu alone separates bright tissue from fat-suppressed fat, not body from air."""
    if unit == "HU":
        return CT_BODY_THRESHOLD_HU
    arr = sitk.GetArrayViewFromImage(image)
    sample = np.asarray(arr[::2, ::2, ::2], dtype=np.float64).ravel()
    # Otsu between air and tissue, computed on the image itself then lowered to catch dim tissue (fat on fat-sat).
    otsu = sitk.OtsuThresholdImageFilter()
    otsu.SetInsideValue(0)
    otsu.SetOutsideValue(1)
    otsu.SetNumberOfHistogramBins(128)
    otsu.Execute(sitk.GetImageFromArray(sample.reshape(1, 1, -1).astype(np.float32)))
    return 0.5 * float(otsu.GetThreshold())


def body_mask(image: sitk.Image, unit: str) -> sitk.Image:
    """A uint8 mask (1 = body) on the image's grid."""
    threshold = body_threshold(image, unit)
    mask = sitk.BinaryThreshold(image, lowerThreshold=threshold, upperThreshold=1e30, insideValue=1, outsideValue=0)
    spacing = image.GetSpacing()
    radius = [max(1, round(OPENING_RADIUS_MM / s)) for s in spacing]
    # A box, not a ball: ITK opens with a box line by line, several times faster on a 512-matrix scan, and the
    # opening only has to remove structures a few millimetres thin (table shells, noise).
    mask = sitk.BinaryMorphologicalOpening(mask, radius, sitk.sitkBox)
    components = sitk.ConnectedComponent(mask)
    labels = sitk.GetArrayViewFromImage(components)
    counts = np.bincount(np.asarray(labels).ravel())
    if len(counts) <= 1:
        return sitk.Cast(mask, sitk.sitkUInt8)
    counts[0] = 0
    keep = np.flatnonzero(counts >= MIN_COMPONENT_FRACTION * counts.max())
    arr = np.isin(np.asarray(labels), keep).astype(np.uint8)
    out = sitk.GetImageFromArray(arr)
    out.CopyInformation(image)
    return out

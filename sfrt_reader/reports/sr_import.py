"""Read a TID 1500 SR written by `sr.py` back into the reading database: the same lesions, the same numbers.

The SR is matched to a read of the logged-in reader through its Study Instance UID (the study of one of the
read's timepoints) and to the timepoint through its Time Point Context. Each measurement group gives one
measurement: the numbers from the Floating Point Values (exact), the drawn lines and the density region from the
SCOORDs, turned back into LPS millimetres through the referenced image's `Volume`. Lesions the read does not have
yet are created with the role, organ and nodal flag the SR records.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydicom import Dataset, dcmread
from pydicom.errors import InvalidDicomError

from sfrt_reader.reading.session import ReaderSession
from sfrt_reader.reports import sr as S
from sfrt_reader.reports.errors import ReportError
from sfrt_reader.reports.keyimages import ImageLibrary

SR_CLASSES = {"1.2.840.10008.5.1.4.1.1.88.34", "1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.88.22"}


@dataclass
class ParsedGroup:
    """One measurement group as read from the SR."""

    code: str
    tracking_uid: str
    organ: str = ""
    role: str = "target"
    nodal: bool = False
    status: str = "measured"
    time_point: str = ""
    values: dict[str, float] = field(default_factory=dict)  # long, short, density
    scoords: dict[str, tuple[str, list[list[float]], str]] = field(default_factory=dict)  # kind -> type, px, SOP


@dataclass(frozen=True)
class ImportedSR:
    read_id: int
    label: str
    lesions: tuple[str, ...]


def _name(item: Dataset) -> str:
    seq = item.get("ConceptNameCodeSequence")
    return str(seq[0].CodeValue) if seq else ""


def _number(item: Dataset) -> float:
    mv = item.MeasuredValueSequence[0]
    if "FloatingPointValue" in mv:
        return float(mv.FloatingPointValue)
    return float(mv.NumericValue)


def _scoord(item: Dataset) -> tuple[str, list[list[float]], str] | None:
    for child in item.get("ContentSequence", []):
        if child.ValueType == "SCOORD":
            data = [float(v) for v in child.GraphicData]
            pts = [data[i : i + 2] for i in range(0, len(data), 2)]
            sop = ""
            for image in child.get("ContentSequence", []):
                if image.ValueType == "IMAGE":
                    sop = str(image.ReferencedSOPSequence[0].ReferencedSOPInstanceUID)
            return str(child.GraphicType), pts, sop
    return None


def parse_groups(ds: Dataset) -> list[ParsedGroup]:
    """Every TID 1501 measurement group of the document (anywhere under Imaging Measurements)."""
    groups: list[ParsedGroup] = []

    def walk(items: Any) -> None:
        for item in items:
            if item.ValueType == "CONTAINER" and _name(item) == S.MEASUREMENT_GROUP:
                groups.append(_group(item))
            elif item.ValueType == "CONTAINER":
                walk(item.get("ContentSequence", []))

    walk(ds.get("ContentSequence", []))
    return groups


def _group(container: Dataset) -> ParsedGroup:
    g = ParsedGroup(code="", tracking_uid="")
    for item in container.get("ContentSequence", []):
        name = _name(item)
        if name == S.TRACKING_ID:
            g.code = str(item.TextValue)
        elif name == S.TRACKING_UID:
            g.tracking_uid = str(item.UID)
        elif name == S.TIME_POINT:
            g.time_point = str(item.TextValue)
        elif name == S.FINDING_SITE:
            g.organ = str(item.ConceptCodeSequence[0].CodeMeaning)
        elif item.ValueType == "NUM" and name in (S.LONG.value, S.SHORT.value, S.DENSITY.value):
            kind = {S.LONG.value: "long", S.SHORT.value: "short", S.DENSITY.value: "density"}[name]
            g.values[kind] = _number(item)
            coords = _scoord(item)
            if coords is not None:
                g.scoords[kind] = coords
        elif item.ValueType == "CODE" and name == S.ROLE_CONCEPT[0]:
            g.role = str(item.ConceptCodeSequence[0].CodeMeaning)
        elif item.ValueType == "CODE" and name == S.NODAL_CONCEPT[0]:
            g.nodal = str(item.ConceptCodeSequence[0].CodeValue) == "373066001"  # SCT Yes
        elif item.ValueType == "CODE" and name == S.STATUS_CONCEPT[0]:
            g.status = str(item.ConceptCodeSequence[0].CodeMeaning)
    if not g.code:
        raise ReportError(
            "a measurement group of this SR has no Tracking Identifier: it was not written by sfrt-reader"
        )
    return g


def _lps(library: ImageLibrary, folder: str, sop: str, pixels: list[list[float]]) -> tuple[list[list[float]], str]:
    volume, k, _ = library.find(folder, sop)
    ijk = np.array([[x - 0.5, y - 0.5, k] for x, y in pixels], dtype=float)
    return [[float(v) for v in p] for p in volume.index_to_lps(ijk)], volume.series_instance_uid


def _line(points: list[list[float]], series: str, sop: str) -> dict[str, Any]:
    return {
        "kind": "line",
        "start": points[0],
        "end": points[-1],
        "length_mm": math.dist(points[0], points[-1]),
        "series_uid": series,
        "sop_instance_uid": sop,
        "frame_number": None,
    }


def _objects(g: ParsedGroup, library: ImageLibrary, folder: str) -> list[dict[str, Any]]:
    lines: dict[str, dict[str, Any]] = {}
    for kind in ("long", "short"):
        if kind in g.scoords:
            _, px, sop = g.scoords[kind]
            pts, series = _lps(library, folder, sop, px)
            lines[kind] = _line(pts, series, sop)
    objects: list[dict[str, Any]] = []
    if "long" in lines and "short" in lines:
        objects.append(
            {
                "kind": "bidimensional",
                "long_axis": lines["long"],
                "short_axis": lines["short"],
                "long_mm": lines["long"]["length_mm"],
                "short_mm": lines["short"]["length_mm"],
            }
        )
    elif "long" in lines:
        objects.append(lines["long"])
    if "density" in g.scoords:
        graphic, px, sop = g.scoords["density"]
        pts, series = _lps(library, folder, sop, px)
        ref = {"series_uid": series, "sop_instance_uid": sop, "frame_number": None}
        if graphic == "ELLIPSE":
            a1, a2, b1, _ = (np.asarray(p) for p in pts)
            centre = (a1 + a2) / 2
            objects.append(
                {
                    "kind": "ellipse",
                    "center": centre.tolist(),
                    "axis_end_1": a1.tolist(),
                    "axis_end_2": b1.tolist(),
                    **ref,
                }
            )
        else:
            if len(pts) > 3 and pts[0] == pts[-1]:
                pts = pts[:-1]
            objects.append({"kind": "polygon", "points": pts, **ref})
    return objects


def import_sr(session: ReaderSession, path: Path, read_id: int | None = None) -> ImportedSR:
    """Restore the measurements of an exported SR into the logged-in reader's read of the same study."""
    try:
        ds = dcmread(path)
    except (InvalidDicomError, OSError) as error:
        raise ReportError(f"{path.name} is not a readable DICOM file: {error}") from None
    if str(ds.get("SOPClassUID", "")) not in SR_CLASSES or "ContentSequence" not in ds:
        raise ReportError(f"{path.name} is not a DICOM Structured Report with content: export one with --format sr")
    templates = [str(t.TemplateIdentifier) for t in ds.get("ContentTemplateSequence", [])]
    if templates and "1500" not in templates:
        raise ReportError(f"{path.name} is not a TID 1500 Measurement Report (template {templates[0]})")
    study = str(ds.StudyInstanceUID)
    candidates = [read_id] if read_id is not None else session.my_reads()
    found: tuple[int, str, str] | None = None
    for rid in candidates:
        for label, images in session.study_images(rid).items():
            if images.study_instance_uid == study and images.folder:
                found = (rid, label, images.folder)
    if found is None:
        raise ReportError(
            f"{path.name} measures a study that no timepoint of "
            + (f"read {read_id}" if read_id is not None else "your reads")
            + " has started: open the read and start that timepoint first"
        )
    rid, label, folder = found
    groups = parse_groups(ds)
    if not groups:
        raise ReportError(f"{path.name} holds no measurement group")
    for g in groups:
        if g.time_point and g.time_point != label:
            raise ReportError(
                f"{path.name} says timepoint {g.time_point!r} but its study is read as {label!r} in read {rid}"
            )
    library = ImageLibrary()
    view = session.view(rid)
    known = {les.code for les in view.lesions}
    for g in groups:
        if g.code not in known:
            role = g.role if g.role in ("target", "non-target", "new") else "target"
            session.add_lesion(
                rid, g.code, role, g.organ or "unspecified", nodal=g.nodal, label=label if role == "new" else None
            )
            known.add(g.code)
        density = g.values.get("density")
        session.record_measurement(
            rid,
            label,
            g.code,
            status=g.status,
            diameter_mm=g.values.get("long"),
            short_axis_mm=g.values.get("short"),
            mean_hu=density,
            unit="HU" if density is not None else None,
            objects=_objects(g, library, folder),
        )
    return ImportedSR(rid, label, tuple(g.code for g in groups))

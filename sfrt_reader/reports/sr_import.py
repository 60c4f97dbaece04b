"""Read a TID 1500 SR written by `sr.py` back into the reading database: the same lesions, the same numbers.

The SR is matched to a read of the logged-in reader through its Study Instance UID and to the timepoint through
its Time Point Context. When no read of the reader has started that timepoint yet, the study is looked up in the
database: if it is assigned to that timepoint of a subject, the reader's read of the subject is opened (created
on first use) and the timepoint started, as the workstation would; a study the database does not hold, or one
assigned to another timepoint or subject, is refused with a message that says so.

Each measurement group gives one measurement: the numbers from the Floating Point Values (exact), the drawn lines
and the density region from the SCOORDs, turned back into LPS millimetres through the referenced image's
`Volume`, the status, fragments and volume; a non-target group gives the lesion's status. The Qualitative
Evaluations container gives the timepoint's new lesions and intratumoral nodules; its responses are read back too
(`ImportedSR.responses`) so they can be compared with what the engine computes from the restored measurements.
Lesions the read does not have yet are created with the role, organ and nodal flag the SR records.
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
from sfrt_reader.reports import sr_codes as K
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
    values: dict[str, float] = field(default_factory=dict)  # long, short, density, volume
    scoords: dict[str, tuple[str, list[list[float]], str]] = field(default_factory=dict)  # kind -> type, px, SOP
    fragments: list[float] = field(default_factory=list)
    non_target_status: str | None = None
    density_unit: str | None = None  # "HU" (attenuation coefficient) or "signal" (MR signal intensity)
    comment: str | None = None  # the reader's note on the lesion


@dataclass
class TimepointEvaluations:
    """The timepoint-level items: new lesions, intratumoral nodules, responses by criterion, the best overall
    response so far with its progression day (and date, in an unblinded read's SR), the reader's comment, and the
    read's adjudication when the exporting session could know it."""

    new_lesions: str | None = None
    nodules: bool | None = None
    responses: dict[str, dict[str, str]] = field(default_factory=dict)  # criterion -> target/non_target/overall
    best: dict[str, dict[str, Any]] = field(default_factory=dict)  # criterion -> best_overall_response, ...
    comment: str | None = None
    adjudication: str | None = None
    rationale: str | None = None


@dataclass(frozen=True)
class ImportedSR:
    read_id: int
    label: str
    lesions: tuple[str, ...]
    responses: dict[str, dict[str, str]] = field(default_factory=dict)
    started: bool = False  # the timepoint was started by the import
    best: dict[str, dict[str, Any]] = field(default_factory=dict)
    adjudication: str | None = None
    rationale: str | None = None


def _code_key(item: Dataset) -> K.Key:
    code = item.ConceptCodeSequence[0]
    return (str(code.CodingSchemeDesignator), str(code.CodeValue))


def _coded(item: Dataset, table: dict[K.Key, Any], what: str) -> Any:
    found = _code_key(item)
    if found not in table:
        raise ReportError(
            f"this SR gives {what} as the unknown code {found[1]} ({found[0]}): it was not written by sfrt-reader"
        )
    return table[found]


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
        elif item.ValueType == "NUM" and name == K.FRAGMENT[0]:
            g.fragments.append(_number(item))
        elif item.ValueType == "NUM" and name == K.VOLUME.value:
            g.values["volume"] = _number(item)
        elif item.ValueType == "NUM" and name in (S.LONG.value, S.SHORT.value, S.DENSITY.value, K.MR_SIGNAL.value):
            kind = {S.LONG.value: "long", S.SHORT.value: "short"}.get(name, "density")
            if kind == "density":
                g.density_unit = "HU" if name == S.DENSITY.value else "signal"
            g.values[kind] = _number(item)
            coords = _scoord(item)
            if coords is not None:
                g.scoords[kind] = coords
        elif item.ValueType == "CODE" and name == S.ROLE_CONCEPT[0]:
            g.role = str(item.ConceptCodeSequence[0].CodeMeaning)
        elif item.ValueType == "CODE" and name == S.NODAL_CONCEPT[0]:
            g.nodal = str(item.ConceptCodeSequence[0].CodeValue) == "373066001"  # SCT Yes
        elif item.ValueType == "CODE" and name == S.STATUS_CONCEPT[0]:
            g.status = _coded(item, K.reverse(K.measurement_statuses()), "a measurement status")
        elif item.ValueType == "CODE" and name == K.NON_TARGET_STATUS[0]:
            g.non_target_status = _coded(item, K.reverse(K.non_target_statuses()), "a non-target status")
        elif item.ValueType == "TEXT" and name == K.COMMENT.value:
            g.comment = str(item.TextValue)
    if not g.code:
        raise ReportError(
            "a measurement group of this SR has no Tracking Identifier: it was not written by sfrt-reader"
        )
    return g


def parse_timepoint(ds: Dataset) -> TimepointEvaluations:
    """The Qualitative Evaluations container under the report's root (absent in SRs of earlier versions)."""
    out = TimepointEvaluations()
    methods = K.reverse(K.criterion_codes())
    tables = {
        K.TARGET_RESPONSE[0]: ("target", K.reverse(K.target_responses())),
        K.NON_TARGET_RESPONSE[0]: ("non_target", K.reverse(K.non_target_responses())),
        K.CURRENT_RESPONSE.value: ("overall", K.reverse(K.overall_responses())),
    }

    def criterion_of(item: Dataset) -> str:
        modifiers = [m for m in item.get("ContentSequence", []) if _name(m) == K.EVALUATION_METHOD.value]
        if not modifiers:
            raise ReportError("a response in this SR does not say its criteria (Response Evaluation Method)")
        return str(_coded(modifiers[0], methods, "the response criteria"))

    for container in ds.get("ContentSequence", []):
        if container.ValueType != "CONTAINER" or _name(container) != K.QUALITATIVE_EVALUATIONS[0]:
            continue
        for item in container.get("ContentSequence", []):
            name = _name(item)
            if item.ValueType == "TEXT" and name == K.COMMENT.value:
                out.comment = str(item.TextValue)
            elif item.ValueType == "TEXT" and name == K.ADJUDICATION_RATIONALE[0]:
                out.rationale = str(item.TextValue)
            elif item.ValueType == "NUM" and name == K.PROGRESSION_DAY[0]:
                out.best.setdefault(criterion_of(item), {})["progression_day"] = int(_number(item))
            elif item.ValueType == "DATE" and name == K.PROGRESSION_DATE[0]:
                value = str(item.Date)
                out.best.setdefault(criterion_of(item), {})["progression_date"] = (
                    f"{value[:4]}-{value[4:6]}-{value[6:8]}"
                )
            if item.ValueType != "CODE":
                continue
            if name == K.ADJUDICATION[0]:
                out.adjudication = _coded(item, K.reverse(K.adjudication_states()), "an adjudication outcome")
            elif name == K.BEST_RESPONSE.value:
                best = _coded(item, K.reverse(K.overall_responses()), "a best overall response")
                out.best.setdefault(criterion_of(item), {})["best_overall_response"] = best
            elif name == K.NEW_LESIONS[0]:
                out.new_lesions = _coded(item, K.reverse(K.new_lesion_values()), "new lesions")
            elif name == K.NODULES[0]:
                out.nodules = _coded(item, K.reverse(K.yes_no()), "new intratumoral nodules")
            elif name in tables:
                criterion = criterion_of(item)
                field_name, table = tables[name]
                out.responses.setdefault(criterion, {})[field_name] = _coded(item, table, "a response")
    return out


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


def _find_timepoint(
    session: ReaderSession, path: Path, ds: Dataset, read_id: int | None, sr_label: str
) -> tuple[int, str, str, bool]:
    """(read, timepoint label, image folder, started now) the SR goes into; starts the timepoint when needed."""
    study = str(ds.StudyInstanceUID)
    candidates = [read_id] if read_id is not None else session.my_reads()
    for rid in candidates:
        for started_label, images in session.study_images(rid).items():
            if images.study_instance_uid == study and images.folder:
                return rid, started_label, images.folder, False
    assignment = session.study_assignment(study)
    if assignment is None:
        raise ReportError(
            f"{path.name} measures a study that is not in this database: import the subject's images "
            "(sfrt-reader import) and try again"
        )
    pseudonym, assigned, study_id = assignment
    if assigned is None:
        raise ReportError(
            f"{path.name} measures a study of subject {pseudonym} that is not assigned to a timepoint: assign it "
            "(sfrt-reader assign) and try again"
        )
    label: str = assigned
    if sr_label and sr_label != label:
        raise ReportError(
            f"{path.name} says timepoint {sr_label!r} but its study is assigned to {label!r} of subject {pseudonym}: "
            "correct the assignment or import the right file"
        )
    if read_id is not None:
        view = session.view(read_id)
        if view.pseudonym != pseudonym:
            raise ReportError(
                f"{path.name} measures a study of subject {pseudonym}, but read {read_id} is of subject "
                f"{view.pseudonym}: leave out --read, or choose that subject's read"
            )
        rid = read_id
    else:
        rid = session.open_read(pseudonym).read_id
    started = session.study_images(rid)
    if label in started:
        raise ReportError(
            f"{path.name} measures a study assigned to {label} of subject {pseudonym}, but read {rid} reads "
            f"{label} on another study: import it into the read of that study"
        )
    session.start_timepoint(rid, label, study_id=study_id)
    new_folder = session.study_images(rid)[label].folder
    if new_folder is None:
        raise ReportError(
            f"the images of {label} of subject {pseudonym} are not available to this read (central reads need "
            "the de-identified copies: import with --deidentify)"
        )
    return rid, label, new_folder, True


def import_sr(session: ReaderSession, path: Path, read_id: int | None = None) -> ImportedSR:
    """Restore the measurements, statuses and timepoint findings of an exported SR into the logged-in reader's
    read of the same study, starting that timepoint when the reader has not yet."""
    try:
        ds = dcmread(path)
    except (InvalidDicomError, OSError) as error:
        raise ReportError(f"{path.name} is not a readable DICOM file: {error}") from None
    if str(ds.get("SOPClassUID", "")) not in SR_CLASSES or "ContentSequence" not in ds:
        raise ReportError(f"{path.name} is not a DICOM Structured Report with content: export one with --format sr")
    templates = [str(t.TemplateIdentifier) for t in ds.get("ContentTemplateSequence", [])]
    if templates and "1500" not in templates:
        raise ReportError(f"{path.name} is not a TID 1500 Measurement Report (template {templates[0]})")
    if "StudyInstanceUID" not in ds:
        raise ReportError(f"{path.name} has no Study Instance UID: it cannot be matched to a study")
    groups = parse_groups(ds)
    if not groups:
        raise ReportError(f"{path.name} holds no measurement group")
    points = {g.time_point for g in groups if g.time_point}
    if len(points) > 1:
        raise ReportError(f"{path.name} mixes timepoints ({', '.join(sorted(points))}): it was not written by us")
    timepoint = parse_timepoint(ds)
    rid, label, folder, started = _find_timepoint(session, path, ds, read_id, next(iter(points), ""))
    for g in groups:
        if g.time_point and g.time_point != label:
            raise ReportError(
                f"{path.name} says timepoint {g.time_point!r} but its study is read as {label!r} in read {rid}"
            )
    library = ImageLibrary()
    view = session.view(rid)
    known = {les.code for les in view.lesions}
    for g in groups:
        if g.non_target_status is not None:
            g.role = "non-target"
        if g.code not in known:
            role = g.role if g.role in ("target", "non-target", "new") else "target"
            session.add_lesion(
                rid,
                g.code,
                role,
                g.organ or "unspecified",
                nodal=g.nodal,
                label=label if role == "new" else None,
                description=g.comment,
            )
            known.add(g.code)
        if g.non_target_status is not None:
            session.set_non_target(rid, label, g.code, g.non_target_status)
            continue
        density = g.values.get("density")
        session.record_measurement(
            rid,
            label,
            g.code,
            status=g.status,
            diameter_mm=g.values.get("long"),
            short_axis_mm=g.values.get("short"),
            mean_hu=density,
            volume_ml=g.values.get("volume"),
            unit=g.density_unit if density is not None else None,
            fragments_mm=g.fragments or None,
            objects=_objects(g, library, folder),
        )
    if timepoint.new_lesions is not None or timepoint.nodules is not None or timepoint.comment is not None:
        session.set_timepoint(
            rid,
            label,
            new_lesions=timepoint.new_lesions,
            new_intratumoral_nodules=timepoint.nodules,
            comment=timepoint.comment,
        )
    return ImportedSR(
        rid,
        label,
        tuple(g.code for g in groups),
        timepoint.responses,
        started,
        timepoint.best,
        timepoint.adjudication,
        timepoint.rationale,
    )

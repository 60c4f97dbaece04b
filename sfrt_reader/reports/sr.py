"""DICOM Structured Report export (TID 1500 Measurement Report, highdicom) and its re-import.

One SR per signed timepoint, in the study it measures. Each lesion measured at that timepoint is one TID 1501
measurement group holding:
- the tracking identifier (the lesion code, e.g. "T1") and a tracking UID derived from the trial, subject, read and
  code, so the same lesion has the same UID in every timepoint's SR;
- the time point context (TID 1502: the protocol label, its order, and the days from baseline);
- finding type (tumour, lymph node) and finding site (the organ as the reader typed it, private scheme 99SFRT);
- Long axis and Short axis (UCUM mm), each INFERRED FROM a SCOORD POLYLINE on the referenced image;
- on CT, the mean density (DCM 112031 Attenuation Coefficient, derivation Mean, UCUM [hnsf'U]) INFERRED FROM its
  region (a closed POLYLINE, or an ELLIPSE);
- the lesion volume from a segmentation (SCT Volume, UCUM ml, method DCM 126030 sum of segmented voxels) and, for
  a lesion split in fragments, each fragment's longest diameter (UCUM mm);
- qualitative evaluations for what TID 1500 has no concept for: the lesion's role in the read, nodal or not, the
  measurement status (measured, too small, disappeared, not evaluable).
Each non-target lesion is a measurement group too, with its status at this timepoint (present, absent,
unequivocal progression, not evaluated) and no measurement. The timepoint itself gets TID 1500's Qualitative
Evaluations container: new lesions (no / yes / equivocal), new intratumoral nodules, and per criterion (RECIST 1.1,
Choi) the target, non-target and overall responses, each with its Response Evaluation Method as concept modifier.
Codes: `sr_codes` (standard DCM/SCT/UCUM where they exist, the declared private scheme 99SFRT otherwise).

Numbers are written by highdicom as DS and as Floating Point Value (FD), and read back from the FD, so values
survive the round trip exactly. SCOORD coordinates are image pixel positions, (0, 0) the top-left corner of the
top-left pixel (PS3.3 C.18.6.1.2), stored as 32-bit floats: points come back within float32 precision.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from pydicom import Dataset, dcmread
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from sfrt_reader.reading.session import ReaderSession
from sfrt_reader.reading.views import AssessmentView, LesionView, MeasurementView
from sfrt_reader.reports import content as C
from sfrt_reader.reports import sr_codes as K
from sfrt_reader.reports.errors import ReportError
from sfrt_reader.reports.keyimages import ImageLibrary, drawn_lines

SR_KIND = "dicom-sr"
SCHEME = K.SCHEME
ROLE_CONCEPT = K.ROLE
NODAL_CONCEPT = K.NODAL
STATUS_CONCEPT = K.MEASUREMENT_STATUS
LONG = codes.SCT.LongAxis
SHORT = codes.SCT.ShortAxis
DENSITY = codes.DCM.AttenuationCoefficient
MEASUREMENT_GROUP = "125007"
TRACKING_ID = "112039"
TRACKING_UID = "112040"
TIME_POINT = "C2348792"
FINDING_SITE = "363698007"
PROCEDURES = {
    "CT": ("25045-6", "LN", "CT unspecified body region"),
    "MR": ("25056-3", "LN", "MRI unspecified body region"),
}


def tracking_uid(trial: str, pseudonym: str, read_id: int, code: str) -> str:
    """The same UID for a lesion in every SR of a read (deterministic, reveals nothing but a hash)."""
    return generate_uid(entropy_srcs=[trial, pseudonym, str(read_id), code])


def _private(value: str, meaning: str) -> Any:
    import highdicom as hd

    return hd.sr.CodedConcept(value=value, scheme_designator=SCHEME, meaning=meaning)


def _organ_code(organ: str) -> Any:
    import highdicom as hd

    digest = hashlib.sha1(organ.encode("utf-8")).hexdigest()[:10]
    return hd.sr.CodedConcept(value=f"ORG{digest}", scheme_designator=SCHEME, meaning=organ[:64])


@dataclass
class _Evidence:
    """Headers of the referenced images, by SOP Instance UID, and where their pixels are."""

    datasets: dict[str, Dataset] = field(default_factory=dict)


def _to_pixels(volume: Any, points: list[list[float]]) -> np.ndarray:
    ij = volume.lps_to_index(np.asarray(points, dtype=float))[:, :2]
    return np.asarray(ij + 0.5, dtype=np.float32)


def _group(
    ctx: C.ReadContext,
    les: LesionView,
    tp: AssessmentView,
    order: int,
    m: MeasurementView,
    library: ImageLibrary,
    folder: str,
    evidence: _Evidence,
) -> Any:
    import highdicom as hd

    def source(sop: str) -> tuple[Any, Any]:
        volume, _, series = library.find(folder, sop)
        if sop not in evidence.datasets:
            frame = next(f for f in series.frames if f.sop_instance_uid == sop)
            evidence.datasets[sop] = dcmread(frame.path, stop_before_pixels=True)
        ds = evidence.datasets[sop]
        return volume, hd.sr.SourceImageForRegion(
            referenced_sop_class_uid=ds.SOPClassUID, referenced_sop_instance_uid=ds.SOPInstanceUID
        )

    measurements = []
    parts = {kind: (pts, closed, sop) for kind, pts, closed, sop in drawn_lines([dict(o) for o in m.objects]) if sop}
    long_part = parts.get("long") or parts.get("line")
    if m.status == "measured" and m.diameter_mm is not None:
        refs = []
        if long_part:
            volume, src = source(long_part[2])
            refs = [hd.sr.CoordinatesForMeasurement("POLYLINE", _to_pixels(volume, long_part[0]), src)]
        measurements.append(
            hd.sr.Measurement(LONG, float(m.diameter_mm), codes.UCUM.Millimeter, referenced_coordinates=refs or None)
        )
    if m.status == "measured" and m.short_axis_mm is not None:
        refs = []
        if "short" in parts:
            volume, src = source(parts["short"][2])
            refs = [hd.sr.CoordinatesForMeasurement("POLYLINE", _to_pixels(volume, parts["short"][0]), src)]
        measurements.append(
            hd.sr.Measurement(SHORT, float(m.short_axis_mm), codes.UCUM.Millimeter, referenced_coordinates=refs or None)
        )
    if m.mean_hu is not None:
        concept, unit = _density_concept(les, tp, m)
        refs = []
        region = next((o["region"] for o in m.objects if o.get("kind") == "region_statistics"), None)
        if region is not None and region.get("sop_instance_uid"):
            volume, src = source(str(region["sop_instance_uid"]))
            if region.get("kind") == "ellipse":
                c = np.asarray(region["center"], dtype=float)
                e1 = np.asarray(region["axis_end_1"], dtype=float)
                e2 = np.asarray(region["axis_end_2"], dtype=float)
                pts = [e1.tolist(), (2 * c - e1).tolist(), e2.tolist(), (2 * c - e2).tolist()]
                refs = [hd.sr.CoordinatesForMeasurement("ELLIPSE", _to_pixels(volume, pts), src)]
            else:
                pts = [list(map(float, p)) for p in region["points"]]
                pts.append(pts[0])
                refs = [hd.sr.CoordinatesForMeasurement("POLYLINE", _to_pixels(volume, pts), src)]
        measurements.append(
            hd.sr.Measurement(
                concept,
                float(m.mean_hu),
                unit,
                derivation=codes.SCT.Mean,
                referenced_coordinates=refs or None,
            )
        )
    if m.status == "measured" and m.fragments_mm:
        for fragment in m.fragments_mm:
            measurements.append(hd.sr.Measurement(_private(*K.FRAGMENT), float(fragment), codes.UCUM.Millimeter))
    if m.volume_ml is not None:
        seg = next((o for o in m.objects if o.get("kind") == "segmentation_result"), None)
        sop = str(((seg or {}).get("longest_axial") or {}).get("sop_instance_uid") or "")
        images = []
        if sop:
            _, src = source(sop)
            images = [
                hd.sr.SourceImageForMeasurement(
                    referenced_sop_class_uid=src.referenced_sop_class_uid,
                    referenced_sop_instance_uid=src.referenced_sop_instance_uid,
                )
            ]
        measurements.append(
            hd.sr.Measurement(
                K.VOLUME,
                float(m.volume_ml),
                hd.sr.CodedConcept(*K.MILLILITER),
                method=K.VOLUME_METHOD,
                referenced_images=images or None,
            )
        )
    return _lesion_group(ctx, les, tp, order, measurements or None, [_status_evaluation(m.status)])


def _density_concept(les: LesionView, tp: AssessmentView, m: MeasurementView) -> tuple[Any, Any]:
    """(concept, unit) of a region's mean: Hounsfield units on CT, MR signal intensity in arbitrary units on MR.

    The measurement layer records "HU" on CT and "signal" on every other modality; a mean whose unit contradicts
    the study's modality is refused rather than written under the wrong name.
    """
    unit = m.unit or ("HU" if tp.modality == "CT" else "signal")
    if tp.modality == "CT" and unit == "HU":
        return DENSITY, codes.UCUM.HounsfieldUnit
    if tp.modality == "MR" and unit == "signal":
        return K.MR_SIGNAL, K.ARBITRARY_UNIT
    raise ReportError(
        f"the mean of {les.code} at {tp.label} is recorded in {unit!r} on a {tp.modality or 'unknown'} study: "
        "measure the region again on this timepoint's images, then export"
    )


def _status_evaluation(status: str) -> Any:
    import highdicom as hd

    table = K.measurement_statuses()
    if status not in table:
        raise ReportError(f"measurement status {status!r} has no SR code: the database holds an unknown status")
    return hd.sr.QualitativeEvaluation(_private(*STATUS_CONCEPT), table[status])


def _non_target_group(ctx: C.ReadContext, les: LesionView, tp: AssessmentView, order: int, status: str) -> Any:
    """A non-target lesion at a timepoint: no measurement, its status as a qualitative evaluation."""
    import highdicom as hd

    table = K.non_target_statuses()
    if status not in table:
        raise ReportError(f"non-target status {status!r} of {les.code} has no SR code")
    evaluation = hd.sr.QualitativeEvaluation(_private(*K.NON_TARGET_STATUS), table[status])
    return _lesion_group(ctx, les, tp, order, None, [evaluation])


def _lesion_group(
    ctx: C.ReadContext,
    les: LesionView,
    tp: AssessmentView,
    order: int,
    measurements: list[Any] | None,
    more: list[Any],
) -> Any:
    """The TID 1501 group around a lesion's measurements: tracking, time point, finding, role, nodal."""
    import highdicom as hd

    evaluations = [
        hd.sr.QualitativeEvaluation(_private(*ROLE_CONCEPT), _private(les.role.upper(), les.role)),
        hd.sr.QualitativeEvaluation(_private(*NODAL_CONCEPT), codes.SCT.Yes if les.nodal else codes.SCT.No),
        *more,
    ]
    time_point = hd.sr.TimePointContext(
        time_point=tp.label,
        time_point_order=order,
        protocol_time_point_identifier=tp.label,
        temporal_offset_from_event=hd.sr.LongitudinalTemporalOffsetFromEvent(
            value=int(tp.day or 0), unit=codes.UCUM.Day, event_type=codes.DCM.Baseline
        ),
    )
    group = hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=tracking_uid(ctx.trial_id, ctx.view.pseudonym, ctx.view.read_id, les.code), identifier=les.code
        ),
        time_point_context=time_point,
        finding_type=codes.SCT.LymphNode if les.nodal else codes.SCT.Tumor,
        finding_sites=[hd.sr.FindingSite(anatomic_location=_organ_code(ctx.clean(les.organ) or les.organ))],
        measurements=measurements or None,
        qualitative_evaluations=evaluations,
    )
    description = ctx.clean(les.description)
    if description:
        # The reader's note on the lesion (TID 1501 has no row for it: a Comment the group CONTAINS).
        group[0].ContentSequence.append(_text(K.COMMENT, description))
    return group


def _text(name: Any, value: str) -> Any:
    """A TEXT item (UT, so a long comment is kept whole) that its container CONTAINS."""
    import highdicom as hd
    from highdicom.sr.enum import RelationshipTypeValues as R

    return hd.sr.TextContentItem(name=name, value=value, relationship_type=R.CONTAINS)


@dataclass(frozen=True)
class ReadOutcome:
    """What a timepoint's SR says about the read as a whole, gathered from the session by `outcome_of`.

    `best` is the engine's best overall response and first progression day per criterion using the timepoints up
    to this one only (what was known when it was signed, as on the PDF form). `baseline_date` (unblinded reads
    only) turns the progression day into a calendar date. `adjudication` and `rationale` are filled only for a
    session allowed to know them (adjudicator, manager): a reader is not told whether his read was chosen.
    """

    best: dict[str, dict[str, Any]]
    baseline_date: date | None = None
    adjudication: str | None = None
    rationale: str | None = None


def outcome_of(
    session: ReaderSession,
    ctx: C.ReadContext,
    label: str,
    adjudication: tuple[str | None, str | None] | None = None,
) -> ReadOutcome:
    """`adjudication`: the read's (state, rationale) when already looked up (once per read, not per timepoint)."""
    base = ctx.study_date(ctx.baseline_label)
    state, rationale = adjudication or adjudication_of(session, ctx.view.read_id)
    return ReadOutcome(
        best=C.best_so_far(session, ctx, label),
        baseline_date=None if ctx.blinded or base is None else date.fromisoformat(base),
        adjudication=state,
        rationale=rationale,
    )


def adjudication_of(session: ReaderSession, read_id: int) -> tuple[str | None, str | None]:
    """(chosen / not chosen / pending / withdrawn, the adjudicator's rationale) of a read; (None, None) when no
    adjudication concerns it or the session is a reader's."""
    if session.role not in ("adjudicator", "manager"):
        return None, None
    for adj in session.adjudications():
        for rid, letter in ((adj.read_a, "A"), (adj.read_b, "B")):
            if rid != read_id:
                continue
            if adj.status == "decided":
                return ("chosen" if adj.chosen == letter else "not chosen"), adj.rationale
            return adj.status, None
    return None, None


def _timepoint_evaluations(
    tp: AssessmentView, outcome: ReadOutcome | None, clean: Callable[[str | None], str | None]
) -> Any:
    """TID 1500's Qualitative Evaluations container: new lesions, nodules, both criteria's responses, the best
    overall response so far with its progression day (and date, unblinded), the reader's comment and the
    adjudication of the read. `clean`: the read's free-text screen (`ReadContext.clean`)."""
    import highdicom as hd
    from highdicom.sr.enum import RelationshipTypeValues as R

    def with_method(item: Any, criterion: Any) -> Any:
        modifier = hd.sr.CodeContentItem(name=K.EVALUATION_METHOD, value=criterion, relationship_type=R.HAS_CONCEPT_MOD)
        item.ContentSequence = hd.sr.ContentSequence([modifier])
        return item

    def code_item(name: Any, value: Any, criterion: Any = None) -> Any:
        item = hd.sr.CodeContentItem(name=name, value=value, relationship_type=R.CONTAINS)
        return item if criterion is None else with_method(item, criterion)

    items = [
        code_item(_private(*K.NEW_LESIONS), K.new_lesion_values()[tp.new_lesions]),
        code_item(_private(*K.NODULES), K.yes_no()[bool(tp.new_intratumoral_nodules)]),
    ]
    for criterion, method in K.criterion_codes().items():
        entry = (tp.results or {}).get(criterion) or {}
        for field_name, concept, table in (
            ("target", _private(*K.TARGET_RESPONSE), K.target_responses()),
            ("non_target", _private(*K.NON_TARGET_RESPONSE), K.non_target_responses()),
            ("overall", K.standard(K.CURRENT_RESPONSE), K.overall_responses()),
        ):
            value = entry.get(field_name)
            if value is None:
                continue  # baseline, or no lesion of that kind: nothing to evaluate
            if value not in table:
                raise ReportError(f"{criterion} {field_name} response {value!r} has no SR code")
            items.append(code_item(concept, table[value], method))
        # Best response and progression only once a follow-up has a response (at baseline the engine's "NE"
        # would read as a finding).
        best = (outcome.best.get(criterion) or {}) if outcome is not None and entry.get("overall") else {}
        bor = best.get("best_overall_response")
        if bor is not None:
            if bor not in K.overall_responses():
                raise ReportError(f"{criterion} best overall response {bor!r} has no SR code")
            items.append(code_item(K.standard(K.BEST_RESPONSE), K.overall_responses()[bor], method))
        day = best.get("progression_day")
        if day is not None:
            num = hd.sr.NumContentItem(
                name=_private(*K.PROGRESSION_DAY), value=int(day), unit=codes.UCUM.Day, relationship_type=R.CONTAINS
            )
            items.append(with_method(num, method))
            if outcome is not None and outcome.baseline_date is not None:
                when = outcome.baseline_date + timedelta(days=int(day))
                dated = hd.sr.DateContentItem(
                    name=_private(*K.PROGRESSION_DATE), value=when, relationship_type=R.CONTAINS
                )
                items.append(with_method(dated, method))
    comment = clean(tp.comment)
    if comment:
        items.append(_text(K.COMMENT, comment))
    if outcome is not None and outcome.adjudication is not None:
        items.append(code_item(_private(*K.ADJUDICATION), K.adjudication_states()[outcome.adjudication]))
        rationale = clean(outcome.rationale)
        if rationale:
            items.append(_text(_private(*K.ADJUDICATION_RATIONALE), rationale))
    container = hd.sr.ContainerContentItem(
        name=hd.sr.CodedConcept(*K.QUALITATIVE_EVALUATIONS), relationship_type=R.CONTAINS
    )
    container.ContentSequence = hd.sr.ContentSequence(items)
    return container


def _any_image_of_study(folder: str, study_uid: str | None) -> Dataset | None:
    """The header of one image of the study, as evidence when no measurement of the timepoint was drawn (every
    lesion disappeared, or non-targets only): an SR needs at least one referenced instance of its study."""
    from pydicom.errors import InvalidDicomError

    for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
        try:
            ds = dcmread(path, stop_before_pixels=True)
        except (InvalidDicomError, OSError, ValueError):
            continue
        if "SOPClassUID" in ds and "PixelSpacing" in ds and (study_uid is None or ds.StudyInstanceUID == study_uid):
            return ds
    return None


def build_sr(
    ctx: C.ReadContext, label: str, library: ImageLibrary | None = None, outcome: ReadOutcome | None = None
) -> Dataset:
    """The TID 1500 Comprehensive 3D SR of one signed timepoint of a read (`outcome`: see `outcome_of`)."""
    import highdicom as hd

    tp = ctx.signed_version(label)
    if tp.signature is None:
        raise ReportError(f"timepoint {label} of read {ctx.view.read_id} is not signed: sign it before exporting")
    images = ctx.images.get(label)
    if images is None or images.folder is None:
        raise ReportError(
            f"the images of timepoint {label} are not known to the database (central reads need the de-identified "
            "copies: import with --deidentify)"
        )
    library = library or ImageLibrary()
    evidence = _Evidence()
    order = [t.label for t in ctx.view.timepoints].index(label) + 1
    groups = []
    for les in ctx.view.lesions:
        if les.role == "non-target":
            if les.code in tp.non_targets:
                groups.append(_non_target_group(ctx, les, tp, order, tp.non_targets[les.code]))
            continue
        m = C.measurement_of(tp, les.code)
        if m is None:
            continue
        groups.append(_group(ctx, les, tp, order, m, library, images.folder, evidence))
    if not evidence.datasets:
        anchor = _any_image_of_study(images.folder, images.study_instance_uid)
        if anchor is None:
            raise ReportError(
                f"no image of the {label} study of read {ctx.view.read_id} was found in its folder: re-import the "
                "subject's images and export again"
            )
        evidence.datasets[str(anchor.SOPInstanceUID)] = anchor
    code = PROCEDURES.get(tp.modality or "", PROCEDURES["CT"])
    observer = hd.sr.ObserverContext(
        observer_type=codes.DCM.Person,
        observer_identifying_attributes=hd.sr.PersonObserverIdentifyingAttributes(name=f"{ctx.view.reader}^"),
    )
    report = hd.sr.MeasurementReport(
        observation_context=hd.sr.ObservationContext(observer_person_context=observer),
        procedure_reported=hd.sr.CodedConcept(value=code[0], scheme_designator=code[1], meaning=code[2]),
        imaging_measurements=groups,
        title=codes.DCM.ImagingMeasurementReport,
    )
    report[0].ContentSequence.append(_timepoint_evaluations(tp, outcome, ctx.clean))
    evidence_list = list(evidence.datasets.values())
    sr = hd.sr.Comprehensive3DSR(
        evidence=evidence_list,
        content=report,
        series_number=9901,
        series_instance_uid=generate_uid(),
        sop_instance_uid=generate_uid(),
        instance_number=order,
        manufacturer="sfrt-reader",
        series_description=f"Measurements {label} ({'RECIST 1.1 / Choi'})",
        is_complete=True,
        is_final=True,
    )
    schemes = list(sr.get("CodingSchemeIdentificationSequence", []))
    sr.CodingSchemeIdentificationSequence = [*schemes, K.coding_scheme_item()]
    if ctx.blinded:
        _strip_identifying(sr)
    return sr


def _strip_identifying(sr: Dataset) -> None:
    """Blinded reads: the de-identified evidence already carries the pseudonym; drop what could still date it."""
    for keyword in ("InstitutionName", "InstitutionAddress", "ReferringPhysicianName", "AccessionNumber"):
        if keyword in sr:
            sr.data_element(keyword).value = ""  # type: ignore[union-attr]
    for keyword in ("PatientBirthDate",):
        if keyword in sr:
            sr.data_element(keyword).value = ""  # type: ignore[union-attr]


class WrittenFiles(list[Path]):
    """The files an export wrote; `removed`: identifiers removed from their free text (blinded reads)."""

    removed: int = 0


def write_sr(session: ReaderSession, read_id: int, out: Path, record: bool = True) -> WrittenFiles:
    """One SR file per signed timepoint of a read (its latest signed version while an amendment is drafted),
    written into folder `out` (created if missing). In a blinded read, free text stored with an identifier goes out
    with a "[removed: ...]" marker instead, counted in the export's audit event."""
    ctx = C.gather(session, read_id)
    if out.exists() and not out.is_dir():
        raise ReportError(f"{out} is a file: --format sr writes one file per timepoint into a folder")
    out.mkdir(parents=True, exist_ok=True)
    library = ImageLibrary()
    adjudication = adjudication_of(session, read_id)
    paths = WrittenFiles()
    for tp in ctx.latest_signed():
        before = ctx.removed[0]
        sr = build_sr(ctx, tp.label, library, outcome_of(session, ctx, tp.label, adjudication))
        path = out / f"read{read_id}_{ctx.view.pseudonym}_{tp.label}_SR.dcm"
        sr.save_as(path, enforce_file_format=True)
        paths.append(path)
        if record:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            details = {"free_text_removed": ctx.removed[0] - before}
            session.service.record_export(read_id, tp.label, SR_KIND, digest, session.reader_id, details)
    if not paths:
        raise ReportError(f"read {read_id} has no signed timepoint: nothing to export")
    paths.removed = ctx.removed[0]
    return paths

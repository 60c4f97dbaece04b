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
- qualitative evaluations (private scheme 99SFRT) for what TID 1500 has no concept for: the lesion's role in the
  read, nodal or not, and the measurement status (measured, too small, disappeared, not evaluable).

Numbers are written by highdicom as DS and as Floating Point Value (FD), and read back from the FD, so values
survive the round trip exactly. SCOORD coordinates are image pixel positions, (0, 0) the top-left corner of the
top-left pixel (PS3.3 C.18.6.1.2), stored as 32-bit floats: points come back within float32 precision.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from pydicom import Dataset, dcmread
from pydicom.sr.codedict import codes
from pydicom.uid import generate_uid

from sfrt_reader.reading.session import ReaderSession
from sfrt_reader.reading.views import AssessmentView, LesionView, MeasurementView
from sfrt_reader.reports import content as C
from sfrt_reader.reports.errors import ReportError
from sfrt_reader.reports.keyimages import ImageLibrary, drawn_lines

SR_KIND = "dicom-sr"
SCHEME = "99SFRT"
ROLE_CONCEPT = ("LESROLE", "Lesion role in the read")
NODAL_CONCEPT = ("NODAL", "Lymph node")
STATUS_CONCEPT = ("MSTATUS", "Measurement status")
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
    if m.mean_hu is not None and (m.unit in (None, "HU")) and tp.modality == "CT":
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
                DENSITY,
                float(m.mean_hu),
                codes.UCUM.HounsfieldUnit,
                derivation=codes.SCT.Mean,
                referenced_coordinates=refs or None,
            )
        )
    evaluations = [
        hd.sr.QualitativeEvaluation(_private(*ROLE_CONCEPT), _private(les.role.upper(), les.role)),
        hd.sr.QualitativeEvaluation(_private(*NODAL_CONCEPT), codes.SCT.Yes if les.nodal else codes.SCT.No),
        hd.sr.QualitativeEvaluation(_private(*STATUS_CONCEPT), _private(m.status.upper()[:16], m.status)),
    ]
    time_point = hd.sr.TimePointContext(
        time_point=tp.label,
        time_point_order=order,
        protocol_time_point_identifier=tp.label,
        temporal_offset_from_event=hd.sr.LongitudinalTemporalOffsetFromEvent(
            value=int(tp.day or 0), unit=codes.UCUM.Day, event_type=codes.DCM.Baseline
        ),
    )
    return hd.sr.MeasurementsAndQualitativeEvaluations(
        tracking_identifier=hd.sr.TrackingIdentifier(
            uid=tracking_uid(ctx.trial_id, ctx.view.pseudonym, ctx.view.read_id, les.code), identifier=les.code
        ),
        time_point_context=time_point,
        finding_type=codes.SCT.LymphNode if les.nodal else codes.SCT.Tumor,
        finding_sites=[hd.sr.FindingSite(anatomic_location=_organ_code(les.organ))],
        measurements=measurements or None,
        qualitative_evaluations=evaluations,
    )


def build_sr(ctx: C.ReadContext, label: str, library: ImageLibrary | None = None) -> Dataset:
    """The TID 1500 Comprehensive 3D SR of one signed timepoint of a read."""
    import highdicom as hd

    tp = ctx.timepoint(label)
    if tp.status != "signed" or tp.signature is None:
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
        m = C.measurement_of(tp, les.code)
        if les.role == "non-target" or m is None:
            continue
        groups.append(_group(ctx, les, tp, order, m, library, images.folder, evidence))
    if not evidence.datasets:
        raise ReportError(
            f"timepoint {label} of read {ctx.view.read_id} has no measurement drawn on an image: nothing to put "
            "in a DICOM SR"
        )
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


def write_sr(session: ReaderSession, read_id: int, out: Path, record: bool = True) -> list[Path]:
    """One SR file per signed timepoint of a read, written into folder `out` (created if missing)."""
    ctx = C.gather(session, read_id)
    if out.exists() and not out.is_dir():
        raise ReportError(f"{out} is a file: --format sr writes one file per timepoint into a folder")
    out.mkdir(parents=True, exist_ok=True)
    library = ImageLibrary()
    paths = []
    for tp in ctx.signed():
        sr = build_sr(ctx, tp.label, library)
        path = out / f"read{read_id}_{ctx.view.pseudonym}_{tp.label}_SR.dcm"
        sr.save_as(path, enforce_file_format=True)
        paths.append(path)
        if record:
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            session.service.record_export(read_id, tp.label, SR_KIND, digest, session.reader_id)
    if not paths:
        raise ReportError(f"read {read_id} has no signed timepoint: nothing to export")
    return paths

"""The demo trial: three subjects of the SFRT vs CRT sarcoma trial, written as real DICOM with a ground truth.

Why: every layer above (indexing, measurement, criteria, reading, blinding, registration, the GUI) needs serial
studies whose true answers are known. The scenario is fixed (`SUBJECTS`); the seed only changes the texture,
lobulation and noise, and the sizes (`SIZES`) change the grid. The same seed and size give byte-identical files.

- demo-01, SFRT arm, contrast CT: the tumour shrinks and its density falls as necrotic spheres appear at the
  lattice vertices (Choi PR from 3 months, RECIST SD then PR); an inguinal lymph node is followed as non-target.
- demo-02, CRT arm, contrast CT: stable, then grows (RECIST and Choi PD at 9 months); a new lesion at 12 months.
- demo-03, SFRT arm, baseline contrast CT then MR follow-ups (T1 fat-saturated post-gadolinium): shrinks; Choi
  density is not evaluable on MR, so Choi rests on size.

Each visit places the limb differently (a known rigid transform, recorded) and starts the scan at a different table
position. The ground truth schema is documented in the README ("Demo trial").
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from pydicom.uid import generate_uid

from sfrt_reader import __version__
from sfrt_reader.imaging.dicom_write import UID_PREFIX, PatientIdentity, SeriesHeader, sop_instance_uid, write_series
from sfrt_reader.imaging.phantom import (
    LABELS,
    Grid,
    PhantomResult,
    PhantomSpec,
    Pose,
    TumourSpec,
    lattice_vertices,
    make_phantom_volume,
)

SCHEMA = "sfrt-reader/demo-truth/1"
TIMEPOINT_LABELS = ("baseline", "3m", "6m", "9m", "12m")
FOLLOW_UP_DAYS = (91, 182, 273, 365)  # after the end of radiotherapy
VISIT_JITTER_DAYS = (0, 3, -2, 4, 1)  # scheduling windows: visits are never exactly on the nominal day
# The scenario's calendar is fixed in the subjects' `rt_end` dates, never taken from today's clock, so that a seed
# always gives byte-identical files. It lies far enough back (the last 12-month visit is in January 2026) that every
# visit has already happened: a reader never sees a follow-up study dated in the future.


@dataclass(frozen=True)
class SizeConfig:
    """Acquisition grids for one `--size`: CT (both thighs) and MR (field centred on the affected thigh)."""

    matrix: int
    ct_pixel_mm: float
    ct_slice_mm: float
    ct_slices: int
    mr_pixel_mm: float
    mr_slice_mm: float
    mr_slices: int


SIZES: dict[int, SizeConfig] = {
    128: SizeConfig(128, 3.0, 5.0, 40, 2.34375, 4.0, 50),
    256: SizeConfig(256, 1.5, 5.0, 40, 1.171875, 4.0, 50),
    512: SizeConfig(512, 0.75, 2.5, 80, 0.5859375, 3.0, 66),
}


@dataclass(frozen=True)
class Visit:
    """One timepoint of the scenario: modality and the tumour's state."""

    modality: str
    size_scale: float
    necrosis_fraction: float
    lattice_radius_mm: float = 0.0
    new_lesion: bool = False


@dataclass(frozen=True)
class Subject:
    """One demo subject: trial code, arm, identity, tumour and visits, and the responses the scenario is built to
    produce at 3, 6, 9 and 12 months (RECIST 1.1 overall, Choi overall), checked against the truth at generation."""

    code: str
    arm: str
    identity: PatientIdentity
    rt_end: date
    affected_side: int
    tumour_centre_mm: tuple[float, float, float]
    tumour_semi_axes_mm: tuple[float, float, float]
    tumour_yaw_deg: float
    lymph_node: bool
    visits: tuple[Visit, ...]
    expected_recist: tuple[str, ...]
    expected_choi: tuple[str, ...]
    accession_base: int
    manufacturer: tuple[str, str, str]  # CT: manufacturer, model, station
    mr_equipment: tuple[str, str, str] = ("SIEMENS", "MAGNETOM Aera", "MRC40512")


SUBJECTS: tuple[Subject, ...] = (
    Subject(
        code="demo-01",
        arm="SFRT",
        identity=PatientIdentity(
            name="HARTMANN^KLAUS^PETER",
            patient_id="NBH0043817",
            birth_date="19640312",
            sex="M",
            institution="Northbridge University Hospital",
            institution_address="12 Harbour Road, Northbridge",
            referring_physician="OKAFOR^CHIDI^^DR",
            weight_kg=84.0,
            height_m=1.79,
        ),
        rt_end=date(2024, 12, 19),
        affected_side=-1,
        tumour_centre_mm=(-121.0, -33.0, 4.0),
        tumour_semi_axes_mm=(42.0, 27.0, 52.0),
        tumour_yaw_deg=24.0,
        lymph_node=True,
        visits=(
            Visit("CT", 1.00, 0.10),
            Visit("CT", 0.94, 0.30, 11.0),
            Visit("CT", 0.82, 0.36, 11.0),
            Visit("CT", 0.64, 0.42, 9.0),
            Visit("CT", 0.58, 0.42, 8.0),
        ),
        expected_recist=("SD", "SD", "PR", "PR"),
        expected_choi=("PR", "PR", "PR", "PR"),
        accession_base=2511040031,
        manufacturer=("SIEMENS", "SOMATOM Definition AS", "CT41872"),
    ),
    Subject(
        code="demo-02",
        arm="CRT",
        identity=PatientIdentity(
            name="MORALES^ELENA^ISABEL",
            patient_id="NBH0051290",
            birth_date="19780921",
            sex="F",
            institution="Northbridge University Hospital",
            institution_address="12 Harbour Road, Northbridge",
            referring_physician="OKAFOR^CHIDI^^DR",
            weight_kg=63.5,
            height_m=1.66,
        ),
        rt_end=date(2025, 1, 9),
        affected_side=1,
        tumour_centre_mm=(131.0, 22.0, -2.0),
        tumour_semi_axes_mm=(38.0, 25.0, 42.0),
        tumour_yaw_deg=118.0,
        lymph_node=False,
        visits=(
            Visit("CT", 1.00, 0.12),
            Visit("CT", 1.00, 0.13),
            Visit("CT", 1.04, 0.14),
            Visit("CT", 1.30, 0.16),
            Visit("CT", 1.42, 0.18, new_lesion=True),
        ),
        expected_recist=("SD", "SD", "PD", "PD"),
        expected_choi=("SD", "SD", "PD", "PD"),
        accession_base=2512010077,
        manufacturer=("SIEMENS", "SOMATOM Definition AS", "CT41872"),
    ),
    Subject(
        code="demo-03",
        arm="SFRT",
        identity=PatientIdentity(
            name="ZHANG^WEI",
            patient_id="LCC-2231-0087",
            birth_date="19590704",
            sex="M",
            institution="Lakeshore Cancer Centre",
            institution_address="400 Lakeshore Avenue, Eastport",
            referring_physician="LIU^MEI^^DR",
            weight_kg=71.0,
            height_m=1.72,
        ),
        rt_end=date(2024, 11, 28),
        affected_side=-1,
        tumour_centre_mm=(-101.5, 43.0, 0.0),
        tumour_semi_axes_mm=(40.0, 19.0, 48.0),
        tumour_yaw_deg=4.0,
        lymph_node=False,
        visits=(
            Visit("CT", 1.00, 0.15),
            Visit("MR", 0.95, 0.26, 10.0),
            Visit("MR", 0.80, 0.34, 10.0),
            Visit("MR", 0.64, 0.40, 9.0),
            Visit("MR", 0.60, 0.40, 8.0),
        ),
        expected_recist=("SD", "SD", "PR", "PR"),
        expected_choi=("SD", "PR", "PR", "PR"),
        accession_base=2510220145,
        manufacturer=("GE MEDICAL SYSTEMS", "Revolution EVO", "LCCCT02"),
    ),
)


class ScenarioError(RuntimeError):
    """The generated truth does not produce the responses the scenario was designed for (a generator bug)."""


# ------------------------------------------------------------------------------------------- helpers


def _uid(seed: int, *parts: str) -> str:
    """Deterministic UID: the same seed and parts always give the same UID; different parts never collide."""
    return str(generate_uid(prefix=UID_PREFIX, entropy_srcs=["sfrt-reader-demo", str(seed), *parts]))


def _visit_pose(rng: np.random.Generator, subject: Subject, index: int) -> Pose:
    """Limb placement at one visit: rotation of 1.5-4 degrees about the limb axis, tilts under 2 degrees,
    translations of 3-10 mm in-plane (less front-to-back: the legs lie on the couch) and up to 10 mm along z."""
    pivot = (0.0, 5.0, 0.0)  # between the thighs: both legs turn together, as a patient rolls on the couch
    if index == 0:
        return Pose((0.4, -0.3, 1.0), (2.0, -1.0, 0.0), pivot)

    def signed(lo: float, hi: float) -> float:
        return float(round(rng.choice([-1.0, 1.0]) * rng.uniform(lo, hi), 2))

    rotation = (signed(0.5, 2.0), signed(0.5, 2.0), signed(1.5, 4.0))
    translation = (signed(3.0, 10.0), signed(1.0, 3.0), signed(3.0, 10.0))
    return Pose(rotation, translation, pivot)


def _grid(cfg: SizeConfig, modality: str, side: int, first_z_shift: float) -> Grid:
    n = cfg.matrix
    if modality == "CT":
        first = -(cfg.ct_slices - 1) * cfg.ct_slice_mm / 2.0 + first_z_shift
        return Grid((n, n, cfg.ct_slices), (cfg.ct_pixel_mm, cfg.ct_pixel_mm), cfg.ct_slice_mm, (0.0, 6.0), first)
    first = -(cfg.mr_slices - 1) * cfg.mr_slice_mm / 2.0 + first_z_shift
    return Grid((n, n, cfg.mr_slices), (cfg.mr_pixel_mm, cfg.mr_pixel_mm), cfg.mr_slice_mm, (side * 70.0, 5.0), first)


def _save_mask_npz(path: Path, labels: NDArray[np.uint8], result: PhantomResult) -> None:
    """Compressed .npz with fixed zip timestamps (numpy's own savez stamps the current time: not reproducible)."""
    arrays = {
        "labels": labels,
        "positions_lps": result.volume.positions,
        "pixel_spacing": np.asarray(result.volume.pixel_spacing, dtype=np.float64),
        "row_direction": np.asarray(result.volume.row_direction, dtype=np.float64),
        "column_direction": np.asarray(result.volume.column_direction, dtype=np.float64),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue(), compresslevel=6)


def load_mask(path: Path) -> tuple[NDArray[np.uint8], dict[str, NDArray[Any]]]:
    """Read a mask written by the generator: the labels [z, y, x] and its geometry arrays."""
    with np.load(path, allow_pickle=False) as data:
        labels = np.asarray(data["labels"], dtype=np.uint8)
        geometry = {k: np.asarray(data[k]) for k in data.files if k != "labels"}
    return labels, geometry


def _matrix_list(m: NDArray[np.float64]) -> list[list[float]]:
    return [[round(float(v), 8) for v in row] for row in m]


# ------------------------------------------------------------------------------------------- responses


# The expected responses are computed OUTSIDE imaging (imaging cannot use the criteria engine): the caller passes a
# function from a subject's case document (the engine's input, built here from the true measurements) to the
# "expected" block of the ground truth, e.g. `sfrt_reader.trial.expected.expected_responses`.
ExpectedFn = Callable[[dict[str, Any]], dict[str, Any]]
MIN_ROBUSTNESS_PCT = 1.0


# ------------------------------------------------------------------------------------------- generation


ProgressFn = Callable[[str], None]


@dataclass
class DemoTrialSummary:
    """What was written: counts for the command's report."""

    out: Path
    subjects: int
    series: int
    files: int
    bytes: int


def generate_demo_trial(
    out: Path,
    seed: int = 0,
    size: int = 256,
    progress: ProgressFn | None = None,
    subjects: tuple[str, ...] | None = None,
    expected: ExpectedFn | None = None,
) -> DemoTrialSummary:
    """Write the demo trial under `out` (which must exist and be writable) and return a summary.

    `subjects` limits the trial to those codes (each subject's files do not depend on the others). `expected`
    turns a subject's case document into the "expected" block of the ground truth (responses from the criteria
    engine); with it, a truth that does not give the scenario's responses, or gives them within 1 % of a change,
    raises ScenarioError. Without it the ground truth has no "expected" block."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size}")
    chosen = [s for s in SUBJECTS if subjects is None or s.code in subjects]
    if not chosen:
        raise ValueError(f"no demo subject among {subjects}; known: {[s.code for s in SUBJECTS]}")
    cfg = SIZES[size]
    truth: dict[str, Any] = {
        "schema": SCHEMA,
        "generator": f"sfrt-reader {__version__}",
        "seed": seed,
        "size": size,
        "mask_labels": {str(k): v for k, v in LABELS.items()},
        "conventions": {
            "coordinates": "DICOM patient LPS, millimetres",
            "longest_axial_diameter": "maximum Feret diameter of the true mask over each axial slice, between pixel "
            "centres, the largest over slices",
            "short_axis": "longest extent perpendicular to the long axis on the same slice, within one-pixel strips",
            "mean": "mean of the written image over the true mask (HU on CT, signal on MR)",
            "limb_transform": "anatomy_to_lps maps the anatomy frame to this visit's LPS; baseline_lps_to_this_lps "
            "maps a point of the baseline scan to the same anatomy in this scan",
        },
        "subjects": [],
    }
    n_series = n_files = n_bytes = 0
    for subject in chosen:
        entry, files, written = _generate_subject(out, subject, seed, cfg, progress, expected)
        truth["subjects"].append(entry)
        n_series += len(subject.visits)
        n_files += files
        n_bytes += written
    text = json.dumps(truth, indent=1, sort_keys=False) + "\n"
    (out / "ground_truth.json").write_text(text, encoding="utf-8")
    n_bytes += len(text.encode())
    return DemoTrialSummary(out=out, subjects=len(chosen), series=n_series, files=n_files, bytes=n_bytes)


@dataclass(frozen=True)
class VisitSpec:
    """One planned visit of a subject: what `make_phantom_volume(spec, phantom_seed)` draws for it."""

    label: str
    visit: Visit
    spec: PhantomSpec
    phantom_seed: int


def visit_specs(subject: Subject, seed: int = 0, size: int = 256) -> list[VisitSpec]:
    """The phantom specs of every visit of `subject`, exactly as `generate_demo_trial` draws them.

    Why public: tests of later layers (registration, segmentation, the GUI) need the demo trial's images and poses
    in memory, without writing and re-reading DICOM, and must get the very same limb placements and table shifts.
    """
    if size not in SIZES:
        raise ValueError(f"size must be one of {sorted(SIZES)}, not {size}")
    cfg = SIZES[size]
    rng = np.random.default_rng(np.random.SeedSequence([seed, int(subject.code[-2:]), 9100]))
    subject_seed = seed * 1000 + int(subject.code[-2:])
    out: list[VisitSpec] = []
    for i, (visit, label) in enumerate(zip(subject.visits, TIMEPOINT_LABELS, strict=True)):
        pose = _visit_pose(rng, subject, i)
        z_shift = 0.0 if i == 0 else float(round(rng.uniform(-10.0, 10.0) * 2) / 2)
        grid = _grid(cfg, visit.modality, subject.affected_side, z_shift)
        tumour = TumourSpec(
            centre_mm=subject.tumour_centre_mm,
            semi_axes_mm=subject.tumour_semi_axes_mm,
            yaw_deg=subject.tumour_yaw_deg,
            size_scale=visit.size_scale,
            necrosis_fraction=visit.necrosis_fraction,
            lattice_radius_mm=visit.lattice_radius_mm,
        )
        spec = PhantomSpec(
            modality=visit.modality,
            grid=grid,
            pose=pose,
            tumour=tumour,
            affected_side=subject.affected_side,
            lymph_node=subject.lymph_node,
            new_lesion=visit.new_lesion,
            noise_sd=12.0 if visit.modality == "CT" else 14.0,
        )
        out.append(VisitSpec(label=label, visit=visit, spec=spec, phantom_seed=subject_seed))
    return out


def _generate_subject(
    out: Path, subject: Subject, seed: int, cfg: SizeConfig, progress: ProgressFn | None, expected: ExpectedFn | None
) -> tuple[dict[str, Any], int, int]:
    baseline_date = subject.rt_end - timedelta(days=46)
    dates = [baseline_date + timedelta(days=VISIT_JITTER_DAYS[0])]
    dates += [
        subject.rt_end + timedelta(days=d + j) for d, j in zip(FOLLOW_UP_DAYS, VISIT_JITTER_DAYS[1:], strict=True)
    ]
    days = [(d - dates[0]).days for d in dates]
    birth = date(
        int(subject.identity.birth_date[:4]),
        int(subject.identity.birth_date[4:6]),
        int(subject.identity.birth_date[6:]),
    )
    folder = out / subject.code
    timepoints: list[dict[str, Any]] = []
    baseline_pose: Pose | None = None
    files = written = 0
    diameters: list[float] = []
    densities: list[float | None] = []
    assess_tps: list[dict[str, Any]] = []
    for i, planned in enumerate(visit_specs(subject, seed, cfg.matrix)):
        visit, label, spec = planned.visit, planned.label, planned.spec
        grid, pose = spec.grid, spec.pose
        if baseline_pose is None:
            baseline_pose = pose
        result = make_phantom_volume(spec, seed=planned.phantom_seed)
        _check_inside(result, subject.code, label)
        study_uid = _uid(seed, subject.code, label, "study")
        series_uid = _uid(seed, subject.code, label, "series")
        for_uid = _uid(seed, subject.code, label, "frame-of-reference")
        age_years = dates[i].year - birth.year - ((dates[i].month, dates[i].day) < (birth.month, birth.day))
        ct = visit.modality == "CT"
        manufacturer, model, station = subject.manufacturer if ct else subject.mr_equipment
        header = SeriesHeader(
            patient=subject.identity,
            study_instance_uid=study_uid,
            series_instance_uid=series_uid,
            frame_of_reference_uid=for_uid,
            study_date=dates[i].strftime("%Y%m%d"),
            study_time=f"{9 + (i * 2 + int(subject.code[-1])) % 8:02d}{(17 * i + 5) % 60:02d}00",
            accession_number=f"A{subject.accession_base + 37 * i}",
            study_id=str(4100 + 10 * int(subject.code[-2:]) + i),
            study_description="CT THIGHS WITH CONTRAST" if ct else "MR THIGH WITH AND WITHOUT CONTRAST",
            series_description="AX 5.0 SOFT TISSUE PORTAL VENOUS" if ct else "AX T1 FS POST GD",
            series_number=3 if ct else 9,
            patient_age=f"{age_years:03d}Y",
            station_name=station,
            manufacturer=manufacturer,
            model_name=model,
            contrast_agent="IOHEXOL 350 MG I/ML" if ct else "GADOTERATE MEGLUMINE 0.5 MMOL/ML",
            contrast_volume_ml=100.0 if ct else 14.0,
            contrast_ingredient="IODINE" if ct else "GADOLINIUM",
            contrast_concentration=350.0 if ct else 0.5,
            laterality="" if ct else ("R" if subject.affected_side < 0 else "L"),
        )
        result.volume.series_instance_uid = series_uid
        result.volume.study_instance_uid = study_uid
        result.volume.frame_of_reference_uid = for_uid
        series_dir = folder / f"{label}_{visit.modality}"
        paths = write_series(result.volume, header, series_dir)
        files += len(paths)
        written += sum(p.stat().st_size for p in paths)
        mask_rel = f"{subject.code}/masks/{label}.npz"
        _save_mask_npz(out / mask_rel, result.lesion_mask, result)
        written += (out / mask_rel).stat().st_size
        if progress is not None:
            progress(f"{subject.code} {label:>8} {visit.modality}: {len(paths)} slices")
        t1 = result.truth["T1"]
        diameters.append(round(t1.longest_axial_diameter_mm, 1))
        densities.append(round(t1.mean, 1) if ct else None)
        lesions = {}
        for key, lt in result.truth.items():
            d = lt.to_dict()
            d["unit"] = "HU" if ct else "signal"
            d["sop_instance_uid"] = sop_instance_uid(series_uid, lt.axial_slice_index)
            lesions[key] = d
        to_baseline = pose.matrix @ np.linalg.inv(baseline_pose.matrix)
        timepoints.append(
            {
                "label": label,
                "day": days[i],
                "study_date": dates[i].isoformat(),
                "modality": visit.modality,
                "contrast": True,
                "study_instance_uid": study_uid,
                "series_instance_uid": series_uid,
                "frame_of_reference_uid": for_uid,
                "series_dir": f"{subject.code}/{series_dir.name}",
                "mask": mask_rel,
                "shape_zyx": list(result.volume.shape),
                "pixel_spacing_mm": list(result.volume.pixel_spacing),
                "slice_thickness_mm": grid.slice_spacing,
                "table_z_origin_mm": grid.first_z,
                "scenario": {
                    "size_scale": visit.size_scale,
                    "necrosis_fraction": visit.necrosis_fraction,
                    "lattice_radius_mm": visit.lattice_radius_mm,
                    "lattice_vertices": len(_lattice(result)) if visit.lattice_radius_mm > 0 else 0,
                },
                "limb_transform": {
                    "rotation_deg_xyz": list(pose.rotation_deg),
                    "translation_mm": list(pose.translation_mm),
                    "pivot_anatomy_mm": list(pose.pivot),
                    "anatomy_to_lps": _matrix_list(pose.matrix),
                    "baseline_lps_to_this_lps": _matrix_list(to_baseline),
                },
                "lesions": lesions,
            }
        )
        tp: dict[str, Any] = {
            "label": label,
            "day": days[i],
            "modality": visit.modality,
            "contrast": True,
            "slice_thickness_mm": grid.slice_spacing,
            "targets": {"T1": {"diameter_mm": diameters[-1], "mean_hu": densities[-1]}},
            "new_lesions": "yes" if visit.new_lesion else "no",
        }
        if subject.lymph_node:
            tp["non_targets"] = {"NT1": "present"}
        if i > 0:
            tp["new_intratumoral_nodules"] = False
        assess_tps.append(tp)
    lesions_doc: list[dict[str, Any]] = [{"id": "T1", "role": "target", "organ": "thigh", "nodal": False}]
    if subject.lymph_node:
        lesions_doc.append({"id": "NT1", "role": "non-target", "organ": "lymph node", "nodal": True})
    case = {"options": {"randomized": True, "min_sd_days": 42}, "lesions": lesions_doc, "timepoints": assess_tps}
    responses = None
    if expected is not None:
        responses = expected(case)
        _check_scenario(subject, responses)
    case_text = json.dumps(case, indent=1) + "\n"
    (folder / "assess_case.json").write_text(case_text, encoding="utf-8")
    written += len(case_text.encode())
    entry = {
        "subject": subject.code,
        "arm": subject.arm,
        "rt_end_date": subject.rt_end.isoformat(),
        "affected_side": "right" if subject.affected_side < 0 else "left",
        "modalities": sorted({v.modality for v in subject.visits}),
        "identity": {
            "patient_name": subject.identity.name,
            "patient_id": subject.identity.patient_id,
            "birth_date": subject.identity.birth_date,
            "sex": subject.identity.sex,
            "institution": subject.identity.institution,
            "referring_physician": subject.identity.referring_physician,
            "accession_numbers": [f"A{subject.accession_base + 37 * i}" for i in range(len(subject.visits))],
        },
        "assess_case": f"{subject.code}/assess_case.json",
        "timepoints": timepoints,
    }
    if responses is not None:
        entry["expected"] = responses
    return entry, files, written


def _lattice(result: PhantomResult) -> list[tuple[float, float, float]]:
    return lattice_vertices(result.spec.tumour)


def _check_inside(result: PhantomResult, code: str, label: str) -> None:
    """Every lesion must lie wholly inside the scanned volume, or its truth would describe a cut lesion."""
    m = result.lesion_mask
    for name, plane in (
        ("first slice", m[0]),
        ("last slice", m[-1]),
        ("left edge", m[:, :, 0]),
        ("right edge", m[:, :, -1]),
        ("top edge", m[:, 0, :]),
        ("bottom edge", m[:, -1, :]),
    ):
        if plane.any():
            raise ScenarioError(f"{code} {label}: a lesion touches the {name} of the scan")


def _check_scenario(subject: Subject, expected: dict[str, Any]) -> None:
    got_r = tuple(expected["recist1.1"]["timepoints"])
    got_c = tuple(expected["choi"]["timepoints"])
    if got_r != subject.expected_recist or got_c != subject.expected_choi:
        raise ScenarioError(
            f"{subject.code}: the generated truth gives RECIST {got_r} and Choi {got_c}, the scenario wants "
            f"{subject.expected_recist} and {subject.expected_choi}"
        )
    if expected["robustness_pct"] < MIN_ROBUSTNESS_PCT:
        raise ScenarioError(
            f"{subject.code}: a response changes when one measurement moves by {expected['robustness_pct']} %"
        )

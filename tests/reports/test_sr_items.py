"""The SR beyond the measured lines: non-target statuses, new lesions, too small / disappeared / not evaluable,
fragments, volume, timepoint findings and both criteria's responses; validated by dciodvfy, shown by dsrdump,
restored by `import-sr` (which starts the timepoint itself), and free of identifiers in a blinded read."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pydicom import dcmread
from pydicom.uid import generate_uid

from sfrt_reader.imaging.deidentify import remap_uid
from sfrt_reader.reports.errors import ReportError
from sfrt_reader.reports.sr import write_sr
from sfrt_reader.reports.sr_import import import_sr
from tests.reports.conftest import PASSWORD, PSEUDONYM, DemoRead, build_read, measurement_objects
from tests.reports.test_reports import _cli, assert_clean

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("dcmdump", "dciodvfy", "dsrdump")), reason="needs dcmtk and dicom3tools"
)

LABELS = ("baseline", "3m", "6m")


@dataclass
class RichRead:
    read: DemoRead
    paths: list[Path]


def _t1(read: DemoRead, label: str, volume_ml: float) -> None:
    """T1 from the generator's truth, with its drawn lines and region on the de-identified image, and a volume."""
    secret, _ = read.service.subject_secrets(PSEUDONYM)
    tp = next(t for t in read.subject["timepoints"] if t["label"] == label)
    lesion = tp["lesions"]["T1"]
    series, sop = remap_uid(tp["series_instance_uid"], secret), remap_uid(lesion["sop_instance_uid"], secret)
    objects = measurement_objects(lesion, series, sop)
    read.session.record_measurement(
        read.read_id,
        label,
        "T1",
        diameter_mm=objects[0]["long_mm"],
        short_axis_mm=objects[0]["short_mm"],
        volume_ml=volume_ml,
        objects=objects,
    )


@pytest.fixture
def rich_read(demo_trial: Path, truth: dict[str, Any], tmp_path: Path) -> Iterator[RichRead]:
    """A blinded central read whose three timepoints use every state the SR must carry."""
    read = build_read(demo_trial, truth, tmp_path, "central", sign=False)  # baseline: T1 measured, NT1 present
    s, rid = read.session, read.read_id
    _t1(read, "baseline", 41.25)
    s.add_lesion(rid, "T2", "target", "lung")
    s.record_measurement(rid, "baseline", "T2", diameter_mm=22.0)
    s.add_lesion(rid, "T3", "target", "liver")
    s.record_measurement(rid, "baseline", "T3", diameter_mm=21.0)
    s.add_lesion(rid, "NT2", "non-target", "bone")
    s.set_non_target(rid, "baseline", "NT2", "present")
    s.sign(rid, "baseline", PASSWORD)

    s.start_timepoint(rid, "3m")
    _t1(read, "3m", 30.5)
    s.record_measurement(rid, "3m", "T2", fragments_mm=[12.5, 8.25])  # split in two
    s.record_measurement(rid, "3m", "T3", status="disappeared")
    s.set_non_target(rid, "3m", "NT1", "absent")
    s.set_non_target(rid, "3m", "NT2", "not_evaluated")
    s.set_timepoint(rid, "3m", new_intratumoral_nodules=True)
    s.sign(rid, "3m", PASSWORD)

    s.start_timepoint(rid, "6m")
    _t1(read, "6m", 28.0)
    s.record_measurement(rid, "6m", "T2", status="too_small")
    s.record_measurement(rid, "6m", "T3", status="not_evaluable")
    s.set_non_target(rid, "6m", "NT1", "progression")
    s.set_non_target(rid, "6m", "NT2", "present")
    s.add_lesion(rid, "N9", "new", "lung", label="6m")
    s.record_measurement(rid, "6m", "N9", diameter_mm=8.5)
    s.set_timepoint(rid, "6m", new_lesions="yes")
    s.sign(rid, "6m", PASSWORD)
    paths = write_sr(s, rid, tmp_path / "sr")
    yield RichRead(read, paths)
    read.service.db.close()


def dsrdump(path: Path) -> str:
    return subprocess.run(["dsrdump", str(path)], capture_output=True, text=True, check=True).stdout


def test_every_state_is_in_the_tree_and_validates(rich_read: RichRead) -> None:
    assert len(rich_read.paths) == 3
    trees = {}
    for label, path in zip(LABELS, rich_read.paths, strict=True):
        check = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
        errors = [line for line in (check.stdout + check.stderr).splitlines() if line.startswith("Error")]
        assert errors == [], (label, errors)
        trees[label] = dsrdump(path)
        # The private scheme is declared in the dataset.
        dump = subprocess.run(["dcmdump", str(path)], capture_output=True, text=True, check=True).stdout
        assert re.search(r"\(0008,0110\).*\n(.*\n)*?.*\(0008,0102\) SH \[99SFRT\]", dump), label
        assert "sfrt-reader private codes" in dump
    base, m3, m6 = trees["baseline"], trees["3m"], trees["6m"]
    # Fragments (mm) at 3m and volume (ml, from the segmented voxels).
    assert re.search(r'"Longest diameter of a lesion fragment"\)="12\.5" \(mm,UCUM', m3)
    assert re.search(r'"Longest diameter of a lesion fragment"\)="8\.25" \(mm,UCUM', m3)
    assert re.search(r'"Volume"\)="41\.25" \(ml,UCUM', base)
    assert '"Sum of segmented voxel method for volume"' in base
    # Non-target statuses, one group per non-target, standard codes where they exist.
    assert re.search(r'"Non-target lesion status"\)=\(52101004,SCT,"Present"\)', base)
    assert re.search(r'"Non-target lesion status"\)=\(272519000,SCT,"Absent"\)', m3)
    assert re.search(r'"Non-target lesion status"\)=\(373121007,SCT,"Not Evaluated"\)', m3)
    assert re.search(r'"Non-target lesion status"\)=\(UNEQPROG,99SFRT,"Unequivocal progression"\)', m6)
    # Measurement states.
    assert '"Measurement status")=(TOO_SMALL,99SFRT,"Too small to measure")' in m6
    assert '"Measurement status")=(DISAPPEARED,99SFRT,"Disappeared")' in m3
    assert '"Measurement status")=(NOT_EVALUABLE,99SFRT,"Not evaluable")' in m6
    # The new lesion and the timepoint findings.
    assert '"Tracking Identifier")="N9"' in m6 and '(NEW,99SFRT,"new")' in m6
    assert re.search(r'"New lesions"\)=\(373066001,SCT,"Yes"\)', m6)
    assert re.search(r'"New lesions"\)=\(373067005,SCT,"No"\)', m3)
    assert re.search(r'"New intratumoral nodules"\)=\(373066001,SCT,"Yes"\)', m3)
    assert '"Qualitative Evaluations"' in m6
    # Responses with their criteria as concept modifiers: at 6m unequivocal non-target progression and a new
    # lesion make both criteria PD (RECIST 1.1 table 1; Choi keeps RECIST's non-target and new-lesion rules).
    for criterion in (r'\(126081,DCM,"RECIST 1\.1"\)', r'\(CHOI,99SFRT,"Choi criteria"\)'):
        assert re.search(
            r'"Current Response"\)=\(PD,99SFRT,"Progressive disease"\)>\s*<has concept mod CODE:\(,,'
            r'"Response Evaluation Method"\)=' + criterion,
            m6,
        ), criterion
        assert re.search(
            r'"Non-target lesion response"\)=\(112047,DCM,"Non-Target Lesion Progressive Disease"\)>\s*'
            r'<has concept mod CODE:\(,,"Response Evaluation Method"\)=' + criterion,
            m6,
        ), criterion
    # Baseline has no response to report.
    assert '"Current Response"' not in base


def test_round_trip_restores_every_item_and_starts_the_timepoints(rich_read: RichRead) -> None:
    read = rich_read.read
    read.service.add_reader("reader2", "Dr Reader Two", "reader", PASSWORD, actor="manager")
    s2 = read.service.login("reader2", PASSWORD)
    rid2 = None
    for label, path in zip(LABELS, rich_read.paths, strict=True):
        result = import_sr(s2, path)
        assert (result.label, result.started) == (label, True)
        rid2 = result.read_id
        s2.sign(rid2, label, PASSWORD)
        # The responses the SR carries are those the engine computes from the restored values.
        stored = next(tp for tp in s2.view(rid2).timepoints if tp.label == label).results or {}
        for criterion, responses in result.responses.items():
            for name, value in responses.items():
                assert stored[criterion][name] == value, (label, criterion, name)
        if label != "baseline":
            assert set(result.responses) == {"recist1.1", "choi"}
    assert rid2 is not None
    v1, v2 = read.session.view(read.read_id), s2.view(rid2)
    assert [(x.code, x.role, x.organ, x.nodal, x.first_label) for x in v1.lesions] == [
        (x.code, x.role, x.organ, x.nodal, x.first_label) for x in v2.lesions
    ]
    for a, b in zip(v1.timepoints, v2.timepoints, strict=True):
        assert (a.label, a.non_targets, a.new_lesions, a.new_intratumoral_nodules) == (
            b.label,
            b.non_targets,
            b.new_lesions,
            b.new_intratumoral_nodules,
        )
        numbers = [
            (m.lesion, m.status, m.diameter_mm, m.short_axis_mm, m.mean_hu, m.volume_ml, m.unit, m.fragments_mm)
            for m in a.measurements
        ]
        assert numbers == [
            (m.lesion, m.status, m.diameter_mm, m.short_axis_mm, m.mean_hu, m.volume_ml, m.unit, m.fragments_mm)
            for m in b.measurements
        ]
        assert a.results == b.results
    assert v2.timepoints[2].results["recist1.1"]["overall"] == "PD"  # type: ignore[index]


def test_import_refuses_an_unknown_or_misassigned_study_and_writes_nothing(rich_read: RichRead, tmp_path: Path) -> None:
    read = rich_read.read
    read.service.add_reader("reader2", "Dr Reader Two", "reader", PASSWORD, actor="manager")
    s2 = read.service.login("reader2", PASSWORD)
    ds = dcmread(rich_read.paths[0])
    ds.StudyInstanceUID = generate_uid()
    ds.save_as(tmp_path / "unknown.dcm")
    with pytest.raises(ReportError, match=r"^unknown\.dcm measures a study that is not in this database"):
        import_sr(s2, tmp_path / "unknown.dcm")
    login = ["--user", "reader2", "--password-stdin", "--db", str(read.db_path)]
    done = _cli(["import-sr", str(tmp_path / "unknown.dcm"), *login])
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "not in this database" in done.stderr
    # The 3m SR relabelled 6m: its study is assigned to 3m.
    ds = dcmread(rich_read.paths[1])

    def relabel(items: Any) -> None:
        for item in items:
            if item.ValueType == "TEXT" and item.ConceptNameCodeSequence[0].CodeValue == "C2348792":
                item.TextValue = "6m"
            relabel(item.get("ContentSequence", []))

    relabel(ds.ContentSequence)
    ds.save_as(tmp_path / "relabelled.dcm")
    with pytest.raises(ReportError, match=r"says timepoint '6m' but its study is assigned to '3m' of subject S-0101"):
        import_sr(s2, tmp_path / "relabelled.dcm")
    done = _cli(["import-sr", str(tmp_path / "relabelled.dcm"), *login])
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1
    assert "is assigned to '3m'" in done.stderr
    # A read of another subject, chosen with --read.
    read.service.add_subject("S-0102", "NB01", date(2025, 1, 1), actor="manager")
    other = s2.open_read("S-0102").read_id
    with pytest.raises(ReportError, match=rf"subject {PSEUDONYM}, but read {other} is of subject S-0102"):
        import_sr(s2, rich_read.paths[0], read_id=other)
    # Nothing was written: reader 2 has only the empty read of S-0102.
    assert [v.pseudonym for v in s2.views(s2.my_reads())] == ["S-0102"]
    assert s2.view(other).timepoints == ()
    # The 3m SR before the baseline is signed: the reading order is enforced with the usual message.
    with pytest.raises(Exception, match="timepoints are read in order: sign baseline before starting 3m"):
        import_sr(s2, rich_read.paths[1])
    # The command starts the baseline itself and says so.
    done = _cli(["import-sr", str(rich_read.paths[0]), *login])
    assert done.returncode == 0, done.stderr
    assert "baseline started" in done.stdout and "T1, NT1, T2, T3, NT2" in done.stdout


def test_blinded_sr_with_every_item_carries_no_identifier(rich_read: RichRead) -> None:
    subject = rich_read.read.subject
    for path in rich_read.paths:
        dump = subprocess.run(["dcmdump", str(path)], capture_output=True, text=True, check=True).stdout
        assert PSEUDONYM in dump
        assert_clean(dump, subject, path.name)
        assert_clean(dsrdump(path), subject, path.name)
        assert_clean(path.read_bytes().decode("latin-1"), subject, path.name)

"""What the SR carries beyond the measurements: an MR timepoint's mean signal intensity (DCM 110852, UCUM
[arb'U]) instead of a Hounsfield value, the reader's comments on the timepoint and on the lesion, the best overall
response as of the timepoint with the day (and, unblinded, the date) of first progression; checked with
dciodvfy and dsrdump against the generator's truth, and restored by `import-sr`."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from sfrt_reader.reports.sr import write_sr
from sfrt_reader.reports.sr_import import import_sr, parse_timepoint
from tests.reports.conftest import PASSWORD, build_read

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("dciodvfy", "dsrdump")), reason="needs dcmtk and dicom3tools"
)

MR_SUBJECT = 2  # demo-03: CT at baseline, MR (no Hounsfield scale) at every follow-up
PROGRESSING_SUBJECT = 1  # demo-02: RECIST and Choi progression at 9 months
COMMENTS = {"3m": "Peripheral enhancement; central necrosis new since baseline.", "9m": "Margin blurred by oedema"}


def dsrdump(path: Path) -> str:
    return subprocess.run(["dsrdump", "+Pl", str(path)], capture_output=True, text=True, check=True).stdout


def dciodvfy_errors(path: Path) -> list[str]:
    check = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
    return [line for line in (check.stdout + check.stderr).splitlines() if line.startswith("Error")]


def truth_tp(subject: dict[str, Any], label: str) -> dict[str, Any]:
    return next(t for t in subject["timepoints"] if t["label"] == label)


def test_mr_mean_is_signal_intensity_in_arbitrary_units_and_comes_back(
    demo_trial: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    read = build_read(demo_trial, truth, tmp_path, "central", subject_index=MR_SUBJECT, comments=COMMENTS)
    try:
        paths = write_sr(read.session, read.read_id, tmp_path / "sr")
        for label, path in zip(read.labels, paths, strict=True):
            assert dciodvfy_errors(path) == [], label
            tree = dsrdump(path)
            tp = truth_tp(read.subject, label)
            mean = tp["lesions"]["T1"]["mean"]
            if tp["modality"] == "MR":
                found = re.search(
                    r'"MR signal intensity"\)="([\d.]+)" \(\[arb\'U\],UCUM,"arbitrary unit"\)>\s*'
                    r'<has concept mod CODE:\(,,"Derivation"\)=\(373098007,SCT,"Mean"\)>\s*'
                    r"<inferred from SCOORD:\(,,\"Source\"\)=\(POLYLINE,",
                    tree,
                )
                assert found, label
                assert float(found.group(1)) == pytest.approx(mean, abs=1e-9)
                assert "Attenuation Coefficient" not in tree and "hnsf'U" not in tree
            else:
                found = re.search(r'"Attenuation Coefficient"\)="([\d.]+)" \(\[hnsf\'U\],UCUM', tree)
                assert found and float(found.group(1)) == pytest.approx(mean, abs=1e-9)
                assert "MR signal intensity" not in tree
            # The lesion's note in its group, the timepoint's comment in the timepoint's evaluations.
            assert re.search(
                r'"Tracking Identifier"\)="T1">(.*\n)*?\s*<contains TEXT:\(,,"Comment"\)="irradiated sarcoma">', tree
            )
            if label in COMMENTS:
                evaluations = tree[tree.index('"Qualitative Evaluations"') :]
                assert f'<contains TEXT:(,,"Comment")="{COMMENTS[label]}">' in evaluations
            else:
                assert tree.count('"Comment"') == 1  # the lesion's only
        # Round trip: reader 2's read gets the same numbers, units, comments and lesion note.
        read.service.add_reader("reader2", "Dr Reader Two", "reader", PASSWORD, actor="manager")
        s2 = read.service.login("reader2", PASSWORD)
        for label, path in zip(read.labels, paths, strict=True):
            result = import_sr(s2, path)
            assert result.label == label
            s2.sign(result.read_id, label, PASSWORD)
        v1, v2 = read.session.view(read.read_id), s2.view(result.read_id)
        assert [(x.code, x.description) for x in v2.lesions] == [(x.code, x.description) for x in v1.lesions]
        for a, b in zip(v1.timepoints, v2.timepoints, strict=True):
            assert b.comment == a.comment == COMMENTS.get(a.label)
            t1a, t1b = (next(m for m in t.measurements if m.lesion == "T1") for t in (a, b))
            assert (t1b.mean_hu, t1b.unit) == (t1a.mean_hu, t1a.unit)
            assert t1b.unit == ("signal" if a.modality == "MR" else "HU")
            assert a.results == b.results
    finally:
        read.service.db.close()


def test_best_response_and_progression_as_of_each_timepoint(
    demo_trial: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    """demo-02 progresses at 9 months: the 3m and 6m SRs know no progression, 9m and 12m give its day, and the
    local read's SR also its calendar date (the 9m study's date); the best response is SD by both criteria."""
    read = build_read(demo_trial, truth, tmp_path, "local", subject_index=PROGRESSING_SUBJECT)
    try:
        subject = read.subject
        expected = subject["expected"]
        paths = dict(zip(read.labels, write_sr(read.session, read.read_id, tmp_path / "sr"), strict=True))
        baseline_date = date.fromisoformat(truth_tp(subject, "baseline")["study_date"])
        for criterion, method in (("recist1.1", r'\(126081,DCM,"RECIST 1\.1"\)'), ("choi", r'\(CHOI,99SFRT,"Choi')):
            day = expected[criterion]["progression_day"]
            when = baseline_date + timedelta(days=day)
            assert when.isoformat() == truth_tp(subject, "9m")["study_date"]
            for label, path in paths.items():
                assert dciodvfy_errors(path) == [], label
                tree = dsrdump(path)
                if label == "baseline":
                    assert '"Best Overall Response"' not in tree
                    continue
                bor = re.search(
                    r'"Best Overall Response"\)=\((\w+),99SFRT,"[^"]+"\)>\s*'
                    r'<has concept mod CODE:\(,,"Response Evaluation Method"\)=' + method,
                    tree,
                )
                assert bor and bor.group(1) == "SD", (label, criterion)
                progression = re.search(
                    r'"Day of first progression from baseline"\)="([\d.]+)" \(d,UCUM,"day"\)>\s*'
                    r'<has concept mod CODE:\(,,"Response Evaluation Method"\)=' + method,
                    tree,
                )
                dated = re.search(
                    r'<contains DATE:\(,,"Date of first progression"\)="(\d{8})">\s*'
                    r'<has concept mod CODE:\(,,"Response Evaluation Method"\)=' + method,
                    tree,
                )
                if label in ("3m", "6m"):
                    assert progression is None and dated is None, label
                else:
                    assert progression and float(progression.group(1)) == day, label
                    assert dated and dated.group(1) == when.strftime("%Y%m%d"), label
        # import-sr reads them back as written.
        from pydicom import dcmread

        back = parse_timepoint(dcmread(paths["12m"]))
        for criterion in ("recist1.1", "choi"):
            day = expected[criterion]["progression_day"]
            assert back.best[criterion] == {
                "best_overall_response": expected[criterion]["best_overall_response"],
                "progression_day": day,
                "progression_date": (baseline_date + timedelta(days=day)).isoformat(),
            }
    finally:
        read.service.db.close()


def test_blinded_sr_gives_the_progression_day_but_never_a_date(
    demo_trial: Path, truth: dict[str, Any], tmp_path: Path
) -> None:
    read = build_read(demo_trial, truth, tmp_path, "central", subject_index=PROGRESSING_SUBJECT)
    try:
        paths = write_sr(read.session, read.read_id, tmp_path / "sr")
        tree = dsrdump(paths[-1])
        assert re.search(r'"Day of first progression from baseline"\)="323(\.0)?"', tree)
        assert "DATE:" not in tree and '"Date of first progression"' not in tree
        # A reader is not told how an adjudication went: no adjudication item in his SR.
        assert "adjudicat" not in tree.lower()
    finally:
        read.service.db.close()

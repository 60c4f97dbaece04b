"""Forms, tables and SR made from a demo subject read through the service, checked with independent tools:
pdftotext, qpdf, unzip of the XLSX, dcmdump, dciodvfy and dsrdump; numbers against the generator's truth."""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import sys
import zipfile
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from sfrt_reader.measurement.lines import Bidimensional
from sfrt_reader.measurement.regions import PolygonRegion
from sfrt_reader.reports import content as C
from sfrt_reader.reports.errors import ReportError
from sfrt_reader.reports.forms import write_form, write_summary
from sfrt_reader.reports.sr import write_sr
from sfrt_reader.reports.sr_import import import_sr
from sfrt_reader.reports.tables import build_tables, contexts_for, write_csv, write_xlsx
from tests.reports.conftest import PASSWORD, PSEUDONYM, DemoRead, build_read

TOOLS = ("pdftotext", "qpdf", "dcmdump", "dciodvfy", "dsrdump")
pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS), reason="needs poppler-utils, qpdf, dcmtk and dicom3tools"
)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def expected_overall(subject: dict[str, Any], criterion: str) -> dict[str, str]:
    labels = [tp["label"] for tp in subject["timepoints"]][1:]
    return dict(zip(labels, subject["expected"][criterion]["timepoints"], strict=True))


def truth_ld(subject: dict[str, Any], label: str, code: str = "T1") -> float:
    tp = next(t for t in subject["timepoints"] if t["label"] == label)
    return math.dist(*tp["lesions"][code]["longest_axial_line_lps"])


def identifiers(subject: dict[str, Any]) -> list[str]:
    """Every identifying string of the demo subject, in the forms they could appear in."""
    ident = subject["identity"]
    out = [ident["patient_id"], ident["institution"], ident["birth_date"]]
    b = ident["birth_date"]
    out.append(f"{b[:4]}-{b[4:6]}-{b[6:]}")
    out += [part for part in ident["patient_name"].split("^") if len(part) > 2]
    out += ident["accession_numbers"]
    for tp in subject["timepoints"]:
        out += [tp["study_date"], tp["study_date"].replace("-", "")]
    out.append(subject["rt_end_date"])
    out.append(subject["rt_end_date"].replace("-", ""))
    return out


def assert_clean(text: str, subject: dict[str, Any], what: str) -> None:
    for value in identifiers(subject):
        assert value.lower() not in text.lower(), f"{what} contains an identifier or a calendar date"


# ----- PDF forms -----


def test_form_has_the_numbers_responses_signature_and_hash(local_read: DemoRead, tmp_path: Path) -> None:
    s, rid, subject = local_read.session, local_read.read_id, local_read.subject
    out = tmp_path / "form.pdf"
    written = write_form(s, rid, "6m", out)
    text = pdf_text(out)
    assert subprocess.run(["qpdf", "--check", str(out)], capture_output=True).returncode == 0
    if Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").is_file():
        fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout
        dejavu = [line for line in fonts.splitlines() if "DejaVuSans" in line]
        assert dejavu and all(" yes " in line for line in dejavu)  # embedded (subset)
    ld6, ld0 = truth_ld(subject, "6m"), truth_ld(subject, "baseline")
    lds = [truth_ld(subject, lab) for lab in ("baseline", "3m", "6m")]
    assert f"{ld6:.1f}" in text and f"{ld0:.1f}" in text
    assert f"{min(lds[:2]):.1f}" in text  # the lesion's nadir before 6m
    assert f"{100 * (ld6 - ld0) / ld0:+.1f}%" in text
    assert f"{100 * (ld6 - min(lds[:2])) / min(lds[:2]):+.1f}%" in text
    mean6 = next(t for t in subject["timepoints"] if t["label"] == "6m")["lesions"]["T1"]["mean"]
    assert f"{mean6:.1f}" in text
    recist, choi = expected_overall(subject, "recist1.1")["6m"], expected_overall(subject, "choi")["6m"]
    assert re.search(rf"RECIST 1\.1\s.*\b{recist}\b", text)
    assert re.search(rf"Choi\s.*\b{choi}\b", text)
    # Local read: patient ID and the study date are on the form.
    assert subject["identity"]["patient_id"] in text
    assert next(t for t in subject["timepoints"] if t["label"] == "6m")["study_date"] in text
    # Signature manifest and the page footer.
    assert "I confirm this assessment" in text and "reader1" in text and "UTC" in text
    assert "page 1 of 2" in text and "page 2 of 2" in text
    assert text.count(f"content SHA-256 {written.sha256}") == 2
    # The hash is reproducible from the database and is the one recorded in the audit trail.
    ctx = C.gather(s, rid)
    assert C.sha256_of(C.form_content(s, ctx, "6m")) == written.sha256
    exports = [e for e in local_read.service.audit_events() if e["action"] == "export"]
    assert exports[-1]["after"]["sha256"] == written.sha256 and exports[-1]["after"]["timepoint"] == "6m"


def test_form_is_refused_for_an_unsigned_timepoint(demo_trial: Path, truth: dict[str, Any], tmp_path: Path) -> None:
    read = build_read(demo_trial, truth, tmp_path, "local", sign=False)
    with pytest.raises(ReportError, match="not signed"):
        write_form(read.session, read.read_id, "baseline", tmp_path / "x.pdf")
    assert not (tmp_path / "x.pdf").exists()


def test_summary_lists_every_timepoint_and_best_response(local_read: DemoRead, tmp_path: Path) -> None:
    out = tmp_path / "summary.pdf"
    write_summary(local_read.session, local_read.read_id, out)
    assert subprocess.run(["qpdf", "--check", str(out)], capture_output=True).returncode == 0
    text = pdf_text(out)
    subject = local_read.subject
    for label in local_read.labels:
        assert f"{truth_ld(subject, label):.1f}" in text
    assert re.search(rf"RECIST 1\.1\s+{subject['expected']['recist1.1']['best_overall_response']}\b", text)
    assert re.search(rf"Choi\s+{subject['expected']['choi']['best_overall_response']}\b", text)


# ----- blinding -----


def test_blinded_read_outputs_carry_no_identifier_or_date(central_read: DemoRead, tmp_path: Path) -> None:
    s, rid, subject = central_read.session, central_read.read_id, central_read.subject
    assert s.blinded
    write_form(s, rid, "3m", tmp_path / "form.pdf")
    write_summary(s, rid, tmp_path / "summary.pdf")
    for name in ("form.pdf", "summary.pdf"):
        text = pdf_text(tmp_path / name)
        assert PSEUDONYM in text and "central (blinded)" in text
        assert_clean(text, subject, name)
    tables = build_tables(contexts_for(s, [rid]))
    assert "patient_id" not in tables.lesions.columns and "study_date" not in tables.timepoints.columns
    for path in write_csv(tables, tmp_path / "trial.csv"):
        assert_clean(path.read_text(), subject, path.name)
    write_xlsx(tables, tmp_path / "trial.xlsx")
    with zipfile.ZipFile(tmp_path / "trial.xlsx") as z:
        xml = "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())
    assert_clean(xml, subject, "trial.xlsx")
    for path in write_sr(s, rid, tmp_path / "sr"):
        dump = subprocess.run(["dcmdump", str(path)], capture_output=True, text=True, check=True).stdout
        assert PSEUDONYM in dump
        assert_clean(dump, subject, path.name)


# ----- DICOM SR -----


def test_every_sr_validates_and_shows_the_tid1500_tree(central_read: DemoRead, tmp_path: Path) -> None:
    paths = write_sr(central_read.session, central_read.read_id, tmp_path / "sr")
    assert len(paths) == len(central_read.labels)
    for path in paths:
        check = subprocess.run(["dciodvfy", str(path)], capture_output=True, text=True)
        errors = [line for line in (check.stdout + check.stderr).splitlines() if line.startswith("Error")]
        assert errors == [], errors
        tree = subprocess.run(["dsrdump", str(path)], capture_output=True, text=True, check=True).stdout
        for needed in (
            '"Imaging Measurement Report"',
            '"Measurement Group"',
            '"Tracking Identifier")="T1"',
            '"Tracking Unique Identifier"',
            '"Long axis")=',
            "(mm,UCUM",
            '"Short axis")=',
            '"Attenuation Coefficient")=',
            "([hnsf'U],UCUM",
            "inferred from SCOORD",
            "(POLYLINE,",
            "selected from IMAGE",
            '"Time Point")=',
        ):
            assert needed in tree, (needed, path.name)
    # The lesion keeps one tracking UID across timepoints.
    uids = set()
    for path in paths:
        tree = subprocess.run(["dsrdump", str(path)], capture_output=True, text=True, check=True).stdout
        found = re.search(
            r'"Tracking Identifier"\)="T1">\s*<has obs context UIDREF:\(,,"Tracking Unique Identifier"\)="([\d.]+)"',
            tree,
        )
        assert found
        uids.add(found.group(1))
    assert len(uids) == 1


def test_sr_round_trip_restores_identical_measurements(central_read: DemoRead, tmp_path: Path) -> None:
    """Reader 1's SRs imported into reader 2's read of the same subject give the same measurements."""
    service, s1, rid1 = central_read.service, central_read.session, central_read.read_id
    paths = write_sr(s1, rid1, tmp_path / "sr")
    service.add_reader("reader2", "Dr Reader Two", "reader", PASSWORD, actor="manager")
    s2 = service.login("reader2", PASSWORD)
    for label, path in zip(central_read.labels, paths, strict=True):
        # Reader 2 neither opens the read nor starts the timepoint: the import does, from the SR's study.
        result = import_sr(s2, path)
        assert (result.label, result.started) == (label, True)
        s2.sign(result.read_id, label, PASSWORD)
    rid2 = result.read_id
    v1, v2 = s1.view(rid1), s2.view(rid2)
    # Non-targets (with their status at each timepoint) and new lesions come back too.
    assert [(x.code, x.role, x.organ, x.nodal, x.first_label) for x in v1.lesions] == [
        (x.code, x.role, x.organ, x.nodal, x.first_label) for x in v2.lesions
    ]
    for a, b in zip(v1.timepoints, v2.timepoints, strict=True):
        assert (a.non_targets, a.new_lesions, a.new_intratumoral_nodules) == (
            b.non_targets,
            b.new_lesions,
            b.new_intratumoral_nodules,
        )
        for m1, m2 in zip(a.measurements, b.measurements, strict=True):
            assert (m1.lesion, m1.status, m1.diameter_mm, m1.short_axis_mm, m1.mean_hu, m1.unit) == (
                m2.lesion,
                m2.status,
                m2.diameter_mm,
                m2.short_axis_mm,
                m2.mean_hu,
                m2.unit,
            )
            bidi1, bidi2 = m1.objects[0], m2.objects[0]
            for axis in ("long_axis", "short_axis"):
                assert bidi2[axis]["sop_instance_uid"] == bidi1[axis]["sop_instance_uid"]
                # SCOORD stores 32-bit floats: points come back within float32 rounding of pixel positions.
                for end in ("start", "end"):
                    assert np.allclose(bidi2[axis][end], bidi1[axis][end], rtol=0, atol=1e-3)
            poly1 = next(o for o in m1.objects if o["kind"] == "region_statistics")["region"]["points"]
            poly2 = next(o for o in m2.objects if o["kind"] == "polygon")["points"]
            assert np.allclose(poly1, poly2, rtol=0, atol=1e-3)
            # The restored objects are valid measurement-layer objects (crossing, perpendicular, closed outline).
            restored = Bidimensional.from_dict(bidi2)
            assert restored.long_mm == pytest.approx(m1.diameter_mm, abs=1e-3)
            PolygonRegion.from_dict(next(o for o in m2.objects if o["kind"] == "polygon"))
        assert a.results == b.results


def test_import_sr_refuses_a_file_that_is_not_an_sr(local_read: DemoRead, demo_trial: Path) -> None:
    image = next((demo_trial / "demo-01" / "baseline_CT").iterdir())
    with pytest.raises(ReportError, match="not a DICOM Structured Report"):
        import_sr(local_read.session, image)


# ----- tables -----


def test_csv_has_the_expected_columns_and_numbers(local_read: DemoRead, tmp_path: Path) -> None:
    tables = build_tables(contexts_for(local_read.session, [local_read.read_id]))
    paths = write_csv(tables, tmp_path / "trial.csv")
    assert [p.name for p in paths] == ["trial_lesions.csv", "trial_timepoints.csv", "trial_dictionary.csv"]
    lesions = pd.read_csv(paths[0])
    tps = pd.read_csv(paths[1])
    dictionary = pd.read_csv(paths[2])
    assert list(lesions.columns)[:6] == ["trial", "read_id", "read_type", "reader", "subject", "patient_id"]
    assert set(dictionary["column"]) == set(lesions.columns) | set(tps.columns)
    subject = local_read.subject
    t1 = lesions[lesions["lesion"] == "T1"].set_index("timepoint")
    for label in local_read.labels:
        assert t1.loc[label, "longest_diameter_mm"] == pytest.approx(truth_ld(subject, label), abs=1e-9)
        assert (
            t1.loc[label, "study_date"] == next(t for t in subject["timepoints"] if t["label"] == label)["study_date"]
        )
    assert (lesions["patient_id"] == subject["identity"]["patient_id"]).all()
    by_label = tps.set_index("timepoint")
    for label, want in expected_overall(subject, "recist1.1").items():
        assert by_label.loc[label, "recist_overall"] == want
    for label, want in expected_overall(subject, "choi").items():
        assert by_label.loc[label, "choi_overall"] == want
    # The rules work on the recorded values (0.1 mm); percentages are shown rounded toward zero to 0.1.
    base = Fraction(str(round(truth_ld(subject, "baseline"), 1)))
    last = Fraction(str(round(truth_ld(subject, "12m"), 1)))
    assert by_label.loc["12m", "recist_sum_mm"] == pytest.approx(float(last), abs=1e-9)
    change = 100 * (last - base) / base
    assert by_label.loc["12m", "recist_change_from_baseline_pct"] == pytest.approx(
        math.trunc(change * 10) / 10, abs=1e-9
    )
    assert set(tps["recist_best_overall_response"]) == {subject["expected"]["recist1.1"]["best_overall_response"]}
    write_xlsx(tables, tmp_path / "trial.xlsx")
    sheets = pd.read_excel(tmp_path / "trial.xlsx", sheet_name=None)
    assert list(sheets) == ["lesions", "timepoints", "dictionary"]
    assert len(sheets["lesions"]) == len(lesions)


# ----- commands -----


def _cli(args: list[str], stdin: str = PASSWORD + "\n") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sfrt_reader", *args], input=stdin, capture_output=True, text=True, env=os.environ
    )


def test_commands_report_export_and_errors(local_read: DemoRead, tmp_path: Path) -> None:
    db = str(local_read.db_path)
    login = ["--user", "reader1", "--password-stdin", "--db", db]
    rid = str(local_read.read_id)
    done = _cli(["report", "--read", rid, "--timepoint", "3m", "-o", str(tmp_path / "f.pdf"), *login])
    assert done.returncode == 0, done.stderr
    assert "SHA-256" in done.stdout and (tmp_path / "f.pdf").stat().st_size > 10_000
    done = _cli(["report", "--read", rid, "--summary", "-o", str(tmp_path / "s.pdf"), *login])
    assert done.returncode == 0, done.stderr
    done = _cli(["export", "--format", "csv", "--all", "-o", str(tmp_path / "t.csv"), *login])
    assert done.returncode == 0, done.stderr
    assert len(pd.read_csv(tmp_path / "t_timepoints.csv")) == len(local_read.labels)
    done = _cli(["report", "--read", rid, "--timepoint", "24m", "-o", str(tmp_path / "g.pdf"), *login])
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "no timepoint '24m'" in done.stderr and len(done.stderr.strip().splitlines()) == 1
    done = _cli(["report", "--read", rid, "--timepoint", "3m", "-o", str(tmp_path / "f2.pdf"), *login], stdin="bad\n")
    assert done.returncode == 2 and "wrong password" in done.stderr
    done = _cli(["export", "--format", "sr", "--read", rid, "-o", str(tmp_path / "sr"), *login])
    assert done.returncode == 0, done.stderr
    sr_file = sorted((tmp_path / "sr").iterdir())[0]
    done = _cli(["import-sr", str(sr_file), *login])
    assert done.returncode == 2 and "signed and read-only" in done.stderr

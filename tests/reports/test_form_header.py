"""What a monitor checks on the PDF forms besides the numbers: the reading protocol (its SHA-256, the criteria and
their options in words), what the blinding means, what the signature means, "page x of y" on every page, and the
version of an amended timepoint; read back with pdftotext, structure checked with qpdf."""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import pydicom
import pytest

from sfrt_reader.reports.forms import write_form, write_summary
from sfrt_reader.reports.sr import write_sr
from tests.reports.conftest import PASSWORD, DemoRead

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("pdftotext", "qpdf")), reason="needs poppler-utils and qpdf"
)

PROTOCOL_FILE = Path(__file__).parents[2] / "sfrt_reader" / "resources" / "protocols" / "NCT06980259.toml"


def pages(path: Path) -> list[str]:
    """The text of each page (pdftotext separates pages with a form feed)."""
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [page for page in text.split("\f") if page.strip()]


def flat(text: str) -> str:
    return " ".join(text.split())


def check_pdf(path: Path) -> list[str]:
    assert subprocess.run(["qpdf", "--check", str(path)], capture_output=True).returncode == 0
    found = pages(path)
    for number, page in enumerate(found, start=1):
        marks = re.findall(r"page (\d+) of (\d+)", page)
        assert marks == [(str(number), str(len(found)))], (path.name, number, marks)
    return found


def test_blinded_form_states_protocol_rules_blinding_and_signature(central_read: DemoRead, tmp_path: Path) -> None:
    s, rid = central_read.session, central_read.read_id
    write_form(s, rid, "3m", tmp_path / "form.pdf")
    text = flat("\n".join(check_pdf(tmp_path / "form.pdf")))
    digest = hashlib.sha256(PROTOCOL_FILE.read_bytes()).hexdigest()
    assert f"SHA-256 {digest[:16]}" in text and digest in text
    assert "SFRT-RF version 1.2" in text and "RECIST 1.1 and Choi" in text
    # The protocol's criteria options (NCT06980259.toml: randomized, min_sd_days 42), in words.
    assert "randomised trial: a response needs no confirmation" in text
    assert "stable disease at least 42 days after baseline" in text
    assert "the irradiated tumour is measurable (protocol override of RECIST 1.1)" in text
    assert "Blinded central read: the subject's identity, site, treatment arm and calendar dates are withheld" in text
    assert "Local read" not in text
    assert "I confirm this assessment" in text
    assert "electronic signature by entering his or her password at signing" in text
    write_summary(s, rid, tmp_path / "summary.pdf")
    summary = flat("\n".join(check_pdf(tmp_path / "summary.pdf")))
    assert "Blinded central read" in summary and digest in summary and "SFRT-SUM version 1.2" in summary


def test_local_form_says_unblinded_and_summary_keeps_the_signed_version_during_an_amendment(
    local_read: DemoRead, tmp_path: Path
) -> None:
    s, rid = local_read.session, local_read.read_id
    write_form(s, rid, "6m", tmp_path / "form.pdf")
    text = flat("\n".join(check_pdf(tmp_path / "form.pdf")))
    assert "Local read by a site radiologist, unblinded" in text and "Blinded central read" not in text
    before = s.view(rid).timepoints[2]
    assert before.label == "6m"
    s.amend(rid, "6m", "T1 long axis re-drawn on the adjacent slice")
    t1 = next(m for m in before.measurements if m.lesion == "T1")
    assert t1.diameter_mm is not None
    s.record_measurement(rid, "6m", "T1", diameter_mm=t1.diameter_mm + 7.0, short_axis_mm=t1.short_axis_mm)
    # While the amendment is a draft, the form and the SR of 6m are those of the signed version 1.
    write_form(s, rid, "6m", tmp_path / "form-v1.pdf")
    form_v1 = flat("\n".join(check_pdf(tmp_path / "form-v1.pdf")))
    assert "6m (version 1)" in form_v1 and f"{t1.diameter_mm:.1f}" in form_v1
    assert f"{t1.diameter_mm + 7.0:.1f}" not in form_v1
    srs = {p.name.split("_")[-2]: p for p in write_sr(s, rid, tmp_path / "sr", record=False)}
    assert sorted(srs) == sorted(local_read.labels)
    six = pydicom.dcmread(srs["6m"])

    def items(node: pydicom.Dataset) -> list[pydicom.Dataset]:
        found = []
        for item in node.get("ContentSequence", []):
            found += [item, *items(item)]
        return found

    longs = [
        float(item.MeasuredValueSequence[0].FloatingPointValue)
        for item in items(six)
        if item.ValueType == "NUM" and item.ConceptNameCodeSequence[0].CodeMeaning == "Long axis"
    ]
    assert longs == [t1.diameter_mm]
    write_summary(s, rid, tmp_path / "amending.pdf")
    amending = flat("\n".join(check_pdf(tmp_path / "amending.pdf")))
    # The signed version 1 still counts (its sum is printed), the amendment is listed as not yet signed.
    sum_6m = before.results["recist1.1"]["sum_mm"] if before.results else None
    assert sum_6m is not None
    assert re.search(rf"\b6m 226 [^\n]*?{sum_6m:.1f}", amending)
    assert "Not yet signed: 6m" in amending
    s.sign(rid, "6m", PASSWORD)
    write_summary(s, rid, tmp_path / "amended.pdf")
    assert re.search(r"\b6m \(v2\) 226 ", flat("\n".join(check_pdf(tmp_path / "amended.pdf"))))

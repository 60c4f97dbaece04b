"""Header reading: the fast little-endian path gives exactly what pydicom's dcmread path gives, and falls back
to dcmread for everything it does not handle; records print no identifiers."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pydicom
import pytest
from pydicom.data import get_testdata_file
from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian

import sfrt_reader.imaging.headers as headers
from sfrt_reader.imaging.fastheader import fast_header
from sfrt_reader.imaging.headers import read_header
from tests.imaging.dicom_factory import (
    ACCESSION,
    BIRTH_DATE,
    INSTITUTION,
    PATIENT_ID,
    PATIENT_NAME,
    SeriesSpec,
    write_enhanced_ct,
    write_seg,
    write_series,
)


def _both(path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[object, object]:
    fast = read_header(str(path))
    with monkeypatch.context() as m:
        m.setattr(headers, "fast_header", lambda p: None)
        slow = read_header(str(path))
    return fast, slow


def _implicit(k: int, ds: pydicom.Dataset) -> None:
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian


@pytest.mark.parametrize("per_slice", [None, _implicit])
def test_fast_path_equals_dcmread(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_slice: object) -> None:
    spec = SeriesSpec(n=3, extra={"EchoNumbers": 2, "AcquisitionNumber": 7}, per_slice=per_slice)  # type: ignore[arg-type]
    for path in write_series(tmp_path, spec):
        assert fast_header(str(path)) is not None
        fast, slow = _both(path, monkeypatch)
        assert fast == slow
        assert fast.frames[0].pixel_offset is not None  # type: ignore[attr-defined]
        assert fast.frames[0].echo == "2" and fast.frames[0].acquisition == "7"  # type: ignore[attr-defined]


def test_non_ascii_text_is_decoded_with_the_character_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def latin1(k: int, ds: pydicom.Dataset) -> None:
        ds.SpecificCharacterSet = "ISO_IR 100"
        ds.SeriesDescription = "Oberschenkel nativ Größe"

    (path, *_) = write_series(tmp_path, SeriesSpec(n=1, per_slice=latin1))
    fast, slow = _both(path, monkeypatch)
    assert fast == slow
    assert fast.header.series_description == "Oberschenkel nativ Größe"  # type: ignore[attr-defined]


def test_files_the_fast_path_does_not_handle_fall_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    big_endian = get_testdata_file("MR_small_bigendian.dcm")
    deflated = get_testdata_file("image_dfl.dcm")
    no_preamble = get_testdata_file("ExplVR_LitEndNoMeta.dcm")
    enhanced = tmp_path / "enh.dcm"
    write_enhanced_ct(enhanced, SeriesSpec(n=3))
    for source in (big_endian, deflated, no_preamble):
        assert source is not None
        assert fast_header(source) is None
        fast, slow = _both(Path(source), monkeypatch)
        assert fast == slow
    assert pydicom.dcmread(big_endian, stop_before_pixels=True).file_meta.TransferSyntaxUID == ExplicitVRBigEndian
    fast, slow = _both(enhanced, monkeypatch)
    assert fast == slow and len(fast.frames) == 3  # type: ignore[attr-defined]


def _undefined_length_sequences(k: int, ds: pydicom.Dataset) -> None:
    """Sequences as many scanners write them: undefined length, nested, undefined-length items, a private one."""
    inner = pydicom.Dataset()
    inner.CodeValue, inner.CodingSchemeDesignator, inner.CodeMeaning = "T-15000", "SRT", "Thigh"
    ref = pydicom.Dataset()
    ref.ReferencedSOPClassUID = "1.2.840.10008.5.1.4.1.1.2"
    ref.ReferencedSOPInstanceUID = f"1.2.3.4.{k}"
    ref.PurposeOfReferenceCodeSequence = pydicom.Sequence([inner])
    ref.PurposeOfReferenceCodeSequence[0].is_undefined_length_sequence_item = True
    ds.ReferencedImageSequence = pydicom.Sequence([ref, pydicom.Dataset()])
    ds.ReferencedImageSequence[1].ReferencedSOPInstanceUID = "1.2.3.5"
    ref.is_undefined_length_sequence_item = True
    ds["ReferencedImageSequence"].is_undefined_length = True
    ref["PurposeOfReferenceCodeSequence"].is_undefined_length = True
    block = ds.private_block(0x0029, "SFRT TEST", create=True)
    private_item = pydicom.Dataset()
    private_item.PatientComments = "private"
    block.add_new(0x10, "SQ", pydicom.Sequence([private_item]))
    block[0x10].is_undefined_length = True
    ds.SeriesDescription = "after the sequences"


@pytest.mark.parametrize("per_slice", [None, _implicit])
def test_undefined_length_sequences_are_walked_not_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, per_slice: object
) -> None:
    def both(k: int, ds: pydicom.Dataset) -> None:
        _undefined_length_sequences(k, ds)
        if per_slice is not None:
            _implicit(k, ds)

    (path, *_) = write_series(tmp_path, SeriesSpec(n=2, per_slice=both))
    raw = path.read_bytes()
    assert raw.count(b"\xfe\xff\xdd\xe0") >= 3 and raw.count(b"\xfe\xff\x0d\xe0") >= 2  # really undefined lengths
    header = fast_header(str(path))
    assert header is not None
    seq = header.dataset().ReferencedImageSequence
    assert [item.get("ReferencedSOPInstanceUID") for item in seq] == ["1.2.3.4.0", "1.2.3.5"]
    assert seq[0].PurposeOfReferenceCodeSequence[0].CodeMeaning == "Thigh"
    fast, slow = _both(path, monkeypatch)
    assert fast == slow
    assert fast.header.series_description == "after the sequences"  # type: ignore[attr-defined]
    assert fast.frames[0].pixel_offset is not None  # type: ignore[attr-defined]


def test_broken_item_structure_is_left_to_dcmread(tmp_path: Path) -> None:
    (path, *_) = write_series(tmp_path, SeriesSpec(n=1, per_slice=_undefined_length_sequences))
    raw = path.read_bytes()
    broken = tmp_path / "broken.dcm"
    broken.write_bytes(raw.replace(b"\xfe\xff\xdd\xe0", b"\xfe\xff\xdd\xe1", 1))  # no sequence delimiter
    assert fast_header(str(broken)) is None


@pytest.mark.realdata
def test_fast_path_equals_dcmread_on_every_real_file(realdata: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compared = 0
    for path in sorted(p for p in realdata.rglob("*") if p.is_file()):
        if fast_header(str(path)) is None:
            continue
        fast, slow = _both(path, monkeypatch)
        assert fast == slow, path.name
        compared += 1
    assert compared >= 300


def test_truncated_header_is_left_to_dcmread(tmp_path: Path) -> None:
    (path, *_) = write_series(tmp_path, SeriesSpec(n=1))
    cut = tmp_path / "cut.dcm"
    cut.write_bytes(path.read_bytes()[:600])
    assert fast_header(str(cut)) is None


def test_records_print_no_identifiers(tmp_path: Path) -> None:
    folder = tmp_path / PATIENT_NAME.replace("^", "_")
    spec = SeriesSpec(n=1)
    (path,) = write_series(folder, spec)
    write_seg(folder / "seg.dcm", spec.study_uid, spec.series_uid)
    texts = [repr(read_header(str(path))), repr(read_header(str(folder / "seg.dcm")))]
    texts += [repr(read_header(str(path)).header), repr(read_header(str(path)).frames[0])]
    for text in texts:
        for ident in (PATIENT_NAME, "Testperson", PATIENT_ID, BIRTH_DATE, ACCESSION, INSTITUTION):
            assert ident not in text, text


@pytest.mark.parametrize(
    ("date", "time", "expected"),
    [
        ("20260105", "101732.123", datetime(2026, 1, 5, 10, 17, 32)),
        ("20260105", "10:17", datetime(2026, 1, 5, 10, 17)),
        ("20260105", "", datetime(2026, 1, 5)),
        ("20261305", "", None),
        ("2026", "", None),
        ("", "", None),
    ],
)
def test_parse_datetime(date: str, time: str, expected: datetime | None) -> None:
    assert headers.parse_datetime(date, time) == expected

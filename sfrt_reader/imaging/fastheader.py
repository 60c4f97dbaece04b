"""A fast header-only reader for the common case: little-endian files with defined-length elements.

Why not only pydicom.dcmread(stop_before_pixels=True): its element generator is general (big endian, deferred
reads, undefined lengths, validation hooks) and, with the Dataset it fills, costs about as much per file as
SimpleITK's GDCM scanner, while the catalogue must index a site's export at least twice as fast (see
bench/scan_bench.py). This reader splits a bounded prefix of the file into (VR, value bytes) pairs with one tight
loop, stops at the pixel data, and keeps them in a plain dict: the catalogue decodes the few simple values it needs
per file (ASCII text, binary numbers) itself, and anything else (non-ASCII text needing the character set,
sequences) goes through a pydicom Dataset built from the same elements on demand, so every such value is decoded
by pydicom exactly as dcmread would. Undefined-length sequences are parsed by pydicom's own read_sequence.
Anything unusual (no preamble, big endian, deflate, other undefined-length elements, unknown VRs, big files)
returns None and the caller falls back to dcmread, so correctness never depends on this shortcut.
"""

from __future__ import annotations

import io
import os
import struct
from typing import Any

from pydicom.charset import convert_encodings, default_encoding
from pydicom.datadict import dictionary_VR
from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.filereader import read_sequence
from pydicom.tag import BaseTag

# Every VR of PS3.5 (2024) with whether it has the 4-byte length form. A VR outside this table means a damaged
# or unusual file: dcmread decides what to do with it.
_VRS: dict[bytes, tuple[str, bool]] = {
    **{
        v.encode(): (v, False)
        for v in [
            "AE",
            "AS",
            "AT",
            "CS",
            "DA",
            "DS",
            "DT",
            "FD",
            "FL",
            "IS",
            "LO",
            "LT",
            "PN",
            "SH",
            "SL",
            "SS",
            "ST",
            "TM",
            "UI",
            "UL",
            "US",
        ]
    },
    **{v.encode(): (v, True) for v in ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]},
}
_EXPLICIT_LE_NATIVE = "1.2.840.10008.1.2.1"
_IMPLICIT_LE = "1.2.840.10008.1.2"
_NOT_HANDLED = {"1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99"}  # big endian, deflate
_PIXEL_GROUP = 0x7FE0
_UNDEFINED = 0xFFFFFFFF
_EXPLICIT_HEAD = struct.Struct("<HH2sH")
_IMPLICIT_HEAD = struct.Struct("<HHL")
_HH = struct.Struct("<HH")
_L = struct.Struct("<L")

_FIRST_READ = 16384  # the whole header of a typical CT/MR slice; a 512x512 slice's pixels are never read
_WHOLE_FILE_LIMIT = 16 * 2**20

# One element as read: (VR or None when implicit, value bytes, offset of the value in the file), or a pydicom
# DataElement for an undefined-length sequence (already parsed by pydicom).
Element = tuple[str | None, bytes, int] | DataElement


class RawHeader:
    """The elements of one header (or of its file meta group) by tag, decoded only on request.

    `dataset()` gives the same elements as a pydicom Dataset (built once, on first use), for values the
    catalogue leaves to pydicom. The top-level header's `file_meta` is the RawHeader of group 0002.
    """

    __slots__ = ("_dataset", "elements", "file_meta", "implicit", "is_meta", "pixel_offset", "transfer_syntax")

    def __init__(self, elements: dict[int, Element], implicit: bool, is_meta: bool = False) -> None:
        self.elements = elements
        self.implicit = implicit
        self.file_meta: RawHeader | None = None
        self.pixel_offset: int | None = None
        self.transfer_syntax = ""
        self._dataset: Dataset | None = None
        self.is_meta = is_meta

    def __contains__(self, tag: object) -> bool:
        return tag in self.elements

    def dataset(self) -> Dataset:
        """A pydicom Dataset of these elements; values are converted by pydicom when accessed, as after dcmread."""
        if self._dataset is None:
            raw: dict[BaseTag, Any] = {}
            for tag, item in self.elements.items():
                if isinstance(item, DataElement):
                    raw[BaseTag(tag)] = item
                else:
                    vr, value, start = item
                    raw[BaseTag(tag)] = RawDataElement(BaseTag(tag), vr, len(value), value, start, self.implicit, True)
            if self.is_meta:  # the file meta group
                self._dataset = FileMetaDataset(raw)
            else:
                ds = Dataset(raw)
                if self.file_meta is not None:
                    ds.file_meta = self.file_meta.dataset()  # type: ignore[assignment]
                ds.set_original_encoding(self.implicit, True, None)
                self._dataset = ds
        return self._dataset


class _Buffer:
    """The start of a file, read further on demand (headers are small; pixel data is never read)."""

    __slots__ = ("data", "fd")

    def __init__(self, fd: int, first: bytes) -> None:
        self.fd = fd
        self.data = first

    def load_all(self) -> bool:
        """Read the rest of the file (needed to find where an undefined-length sequence ends); refuse big files."""
        size = os.fstat(self.fd).st_size
        if size > _WHOLE_FILE_LIMIT:
            return False
        return self.ensure(size)

    def ensure(self, end: int) -> bool:
        while end > len(self.data):
            more = os.read(self.fd, max(65536, end - len(self.data)))
            if not more:
                return False
            self.data += more
        return True


def _parse(buf: _Buffer, pos: int, *, implicit: bool, meta_only: bool) -> tuple[dict[int, Element], int] | None:
    """Elements from `pos` up to the pixel data (or the end of group 0002 when meta_only), and where it stopped.

    Private elements (odd groups) are skipped: the catalogue never reads them, and skipping them keeps the
    per-file cost down on scanner files whose private groups hold most of the header.
    """
    elements: dict[int, Element] = {}
    data = buf.data
    size = len(data)
    head = _IMPLICIT_HEAD if implicit else _EXPLICIT_HEAD
    while True:
        if pos + 12 > size:
            buf.ensure(pos + 12)
            data = buf.data
            size = len(data)
            if pos + 8 > size:
                return elements, pos  # clean end of file
        if implicit:
            group, elem, length = head.unpack_from(data, pos)
            if group >= _PIXEL_GROUP:
                return elements, pos
            vr: str | None = None
            start = pos + 8
        else:
            group, elem, vr_bytes, length = head.unpack_from(data, pos)
            if group >= _PIXEL_GROUP or (meta_only and group != 0x0002):
                return elements, pos
            known = _VRS.get(vr_bytes)
            if known is None:
                return None
            vr, long_form = known
            if long_form:
                if pos + 12 > size:
                    return None
                length = _L.unpack_from(data, pos + 8)[0]
                start = pos + 12
            else:
                start = pos + 8
        tag = (group << 16) | elem
        if length == _UNDEFINED:
            # An undefined-length sequence: pydicom's own sequence reader parses it from the buffer.
            is_sq = vr == "SQ" if vr else (group % 2 == 0 and dictionary_VR(tag) == "SQ")
            if not is_sq or not buf.load_all():
                return None
            fp = io.BytesIO(buf.data)
            fp.seek(start)
            seq = read_sequence(fp, implicit, True, _UNDEFINED, _encoding(elements))
            if group & 1 == 0:
                elements[tag] = DataElement(BaseTag(tag), "SQ", seq, is_undefined_length=True)
            pos = fp.tell()
            data = buf.data
            size = len(data)
            continue
        end = start + length
        if end > size:
            if not buf.ensure(end):
                return None  # truncated: pydicom reports it in its own words
            data = buf.data
            size = len(data)
        if group & 1 == 0:
            elements[tag] = (vr, data[start:end], start)
        pos = end


def _encoding(elements: dict[int, Element]) -> str | list[str]:
    """The Python codecs for the SpecificCharacterSet read so far (it precedes any sequence in the file)."""
    charset = elements.get(0x00080005)
    if charset is None or isinstance(charset, DataElement) or not charset[1]:
        return default_encoding
    values = [v.strip(" \x00") for v in charset[1].decode("ascii", "replace").split("\\")]
    return convert_encodings(values)


def fast_header(path: str) -> RawHeader | None:
    """The header of a little-endian DICOM file (no pixel data) as a RawHeader, or None to fall back to dcmread.

    Also records where the native (uncompressed) PixelData value starts in the file, when it does, so the
    loader can read the pixels straight into its array without parsing the header a second time.
    """
    fd = os.open(path, os.O_RDONLY)
    try:
        first = os.read(fd, _FIRST_READ)
        if len(first) < 144 or first[128:132] != b"DICM":
            return None
        buf = _Buffer(fd, first)
        parsed = _parse(buf, 132, implicit=False, meta_only=True)
        if parsed is None:
            return None
        meta_elements, pos = parsed
        ts_elem = meta_elements.get(0x00020010)
        if ts_elem is None or isinstance(ts_elem, DataElement) or not ts_elem[1]:
            return None
        ts = ts_elem[1].decode("ascii", "replace").strip(" \x00")
        if ts in _NOT_HANDLED:
            return None
        implicit = ts == _IMPLICIT_LE
        parsed = _parse(buf, pos, implicit=implicit, meta_only=False)
        if parsed is None:
            return None
        elements, end = parsed
        pixel_offset = None
        if ts in (_EXPLICIT_LE_NATIVE, _IMPLICIT_LE) and buf.ensure(end + 12):
            group, elem = _HH.unpack_from(buf.data, end)
            if (group, elem) == (_PIXEL_GROUP, 0x0010):
                if implicit:
                    length, start = _L.unpack_from(buf.data, end + 4)[0], end + 8
                else:
                    length, start = _L.unpack_from(buf.data, end + 8)[0], end + 12
                if length != _UNDEFINED:
                    pixel_offset = start
    finally:
        os.close(fd)
    header = RawHeader(elements, implicit)
    header.file_meta = RawHeader(meta_elements, False, is_meta=True)
    header.pixel_offset = pixel_offset
    header.transfer_syntax = ts
    return header


PIXEL_DATA_TAG = b"\xe0\x7f\x10\x00"


def pixel_element_intact(fh: object, offset: int) -> bool:
    """True when the PixelData element header sits right before `offset` (the file was not changed since)."""
    fh.seek(max(0, offset - 12))  # type: ignore[attr-defined]
    head = fh.read(12)  # type: ignore[attr-defined]
    return len(head) == 12 and (head[:4] == PIXEL_DATA_TAG or head[4:8] == PIXEL_DATA_TAG)

"""A fast header-only reader for the common case: little-endian files (explicit or implicit VR).

Why not only pydicom.dcmread(stop_before_pixels=True): its element generator is general (big endian, deferred
reads, undefined lengths, validation hooks) and, with the Dataset it fills, costs about as much per file as
SimpleITK's GDCM scanner, while the catalogue must index a site's export at least twice as fast (see
bench/scan_bench.py). This reader splits a bounded prefix of the file into (VR, value bytes) pairs with one tight
loop, stops at the pixel data, and keeps them in a plain dict: the catalogue decodes the few simple values it needs
per file (ASCII text, binary numbers) itself, and anything else (non-ASCII text needing the character set,
sequences) goes through a pydicom Dataset built from the same elements on demand, so every such value is decoded
by pydicom exactly as dcmread would. An undefined-length sequence is only walked item by item to find its end (and
kept as the bytes of its items, which pydicom parses when asked): parsing it with pydicom meant reading the whole
file, pixel data included, and building datasets nobody used. Anything unusual (no preamble, big endian, deflate,
undefined lengths other than sequences, unknown VRs, broken item structure) returns None and the caller falls back
to dcmread, so correctness never depends on this shortcut.
"""

from __future__ import annotations

import os
import struct
from typing import Any

from pydicom.datadict import dictionary_VR
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset, FileMetaDataset
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
_H = struct.Struct("<H")
_L = struct.Struct("<L")

_FIRST_READ = 16384  # the whole header of a typical CT/MR slice; a 512x512 slice's pixels are never read

# One element as read: (VR, or None when implicit, value bytes, offset of the value in the file). An
# undefined-length sequence is kept as VR "SQ" with its items as value, as if it had been written with a length.
Element = tuple[str | None, bytes, int]


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
            for tag, (vr, value, start) in self.elements.items():
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
            # An undefined-length sequence: walk its items only to find where it ends; pydicom parses the items
            # from the value bytes if the catalogue ever asks for this element.
            private = group & 1
            if vr == "SQ":
                inner_implicit = implicit
            elif vr is None and (private or _dictionary_sq(tag)):
                inner_implicit = True
            elif vr == "UN" and private:
                inner_implicit = True  # PS3.5 6.2.2: an undefined-length UN holds implicit VR little endian items
            else:
                return None
            delimiter = _sequence_end(buf, start, inner_implicit, 0)
            if delimiter is None:
                return None
            data = buf.data
            size = len(data)
            if not private:
                elements[tag] = ("SQ", data[start:delimiter], start)
            pos = delimiter + 8
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


def _dictionary_sq(tag: int) -> bool:
    try:
        return bool(dictionary_VR(tag) == "SQ")
    except KeyError:
        return False


def _sequence_end(buf: _Buffer, pos: int, implicit: bool, depth: int) -> int | None:
    """Where the Sequence Delimitation Item of the undefined-length sequence whose items start at `pos` is, or None
    when the file does not follow the encoding rules (dcmread then decides what to do with it)."""
    if depth > 16:
        return None
    while True:
        if not buf.ensure(pos + 8):
            return None
        group, elem, length = _IMPLICIT_HEAD.unpack_from(buf.data, pos)
        if group != 0xFFFE:
            return None
        if elem == 0xE0DD:
            return pos
        if elem != 0xE000:
            return None
        pos += 8
        if length != _UNDEFINED:
            pos += length
            continue
        end = _item_end(buf, pos, implicit, depth + 1)
        if end is None:
            return None
        pos = end


def _item_end(buf: _Buffer, pos: int, implicit: bool, depth: int) -> int | None:
    """The offset just after the Item Delimitation Item of an undefined-length item whose elements start at `pos`."""
    while True:
        if not buf.ensure(pos + 8):
            return None
        data = buf.data
        group, elem, length = _IMPLICIT_HEAD.unpack_from(data, pos)
        if group == 0xFFFE:
            return pos + 8 if elem == 0xE00D else None
        inner_implicit = implicit
        if implicit:
            start = pos + 8
        else:
            known = _VRS.get(data[pos + 4 : pos + 6])
            if known is None:
                return None
            vr, long_form = known
            if long_form:
                if not buf.ensure(pos + 12):
                    return None
                length = _L.unpack_from(buf.data, pos + 8)[0]
                start = pos + 12
            else:
                length = _H.unpack_from(data, pos + 6)[0]
                start = pos + 8
            if length == _UNDEFINED and vr not in ("SQ", "UN"):
                return None
            inner_implicit = vr == "UN"
        if length == _UNDEFINED:
            delimiter = _sequence_end(buf, start, inner_implicit, depth + 1)
            if delimiter is None:
                return None
            pos = delimiter + 8
        else:
            pos = start + length


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
        if ts_elem is None or not ts_elem[1]:
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

"""Turn one catalogued stack into a Volume: pixels in HU (CT) or rescaled signal (MR), true slice positions.

Why our own loop rather than SimpleITK's ImageSeriesReader: ITK resamples nothing but assumes one z step (wrong
under gantry tilt and uneven gaps, see Volume), drops per-slice SOP Instance UIDs we need to point back at
slices, and returns the whole volume at the end, while a 300-slice series must show its first slice at once.
The array is allocated once and filled slice by slice (no float64 intermediate), so peak memory stays close to
the final array; bench/load_bench.py compares time and memory with SimpleITK on the same files.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import UID

from sfrt_reader.imaging.catalog import Catalog, SeriesInfo, scan
from sfrt_reader.imaging.errors import (
    ImagingError,
    NoImageSeriesError,
    SeriesChoiceError,
    SeriesNotFoundError,
    UnreadableFileError,
    UnsupportedImageError,
    UnsupportedTransferSyntaxError,
)
from sfrt_reader.imaging.fastheader import pixel_element_intact
from sfrt_reader.imaging.headers import Frame, read_dataset
from sfrt_reader.imaging.stacks import analyse_stack
from sfrt_reader.imaging.volume import Volume

_UNITS = {"CT": "HU", "MR": "signal"}


@dataclass(frozen=True)
class SliceReady:
    """Handed to the progress callback after each slice: `image` (= `array[index]`) is final and displayable.

    `array` is the volume being filled, in its final order; slices not yet loaded hold arbitrary values.
    """

    index: int
    image: np.ndarray
    array: np.ndarray


LoadProgress = Callable[[int, int, SliceReady], None]


def _reason_for(ts: UID, bits_stored: int, error: Exception) -> str:
    if ts == "1.2.840.10008.1.2.4.51" and bits_stored > 8:
        return (
            "12-bit lossy JPEG (JPEG Extended, process 4) is not decoded by the installed pylibjpeg/libjpeg plug-in "
            "for this file; convert it first, e.g. `gdcmconv --raw` (GDCM) or `dcmdjpeg` (dcmtk), then load the "
            "converted files"
        )
    first_line = str(error).strip().splitlines()
    detail = first_line[-1].strip() if first_line else error.__class__.__name__
    return f"no installed decoder can read it ({detail})"


def _decode(ds: Dataset, frame: Frame, bits_stored: int) -> np.ndarray:
    """The stored pixel values of the whole file (all frames), with a precise error when decoding fails."""
    name = frame.file_name
    if "PixelData" not in ds and "FloatPixelData" not in ds and "DoubleFloatPixelData" not in ds:
        raise UnreadableFileError(f"file {name}: has no pixel data (header only, or truncated)")
    ts = UID(frame.transfer_syntax or "1.2.840.10008.1.2.1")
    try:
        arr = ds.pixel_array
    except (NotImplementedError, RuntimeError) as error:
        raise UnsupportedTransferSyntaxError(
            f"file {name}: {ts.name} ({ts}): {_reason_for(ts, bits_stored, error)}"
        ) from error
    except (ValueError, AttributeError, KeyError, EOFError) as error:
        raise UnreadableFileError(f"file {name}: pixel data cannot be read ({error})") from error
    return np.asarray(arr)


def _read_native(frame: Frame, series: SeriesInfo) -> np.ndarray | None:
    """Uncompressed little-endian pixels read straight from the offset found at scan time, or None to let
    pydicom decode the file. Skips a second header parse and pydicom's decoding pipeline, which together took
    most of the load time (bench/load_bench.py). Values pydicom would treat specially (unused high bits set)
    fall back to pydicom."""
    h = series.header
    if frame.pixel_offset is None or h is None or h.samples_per_pixel != 1 or h.bits_allocated not in (8, 16):
        return None
    signed = bool(h.pixel_representation)
    dtype = np.dtype(f"<{'i' if signed else 'u'}{h.bits_allocated // 8}")
    count = frame.rows * frame.columns
    try:
        with open(frame.path, "rb") as fh:
            if not pixel_element_intact(fh, frame.pixel_offset):
                return None
            fh.seek(frame.pixel_offset)
            raw = np.fromfile(fh, dtype=dtype, count=count)
    except OSError:
        return None
    if raw.size != count:
        return None
    if h.bits_stored < h.bits_allocated:
        low, high = (
            (-(1 << (h.bits_stored - 1)), (1 << (h.bits_stored - 1)) - 1) if signed else (0, (1 << h.bits_stored) - 1)
        )
        if raw.min() < low or raw.max() > high:
            return None
    return raw.reshape(frame.rows, frame.columns)


def _output_dtype(series: SeriesInfo, frames: tuple[Frame, ...]) -> np.dtype:
    """int16 HU for CT; for other modalities the stored type, int32 if an intercept shifts it, float32 if a slope
    is not 1 (never float64: it would double the memory for nothing)."""
    if series.modality == "CT":
        return np.dtype(np.int16)
    if any(f.slope != 1.0 or f.intercept != int(f.intercept) for f in frames):
        return np.dtype(np.float32)
    h = series.header
    bits = h.bits_allocated if h else 16
    signed = bool(h.pixel_representation) if h else False
    stored = np.dtype(f"{'i' if signed else 'u'}{max(1, bits // 8)}")
    if all(f.intercept == 0 for f in frames):
        return stored
    return np.dtype(np.int32)


def _rescale_into(raw: np.ndarray, slope: float, intercept: float, out: np.ndarray) -> None:
    """out = raw * slope + intercept, computed in int32 or float32 one slice at a time."""
    if out.dtype.kind == "f":
        tmp = raw.astype(np.float32)
        if slope != 1.0:
            tmp *= np.float32(slope)
        if intercept:
            tmp += np.float32(intercept)
        out[...] = tmp
        return
    if slope == 1.0 and intercept == int(intercept):
        if intercept == 0 and raw.dtype == out.dtype:
            out[...] = raw
            return
        tmp_i = raw.astype(np.int32)
        if intercept:
            tmp_i += np.int32(intercept)
    else:
        tmp_f = raw.astype(np.float32) * np.float32(slope) + np.float32(intercept)
        tmp_i = np.rint(tmp_f).astype(np.int32)
    info = np.iinfo(out.dtype)
    if tmp_i.size and (tmp_i.min() < info.min or tmp_i.max() > info.max):
        np.clip(tmp_i, info.min, info.max, out=tmp_i)
    out[...] = tmp_i


def load_series(series: SeriesInfo, progress: LoadProgress | None = None, *, allow_gaps: bool = True) -> Volume:
    """Load one catalogued stack as a Volume (array [z, y, x], slices ascending along the slice normal).

    progress(done, total, SliceReady) is called after every slice, starting with slice 0, so a viewer can show
    the first slice while the rest loads. allow_gaps=False refuses a stack with missing slices
    (MissingSlicesError) instead of loading it with a warning in `volume.metadata["warnings"]`.
    Raises an ImagingError subclass naming the series or file and the reason when the stack cannot be used.
    """
    if series.header is not None and series.header.samples_per_pixel != 1:
        raise UnsupportedImageError(
            f"{series.name}: colour images ({series.header.photometric}) are not read as a volume"
        )
    geometry = analyse_stack(series.frames, series.name, allow_gaps=allow_gaps)
    frames = geometry.frames
    n, rows, cols = len(frames), frames[0].rows, frames[0].columns
    dtype = _output_dtype(series, frames)
    array = np.empty((n, rows, cols), dtype=dtype)
    bits_stored = series.header.bits_stored if series.header else 16
    cached_path = ""
    cached: np.ndarray | None = None
    for k, frame in enumerate(frames):
        if frame.frame_number is None:
            native = _read_native(frame, series)
            if native is not None:
                raw = native
            else:
                raw = _decode(read_dataset(frame.path, stop_before_pixels=False), frame, bits_stored)
        else:
            # Multi-frame: decode the file once, then hand out its frames in geometric order.
            if frame.path != cached_path:
                cached = _decode(read_dataset(frame.path, stop_before_pixels=False), frame, bits_stored)
                cached_path = frame.path
                if cached.ndim == 2:
                    cached = cached[np.newaxis]
            assert cached is not None
            raw = cached[frame.frame_number - 1]
        if raw.shape != (rows, cols):
            raise UnsupportedImageError(
                f"file {frame.file_name}: pixel data is {raw.shape} where the header says {rows}x{cols}"
            )
        _rescale_into(raw, frame.slope, frame.intercept, array[k])
        if progress is not None:
            progress(k + 1, n, SliceReady(k, array[k], array))
    ori = frames[0].orientation
    assert ori is not None
    row_spacing, col_spacing = geometry.pixel_spacing
    header = series.header
    metadata = {
        "series_number": series.series_number,
        "stack": series.stack,
        "key": series.key,
        "warnings": list(geometry.warnings),
        "tilt_degrees": geometry.tilt_degrees,
        "missing_slices": geometry.missing_slices,
        "transfer_syntaxes": sorted({f.transfer_syntax for f in frames if f.transfer_syntax}),
        "header_window": header.window if header else None,
        "rescale_slopes": sorted({f.slope for f in frames}),
        "rescale_intercepts": sorted({f.intercept for f in frames}),
    }
    return Volume(
        array=array,
        pixel_spacing=(col_spacing, row_spacing),
        row_direction=(ori[0], ori[1], ori[2]),
        column_direction=(ori[3], ori[4], ori[5]),
        positions=geometry.positions,
        modality=series.modality,
        unit=_UNITS.get(series.modality, "stored value"),
        series_instance_uid=series.series_instance_uid,
        study_instance_uid=series.study_instance_uid,
        frame_of_reference_uid=series.frame_of_reference_uid,
        sop_instance_uids=tuple(f.sop_instance_uid for f in frames),
        frame_numbers=tuple(f.frame_number for f in frames),
        contrast=series.contrast,
        acquisition_datetime=series.acquisition_datetime,
        slice_thickness=frames[0].thickness,
        series_description=series.description,
        label=series.stack,
        metadata=metadata,
    )


def _listing(series: list[SeriesInfo]) -> str:
    lines = []
    for s in series:
        state = "" if s.usable else " (cannot be loaded)"
        desc = f" '{s.description}'" if s.description else ""
        stack = f" [{s.stack}]" if s.stack else ""
        lines.append(f"  {s.key}  {s.modality}{desc}{stack}, {s.slice_count} slices{state}")
    return "\n".join(lines)


def choose_series(catalog: Catalog, where: str, series_uid: str | None = None) -> SeriesInfo:
    """The one stack to load from a catalogue, or an error listing the candidates."""
    candidates = catalog.series()
    if series_uid:
        found = catalog.find(series_uid)
        if not found:
            raise SeriesNotFoundError(
                f"{where}: no image series {series_uid}; the image series there are:\n{_listing(candidates)}"
                if candidates
                else f"{where}: no image series {series_uid} (no image series at all)"
            )
        if len(found) > 1:
            raise SeriesChoiceError(
                f"{where}: series {series_uid} holds {len(found)} stacks; pick one with --series:\n{_listing(found)}"
            )
        return found[0]
    if not candidates:
        what = []
        if catalog.objects():
            kinds = sorted({o.kind for o in catalog.objects()})
            what.append(f"{len(catalog.objects())} non-image object(s) ({', '.join(kinds)})")
        if catalog.non_dicom_files:
            what.append(f"{catalog.non_dicom_files} file(s) that are not DICOM")
        if catalog.unreadable_files:
            what.append(f"{catalog.unreadable_files} unreadable DICOM file(s)")
        found_text = "; found " + ", ".join(what) if what else ""
        raise NoImageSeriesError(f"{where}: no DICOM image series{found_text}")
    if len(candidates) > 1:
        raise SeriesChoiceError(
            f"{where} holds {len(candidates)} image series; pick one with --series UID:\n{_listing(candidates)}"
        )
    return candidates[0]


def load_path(
    path: str | os.PathLike[str],
    series_uid: str | None = None,
    progress: LoadProgress | None = None,
    *,
    allow_gaps: bool = True,
) -> Volume:
    """Load a folder (recursively) or a single DICOM file as a Volume.

    With several image series and no series_uid, raises SeriesChoiceError listing each series (key, modality,
    description, slice count) so the user can pick one; series_uid accepts a SeriesInstanceUID or a stack key
    ('UID#2') as listed by `sfrt-reader scan`.
    """
    where = os.path.basename(os.path.normpath(os.fspath(path))) or os.fspath(path)
    if not os.path.exists(path):
        raise ImagingError(f"{where}: no such file or folder")
    catalog = scan([path])
    series = choose_series(catalog, where, series_uid)
    return load_series(series, progress, allow_gaps=allow_gaps)

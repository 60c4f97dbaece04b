"""From the image planes of one series to stacks that can each become a Volume.

A DICOM series is not always one volume: scanners put several orientations (localisers, MPRs), echoes, time
points or repeated acquisitions under one SeriesInstanceUID. We split on what changes the image's meaning
(orientation, image size, enhanced stack, echo, temporal position) and, only when positions repeat, on the
acquisition number. Acquisition number alone is not a reason to split: sequential (step-and-shoot) CT gives every
slice its own acquisition number.

Then each stack's geometry is checked: slices sorted along the slice normal (never by file name or
InstanceNumber), and refused when they cannot form a volume (no position, same plane, duplicate positions), or
kept with a warning when the true positions are enough to measure correctly (gantry tilt, uneven spacing, missing
slices, fewer than 3 slices). See the README "Geometry" paragraph for why tilt and gaps are not resampled.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass

import numpy as np

from sfrt_reader.imaging.errors import (
    DuplicateSlicesError,
    MissingSlicesError,
    NotAVolumeError,
    SeriesGeometryError,
)
from sfrt_reader.imaging.headers import Frame

POSITION_TOLERANCE_MM = 0.01
TILT_WARNING_DEGREES = 0.5


@dataclass(frozen=True)
class Stack:
    """Frames that share orientation, size, echo and time point; `label` says what set it apart ("" if alone)."""

    label: str
    frames: tuple[Frame, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StackGeometry:
    """A checked stack: frames sorted along the normal, their positions, and the warnings a reader should see."""

    frames: tuple[Frame, ...]
    positions: np.ndarray
    offsets: np.ndarray
    normal: np.ndarray
    pixel_spacing: tuple[float, float]
    warnings: tuple[str, ...]
    tilt_degrees: float
    missing_slices: int

    @property
    def slice_spacing_mm(self) -> float | None:
        if len(self.offsets) < 2:
            return None
        return float((self.offsets[-1] - self.offsets[0]) / (len(self.offsets) - 1))


def plane_name(orientation: Sequence[float]) -> str:
    """'axial', 'coronal', 'sagittal' or 'oblique' from ImageOrientationPatient."""
    normal = np.cross(np.asarray(orientation[:3], dtype=float), np.asarray(orientation[3:6], dtype=float))
    norm = float(np.linalg.norm(normal))
    if norm == 0:
        return "oblique"
    normal = np.abs(normal / norm)
    axis = int(np.argmax(normal))
    if normal[axis] < 0.8:
        return "oblique"
    return ("sagittal", "coronal", "axial")[axis]


def _orientation_key(frame: Frame) -> Hashable:
    if frame.orientation is None:
        return None
    return tuple(round(v, 3) + 0.0 for v in frame.orientation)


def _label_part(name: str, value: Hashable, frames: Sequence[Frame]) -> str:
    if name == "orientation":
        return plane_name(frames[0].orientation) if frames[0].orientation is not None else "no orientation"
    if name == "size":
        return f"{frames[0].columns}x{frames[0].rows}"
    if name == "echo":
        return f"echo {value}"
    if name == "temporal":
        return f"time point {value}"
    if name == "stack":
        return f"stack {value}"
    return f"{name} {value}"


def _split(
    groups: list[tuple[list[str], list[Frame]]], name: str, key: Callable[[Frame], Hashable]
) -> list[tuple[list[str], list[Frame]]]:
    """Split every group on `key` when the series has more than one value of it; extend the labels."""
    values = {key(f) for _, frames in groups for f in frames}
    if len(values) < 2:
        return groups
    out: list[tuple[list[str], list[Frame]]] = []
    for labels, frames in groups:
        parts: dict[Hashable, list[Frame]] = defaultdict(list)
        for f in frames:
            parts[key(f)].append(f)
        for value, members in parts.items():
            out.append(([*labels, _label_part(name, value, members)], members))
    return out


def _position_key(frame: Frame) -> Hashable:
    if frame.position is None:
        return None
    return tuple(round(v / POSITION_TOLERANCE_MM) for v in frame.position)


def _has_repeated_positions(frames: Sequence[Frame]) -> bool:
    keys = [_position_key(f) for f in frames if f.position is not None]
    return len(keys) != len(set(keys))


def _drop_identical_copies(frames: list[Frame]) -> tuple[list[Frame], int]:
    seen: set[tuple[str, int | None]] = set()
    kept = []
    for f in frames:
        ident = (f.sop_instance_uid, f.frame_number)
        if f.sop_instance_uid and ident in seen:
            continue
        seen.add(ident)
        kept.append(f)
    return kept, len(frames) - len(kept)


def split_into_stacks(frames: Sequence[Frame]) -> list[Stack]:
    """Split one series' frames into stacks, each labelled by what distinguishes it from the others."""
    groups: list[tuple[list[str], list[Frame]]] = [([], list(frames))]
    groups = _split(groups, "orientation", _orientation_key)
    groups = _split(groups, "size", lambda f: (f.rows, f.columns))
    groups = _split(groups, "stack", lambda f: f.stack_id)
    groups = _split(groups, "echo", lambda f: f.echo)
    groups = _split(groups, "temporal", lambda f: f.temporal)
    stacks: list[Stack] = []
    for labels, members in groups:
        notes: list[str] = []
        members, dropped = _drop_identical_copies(members)
        if dropped:
            notes.append(f"{dropped} identical cop{'ies' if dropped > 1 else 'y'} of the same image ignored")
        acquisitions = {f.acquisition for f in members}
        if _has_repeated_positions(members) and len(acquisitions) > 1:
            parts: dict[str, list[Frame]] = defaultdict(list)
            for f in members:
                parts[f.acquisition].append(f)
            if all(len(p) >= 2 and not _has_repeated_positions(p) for p in parts.values()):
                for value in sorted(parts, key=lambda v: (len(v), v)):
                    stacks.append(Stack(" ".join([*labels, f"acquisition {value}"]), tuple(parts[value]), tuple(notes)))
                continue
        stacks.append(Stack(" ".join(labels), tuple(members), tuple(notes)))
    # Several orientations with the same plane name need a number to tell them apart.
    counts = Counter(s.label for s in stacks)
    if any(c > 1 for c in counts.values()):
        seen: Counter[str] = Counter()
        renamed = []
        for s in stacks:
            if counts[s.label] > 1:
                seen[s.label] += 1
                renamed.append(Stack(f"{s.label} {seen[s.label]}".strip(), s.frames, s.notes))
            else:
                renamed.append(s)
        stacks = renamed
    return stacks


def _names(frames: Sequence[Frame], limit: int = 3) -> str:
    names = [f.file_name + (f" frame {f.frame_number}" if f.frame_number else "") for f in frames[:limit]]
    more = len(frames) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def analyse_stack(frames: Sequence[Frame], name: str, *, allow_gaps: bool = True) -> StackGeometry:
    """Sort a stack along its normal and check it can be a volume.

    name: how messages refer to the series, e.g. "series 3 'ThoraxRoutine'".
    Raises a SeriesGeometryError subclass when the slices cannot form a volume; returns warnings otherwise.
    """
    if not frames:
        raise SeriesGeometryError(f"{name}: no image in this series")
    unplaced = [f for f in frames if f.position is None or f.orientation is None]
    if unplaced:
        raise SeriesGeometryError(
            f"{name}: {len(unplaced)} image(s) without a position in the patient (no ImagePositionPatient or "
            f"ImageOrientationPatient in file{'s' if len(unplaced) > 1 else ''} {_names(unplaced)}): cannot build "
            "a volume (a screen capture, a scanned document or a radiograph?)"
        )
    no_spacing = [f for f in frames if f.pixel_spacing is None]
    if no_spacing:
        raise SeriesGeometryError(
            f"{name}: {len(no_spacing)} image(s) without pixel spacing ({_names(no_spacing)}): distances "
            "cannot be measured in millimetres"
        )
    sizes = {(f.columns, f.rows) for f in frames}
    if len(sizes) > 1:
        listed = ", ".join(f"{c}x{r}" for c, r in sorted(sizes))
        raise SeriesGeometryError(f"{name}: images of different sizes ({listed}) cannot form one volume")
    first = frames[0]
    assert first.orientation is not None and first.pixel_spacing is not None
    ori = np.asarray(first.orientation, dtype=np.float64)
    for f in frames[1:]:
        assert f.orientation is not None
        if np.max(np.abs(np.asarray(f.orientation) - ori)) > 1e-3:
            raise SeriesGeometryError(
                f"{name}: slices with different orientations ({first.file_name} is "
                f"{plane_name(first.orientation)}, {f.file_name} is {plane_name(f.orientation)}): not one stack"
            )
    spacings = np.asarray([f.pixel_spacing for f in frames], dtype=np.float64)
    if np.max(np.abs(spacings - spacings[0])) > 1e-4 * max(1.0, float(spacings[0].max())):
        lo, hi = spacings.min(axis=0), spacings.max(axis=0)
        raise SeriesGeometryError(
            f"{name}: pixel spacing changes between slices ({lo[0]:.3f} to {hi[0]:.3f} mm): not one volume"
        )
    row, col = ori[:3] / np.linalg.norm(ori[:3]), ori[3:] / np.linalg.norm(ori[3:])
    normal = np.cross(row, col)
    normal /= np.linalg.norm(normal)
    positions = np.asarray([f.position for f in frames], dtype=np.float64)
    offsets = positions @ normal
    order = sorted(range(len(frames)), key=lambda i: (offsets[i], frames[i].instance_number or 0))
    frames_sorted = tuple(frames[i] for i in order)
    positions = positions[order]
    offsets = offsets[order]
    n = len(frames_sorted)
    axis = int(np.argmax(np.abs(normal)))
    z = positions[:, axis]
    warnings: list[str] = []
    gaps = np.diff(offsets)
    if n > 1 and float(offsets[-1] - offsets[0]) < POSITION_TOLERANCE_MM:
        raise NotAVolumeError(
            f"{name}: all {n} images lie in the same plane (z={z[0]:.1f} mm): a repeated single slice (bolus "
            "tracking, fluoroscopy, dynamic scan), not a volume"
        )
    dup = np.flatnonzero(gaps < POSITION_TOLERANCE_MM)
    if len(dup):
        k = int(dup[0])
        raise DuplicateSlicesError(
            f"{name}: {len(dup)} duplicate slice position(s), e.g. {frames_sorted[k].file_name} and "
            f"{frames_sorted[k + 1].file_name} both at z={z[k]:.1f} mm, and nothing in their headers (echo, time "
            "point, acquisition) tells them apart: send the series again or pick the intended images"
        )
    missing_total = 0
    if n >= 3:
        typical = float(np.median(gaps))
        missing_msgs = []
        for k, d in enumerate(gaps):
            if d <= 1.5 * typical:
                continue
            thick = [frames_sorted[k].thickness or 0.0, frames_sorted[k + 1].thickness or 0.0]
            if min(thick) > 0 and min(thick) * 1.5 >= d:
                continue  # the protocol changed to thicker slices: the gap is covered, nothing is missing
            count = max(1, round(d / typical) - 1)
            missing_total += count
            label = f"slice {k + 2}" if count == 1 else f"slices {k + 2}-{k + 1 + count}"
            missing_msgs.append(f"{label} missing between z={z[k]:.1f} and z={z[k + 1]:.1f} mm")
        if missing_msgs:
            text = f"{name}: " + "; ".join(missing_msgs)
            if not allow_gaps:
                raise MissingSlicesError(text + ": a lesion in the gap would be missed; send the complete series again")
            warnings.append(text + " (distances stay true: every slice keeps its own position)")
    if n >= 3 and not missing_total and float(np.ptp(gaps)) > max(0.01, 0.01 * float(gaps.mean())):
        warnings.append(
            f"{name}: uneven slice spacing ({gaps.min():.2f} to {gaps.max():.2f} mm): slices kept at their true "
            "positions, distances stay true"
        )
    tilt = 0.0
    if n > 1:
        stack = positions[-1] - positions[0]
        cos = float(np.clip(abs(stack @ normal) / np.linalg.norm(stack), 0.0, 1.0))
        tilt = float(np.degrees(np.arccos(cos)))
        if tilt > TILT_WARNING_DEGREES:
            warnings.append(
                f"{name}: gantry tilt {tilt:.1f} degrees: slices kept as acquired (not resampled), distances use "
                "the true slice positions"
            )
    if n < 3:
        warnings.append(
            f"{name}: only {n} slice{'s' if n > 1 else ''}: diameters can be measured on "
            f"{'them' if n > 1 else 'it'}, a volume cannot"
        )
    return StackGeometry(
        frames=frames_sorted,
        positions=positions,
        offsets=offsets - offsets[0],
        normal=normal,
        pixel_spacing=(float(spacings[0][0]), float(spacings[0][1])),
        warnings=tuple(warnings),
        tilt_degrees=tilt,
        missing_slices=missing_total,
    )

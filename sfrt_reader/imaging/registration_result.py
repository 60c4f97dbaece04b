"""A registration between a baseline and a follow-up, as stored and used: the point mapping and the fallback.

Why a module without SimpleITK: the reading database stores registrations (`to_dict` is JSON-safe) and the
workstation maps every click and hover through them; neither needs the registration machinery. The mapping is the
4 x 4 matrix `matrix` taking a point of the baseline (fixed) scan, in patient LPS millimetres, to the same anatomy
in the follow-up (moving) scan; `parameters` and `fixed_parameters` rebuild the very SimpleITK transform
(`sfrt_reader.imaging.registration.to_sitk_transform`) for resampling one scan onto the other.

The contract with the callers (linked navigation, lesion propagation):
- verdict `ok`: map points with `map_point` / `map_point_inverse`;
- verdict `poor` (failed checks, a cancelled run, or a reader who said so with `rejected`): do not use the
  transform; link by table position instead (the same patient coordinates, i.e. the slice at the same table
  position) and show the notice `link_point` returns, which says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from sfrt_reader.imaging.errors import RegistrationInputError

SCHEMA = "sfrt-reader/registration/1"
Verdict = Literal["ok", "poor"]
VERDICTS: tuple[str, ...] = ("ok", "poor")
TRANSFORM_PARAMETER_COUNTS: dict[str, tuple[int, int]] = {
    "Euler3DTransform": (6, 4),  # angles x, y, z (rad), translation; fixed: centre and the ZYX-order flag
    "AffineTransform": (12, 3),  # 3 x 3 matrix row by row, translation; fixed: centre
}
LinkMethod = Literal["registration", "table position"]
FloatArray = NDArray[np.float64]


@dataclass(frozen=True)
class Registration:
    """The result of registering one follow-up (moving) to the baseline (fixed).

    matrix: 4 x 4 homogeneous map, baseline LPS mm -> follow-up LPS mm (nested tuples, JSON-safe).
    transform_type, parameters, fixed_parameters: the SimpleITK transform that produced `matrix`.
    metric, metric_value: the optimised metric and its final value (Mattes mutual information is negative, lower
        is better; None when the run did not get that far).
    verdict, reason: `ok` or `poor`, and a sentence a reader understands saying why.
    method: `rigid` or `rigid+affine`; elapsed_s: wall time of the whole run.
    checks: the numbers the verdict was made from (rotation, shift at the body centre, body overlap...).
    """

    fixed_series_uid: str
    moving_series_uid: str
    matrix: tuple[tuple[float, ...], ...]
    transform_type: str
    parameters: tuple[float, ...]
    fixed_parameters: tuple[float, ...]
    metric: str
    metric_value: float | None
    verdict: Verdict
    reason: str
    method: str
    elapsed_s: float
    checks: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _check_matrix(self.matrix)
        if self.verdict not in VERDICTS:
            raise RegistrationInputError(f"registration verdict must be 'ok' or 'poor', not {self.verdict!r}")
        counts = TRANSFORM_PARAMETER_COUNTS.get(self.transform_type)
        if counts is None:
            raise RegistrationInputError(
                f"unknown transform type {self.transform_type!r}: expected one of {sorted(TRANSFORM_PARAMETER_COUNTS)}"
            )
        if (len(self.parameters), len(self.fixed_parameters)) != counts:
            raise RegistrationInputError(
                f"a {self.transform_type} needs {counts[0]} parameters and {counts[1]} fixed parameters, "
                f"got {len(self.parameters)} and {len(self.fixed_parameters)}"
            )
        values = [*self.parameters, *self.fixed_parameters, *self.checks.values(), self.elapsed_s]
        if self.metric_value is not None:
            values.append(self.metric_value)
        if not all(math.isfinite(v) for v in values):
            raise RegistrationInputError("a registration holds a value that is not a finite number")
        if self.verdict == "poor" and not self.reason:
            raise RegistrationInputError("a poor registration must say why (reason is empty)")

    @property
    def ok(self) -> bool:
        return self.verdict == "ok"

    @property
    def affine(self) -> FloatArray:
        """The 4 x 4 baseline -> follow-up matrix as a numpy array."""
        return np.array(self.matrix, dtype=np.float64)

    def rejected(self, reason: str) -> Registration:
        """The same registration marked `poor` because a reader judged it wrong: linking falls back to table
        position from then on. `reason` is the reader's words (kept, prefixed, in `reason`)."""
        text = reason.strip()
        if not text:
            raise RegistrationInputError("say why the registration is rejected (the reason is empty)")
        return replace(self, verdict="poor", reason=f"rejected by the reader: {text}")

    # ------------------------------------------------------------------------------------------ storage
    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe document (plain lists, floats and strings) that `from_dict` reads back unchanged."""
        return {
            "schema": SCHEMA,
            "fixed_series_uid": self.fixed_series_uid,
            "moving_series_uid": self.moving_series_uid,
            "matrix": [list(row) for row in self.matrix],
            "transform_type": self.transform_type,
            "parameters": list(self.parameters),
            "fixed_parameters": list(self.fixed_parameters),
            "metric": self.metric,
            "metric_value": self.metric_value,
            "verdict": self.verdict,
            "reason": self.reason,
            "method": self.method,
            "elapsed_s": self.elapsed_s,
            "checks": dict(self.checks),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Registration:
        """Read a document written by `to_dict`; a damaged one raises RegistrationInputError naming the field."""
        if not isinstance(data, dict):
            raise RegistrationInputError(f"a stored registration must be a JSON object, not {type(data).__name__}")
        if data.get("schema") != SCHEMA:
            raise RegistrationInputError(
                f"stored registration has schema {data.get('schema')!r}, this version reads {SCHEMA!r}: "
                "register the series again"
            )
        try:
            metric_value = data["metric_value"]
            return cls(
                fixed_series_uid=_text(data, "fixed_series_uid"),
                moving_series_uid=_text(data, "moving_series_uid"),
                matrix=tuple(tuple(_number(v, "matrix") for v in row) for row in data["matrix"]),
                transform_type=_text(data, "transform_type"),
                parameters=tuple(_number(v, "parameters") for v in data["parameters"]),
                fixed_parameters=tuple(_number(v, "fixed_parameters") for v in data["fixed_parameters"]),
                metric=_text(data, "metric"),
                metric_value=None if metric_value is None else _number(metric_value, "metric_value"),
                verdict=_text(data, "verdict"),  # type: ignore[arg-type]  # checked in __post_init__
                reason=_text(data, "reason"),
                method=_text(data, "method"),
                elapsed_s=_number(data["elapsed_s"], "elapsed_s"),
                checks={str(k): _number(v, f"checks.{k}") for k, v in dict(data["checks"]).items()},
            )
        except KeyError as exc:
            raise RegistrationInputError(f"stored registration lacks the field {exc.args[0]!r}") from None
        except TypeError as exc:
            raise RegistrationInputError(f"stored registration is malformed: {exc}") from None


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str):
        raise RegistrationInputError(f"stored registration field {key!r} must be text, not {type(value).__name__}")
    return value


def _number(value: Any, key: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RegistrationInputError(f"stored registration field {key!r} must hold numbers, found {value!r}")
    return float(value)


def _check_matrix(matrix: tuple[tuple[float, ...], ...]) -> None:
    m = np.asarray(matrix, dtype=np.float64)
    if m.shape != (4, 4):
        raise RegistrationInputError(f"a registration matrix must be 4 x 4, got shape {m.shape}")
    if not np.all(np.isfinite(m)):
        raise RegistrationInputError("a registration matrix holds a value that is not a finite number")
    if not np.allclose(m[3], (0.0, 0.0, 0.0, 1.0)):
        raise RegistrationInputError("the last row of a registration matrix must be 0 0 0 1")
    if abs(float(np.linalg.det(m[:3, :3]))) < 1e-6:
        raise RegistrationInputError("a registration matrix must be invertible")


def matrix_tuple(m: ArrayLike) -> tuple[tuple[float, ...], ...]:
    """A 4 x 4 array as nested tuples of Python floats (what `Registration.matrix` holds)."""
    arr = np.asarray(m, dtype=np.float64)
    return tuple(tuple(float(v) for v in row) for row in arr)


# ------------------------------------------------------------------------------------------------ mapping


def _apply(m: FloatArray, lps: ArrayLike) -> FloatArray:
    p = np.asarray(lps, dtype=np.float64)
    if p.shape[-1:] != (3,):
        raise ValueError(f"LPS points need 3 coordinates, got shape {p.shape}")
    return np.asarray(p @ m[:3, :3].T + m[:3, 3], dtype=np.float64)


def map_point(reg: Registration, lps_in_baseline: ArrayLike) -> FloatArray:
    """Where the anatomy at `lps_in_baseline` (mm, shape (3,) or (..., 3)) lies in the follow-up, in its LPS mm.

    Uses the transform whatever the verdict: callers that navigate use `link_point`, which applies the fallback.
    """
    return _apply(reg.affine, lps_in_baseline)


def map_point_inverse(reg: Registration, lps_in_followup: ArrayLike) -> FloatArray:
    """Where the anatomy at `lps_in_followup` lies in the baseline (the inverse of `map_point`)."""
    return _apply(np.asarray(np.linalg.inv(reg.affine), dtype=np.float64), lps_in_followup)


@dataclass(frozen=True)
class LinkedPoint:
    """A point carried to another timepoint for linked navigation, with how it was carried.

    notice: None when the registration was used; otherwise the sentence the workstation must show (the viewports
    are linked by table position only and may not show the same anatomy)."""

    lps: tuple[float, float, float]
    method: LinkMethod
    notice: str | None


def link_point(reg: Registration | None, lps: ArrayLike, *, inverse: bool = False) -> LinkedPoint:
    """Carry a point from the baseline to the follow-up (or back with `inverse`) the way linked navigation must:
    through the registration when its verdict is `ok`, otherwise by table position (the same patient coordinates,
    which the scanner keeps from visit to visit only as far as the table and the patient were placed alike)."""
    p = np.asarray(lps, dtype=np.float64).reshape(3)
    if reg is not None and reg.ok:
        q = map_point_inverse(reg, p) if inverse else map_point(reg, p)
        return LinkedPoint((float(q[0]), float(q[1]), float(q[2])), "registration", None)
    why = "no registration is available" if reg is None else f"the registration is poor ({reg.reason})"
    notice = f"Linked by table position only: {why}. The same anatomy may lie on another slice."
    return LinkedPoint((float(p[0]), float(p[1]), float(p[2])), "table position", notice)

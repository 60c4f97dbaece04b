"""Set-up for the adjudicator's desk tests: two complete central reads of the demo subject that disagree.

The reads are made through the reading session's API (this is set-up, not what is tested). Reader A measures the
ground truth's longest axial lines; reader B measures the same lines except at 6 months, where he draws T1 30%
longer (the same line stretched about its centre), which makes 6 months a progression by RECIST 1.1 (+34% from
the nadir) and Choi (+10% in size), where the truth progresses only at 9 months.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sfrt_reader.measurement.lines import Line
from sfrt_reader.reading import ReadingService

PASSWORDS = {"reader1": "demo-reader1", "reader2": "demo-reader2", "adjudicator": "demo-adjudicator"}
STRETCHED_LABEL = "6m"
STRETCH = 1.3


def _line(line_lps: list[list[float]], factor: float) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    a, b = (np.asarray(p, dtype=float) for p in line_lps)
    c = (a + b) / 2
    a2, b2 = c + (a - c) * factor, c + (b - c) * factor
    return tuple(a2.tolist()), tuple(b2.tolist()), float(np.linalg.norm(b2 - a2))


def coronal_line(lesion: dict[str, Any]) -> tuple[tuple[float, ...], tuple[float, ...], float]:
    """A head-to-foot line through the lesion's centre, as long as its longest axial diameter: a line drawn in
    the coronal plane (constant LPS y)."""
    c = np.asarray(lesion["centroid_lps"], dtype=float)
    half = float(lesion["longest_axial_diameter_mm"]) / 2
    a, b = c - np.array([0.0, 0.0, half]), c + np.array([0.0, 0.0, half])
    return tuple(a.tolist()), tuple(b.tolist()), 2 * half


def complete_read(
    service: ReadingService,
    username: str,
    subject: dict[str, Any],
    stretch: dict[str, float],
    coronal: frozenset[str] = frozenset(),
) -> int:
    """Read every timepoint of the subject as the truth says (T1 stretched by `stretch[label]`), signing each; at
    the timepoints in `coronal`, T1's line is drawn in the coronal plane (`coronal_line`) instead."""
    session = service.login(username, PASSWORDS[username])
    read_id = session.open_read(subject["subject"]).read_id
    for tp in subject["timepoints"]:
        label = tp["label"]
        session.start_timepoint(read_id, label)
        if label == "baseline":
            session.add_lesion(read_id, "T1", "target", "thigh")
        for code, lesion in tp["lesions"].items():
            if code == "T1":
                start, end, length = _line(lesion["longest_axial_line_lps"], stretch.get(label, 1.0))
                drawn: dict[str, Any] = Line(start, end).to_dict()
                if label in coronal:
                    start, end, length = coronal_line(lesion)
                    drawn = {**Line(start, end).to_dict(), "view": {"plane": "coronal"}}
                session.record_measurement(
                    read_id,
                    label,
                    "T1",
                    diameter_mm=round(length, 1),
                    mean_hu=round(float(lesion["mean"]), 1),
                    unit="HU",
                    objects=[drawn],
                )
            elif label != "baseline":
                session.add_lesion(read_id, code, "new", "adductor compartment", label=label)
        session.sign(read_id, label, PASSWORDS[username])
    return read_id


def make_discordant(
    service: ReadingService, truth: dict[str, Any], pseudonym: str, coronal_a: frozenset[str] = frozenset()
) -> tuple[int, int]:
    """Read A (truth; T1 drawn coronal at the `coronal_a` timepoints) by reader1 and read B (6 months stretched) by
    reader2: returns their read numbers."""
    subject = next(s for s in truth["subjects"] if s["subject"] == pseudonym)
    read_a = complete_read(service, "reader1", subject, {}, coronal_a)
    read_b = complete_read(service, "reader2", subject, {STRETCHED_LABEL: STRETCH})
    return read_a, read_b

"""The per-lesion numbers of the form (value, baseline, lesion nadir, changes) from plain views: no database."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from sfrt_reader.reading.views import AssessmentView, LesionView, MeasurementView, ReadView
from sfrt_reader.reports import content as C

LABELS = ("baseline", "3m", "6m", "9m", "12m", "18m")
STATUSES = ("measured", "measured", "measured", "too_small", "absent", "not_evaluable")


def _measurement(code: str, status: str, value: float, nodal: bool) -> MeasurementView:
    diameter = value if status == "measured" else None
    short = (value if nodal else value / 2) if status == "measured" else None
    if nodal and status == "measured":
        diameter = value * 1.5
    return MeasurementView(code, status, diameter, short, None, None, None, None, ())


def _context(series: list[tuple[str, float]], nodal: bool) -> C.ReadContext:
    lesion = LesionView("T1", "target", "node" if nodal else "thigh", nodal, "baseline", None)
    tps = tuple(
        AssessmentView(
            label=LABELS[i],
            version=1,
            status="signed",
            day=91 * i,
            modality="CT",
            contrast=True,
            slice_thickness_mm=3.0,
            non_targets={},
            new_lesions="no",
            new_intratumoral_nodules=False,
            comment=None,
            measurements=(_measurement("T1", status, value, nodal),),
            results=None,
            problems=(),
            engine_version=None,
            amendment_reason=None,
            signature=None,
        )
        for i, (status, value) in enumerate(series)
    )
    view = ReadView(1, "S-1", "local", "reader", (lesion,), tps, None, None)
    return C.ReadContext(view, "T", "title", True, None, {}, 5.0, "baseline")


def _expected(status: str, value: float) -> float | None:
    return {"measured": value, "too_small": 5.0, "absent": 0.0, "not_evaluable": None}[status]


@given(
    series=st.lists(
        st.tuples(st.sampled_from(STATUSES), st.floats(min_value=1.0, max_value=300.0, allow_nan=False)),
        min_size=2,
        max_size=len(LABELS),
    ).map(lambda s: [("measured", s[0][1]), *s[1:]]),
    nodal=st.booleans(),
)
def test_target_rows_follow_the_rules(series: list[tuple[str, float]], nodal: bool) -> None:
    ctx = _context(series, nodal)
    values = [_expected(status, value) for status, value in series]
    for i in range(1, len(series)):
        row = C.target_rows(ctx, LABELS[i])[0]
        assert row["axis"] == ("SA" if nodal else "LD")
        assert row["value_mm"] == values[i]  # nodes by their short axis: the generated value in both cases
        assert row["baseline_mm"] == values[0]
        earlier = [v for v in values[:i] if v is not None]
        assert row["nadir_mm"] == min(earlier)
        for key, ref in (("change_from_baseline_pct", values[0]), ("change_from_nadir_pct", min(earlier))):
            pct = row[key]
            if values[i] is None or not ref:
                assert pct is None
            else:
                # one decimal, so within 0.05 percentage points of the exact change
                assert abs(pct - 100 * (values[i] - ref) / ref) <= 0.05 + 1e-9
    base = C.target_rows(ctx, "baseline")[0]
    assert base["nadir_mm"] is None and base["change_from_baseline_pct"] is None

"""The lesion table shows changes exactly as the criteria engine's reasons do."""

from __future__ import annotations

from sfrt_reader.criteria import assess_document
from sfrt_reader.ui.reading_panels import _pct


def test_change_matches_the_engine_reason() -> None:
    # 79.8 vs 83.6 mm is -4.545...%: the engine says "4.5% below", half-up rounding would print -4.6%.
    doc = {
        "lesions": [{"id": "T1", "role": "target", "organ": "thigh", "nodal": False}],
        "timepoints": [
            {"label": "baseline", "day": 0, "targets": {"T1": {"diameter_mm": 83.6}}},
            {"label": "3m", "day": 91, "targets": {"T1": {"diameter_mm": 79.8}}},
        ],
    }
    engine = assess_document(doc, "recist1.1")["timepoints"][1]["change_from_baseline_pct"]
    assert engine == -4.5
    assert _pct(79.8, 83.6) == "-4.5%"
    assert _pct(79.84, 83.6) == "-4.5%"  # the recorded value (0.1 mm) is what is compared
    assert _pct(120.0, 100.0) == "+20.0%"
    assert _pct(10.0, 0.0) == "—"

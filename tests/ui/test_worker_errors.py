"""A failed background job shows the reader an SfrtError's own words, and never a bug's text."""

from __future__ import annotations

from sfrt_reader.errors import SfrtError
from sfrt_reader.ui.worker_errors import failure_text


def test_an_sfrt_error_is_shown_as_written() -> None:
    error = SfrtError("place the seed inside the tumour, or drag a box around the tumour")
    assert failure_text(error, "the segmentation failed") == str(error)


def test_a_bug_shows_its_type_and_what_failed_but_not_its_text() -> None:
    text = failure_text(KeyError("/data/DOE^JANE/IM0001.dcm"), "the brush stroke could not be painted")
    assert text == "the brush stroke could not be painted (internal error KeyError)"
    assert "DOE" not in text and "IM0001" not in text

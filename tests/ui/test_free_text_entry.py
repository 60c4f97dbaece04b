"""Free text refused by the screen: the reader sees why, and the text stays where it was typed to be corrected."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QDialog, QPushButton

from sfrt_reader.reading.errors import IdentifyingTextError
from sfrt_reader.ui.linked_navigation import RejectRegistrationDialog
from sfrt_reader.ui.reading_panels import AmendDialog
from tests.ui.reading_helpers import DEMO_SUBJECT, add_lesion, click_button
from tests.ui.test_reading_workflow import local  # noqa: F401  (the fixture)


def test_a_refused_amendment_reason_stays_in_the_dialog_with_the_message(qtbot: Any) -> None:
    tried: list[str] = []

    def submit(reason: str) -> None:
        tried.append(reason)
        if "Doe" in reason:
            raise IdentifyingTextError("the amendment reason contains the patient's name (characters 10-17)")

    dialog = AmendDialog("3m", submit=submit)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.reason, "slice of John Doe was wrong")
    click_button(qtbot, dialog.ok)
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.isVisible()
    assert dialog.error.isVisible() and "contains the patient's name" in dialog.error.text()
    assert dialog.reason.toPlainText() == "slice of John Doe was wrong"  # nothing lost
    dialog.reason.setPlainText("slice was wrong, re-measured")
    click_button(qtbot, dialog.ok)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert tried == ["slice of John Doe was wrong", "slice was wrong, re-measured"]


def test_an_organ_naming_the_patient_is_refused_and_kept_in_the_field(qtbot, local) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    window, session, truth = local
    ident = next(s for s in truth["subjects"] if s["subject"] == DEMO_SUBJECT)["identity"]
    family, given_name = ident["patient_name"].split("^")[:2]
    typed = f"thigh of {given_name.title()} {family.title()}"
    add_lesion(qtbot, window, "target", typed)
    assert window.banner.isVisible()
    message = window.banner.label.text()
    assert message.startswith("the organ contains the patient's name") and family.lower() not in message.lower()
    assert window.panel.organ.text() == typed
    assert session.view(window.read_id).lesions == ()


def test_a_refused_registration_rejection_reason_stays_in_the_dialog_with_the_message(qtbot: Any) -> None:
    tried: list[str] = []

    def submit(reason: str) -> bool:
        tried.append(reason)
        if "Doe" in reason:
            raise IdentifyingTextError("the rejection reason contains the patient's name (characters 17-25)")
        return True

    dialog = RejectRegistrationDialog("3m", submit=submit)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.reason, "femur off for Mr Doe")
    reject = next(b for b in dialog.findChildren(QPushButton) if b.text() == "Reject")
    click_button(qtbot, reject)
    assert dialog.result() != QDialog.DialogCode.Accepted and dialog.isVisible()
    assert dialog.error.isVisible() and "contains the patient's name" in dialog.error.text()
    assert dialog.reason.text() == "femur off for Mr Doe"  # nothing lost
    dialog.reason.setText("femur 2 cm off at the knee")
    click_button(qtbot, reject)
    assert dialog.result() == QDialog.DialogCode.Accepted
    assert tried == ["femur off for Mr Doe", "femur 2 cm off at the knee"]

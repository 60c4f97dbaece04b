"""A dialog whose action is carried out from the dialog itself, so that a refusal is shown where the reader typed.

The reading layer refuses some free text (a reason too short, one that names the patient). If the dialog closed
first and the action were tried afterwards, the refusal would appear elsewhere and the typed text would be gone;
here the dialog stays open with the text as typed and the refusal under it."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QDialog, QLabel, QWidget

from sfrt_reader.errors import SfrtError


class RefusableDialog(QDialog):
    """Base for such dialogs: place `self.error` in the layout and call `submit_text` when the reader confirms."""

    def __init__(self, parent: QWidget | None, submit: Callable[[str], object] | None, error_name: str) -> None:
        super().__init__(parent)
        self._submit = submit
        self.error = QLabel()
        self.error.setObjectName(error_name)
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b3261e;")
        self.error.hide()

    def submit_text(self, text: str) -> None:
        """Carry out the action with `text`; accept on success, show the refusal and stay open otherwise."""
        if self._submit is not None:
            try:
                self._submit(text)
            except SfrtError as error:
                self.error.setText(str(error))
                self.error.show()
                return
        self.accept()

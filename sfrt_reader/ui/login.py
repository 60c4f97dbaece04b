"""Log-in dialog and worklist: who reads, and which subject and timepoint next.

The worklist shows only what the reader's session hands out (`ReaderSession.worklist`): pseudonyms, timepoint
labels, days from baseline and modalities. A blinded session's views have no field for identity or dates, so
nothing identifying can reach these widgets.
"""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from sfrt_reader.errors import SfrtError
from sfrt_reader.reading.service import ReaderSession, ReadingService
from sfrt_reader.reading.views import SubjectView

STATUS_TEXT = {
    "not_started": "not started",
    "draft": "in progress",
    "signed": "signed",
    "pending": "awaiting adjudication",
    "decided": "adjudicated",
    "withdrawn": "adjudication withdrawn",
}


class LoginDialog(QDialog):
    """Choose the reader and enter the password; the database's paradigm decides blinded or not."""

    def __init__(self, service: ReadingService, hint: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = service
        self.session: ReaderSession | None = None
        self.setWindowTitle("sfrt-reader — log in")
        self.setMinimumWidth(420)
        layout = QVBoxLayout(self)
        paradigm = service.paradigm
        mode = (
            "Central review: blinded (pseudonyms and days from baseline only)"
            if paradigm == "central"
            else "Local reading: unblinded"
        )
        trial = QLabel(f"<b>{service.protocol.trial_id}</b><br>{mode}")
        trial.setWordWrap(True)
        layout.addWidget(trial)
        form = QFormLayout()
        self.user = QComboBox()
        self.user.setEditable(False)
        for username, full_name, role in service.readers():
            self.user.addItem(f"{username}  —  {full_name} ({role})", username)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("Reader", self.user)
        form.addRow("Password", self.password)
        layout.addLayout(form)
        self.hint = QLabel(hint or "")
        self.hint.setObjectName("loginHint")
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #9fb3c8;")
        self.hint.setVisible(bool(hint))
        layout.addWidget(self.hint)
        self.error = QLabel()
        self.error.setStyleSheet("color: #ff9b9b;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Log in")
        buttons.accepted.connect(self.try_login)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.password.setFocus()

    def select_user(self, username: str) -> None:
        index = self.user.findData(username)
        if index >= 0:
            self.user.setCurrentIndex(index)

    def try_login(self) -> None:
        username = self.user.currentData()
        try:
            self.session = self.service.login(str(username), self.password.text())
        except SfrtError as error:
            self.error.setText(str(error))
            self.password.selectAll()
            return
        self.accept()


class WorklistWidget(QWidget):
    """Subjects and their timepoints with status; filter, sort, double-click (or Enter) to read."""

    open_requested = Signal(str, str)  # pseudonym, timepoint label ("" for the subject's next one)

    COLUMNS = ("Subject / timepoint", "Day", "Modality", "Status")

    def __init__(self, session: ReaderSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setObjectName("worklist")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter subjects, timepoints or status…")
        self.filter.setClearButtonEnabled(True)
        self.status_filter = QComboBox()
        self.status_filter.addItem("All", "")
        adjudicator = session.role == "adjudicator"
        keys = ("pending", "decided") if adjudicator else ("not_started", "draft", "signed")
        for key in keys:
            self.status_filter.addItem(STATUS_TEXT[key].capitalize(), STATUS_TEXT[key])
        self.refresh_button = QPushButton("Refresh")
        self.open_button = QPushButton("Adjudicate" if adjudicator else "Read")
        top.addWidget(self.filter, 1)
        top.addWidget(self.status_filter)
        top.addWidget(self.refresh_button)
        top.addWidget(self.open_button)
        layout.addLayout(top)
        self.model = QStandardItemModel(0, len(self.COLUMNS), self)
        self.model.setHorizontalHeaderLabels(list(self.COLUMNS))
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setRecursiveFilteringEnabled(True)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setSortRole(Qt.ItemDataRole.UserRole + 1)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setAlternatingRowColors(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.tree, 1)
        self.summary = QLabel()
        layout.addWidget(self.summary)
        self.filter.textChanged.connect(self._apply_filter)
        self.status_filter.currentIndexChanged.connect(lambda _i: self._apply_filter())
        self.refresh_button.clicked.connect(self.refresh)
        self.open_button.clicked.connect(self._open_current)
        self.tree.doubleClicked.connect(lambda _index: self._open_current())
        self.tree.activated.connect(lambda _index: self._open_current())
        self.subjects: list[SubjectView] = []
        self.refresh()

    @staticmethod
    def _cell(text: str, sort: object, data: tuple[str, str]) -> QStandardItem:
        item = QStandardItem(text)
        item.setData(sort, Qt.ItemDataRole.UserRole + 1)
        item.setData(data, Qt.ItemDataRole.UserRole + 2)
        return item

    def refresh(self) -> None:
        try:
            self.subjects = self.session.worklist()
        except SfrtError as error:
            self.summary.setText(str(error))
            return
        self.model.removeRows(0, self.model.rowCount())
        done = 0
        for subject in self.subjects:
            statuses = [tp.status for tp in subject.timepoints]
            if subject.adjudication is not None:
                overall = STATUS_TEXT.get(subject.adjudication, subject.adjudication)
            elif statuses and all(s == "signed" for s in statuses):
                overall = "signed"
                done += 1
            elif any(s != "not_started" for s in statuses):
                overall = "in progress"
            else:
                overall = "not started"
            key = (subject.pseudonym, "")
            row = [
                self._cell(subject.pseudonym, subject.pseudonym, key),
                self._cell("", 0, key),
                self._cell(", ".join(sorted({tp.modality or "?" for tp in subject.timepoints})), "", key),
                self._cell(overall, overall, key),
            ]
            for n, tp in enumerate(subject.timepoints):
                child_key = (subject.pseudonym, tp.label)
                day = "" if tp.day is None else f"day {tp.day}"
                row[0].appendRow(
                    [
                        self._cell(tp.label, n, child_key),
                        self._cell(day, tp.day if tp.day is not None else -1, child_key),
                        self._cell(
                            (tp.modality or "?") + (" + contrast" if tp.contrast else ""), tp.modality or "", child_key
                        ),
                        # the adjudicator reads nothing himself: his own progress on a timepoint means nothing
                        self._cell(
                            "" if self.session.role == "adjudicator" else STATUS_TEXT.get(tp.status, tp.status),
                            tp.status,
                            child_key,
                        ),
                    ]
                )
            self.model.appendRow(row)
        self.tree.expandAll()
        if self.session.role == "adjudicator":
            states = [subject.adjudication for subject in self.subjects]
            self.summary.setText(
                f"{len(self.subjects)} subjects, {states.count('pending')} awaiting adjudication, "
                f"{states.count('decided')} adjudicated"
            )
        else:
            self.summary.setText(f"{len(self.subjects)} subjects, {done} fully signed")

    def _apply_filter(self) -> None:
        text = self.filter.text().strip()
        status = str(self.status_filter.currentData() or "")
        self.proxy.setFilterFixedString(status if status and not text else text)

    def _open_current(self) -> None:
        index = self.tree.currentIndex()
        if not index.isValid():
            return
        data = self.proxy.data(index, Qt.ItemDataRole.UserRole + 2)
        if data:
            pseudonym, label = data
            self.open_requested.emit(str(pseudonym), str(label))

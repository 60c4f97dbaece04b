"""The reading panels: lesions x timepoints table, response panel, sign and amendment dialogs.

They only display views handed out by the reader's session (`ReadView`, `AssessmentView`); every number shown
comes from the read database or the criteria engine's stored output, never recomputed here.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from sfrt_reader.criteria.exact import round_toward_zero
from sfrt_reader.reading.views import MeasurementView, ReadView
from sfrt_reader.ui.refusable_dialog import RefusableDialog
from sfrt_reader.ui.wrapped_rows import WrappedSpanDelegate

CRITERIA_NAMES = {"recist1.1": "RECIST 1.1", "choi": "Choi"}


def _fmt(value: float | None, unit: str, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f} {unit}"


def _pct(now: float, ref: float | None) -> str:
    """Change in percent as the criteria engine shows it: from the recorded values (0.1 mm), rounded toward
    zero, so the table never reads -4.6% where the response reasons say 4.5% below the baseline."""
    if ref is None or round(ref, 1) == 0:
        return "—"
    now_r, ref_r = Fraction(str(round(now, 1))), Fraction(str(round(ref, 1)))
    return f"{round_toward_zero(100 * (now_r - ref_r) / ref_r):+.1f}%"


def measurement_text(m: MeasurementView) -> str:
    if m.status != "measured":
        return m.status.replace("_", " ")
    unit = "HU" if (m.unit or "HU") == "HU" else "signal"
    parts = [f"LD {_fmt(m.diameter_mm, 'mm')}"]
    if m.short_axis_mm is not None:
        parts.append(f"SA {_fmt(m.short_axis_mm, 'mm')}")
    if m.mean_hu is not None:
        parts.append(f"mean {m.mean_hu:.0f} {unit}")
    if m.volume_ml is not None:
        parts.append(f"vol {m.volume_ml:.1f} ml")
    return "\n".join(parts)


class LesionTable(QTableWidget):
    """Lesions (rows) x timepoints (columns): LD / SA / mean / volume, change from baseline and from nadir."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lesionTable")
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)

    def show_read(self, read: ReadView) -> None:
        labels = [tp.label for tp in read.timepoints]
        self.setColumnCount(len(labels))
        self.setHorizontalHeaderLabels(
            [f"{tp.label}\nday {tp.day}" if tp.day is not None else tp.label for tp in read.timepoints]
        )
        self.setRowCount(len(read.lesions) + 1)
        self.setVerticalHeaderLabels(
            [f"{les.code} {les.role}\n{les.organ}{' (node)' if les.nodal else ''}" for les in read.lesions]
            + ["Sum of LD"]
        )
        baseline: dict[str, float] = {}
        nadir: dict[str, float] = {}
        sums: list[float | None] = []
        for c, tp in enumerate(read.timepoints):
            by_code = {m.lesion: m for m in tp.measurements}
            total: float | None = 0.0
            for r, les in enumerate(read.lesions):
                text = ""
                if les.role == "non-target":
                    text = tp.non_targets.get(les.code, "no status").replace("_", " ")
                elif les.code in by_code:
                    m = by_code[les.code]
                    text = measurement_text(m)
                    size = m.short_axis_mm if les.nodal else m.diameter_mm
                    if m.status == "measured" and size is not None:
                        if les.code in baseline:
                            text += f"\nΔBL {_pct(size, baseline[les.code])}  Δnadir {_pct(size, nadir[les.code])}"
                        baseline.setdefault(les.code, size)
                        nadir[les.code] = min(nadir.get(les.code, size), size)
                        if les.role == "target" and total is not None:
                            total += size
                elif les.role == "target":
                    text = "not measured"
                    total = None
                self.setItem(r, c, QTableWidgetItem(text))
            sums.append(total)
            self.setItem(len(read.lesions), c, QTableWidgetItem(_fmt(total, "mm")))


class ResponsePanel(QTreeWidget):
    """RECIST 1.1 and Choi per timepoint and the best overall response; each row expands to the engine's reasons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("responsePanel")
        self.setColumnCount(3)
        self.setHeaderLabels(["Timepoint", "RECIST 1.1", "Choi"])
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.setWordWrap(True)
        self.setUniformRowHeights(False)
        # reasons are whole sentences: wrapped to the panel's width, never cut with "..."
        self.setItemDelegate(WrappedSpanDelegate(self))
        header.sectionResized.connect(lambda *_: self.scheduleDelayedItemsLayout())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.scheduleDelayedItemsLayout()  # a narrower panel wraps the reasons on more lines

    def show_read(self, read: ReadView) -> None:
        self.clear()
        for tp in read.timepoints:
            results: dict[str, Any] = tp.results or {}
            texts = []
            for criterion in ("recist1.1", "choi"):
                entry = results.get(criterion) or {}
                texts.append(entry.get("overall") or ("baseline" if tp.day == 0 else "—"))
            item = QTreeWidgetItem([f"{tp.label} ({tp.status})", *texts])
            for criterion in ("recist1.1", "choi"):
                entry = results.get(criterion) or {}
                reasons = entry.get("reasons") or []
                if reasons:
                    head = QTreeWidgetItem([CRITERIA_NAMES[criterion], "", ""])
                    item.addChild(head)
                    for reason in reasons:
                        child = QTreeWidgetItem([reason])
                        child.setToolTip(0, reason)
                        head.addChild(child)
            for problem in tp.problems:
                child = QTreeWidgetItem([f"problem: {problem}"])
                child.setToolTip(0, problem)
                item.addChild(child)
            index = {"recist1.1": 1, "choi": 2}
            for criterion, column in index.items():
                reasons = (results.get(criterion) or {}).get("reasons") or []
                item.setToolTip(column, "\n".join(reasons))
            self.addTopLevelItem(item)
            _span(item)
        best = read.results or {}
        row = QTreeWidgetItem(
            [
                "Best overall response",
                *[
                    str((best.get(c) or {}).get("best_overall_response") or "—")
                    + (
                        f" (PD day {(best.get(c) or {}).get('progression_day')})"
                        if (best.get(c) or {}).get("progression_day") is not None
                        else ""
                    )
                    for c in ("recist1.1", "choi")
                ],
            ]
        )
        for c, column in (("recist1.1", 1), ("choi", 2)):
            reasons = (best.get(c) or {}).get("reasons") or []
            row.setToolTip(column, "\n".join(reasons))
            for reason in reasons:
                child = QTreeWidgetItem([f"{CRITERIA_NAMES[c]}: {reason}"])
                child.setToolTip(0, reason)
                row.addChild(child)
        font = row.font(0)
        font.setBold(True)
        for column in range(3):
            row.setFont(column, font)
        self.addTopLevelItem(row)
        _span(row)

    def focus_timepoint(self, label: str, scroll: bool = True) -> None:
        """Unfold the reasons of the timepoint under review and of the best overall response, fold the others:
        what a reader or adjudicator looks at before signing (every reason is wrapped in full, so all of them
        would not fit)."""
        for n in range(self.topLevelItemCount()):
            item = self.topLevelItem(n)
            text = item.text(0)
            unfold = text.startswith(f"{label} (") or text == "Best overall response"
            item.setExpanded(unfold)
            for c in range(item.childCount()):
                item.child(c).setExpanded(unfold)
            if scroll and text.startswith(f"{label} ("):
                self.scrollToItem(item, QAbstractItemView.ScrollHint.PositionAtTop)


def _span(item: QTreeWidgetItem) -> None:
    """Reasons are sentences: let each child row use the panel's whole width (the item must be in the tree)."""
    for n in range(item.childCount()):
        child = item.child(n)
        child.setFirstColumnSpanned(True)
        _span(child)


class PasswordSignatureDialog(QDialog):
    """An electronic signature: what is signed and its meaning shown, the password entered again.

    Why one class: every signature in the workstation (a timepoint, an adjudication) must show the same things and
    ask for the password the same way."""

    def __init__(self, title: str, text_html: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        layout = QVBoxLayout(self)
        text = QLabel(text_html)
        text.setWordWrap(True)
        layout.addWidget(text)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Your password")
        layout.addWidget(self.password)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Sign")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


class SignDialog(PasswordSignatureDialog):
    """A timepoint's electronic signature."""

    def __init__(self, label: str, meaning: str, reader: str, parent: QWidget | None = None) -> None:
        super().__init__(
            f"Sign timepoint {label}",
            f"You are signing timepoint <b>{label}</b> as <b>{reader}</b>.<br><br>"
            f"Meaning of this signature: <b>“{meaning}”</b>.<br><br>"
            "After signing, this timepoint is read-only; a change needs an amendment with a reason.",
            parent,
        )


class AmendDialog(RefusableDialog):
    """An amendment to a signed timepoint: the reason is required (the reading layer refuses a short one).

    With `submit`, the amendment is made from the dialog: a refusal (a reason too short, or one that names the
    patient) is shown in the dialog, which stays open with the reason as typed, so nothing is lost."""

    def __init__(
        self, label: str, parent: QWidget | None = None, submit: Callable[[str], object] | None = None
    ) -> None:
        super().__init__(parent, submit, "amendError")
        self.setWindowTitle(f"Amend timepoint {label}")
        layout = QVBoxLayout(self)
        text = QLabel(
            f"Timepoint <b>{label}</b> is signed. An amendment creates a new version to edit and sign again; the "
            "signed version stays in the record. Why is it amended?"
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        self.reason = QPlainTextEdit()
        self.reason.setPlaceholderText("Reason (required)")
        layout.addWidget(self.reason)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Amend")
        self.ok.setEnabled(False)
        self.reason.textChanged.connect(lambda: self.ok.setEnabled(bool(self.reason.toPlainText().strip())))
        layout.addWidget(self.error)
        buttons.accepted.connect(lambda: self.submit_text(self.reason.toPlainText()))
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

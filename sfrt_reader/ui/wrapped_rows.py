"""Word-wrapped sentence rows in a tree: the criteria engine's reasons, read in full without a mouse hunt.

Why a delegate of our own: a QTreeView row whose first column spans the row is painted across the whole width, but
Qt asks the delegate for its height as if the text stood in column 0 alone and on one line, so a reason such as "sum
83.0 mm is 6.5% below the baseline 88.8 mm (PR needs 30%) ..." is cut with "...". This delegate measures a spanned
row's text wrapped to the width the row really gets (from its indentation to the right edge of the header, or of
the visible area if the columns are wider than a narrow panel) and paints it wrapped there; rows that do not span
(a timepoint with its RECIST and Choi columns) are left to Qt, so those columns stay aligned.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QApplication, QStyle, QStyledItemDelegate, QStyleOptionViewItem, QTreeView, QWidget

WRAP_FLAGS = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap)
MARGIN = 3  # the text's horizontal margin inside the row, as the style's item margin
VERTICAL_PAD = 2

IndexLike = QModelIndex | QPersistentModelIndex


def depth(index: IndexLike) -> int:
    """0 for a top-level row, 1 for its children, ..."""
    n, parent = 0, index.parent()
    while parent.isValid():
        n, parent = n + 1, parent.parent()
    return n


class WrappedSpanDelegate(QStyledItemDelegate):
    """Wraps the text of first-column-spanned rows of `tree` to the row's full width; other rows as Qt draws them."""

    def __init__(self, tree: QTreeView) -> None:
        super().__init__(tree)
        self.tree = tree

    def _spanned(self, index: IndexLike) -> bool:
        return index.column() == 0 and self.tree.isFirstColumnSpanned(index.row(), index.parent())

    def text_width(self, index: IndexLike) -> int:
        """The width the text of a spanned row is wrapped to: from the row's indentation to the right edge of the
        header, or of the visible area when the columns are wider than the panel (a narrow dock), so that no
        sentence runs out of sight behind a horizontal scroll bar."""
        levels = depth(index) + (1 if self.tree.rootIsDecorated() else 0)
        visible = min(self.tree.header().length(), self.tree.viewport().width())
        return max(40, visible - levels * self.tree.indentation() - 2 * MARGIN)

    def sizeHint(self, option: QStyleOptionViewItem, index: IndexLike) -> QSize:
        if not self._spanned(index):
            return super().sizeHint(option, index)
        text = str(index.data(Qt.ItemDataRole.DisplayRole) or "")
        metrics = QFontMetrics(self._font(option, index))
        width = self.text_width(index)
        bounds = metrics.boundingRect(QRect(0, 0, width, 100_000), WRAP_FLAGS, text)
        return QSize(width + 2 * MARGIN, max(bounds.height(), metrics.height()) + 2 * VERTICAL_PAD)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: IndexLike) -> None:
        if not self._spanned(index):
            super().paint(painter, option, index)
            return
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        text = opt.text
        opt.text = ""  # the background, selection and focus from the style; the wrapped text from us
        widget: QWidget | None = option.widget  # type: ignore[attr-defined]
        style = widget.style() if widget is not None else QApplication.style()
        style.drawControl(QStyle.ControlElement.CE_ItemViewItem, opt, painter, widget)
        rect = opt.rect.adjusted(MARGIN, VERTICAL_PAD, -MARGIN, -VERTICAL_PAD)  # type: ignore[attr-defined]
        rect.setWidth(self.text_width(index))  # as measured in sizeHint
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        painter.save()
        painter.setFont(opt.font)  # type: ignore[attr-defined]
        painter.setPen(opt.palette.color(role))  # type: ignore[attr-defined]
        painter.drawText(rect, WRAP_FLAGS, text)
        painter.restore()

    def _font(self, option: QStyleOptionViewItem, index: IndexLike) -> QFont:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        return QFont(opt.font)  # type: ignore[attr-defined]

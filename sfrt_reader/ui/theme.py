"""The dark reading-room theme: a Fusion palette and a short style sheet.

Reading rooms are dim and images are judged by grey levels, so everything around the image is dark and neutral;
colour is kept for state (the active viewport's border, a checked tool, measurement lines).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

BACKGROUND = "#15171a"
PANEL = "#1d2024"
RAISED = "#272b30"
BORDER = "#33383e"
TEXT = "#d7dade"
MUTED = "#8a9099"
ACCENT = "#3d8ee0"

STYLE_SHEET = f"""
QMainWindow, QWidget {{ background: {BACKGROUND}; color: {TEXT}; }}
QToolBar {{ background: {PANEL}; border: none; border-bottom: 1px solid {BORDER}; spacing: 2px; padding: 3px; }}
QToolBar::separator {{ background: {BORDER}; width: 1px; margin: 4px 6px; }}
QToolButton {{ background: transparent; border: 1px solid transparent; border-radius: 4px; padding: 3px;
              color: {TEXT}; }}
QToolButton:hover {{ background: {RAISED}; border-color: {BORDER}; }}
QToolButton:checked {{ background: #1f3b57; border-color: {ACCENT}; }}
QStatusBar {{ background: {PANEL}; color: {MUTED}; border-top: 1px solid {BORDER}; }}
QStatusBar QLabel {{ color: {MUTED}; padding: 0 6px; }}
QDockWidget {{ color: {TEXT}; }}
QDockWidget::title {{ background: {PANEL}; padding: 5px 8px; border-bottom: 1px solid {BORDER}; }}
QTableWidget, QTableView {{ background: {PANEL}; alternate-background-color: #202328; gridline-color: {BORDER};
                            border: none; selection-background-color: #1f3b57; }}
QHeaderView::section {{ background: {RAISED}; color: {MUTED}; border: none; border-right: 1px solid {BORDER};
                        padding: 4px 6px; }}
QProgressBar {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 3px; height: 12px;
               text-align: center; color: {TEXT}; }}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 2px; }}
QPushButton {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 4px; padding: 3px 10px; }}
QPushButton:hover {{ border-color: {ACCENT}; }}
QComboBox {{ background: {RAISED}; border: 1px solid {BORDER}; border-radius: 4px; padding: 2px 8px; }}
QMenu {{ background: {PANEL}; border: 1px solid {BORDER}; }}
QMenu::item:selected {{ background: #1f3b57; }}
QToolTip {{ background: {RAISED}; color: {TEXT}; border: 1px solid {BORDER}; }}
"""


def apply_theme(app: QApplication) -> None:
    """Fusion style, dark palette, the style sheet and a legible sans-serif font."""
    app.setStyle("Fusion")
    palette = QPalette()
    colours = {
        QPalette.ColorRole.Window: BACKGROUND,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: PANEL,
        QPalette.ColorRole.AlternateBase: RAISED,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: RAISED,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: RAISED,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: MUTED,
    }
    for role, colour in colours.items():
        palette.setColor(role, QColor(colour))
    app.setPalette(palette)
    app.setFont(QFont("DejaVu Sans", 9))
    app.setStyleSheet(STYLE_SHEET)

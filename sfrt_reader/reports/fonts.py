"""The PDF font: DejaVu Sans embedded when the system has it (so "≥", "±" and accented names print), else Helvetica.

Reportlab's built-in Helvetica has no glyph for "≥" and is not embedded; DejaVu Sans (Debian fonts-dejavu-core)
covers them and is embedded as a subset, so the PDF prints the same everywhere.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

DEJAVU_FOLDERS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)


@cache
def font_names() -> tuple[str, str]:
    """(regular, bold) font names registered with reportlab."""
    for folder in DEJAVU_FOLDERS:
        regular, bold = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf"
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont("DejaVuSans", str(regular)))
            pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(bold)))
            pdfmetrics.registerFontFamily("DejaVuSans", normal="DejaVuSans", bold="DejaVuSans-Bold")
            return "DejaVuSans", "DejaVuSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def unicode_ok() -> bool:
    """Whether "≥" and "±" can be printed (otherwise the text falls back to ">=" and "+/-")."""
    return font_names()[0] != "Helvetica"


def printable(text: str) -> str:
    if unicode_ok():
        return text
    return text.replace("≥", ">=").replace("≤", "<=").replace("±", "+/-")

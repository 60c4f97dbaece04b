"""Reportlab building blocks shared by the response form and the subject summary: styles, tables, the page
footer with "page x of y" and the content hash, and the key-image flowable."""

from __future__ import annotations

from typing import Any

from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, Paragraph, Table, TableStyle

from sfrt_reader.reports.fonts import font_names, printable
from sfrt_reader.reports.keyimages import KeyImage

PAGE = A4
MARGIN = 15 * mm
INK = colors.HexColor("#1a1a1a")
RULE = colors.HexColor("#7a7a7a")
SHADE = colors.HexColor("#e8edf3")
BAND = colors.HexColor("#23415f")
OVERLAY_COLOURS = {"long": "#ffd000", "line": "#ffd000", "short": "#00d0ff", "region": "#ff5cf4"}


def styles() -> dict[str, ParagraphStyle]:
    regular, bold = font_names()
    base = ParagraphStyle("base", fontName=regular, fontSize=8.5, leading=10.5, textColor=INK)
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.2, leading=8.8),
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=9.6),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=13, leading=16, textColor=colors.white),
        "subtitle": ParagraphStyle("subtitle", parent=base, fontSize=8, leading=10, textColor=colors.white),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=bold, fontSize=9.5, leading=12, spaceBefore=6, spaceAfter=3, textColor=BAND
        ),
        "bold": ParagraphStyle("bold", parent=base, fontName=bold),
    }


def esc(value: Any) -> str:
    """Text safe for a reportlab Paragraph (which reads a small XML dialect)."""
    text = "" if value is None else str(value)
    return printable(text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def num(value: Any, digits: int = 1, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return f"{float(value):.{digits}f}{suffix}"


def signed_pct(value: Any) -> str:
    return "-" if value is None else f"{float(value):+.1f}%"


def grid_table(
    rows: list[list[Any]], widths: list[float], header_rows: int = 1, align_right: tuple[int, ...] = ()
) -> Table:
    """A ruled table with a shaded header; numeric columns (align_right) right-aligned so decimals line up."""
    regular, bold = font_names()
    head = ParagraphStyle("head", fontName=bold, fontSize=7.6, leading=9, textColor=INK)
    # Header cells wrap inside their column instead of running into the next one.
    rows = [
        [Paragraph(esc(cell), head) if r < header_rows and isinstance(cell, str) else cell for cell in row]
        for r, row in enumerate(rows)
    ]
    table = Table(rows, colWidths=widths, repeatRows=header_rows)
    style = [
        ("FONT", (0, 0), (-1, -1), regular, 8),
        ("FONT", (0, 0), (-1, header_rows - 1), bold, 8),
        ("BACKGROUND", (0, 0), (-1, header_rows - 1), SHADE),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
    for col in align_right:
        style.append(("ALIGN", (col, header_rows), (col, -1), "RIGHT"))
    table.setStyle(TableStyle(style))
    return table


def field_table(pairs: list[tuple[str, str]], width: float, columns: int = 2) -> Table:
    """Label/value pairs in `columns` column pairs (the form's header block)."""
    regular, bold = font_names()
    cell = styles()["cell"]
    rows: list[list[Any]] = []
    for start in range(0, len(pairs), columns):
        row: list[Any] = []
        for label, value in pairs[start : start + columns]:
            row += [label, Paragraph(esc(value), cell)]
        row += [""] * (2 * columns - len(row))
        rows.append(row)
    label_w = 26 * mm
    value_w = width / columns - label_w
    table = Table(rows, colWidths=[label_w, value_w] * columns)
    style = [
        ("FONT", (0, 0), (-1, -1), regular, 8),
        ("GRID", (0, 0), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    for c in range(columns):
        style += [("FONT", (2 * c, 0), (2 * c, -1), bold, 8), ("BACKGROUND", (2 * c, 0), (2 * c, -1), SHADE)]
    table.setStyle(TableStyle(style))
    return table


def title_band(title: str, subtitle: str, width: float) -> Table:
    st = styles()
    table = Table([[Paragraph(esc(title), st["title"])], [Paragraph(esc(subtitle), st["subtitle"])]], colWidths=[width])
    table.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BAND),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return table


def numbered_canvas(footer_left: str, footer_hash: str) -> type[Canvas]:
    """A canvas class that holds its pages until the end, then writes "page x of y" and the footer on each."""

    class NumberedCanvas(Canvas):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._saved: list[dict[str, Any]] = []

        def showPage(self) -> None:
            self._saved.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._saved)
            for state in self._saved:
                self.__dict__.update(state)
                self._footer(total)
                super().showPage()
            super().save()

        def _footer(self, total: int) -> None:
            regular, _ = font_names()
            width, _ = PAGE
            self.setStrokeColor(RULE)
            self.setLineWidth(0.4)
            self.line(MARGIN, 12 * mm, width - MARGIN, 12 * mm)
            self.setFillColor(INK)
            self.setFont(regular, 7)
            self.drawString(MARGIN, 8.5 * mm, footer_left)
            self.drawRightString(width - MARGIN, 8.5 * mm, f"page {self._pageNumber} of {total}")
            self.setFont(regular, 6.3)
            self.drawString(MARGIN, 5 * mm, f"content SHA-256 {footer_hash}")

    return NumberedCanvas


class KeyImageFlowable(Flowable):  # type: ignore[misc]
    """A key image drawn at `size`: the windowed crop, the measurement as vector lines, a scale bar and captions."""

    def __init__(self, image: KeyImage | None, caption: str, size: float, note: str = "") -> None:
        super().__init__()
        self.image = image
        self.caption = caption
        self.size = size
        self.note = note
        self.caption_h = 11.0

    def wrap(self, available_width: float, available_height: float) -> tuple[float, float]:
        return self.size, self.size + self.caption_h

    def draw(self) -> None:
        c = self.canv
        regular, bold = font_names()
        s = self.size
        c.setFont(regular, 7.5)
        c.setFillColor(INK)
        c.drawString(0, s + 3, printable(self.caption))
        c.setFillColor(colors.black)
        c.rect(0, 0, s, s, stroke=0, fill=1)
        if self.image is None:
            c.setFillColor(colors.white)
            c.setFont(regular, 8)
            c.drawCentredString(s / 2, s / 2, self.note or "no image recorded")
            return
        grey = self.image.grey
        h_px, w_px = grey.shape
        # Bilinear upsampling to about 150 dpi at the printed size, as a viewer interpolates on screen (more costs
        # compression time and file size for no visible gain on a 64 mm image).
        side = max(w_px, min(400, round(s / 72 * 150)))
        picture = PILImage.fromarray(grey, mode="L").resize((side, side), PILImage.Resampling.BILINEAR)
        c.drawImage(ImageReader(picture), 0, 0, width=s, height=s)
        fx, fy = s / w_px, s / h_px
        for ov in self.image.overlays:
            colour = colors.HexColor(OVERLAY_COLOURS.get(ov.kind, "#ffd000"))
            c.setStrokeColor(colour)
            c.setLineWidth(1.1 if ov.kind != "region" else 0.8)
            path = c.beginPath()
            x, y = ov.points[0]
            path.moveTo(x * fx, s - y * fy)
            for x, y in ov.points[1:]:
                path.lineTo(x * fx, s - y * fy)
            if ov.closed:
                path.close()
            c.drawPath(path, stroke=1, fill=0)
            if not ov.closed:
                for x, y in (ov.points[0], ov.points[-1]):
                    c.circle(x * fx, s - y * fy, 1.4, stroke=1, fill=0)
        # Scale bar: 20 mm (50 mm when the field is wide), along x, bottom left.
        mm_x = self.image.mm_per_px[0]
        field_mm = w_px * mm_x
        bar_mm = 50.0 if field_mm > 150 else (20.0 if field_mm > 50 else 10.0)
        bar = bar_mm / mm_x * fx
        c.setStrokeColor(colors.white)
        c.setLineWidth(1.5)
        c.line(6, 8, 6 + bar, 8)
        c.line(6, 5, 6, 11)
        c.line(6 + bar, 5, 6 + bar, 11)
        c.setFillColor(colors.white)
        c.setFont(regular, 6.5)
        c.drawString(6, 13, f"{bar_mm:g} mm")
        w = self.image.window
        c.drawRightString(s - 4, 5, f"W {w.width:g} / L {w.center:g}")
        if self.note:
            c.setFont(bold, 7)
            c.drawString(4, s - 10, printable(self.note))

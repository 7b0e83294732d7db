"""The layout of a Chinese official document (党政机关公文格式, GB/T 9704-2012) in python-docx, shared
by the rectification notice and the inspection bulletin.

A4, 37/35/28/26 mm margins, 22 lines of 28 pt; the issuing office in red over a red rule, the
title in 2号 小标宋, body text in 3号 仿宋 with a two-character indent, headings 一、 in 黑体 and
（一） in 楷体, the signature and date to the right, page numbers "— N —" at the foot. Word on an
office PC has these fonts; elsewhere the nearest Chinese font stands in.
"""
from __future__ import annotations

import io
import re
from collections.abc import Collection
from datetime import date, timedelta

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_ROW_HEIGHT_RULE, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

TITLE_FONT, BODY_FONT, HEADING_FONT, SUBHEADING_FONT = "方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312"
TABLE_FONT = "宋体"
LATIN_FONT = "Times New Roman"
BODY_SIZE, TITLE_SIZE, LETTERHEAD_SIZE, TABLE_SIZE = Pt(16), Pt(22), Pt(30), Pt(10.5)  # 3号, 2号, 五号
LINE = Pt(28)
RED = RGBColor(0xC0, 0x00, 0x00)
INDENT = Pt(32)  # two characters of 3号


# Characters XML 1.0 does not allow (crawled link texts hold them): Word files cannot carry them.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    return XML_ILLEGAL.sub("", text)


def chinese_date(day: date) -> str:
    """2026年3月5日: the date of a signature or a deadline, as official documents write it."""
    return f"{day.year}年{day.month}月{day.day}日"


def add_working_days(day: date, count: int, holidays: Collection[date] = (),
                     makeup_workdays: Collection[date] = ()) -> date:
    """The day `count` working days after `day`: Monday to Friday but `holidays`, and the weekend
    days of `makeup_workdays` (调休)."""
    while count > 0:
        day += timedelta(days=1)
        if day in makeup_workdays or (day.weekday() < 5 and day not in holidays):
            count -= 1
    return day


def new_document() -> Document:
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    normal = document.styles["Normal"]
    set_font(normal, BODY_FONT, BODY_SIZE)
    normal.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    normal.paragraph_format.line_spacing = LINE
    normal.paragraph_format.space_before = normal.paragraph_format.space_after = Pt(0)
    page_number_footer(section)
    return document


def set_font(target, east_asian: str, size=None, bold: bool | None = None, color: RGBColor | None = None) -> None:
    """Chinese text in `east_asian`, Latin text in Times New Roman (a run or a style)."""
    target.font.name = LATIN_FONT
    fonts = target.element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asian)
    if size is not None:
        target.font.size = size
    if bold is not None:
        target.font.bold = bold
    if color is not None:
        target.font.color.rgb = color


def paragraph(document, text: str = "", font: str = BODY_FONT, size=BODY_SIZE, align=None, indent=INDENT,
              bold: bool | None = None, color: RGBColor | None = None):
    block = document.add_paragraph()
    if align is not None:
        block.alignment = align
    block.paragraph_format.first_line_indent = indent
    if text:
        set_font(block.add_run(xml_text(text)), font, size, bold, color)
    return block


def letterhead(document, office: str) -> None:
    """The issuing office in red, centred, over a red rule (版头)."""
    head = paragraph(document, office, TITLE_FONT, LETTERHEAD_SIZE, WD_ALIGN_PARAGRAPH.CENTER, None, color=RED)
    head.paragraph_format.line_spacing = Pt(44)
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("val", "single"), ("sz", "18"), ("space", "8"), ("color", "C00000")):
        bottom.set(qn(f"w:{key}"), value)
    border.append(bottom)
    head._p.get_or_add_pPr().append(border)
    paragraph(document)


TITLE_LINE_WIDTH = 18  # 2号 Chinese characters on a line of the A4 type area, with room for the space
# a word processor puts between Chinese and Latin text


def text_width(text: str) -> float:
    """In Chinese characters: Latin letters and digits are half as wide."""
    return sum(0.5 if ord(char) < 0x2E80 else 1 for char in text)


def title(document, *parts: str) -> None:
    """The title, centred; too long for a line, it breaks between `parts` rather than mid-phrase."""
    lines = [""]
    for part in parts:
        if lines[-1] and text_width(lines[-1] + part) > TITLE_LINE_WIDTH:
            lines.append("")
        lines[-1] += part
    block = paragraph(document, "", TITLE_FONT, TITLE_SIZE, WD_ALIGN_PARAGRAPH.CENTER, None)
    block.paragraph_format.line_spacing = Pt(36)
    for number, line in enumerate(lines):
        run = block.add_run(xml_text(line))
        set_font(run, TITLE_FONT, TITLE_SIZE)
        if number < len(lines) - 1:
            run.add_break()
    paragraph(document)


def picture(document, png: bytes, width_mm: float, caption: str) -> None:
    """An image centred (single line spacing: the fixed 28 pt would crop it), its caption below."""
    block = paragraph(document, align=WD_ALIGN_PARAGRAPH.CENTER, indent=None)
    block.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    block.add_run().add_picture(io.BytesIO(png), width=Mm(width_mm))
    paragraph(document, caption, size=Pt(12), align=WD_ALIGN_PARAGRAPH.CENTER, indent=None)


def addressee(document, text: str) -> None:
    """主送机关: flush left, ending in a full-width colon."""
    paragraph(document, f"{text}：", indent=None)


def heading(document, text: str, level: int = 1) -> None:
    """一、 in 黑体, （一） in 楷体."""
    paragraph(document, text, HEADING_FONT if level == 1 else SUBHEADING_FONT)


def annex_label(document) -> None:
    """附件, flush left in 黑体 at the head of an annex's first page."""
    paragraph(document, "附件", HEADING_FONT, indent=None)


def signature(document, office: str, day: date) -> None:
    """The issuing office and the date at the right, four characters in from the margin."""
    paragraph(document)
    paragraph(document)
    for text in (office, chinese_date(day)):
        block = paragraph(document, text, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=None)
        block.paragraph_format.right_indent = Pt(64)


def landscape_section(document) -> None:
    """From here on, pages turned sideways: wide tables (an annex) read better."""
    section = document.add_section()
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(28), Mm(26)
    section.left_margin, section.right_margin = Mm(37), Mm(35)


def table(document, headers: list[str], rows: list[list[str]], widths_mm: list[float], size=TABLE_SIZE,
          row_height_mm: float | None = None):
    """A ruled table, the header row bold and repeated on every page, cells in 宋体; rows at least
    `row_height_mm` high (room to write in a form)."""
    grid = document.add_table(rows=1, cols=len(headers))
    grid.style = "Table Grid"
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(grid.rows[0].cells, headers):
        cell_text(cell, text, size, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    header_properties = grid.rows[0]._tr.get_or_add_trPr()
    repeat = OxmlElement("w:tblHeader")
    repeat.set(qn("w:val"), "true")
    header_properties.append(repeat)
    for values in rows:
        row = grid.add_row()
        if row_height_mm is not None:
            row.height, row.height_rule = Mm(row_height_mm), WD_ROW_HEIGHT_RULE.AT_LEAST
        for cell, text in zip(row.cells, values):
            cell_text(cell, text, size)
    # Word reads the cells' widths, LibreOffice the grid's: set both, and keep them fixed
    grid.autofit = False
    for column, width, grid_column in zip(grid.columns, widths_mm, grid._tbl.tblGrid.findall(qn("w:gridCol"))):
        grid_column.set(qn("w:w"), str(int(Mm(width).twips)))
        for cell in column.cells:
            cell.width = Mm(width)
    return grid


def cell_text(cell, text: str, size, bold: bool = False, align=None) -> None:
    block = cell.paragraphs[0]
    block.paragraph_format.line_spacing_rule = WD_LINE_SPACING.SINGLE
    block.paragraph_format.first_line_indent = None
    if align is not None:
        block.alignment = align
    set_font(block.add_run(xml_text(text)), TABLE_FONT, size, bold)


def page_number_footer(section) -> None:
    """"— N —" centred at the foot of every page."""
    block = section.footer.paragraphs[0]
    block.alignment = WD_ALIGN_PARAGRAPH.CENTER
    block.paragraph_format.first_line_indent = None
    set_font(block.add_run("— "), BODY_FONT, Pt(14))
    run = block.add_run()
    set_font(run, BODY_FONT, Pt(14))
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._r.append(element)
    set_font(block.add_run(" —"), BODY_FONT, Pt(14))


def docx_bytes(document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()

"""findings.xlsx: the run for inspectors who live in Excel.

A summary sheet, one sheet per unit (its CSV's rows plus the fingerprint `accept` takes), then
the resolved and accepted findings; Chinese column headers, filters on, header row frozen.
Only the report writers import this module: openpyxl stays off the crawl path.
"""
from __future__ import annotations

import re
from collections.abc import Iterable
from typing import BinaryIO

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter

from checks.findings import CATALOG
from crawler.outcome.model import STATE_NAMES, UnitReport
from crawler.report.rows import CSV_COLUMNS, SUMMARY_COLUMNS, accepted_rows, finding_row, open_rows, summary_rows

COLUMN_NAMES = {
    "unit_id": "单位代码", "unit_name": "单位名称", "check": "问题代码", "check_name": "问题类型",
    "severity": "严重程度", "page_url": "问题页面", "target_url": "链接地址", "link_text": "链接文字",
    "http_status": "HTTP状态码", "detail": "问题说明", "first_seen": "首次发现", "state": "状态",
    "pages_crawled": "抓取页面数", "links_checked": "检查链接数", "ipv6_verdict": "IPv6结论",
    "crawl_complete": "检查完整", "crawl_notes": "检查说明", **STATE_NAMES,
    "known": "已知页面与链接", "verified_tonight": "本次核验", "overdue": "逾期未核验",
    **{code: info.name for code, info in CATALOG.items()},
}
FINDING_HEADERS = [COLUMN_NAMES[c] for c in CSV_COLUMNS] + ["指纹"]
SUMMARY_SHEET, RESOLVED_SHEET, ACCEPTED_SHEET = "汇总", STATE_NAMES["resolved"], STATE_NAMES["accepted"]
# Excel refuses sheet names with these characters, longer than 31, or the reserved "History"
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
URL_COLUMNS = {"问题页面", "链接地址"}
WIDE_COLUMNS = {"问题说明", "检查说明"}


def sheet_names(reports: list[UnitReport]) -> list[str]:
    names, taken = [], {SUMMARY_SHEET, RESOLVED_SHEET, ACCEPTED_SHEET}
    for report in reports:
        base = SHEET_NAME_FORBIDDEN.sub("_", report.unit.id)[:31]
        if base.lower() == "history":
            base += "_"
        name, number = base, 2
        while name.lower() in taken:
            suffix = f"~{number}"
            name, number = base[:31 - len(suffix)] + suffix, number + 1
        taken.add(name.lower())
        names.append(name)
    return names


def findings_xlsx(file: BinaryIO, reports: list[UnitReport]) -> None:
    """The workbook into `file`, row by row (openpyxl's write-only mode: memory stays flat however
    many findings a unit has)."""
    workbook = Workbook(write_only=True)
    add_sheet(workbook, SUMMARY_SHEET, [COLUMN_NAMES[c] for c in SUMMARY_COLUMNS], summary_rows(reports))
    for name, report in zip(sheet_names(reports), reports):
        add_sheet(workbook, name, FINDING_HEADERS, (finding_row(r.finding, report.unit.name, r.first_seen, r.state)
                                                    + [r.fingerprint] for r in open_rows(report)))
    add_sheet(workbook, RESOLVED_SHEET, FINDING_HEADERS,
              (finding_row(r.finding, report.unit.name, r.first_seen, "resolved") + [r.fingerprint]
               for report in reports for r in report.resolved))
    add_sheet(workbook, ACCEPTED_SHEET, FINDING_HEADERS + ["接受理由", "有效期至"],
              (finding_row(r.finding, report.unit.name, r.first_seen, r.state)
               + [r.fingerprint, r.acceptance.reason, r.acceptance.until or "长期"]
               for report in reports for r in accepted_rows(report)))
    workbook.save(file)


def add_sheet(workbook: Workbook, name: str, headers: list[str], rows: Iterable[list]) -> None:
    """A sheet with filters on every column, the header row frozen, readable widths, and page text
    never turned into a formula."""
    sheet = workbook.create_sheet(name)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        width = 60 if header in URL_COLUMNS else 50 if header in WIDE_COLUMNS else max(10, 2 * len(header) + 4)
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.append(headers)
    count = 0
    for count, row in enumerate(rows, start=1):
        sheet.append([text_cell(sheet, value) for value in row])
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"  # written after the rows


def text_cell(sheet, value):
    """A value as its cell: control characters (in crawled link texts) dropped, as xlsx forbids them;
    text starting with "=" kept as text, where openpyxl would store a formula."""
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell

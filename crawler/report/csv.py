"""The CSV files of a run folder: one per unit, resolved.csv, accepted.csv and summary.csv."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from crawler.outcome.model import UnitReport
from crawler.report.rows import (CSV_COLUMNS, SUMMARY_COLUMNS, accepted_rows, finding_row, neutralise, open_rows,
                                 summary_rows)


def csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    """UTF-8 with BOM (Excel reads Chinese correctly), comma separated, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def unit_csv(report: UnitReport) -> bytes:
    return csv_bytes(CSV_COLUMNS, [finding_row(r.finding, report.unit.name, r.first_seen, r.state)
                                   for r in open_rows(report)])


def resolved_csv(reports: list[UnitReport]) -> bytes:
    return csv_bytes(CSV_COLUMNS, [finding_row(r.finding, report.unit.name, r.first_seen, "resolved")
                                   for report in reports for r in report.resolved])


def accepted_csv(reports: list[UnitReport]) -> bytes:
    """Accepted findings keep the unit CSV's columns; the reason and end date are in index.html."""
    return csv_bytes(CSV_COLUMNS, [finding_row(r.finding, report.unit.name, r.first_seen, r.state)
                                   for report in reports for r in accepted_rows(report)])


def summary_csv(reports: list[UnitReport]) -> bytes:
    return csv_bytes(SUMMARY_COLUMNS, summary_rows(reports))

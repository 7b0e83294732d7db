"""The CSV files of a run folder: one per unit, resolved.csv, accepted.csv and summary.csv.

Each is written row by row into its file: a unit with tens of thousands of findings is never
held as one text."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import BinaryIO

from crawler.outcome.model import UnitReport
from crawler.report.rows import (CSV_COLUMNS, SUMMARY_COLUMNS, accepted_rows, finding_row, neutralise, open_rows,
                                 summary_rows)


def write_csv(file: BinaryIO, header: list[str], rows: Iterable[list]) -> None:
    """UTF-8 with BOM (Excel reads Chinese correctly), comma separated, every cell neutralised."""
    text = io.TextIOWrapper(file, encoding="utf-8-sig", newline="")
    writer = csv.writer(text, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    text.flush()
    text.detach()  # the caller's file stays open


def csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    buffer = io.BytesIO()
    write_csv(buffer, header, rows)
    return buffer.getvalue()


def unit_csv(file: BinaryIO, report: UnitReport) -> None:
    write_csv(file, CSV_COLUMNS, (finding_row(r.finding, report.unit.name, r.first_seen, r.state)
                                  for r in open_rows(report)))


def resolved_csv(file: BinaryIO, reports: list[UnitReport]) -> None:
    write_csv(file, CSV_COLUMNS, (finding_row(r.finding, report.unit.name, r.first_seen, "resolved")
                                  for report in reports for r in report.resolved))


def accepted_csv(file: BinaryIO, reports: list[UnitReport]) -> None:
    """Accepted findings keep the unit CSV's columns; the reason and end date are in index.html."""
    write_csv(file, CSV_COLUMNS, (finding_row(r.finding, report.unit.name, r.first_seen, r.state)
                                  for report in reports for r in accepted_rows(report)))


def summary_csv(file: BinaryIO, reports: list[UnitReport]) -> None:
    write_csv(file, SUMMARY_COLUMNS, summary_rows(reports))

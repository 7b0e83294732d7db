"""The CSV files of a run folder: one per unit, resolved.csv, accepted.csv and summary.csv.

Each is written row by row into its file: a unit with tens of thousands of findings is never
held as one text."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import TextIO

from crawler.outcome.model import UnitReport
from crawler.report.rows import (CSV_COLUMNS, SUMMARY_COLUMNS, accepted_rows, finding_row, neutralise, open_rows,
                                 summary_rows)


# Excel reads Chinese correctly from UTF-8 only with a BOM; the csv module writes the line ends itself.
CSV_ENCODING, CSV_NEWLINE = "utf-8-sig", ""


def write_csv(file: TextIO, header: list[str], rows: Iterable[list]) -> None:
    """Comma separated into a text file opened with CSV_ENCODING and CSV_NEWLINE, every cell neutralised."""
    writer = csv.writer(file, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])


def csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    buffer = io.StringIO(newline=CSV_NEWLINE)
    write_csv(buffer, header, rows)
    return buffer.getvalue().encode(CSV_ENCODING)


def unit_csv(file: TextIO, report: UnitReport) -> None:
    write_csv(file, CSV_COLUMNS, (finding_row(r.finding, report.unit.name, r.first_seen, r.state)
                                  for r in open_rows(report)))


def resolved_csv(file: TextIO, reports: list[UnitReport]) -> None:
    write_csv(file, CSV_COLUMNS, (finding_row(r.finding, report.unit.name, r.first_seen, "resolved")
                                  for report in reports for r in report.resolved))


def accepted_csv(file: TextIO, reports: list[UnitReport]) -> None:
    """Accepted findings keep the unit CSV's columns; the reason and end date are in index.html."""
    write_csv(file, CSV_COLUMNS, (finding_row(r.finding, report.unit.name, r.first_seen, r.state)
                                  for report in reports for r in accepted_rows(report)))


def summary_csv(file: TextIO, reports: list[UnitReport]) -> None:
    write_csv(file, SUMMARY_COLUMNS, summary_rows(reports))

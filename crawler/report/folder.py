"""Report writers: the run folder of docs/csv.md (unit CSVs, summary.csv, resolved.csv, accepted.csv,
run.json, index.html, findings.xlsx).

Every file is written to a temporary name and renamed, so no partial report is ever visible.
What a writer shows comes from the UnitReports alone (and the trend), so `report RUN` rebuilds
the same files from the history.
"""
from __future__ import annotations

import csv
import io
import json
import os
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

from checks.findings import CATALOG, Finding
from crawler.outcome.assess import UnitReport
from crawler.outcome.history import Seen, TrendPoint

CSV_COLUMNS = [
    "unit_id", "unit_name", "check", "check_name", "severity", "page_url", "target_url",
    "link_text", "http_status", "detail", "first_seen", "state",
]
SUMMARY_COLUMNS = (
    ["unit_id", "unit_name", "pages_crawled", "links_checked"]
    + list(CATALOG)
    + ["ipv6_verdict", "crawl_complete", "crawl_notes", "new", "persisting", "resolved", "accepted"]
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell Excel will show as text: page text must never become a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_atomic(path: Path, data: bytes) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_bytes(data)
    os.replace(temporary, path)


def csv_bytes(header: list[str], rows: Iterable[list]) -> bytes:
    """UTF-8 with BOM (Excel reads Chinese correctly), comma separated, every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue().encode("utf-8-sig")


def finding_row(finding: Finding, unit_name: str, first_seen: str, state: str) -> list:
    info = finding.info
    return [
        finding.unit_id, unit_name, finding.check, info.name, info.severity, finding.page_url,
        finding.target_url, finding.link_text,
        "" if finding.http_status is None else finding.http_status,
        finding.detail, first_seen, state,
    ]


def open_rows(report: UnitReport) -> list[Seen]:
    """The findings the unit must act on: all of this run's but those an inspector accepted."""
    return [row for row in report.rows if row.state != "accepted"]


def accepted_rows(report: UnitReport) -> list[Seen]:
    return [row for row in report.rows if row.state == "accepted"]


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


def summary_rows(reports: list[UnitReport]) -> list[list]:
    """Counted from the unit CSVs' rows, so the summary and the unit CSVs always agree."""
    rows = []
    for report in reports:
        open_ = open_rows(report)
        counts = Counter(r.finding.check for r in open_)
        rows.append(
            [report.unit.id, report.unit.name, report.pages_crawled, report.links_checked]
            + [counts.get(code, 0) for code in CATALOG]
            + [report.stats.get("ipv6_verdict", ""), "yes" if report.crawl_complete else "no", report.crawl_notes]
            + [sum(r.state == "new" for r in open_), sum(r.state == "persisting" for r in open_),
               len(report.resolved), len(report.rows) - len(open_)]
        )
    return rows


def write_run_folder(run_dir: Path, reports: list[UnitReport], run_info: dict,
                     trend: Sequence[TrendPoint] = (), make_latest: bool = True, workbook: bool = True) -> None:
    """Write every report file of the run; `make_latest` points OUT/latest at it.

    `workbook`: findings.xlsx too. Spot checks, read in the terminal, go without: pandas and
    openpyxl cost a second and some 50 MB, more than the crawl of a large site keeps.
    """
    from crawler.report.html import index_html

    run_dir.mkdir(parents=True, exist_ok=True)
    for report in reports:
        write_atomic(run_dir / f"{report.unit.id}.csv", unit_csv(report))
    write_atomic(run_dir / "resolved.csv", resolved_csv(reports))
    write_atomic(run_dir / "accepted.csv", accepted_csv(reports))
    write_atomic(run_dir / "summary.csv", csv_bytes(SUMMARY_COLUMNS, summary_rows(reports)))
    write_atomic(run_dir / "run.json", json.dumps(run_info, ensure_ascii=False, indent=2).encode("utf-8"))
    write_atomic(run_dir / "index.html", index_html(reports, run_info, trend).encode("utf-8"))
    if workbook:
        from crawler.report.xlsx import findings_xlsx

        write_atomic(run_dir / "findings.xlsx", findings_xlsx(reports))
    if make_latest:
        point_latest(run_dir)


def point_latest(run_dir: Path) -> None:
    """OUT/latest -> this run (a relative symlink, replaced atomically)."""
    link = run_dir.parent / "latest"
    temporary = run_dir.parent / ".latest.tmp"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(run_dir.name)
    os.replace(temporary, link)

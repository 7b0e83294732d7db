"""The row model every report file is written from: the CSV columns, a finding as a row, which of a
unit's findings are open or accepted, and the summary row of each unit."""
from __future__ import annotations

from collections import Counter

from checks.findings import CATALOG, Finding
from crawler.outcome.model import Seen, UnitReport

CSV_COLUMNS = [
    "unit_id", "unit_name", "check", "check_name", "severity", "page_url", "target_url",
    "link_text", "http_status", "detail", "first_seen", "state",
]
SUMMARY_COLUMNS = (
    ["unit_id", "unit_name", "pages_crawled", "links_checked"]
    + list(CATALOG)
    + ["ipv6_verdict", "crawl_complete", "crawl_notes", "new", "persisting", "resolved", "accepted"]
    + ["known", "verified_tonight", "overdue"]
)
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value) -> str:
    """A cell Excel will show as text: page text must never become a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


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


def summary_rows(reports: list[UnitReport]) -> list[list]:
    """Counted from the unit CSVs' rows, so the summary and the unit CSVs always agree."""
    rows = []
    for report in reports:
        open_ = open_rows(report)
        counts = Counter(r.finding.check for r in open_)
        coverage = report.stats.get("coverage", {})  # nightly runs: how much of the known web tonight verified
        rows.append(
            [report.unit.id, report.unit.name, report.pages_crawled, report.links_checked]
            + [counts.get(code, 0) for code in CATALOG]
            + [report.stats.get("ipv6_verdict", ""), "yes" if report.crawl_complete else "no", report.crawl_notes]
            + [sum(r.state == "new" for r in open_), sum(r.state == "persisting" for r in open_),
               len(report.resolved), len(report.rows) - len(open_)]
            + [coverage.get(name, "") for name in ("known", "verified", "overdue")]
        )
    return rows

"""Report writers: the run folder of SPEC §5 (unit CSVs, summary.csv, run.json, index.html).

Every file is written to a temporary name and renamed, so no partial report is ever visible.
"""
from __future__ import annotations

import csv
import html
import io
import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from checks.findings import CATALOG, Finding
from crawler.assess import UnitReport

CSV_COLUMNS = [
    "unit_id", "unit_name", "check", "check_name", "severity", "page_url", "target_url",
    "link_text", "http_status", "detail", "first_seen", "state",
]
SUMMARY_COLUMNS = (
    ["unit_id", "unit_name", "pages_crawled", "links_checked"]
    + list(CATALOG)
    + ["ipv6_verdict", "crawl_complete", "crawl_notes", "new", "persisting", "resolved"]
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


def unit_csv(report: UnitReport) -> bytes:
    return csv_bytes(CSV_COLUMNS, [finding_row(r.finding, report.unit.name, r.first_seen, r.state) for r in report.rows])


def resolved_csv(reports: list[UnitReport]) -> bytes:
    rows = []
    for report in reports:
        for r in report.resolved:
            info = CATALOG[r.check]
            rows.append([r.unit_id, report.unit.name, r.check, info.name, info.severity, r.page_url, r.target_url,
                         "", "", r.detail, r.first_seen, "resolved"])
    return csv_bytes(CSV_COLUMNS, rows)


def summary_rows(reports: list[UnitReport]) -> list[list]:
    rows = []
    for report in reports:
        counts = Counter(f.check for f in report.findings)
        rows.append(
            [report.unit.id, report.unit.name, report.pages_crawled, report.links_checked]
            + [counts.get(code, 0) for code in CATALOG]
            + [report.stats.get("ipv6_verdict", ""), "yes" if report.crawl_complete else "no", report.crawl_notes]
            + [sum(r.state == "new" for r in report.rows), sum(r.state == "persisting" for r in report.rows),
               len(report.resolved)]
        )
    return rows


def write_run_folder(run_dir: Path, reports: list[UnitReport], run_info: dict) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    for report in reports:
        write_atomic(run_dir / f"{report.unit.id}.csv", unit_csv(report))
    write_atomic(run_dir / "resolved.csv", resolved_csv(reports))
    write_atomic(run_dir / "summary.csv", csv_bytes(SUMMARY_COLUMNS, summary_rows(reports)))
    write_atomic(run_dir / "run.json", json.dumps(run_info, ensure_ascii=False, indent=2).encode("utf-8"))
    write_atomic(run_dir / "index.html", index_html(reports, run_info).encode("utf-8"))
    point_latest(run_dir)


def point_latest(run_dir: Path) -> None:
    """OUT/latest -> this run (a relative symlink, replaced atomically)."""
    link = run_dir.parent / "latest"
    temporary = run_dir.parent / ".latest.tmp"
    if temporary.is_symlink() or temporary.exists():
        temporary.unlink()
    temporary.symlink_to(run_dir.name)
    os.replace(temporary, link)


def index_html(reports: list[UnitReport], run_info: dict) -> str:
    """The run at a glance: units ranked by findings, per-check counts, a bar chart, links to the CSVs."""
    esc = html.escape
    ranked = sorted(reports, key=lambda r: (-len(r.findings), r.unit.id))
    most = max((len(r.findings) for r in ranked), default=0) or 1
    bars, rows = [], []
    for index, report in enumerate(ranked):
        width = 300 * len(report.findings) / most
        y = 22 * index
        bars.append(
            f'<text x="0" y="{y + 15}" font-size="12">{esc(report.unit.name)}</text>'
            f'<rect x="140" y="{y + 4}" width="{width:.0f}" height="14" fill="#c0392b"></rect>'
            f'<text x="{145 + width:.0f}" y="{y + 15}" font-size="12">{len(report.findings)}</text>'
        )
        counts = Counter(f.check for f in report.findings)
        per_check = "，".join(f"{esc(CATALOG[c].name)} {n}" for c, n in sorted(counts.items()))
        rows.append(
            f"<tr><td><a href=\"{esc(report.unit.id)}.csv\">{esc(report.unit.name)}</a></td>"
            f"<td>{report.pages_crawled}</td><td>{report.links_checked}</td><td>{len(report.findings)}</td>"
            f"<td>{per_check}</td><td>{'是' if report.crawl_complete else '否'}</td>"
            f"<td>{esc(report.crawl_notes)}</td></tr>"
        )
    details = []
    for report in ranked:
        if not report.findings:
            continue
        items = "".join(
            f"<tr><td>{esc(f.info.name)}</td><td>{esc(f.info.severity)}</td><td>{esc(f.page_url)}</td>"
            f"<td>{esc(f.target_url)}</td><td>{esc(f.link_text)}</td><td>{esc(f.detail)}</td></tr>"
            for f in report.findings
        )
        details.append(
            f"<h2>{esc(report.unit.name)}（{esc(report.unit.id)}）</h2><table><tr><th>问题</th><th>严重程度</th>"
            f"<th>页面</th><th>链接</th><th>链接文字</th><th>说明</th></tr>{items}</table>"
        )
    height = 22 * len(ranked) + 10
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>政府信息公开专栏检查 {esc(run_info.get('run_id', ''))}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;margin-bottom:1.5em}}
td,th{{border:1px solid #ccc;padding:4px 8px;font-size:13px;vertical-align:top;word-break:break-all}}</style></head>
<body><h1>政府信息公开专栏检查报告</h1>
<p>运行 {esc(run_info.get('run_id', ''))}，检查日期 {esc(run_info.get('today', ''))}，
<a href="summary.csv">summary.csv</a>，<a href="resolved.csv">resolved.csv</a></p>
<svg width="520" height="{height}" role="img" aria-label="各单位问题数">{''.join(bars)}</svg>
<table><tr><th>单位</th><th>页面数</th><th>链接数</th><th>问题数</th><th>各类问题</th><th>检查完整</th><th>说明</th></tr>
{''.join(rows)}</table>
{''.join(details)}
</body></html>
"""

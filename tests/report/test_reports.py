"""The run folder's reports: index.html escapes crawled text and links only http(s) URLs, renders in
headless Chromium without console errors, findings.xlsx has a sheet per unit; all rebuilt alike
from the history.

The reports are built from UnitReports and a real History (three runs, so there is a trend, an
accepted and a resolved finding), without crawling. The Chromium test writes its screenshot to
reports/test-screenshots/index.png.
"""
import csv
import html.parser
import shutil
import subprocess
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from checks.findings import Finding, fingerprint
from crawler.outcome.history import History
from crawler.outcome.model import UnitReport
from crawler.report.folder import write_run_folder
from crawler.report.rows import CSV_COLUMNS
from crawler.sites import Unit

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "reports" / "test-screenshots" / "index.png"
PLANTED = '<script>alert("xss")</script>'
COLUMN = "http://nanjing.customs.test/zfxxgk/index.html"

NANJING = Unit("nanjing", "南京海关", "http://nanjing.customs.test/", None, "disclosure", 4, 3000)
HANGZHOU = Unit("hangzhou", "杭州海关", "http://hangzhou.customs.test/", None, "disclosure", 4, 3000)
LASA = Unit("lasa", "拉萨海关", "http://lasa.customs.test/", None, "disclosure", 4, 3000)

EVIDENCE = {
    "url": "http://nanjing.customs.test/old", "method": "GET", "status": 404,
    "fetched_at": "2026-03-03T01:02:03+08:00",
    "redirects": ["http://nanjing.customs.test/old", "http://nanjing.customs.test/gone.html"],
    "headers": {"Content-Type": "text/html; charset=utf-8", "Server": "nginx"},
    "body_sha256": "ab" * 32,
}


def nanjing_findings(day: int) -> list[Finding]:
    findings = [
        Finding("nanjing", "broken_link", COLUMN, "HTTP 404", target_url="http://nanjing.customs.test/old",
                link_text=PLANTED + "通知", http_status=404, evidence=EVIDENCE),
        Finding("nanjing", "wrong_link", COLUMN, "链接指向脚本", target_url="javascript:alert(document.cookie)",
                link_text="办事指南"),
        Finding("nanjing", "missing_metadata", "http://nanjing.customs.test/item.html",
                '=HYPERLINK("http://evil.test","点击")\x07', link_text="控制字符\x07"),
        Finding("nanjing", "missing_section", COLUMN, "规范性文件：栏目中没有该栏目"),
    ]
    if day < 3:  # fixed before the third run
        findings.append(Finding("nanjing", "broken_link", COLUMN, "HTTP 500",
                                target_url="http://nanjing.customs.test/fixed.pdf", http_status=500))
    return findings


def unit_report(unit: Unit, findings: list[Finding], **stats) -> UnitReport:
    return UnitReport(unit=unit, findings=findings, pages_crawled=12, links_checked=80, crawl_complete=True,
                      crawl_notes="", reachable=True, stats=stats, verified_pages={COLUMN, unit.url})


def run(history: History, out: Path, day: int) -> tuple[Path, list[UnitReport], dict]:
    run_id, today = f"202603{day:02d}-013000", date(2026, 3, day)
    history.begin_run(run_id, f"2026-03-{day:02d}T01:30:00+08:00", today, "run")
    reports = [
        unit_report(NANJING, nanjing_findings(day), ipv6_verdict="partial", ipv6_link_share=0.5),
        unit_report(HANGZHOU, [], ipv6_verdict="pass", ipv6_link_share=1.0),
        unit_report(LASA, [Finding("lasa", "ipv6_no_aaaa", LASA.url, "lasa.customs.test 没有 AAAA 记录")],
                    ipv6_verdict="fail"),
    ]
    for report in reports:
        report.rows, report.resolved = history.record_unit(run_id, today, report.unit.id, report.findings, True,
                                                           report.verified_pages)
    info = {"run_id": run_id, "start": f"2026-03-{day:02d}T01:30:00+08:00", "today": today.isoformat()}
    history.save_run(run_id, reports, info)
    run_dir = out / run_id
    write_run_folder(run_dir, reports, info, history.trend(run_id))
    history.end_run(run_id, info["start"], "finished")
    return run_dir, reports, info


@pytest.fixture
def run_folder(tmp_path):
    """Three nightly runs; the missing_section finding is accepted before the third."""
    out = tmp_path / "out"
    history = History(out / "history.sqlite")
    run(history, out, 1)
    run(history, out, 2)
    accepted = fingerprint(nanjing_findings(3)[3])
    history.accept("nanjing", accepted[:8], "栏目已合并到“政策法规”", date(2026, 3, 31), "2026-03-02T09:00:00+08:00")
    run_dir, _, _ = run(history, out, 3)
    yield run_dir, history, accepted
    history.close()


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs, self.scripts = [], 0

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        self.hrefs += [value for name, value in attrs if name == "href"]


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_bytes().decode("utf-8-sig").splitlines()))


def test_html_escapes_crawled_text_and_links_only_http(run_folder):
    run_dir, _, accepted = run_folder
    page = (run_dir / "index.html").read_text(encoding="utf-8")
    parser = Links()
    parser.feed(page)
    assert parser.scripts == 0 and PLANTED not in page
    assert html.escape(PLANTED) in page  # shown, as text
    assert "javascript:alert(document.cookie)" in page  # shown as text...
    assert not [href for href in parser.hrefs if href.lower().lstrip().startswith("javascript")]  # ...never a link
    crawled = [href for href in parser.hrefs if "://" in href]
    assert crawled and all(href.startswith(("http://", "https://")) for href in crawled)
    for unit in ("nanjing", "hangzhou", "lasa"):  # every unit links to its CSV
        assert f"{unit}.csv" in parser.hrefs
    assert "Content-Security-Policy" in page


def test_html_shows_verdicts_trend_evidence_and_acceptance(run_folder):
    run_dir, _, accepted = run_folder
    page = (run_dir / "index.html").read_text(encoding="utf-8")
    assert "近 3 次运行趋势" in page and "<polyline" in page
    assert '<span class="fail">未通过</span>' in page and '<span class="pass">通过</span>' in page
    assert "ab" * 32 in page and "nginx" in page and "2026-03-03T01:02:03+08:00" in page  # evidence
    assert accepted in page and "栏目已合并到“政策法规”" in page and "2026-03-31" in page


def test_accepted_and_resolved_files(run_folder):
    run_dir, _, _ = run_folder
    unit_rows = read_csv(run_dir / "nanjing.csv")
    assert "missing_section" not in {row["check"] for row in unit_rows}
    [accepted] = read_csv(run_dir / "accepted.csv")
    assert (accepted["check"], accepted["state"], accepted["first_seen"]) == ("missing_section", "accepted", "2026-03-01")
    assert list(accepted) == CSV_COLUMNS
    [resolved] = read_csv(run_dir / "resolved.csv")
    # as last reported: its status is kept
    assert (resolved["target_url"], resolved["http_status"], resolved["state"]) == (
        "http://nanjing.customs.test/fixed.pdf", "500", "resolved")
    summary = {row["unit_id"]: row for row in read_csv(run_dir / "summary.csv")}
    assert (summary["nanjing"]["missing_section"], summary["nanjing"]["accepted"]) == ("0", "1")
    assert summary["lasa"]["ipv6_verdict"] == "fail"


def test_xlsx_has_summary_and_a_sheet_per_unit(run_folder):
    run_dir, _, accepted = run_folder
    sheets = pd.read_excel(run_dir / "findings.xlsx", sheet_name=None)
    assert list(sheets)[:4] == ["汇总", "nanjing", "hangzhou", "lasa"]
    assert list(sheets["汇总"]["单位代码"]) == ["nanjing", "hangzhou", "lasa"]
    nanjing = sheets["nanjing"]
    assert list(nanjing.columns)[:3] == ["单位代码", "单位名称", "问题代码"] and "指纹" in nanjing.columns
    assert len(nanjing) == len(read_csv(run_dir / "nanjing.csv")) and sheets["hangzhou"].empty
    assert list(sheets["已接受"]["指纹"]) == [accepted]
    book = openpyxl.load_workbook(run_dir / "findings.xlsx")
    assert all(sheet.auto_filter.ref for sheet in book.worksheets)
    formula = [c for row in book["nanjing"].iter_rows() for c in row if str(c.value).startswith("=HYPERLINK")]
    assert formula and all(cell.data_type == "s" for cell in formula)  # page text stays text


def test_report_from_history_is_the_same(run_folder, tmp_path):
    run_dir, history, _ = run_folder
    info, reports = history.load_run(run_dir.name)
    again = tmp_path / "again" / run_dir.name
    write_run_folder(again, reports, info, history.trend(run_dir.name), make_latest=False)
    for name in ("nanjing.csv", "hangzhou.csv", "lasa.csv", "summary.csv", "resolved.csv", "accepted.csv",
                 "run.json", "index.html"):
        assert (again / name).read_bytes() == (run_dir / name).read_bytes(), name
    assert not (again.parent / "latest").exists()


def test_index_renders_in_chromium_without_console_errors(run_folder, tmp_path):
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("Debian chromium is not installed (.ci/run installs it)")
    run_dir, _, _ = run_folder
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    page = (run_dir / "index.html").resolve().as_uri()
    result = subprocess.run(
        [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={tmp_path / 'chromium'}", f"--screenshot={SCREENSHOT}", "--window-size=1280,2000",
         "--enable-logging=stderr", "--v=0", page],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    # the report has no script: any console message (an error, a CSP violation) is a fault
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line or "Uncaught" in line]
    assert not console, console
    assert SCREENSHOT.stat().st_size > 10_000


def test_a_unit_with_many_findings_is_written_row_by_row(tmp_path):
    """The report files of a unit with thousands of findings are written as they are produced: the
    writers never hold index.html (the largest) or any other file whole."""
    import tracemalloc

    from crawler.outcome.model import Seen

    findings = [Finding("nanjing", "broken_link", f"{COLUMN}?page={n // 20}", "HTTP 404", http_status=404,
                        target_url=f"http://nanjing.customs.test/gone/{n}.html", link_text=f"第 {n} 号公告",
                        evidence=EVIDENCE) for n in range(4_000)]
    report = unit_report(NANJING, findings)
    report.rows = [Seen(f, fingerprint(f), "2026-03-01", "new") for f in findings]
    tracemalloc.start()
    write_run_folder(tmp_path, [report], {"run_id": "20260301-013000"})
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    page_size = (tmp_path / "index.html").stat().st_size
    assert page_size > 4_000_000 and (tmp_path / "findings.xlsx").stat().st_size > 200_000
    assert peak < page_size / 4, f"the writers held {peak:,} bytes while writing an index.html of {page_size:,}"

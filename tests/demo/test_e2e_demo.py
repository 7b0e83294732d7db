"""End to end: the real crawl against the demo customs web and its DNS server on loopback.

The demo plants faults and knows them (truth.json); the CSVs must hold exactly those findings:
every one found, nothing else, none of the NOT-broken cases of docs/checks.md.
"""
import csv
import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from crawler.demo import DemoWeb
from crawler.report.rows import CSV_COLUMNS

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-06-15"


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "crawler", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def read_csv(path: Path) -> list[dict]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(text.splitlines()))


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("out")
    result = run_cli("demo", "--out", str(out), "--today", TODAY)
    assert result.returncode == 0, result.stdout + result.stderr
    truth = json.loads((out / "demo" / "web" / "truth.json").read_text(encoding="utf-8"))
    return result, (out / "demo" / "latest").resolve(), truth


@pytest.fixture(scope="module")
def demo_web(tmp_path_factory):
    """The demo web alone, for the spot checks of this module (the demo command starts its own)."""
    with DemoWeb(tmp_path_factory.mktemp("web"), date.fromisoformat(TODAY)) as web:
        yield web


def found_rows(run_dir: Path, units) -> list[dict]:
    rows = []
    for unit_id in units:
        rows += read_csv(run_dir / f"{unit_id}.csv")
    return rows


def key(row) -> tuple:
    return (row["unit_id"], row["check"], row["page_url"], row.get("target_url", ""))


def test_demo_reports_exactly_the_planted_link_faults(demo):
    _, run_dir, truth = demo
    units = {row["unit_id"] for row in read_csv(run_dir / "summary.csv")}
    expected = {key(f) for f in truth["findings"]}
    found = {key(r) for r in found_rows(run_dir, units)}
    assert not expected - found, f"missed: {sorted(expected - found)}"
    assert not found - expected, f"unexpected: {sorted(found - expected)}"


def test_not_broken_cases_are_never_flagged(demo):
    _, run_dir, truth = demo
    units = {row["unit_id"] for row in read_csv(run_dir / "summary.csv")}
    flagged_targets = {r["target_url"] for r in found_rows(run_dir, units)}
    for case in truth["not_flagged"]:
        assert case["target_url"] not in flagged_targets, case


def test_csv_format(demo):
    _, run_dir, truth = demo
    summary = read_csv(run_dir / "summary.csv")
    assert len(summary) >= 4
    for row in summary:
        raw = (run_dir / f"{row['unit_id']}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        header = raw.decode("utf-8-sig").splitlines()[0]
        assert header == ",".join(CSV_COLUMNS)
    rows = found_rows(run_dir, [r["unit_id"] for r in summary])
    assert any(r["link_text"].startswith("'=") for r in rows), "a link text starting with = must be neutralised"
    assert not any(r["link_text"].startswith("=") for r in rows)
    assert all(r["first_seen"] == TODAY and r["state"] == "new" for r in rows)
    ranks = {"high": 0, "medium": 1, "low": 2}
    for unit in summary:
        unit_rows = read_csv(run_dir / f"{unit['unit_id']}.csv")
        order = [(ranks[r["severity"]], r["page_url"]) for r in unit_rows]
        assert order == sorted(order)
    assert (run_dir / "run.json").exists() and (run_dir / "index.html").exists()


def test_demo_crawl_ends_by_itself_on_the_calendar_trap(demo):
    result, run_dir, _ = demo
    info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert info["finish_reason"] == "finished"
    summary = read_csv(run_dir / "summary.csv")
    assert all(int(r["pages_crawled"]) < 500 for r in summary)
    assert "demo servers stopped" in result.stdout


@pytest.mark.parametrize("unit_id", [None, "huangpu"])  # huangpu: the 2025 templates, faults only page 5 leads to
def test_spot_check_of_a_demo_unit(demo_web, tmp_path, unit_id):
    web = demo_web
    units = [f["unit_id"] for f in web.truth["findings"] if f["check"] == "broken_link"]
    unit_id = unit_id or sorted(units)[0]
    result = run_cli("check", unit_id, "--sites", str(web.sites_path), "--nameserver", web.nameserver,
                     "--no-throttle", "--concurrency", "8", "--timeout", str(web.download_timeout),
                     "--today", TODAY, "--out", str(tmp_path / "out"), "--format", "json")
    assert result.returncode == 0, result.stderr
    findings = json.loads(result.stdout)
    expected = {key(f) for f in web.truth["findings"] if f["unit_id"] == unit_id}
    assert {key(f) for f in findings} == expected
    assert list((tmp_path / "out" / "spot").glob("*/" + unit_id + ".csv"))


def test_ipv6_verdicts_in_summary(demo):
    _, run_dir, truth = demo
    verdicts = {row["unit_id"]: row["ipv6_verdict"] for row in read_csv(run_dir / "summary.csv")}
    expected = {unit: case["verdict"] for unit, case in truth["ipv6"].items()}
    assert {unit: verdicts[unit] for unit in expected} == expected


def test_ipv6_command_on_demo_units(demo_web):
    web = demo_web
    units = sorted(web.truth["ipv6"])
    result = run_cli("ipv6", *units, "--sites", str(web.sites_path), "--nameserver", web.nameserver,
                     "--timeout", "2", "--format", "json")
    assert result.returncode == 0, result.stderr
    verdicts = {row["unit_id"]: row["verdict"] for row in json.loads(result.stdout)}
    # without a crawl there are no link hosts: only the link share may differ from the nightly verdict
    for unit, case in web.truth["ipv6"].items():
        site_checks = set(case["checks"]) - {"ipv6_links", "ipv6_ns"}
        expected = "fail" if site_checks & {"ipv6_no_aaaa", "ipv6_unreachable"} else (
            "partial" if site_checks else "pass")
        assert verdicts[unit] == expected, unit


def test_demo_writes_a_notice_per_unit_with_findings_and_the_bulletin(demo):
    import docx

    from checks.findings import CATALOG, Finding
    from crawler.report.notice import finding_sentence

    def cell(value: str) -> str:  # the CSV's text before neutralising (a document is no spreadsheet)
        return value[1:] if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@", "\t", "\r") else value

    result, run_dir, _ = demo
    summary = {row["unit_id"]: row for row in read_csv(run_dir / "summary.csv")}
    notices = run_dir / "notices"
    for unit_id, unit in summary.items():
        rows = read_csv(run_dir / f"{unit_id}.csv")
        path = notices / f"{unit_id}-整改通知.docx"
        assert path.exists() == bool(rows), unit_id
        if not rows:
            continue
        document = docx.Document(str(path))
        text = [p.text for p in document.paragraphs]
        for row in rows:
            finding = Finding(row["unit_id"], row["check"], cell(row["page_url"]), cell(row["detail"]),
                              cell(row["target_url"]), cell(row["link_text"]),
                              int(row["http_status"]) if row["http_status"] else None)
            assert sum(finding_sentence(finding) in line for line in text) == 1, (unit_id, row)
        assert len(document.tables[0].rows) == 1 + len(rows)
        assert f"{unit['unit_name']}：" in text
    bulletin = docx.Document(str(run_dir.parent / "bulletins" / "2026Q2-检查情况通报.docx"))
    ranking = [[cell.text for cell in row.cells] for row in bulletin.tables[0].rows][1:]
    by_name = {unit["unit_name"]: unit for unit in summary.values()}
    assert sorted(row[1] for row in ranking) == sorted(by_name)
    for row in ranking:
        assert int(row[7]) == sum(int(by_name[row[1]][code]) for code in CATALOG)
    assert "检查情况通报 (bulletin)" in result.stdout and len(bulletin.inline_shapes) == 1


@pytest.mark.skipif(shutil.which("chromium") is None or shutil.which("Xvfb") is None,
                    reason="--render needs Debian's chromium and xvfb (.ci/run installs them)")
def test_render_passes_the_headquarters_firewall_as_the_truth_says(demo_web, tmp_path):
    """The headquarters unit refuses headless browsers: --render passes it headed under Xvfb, and
    its rows are what the truth says they become when rendered."""
    from crawler.demo.generator import HQ_UNIT

    web = demo_web
    result = run_cli("check", HQ_UNIT, "--sites", str(web.sites_path), "--nameserver", web.nameserver,
                     "--no-throttle", "--concurrency", "8", "--timeout", str(web.download_timeout),
                     "--today", TODAY, "--out", str(tmp_path / "out"), "--format", "json", "--render")
    truth = web.truth
    assert result.returncode == 0, result.stderr
    render = truth["render"]
    expected = {key(f) for f in [*truth["findings"], *render["adds"]] if f["unit_id"] == HQ_UNIT and f not in render["removes"]}
    assert {key(f) for f in json.loads(result.stdout)} == expected
    log = (tmp_path / "out" / "spot" / "latest" / "crawl.log").read_text(encoding="utf-8")
    assert "refused headless Chromium" in log and "passed the challenge" in log

"""The hostile web: the real crawl against a loopback server of nasty answers.

`tests.webs.hostile` serves the cases and knows what a correct crawl reports about each (truth.json).
The run must finish on its own, report exactly those findings, count every limit it hit in
run.json, let no exception out of a callback, leak no credentials, read no local file and stay
within a memory bound. What needs a unit on the public internet (no loopback server is one) is
tested on the guard middleware itself; the limits' own components are tested on plain objects.
"""
import asyncio
import csv
import json
import sqlite3
import sys
from pathlib import Path

import pytest
import scrapy
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.settings import Settings
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from benchmarks.run import measure
from checks.facts import FetchResult, Link
from checks.link_checks import classify_link
from tests.webs.hostile import CREDENTIALS, HostileWeb
from crawler.cli.commands import main
from crawler.crawl.limits import (
    DECOMPRESSED_TOO_LARGE, TOO_LARGE, UNDECODABLE, URL_TOO_LONG, WARN_SIZE, StripCredentialsMiddleware,
    UrlLengthLimitMiddleware, UrlTooLong, limit_failure, response_notes, undecodable_characters)
from crawler.crawl.middlewares import PrivateAddressBlocked, PublicAddressGuardMiddleware
from crawler.crawl.spiders.audit import failure_to_result

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-06-15"
# The crawl holds at most a few DOWNLOAD_MAXSIZE (50 MB) bodies at once, a 10 MB page with its
# text and tree, and the 50,000 links of one page, over its worker processes: measured about 300 MB.
PEAK_RSS_BOUND_MB = 600
RUN_TIMEOUT_SECONDS = 600
MAXSIZE = 50 * 1024 * 1024


def read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_bytes().decode("utf-8-sig").splitlines()))


def crawl_command(web: HostileWeb, out: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "crawler", "run", "--sites", str(web.sites_path), "--no-throttle",
            "--concurrency", "16", "--timeout", str(web.timeout), "--today", TODAY, "--out", str(out), *extra]


@pytest.fixture(scope="module")
def hostile_web(tmp_path_factory):
    """The hostile web, for every crawl of this module (it starts in seconds: its big answers are built first)."""
    with HostileWeb(tmp_path_factory.mktemp("hostile-web")) as web:
        yield web


@pytest.fixture(scope="module")
def hostile(hostile_web, tmp_path_factory):
    """One full crawl of the hostile web measured, its run folder and what the server received."""
    web = hostile_web
    base = tmp_path_factory.mktemp("hostile")
    work = base / "work"
    work.mkdir()
    measurement = measure(crawl_command(web, base / "out"), work, RUN_TIMEOUT_SECONDS)
    requests = web.requests()  # before any other crawl of the module asks it more
    peak_mb = measurement.peak_rss_bytes / (1 << 20)
    print(f"\nhostile crawl: {measurement.wall_s:.0f} s, peak RSS {peak_mb:.0f} MB (process tree)")
    run_dir = (base / "out" / "latest").resolve()
    return web, measurement, run_dir, requests


def found_rows(run_dir: Path) -> list[dict]:
    rows = []
    for unit_id in ("hostile", "hostile_cap"):
        rows += read_csv(run_dir / f"{unit_id}.csv")
    # The hostile web is an IP literal without AAAA records: the IPv6 check's findings about it
    # are true, and not this test's subject.
    return [row for row in rows if not row["check"].startswith("ipv6_")]


def key(row: dict) -> tuple:
    return row["unit_id"], row["check"], row["page_url"], row["target_url"]


def test_the_crawl_finishes_with_exactly_the_expected_findings(hostile):
    web, measurement, run_dir, _ = hostile
    assert measurement.exit_code == 0, (run_dir / "crawl.log").read_text(errors="replace")[-3000:]
    assert json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["finish_reason"] == "finished"
    expected = {key(finding) for finding in web.truth["findings"]}
    found = {key(row) for row in found_rows(run_dir)}
    assert not expected - found, f"missed: {sorted(expected - found)}"
    assert not found - expected, f"unexpected: {sorted(found - expected)}"


def test_details_name_what_happened(hostile):
    web, _, run_dir, _ = hostile
    rows = {key(row): row for row in found_rows(run_dir)}
    for finding in web.truth["findings"]:
        row = rows[key(finding)]
        for word in finding["detail_contains"]:
            assert word in row["detail"], (finding["case"], row["detail"])
        if "link_text" in finding:  # decoded right despite a lying header, a BOM or mixed bytes
            assert row["link_text"] == finding["link_text"], finding["case"]


def test_what_works_is_not_flagged(hostile):
    web, _, run_dir, _ = hostile
    flagged = {row["target_url"] for row in found_rows(run_dir)}
    for case in web.truth["not_flagged"]:
        assert case["target_url"] not in flagged, case["case"]
    assert not [url for url in flagged if url.startswith(web.truth["not_flagged_prefix"])]


def test_every_limit_hit_is_counted_in_run_json(hostile):
    web, _, run_dir, _ = hostile
    units = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["units"]
    for unit_id, limits in web.truth["limits"].items():
        counted = units[unit_id]["limits"]
        assert all(counted.get(limit, 0) >= 1 for limit in limits), (unit_id, counted)
        assert units[unit_id]["crawl_complete"] is False  # its findings may be incomplete
    summary = {row["unit_id"]: row for row in read_csv(run_dir / "summary.csv")}
    assert "无法解码" in summary["hostile"]["crawl_notes"]  # pages read despite a lying charset


def test_no_exception_escaped_a_callback(hostile):
    _, _, run_dir, _ = hostile
    for log in run_dir.glob("*.log"):
        text = log.read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in text and "Spider error" not in text, log.name


def test_credentials_in_a_link_never_reach_the_server(hostile):
    _, _, _, requests = hostile
    assert any(r["path"] == "/private/report.html" for r in requests), "fetched, without its credentials"
    for request in requests:
        for name, value in request["headers"]:
            assert name.lower() != "authorization"
            assert not any(secret in value for secret in CREDENTIALS), (name, value)


def test_only_http_is_fetched_and_nothing_local_is_read(hostile):
    _, _, run_dir, requests = hostile
    with sqlite3.connect(run_dir / "crawl.sqlite") as db:
        keys = [key for (key,) in db.execute("SELECT url FROM results")]
        data = "".join(text for (text,) in db.execute("SELECT data FROM results"))
    assert keys and all(key.startswith(("http://", "https://")) for key in keys)
    assert "root:x:0:0" not in data  # /etc/passwd, behind a planted redirect
    assert not [r for r in requests if r["path"].startswith("/long")]  # over URLLENGTH_LIMIT: never sent
    hops = [r for r in requests if r["path"].startswith("/t/chain/")]
    # REDIRECT_MAX_TIMES hops, not 10,000; walked once more when a hop timed out on a loaded machine
    # (a transient failure is confirmed by a second attempt)
    assert len(hops) <= 2 * 11


def test_peak_memory_is_bounded(hostile, record_property):
    _, measurement, _, _ = hostile
    peak_mb = measurement.peak_rss_bytes / (1 << 20)
    record_property("peak_rss_mb", round(peak_mb))
    assert peak_mb < PEAK_RSS_BOUND_MB


def test_the_deadline_stops_the_crawl_and_says_so(hostile_web, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    # 3 seconds: the slow drip alone, timed out and confirmed, takes six download timeouts
    measurement = measure(crawl_command(hostile_web, tmp_path / "out", "--unit", "hostile", "--deadline", "0.05"),
                          work, RUN_TIMEOUT_SECONDS)
    assert measurement.exit_code == 0
    run_dir = (tmp_path / "out" / "latest").resolve()
    assert json.loads((run_dir / "run.json").read_text(encoding="utf-8"))["finish_reason"] == "closespider_timeout"
    limit = [row for row in read_csv(run_dir / "hostile.csv") if row["check"] == "crawl_limit"]
    assert len(limit) == 1 and "--deadline" in limit[0]["detail"]


# --- scope: what a public unit must never fetch -----------------------------------------------

def guard_result(unit_host: str, url: str, public: dict[str, bool]):
    """What the guard does with a request for `url` from a unit on `unit_host`: None (fetched) or the refusal."""
    guard = PublicAddressGuardMiddleware(crawler=None)
    guard.public.update(public)  # host names resolved in advance: no DNS in a unit test
    request = scrapy.Request(url, meta={"unit_host": unit_host})
    try:
        return asyncio.run(guard.process_request(request))
    except PrivateAddressBlocked as refusal:
        return refusal


PRIVATE_TARGETS = ["http://127.0.0.1:8080/", "http://10.1.2.3/oa/", "http://192.168.0.1/", "http://172.16.5.4/",
                   "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[fe80::1]/",
                   "http://localhost/admin", "http://intranet.customs.gov.cn/"]
RESOLVED = {"www.customs.gov.cn": True, "intranet.customs.gov.cn": False}


@pytest.mark.parametrize("url", PRIVATE_TARGETS)
def test_a_public_unit_never_fetches_a_private_address(url):
    assert isinstance(guard_result("www.customs.gov.cn", url, RESOLVED), PrivateAddressBlocked)


@pytest.mark.parametrize("url", PRIVATE_TARGETS[:3] + ["http://www.customs.gov.cn/zfxxgk/"])
def test_a_unit_on_a_private_address_checks_its_links_normally(url):
    assert guard_result("127.0.0.1", url, RESOLVED) is None


def test_a_redirect_into_the_private_network_is_refused_like_a_link():
    crawler = get_crawler(settings_dict={"REDIRECT_MAX_TIMES": 10})
    redirect = RedirectMiddleware.from_crawler(crawler)
    request = scrapy.Request("http://www.customs.gov.cn/go", meta={"unit_host": "www.customs.gov.cn"})
    response = Response(request.url, status=302, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
    hop = redirect.process_response(request, response)
    assert isinstance(hop, scrapy.Request) and hop.meta["unit_host"] == "www.customs.gov.cn"
    assert isinstance(guard_result(hop.meta["unit_host"], hop.url, RESOLVED), PrivateAddressBlocked)


def test_a_refused_private_link_is_a_broken_link_for_the_public():
    url = "http://10.1.2.3/oa/"
    failure = Failure(PrivateAddressBlocked("10.1.2.3 resolves to a non-public address"))
    result = failure_to_result(url, "GET", failure, [], MAXSIZE)
    assert result.error_kind == "private_address"
    verdict = classify_link(Link(url, "内部办公系统", "a", "page"), result, public_site=True)
    assert verdict.check == "broken_link" and "内网" in verdict.detail


def test_only_http_download_handlers_are_enabled():
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    handlers = settings.getdict("DOWNLOAD_HANDLERS")
    assert all(handlers.get(scheme, "enabled") is None for scheme in ("file", "ftp", "data", "s3"))


# --- the limits' components -------------------------------------------------------------------

def test_credentials_are_stripped_before_a_request_leaves():
    strip = StripCredentialsMiddleware()
    request = scrapy.Request("http://inspector:s3cret@www.customs.gov.cn:8080/a?b=1", meta={"key": "k"})
    clean = strip.process_request(request)
    assert clean.url == "http://www.customs.gov.cn:8080/a?b=1" and clean.meta["key"] == "k"
    assert strip.process_request(clean) is None


def test_a_url_over_the_length_limit_fails_visibly():
    limit = UrlLengthLimitMiddleware(2083)
    assert limit.process_request(scrapy.Request("http://a.cn/" + "x" * 2000)) is None
    with pytest.raises(UrlTooLong):
        limit.process_request(scrapy.Request("http://a.cn/" + "x" * 3000))


@pytest.mark.parametrize("exc, kind, words", [
    (DownloadCancelledError("Expected to receive 107374182400 bytes which is larger than download max size "
                            "(52428800) in request <GET http://a.cn/>."), TOO_LARGE, ["107374182400"]),
    (DownloadCancelledError(""), TOO_LARGE, ["DOWNLOAD_MAXSIZE"]),
    (IgnoreRequest("Ignored response <200 http://a.cn/> because its body (1061908 B compressed, 52494336 B "
                   "decompressed so far) exceeded DOWNLOAD_MAXSIZE (52428800 B) during decompression."),
     DECOMPRESSED_TOO_LARGE, ["1061908 B compressed"]),
    (UrlTooLong("3000 chars > URLLENGTH_LIMIT 2083"), URL_TOO_LONG, ["URLLENGTH_LIMIT"]),
])
def test_each_limit_failure_is_named(exc, kind, words):
    named, message = limit_failure(exc, MAXSIZE)
    assert named == kind and all(word in message for word in words)


def test_other_failures_are_no_limit():
    assert limit_failure(IgnoreRequest("max redirections reached"), MAXSIZE) is None
    assert limit_failure(ValueError("x"), MAXSIZE) is None


def test_a_limit_hit_is_not_judged_as_a_broken_link():
    result = FetchResult("http://a.cn/bomb.html", error_kind=DECOMPRESSED_TOO_LARGE, error="> DOWNLOAD_MAXSIZE")
    assert classify_link(Link(result.url, "数据", "a", "page"), result) is None


def test_pages_that_did_not_decode_are_noted_and_real_replacement_characters_are_not():
    lying = HtmlResponse("http://a.cn/", body='<meta charset="utf-8"><p>失效链接</p>'.encode("gbk"))
    honest = HtmlResponse("http://a.cn/", body="<meta charset='utf-8'><p>\ufffd 字符</p>".encode("utf-8"))
    assert undecodable_characters(lying) > 0 and response_notes(lying, 0) == [UNDECODABLE]
    assert undecodable_characters(honest) == 0 and response_notes(honest, 0) == []
    assert response_notes(honest, 10) == [WARN_SIZE]


# --- configuration errors (item 5): the rules override names its line too ---------------------

def test_a_bad_rules_override_names_the_sites_file_and_line(tmp_path, capsys):
    sites = tmp_path / "sites.yaml"
    sites.write_text("units:\n  - {id: a, name: 甲海关, url: 'http://127.0.0.1:9/'}\nrules:\n"
                     "  news_stale_days: many\n", encoding="utf-8")
    assert main(["run", "--sites", str(sites), "--out", str(tmp_path / "out")]) == 2  # refused before any fetch
    stderr = capsys.readouterr().err
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{sites}:4:" in lines[0] and "news_stale_days" in lines[0], stderr

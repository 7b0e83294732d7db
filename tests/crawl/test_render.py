"""--render: a firewall's JavaScript cookie challenge, without and with headless Chromium."""
import csv
import json
import os
import shutil
import subprocess
import sys
import threading
from contextlib import ExitStack
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from functools import partial

from crawler.demo.network import cookie_reload_firewall, jiasule_firewall, ruishu_firewall
from crawler.crawl.render import CHALLENGE_LOADS, RenderUnavailable, chromium_executable, resolver_rules
from tests.webs.firewalled import firewalled
from tests.webs.name_servers import loopback_name_servers

ROOT = Path(__file__).resolve().parents[2]
HOST_NAME = "render.customs-demo.test"  # known only to the test's name server
CHALLENGE = '<script>document.cookie="__jsl_clearance=abc; path=/";location.reload();</script>'
PAGES = {
    "/": '<title>测试海关</title><h1>测试海关</h1><a href="/news.html">海关新闻</a> <a href="/guide.html">办事指南</a>',
    "/news.html": '<title>海关新闻</title><h1>海关新闻</h1><a href="/">首页</a> <a href="/old.html">旧通知</a>',
    "/guide.html": '<title>办事指南</title><h1>办事指南</h1><a href="/news.html">海关新闻</a>',
}
needs_xvfb = pytest.mark.skipif(shutil.which("Xvfb") is None, reason="headed Chromium needs Xvfb (apt-get install xvfb)")
needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None,
                                    reason="--render needs Debian's chromium (apt-get install chromium; .ci/run installs it)")


class ChallengeHandler(BaseHTTPRequestHandler):
    """Every path is challenged without the clearance cookie; with it, a small site with one 404."""

    def do_GET(self):
        self.server.user_agents.add(self.headers.get("User-Agent", ""))
        if "__jsl_clearance=abc" not in (self.headers.get("Cookie") or ""):
            self.server.challenges += 1
            self._answer(412, self.server.challenge)
        elif self.path in PAGES:
            self._answer(200, PAGES[self.path])
        else:
            self._answer(404, "<title>404 Not Found</title><h1>页面不存在</h1>")

    def _answer(self, status: int, html: str) -> None:
        body = f"<!DOCTYPE html><html><head><meta charset=utf-8></head><body>{html}</body></html>".encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), ChallengeHandler)
    server.challenge, server.challenges, server.user_agents = CHALLENGE, 0, set()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def check(url: str, out: Path, *options: str, env: dict | None = None) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "check", url, "--scope", "site", "--no-throttle", "--timeout", "5",
         "--format", "json", "--out", str(out), *options],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def site_findings(findings: list[dict]) -> list[tuple[str, str]]:
    # The IPv6 checks judge the host's DNS (loopback has no AAAA), not what the firewall let through.
    return sorted((f["check"], f["target_url"]) for f in findings if not f["check"].startswith("ipv6_"))


def test_without_render_the_challenge_is_one_link_blocked_row(site, tmp_path):
    findings = check(f"http://127.0.0.1:{site.server_port}/", tmp_path)
    assert [check for check, _ in site_findings(findings)] == ["link_blocked"]
    assert site.challenges == 1  # nothing behind the challenge was fetched, nothing concluded


@needs_chromium
def test_render_passes_the_challenge_and_the_crawl_goes_on(site, tmp_path):
    base = f"http://127.0.0.1:{site.server_port}"
    findings = check(f"{base}/", tmp_path, "--render")
    assert site_findings(findings) == [("broken_link", f"{base}/old.html")]
    # Scrapy's first request and the browser's first load; every later request carried the cookie.
    assert site.challenges == 2
    assert all("customs-audit/" in agent for agent in site.user_agents)


@needs_chromium
def test_render_reaches_hosts_only_the_crawls_name_server_knows(site, tmp_path):
    with loopback_name_servers({HOST_NAME: [("A", "127.0.0.1")]}) as [dns]:
        base = f"http://{HOST_NAME}:{site.server_port}"
        findings = check(f"{base}/", tmp_path, "--render", "--nameserver", dns.address)
    assert site_findings(findings) == [("broken_link", f"{base}/old.html")]


@needs_chromium
def test_a_challenge_the_browser_cannot_pass_stays_link_blocked(site, tmp_path):
    site.challenge = CHALLENGE.replace("abc", "wrong")  # the script's cookie never clears it
    findings = check(f"http://127.0.0.1:{site.server_port}/", tmp_path, "--render")
    assert [check for check, _ in site_findings(findings)] == ["link_blocked"]
    # Scrapy's request and the loads of headless, then headed Chromium, which stop short of
    # reloading for the whole timeout.
    assert site.challenges <= 1 + 2 * CHALLENGE_LOADS


def xvfb_processes() -> set[int]:
    return {int(pid) for pid in os.listdir("/proc") if pid.isdigit() and _comm(pid) == "Xvfb"}


def _comm(pid: str) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


@needs_chromium
def test_render_passes_a_firewall_refusing_automated_browsers_headless(tmp_path):
    # navigator.webdriver, a HeadlessChrome user agent or no plugins would be refused (400, empty)
    before = xvfb_processes()
    with firewalled(partial(ruishu_firewall, refuses_automation=True)) as site:
        findings = check(site.url, tmp_path, "--render")
    assert site_findings(findings) == [("broken_link", f"{site.url}old.html")]
    assert site.refusals == 0  # passed headless at the first try: no display needed
    assert all("customs-audit/" in agent and "HeadlessChrome" not in agent for agent in site.user_agents)
    assert xvfb_processes() <= before


SHAPES = {"ruishu_202": partial(ruishu_firewall, status=202), "jiasule_521": jiasule_firewall,
          "cookie_wall_200": cookie_reload_firewall}


@pytest.fixture(scope="module")
def shapes_crawl(tmp_path_factory):
    """One --render run of a site behind each firewall shape, each its own host name (the browser's
    cookies are a host's): shape -> (its server, its unit's rows). One crawl, one browser, for the three."""
    base = tmp_path_factory.mktemp("shapes")
    hosts = {shape: f"{shape.replace('_', '-')}.{HOST_NAME}" for shape in SHAPES}
    with ExitStack() as stack:
        [dns] = stack.enter_context(loopback_name_servers({host: [("A", "127.0.0.1")] for host in hosts.values()}))
        sites = {shape: stack.enter_context(firewalled(make)) for shape, make in SHAPES.items()}
        urls = {shape: f"http://{hosts[shape]}:{site.server_port}/" for shape, site in sites.items()}
        units = "".join(f"  - {{id: {shape}, name: 测试海关, url: '{url}'}}\n" for shape, url in urls.items())
        (base / "sites.yaml").write_text(f"defaults:\n  scope: site\nunits:\n{units}", encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "crawler", "run", "--sites", str(base / "sites.yaml"), "--render", "--workers", "1",
             "--nameserver", dns.address, "--no-throttle", "--timeout", "5", "--today", "2026-06-15",
             "--out", str(base / "out")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    run_dir = (base / "out" / "latest").resolve()
    return {shape: (sites[shape], urls[shape], read_rows(run_dir / f"{shape}.csv")) for shape in SHAPES}


def read_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_bytes().decode("utf-8-sig").splitlines()))


@needs_chromium
@pytest.mark.parametrize("shape", SHAPES)
def test_render_passes_each_shape(shapes_crawl, shape):
    site, url, rows = shapes_crawl[shape]
    assert site_findings(rows) == [("broken_link", f"{url}old.html")]
    # Scrapy's first request and the browser's first load (a cookie wall's second load is the
    # page, judged by the headers it came with); every later request carried the cookies
    assert site.challenges == 2


@needs_chromium
@needs_xvfb
def test_render_passes_a_firewall_refusing_headless_windows_headed_under_xvfb(tmp_path):
    before = xvfb_processes()
    with firewalled(partial(ruishu_firewall, refuses_headless=True)) as site:
        findings = check(site.url, tmp_path, "--render")
    assert site_findings(findings) == [("broken_link", f"{site.url}old.html")]
    assert site.refusals == 1  # headless Chromium was refused once
    # Scrapy's first request, headless and headed Chromium's first loads; every later request,
    # Scrapy's with the cookies headed Chromium earned, passed
    assert site.challenges == 3 and {"/news.html", "/old.html"} <= set(site.passed)
    assert xvfb_processes() <= before  # the display started for the crawl is stopped with it


@needs_chromium
def test_a_firewall_refusing_headless_without_xvfb_stays_link_blocked(tmp_path):
    tools = tmp_path / "bin"  # chromium and python, no Xvfb
    tools.mkdir()
    (tools / "chromium").symlink_to(shutil.which("chromium"))
    env = {**os.environ, "PATH": f"{tools}:{os.path.dirname(sys.executable)}"}
    with firewalled(partial(ruishu_firewall, refuses_headless=True)) as site:
        findings = check(site.url, tmp_path / "out", "--render", env=env)
    assert [check for check, _ in site_findings(findings)] == ["link_blocked"]
    assert site.refusals == 1 and site.passed == []  # one headless attempt, refused; no headed one
    log = next((tmp_path / "out").glob("spot/*/crawl.log")).read_text(encoding="utf-8")
    assert "apt-get install xvfb" in log


def test_resolver_rules_map_crawl_hosts_and_refuse_every_other_name():
    rules = resolver_rules({HOST_NAME: "127.0.0.1", "127.0.0.2": None})
    assert rules == f"MAP {HOST_NAME} 127.0.0.1,EXCLUDE 127.0.0.2,MAP * ~NOTFOUND"


def test_missing_chromium_is_one_clear_error():
    with pytest.raises(RenderUnavailable, match="no-such-chromium.*apt-get install chromium"):
        chromium_executable({"AUDIT_CHROMIUM": "/nonexistent/no-such-chromium"})


def test_render_without_chromium_is_one_line_and_exit_2(tmp_path):
    env = {**os.environ, "PATH": os.path.dirname(sys.executable)}  # no chromium on this PATH
    result = subprocess.run([sys.executable, "-m", "crawler", "check", "http://127.0.0.1:9/", "--render",
                             "--out", str(tmp_path)], capture_output=True, text=True, env=env, timeout=60, cwd=ROOT)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0 and "Chromium" in result.stderr

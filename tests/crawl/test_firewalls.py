"""Firewall shapes end to end: `check URL` on a loopback site behind each shape the customs sites'
vendors answer with gives one link_blocked row and nothing behind it (docs/firewalls.md)."""
import json
import subprocess
import sys
from functools import partial
from pathlib import Path

import pytest

from crawler.demo.network import cookie_reload_firewall, jiasule_firewall, ruishu_firewall
from tests.webs.firewalled import firewalled
from tests.webs.loopback_site import serve

ROOT = Path(__file__).resolve().parents[2]
SHAPES = {
    "ruishu_412": (ruishu_firewall, 412, 'r="m"'),
    "ruishu_202": (partial(ruishu_firewall, status=202), 202, "匿名 meta 携带长串令牌"),
    "ruishu_refusing_robots": (partial(ruishu_firewall, refuses_automation=True), 412, 'r="m"'),
    "jiasule_521": (jiasule_firewall, 521, "X-Via-JSL"),
    "cookie_wall_200": (cookie_reload_firewall, 200, "服务器设置 Cookie 后重新加载页面"),
}


def check(url: str, out: Path) -> list[dict]:
    result = subprocess.run(
        [sys.executable, "-m", "crawler", "check", url, "--scope", "site", "--no-throttle", "--timeout", "5",
         "--format", "json", "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    # the IPv6 checks judge the host's DNS (loopback has no AAAA), not what the firewall let through
    return [f for f in json.loads(result.stdout) if not f["check"].startswith("ipv6_")]


@pytest.mark.parametrize("shape", SHAPES)
def test_a_site_behind_a_firewall_is_one_link_blocked_row(shape, tmp_path):
    make, status, mark = SHAPES[shape]
    with firewalled(make) as site:
        [finding] = check(site.url, tmp_path)
    assert (finding["check"], finding["page_url"], finding["http_status"]) == ("link_blocked", site.url, status)
    assert mark in finding["detail"]
    assert site.passed == []  # nothing behind the challenge was fetched, nothing concluded


def test_links_into_a_challenged_host_are_one_row_never_broken(tmp_path):
    # a HEAD answered 202 says nothing of the attachment: its GET shows the shell (never a soft 404)
    with firewalled(partial(ruishu_firewall, status=202)) as shielded:
        page = "".join(f'<a href="{shielded.url}{path}">服务{path}</a>' for path in ("a.html", "b.html", "c.pdf"))
        with serve({"/": f"<title>测试海关</title><h1>测试海关</h1>{page}".encode()}) as home:
            findings = check(home, tmp_path)
    [finding] = findings
    assert finding["check"] == "link_blocked" and "3 个链接" in finding["detail"] and "HTTP 202" in finding["detail"]

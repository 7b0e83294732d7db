"""The IPv6 verdict and findings (docs/checks.md), and the comparison of the IPv4 and IPv6 answers,
on plain data: what the probe would have found, written out."""
from __future__ import annotations

import secrets
import time

from checks.findings import CATALOG
from checks.ipv6 import HTTPResult, IPv6Report, LinkHost, Mismatch, NSResult, Page, compare, distance, unusable_reason

HOME = "http://www.example-customs.test/"


# -- verdict and findings on plain data ----------------------------------------------------------


def report(**fields) -> IPv6Report:
    """A report of a healthy site, changed by `fields`."""
    healthy = dict(
        host="www.example-customs.test",
        url=HOME,
        a_addresses=("192.0.2.1",),
        aaaa_addresses=("2001:db8::1",),
        http_v4=(HTTPResult("192.0.2.1", 80, "http", 200, HOME),),
        http_v6=(HTTPResult("2001:db8::1", 80, "http", 200, HOME),),
        zone="example-customs.test",
        ns=(NSResult("ns1.example-customs.test", ("2001:db8::53",), True),
            NSResult("ns2.example-customs.test", ("2001:db8::54",), True)),
    )
    return IPv6Report(**{**healthy, **fields})


def checks_of(rep: IPv6Report) -> list[str]:
    return [finding.check for finding in rep.findings("u", HOME)]


def test_healthy_site_passes_without_findings():
    rep = report()
    assert rep.verdict == "pass"
    assert rep.findings("u", HOME) == []
    assert rep.link_share is None and rep.parity_ok and rep.ns_ok


def test_a_link_share_the_crawl_could_not_measure_is_unknown_never_a_pass():
    # a unit behind a firewall challenge: no page crawled, no link host seen
    assert report(links_measured=True).verdict == "unknown"
    assert report(links_measured=True).findings("u", HOME) == []
    # what no link share can lift stands
    assert report(links_measured=True, aaaa_addresses=(), http_v6=()).verdict == "fail"
    mismatch = Mismatch("2001:db8::1", 80, "192.0.2.1", ("状态码不同",))
    assert report(links_measured=True, mismatches=(mismatch,)).verdict == "partial"
    # measured on pages: judged
    assert report(links_measured=True, link_hosts=(LinkHost("www.example-customs.test", True),)).verdict == "pass"


def test_no_aaaa_fails_naming_the_host_and_the_cname_chain():
    rep = report(aaaa_addresses=(), http_v6=(), cname_chain=("cdn.example.net", "edge.example.net"))
    [finding] = rep.findings("u", HOME)
    assert (finding.check, finding.page_url, finding.unit_id) == ("ipv6_no_aaaa", HOME, "u")
    assert finding.detail == (
        "www.example-customs.test 没有AAAA记录（经CNAME：www.example-customs.test → cdn.example.net → edge.example.net）"
    )
    assert rep.verdict == "fail"


def test_dns_error_is_a_no_aaaa_finding_with_the_error():
    rep = report(aaaa_addresses=(), http_v6=(), dns_error="SERVFAIL（域名服务器解析失败）")
    [finding] = rep.findings("u", HOME)
    assert finding.check == "ipv6_no_aaaa"
    assert "www.example-customs.test" in finding.detail and "SERVFAIL" in finding.detail
    assert rep.verdict == "fail"


def test_unreachable_address_fails_with_address_port_and_error():
    dead = HTTPResult("2001:db8::1", 80, "http", error_kind="refused", error="Connection refused")
    rep = report(http_v6=(dead,))
    [finding] = rep.findings("u", HOME)
    assert finding.check == "ipv6_unreachable"
    assert "2001:db8::1" in finding.detail and "端口 80" in finding.detail and "连接被拒绝" in finding.detail
    assert rep.verdict == "fail"


def test_port_owed_because_ipv4_serves_it_says_so():
    tls = HTTPResult("2001:db8::1", 443, "https", error_kind="tls", error="WRONG_VERSION_NUMBER")
    rep = report(http_v6=(*report().http_v6, tls))
    [finding] = rep.findings("u", HOME)
    assert "端口 443" in finding.detail and "TLS" in finding.detail and "IPv4" in finding.detail
    assert rep.verdict == "fail"


def test_unusable_address_is_unreachable_without_a_connection():
    mapped = HTTPResult("::ffff:192.0.2.1", 80, "http", error_kind="unusable_address",
                        error=unusable_reason("::ffff:192.0.2.1"))
    rep = report(aaaa_addresses=("::ffff:192.0.2.1",), http_v6=(mapped,))
    [finding] = rep.findings("u", HOME)
    assert finding.check == "ipv6_unreachable" and "::ffff:192.0.2.1" in finding.detail
    assert rep.verdict == "fail"


def test_mismatch_is_partial_and_says_what_differs():
    mismatch = Mismatch("2001:db8::1", 80, "192.0.2.1", ("状态码 IPv4 为 HTTP 200，IPv6 为 HTTP 404",))
    rep = report(http_v6=(HTTPResult("2001:db8::1", 80, "http", 404, HOME),), mismatches=(mismatch,))
    [finding] = rep.findings("u", HOME)
    assert finding.check == "ipv6_mismatch" and finding.http_status == 404
    assert "HTTP 404" in finding.detail and "2001:db8::1" in finding.detail
    assert rep.verdict == "partial" and not rep.parity_ok


def test_link_share_below_threshold_is_partial_and_lists_missing_hosts():
    links = (LinkHost("www.example-customs.test", True), LinkHost("img.example-customs.test", False, "无AAAA记录"))
    rep = report(link_hosts=links)
    [finding] = rep.findings("u", HOME)
    assert finding.check == "ipv6_links"
    assert "50%" in finding.detail and "img.example-customs.test（无AAAA记录）" in finding.detail
    assert rep.link_share == 0.5 and rep.hosts_missing == {"img.example-customs.test": "无AAAA记录"}
    assert rep.verdict == "partial"


def test_link_share_at_threshold_passes():
    links = tuple(LinkHost(f"h{i}.example-customs.test", i < 9) for i in range(10))
    assert report(link_hosts=links).verdict == "pass"
    assert report(link_hosts=links, threshold=0.95).verdict == "partial"


def test_fail_outweighs_partial():
    links = (LinkHost("img.example-customs.test", False, "无AAAA记录"),)
    rep = report(aaaa_addresses=(), http_v6=(), link_hosts=links)
    assert checks_of(rep) == ["ipv6_no_aaaa", "ipv6_links"]
    assert rep.verdict == "fail"


def test_name_servers_are_a_low_finding_that_leaves_the_verdict_alone():
    ns = (
        NSResult("ns1.example-customs.test", ("2001:db8::53",), True),
        NSResult("ns2.example-customs.test", (), False, "无AAAA记录"),
    )
    rep = report(ns=ns)
    [finding] = rep.findings("u", HOME)
    assert finding.check == "ipv6_ns" and CATALOG["ipv6_ns"].severity == "low"
    assert "ns2.example-customs.test（无AAAA记录）" in finding.detail and "example-customs.test" in finding.detail
    assert rep.verdict == "pass"
    assert checks_of(report(ns=(), ns_error="SERVFAIL（域名服务器解析失败）")) == ["ipv6_ns"]


# -- comparing answers ---------------------------------------------------------------------------

PAGE = """<html><head><meta name="csrf-token" content="{token}"><script nonce="{nonce}">var t={epoch};</script>
</head><body><h1>南京海关</h1><p>更新时间：{clock}</p><ul>{items}</ul>
<a href="/static/app.js?v={hexed}">x</a></body></html>"""
ITEMS = "".join(f"<li><a href='/zfxxgk/{i}/index.html'>海关总署公告{i}号</a></li>" for i in range(40))


def volatile_page(items: str = ITEMS) -> str:
    digit = lambda: secrets.randbelow(9) + 1  # noqa: E731
    return PAGE.format(
        token=secrets.token_urlsafe(32),
        nonce=secrets.token_urlsafe(16),
        epoch=int(time.time() * 1000) + digit(),
        clock=f"2024-05-0{digit()} 1{digit()}:0{digit()}:3{digit()}",
        hexed=secrets.token_hex(16),
        items=items,
    )


def test_nonces_tokens_and_clocks_do_not_count():
    assert distance(volatile_page(), volatile_page()) == 0.0


def test_another_page_is_far_apart():
    assert distance(volatile_page(), "<html><body><h1>Welcome to nginx!</h1></body></html>") > 0.9
    other_items = "".join(f"<li><a href='/zfxxgk/{i}/index.html'>海关总署公告{i}号</a></li>" for i in range(100, 140))
    assert distance(volatile_page(), volatile_page(other_items)) > 0.1


def page(status, final_url=HOME, text=""):
    return Page(HTTPResult("x", 80, "http", status, final_url), text)


def test_compare_reports_status_final_url_and_content():
    assert compare(page(200, text="<p>a</p>"), page(200, text="<p>a</p>")) == ()
    assert compare(page(200), page(404)) == ("状态码 IPv4 为 HTTP 200，IPv6 为 HTTP 404",)
    [moved] = compare(page(301, HOME + "new/"), page(301, HOME + "old/"))
    assert "跳转目标" in moved and HOME + "old/" in moved
    # the body of a redirect is boilerplate and not compared
    assert compare(page(302, HOME, "<p>a</p>"), page(302, HOME, "<p>something else</p>")) == ()
    [content] = compare(page(200, text="<p>首页</p>"), page(200, text="<p>It works!</p>"))
    assert content.startswith("页面内容相差")


def test_unusable_addresses():
    assert "IPv4映射" in unusable_reason("::ffff:10.0.0.1")
    assert "fe80::/10" in unusable_reason("fe80::1")
    assert unusable_reason("::") and unusable_reason("ff02::1")
    assert unusable_reason("::1") == "" and unusable_reason("2001:db8::1") == ""

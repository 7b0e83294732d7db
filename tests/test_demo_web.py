"""The demo customs web: its DNS server, its generated sites and ground truth, its processes.

Real sockets on loopback only; the whole module runs in a few seconds.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import ssl
from collections import deque
from datetime import date
from urllib.parse import urljoin, urlsplit

import dns.flags
import dns.message
import dns.query
import dns.rdatatype
import dns.resolver
import lxml.html
import pytest
import yaml
from w3lib.url import safe_url_string

from crawler.demo import DOWNLOAD_TIMEOUT_SECONDS, SLOW_TIMEOUT_SECONDS, DemoWeb
from crawler.demo.dns_server import DNSServer
from crawler.demo.generator import MAX_DEPTH, NXDOMAIN_HOST, GeneratedWeb, Ports, generate

TODAY = date(2026, 10, 15)
ZONE = "example-demo.test"
RECORDS = {
    ZONE: [
        ("SOA", f"ns1.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 60"),
        ("NS", f"ns1.{ZONE}."),
        ("NS", f"ns2.{ZONE}."),
    ],
    f"ns1.{ZONE}": [("A", "127.0.0.1"), ("AAAA", "::1")],
    f"ns2.{ZONE}": [("A", "127.0.0.1")],
    f"site.{ZONE}": [("A", "127.0.0.1"), ("AAAA", "::1")],
    f"www.{ZONE}": [("CNAME", f"cdn.{ZONE}.")],
    f"cdn.{ZONE}": [("CNAME", f"site.{ZONE}.")],
    f"v4only.{ZONE}": [("A", "127.0.0.2")],
    f"big.{ZONE}": [("A", f"127.0.1.{n}") for n in range(1, 61)],  # too big for a 512-byte datagram
    f"deep.sub.{ZONE}": [("A", "127.0.0.3")],
}


# --------------------------------------------------------------------------------------------
# DNS server


@pytest.fixture(scope="module")
def dns_server():
    with DNSServer(RECORDS, servfail=[f"sick.{ZONE}"], no_answer=[f"mute.{ZONE}"]) as server:
        yield server


def _resolver(server: DNSServer, lifetime: float = 2.0) -> dns.resolver.Resolver:
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers = [server.host]
    resolver.port = server.port
    resolver.lifetime = lifetime
    return resolver


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_dns_answers_addresses_and_follows_cnames(dns_server, tcp):
    resolver = _resolver(dns_server)
    assert [r.address for r in resolver.resolve(f"site.{ZONE}", "A", tcp=tcp)] == ["127.0.0.1"]
    assert [r.address for r in resolver.resolve(f"site.{ZONE}", "AAAA", tcp=tcp)] == ["::1"]
    answer = resolver.resolve(f"www.{ZONE}", "AAAA", tcp=tcp)
    assert [r.address for r in answer] == ["::1"]
    assert answer.canonical_name.to_text() == f"site.{ZONE}."
    assert [r.target.to_text() for r in resolver.resolve(f"www.{ZONE}", "CNAME", tcp=tcp)] == [f"cdn.{ZONE}."]


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_dns_negative_answers(dns_server, tcp):
    resolver = _resolver(dns_server)
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve(f"nowhere.{ZONE}", "A", tcp=tcp)
    with pytest.raises(dns.resolver.NoAnswer):  # the name exists, without AAAA
        resolver.resolve(f"v4only.{ZONE}", "AAAA", tcp=tcp)
    with pytest.raises(dns.resolver.NoAnswer):  # an empty non-terminal exists too
        resolver.resolve(f"sub.{ZONE}", "A", tcp=tcp)


def test_dns_name_servers_come_with_glue(dns_server):
    query = dns.message.make_query(ZONE, "NS")
    response = dns.query.tcp(query, dns_server.host, port=dns_server.port, timeout=2)
    assert sorted(r.target.to_text() for r in response.answer[0]) == [f"ns1.{ZONE}.", f"ns2.{ZONE}."]
    glue = {(rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype)) for rrset in response.additional}
    assert glue == {(f"ns1.{ZONE}.", "A"), (f"ns1.{ZONE}.", "AAAA"), (f"ns2.{ZONE}.", "A")}


def test_dns_large_answer_is_truncated_over_udp_and_complete_over_tcp(dns_server):
    query = dns.message.make_query(f"big.{ZONE}", "A", use_edns=False)
    over_udp = dns.query.udp(query, dns_server.host, port=dns_server.port, timeout=2)
    assert over_udp.flags & dns.flags.TC
    # the resolver retries over TCP by itself
    assert len(_resolver(dns_server).resolve(f"big.{ZONE}", "A")) == 60


def test_dns_servfail_and_silent_names(dns_server):
    resolver = _resolver(dns_server, lifetime=0.5)
    with pytest.raises(dns.resolver.NoNameservers, match="SERVFAIL"):
        resolver.resolve(f"sick.{ZONE}", "A")
    with pytest.raises(dns.resolver.LifetimeTimeout):
        resolver.resolve(f"mute.{ZONE}", "A")


def test_dns_serves_on_ipv6_loopback():
    if not socket.has_ipv6:
        pytest.skip("no IPv6")
    try:
        server = DNSServer(RECORDS, host="::1").start()
    except OSError:
        pytest.skip("::1 not available")
    with server:
        assert server.address == f"[::1]:{server.port}"
        assert [r.address for r in _resolver(server).resolve(f"www.{ZONE}", "AAAA", tcp=True)] == ["::1"]


# --------------------------------------------------------------------------------------------
# The generated web and its ground truth, audited in memory


@pytest.fixture(scope="module")
def web() -> GeneratedWeb:
    return generate(TODAY, Ports(http=8000, refused=8001, tls_error=8002))


def test_generation_is_deterministic(web):
    again = generate(TODAY, web.ports)
    assert again.truth() == web.truth()
    assert again.sites_yaml() == web.sites_yaml()
    for name, host in web.hosts.items():
        assert again.hosts[name].resources == host.resources


LINK_ATTRIBUTES = (("a", "href"), ("area", "href"), ("img", "src"), ("link", "href"), ("script", "src"),
                   ("iframe", "src"), ("frame", "src"))


def _links(page_url: str, body: bytes) -> list[tuple[str, str]]:
    """(absolute target, anchor text) of every link, as the crawler extracts them."""
    tree = lxml.html.document_fromstring(body)
    bases = tree.xpath("//base/@href")
    base = urljoin(page_url, bases[0]) if bases else page_url
    links = []
    for tag, attribute in LINK_ATTRIBUTES:
        for element in tree.iter(tag):
            href = element.get(attribute)
            if href is None:
                continue
            target = urljoin(base, href.strip())
            if urlsplit(target).scheme in ("http", "https"):
                target = safe_url_string(target.split("#", 1)[0])
            links.append((target, element.text_content().strip() or element.get("alt", "")))
    return links


def _fetch(web: GeneratedWeb, url: str):
    """What a link checker would conclude about `url`: (outcome, final resource)."""
    for _hop in range(11):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            return "not_checked", None
        if parts.hostname == NXDOMAIN_HOST:
            return "dns", None
        if parts.port == web.ports.refused:
            return "refused", None
        if parts.scheme == "https" or parts.port == web.ports.tls_error:
            return "tls", None
        host = web.hosts.get(parts.hostname)
        if host is None:
            return "dns", None
        resource = host.lookup(parts.path, parts.query)
        if resource.delay >= DOWNLOAD_TIMEOUT_SECONDS:
            return "timeout", resource
        headers = dict(resource.headers)
        if "Location" in headers:
            url = urljoin(url, headers["Location"])
            continue
        if resource.status >= 400:
            return f"http_{resource.status}", resource
        if "text/html" not in headers["Content-Type"]:
            return "ok", resource
        text = lxml.html.document_fromstring(resource.body).text_content()
        return ("soft_404" if "不存在" in text or "未找到" in text else "ok"), resource
    return "too_many_redirects", None


def _audit(web: GeneratedWeb, unit_id: str):
    """Every page of the unit's host reachable from its home page; for each, its bad links."""
    unit = next(u for u in web.units if u.id == unit_id)
    host = urlsplit(unit.url).hostname
    pages: dict[str, list[tuple[str, str]]] = {}
    queue = deque([unit.url])
    while queue:
        url = queue.popleft()
        if url in pages or len(pages) > 400:
            continue
        outcome, resource = _fetch(web, url)
        if outcome != "ok" or b"<html" not in resource.body[:300].lower():
            continue
        pages[url] = _links(url, resource.body)
        for target, _text in pages[url]:
            if urlsplit(target).hostname == host and "month=" not in target:
                queue.append(target)
    return pages


def _depths_from(web: GeneratedWeb, start: str, limit: int) -> dict[str, int]:
    host = urlsplit(start).hostname
    depths, queue = {start: 0}, deque([start])
    while queue:
        url = queue.popleft()
        outcome, resource = _fetch(web, url)
        if outcome != "ok" or depths[url] == limit:
            continue
        for target, _text in _links(url, resource.body):
            if urlsplit(target).hostname == host and target not in depths:
                depths[target] = depths[url] + 1
                queue.append(target)
    return depths


@pytest.mark.parametrize("unit_id", ["nanjing", "hangzhou", "qingdao"])
def test_truth_lists_exactly_the_bad_links_of_each_site(web, unit_id):
    found = set()
    for page_url, links in _audit(web, unit_id).items():
        for target, text in links:
            outcome, _ = _fetch(web, target)
            if outcome not in ("ok", "not_checked"):
                found.add((page_url, target, "soft_404" if outcome == "soft_404" else "broken_link"))
    expected = {(f["page_url"], f["target_url"], f["check"]) for f in web.findings if f["unit_id"] == unit_id}
    assert found == expected


@pytest.mark.parametrize("unit_id", ["nanjing", "hangzhou", "qingdao"])
def test_planted_links_are_where_the_truth_says_within_the_crawl_scope(web, unit_id):
    unit = next(u for u in web.units if u.id == unit_id)
    pages = _audit(web, unit_id)
    column = unit.disclosure_url or next(t for t, text in pages[unit.url] if text == "政府信息公开")
    in_scope = {unit.url, *_depths_from(web, column, MAX_DEPTH)}
    for row in [*web.findings, *web.not_flagged]:
        if row["unit_id"] != unit_id:
            continue
        assert row["page_url"] in in_scope, row
        assert (row["target_url"], row["link_text"]) in pages[row["page_url"]], row


def test_not_flagged_cases_work(web):
    cases = {row["case"] for row in web.not_flagged}
    assert cases == {"mailto", "tel", "javascript", "fragment", "slow_page", "calendar_trap", "head_405",
                     "chinese_path", "gbk_page", "redirect_301", "article_404_number", "retry_after_429", "base_href"}
    for row in web.not_flagged:
        assert _fetch(web, row["target_url"])[0] in ("ok", "not_checked"), row


def test_every_fault_kind_is_planted(web):
    assert {row["fault"] for row in web.findings} == {
        "refused", "dns", "http_404", "http_500", "timeout", "tls", "redirect_loop", "too_many_redirects",
        "redirect_to_404", "error_page_title", "soft_404_host", "attachment_error_page",
    }
    assert [row["unit_id"] for row in web.findings if row["check"] == "site_unreachable"] == ["lasa"]
    assert any(row["link_text"].startswith("=") for row in web.findings)
    # the same dead target from two pages: two rows
    targets = [row["target_url"] for row in web.findings if row["fault"] == "http_404" and row["unit_id"] == "nanjing"]
    assert len(targets) == 2 and len(set(targets)) == 1


def test_base_href_links_would_break_without_the_base(web):
    for row in (r for r in web.not_flagged if r["case"] == "base_href"):
        relative = row["target_url"].rsplit("/", 2)[-2] + "/index.html"
        assert _fetch(web, urljoin(row["page_url"], relative))[0] == "http_404"


@pytest.mark.parametrize("unit_id", ["nanjing", "hangzhou", "qingdao"])
def test_sections_are_all_there_and_list_last_years_report(web, unit_id):
    unit = next(u for u in web.units if u.id == unit_id)
    pages = _audit(web, unit_id)
    column = unit.disclosure_url or next(t for t, text in pages[unit.url] if text == "政府信息公开")
    sections = {text: target for target, text in pages[column]}
    for required in ("政府信息公开指南", "政府信息公开制度", "法定主动公开内容"):
        assert required in sections
    assert any(text.endswith("规范性文件") for text in sections)
    reports = next(target for text, target in sections.items() if "年报" in text or "年度报告" in text)
    titles = [text for _target, text in pages[reports]]
    assert any(f"{TODAY.year - 1}年政府信息公开工作年度报告" in title for title in titles)


# --------------------------------------------------------------------------------------------
# The demo web as a process


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with DemoWeb(tmp_path_factory.mktemp("demo"), TODAY) as running:
        yield running


def _get(demo: DemoWeb, url: str, method: str = "GET", timeout: float = 5.0):
    """Request `url` from the demo HTTP server, naming its virtual host in the Host header."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=timeout)
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers={"Host": parts.netloc})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _row(demo: DemoWeb, case: str) -> dict:
    return next(row for row in demo.truth["not_flagged"] if row["case"] == case)


def test_demo_writes_its_files(demo):
    assert demo.download_timeout == DOWNLOAD_TIMEOUT_SECONDS < SLOW_TIMEOUT_SECONDS
    assert re.fullmatch(r"127\.0\.0\.1:\d+", demo.nameserver)
    assert demo.truth["today"] == TODAY.isoformat()
    sites = demo.sites_path.read_text(encoding="utf-8")
    assert "南京海关" in sites and f":{demo.http_port}/" in sites


def test_demo_host_names_resolve_through_its_name_server(demo):
    host, port = demo.nameserver.rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.lifetime = [host], int(port), 2
    for name in demo.info["hosts"]:
        assert [r.address for r in resolver.resolve(name, "A")] == ["127.0.0.1"]
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve(NXDOMAIN_HOST, "A")


def test_demo_serves_each_reachable_home_page(demo):
    units = yaml.safe_load(demo.sites_path.read_text(encoding="utf-8"))["units"]
    reachable = [u for u in units if u["id"] != "lasa"]
    assert len(reachable) == 3
    for unit in reachable:
        status, headers, body = _get(demo, unit["url"])
        charset = headers["content-type"].split("charset=")[1]
        assert status == 200
        assert f"<title>{unit['name']}</title>" in body.decode(charset)
        assert "政府信息公开" in body.decode(charset)


def test_demo_unreachable_unit_refuses_connections(demo):
    row = next(r for r in demo.truth["findings"] if r["check"] == "site_unreachable")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", urlsplit(row["page_url"]).port), timeout=2).close()


def test_demo_gbk_page_decodes_as_gbk(demo):
    status, headers, body = _get(demo, _row(demo, "gbk_page")["target_url"])
    assert status == 200 and "charset=GBK" in headers["content-type"]
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert "杭州海关政府信息公开指南" in body.decode("gbk")
    assert "【文\u3000\u3000号】" in body.decode("gbk")
    # an item page declares its charset only in <meta http-equiv>
    status, headers, body = _get(demo, _row(demo, "article_404_number")["target_url"])
    assert status == 200 and headers["content-type"] == "text/html"
    assert b'charset=gbk">' in body and "海关总署公告〔2021〕404号" in body.decode("gbk")


def test_demo_429_then_200(demo):
    url = _row(demo, "retry_after_429")["target_url"]
    status, headers, _ = _get(demo, url)
    assert (status, headers["retry-after"]) == (429, "1")
    assert _get(demo, url)[0] == 200


def test_demo_head_refused_but_get_works(demo):
    url = _row(demo, "head_405")["target_url"]
    assert _get(demo, url, "HEAD")[0] == 405
    status, headers, body = _get(demo, url)
    assert status == 200 and headers["content-type"] == "application/vnd.ms-excel" and body


def test_demo_chinese_path_is_served_percent_encoded(demo):
    status, headers, body = _get(demo, _row(demo, "chinese_path")["target_url"])
    assert status == 200 and body.startswith(b"%PDF")


def test_demo_timeout_fault_outlasts_the_download_timeout(demo):
    url = next(r for r in demo.truth["findings"] if r["fault"] == "timeout")["target_url"]
    with pytest.raises(TimeoutError):
        _get(demo, url, timeout=0.5)


def test_demo_tls_fault_fails_the_handshake(demo):
    port = urlsplit(next(r for r in demo.truth["findings"] if r["fault"] == "tls")["target_url"]).port
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        with pytest.raises(ssl.SSLError):
            context.wrap_socket(sock, server_hostname="online.customs-demo.test")


def test_demo_stops_cleanly(tmp_path):
    demo = DemoWeb(tmp_path, TODAY).start()
    pid = demo.pid
    assert (tmp_path / "demo.json").exists()
    demo.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert demo.returncode == 0
    assert not (tmp_path / "demo.json").exists()  # a reader must not think it is still up
    assert json.loads((tmp_path / "truth.json").read_text(encoding="utf-8"))["findings"]

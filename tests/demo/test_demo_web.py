"""The demo customs web: its DNS server, its generated sites and ground truth, its processes.

Real sockets on loopback only (127.0.0.1, and ::1 where the machine has it); the whole module
runs in a few seconds.
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
import dns.rcode
import dns.rdatatype
import dns.resolver
import lxml.html
import pytest
import yaml
from w3lib.url import safe_url_string

from checks.crawl_checks import site_findings
from checks.facts import PAGE, FetchResult, Link
from checks.findings import Finding
from checks.firewall import challenge_shape
from checks.link_checks import CarriedLink, by_target, link_findings
from checks.metadata import metadata_findings, parse_metadata
from checks.regulations import check_regulation_page, default_library_dir, load_library
from checks.page import parse_html
from checks.rules import load_rules
from checks.sections import (
    SectionFacts,
    find_sections,
    is_single_article,
    parse_list_page,
    section_findings,
    text_of,
)
from checks.wrong_link import wrong_link_detail
from crawler.demo import DOWNLOAD_TIMEOUT_SECONDS, SLOW_TIMEOUT_SECONDS, DemoWeb, server
from crawler.demo.dns_server import DNSServer
from crawler.demo.generator import (
    CDN_HOST,
    CHALLENGED_UNIT,
    CHALLENGED_UNITS,
    COOKIE_WALL_HOST,
    HQ_UNIT,
    MAX_DEPTH,
    SHELL_202_HOST,
    NXDOMAIN_HOST,
    UNITS,
    UNREACHABLE_UNIT,
    DemoUnit,
    GeneratedWeb,
    Ports,
    generate,
)
from crawler.demo.network import NAME_SERVERS
from crawler.demo.server import DemoServers
from crawler.demo.sites import DEMO_DOMAIN
from crawler.crawl.links import link_kind
from crawler.probe.dns import make_resolver
from crawler.probe.ipv6 import IPv6Target, check_ipv6

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
#
# A small crawler over the generated hosts (no sockets) gathers what the real crawl gathers,
# and the checks' own functions judge it: the truth must be exactly what they find, details
# included, and the look-alikes must stay silent.


RULES = load_rules()
LIBRARY = load_library(default_library_dir())
UNIT_IDS = [spec.id for spec in UNITS] + [UNREACHABLE_UNIT[0]]


@pytest.fixture(scope="module")
def web() -> GeneratedWeb:
    return generate(TODAY, Ports(http=8000, refused=8001, tls_error=8002, v4_only=8003))


def test_generation_is_deterministic(web):
    again = generate(TODAY, web.ports)
    assert again.truth() == web.truth()
    assert again.sites_yaml() == web.sites_yaml()
    assert again.dns_records == web.dns_records
    for mine, theirs in ((web.hosts, again.hosts), (web.hosts_v4_only, again.hosts_v4_only), (web.hosts_v6, again.hosts_v6)):
        assert mine.keys() == theirs.keys()
        for name, host in mine.items():
            assert theirs[name].resources == host.resources and theirs[name].firewall == host.firewall


LINK_ATTRIBUTES = (("a", "href"), ("area", "href"), ("img", "src"), ("link", "href"), ("script", "src"),
                   ("iframe", "src"), ("frame", "src"))


def _links(page_url: str, html: str) -> list[Link]:
    """The http(s) links of a page, absolute, as the crawler extracts them."""
    tree = lxml.html.document_fromstring(html)
    bases = tree.xpath("//base/@href")
    base = urljoin(page_url, bases[0]) if bases else page_url
    links = []
    for tag, attribute in LINK_ATTRIBUTES:
        for element in tree.iter(tag):
            href = element.get(attribute)
            target = urljoin(base, href.strip()) if href is not None else ""
            if urlsplit(target).scheme in ("http", "https"):
                url = safe_url_string(target.split("#", 1)[0])
                text = " ".join(element.text_content().split()) or element.get("alt", "")
                links.append(Link(url, text, tag, link_kind(url, tag)))
    return links


def _decode(resource) -> str:
    declared = re.search(r"charset=([\w-]+)", dict(resource.headers).get("Content-Type", ""))
    in_page = re.search(rb'charset="?([\w-]+)', resource.body[:1024])
    charset = declared[1] if declared else in_page[1].decode() if in_page else "utf-8"
    return resource.body.decode(charset)


class _Fetcher:
    """What a crawler would get for each URL of the generated web; `rendered`: challenges are
    passed as a browser passes them."""

    def __init__(self, web: GeneratedWeb, rendered: bool = False) -> None:
        self.web, self.rendered = web, rendered
        self._seen: dict[str, tuple[FetchResult, str]] = {}

    def get(self, url: str) -> tuple[FetchResult, str]:
        """The result and, for an HTML answer, its text ('' otherwise)."""
        if url not in self._seen:
            self._seen[url] = self._get(url)
        return self._seen[url]

    def _get(self, first: str) -> tuple[FetchResult, str]:
        url, chain = first, [first]
        for _hop in range(11):
            parts = urlsplit(url)
            if parts.scheme == "https" or parts.port == self.web.ports.tls_error:
                return FetchResult(first, error_kind="tls"), ""
            if parts.port == self.web.ports.refused:
                return FetchResult(first, error_kind="refused"), ""
            if parts.hostname not in self.web.dns_records:
                return FetchResult(first, error_kind="dns"), ""
            hosts = self.web.hosts_v4_only if parts.port == self.web.ports.v4_only else self.web.hosts
            vhost = hosts[parts.hostname]
            passed = self.rendered and vhost.firewall is not None
            resource = vhost.answer(parts.path, parts.query, vhost.firewall.clearance if passed else "")
            if resource.delay >= DOWNLOAD_TIMEOUT_SECONDS:
                return FetchResult(first, error_kind="timeout"), ""
            headers = dict(resource.headers)
            if "Location" in headers:
                url = urljoin(url, headers["Location"])
                chain.append(url)
                continue
            content_type = headers["Content-Type"]
            html = _decode(resource) if "html" in content_type else ""
            title = heading = text = ""
            if html:
                tree = lxml.html.document_fromstring(html)
                title = " ".join(" ".join(tree.xpath("//title//text()")).split())
                heading = " ".join(" ".join(tree.xpath("(//h1)[1]//text()")).split())
                text = " ".join(" ".join(tree.xpath("//body//text()[not(ancestor::script)]")).split())[:5000]
            return FetchResult(first, status=resource.status, final_url=url, redirects=chain if len(chain) > 1 else [],
                               content_type=content_type, title=title, heading=heading, text=text,
                               challenge=challenge_shape(resource.status, headers, html)), html
        return FetchResult(first, error_kind="too_many_redirects", redirects=chain), ""


def _unit(web: GeneratedWeb, unit_id: str) -> DemoUnit:
    return next(unit for unit in web.units if unit.id == unit_id)


def _crawl(web: GeneratedWeb, unit: DemoUnit, fetcher: _Fetcher) -> dict[str, tuple[str, str]]:
    """Page URL -> (HTML, section) of the unit's home page and of the pages of its host within
    MAX_DEPTH hops of its disclosure column (the calendar trap left out); the section of a page
    is the column link it was reached by. The other pages of a list its pager links (by script
    too) are no hop further."""
    own = urlsplit(unit.url).netloc
    _, home = fetcher.get(unit.url)
    column = unit.disclosure_url or next(link.url for link in _links(unit.url, home) if link.text == "政府信息公开")
    pages = {unit.url: (home, "home")}
    queue = deque([(column, 0, "column")])
    while queue:
        url, depth, section = queue.popleft()
        if url in pages:
            continue
        result, html = fetcher.get(url)
        if result.status != 200 or not html:
            continue
        pages[url] = (html, section)
        for link in _links(url, html):
            if link.kind == PAGE and urlsplit(link.url).netloc == own and depth < MAX_DEPTH and "month=" not in link.url:
                queue.append((link.url, depth + 1, link.text if url == column else section))
        if url != column:
            queue.extend((page, depth, section) for page in parse_list_page(html, url, web.today).pages)
    return pages


def _audit(web: GeneratedWeb, unit_id: str, rendered: bool = False) -> tuple[list[Finding], set[str]]:
    """The findings the checks make of what a crawl of the unit sees, and the hosts of its own
    links (its host and sub-hosts) for the IPv6 link share."""
    fetcher, unit = _Fetcher(web, rendered), _unit(web, unit_id)
    home, home_html = fetcher.get(unit.url)
    column_url = column = None
    if home_html and not home.challenge:
        column_url = unit.disclosure_url or next(l.url for l in _links(unit.url, home_html) if l.text == "政府信息公开")
        column = fetcher.get(column_url)[0]
    findings = site_findings(unit.id, unit.url, home, column_url, column, True)
    if findings:
        return findings, set()
    pages = _crawl(web, unit, fetcher)
    own = urlsplit(unit.url)
    others = {urlsplit(u.url).netloc: u.name for u in web.units if u.id != unit.id}
    carried = [CarriedLink(url, section, link) for url, (html, section) in pages.items() for link in _links(url, html)]
    findings += link_findings(
        unit.id, *by_target(carried, lambda url: fetcher.get(url)[0]),
        # No error baseline per host: the crawler's probe of a host's non-existent path would
        # make the parked domain, which answers every path alike, a soft 404 (see the truth).
        lambda host: None, public_site=False,
        wrong_link=lambda text, result: wrong_link_detail(text, own.netloc, result, others, unit.name, RULES),
    )
    findings += _disclosure_findings(web, unit, pages, fetcher)
    link_hosts = {urlsplit(c.link.url).netloc for c in carried
                  if urlsplit(c.link.url).hostname == own.hostname or urlsplit(c.link.url).hostname.endswith("." + own.hostname)}
    return findings, link_hosts


def _disclosure_findings(web: GeneratedWeb, unit: DemoUnit, pages: dict, fetcher: _Fetcher) -> list[Finding]:
    """Sections of the column, metadata of their items, regulation texts, as the crawl assesses them."""
    column_url = next(url for url, (_, section) in pages.items() if section == "column")
    column_html = pages[column_url][0]
    sections: dict[str, SectionFacts | None] = {}
    for canonical, ref in find_sections(column_html, column_url, RULES).items():
        if ref is None:
            sections[canonical] = None
            continue
        items, todo, seen, is_article = [], [ref.url], set(), False
        while todo:
            url = todo.pop(0)
            if url in seen:
                continue
            seen.add(url)
            html = fetcher.get(url)[1]
            listed = parse_list_page(html, url, web.today)
            if url == ref.url:
                is_article = not listed.items and is_single_article(html)
            items += listed.items
            todo += listed.pages
        unique = list({item.url: item for item in items}.values())
        sections[canonical] = SectionFacts(canonical, ref.url, ref.name_on_page, is_article, unique)
    link_texts = [" ".join(a.text_content().split()) for a in parse_html(column_html).iter("a")]
    findings = section_findings(unit.id, column_url, sections, web.today, RULES, column_link_texts=link_texts,
                                home_url=unit.url)
    for canonical, facts in sections.items():
        if facts is None:
            continue
        for item in facts.items:
            result, html = fetcher.get(item.url)
            findings += metadata_findings(unit.id, item.url, result.title, parse_metadata(html, RULES), RULES,
                                          canonical, facts.name_on_page)
    for url, (html, section) in pages.items():
        if section != "home":
            result = fetcher.get(url)[0]
            validity = parse_metadata(html, RULES).get("有效性", "")
            findings += check_regulation_page(unit.id, url, result.title, result.heading, text_of(parse_html(html).body),
                                              validity, LIBRARY)
    return findings


@pytest.fixture(scope="module")
def audits(web) -> dict[str, tuple[list[Finding], set[str]]]:
    return {unit_id: _audit(web, unit_id) for unit_id in UNIT_IDS}


def _key(row) -> tuple[str, str, str]:
    if isinstance(row, Finding):
        return row.check, row.page_url, row.target_url
    return row["check"], row["page_url"], row["target_url"]


@pytest.mark.parametrize("unit_id", UNIT_IDS)
def test_truth_is_exactly_what_the_checks_find_in_the_pages(web, audits, unit_id):
    findings, _ = audits[unit_id]
    expected = [row for row in web.findings if row["unit_id"] == unit_id and not row["check"].startswith("ipv6_")]
    assert sorted(map(_key, findings)) == sorted(map(_key, expected))  # one row each, none twice
    for row in expected:
        detail = next(f.detail for f in findings if _key(f) == _key(row))
        for part in row.get("detail_contains", []):
            assert part in detail, (row, detail)
        if row["check"] in ("missing_section", "empty_section"):
            assert detail.startswith(row["detail_contains"][0]), detail


@pytest.mark.parametrize("unit_id", [*CHALLENGED_UNITS, "nanjing", "qingdao"])
def test_rendering_passes_the_challenge_and_changes_what_the_truth_says(web, unit_id):
    findings, _ = _audit(web, unit_id, rendered=True)
    render = web.truth()["render"]
    expected = [row for row in [*web.findings, *render["adds"]]
                if row["unit_id"] == unit_id and row not in render["removes"] and not row["check"].startswith("ipv6_")]
    assert sorted(map(_key, findings)) == sorted(map(_key, expected))
    # unrendered no page of it is crawled: its link share, and so its verdict, is unknown
    for challenged in CHALLENGED_UNITS:
        assert web.truth()["ipv6"][challenged]["verdict"] == "unknown"
        assert render["ipv6"][challenged]["verdict"] == "pass"


def test_look_alikes_are_not_flagged(web, audits):
    cases = {row["case"] for row in web.truth()["not_flagged_pages"]}
    assert cases == {
        "variant_section_name", "sections_as_block_headings", "items_from_page_2", "annual_report_on_page_2",
        "stale_threshold_boundary", "metadata_spaced_labels", "metadata_table", "metadata_colon_lines",
        "notice_needs_agency_and_date_only", "annual_report_not_judged", "article_under_breadcrumb",
        "partly_invalid_in_current_column", "invalid_outside_current_column", "regulation_current_in_table",
        "regulation_current_reformatted", "repealed_regulation_marked",
        "metadata_func_line_and_meta", "metadata_hgfg_blocks",
    }
    for row in web.truth()["not_flagged_pages"]:
        assert not any(
            f.check == row["check"] and f.page_url == row["page_url"] and f.detail.startswith(row.get("section", ""))
            for f in audits[row["unit_id"]][0]
        ), row
    flagged = {f.target_url for findings, _ in audits.values() for f in findings if f.target_url}
    for row in web.not_flagged:
        assert row["target_url"] not in flagged, row


def test_look_alikes_look_like_faults(web):
    """Each look-alike really is the near miss it claims to be, so the test above means something."""
    fetcher = _Fetcher(web)
    rows = {row["case"]: row for row in web.truth()["not_flagged_pages"]}
    reports = fetcher.get(rows["items_from_page_2"]["page_url"])
    first_page = parse_list_page(reports[1], reports[0].url, web.today)
    assert not first_page.items and first_page.total_pages == 2
    boundary = rows["stale_threshold_boundary"]["page_url"]
    norms = parse_list_page(fetcher.get(boundary)[1], boundary, web.today)
    threshold = RULES.section("规范性文件").stale_after_days
    assert (web.today - max(item.date for item in norms.items)).days == threshold
    assert "<th>发文字号</th>" in fetcher.get(rows["metadata_table"]["page_url"])[1]
    guide = fetcher.get(rows["article_under_breadcrumb"]["page_url"])[1]
    assert "当前位置：" in guide and is_single_article(guide)
    faults = {row["fault"]: row for row in web.findings}
    crumbs_only = fetcher.get(faults["section_empty_under_breadcrumb"]["page_url"])[1]
    assert "当前位置：" in crumbs_only and "暂无" not in crumbs_only  # nothing but the trail says it is empty
    empty_system = fetcher.get(faults["article_section_empty"]["page_url"])[1]
    assert "暂无信息" in empty_system and not is_single_article(empty_system)
    assert "索引号：\u3000" in fetcher.get(rows["metadata_colon_lines"]["page_url"])[1]
    func_line = fetcher.get(rows["metadata_func_line_and_meta"]["page_url"])[1]  # no label of a table or 【】 line
    assert "文章来源：" in func_line and '<meta name="PubDate"' in func_line and "发布机构" not in func_line
    hgfg = fetcher.get(rows["metadata_hgfg_blocks"]["page_url"])[1]
    assert '<div id="hgfg_con">' in hgfg and "<span>【文\u3000\u3000号】</span>" in hgfg
    assert "部分失效" in fetcher.get(rows["partly_invalid_in_current_column"]["page_url"])[1]
    assert "【效力】失效" in fetcher.get(rows["invalid_outside_current_column"]["page_url"])[1]
    in_table = fetcher.get(rows["regulation_current_in_table"]["page_url"])[1]
    assert "<td>第十四条</td>" in in_table
    reformatted = fetcher.get(rows["regulation_current_reformatted"]["page_url"])[1]
    assert "第 14 条" in reformatted and "，" not in reformatted.split("easysiteText")[1]
    paraphrase = next(row for row in web.not_flagged if row["case"] == "wrong_link_paraphrase")
    title = fetcher.get(paraphrase["target_url"])[0].title
    assert title.split("_")[0] not in paraphrase["link_text"] and len(paraphrase["link_text"]) >= 8


def test_regulation_pages_carry_the_library_texts(web):
    fetcher = _Fetcher(web)
    regulations = [row for row in web.findings if row["check"].endswith("_regulation")]
    assert sorted(row["check"] for row in regulations) == ["outdated_regulation"] * 4 + ["repealed_regulation"]
    assert len({row["page_url"] for row in regulations}) == 5
    # the same outdated text on two pages of one unit: two rows
    twice = [row for row in regulations if "2012年5月10日" in row["detail_contains"]]
    assert len(twice) == 2 and twice[0]["unit_id"] == twice[1]["unit_id"]
    for row in regulations:
        result, html = fetcher.get(row["page_url"])
        assert LIBRARY.find_title(result.title, result.heading) is not None
        assert 'class="easysite-news-title"' in html and 'id="easysiteText"' in html and "【效力】" in html


def test_every_fault_kind_is_planted(web):
    assert {row["fault"] for row in web.findings} == {
        "refused", "dns", "http_404", "http_500", "timeout", "tls", "redirect_loop", "too_many_redirects",
        "redirect_to_404", "error_page_title", "soft_404_host", "attachment_error_page",
        "other_unit", "unrelated_title", "parked_domain", "gambling_domain", "challenge",
        "challenge_ruishu", "challenge_ruishu_202", "challenge_cookie_wall",
        "section_missing", "section_empty_under_breadcrumb", "article_section_empty", "stale", "annual_report_missing",
        "metadata_blank", "metadata_omitted",
        "repealed_document_listed", "regulation_outdated", "regulation_repealed_in_force",
        "ipv6_no_aaaa", "ipv6_unreachable", "ipv6_mismatch", "ipv6_links", "ipv6_ns",
    }
    assert [row["unit_id"] for row in web.findings if row["check"] == "site_unreachable"] == ["lasa"]
    assert any(row["link_text"].startswith("=") for row in web.findings)
    # the same dead target from two pages: two rows
    targets = [row["target_url"] for row in web.findings if row["fault"] == "http_404" and row["unit_id"] == "nanjing"]
    assert len(targets) == 2 and len(set(targets)) == 1
    # a challenged unit: one row, on its home page (its IPv6 design gives it no IPv6 row)
    for unit_id in CHALLENGED_UNITS:
        assert [(row["check"], row["page_url"]) for row in web.findings if row["unit_id"] == unit_id] == [
            ("link_blocked", _unit(web, unit_id).url)]


def test_annual_report_is_owed_only_after_january(web):
    for day, owed in ((date(2026, 1, 31), False), (date(2026, 2, 1), True)):
        rows = generate(day, web.ports).findings
        assert any(row["fault"] == "annual_report_missing" for row in rows) is owed


def test_base_href_links_would_break_without_the_base(web):
    fetcher = _Fetcher(web)
    for row in (r for r in web.not_flagged if r["case"] == "base_href"):
        relative = row["target_url"].rsplit("/", 2)[-2] + "/index.html"
        assert fetcher.get(urljoin(row["page_url"], relative))[0].status == 404


def test_planted_links_are_on_their_pages_within_the_crawl_scope(web):
    for unit in web.units:
        rows = [row for row in [*web.findings, *web.not_flagged] if row["unit_id"] == unit.id and row["target_url"]]
        if not rows:
            continue
        pages = _crawl(web, unit, _Fetcher(web))
        for row in rows:
            assert row["page_url"] in pages, row
            html = pages[row["page_url"]][0]
            if not row["target_url"].startswith("http"):  # mailto:, tel:, javascript:
                assert f'href="{row["target_url"]}">{row["link_text"]}<' in html, row
                continue
            links = {(link.url, link.text) for link in _links(row["page_url"], html)}
            assert (row["target_url"], row["link_text"]) in links, row


def test_link_hosts_of_the_ipv6_truth_are_what_the_crawl_sees(web, audits):
    for unit_id, expected in web.truth()["ipv6"].items():
        assert audits[unit_id][1] == set(expected["link_hosts"]), unit_id


def test_ipv6_truth_follows_the_design(web):
    ipv6 = web.truth()["ipv6"]
    assert {unit: (v["verdict"], v["checks"]) for unit, v in ipv6.items()} == {
        "nanjing": ("pass", []),
        "hangzhou": ("fail", ["ipv6_no_aaaa", "ipv6_links"]),
        "qingdao": ("pass", []),
        "guangzhou": ("partial", ["ipv6_links", "ipv6_ns"]),
        "shenzhen": ("partial", ["ipv6_mismatch"]),
        "xiamen": ("fail", ["ipv6_unreachable", "ipv6_links"]),
        "manzhouli": ("unknown", []),  # no page crawled behind its challenge: no link share
        "gacc": ("unknown", []),
        "huangpu": ("pass", []),
        "lasa": ("fail", ["ipv6_no_aaaa"]),
    }
    rows = {(row["unit_id"], row["check"]) for row in web.findings if row["check"].startswith("ipv6_")}
    assert rows == {(unit, check) for unit, v in ipv6.items() for check in v["checks"]}
    assert all(row["page_url"] == _unit(web, row["unit_id"]).url for row in web.findings if row["check"].startswith("ipv6_"))
    # without ::1 nothing answers over IPv6, name servers included
    bare = generate(TODAY, web.ports, ipv6_loopback=False)
    assert not bare.hosts_v6 and not bare.truth()["ipv6_loopback"]
    assert {unit: v["verdict"] for unit, v in bare.truth()["ipv6"].items()} == dict.fromkeys(ipv6, "fail")
    assert all("ipv6_ns" in v["checks"] for v in bare.truth()["ipv6"].values())


def test_what_ipv6_loopback_serves(web):
    served = ("nanjing", "qingdao", "guangzhou", "files.guangzhou", "shenzhen", *CHALLENGED_UNITS, "huangpu")
    assert set(web.hosts_v6) == {f"{name}.{DEMO_DOMAIN}" for name in served}
    for name, vhost in web.hosts_v6.items():
        assert (vhost is web.hosts[name]) == (name != f"shenzhen.{DEMO_DOMAIN}")
    assert web.hosts_v4_only.keys() == {f"xiamen.{DEMO_DOMAIN}"}


# --------------------------------------------------------------------------------------------
# The demo web as a process


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    with DemoWeb(tmp_path_factory.mktemp("demo"), TODAY) as running:
        yield running


def _get(demo: DemoWeb, url: str, method: str = "GET", timeout: float = 5.0, address: str = "127.0.0.1",
         cookie: str = ""):
    """Request `url` from the demo HTTP server at `address`, naming its virtual host in the Host header."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(address, parts.port, timeout=timeout)
    headers = {"Host": parts.netloc, **({"Cookie": cookie} if cookie else {})}
    try:
        connection.request(method, parts.path + (f"?{parts.query}" if parts.query else ""), headers=headers)
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def _demo_resolver(demo: DemoWeb) -> dns.resolver.Resolver:
    host, port = demo.nameserver.rsplit(":", 1)
    resolver = dns.resolver.Resolver(configure=False)
    resolver.nameservers, resolver.port, resolver.lifetime = [host], int(port), 2
    return resolver


def _needs_ipv6_loopback(demo: DemoWeb) -> None:
    if not demo.info["ipv6_loopback"]:
        pytest.skip("this machine has no ::1: the demo runs without IPv6 listeners")


def _units(demo: DemoWeb) -> list[DemoUnit]:
    return [DemoUnit(u["id"], u["name"], u["url"], u.get("disclosure_url"))
            for u in yaml.safe_load(demo.sites_path.read_text(encoding="utf-8"))["units"]]


def _row(demo: DemoWeb, case: str) -> dict:
    return next(row for row in demo.truth["not_flagged"] if row["case"] == case)


def test_demo_writes_its_files(demo):
    assert demo.download_timeout == DOWNLOAD_TIMEOUT_SECONDS < SLOW_TIMEOUT_SECONDS
    assert re.fullmatch(r"127\.0\.0\.1:\d+", demo.nameserver)
    assert demo.truth["today"] == TODAY.isoformat()
    sites = demo.sites_path.read_text(encoding="utf-8")
    assert "南京海关" in sites and f":{demo.http_port}/" in sites


def test_demo_host_names_resolve_through_its_name_server(demo):
    resolver = _demo_resolver(demo)
    for name in demo.info["hosts"]:
        assert [r.address for r in resolver.resolve(name, "A")] == ["127.0.0.1"]
    with pytest.raises(dns.resolver.NXDOMAIN):
        resolver.resolve(NXDOMAIN_HOST, "A")


def test_demo_serves_each_reachable_home_page(demo):
    units = yaml.safe_load(demo.sites_path.read_text(encoding="utf-8"))["units"]
    reachable = [u for u in units if u["id"] not in ("lasa", *CHALLENGED_UNITS)]
    assert len(reachable) == len(UNITS) - len(CHALLENGED_UNITS)
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


@pytest.mark.parametrize("tcp", [False, True], ids=["udp", "tcp"])
def test_demo_aaaa_records_and_name_servers(demo, tcp):
    resolver = _demo_resolver(demo)

    def aaaa(name: str) -> list[str]:
        return [r.address for r in resolver.resolve(name, "AAAA", tcp=tcp)]

    assert aaaa(f"nanjing.{DEMO_DOMAIN}") == aaaa(f"xiamen.{DEMO_DOMAIN}") == ["::1"]
    for name in (f"hangzhou.{DEMO_DOMAIN}", f"lasa.{DEMO_DOMAIN}", f"www2.guangzhou.{DEMO_DOMAIN}"):
        with pytest.raises(dns.resolver.NoAnswer):
            resolver.resolve(name, "AAAA", tcp=tcp)
    chained = resolver.resolve(f"qingdao.{DEMO_DOMAIN}", "AAAA", tcp=tcp)
    assert [r.address for r in chained] == ["::1"] and chained.canonical_name.to_text() == f"{CDN_HOST}."
    name_servers = {DEMO_DOMAIN: NAME_SERVERS, f"guangzhou.{DEMO_DOMAIN}": (f"dns1.guangzhou.{DEMO_DOMAIN}",
                                                                            f"dns2.guangzhou.{DEMO_DOMAIN}")}
    for zone, expected in name_servers.items():
        assert sorted(r.target.to_text() for r in resolver.resolve(zone, "NS", tcp=tcp)) == [f"{ns}." for ns in expected]
    assert aaaa(NAME_SERVERS[0]) == aaaa(NAME_SERVERS[1]) == aaaa(f"dns1.guangzhou.{DEMO_DOMAIN}") == ["::1"]
    with pytest.raises(dns.resolver.NoAnswer):
        resolver.resolve(f"dns2.guangzhou.{DEMO_DOMAIN}", "AAAA", tcp=tcp)


def test_demo_name_server_answers_on_ipv6_loopback_at_the_same_port(demo):
    _needs_ipv6_loopback(demo)
    port = int(demo.nameserver.rsplit(":", 1)[1])
    query = dns.message.make_query(DEMO_DOMAIN, "SOA")
    for ask in (dns.query.udp, dns.query.tcp):
        response = ask(query, "::1", port=port, timeout=2)
        assert response.rcode() == dns.rcode.NOERROR and response.answer[0].rdtype == dns.rdatatype.SOA


def test_demo_ipv6_listeners(demo):
    _needs_ipv6_loopback(demo)
    units = {unit["id"]: unit["url"] for unit in yaml.safe_load(demo.sites_path.read_text(encoding="utf-8"))["units"]}
    for unit_id in ("nanjing", "qingdao", "guangzhou"):
        assert _get(demo, units[unit_id], address="::1") == _get(demo, units[unit_id])
    status, _, over_ipv6 = _get(demo, units["shenzhen"], address="::1")
    assert status == 200 and over_ipv6 != _get(demo, units["shenzhen"])[2]
    assert "网站升级维护中" in over_ipv6.decode("gbk")
    with pytest.raises(ConnectionRefusedError):  # xiamen's port: held on ::1, nothing listening
        _get(demo, units["xiamen"], address="::1")
    assert _get(demo, units["xiamen"])[0] == 200


def _jiasule_clearance(script_page: bytes) -> str:
    """The cookie 加速乐's script sets, computed as a browser would run it."""
    text = script_page.decode("ascii")
    codes = re.search(r"var _0x = \[([\d,]+)\], k = (\d+)", text)
    value = "".join(chr(int(code) ^ int(codes[2])) for code in codes[1].split(","))
    name = re.search(r'document\.cookie = "(\w+)="', text)[1]
    return f"{name}={value}"


def _ruishu_clearance(shell: bytes, script: bytes) -> str:
    """The cookie Ruishu's external script computes from the shell's meta and $_ts.cd."""
    meta = re.search(rb'<meta content="(\w+)" r="m">', shell)[1].decode()
    cd = re.search(rb'\$_ts\.cd="(\w+)"', shell)[1].decode()
    name = re.search(rb'document\.cookie = "(\w+)="', script)[1].decode()
    return name + "=" + "".join(format((ord(meta[i]) ^ ord(cd[i * 7 % len(cd)])) & 15, "x") for i in range(32))


def _server_cookie(headers: dict) -> str:
    return headers["set-cookie"].split(";")[0]


def test_demo_jiasule_challenge_without_and_with_the_cookie(demo):
    url = next(unit.url for unit in _units(demo) if unit.id == CHALLENGED_UNIT)
    addresses = ["127.0.0.1", "::1"] if demo.info["ipv6_loopback"] else ["127.0.0.1"]
    for address in addresses:
        status, headers, body = _get(demo, url, address=address)
        assert status == 521 and headers["content-type"].startswith("text/html") and "x-via-jsl" in headers
        assert "X-Via-JSL" in challenge_shape(status, headers, body)
        cookie = f"{_server_cookie(headers)}; {_jiasule_clearance(body)}"
        assert _jiasule_clearance(body).encode() not in body  # computed by the script, never written out
        status, _, page = _get(demo, url, address=address, cookie=f"other=1; {cookie}")
        assert status == 200 and "<title>满洲里海关</title>" in page.decode("utf-8")
        assert _get(demo, url, address=address, cookie=f"{_server_cookie(headers)}; __jsl_clearance_s=1")[0] == 521
    # every path is challenged, attachments too
    column = next(row for row in demo.truth["render"]["adds"] if row["unit_id"] == CHALLENGED_UNIT)["page_url"]
    assert _get(demo, column)[0] == _get(demo, column, "HEAD")[0] == 521


@pytest.mark.parametrize("host, status", [(f"{HQ_UNIT}.{DEMO_DOMAIN}", 412), (SHELL_202_HOST, 202)])
def test_demo_ruishu_shell(demo, host, status):
    url = f"http://{host}:{demo.http_port}/"  # every path is challenged, one that does not exist too
    answer, headers, shell = _get(demo, url)
    assert answer == status and 3500 <= len(shell) <= 4000 and "HttpOnly" in headers["set-cookie"]
    assert challenge_shape(answer, headers, shell).count('r="m"') == 1
    # the external script is served to anyone; the cookie it computes, with the server's, passes
    script_path = re.search(rb'src="(/\w+/[\w.]+\.js)" r="m"', shell)[1].decode()
    script_status, _, script = _get(demo, urljoin(url, script_path))
    assert script_status == 200 and b"location.reload()" in script
    cookie = f"{_server_cookie(headers)}; {_ruishu_clearance(shell, script)}"
    assert _get(demo, url, cookie=cookie)[0] != status  # the host's own answer
    assert _get(demo, url, cookie=_server_cookie(headers))[0] == status
    refused = _get(demo, url, cookie=cookie.rsplit("=", 1)[0] + "=0")  # what the script sets in a robot
    if host.startswith(HQ_UNIT):  # the headquarters' firewall refuses automated browsers: 400, nothing else
        assert refused[0] == 400 and refused[2] == b"" and b"navigator.webdriver" in script
    else:
        assert refused[0] == status


def test_demo_cookie_wall(demo):
    url = f"http://{COOKIE_WALL_HOST}:{demo.http_port}/"
    status, headers, body = _get(demo, url)
    assert status == 200 and "Cookie 后重新加载页面" in challenge_shape(status, headers, body)
    status, _, page = _get(demo, url, cookie=_server_cookie(headers))
    assert status == 200 and "网上办事大厅" in page.decode("utf-8")


def test_demo_ipv6_check_gives_the_truths_verdicts(demo):
    """The IPv6 check against the running demo: the truth's verdicts, link hosts as
    the crawl gives them, name servers asked on [::1] at the demo DNS port."""
    expected = demo.truth["ipv6"]
    targets = [IPv6Target(unit.id, unit.url, expected[unit.id]["link_hosts"]) for unit in _units(demo)]
    dns_port = int(demo.nameserver.rsplit(":", 1)[1])
    reports = check_ipv6(targets, make_resolver([demo.nameserver], timeout=3.0), timeout=3.0, service_ports=(),
                         ns_port=dns_port)
    for unit_id, report in reports.items():
        checks = [finding.check for finding in report.findings(unit_id, "")]
        assert (report.verdict, checks) == (expected[unit_id]["verdict"], expected[unit_id]["checks"]), unit_id


def test_without_ipv6_loopback_the_servers_skip_it_and_the_truth_says_so(monkeypatch):
    """A machine without ::1 (simulated: the servers are told so) runs no IPv6 listener, and the
    IPv6 check's verdicts are still the truth's."""
    monkeypatch.setattr(server, "ipv6_loopback_available", lambda: False)
    servers = DemoServers(TODAY)
    web = servers.start()
    try:
        truth = web.truth()
        assert not truth["ipv6_loopback"] and not web.hosts_v6
        targets = [IPv6Target(unit.id, unit.url, truth["ipv6"][unit.id]["link_hosts"]) for unit in web.units]
        reports = check_ipv6(targets, make_resolver([servers.dns.address], timeout=2.0), timeout=1.0,
                             service_ports=(), ns_port=servers.dns.port)
    finally:
        servers.stop()
    for unit_id, report in reports.items():
        checks = [finding.check for finding in report.findings(unit_id, "")]
        assert (report.verdict, checks) == (truth["ipv6"][unit_id]["verdict"], truth["ipv6"][unit_id]["checks"]), unit_id


def test_the_demo_web_keeps_its_ports_from_one_start_to_the_next_and_falls_back_when_one_is_taken(tmp_path):
    with DemoWeb(tmp_path, TODAY) as first:
        sites = first.sites_path.read_text(encoding="utf-8")
        ports = dict(first.info)
    with DemoWeb(tmp_path, TODAY) as again:
        assert again.sites_path.read_text(encoding="utf-8") == sites  # the same URLs: findings can persist
        assert again.nameserver == ports["nameserver"] and again.info["ports_kept"]
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports["http_port"]))
        taken.listen()
        with DemoWeb(tmp_path, TODAY) as moved:
            assert moved.http_port != ports["http_port"] and not moved.info["ports_kept"]
            connection = http.client.HTTPConnection("127.0.0.1", moved.http_port, timeout=5)
            connection.request("GET", "/")
            assert connection.getresponse().status == 404  # served: an unknown virtual host
            connection.close()
            assert moved.info["tls_error_port"] == ports["tls_error_port"]  # the others are kept

"""Judging a unit's IPv6 readiness (docs/checks.md, IPv6; key point 27 of the 2021 disclosure rules).

The IPv6 probe asks the network: the AAAA records of the unit's host (through CNAME chains) and
its A records, an HTTP(S) request to every AAAA address on the URL's port (and on 80/443 where
those answer over IPv4), the share of the unit's own link hosts that answer over IPv6, and the
zone's name servers over IPv6. What it found arrives here as plain data (`Lookup`, `HTTPResult`,
`Page`, `IPv6Report`): the IPv6 answer is compared with the IPv4 one as internet.nl does, and the
findings and the verdict are derived, without a socket.
"""
from __future__ import annotations

import ipaddress
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from checks.facts import ERROR_KINDS
from checks.findings import Finding

DEFAULT_LINK_SHARE_THRESHOLD = 0.9  # checks/rules.yaml may override it
# internet.nl calls a distance above 10 % between the IPv4 and the IPv6 answer a mismatch.
MAX_DISTANCE = 0.10
DEFAULT_PORTS = {"http": 80, "https": 443}
# Item 27 asks for IPv6 on the name servers too; at least two, as for any delegation.
MIN_NS_WITH_IPV6 = 2

VERDICT_PASS, VERDICT_PARTIAL, VERDICT_FAIL = "pass", "partial", "fail"
# The crawl was to measure the link share and read no link of the unit (no page crawled: a
# firewall challenge, a home without links): what the site check alone says cannot be a pass.
VERDICT_UNKNOWN = "unknown"
VERDICT_NAMES = {VERDICT_PASS: "通过", VERDICT_PARTIAL: "部分通过", VERDICT_FAIL: "未通过", VERDICT_UNKNOWN: "无法判定"}
_FAIL_CHECKS = {"ipv6_no_aaaa", "ipv6_unreachable"}
_PARTIAL_CHECKS = {"ipv6_mismatch", "ipv6_links"}


# -- what the probe found -------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """The addresses of one name and type, the CNAMEs followed, and why the lookup failed."""

    addresses: tuple[str, ...] = ()
    cname_chain: tuple[str, ...] = ()  # the names the host's CNAMEs lead to, in order
    error: str = ""  # '' when the name server answered (with or without records)


def unusable_reason(address: str) -> str:
    """Why an AAAA address cannot be a public IPv6 service ('' when it can be tried)."""
    ip = ipaddress.IPv6Address(address)
    if ip.ipv4_mapped is not None:
        return "IPv4映射地址（::ffff:0:0/96），实为IPv4"
    if ip.is_link_local:
        return "链路本地地址（fe80::/10），公网无法访问"
    if ip.is_unspecified:
        return "未指定地址（::）"
    if ip.is_multicast:
        return "组播地址（ff00::/8）"
    return ""


@dataclass(frozen=True)
class HTTPResult:
    """One request to one address and port; no redirect is followed."""

    address: str
    port: int
    scheme: str
    status: int | None = None
    final_url: str = ""  # the URL asked for, or where its Location header points
    error_kind: str = ""  # a key of checks.facts.ERROR_KINDS, or 'unusable_address'
    error: str = ""

    @property
    def answered(self) -> bool:
        return self.status is not None

    def failure(self) -> str:
        """The failure in Chinese with the technical message, as the inspector reads it."""
        kind = ERROR_KINDS.get(self.error_kind, "请求失败")
        return f"{kind}（{self.error}）" if self.error else kind


@dataclass(frozen=True)
class Page:
    """An answer and the text of its body, as far as it is compared."""

    result: HTTPResult
    text: str  # the decoded start of the body, as far as the probe read it ('' when not read)


# -- comparing the IPv4 and IPv6 answers ---------------------------------------------------------

# What changes on every request and says nothing about the content (internet.nl strips nonces and
# __VIEWSTATE; Chinese government CMSs add CSRF tokens, cache-busting hashes and clocks).
_VOLATILE = [
    re.compile(r"<(?:input|meta)\b[^>]*(?:csrf|xsrf|token|__viewstate|__eventvalidation)[^>]*>", re.IGNORECASE),
    re.compile(r"""\b(?:nonce|integrity)\s*=\s*(["'])[^"']*\1""", re.IGNORECASE),
    re.compile(r"\b\d{4}[-/年]\d{1,2}[-/月]\d{1,2}日?[ T]?\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"),
    re.compile(r"\b\d{1,2}:\d{2}:\d{2}\b"),
    re.compile(r"\b1\d{9}(?:\d{3})?\b"),  # Unix time in seconds or milliseconds
    re.compile(r"\b[0-9a-fA-F]{16,}\b"),
]
_LONG_RUN = re.compile(r"[A-Za-z0-9+/_=-]{32,}")


def _token_or_path(match: re.Match) -> str:
    # A random token mixes digits with upper- and lower-case letters; a long URL path of a
    # government CMS is lower case and stays, so that pages linking elsewhere still differ.
    run = match.group()
    is_token = any(c.isdigit() for c in run) and any(c.isupper() for c in run) and any(c.islower() for c in run)
    return "" if is_token else run


# Markup is compared line by line, with tags on lines of their own so that minified pages
# (one long line) still compare part by part.
_LINE_BREAKS = re.compile(r"\n|(?<=>)(?=<)")


def strip_volatile(html: str) -> str:
    for pattern in _VOLATILE:
        html = pattern.sub("", html)
    return _LONG_RUN.sub(_token_or_path, html)


def distance(v4_html: str, v6_html: str) -> float:
    """How far apart two pages are, 0.0 (same) to 1.0 (nothing in common).

    internet.nl takes 1 - difflib's quick_ratio of the two texts: the share of their characters
    both have, order ignored. Counted per character that says little (two pages of one CMS are
    made of the same letters), and difflib's order-aware ratio is quadratic on 500 KB (minutes a
    page). So the same measure is taken over lines, each weighing its length: the share of the
    text that stands in both pages, wherever it stands.
    """
    a = Counter(_lines(strip_volatile(v4_html)))
    b = Counter(_lines(strip_volatile(v6_html)))
    total = sum(len(line) * n for line, n in a.items()) + sum(len(line) * n for line, n in b.items())
    if not total:
        return 0.0
    common = sum(len(line) * n for line, n in (a & b).items())
    return 1.0 - 2 * common / total


def _lines(html: str) -> list[str]:
    return [line for line in (part.strip() for part in _LINE_BREAKS.split(html)) if line]


@dataclass(frozen=True)
class Mismatch:
    """An IPv6 address whose answer differs from the IPv4 one on the same port."""

    address: str
    port: int
    v4_address: str
    differences: tuple[str, ...]  # in Chinese: the status, the final URL, the content distance


def compare(v4: Page, v6: Page) -> tuple[str, ...]:
    """What differs between two answers to the same request, in Chinese; empty when nothing does."""
    differences = []
    if v4.result.status != v6.result.status:
        differences.append(f"状态码 IPv4 为 HTTP {v4.result.status}，IPv6 为 HTTP {v6.result.status}")
    if v4.result.final_url != v6.result.final_url:
        differences.append(f"跳转目标 IPv4 为 {v4.result.final_url}，IPv6 为 {v6.result.final_url}")
    # A redirect's body is server boilerplate: where it points (compared above) is what matters.
    if not differences and not 300 <= (v4.result.status or 0) < 400:
        apart = distance(v4.text, v6.text)
        if apart > MAX_DISTANCE:
            differences.append(f"页面内容相差 {apart:.1%}（超过 {MAX_DISTANCE:.0%}）")
    return tuple(differences)


# -- the report ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LinkHost:
    """One distinct host of the unit's own links and whether it answers over IPv6."""

    host: str
    ok: bool
    reason: str = ""  # why not, in Chinese


@dataclass(frozen=True)
class NSResult:
    """One name server of the zone: its IPv6 addresses and whether one answered over IPv6."""

    name: str
    addresses: tuple[str, ...] = ()
    answers: bool = False
    error: str = ""


@dataclass(frozen=True)
class IPv6Report:
    """Everything the check found for one unit; findings and verdict are derived from it."""

    host: str
    url: str
    a_addresses: tuple[str, ...] = ()
    aaaa_addresses: tuple[str, ...] = ()
    cname_chain: tuple[str, ...] = ()
    dns_error: str = ""  # why the AAAA lookup failed
    http_v4: tuple[HTTPResult, ...] = ()  # the IPv4 answers IPv6 was compared with
    http_v6: tuple[HTTPResult, ...] = ()  # unusable addresses appear here, never contacted
    mismatches: tuple[Mismatch, ...] = ()
    link_hosts: tuple[LinkHost, ...] = ()
    links_measured: bool = False  # the crawl gave the link hosts (the share is part of the verdict)
    threshold: float = DEFAULT_LINK_SHARE_THRESHOLD
    zone: str = ""
    ns: tuple[NSResult, ...] = ()
    ns_error: str = ""  # why the zone's name servers could not be found

    @property
    def url_port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or DEFAULT_PORTS[parts.scheme.lower()]

    @property
    def parity_ok(self) -> bool:
        return not self.mismatches

    @property
    def link_share(self) -> float | None:
        """The share of link hosts that answer over IPv6; None when the crawl gave none."""
        if not self.link_hosts:
            return None
        return sum(link.ok for link in self.link_hosts) / len(self.link_hosts)

    @property
    def hosts_missing(self) -> dict[str, str]:
        return {link.host: link.reason for link in self.link_hosts if not link.ok}

    @property
    def ns_ok(self) -> bool:
        return sum(ns.answers for ns in self.ns) >= MIN_NS_WITH_IPV6

    @property
    def verdict(self) -> str:
        """fail on no AAAA or an unreachable address/port, partial on a mismatch or a link share
        below the threshold, else pass; the name servers are a finding of their own.

        A link share the crawl was to measure but could not (no link seen: zero pages crawled)
        makes a pass unknown: fail and partial stand whatever the share, as no share can lift
        them; a pass needs the share (docs/firewalls.md).
        """
        checks = {check for check, _, _ in self._problems()}
        if checks & _FAIL_CHECKS:
            return VERDICT_FAIL
        if checks & _PARTIAL_CHECKS:
            return VERDICT_PARTIAL
        if self.links_measured and not self.link_hosts:
            return VERDICT_UNKNOWN
        return VERDICT_PASS

    def findings(self, unit_id: str, home_url: str) -> list[Finding]:
        return [
            Finding(unit_id, check, home_url, detail, http_status=status)
            for check, detail, status in self._problems()
        ]

    def _problems(self) -> Iterable[tuple[str, str, int | None]]:
        """(check, detail, http_status) of every problem, details in Chinese (docs/checks.md)."""
        host = self.host
        if not self.aaaa_addresses:
            if self.dns_error:
                yield "ipv6_no_aaaa", f"{host} 的AAAA记录查询失败：{self.dns_error}", None
            else:
                via = f"（经CNAME：{' → '.join((host, *self.cname_chain))}）" if self.cname_chain else ""
                yield "ipv6_no_aaaa", f"{host} 没有AAAA记录{via}", None
        for result in self.http_v6:
            if not result.answered:
                also = "，而该端口可通过IPv4访问" if result.port != self.url_port else ""
                yield "ipv6_unreachable", f"{host} 的{_describe_failure(result)}{also}", None
        for mismatch in self.mismatches:
            status = next(
                (r.status for r in self.http_v6 if (r.address, r.port) == (mismatch.address, mismatch.port)), None
            )
            yield (
                "ipv6_mismatch",
                f"{host} 端口 {mismatch.port} 经IPv6地址 {mismatch.address} 的应答与IPv4（{mismatch.v4_address}）"
                f"不一致：{'；'.join(mismatch.differences)}",
                status,
            )
        share = self.link_share
        if share is not None and share < self.threshold:
            missing = "、".join(f"{name}（{reason}）" for name, reason in self.hosts_missing.items())
            passed = len(self.link_hosts) - len(self.hosts_missing)
            yield (
                "ipv6_links",
                f"站内链接域名可通过IPv6访问的比例为 {share:.0%}（{passed}/{len(self.link_hosts)}），"
                f"低于 {self.threshold:.0%}；未通过：{missing}",
                None,
            )
        if self.ns_error:
            yield "ipv6_ns", f"{host} 所在域的域名服务器无法确定：{self.ns_error}", None
        elif self.ns and not self.ns_ok:
            answering = sum(ns.answers for ns in self.ns)
            servers = "、".join(f"{ns.name}（{'可通过IPv6应答' if ns.answers else ns.error}）" for ns in self.ns)
            yield (
                "ipv6_ns",
                f"域 {self.zone} 的域名服务器中只有 {answering} 台有AAAA记录并可通过IPv6应答"
                f"（至少需要 {MIN_NS_WITH_IPV6} 台）：{servers}",
                None,
            )


def _describe_failure(result: HTTPResult) -> str:
    if result.error_kind == "unusable_address":
        return f"AAAA记录 {result.address} 是{result.error}，不能提供IPv6服务（未尝试连接）"
    return f"IPv6地址 {result.address} 端口 {result.port}（{result.scheme}）无法访问：{result.failure()}"


def judge_link_host(host: str, aaaa: Lookup, results: Sequence[HTTPResult]) -> LinkHost:
    """A link host passes when one of its IPv6 addresses answered HTTP at all."""
    if any(result.answered for result in results):
        return LinkHost(host, True)
    if not aaaa.addresses:
        return LinkHost(host, False, aaaa.error or "无AAAA记录")
    return LinkHost(host, False, "；".join(_describe_failure(result) for result in results))

"""IPv6 readiness of a unit's site (docs/checks.md, IPv6; key point 27 of the 2021 disclosure rules).

For each unit: the AAAA records of its host (through CNAME chains) and, for comparison, its A
records, resolved with dnspython through the configured name servers; an HTTP(S) request to every
AAAA address on the URL's port (and on 80/443 where those answer over IPv4) with the right Host
header and SNI; the IPv6 answer compared with the IPv4 one as internet.nl does; the share of the
unit's own link hosts that answer over IPv6; and whether at least two name servers of the zone
answer DNS over IPv6.

Only DNS and sockets are used here (no Scrapy): `check_ipv6` runs every host of a run in a thread
pool and returns one `IPv6Report` per unit, plain data from which the findings and the verdict
are derived. Every failure of a name server or a site becomes a finding; only a name server that
does not answer at all is an error (`NameserverUnreachable`), because then nothing can be judged.
"""
from __future__ import annotations

import concurrent.futures
import http.client
import io
import ipaddress
import re
import socket
import ssl
import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from checks.facts import ERROR_KINDS
from checks.findings import Finding

DEFAULT_TIMEOUT = 5.0
DEFAULT_LINK_SHARE_THRESHOLD = 0.9  # checks/rules.yaml may override it
# internet.nl reads the first 500 KB of each answer and calls a distance above 10 % a mismatch.
BODY_LIMIT = 500 * 1024
MAX_DISTANCE = 0.10
HEADER_LIMIT = 64 * 1024
# Besides the URL's own port, these must answer over IPv6 wherever they answer over IPv4.
SERVICE_PORTS = ((80, "http"), (443, "https"))
DEFAULT_PORTS = {"http": 80, "https": 443}
# Item 27 asks for IPv6 on the name servers too; at least two, as for any delegation.
MIN_NS_WITH_IPV6 = 2
MAX_CNAME_HOPS = 16
USER_AGENT = "customs-audit (IPv6 check)"

VERDICT_PASS, VERDICT_PARTIAL, VERDICT_FAIL = "pass", "partial", "fail"
# The crawl was to measure the link share and read no link of the unit (no page crawled: a
# firewall challenge, a home without links): what the site check alone says cannot be a pass.
VERDICT_UNKNOWN = "unknown"
_FAIL_CHECKS = {"ipv6_no_aaaa", "ipv6_unreachable"}
_PARTIAL_CHECKS = {"ipv6_mismatch", "ipv6_links"}


class NameserverUnreachable(Exception):
    """No configured name server answers at all: nothing about any host can be judged."""


# -- resolver ------------------------------------------------------------------------------------


def parse_nameserver(value: str) -> tuple[str, int]:
    """'IP', 'IP:PORT', 'IPv6' or '[IPv6]:PORT' -> (ip, port); ValueError with one line."""
    text = value.strip()
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"name server {value!r}: not an IP address (expected IP[:PORT])") from None
    if not port_text:
        return host, 53
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ValueError(f"name server {value!r}: bad port (expected IP[:PORT])")
    return host, int(port_text)


def make_resolver(nameservers: list[str] | None, timeout: float = DEFAULT_TIMEOUT) -> dns.resolver.Resolver:
    """A dnspython resolver for 'IP[:PORT]' servers, or the system's configuration when None.

    `timeout` bounds each lookup as a whole (all servers and retries included).
    """
    if nameservers:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [dns.nameserver.Do53Nameserver(*parse_nameserver(v)) for v in nameservers]
    else:
        try:
            resolver = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            raise NameserverUnreachable("no name server configured on this machine (/etc/resolv.conf)") from None
    resolver.lifetime = timeout
    # Leave time for a second server or a retry within the lifetime.
    resolver.timeout = min(timeout, 2.0)
    return resolver


def probe_nameservers(resolver: dns.resolver.Resolver) -> None:
    """Raise NameserverUnreachable unless some configured server answers a query at all.

    Any DNS answer counts, NXDOMAIN, REFUSED and SERVFAIL included: the server is alive.
    """
    servers = ", ".join(_server_text(server, resolver.port) for server in resolver.nameservers)
    try:
        resolver.resolve(dns.name.root, "NS", raise_on_no_answer=False)
        return
    except (dns.resolver.NXDOMAIN, dns.resolver.YXDOMAIN):
        return
    except dns.resolver.NoNameservers as exc:
        errors = exc.kwargs.get("errors", [])
        if any(response is not None for *_, response in errors):
            return
        reason = "; ".join(str(error) for _, _, _, error, _ in errors) or "no server left to ask"
    except dns.exception.Timeout:
        reason = f"no answer within {resolver.lifetime:g} s"
    # One line whatever the errors say: the command line prints it as it is.
    raise NameserverUnreachable(" ".join(f"name server {servers} does not answer: {reason}".split()))


def _server_text(server: str | dns.nameserver.Nameserver, default_port: int) -> str:
    if isinstance(server, dns.nameserver.Nameserver):
        address, port = server.answer_nameserver(), server.answer_port()
    else:
        address, port = server, default_port
    host = f"[{address}]" if ":" in address else address
    return host if port == 53 else f"{host}:{port}"


# -- DNS lookups ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Lookup:
    """The addresses of one name and type, the CNAMEs followed, and why the lookup failed."""

    addresses: tuple[str, ...] = ()
    cname_chain: tuple[str, ...] = ()  # the names the host's CNAMEs lead to, in order
    error: str = ""  # '' when the name server answered (with or without records)


def lookup(resolver: dns.resolver.Resolver, host: str, rdtype: str) -> Lookup:
    """`rdtype` (A or AAAA) records of `host`, following CNAMEs across answers too.

    A recursive resolver follows a chain itself; an authoritative server may answer only its own
    part of it, so a CNAME whose target the answer leaves open is asked for again.
    """
    family = {"A": 4, "AAAA": 6}[rdtype]
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        pass
    else:
        return Lookup((host,) if literal.version == family else ())
    start = name = dns.name.from_text(host)
    chain: list[dns.name.Name] = []
    for _ in range(MAX_CNAME_HOPS):
        try:
            answer = resolver.resolve(name, rdtype, raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN as exc:
            # Through a CNAME the name that does not exist is the chain's end, not the host.
            missing = exc.canonical_name
            where = "" if missing == start else f"：{_text(missing)}"
            return Lookup((), _texts(chain), f"NXDOMAIN（域名不存在{where}）")
        except dns.resolver.NoNameservers as exc:
            return Lookup((), _texts(chain), _servers_error(exc, name))
        except dns.exception.Timeout:
            return Lookup((), _texts(chain), f"DNS查询超时（{resolver.lifetime:g}秒内域名服务器无应答）")
        except dns.exception.DNSException as exc:
            return Lookup((), _texts(chain), f"DNS查询失败（{exc}）")
        for cname in answer.chaining_result.cnames:
            target = cname[0].target
            if target in chain or target == start:
                return Lookup((), _texts(chain), _loop_text(host, chain, target))
            chain.append(target)
        if answer.rrset is not None:
            return Lookup(tuple(rdata.address for rdata in answer.rrset), _texts(chain))
        if answer.canonical_name == name:
            return Lookup((), _texts(chain))  # the name exists but has no such record
        name = answer.canonical_name
    return Lookup((), _texts(chain), f"CNAME链过长（超过{MAX_CNAME_HOPS}跳）")


def _servers_error(exc: dns.resolver.NoNameservers, name: dns.name.Name) -> str:
    """Why every server failed: an rcode they answered, a CNAME loop in the answer, or the error."""
    for _, _, _, error, response in exc.kwargs.get("errors", []):
        if isinstance(error, dns.message.ChainTooLong) and response is not None:
            return _loop_in_response(response, name)
        if isinstance(error, str):
            explained = {"SERVFAIL": "SERVFAIL（域名服务器解析失败）", "REFUSED": "REFUSED（域名服务器拒绝查询）"}
            return explained.get(error, error)
    return f"DNS查询失败（{exc}）"


def _loop_in_response(response: dns.message.Message, name: dns.name.Name) -> str:
    """The CNAME chain of an answer that dnspython gave up on: a loop, or merely too long."""
    cnames = {rrset.name: rrset[0].target for rrset in response.answer if rrset.rdtype == dns.rdatatype.CNAME}
    chain: list[dns.name.Name] = []
    current = name
    while current in cnames:
        target = cnames[current]
        if target in chain or target == name:
            return _loop_text(_text(name), chain, target)
        chain.append(target)
        current = target
    return f"CNAME链过长（超过{MAX_CNAME_HOPS}跳）"


def _loop_text(host: str, chain: list[dns.name.Name], back_to: dns.name.Name) -> str:
    return "CNAME循环（" + " → ".join([host, *_texts(chain), _text(back_to)]) + "）"


def _text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True)


def _texts(names: Iterable[dns.name.Name]) -> tuple[str, ...]:
    return tuple(_text(name) for name in names)


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


# -- HTTP over one address -----------------------------------------------------------------------


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
    text: str  # the decoded first BODY_LIMIT bytes of the body ('' when not read)


class _Replay:
    """Hands already received bytes to http.client's parser as if they came from a socket."""

    def __init__(self, data: bytes):
        self._data = data

    def makefile(self, mode: str) -> io.BytesIO:
        return io.BytesIO(self._data)


def _tls_context() -> ssl.SSLContext:
    # Certificates are not judged here: the content is compared, and a TLS failure over IPv6
    # (that IPv4 does not have) is what the check reports.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


_TLS = _tls_context()


def fetch(address: str, port: int, scheme: str, host: str, path: str, timeout: float, *, body: bool = True) -> Page:
    """GET `path` from `host` at the literal `address`: Host header and SNI name the host.

    `timeout` bounds the whole exchange; at most HEADER_LIMIT + BODY_LIMIT bytes are read.
    """
    url = f"{scheme}://{_netloc(host, port, scheme)}{path}"
    deadline = time.monotonic() + timeout
    try:
        raw = _exchange(address, port, scheme, host, _request(host, port, scheme, path), deadline, body)
        response = http.client.HTTPResponse(_Replay(raw), method="GET")  # type: ignore[arg-type]
        response.begin()
        location = response.getheader("Location")
        text = _decode(_read_body(response), response.getheader("Content-Type", "")) if body else ""
    except TimeoutError:
        return Page(HTTPResult(address, port, scheme, error_kind="timeout", error=f"{timeout:g}秒内未完成"), "")
    except ConnectionRefusedError as exc:
        return Page(HTTPResult(address, port, scheme, error_kind="refused", error=_message(exc)), "")
    except ssl.SSLError as exc:
        return Page(HTTPResult(address, port, scheme, error_kind="tls", error=_message(exc)), "")
    except (ConnectionResetError, ConnectionAbortedError, BrokenPipeError, EOFError) as exc:
        return Page(HTTPResult(address, port, scheme, error_kind="connection", error=_message(exc)), "")
    except http.client.HTTPException as exc:
        return Page(HTTPResult(address, port, scheme, error_kind="other", error=f"不是HTTP应答（{_message(exc)}）"), "")
    except OSError as exc:
        return Page(HTTPResult(address, port, scheme, error_kind="other", error=_message(exc)), "")
    final_url = urljoin(url, location) if location else url
    return Page(HTTPResult(address, port, scheme, status=response.status, final_url=final_url), text)


def _request(host: str, port: int, scheme: str, path: str) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {_netloc(host, port, scheme)}\r\n"
        f"User-Agent: {USER_AGENT}\r\n"
        "Accept: text/html,*/*;q=0.8\r\n"
        "Accept-Encoding: identity\r\n"
        "Connection: close\r\n\r\n"
    ).encode("ascii")


def _exchange(address: str, port: int, scheme: str, host: str, request: bytes, deadline: float, body: bool) -> bytes:
    """Send the request and read the answer until the server closes, the limit or the deadline."""
    sock = socket.create_connection((address, port), timeout=_remaining(deadline))
    try:
        if scheme == "https":
            sock.settimeout(_remaining(deadline))
            sock = _TLS.wrap_socket(sock, server_hostname=host)
        sock.sendall(request)
        data = bytearray()
        while len(data) < HEADER_LIMIT + BODY_LIMIT:
            if not body and b"\r\n\r\n" in data:
                break
            try:
                sock.settimeout(_remaining(deadline))
                chunk = sock.recv(65536)
            except TimeoutError:
                # A server that ignores "Connection: close" has still answered once its head is in.
                if b"\r\n\r\n" in data:
                    break
                raise
            if not chunk:
                break
            data += chunk
        return bytes(data)
    finally:
        sock.close()


def _remaining(deadline: float) -> float:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("timed out")
    return remaining


def _read_body(response: http.client.HTTPResponse) -> bytes:
    body = bytearray()
    while len(body) < BODY_LIMIT:
        try:
            chunk = response.read(65536)
        except http.client.IncompleteRead as exc:
            body += exc.partial  # cut at the read limit: what came is what is compared
            break
        except ValueError:
            break  # a chunk-size line cut at the read limit
        if not chunk:
            break
        body += chunk
    return bytes(body[:BODY_LIMIT])


_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", re.IGNORECASE)


def _decode(body: bytes, content_type: str) -> str:
    # Both answers are decoded by the same rule, so a wrong guess cannot make them differ.
    if match := _HEADER_CHARSET.search(content_type):
        charset = match.group(1)
    elif match := _META_CHARSET.search(body[:2048]):
        charset = match.group(1).decode("ascii")
    else:
        charset = "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:  # a charset name Python does not know
        return body.decode("utf-8", errors="replace")


def _message(exc: BaseException) -> str:
    return str(getattr(exc, "reason", "") or getattr(exc, "strerror", "") or exc or type(exc).__name__)


def _netloc(host: str, port: int, scheme: str) -> str:
    name = f"[{host}]" if ":" in host else host
    return name if DEFAULT_PORTS.get(scheme) == port else f"{name}:{port}"


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


def _link_host(host: str, aaaa: Lookup, results: Sequence[HTTPResult]) -> LinkHost:
    """A link host passes when one of its IPv6 addresses answered HTTP at all."""
    if any(result.answered for result in results):
        return LinkHost(host, True)
    if not aaaa.addresses:
        return LinkHost(host, False, aaaa.error or "无AAAA记录")
    return LinkHost(host, False, "；".join(_describe_failure(result) for result in results))


# -- running the checks --------------------------------------------------------------------------


@dataclass(frozen=True)
class IPv6Target:
    """A unit to check. `link_hosts`: the distinct hosts of its own in-scope links (its host and
    subdomains, from the crawl), each a host name, 'host:port' or a URL; a bare host is asked on
    the unit URL's scheme and port. Empty when the crawl saw none (the verdict cannot pass);
    None for the `ipv6` command, which checks the site alone."""

    unit_id: str
    url: str
    link_hosts: Sequence[str] | None = None


@dataclass(frozen=True)
class _Origin:
    scheme: str
    host: str
    port: int


@dataclass(frozen=True)
class _Site:
    """What one site URL gave, shared by every unit with that URL."""

    a: Lookup
    aaaa: Lookup
    http_v4: tuple[HTTPResult, ...]
    http_v6: tuple[HTTPResult, ...]
    mismatches: tuple[Mismatch, ...]


@dataclass(frozen=True)
class _Zone:
    name: str  # '' when no zone was found
    ns_names: tuple[str, ...] = ()
    error: str = ""


T = TypeVar("T")


class _Once:
    """Computes each key once, however many threads ask for it at the same time.

    A thread waits only on a computation another thread is running, never on a queued task,
    so sharing the pool cannot deadlock.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._futures: dict[Hashable, concurrent.futures.Future] = {}

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        with self._lock:
            future = self._futures.get(key)
            owner = future is None
            if owner:
                future = self._futures[key] = concurrent.futures.Future()
        if owner:
            try:
                future.set_result(compute())
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()


class _Checker:
    """One run's work: every lookup and NS query is done once and shared between units."""

    def __init__(self, resolver: dns.resolver.Resolver, timeout: float, service_ports, ns_port: int):
        self.resolver = resolver
        self.timeout = timeout
        self.service_ports = service_ports
        self.ns_port = ns_port
        self._lookups = _Once()
        self._ns_records = _Once()

    def lookup(self, host: str, rdtype: str) -> Lookup:
        return self._lookups.get((host, rdtype), lambda: lookup(self.resolver, host, rdtype))

    def site(self, origin: _Origin, path: str) -> _Site:
        """A and AAAA; per owed port the IPv4 reference answer and every IPv6 address against it."""
        aaaa = self.lookup(origin.host, "AAAA")
        # A name the server fails on (timeout, SERVFAIL) fails for A too: asking again would
        # only double the time a sick name server costs.
        a = Lookup() if aaaa.error else self.lookup(origin.host, "A")
        usable = [address for address in aaaa.addresses if not unusable_reason(address)]
        http_v4: list[HTTPResult] = []
        owed: dict[int, tuple[str, Page | None]] = {}
        # IPv4 is asked only when there is an IPv6 address to hold it against.
        for port, scheme in [(origin.port, origin.scheme), *self.service_ports] if usable else []:
            if port in owed:
                continue
            reference = self._ipv4_reference(a.addresses, port, scheme, origin.host, path, http_v4)
            # 80 and 443 are owed over IPv6 where IPv4 serves them; the URL's own port always.
            if reference is not None or port == origin.port:
                owed[port] = scheme, reference
        http_v6: list[HTTPResult] = []
        mismatches: list[Mismatch] = []
        for address in aaaa.addresses:
            reason = unusable_reason(address)
            if reason:
                http_v6.append(_not_contacted(address, origin, reason))
                continue
            for port, (scheme, reference) in owed.items():
                page = fetch(address, port, scheme, origin.host, path, self.timeout)
                http_v6.append(page.result)
                if reference is not None and page.result.answered:
                    differences = compare(reference, page)
                    if differences:
                        mismatches.append(Mismatch(address, port, reference.result.address, differences))
        return _Site(a, aaaa, tuple(http_v4), tuple(http_v6), tuple(mismatches))

    def _ipv4_reference(self, addresses, port, scheme, host, path, results: list[HTTPResult]) -> Page | None:
        """The first IPv4 address that answers is what IPv6 is compared with."""
        for address in addresses:
            page = fetch(address, port, scheme, host, path, self.timeout)
            results.append(page.result)
            if page.result.answered:
                return page
        return None

    def link_host(self, origin: _Origin) -> LinkHost:
        """AAAA, then the addresses in turn until one answers HTTP on the link's port."""
        aaaa = self.lookup(origin.host, "AAAA")
        results = []
        for address in aaaa.addresses:
            reason = unusable_reason(address)
            if reason:
                results.append(_not_contacted(address, origin, reason))
                continue
            page = fetch(address, origin.port, origin.scheme, origin.host, "/", self.timeout, body=False)
            results.append(page.result)
            if page.result.answered:
                break
        return _link_host(origin.host, aaaa, results)

    def zone(self, host: str) -> _Zone:
        """The zone holding `host`: the closest name above it with NS records (not a TLD)."""
        try:
            ipaddress.ip_address(host)
            return _Zone("")  # an address has no zone and nothing to ask about it
        except ValueError:
            pass
        name = dns.name.from_text(host)
        error = "没有NS记录"
        while len(name) > 2:  # the root label counts: stop above the TLD
            ns_names, why = self._ns_records.get(name, lambda: self._ns_at(name))
            if ns_names:
                return _Zone(_text(name), ns_names)
            error = why or error
            name = name.parent()
        return _Zone("", error=error)

    def _ns_at(self, name: dns.name.Name) -> tuple[tuple[str, ...], str]:
        """The NS names at `name` itself (not through a CNAME), or why there are none."""
        try:
            answer = self.resolver.resolve(name, "NS", raise_on_no_answer=False, search=False)
        except dns.resolver.NXDOMAIN:
            return (), ""
        except dns.resolver.NoNameservers as exc:
            return (), _servers_error(exc, name)
        except dns.exception.Timeout:
            return (), f"NS查询超时（{self.resolver.lifetime:g}秒）"
        if answer.rrset is None or answer.rrset.name != name:
            return (), ""
        return tuple(sorted(_text(rdata.target) for rdata in answer.rrset)), ""

    def name_server(self, ns_name: str, zone: str) -> NSResult:
        """The name server's AAAA, and its answer to the zone's SOA over IPv6."""
        aaaa = self.lookup(ns_name, "AAAA")
        if not aaaa.addresses:
            return NSResult(ns_name, (), False, aaaa.error or "无AAAA记录")
        failures = []
        for address in aaaa.addresses:
            reason = unusable_reason(address)
            failure = f"{address} 是{reason}" if reason else self._ask_over_ipv6(address, zone)
            if not failure:
                return NSResult(ns_name, aaaa.addresses, True)
            failures.append(failure)
        return NSResult(ns_name, aaaa.addresses, False, "；".join(failures))

    def _ask_over_ipv6(self, address: str, zone: str) -> str:
        """'' when the server answers the zone's SOA over IPv6, else why not."""
        query = dns.message.make_query(zone, dns.rdatatype.SOA)
        where = f"{address} 端口 {self.ns_port}"
        try:
            response = dns.query.udp(query, address, timeout=self.resolver.lifetime, port=self.ns_port)
        except dns.exception.Timeout:
            return f"{where} DNS查询超时"
        except (OSError, dns.exception.DNSException) as exc:
            return f"{where} DNS查询失败（{_message(exc)}）"
        if response.rcode() != dns.rcode.NOERROR:
            return f"{where} 应答 {dns.rcode.to_text(response.rcode())}"
        return ""


def _not_contacted(address: str, origin: _Origin, reason: str) -> HTTPResult:
    """An address that cannot be an IPv6 service, failed without a connection."""
    return HTTPResult(address, origin.port, origin.scheme, error_kind="unusable_address", error=reason)


def _origin(url: str) -> tuple[_Origin, str]:
    """(scheme, ASCII host, port) and the path with query of an http(s) URL."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").rstrip(".")
    if scheme not in DEFAULT_PORTS or not host:
        raise ValueError(f"not an http(s) URL: {url!r}")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return _Origin(scheme, _ascii(host), parts.port or DEFAULT_PORTS[scheme]), path


def _link_origin(entry: str, site: _Origin) -> _Origin:
    if "://" in entry:
        return _origin(entry)[0]
    parts = urlsplit(f"//{entry}")
    return _Origin(site.scheme, _ascii((parts.hostname or "").rstrip(".")), parts.port or site.port)


def _ascii(host: str) -> str:
    """The host as DNS and the Host header spell it (punycode for a Chinese domain name)."""
    try:
        ipaddress.ip_address(host)
        return host
    except ValueError:
        return dns.name.from_text(host.lower()).to_text(omit_final_dot=True)


def check_ipv6(
    targets: Iterable[IPv6Target],
    resolver: dns.resolver.Resolver,
    timeout: float = DEFAULT_TIMEOUT,
    threshold: float = DEFAULT_LINK_SHARE_THRESHOLD,
    max_workers: int = 16,
    *,
    service_ports: Sequence[tuple[int, str]] = SERVICE_PORTS,
    ns_port: int = 53,
) -> dict[str, IPv6Report]:
    """Check every target concurrently; each host is resolved and asked once per call.

    `timeout` bounds each HTTP exchange; the resolver's lifetime bounds each lookup and each
    query to a name server over IPv6. `service_ports` are the (port, scheme) pairs owed over
    IPv6 where IPv4 serves them; `ns_port` is where name servers are asked over IPv6.
    Raises NameserverUnreachable, before any other work, when the resolver gets no answer at all.
    """
    plans = []
    for target in targets:
        origin, path = _origin(target.url)
        links: dict[str, _Origin] = {}
        for entry in target.link_hosts or ():
            link = _link_origin(entry, origin)
            links.setdefault(link.host, link)
        plans.append((target, origin, path, list(links.values())))
    probe_nameservers(resolver)
    checker = _Checker(resolver, timeout, tuple(service_ports), ns_port)

    with concurrent.futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="ipv6") as pool:
        zones = {origin.host: pool.submit(checker.zone, origin.host) for _, origin, _, _ in plans}
        sites = {(origin, path): pool.submit(checker.site, origin, path) for _, origin, path, _ in plans}
        # A link host that is a checked site on the same scheme and port reuses that site's answers.
        site_of = {origin: future for (origin, _), future in sites.items()}
        distinct_links = {link for *_, unit_links in plans for link in unit_links if link not in site_of}
        links = {link: pool.submit(checker.link_host, link) for link in distinct_links}
        # The name servers of a zone are asked side by side, once however many units share it.
        name_servers = {}
        for future in concurrent.futures.as_completed(zones.values()):
            zone = future.result()
            for ns_name in zone.ns_names:
                if (ns_name, zone.name) not in name_servers:
                    name_servers[ns_name, zone.name] = pool.submit(checker.name_server, ns_name, zone.name)
        reports = {}
        for target, origin, path, unit_links in plans:
            site = sites[(origin, path)].result()
            zone = zones[origin.host].result()
            reports[target.unit_id] = IPv6Report(
                host=origin.host,
                url=target.url,
                a_addresses=site.a.addresses,
                aaaa_addresses=site.aaaa.addresses,
                cname_chain=site.aaaa.cname_chain,
                dns_error=site.aaaa.error,
                http_v4=site.http_v4,
                http_v6=site.http_v6,
                mismatches=site.mismatches,
                link_hosts=tuple(
                    links[link].result() if link in links else _link_from_site(link, site_of[link].result())
                    for link in unit_links
                ),
                links_measured=target.link_hosts is not None,
                threshold=threshold,
                zone=zone.name,
                ns=tuple(name_servers[ns_name, zone.name].result() for ns_name in zone.ns_names),
                ns_error=zone.error,
            )
    return reports


def _link_from_site(link: _Origin, site: _Site) -> LinkHost:
    return _link_host(link.host, site.aaaa, [result for result in site.http_v6 if result.port == link.port])

"""The IPv6 probe (docs/checks.md, IPv6): asks the network what checks.ipv6 judges.

For each unit: the AAAA and A records of its host, an HTTP(S) request to every AAAA address on
the URL's port (and on 80/443 where those answer over IPv4) with the right Host header and SNI,
the IPv4 answer it is compared with, the unit's own link hosts over IPv6, and the zone's name
servers over IPv6. Only DNS and sockets are used (no Scrapy): `check_ipv6` runs every host of a
run in a thread pool and returns one `IPv6Report` per unit.
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
from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

import dns.exception
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.resolver

from checks.ipv6 import (DEFAULT_LINK_SHARE_THRESHOLD, DEFAULT_PORTS, HTTPResult, IPv6Report, LinkHost, Lookup,
                         Mismatch, NSResult, Page, compare, judge_link_host, unusable_reason)
from crawler.probe.dns import (DEFAULT_TIMEOUT, lookup, make_resolver, name_text, parse_nameserver,
                                probe_nameservers, servers_error)

# internet.nl reads the first 500 KB of each answer.
BODY_LIMIT = 500 * 1024
HEADER_LIMIT = 64 * 1024
# Besides the URL's own port, these must answer over IPv6 wherever they answer over IPv4.
SERVICE_PORTS = ((80, "http"), (443, "https"))
USER_AGENT = "customs-audit (IPv6 check)"
WORKERS = 64  # a slow name server costs one lifetime per lookup: many in parallel bound the total


# -- HTTP over one address -----------------------------------------------------------------------


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
        return judge_link_host(origin.host, aaaa, results)

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
                return _Zone(name_text(name), ns_names)
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
            return (), servers_error(exc, name)
        except dns.exception.Timeout:
            return (), f"NS查询超时（{self.resolver.lifetime:g}秒）"
        if answer.rrset is None or answer.rrset.name != name:
            return (), ""
        return tuple(sorted(name_text(rdata.target) for rdata in answer.rrset)), ""

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
    return judge_link_host(link.host, site.aaaa, [result for result in site.http_v6 if result.port == link.port])


# -- the units of a run ---------------------------------------------------------------------------


def own_link_hosts(unit_url: str, netlocs: set[str], other_unit_hosts: set[str]) -> list[str]:
    """The unit's own host and its subdomains among its link hosts, other units excluded."""
    own = (urlsplit(unit_url).hostname or "").lower()
    hosts = []
    for netloc in sorted(netlocs):
        host = urlsplit(f"//{netloc}").hostname or ""
        if host in other_unit_hosts and host != own:
            continue
        if host == own or host.endswith("." + own):
            hosts.append(netloc)
    return hosts


def ns_port(nameservers: list[str]) -> int:
    """The port name servers are asked on: 53, or the --nameserver port when it is another
    (a loopback test zone whose servers all listen there)."""
    return parse_nameserver(nameservers[0])[1] if nameservers else 53


def run_ipv6_check(targets: list[IPv6Target], nameservers: list[str], timeout: float | None,
                   threshold: float) -> dict[str, IPv6Report]:
    """The IPv6 report of every target, through the --nameserver servers (else the system's)."""
    resolver = make_resolver(nameservers or None, timeout or DEFAULT_TIMEOUT)
    return check_ipv6(targets, resolver, timeout=timeout or DEFAULT_TIMEOUT, threshold=threshold,
                      max_workers=WORKERS, ns_port=ns_port(nameservers))

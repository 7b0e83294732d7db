"""One resolver for everything: with --nameserver, all name resolution goes through dnspython.

`DnspythonResolver` is installed as Scrapy's TWISTED_DNS_RESOLVER; the IPv6 check builds its
own dnspython resolver from the same nameserver list.
"""
from __future__ import annotations

import ipaddress

import dns.exception
import dns.resolver
from twisted.internet import defer, threads
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer


class NameserverError(Exception):
    """A --nameserver value that is malformed or does not answer (one-line message)."""


def parse_nameserver(value: str) -> tuple[str, int]:
    """'IP', 'IP:PORT' or '[IPv6]:PORT' -> (ip, port)."""
    text = value.strip()
    host, port = text, 53
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        if rest:
            port = _port(value, rest.lstrip(":"))
    elif text.count(":") == 1:
        host, port_text = text.split(":")
        port = _port(value, port_text)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise NameserverError(f"--nameserver {value}: not an IP address (expected IP[:PORT])") from None
    return host, port


def _port(value: str, text: str) -> int:
    if not text.isdigit() or not 0 < int(text) < 65536:
        raise NameserverError(f"--nameserver {value}: bad port (expected IP[:PORT])")
    return int(text)


def make_resolver(nameservers: list[str] | None, timeout: float = 5.0) -> dns.resolver.Resolver:
    """A dnspython resolver for the given 'IP[:PORT]' servers, or the system's when None."""
    if not nameservers:
        resolver = dns.resolver.Resolver()
    else:
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = []
        resolver.nameserver_ports = {}
        for value in nameservers:
            host, port = parse_nameserver(value)
            resolver.nameservers.append(host)
            resolver.nameserver_ports[host] = port
    resolver.lifetime = timeout
    resolver.timeout = min(timeout, 2.0)
    return resolver


def probe(resolver: dns.resolver.Resolver, name: str) -> None:
    """Raise NameserverError when no configured server answers at all (NXDOMAIN is an answer)."""
    try:
        resolver.resolve(name, "A")
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer, dns.resolver.YXDOMAIN):
        return
    except dns.resolver.NoNameservers as exc:
        # SERVFAIL from every server still proves they answer; a refused socket does not.
        if "SERVFAIL" in str(exc):
            return
        raise NameserverError(f"nameserver {', '.join(resolver.nameservers)} does not answer: {exc}") from None
    except dns.exception.Timeout:
        raise NameserverError(
            f"nameserver {', '.join(resolver.nameservers)} does not answer (timeout after {resolver.lifetime:g} s)"
        ) from None


def resolve_address(resolver: dns.resolver.Resolver, name: str) -> str:
    """The first IPv4 address of `name`, else its first IPv6 address (follows CNAMEs)."""
    try:
        ipaddress.ip_address(name)
        return name
    except ValueError:
        pass
    for rdtype in ("A", "AAAA"):
        try:
            answer = resolver.resolve(name, rdtype)
        except (dns.resolver.NoAnswer, dns.resolver.NXDOMAIN):
            continue
        except dns.exception.DNSException as exc:
            raise DNSLookupError(f"{name}: {exc}") from None
        return answer[0].to_text()
    raise DNSLookupError(f"{name}: NXDOMAIN or no address")


@implementer(IResolverSimple)
class DnspythonResolver:
    """Scrapy TWISTED_DNS_RESOLVER resolving through AUDIT_NAMESERVERS with dnspython, in threads."""

    def __init__(self, reactor, nameservers: list[str], timeout: float):
        self.reactor = reactor
        self.resolver = make_resolver(nameservers, timeout)
        self.cache: dict[str, str] = {}

    @classmethod
    def from_crawler(cls, crawler, reactor):
        return cls(reactor, crawler.settings.getlist("AUDIT_NAMESERVERS"), crawler.settings.getfloat("DNS_TIMEOUT"))

    def install_on_reactor(self) -> None:
        self.reactor.installResolver(self)

    def getHostByName(self, name: str, timeout=()):  # noqa: N802 (Twisted's interface)
        if name in self.cache:
            return defer.succeed(self.cache[name])
        d = threads.deferToThreadPool(self.reactor, self.reactor.getThreadPool(), resolve_address, self.resolver, name)
        d.addCallback(self._remember, name)
        return d

    def _remember(self, address: str, name: str) -> str:
        self.cache[name] = address
        return address

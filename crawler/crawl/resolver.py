"""One resolver for everything: with --nameserver, all name resolution goes through dnspython.

`DnspythonResolver` is installed as Scrapy's TWISTED_DNS_RESOLVER; it and the IPv6 check build
their dnspython resolvers with `crawler.probe.dns.make_resolver` from the same nameserver list.
"""
from __future__ import annotations

import ipaddress

import dns.exception
import dns.resolver
from twisted.internet import defer, threads
from twisted.internet.error import DNSLookupError
from twisted.internet.interfaces import IResolverSimple
from zope.interface import implementer

from crawler.probe.dns import make_resolver


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

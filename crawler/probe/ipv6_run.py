"""The IPv6 check (docs/checks.md) for a set of units, with the crawl's resolver and link hosts."""
from __future__ import annotations

from urllib.parse import urlsplit

from checks.ipv6 import IPv6Report, IPv6Target, check_ipv6, make_resolver, parse_nameserver

DEFAULT_TIMEOUT = 5.0
WORKERS = 64  # a slow name server costs one lifetime per lookup: many in parallel bound the total


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
    resolver = make_resolver(nameservers or None, timeout or DEFAULT_TIMEOUT)
    return check_ipv6(targets, resolver, timeout=timeout or DEFAULT_TIMEOUT, threshold=threshold,
                      max_workers=WORKERS, ns_port=ns_port(nameservers))

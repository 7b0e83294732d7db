"""The network of the demo web: its DNS names, what answers over IPv6, and a firewall.

`Network` collects, as the web is generated, each host's addresses (A 127.0.0.1, AAAA ::1) or
CNAME chain, the name servers of each zone, and what the IPv6 listener on [::1] answers for a
host: the same site, another page, or nothing (no listener on its port). From that it gives the
DNS records the demo name server serves and what the IPv6 check (`checks/ipv6.py`) must
conclude for each unit, so the ground truth follows the design instead of being written twice.

`put_behind_challenge` puts a host behind an anti-bot JavaScript challenge like the customs
firewall's: without the `__jsl_clearance` cookie every request gets HTTP 412 and a page whose
inline script computes the cookie, sets it and reloads.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from crawler.demo.sites import DEMO_DOMAIN, Resource, VirtualHost

LOOPBACK_V4 = "127.0.0.1"
LOOPBACK_V6 = "::1"
NAME_SERVERS = (f"ns1.{DEMO_DOMAIN}", f"ns2.{DEMO_DOMAIN}")
# At least two name servers of the zone must have AAAA and answer over IPv6.
MIN_NS_WITH_IPV6 = 2
SAME, OTHER = "same", "other"  # what [::1] answers for a host: its own site, or another page

CLEARANCE_COOKIE = "__jsl_clearance"
CHALLENGE_STATUS = 412


@dataclass
class Network:
    today: date
    loopback: bool  # the machine has ::1: the IPv6 listeners and the [::1] name server run
    a: set[str] = field(default_factory=set)
    aaaa: set[str] = field(default_factory=set)
    cnames: dict[str, str] = field(default_factory=dict)  # alias -> the name it points to
    zones: dict[str, tuple[str, ...]] = field(default_factory=dict)  # zone -> its name servers
    # (host, port) -> SAME or OTHER: what the [::1] listener on that port answers for the host
    v6_answers: dict[tuple[str, int], str] = field(default_factory=dict)

    def host(self, name: str, *, ipv6: bool = False) -> None:
        """A name with the IPv4 loopback address, and with ::1 too when `ipv6`."""
        self.a.add(name)
        if ipv6:
            self.aaaa.add(name)

    def alias(self, name: str, chain: list[str]) -> None:
        """`name` is a CNAME of chain[0], which is one of chain[1], ...; the last must be a host."""
        for alias, target in zip([name, *chain], chain):
            self.cnames[alias] = target

    def zone(self, name: str, name_servers: tuple[str, ...]) -> None:
        self.zones[name] = name_servers

    def served_over_ipv6(self, host: str, port: int, answer: str = SAME) -> None:
        self.v6_answers[(host, port)] = answer

    # -- DNS -------------------------------------------------------------------------------------

    def records(self) -> dict[str, list[tuple[str, str]]]:
        """The records of every name, as `crawler.demo.dns_server.DNSServer` takes them. Every
        zone of a name that has none (gov-demo.test, ...) is served by the customs name servers."""
        records: dict[str, list[tuple[str, str]]] = {}
        zones = dict(self.zones)
        for name in sorted(self.a | set(self.cnames)):
            zones.setdefault(".".join(name.split(".")[-2:]), NAME_SERVERS)
        for zone, name_servers in sorted(zones.items()):
            records[zone] = [
                ("SOA", f"{name_servers[0]}. hostmaster.{zone}. {self.today:%Y%m%d}01 3600 600 86400 60"),
                *[("NS", f"{ns}.") for ns in name_servers],
            ]
        for name in sorted(self.a):
            records.setdefault(name, []).append(("A", LOOPBACK_V4))
            if name in self.aaaa:
                records[name].append(("AAAA", LOOPBACK_V6))
        for alias, target in sorted(self.cnames.items()):
            records.setdefault(alias, []).append(("CNAME", f"{target}."))
        return records

    def resolves_to_ipv6(self, name: str) -> bool:
        while name in self.cnames:
            name = self.cnames[name]
        return name in self.aaaa

    # -- what the IPv6 check must conclude -------------------------------------------------------

    def _answers_over_ipv6(self, host: str, port: int) -> str | None:
        if not (self.loopback and self.resolves_to_ipv6(host)):
            return None
        return self.v6_answers.get((host, port))

    def _zone_of(self, host: str) -> str:
        labels = host.split(".")
        return next(".".join(labels[i:]) for i in range(len(labels) - 1) if ".".join(labels[i:]) in self.zones)

    def ipv6_expectation(self, host: str, port: int, link_hosts: list[tuple[str, int]], threshold: float) -> dict:
        """The checks (in the order `checks/ipv6.py` reports them) and the verdict for a unit at
        host:port whose crawl saw links to `link_hosts`; the name servers are asked on [::1]."""
        checks = []
        answer = self._answers_over_ipv6(host, port)
        if not self.resolves_to_ipv6(host):
            checks.append("ipv6_no_aaaa")
        elif answer is None:
            checks.append("ipv6_unreachable")
        elif answer == OTHER:
            checks.append("ipv6_mismatch")
        passing = [link for link in link_hosts if self._answers_over_ipv6(*link) is not None]
        if link_hosts and len(passing) / len(link_hosts) < threshold:
            checks.append("ipv6_links")
        name_servers = self.zones[self._zone_of(host)]
        if not self.loopback or sum(ns in self.aaaa for ns in name_servers) < MIN_NS_WITH_IPV6:
            checks.append("ipv6_ns")
        if {"ipv6_no_aaaa", "ipv6_unreachable"} & set(checks):
            verdict = "fail"
        elif {"ipv6_mismatch", "ipv6_links"} & set(checks):
            verdict = "partial"
        else:  # a pass needs the link share, which no crawled link means unknown
            verdict = "pass" if link_hosts else "unknown"
        return {"verdict": verdict, "checks": checks,
                "link_hosts": [f"{name}:{link_port}" for name, link_port in link_hosts]}

    def ipv6_detail(self, check: str, host: str, port: int, link_hosts: list[tuple[str, int]]) -> list[str]:
        """What the detail of an IPv6 finding must contain (docs/checks.md)."""
        if check == "ipv6_no_aaaa":
            return [host]
        if check == "ipv6_unreachable":
            return [LOOPBACK_V6, str(port)]
        if check == "ipv6_mismatch":
            return ["页面内容"]
        if check == "ipv6_links":
            return [name for name, link_port in link_hosts if self._answers_over_ipv6(name, link_port) is None]
        return list(self.zones[self._zone_of(host)])  # ipv6_ns: the name servers



# --------------------------------------------------------------------------------------------
# The firewall


def put_behind_challenge(vhost: VirtualHost, today: date) -> None:
    """Put `vhost` behind a JavaScript cookie challenge (deterministic for a host and a day)."""
    stamp = int(datetime.combine(today, time(8), tzinfo=timezone.utc).timestamp())
    digest = hashlib.sha1(f"{vhost.name}:{today}".encode()).hexdigest()
    value = f"{stamp}.{int(digest[:3], 16)}|0|{digest[3:35]}"
    key = int(digest[-2:], 16) | 1
    # The value is never in the page as such: the script computes it, as the real one does.
    codes = ",".join(str(ord(char) ^ key) for char in value)
    body = (
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"></head><body>\n<script>\n"
        f"var _0x = [{codes}], k = {key}, v = \"\";\n"
        "for (var i = 0; i < _0x.length; i++) { v += String.fromCharCode(_0x[i] ^ k); }\n"
        f"document.cookie = \"{CLEARANCE_COOKIE}=\" + v + \";max-age=3600;path=/\";\n"
        "location.reload();\n</script>\n</body></html>\n"
    )
    headers = (("Content-Type", "text/html; charset=utf-8"), ("Cache-Control", "no-store"))
    vhost.challenge = Resource(CHALLENGE_STATUS, headers, body.encode("ascii"))
    vhost.clearance = f"{CLEARANCE_COOKIE}={value}"

"""The network of the demo web: its DNS names, what answers over IPv6, and a firewall.

`Network` collects, as the web is generated, each host's addresses (A 127.0.0.1, AAAA ::1) or
CNAME chain, the name servers of each zone, and what the IPv6 listener on [::1] answers for a
host: the same site, another page, or nothing (no listener on its port). From that it gives the
DNS records the demo name server serves and what the IPv6 check (`checks/ipv6.py`) must
conclude for each unit, so the ground truth follows the design instead of being written twice.

The firewalls (`jiasule_firewall`, `ruishu_firewall`, `cookie_reload_firewall`) put a host
behind an anti-bot challenge in the shapes the customs sites' vendors answer with: without the
cookies the challenge's script computes, every request gets a text-less shell of scripts.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, time, timezone

from crawler.demo.sites import DEMO_DOMAIN, Firewall, Resource

LOOPBACK_V4 = "127.0.0.1"
LOOPBACK_V6 = "::1"
NAME_SERVERS = (f"ns1.{DEMO_DOMAIN}", f"ns2.{DEMO_DOMAIN}")
# At least two name servers of the zone must have AAAA and answer over IPv6.
MIN_NS_WITH_IPV6 = 2
SAME, OTHER = "same", "other"  # what [::1] answers for a host: its own site, or another page



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
# The firewalls: the shapes the customs sites' vendors answer with (docs/firewalls.md)

HTML = ("Content-Type", "text/html; charset=utf-8")
NO_STORE = ("Cache-Control", "no-store")
JIASULE_STATUS = 521
RUISHU_STATUS = 412
# Ruishu's shell is about 3.7 KB: a nameless meta and an inline script carry the opaque data
# its external script computes the cookie from.
RUISHU_META_CHARS, RUISHU_CD_CHARS = 1180, 2080
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class _Seed:
    """Deterministic "random" strings for one firewall of one host on one day."""

    def __init__(self, *parts: object) -> None:
        self.key = ":".join(map(str, parts))

    def hex(self, purpose: str, length: int = 40) -> str:
        out, block = "", 0
        while len(out) < length:
            out += hashlib.sha256(f"{self.key}:{purpose}:{block}".encode()).hexdigest()
            block += 1
        return out[:length]

    def alnum(self, purpose: str, length: int) -> str:
        return "".join(_BASE62[int(pair, 16) % 62] for pair in _pairs(self.hex(purpose, 2 * length)))


def _pairs(text: str) -> list[str]:
    return [text[i:i + 2] for i in range(0, len(text), 2)]


def jiasule_firewall(host: str, today: date) -> Firewall:
    """加速乐: 521 with an X-Via-JSL header and a server cookie; the script computes the
    clearance cookie (never written out in the page) and reloads by assigning the location."""
    seed = _Seed("jiasule", host, today)
    stamp = int(datetime.combine(today, time(8), tzinfo=timezone.utc).timestamp())
    value = f"{stamp}.{int(seed.hex('n')[:3], 16)}|0|{seed.hex('v', 32)}"
    key = int(seed.hex("k")[:2], 16) | 1
    codes = ",".join(str(ord(char) ^ key) for char in value)
    body = (
        "<html><body><script>"
        f"var _0x = [{codes}], k = {key}, v = \"\";"
        "for (var i = 0; i < _0x.length; i++) { v += String.fromCharCode(_0x[i] ^ k); }"
        "document.cookie = \"__jsl_clearance_s=\" + v + \";max-age=3600;path=/\";"
        "location.href = location.pathname + location.search;</script></body></html>"
    )
    server_cookie = f"__jsluid_h={seed.hex('uid', 32)}"
    headers = (HTML, NO_STORE, ("X-Via-JSL", f"{seed.hex('via', 7)},-"), ("Set-Cookie", f"{server_cookie}; path=/; HttpOnly"))
    return Firewall(Resource(JIASULE_STATUS, headers, body.encode("ascii")),
                    f"{server_cookie}; __jsl_clearance_s={value}")


def ruishu_firewall(host: str, today: date, status: int = RUISHU_STATUS, refuses_automation: bool = False,
                    refuses_headless: bool = False) -> Firewall:
    """瑞数 (Ruishu): a shell of about 3.7 KB with an empty body, a nameless meta and two scripts
    marked r="m" (one inline with `$_ts`, one external at a random path), and an HttpOnly server
    cookie; the external script computes a second cookie from the shell's data and reloads.

    `refuses_automation`: as on the customs headquarters' site, the script computes the cookie
    only in a browser that looks used by a person (no navigator.webdriver, no HeadlessChrome in
    its user agent, plugins); any other gets a cookie that the firewall answers with 400 and an
    empty body. `refuses_headless`: that, and a window must have a frame around the page (a
    headless one has none), which only a headed browser passes.
    """
    seed = _Seed("ruishu", host, today, status)
    prefix = seed.alnum("name", 12)
    server_cookie = f"{prefix}S={seed.alnum('S', 60)}"
    meta, cd = seed.alnum("meta", RUISHU_META_CHARS), seed.alnum("cd", RUISHU_CD_CHARS)
    token = "".join(format((ord(meta[i]) ^ ord(cd[i * 7 % len(cd)])) & 15, "x") for i in range(32))
    script_path = f"/{seed.alnum('dir', 12)}/{seed.alnum('file', 12)}.{seed.hex('v', 7)}.js"
    body = (
        '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
        '<meta http-equiv="Expires" content="0"><meta http-equiv="Cache-Control" content="no-cache">'
        f'<meta http-equiv="Pragma" content="no-cache"><meta content="{meta}" r="m">'
        f'<script type="text/javascript" r="m">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={{}};'
        f'$_ts.nsd={int(seed.hex("nsd", 5), 16)};$_ts.cd="{cd}";</script>'
        f'<script type="text/javascript" charset="utf-8" src="{script_path}" r="m"></script>'
        "</head><body></body></html>"
    )
    refuses_automation = refuses_automation or refuses_headless
    tells = ["navigator.webdriver", "/HeadlessChrome/.test(navigator.userAgent)", "!navigator.plugins.length"]
    tells += ["window.outerHeight === window.innerHeight"] if refuses_headless else []
    automated = " || ".join(tells) if refuses_automation else "false"
    script = (
        "(function () {\n"
        "  var meta = document.querySelector('meta[r=\"m\"]').content, cd = window.$_ts.cd, v = \"\";\n"
        f"  if ({automated}) {{ v = \"0\"; }} else {{\n"
        "    for (var i = 0; i < 32; i++) { v += ((meta.charCodeAt(i) ^ cd.charCodeAt(i * 7 % cd.length)) & 15).toString(16); }\n"
        "  }\n"
        f"  document.cookie = \"{prefix}T=\" + v + \"; path=/\";\n"
        "  location.reload();\n"
        "})();\n"
    )
    headers = (HTML, NO_STORE, ("Set-Cookie", f"{server_cookie}; path=/; HttpOnly"))
    return Firewall(
        Resource(status, headers, body.encode("ascii")),
        f"{server_cookie}; {prefix}T={token}",
        assets={script_path: Resource(200, (("Content-Type", "application/javascript"),), script.encode("ascii"))},
        refusal=Resource(400, (HTML,)) if refuses_automation else None,
        refused=f"{prefix}T=0" if refuses_automation else "",
    )


def cookie_reload_firewall(host: str, today: date) -> Firewall:
    """A cookie wall: 200, the clearance cookie set by the server, a script that reloads."""
    cookie = f"security_session_verify={_Seed('cookie', host, today).hex('v', 32)}"
    body = "<html><head></head><body><script>setTimeout(function () { location.reload(); }, 10);</script></body></html>"
    headers = (HTML, NO_STORE, ("Set-Cookie", f"{cookie}; path=/"))
    return Firewall(Resource(200, headers, body.encode("ascii")), cookie)

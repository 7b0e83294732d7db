"""DNS for the IPv6 probe and the crawl: dnspython resolvers over the configured name servers,
A/AAAA lookups that follow CNAME chains across answers, and whether a name server answers at all.

Only a name server that does not answer at all is an error (`NameserverUnreachable`): then
nothing can be judged. Every other failure is told in the `Lookup` it gives, in Chinese.
"""
from __future__ import annotations

import ipaddress
from collections.abc import Iterable

import dns.exception
import dns.message
import dns.name
import dns.nameserver
import dns.rdatatype
import dns.resolver

from checks.ipv6 import Lookup

DEFAULT_TIMEOUT = 5.0
MAX_CNAME_HOPS = 16


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
            where = "" if missing == start else f"：{name_text(missing)}"
            return Lookup((), _texts(chain), f"NXDOMAIN（域名不存在{where}）")
        except dns.resolver.NoNameservers as exc:
            return Lookup((), _texts(chain), servers_error(exc, name))
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


def servers_error(exc: dns.resolver.NoNameservers, name: dns.name.Name) -> str:
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
            return _loop_text(name_text(name), chain, target)
        chain.append(target)
        current = target
    return f"CNAME链过长（超过{MAX_CNAME_HOPS}跳）"


def _loop_text(host: str, chain: list[dns.name.Name], back_to: dns.name.Name) -> str:
    return "CNAME循环（" + " → ".join([host, *_texts(chain), name_text(back_to)]) + "）"


def name_text(name: dns.name.Name) -> str:
    return name.to_text(omit_final_dot=True)


def _texts(names: Iterable[dns.name.Name]) -> tuple[str, ...]:
    return tuple(name_text(name) for name in names)

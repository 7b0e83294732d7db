"""Loopback name servers for tests: the demo's DNS server answering a test's own records on
127.0.0.1 and, when asked and the machine has it, on ::1 too (a zone's name servers reached over
IPv6). Nothing but these servers ever answers the names a test makes up."""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager

from crawler.demo.dns_server import DNSServer, RecordSpec
from crawler.demo.server import ipv6_loopback_available


@contextmanager
def loopback_name_servers(records: RecordSpec, *, ipv6: bool = False, servfail: Iterable[str] = (),
                          no_answer: Iterable[str] = ()) -> Iterator[list[DNSServer]]:
    """[the server on 127.0.0.1, its twin on ::1 when `ipv6` and the machine has ::1], each
    answering SERVFAIL for `servfail` names and nothing at all for `no_answer` names; stopped on exit."""
    hosts = ["127.0.0.1", "::1"] if ipv6 and ipv6_loopback_available() else ["127.0.0.1"]
    servfail, no_answer = tuple(servfail), tuple(no_answer)
    with ExitStack() as servers:
        yield [servers.enter_context(DNSServer(records, host, servfail=servfail, no_answer=no_answer))
               for host in hosts]

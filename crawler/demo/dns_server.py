"""A small authoritative DNS server for loopback tests and the demo web.

It speaks the real DNS protocol (dnspython messages) over UDP and TCP on one port, so the
crawler's resolver and the IPv6 check talk to it exactly as they would to a real name server.

Records are given as ``{name: [(rdtype, value), ...]}``, e.g.::

    {"nanjing.customs-demo.test": [("A", "127.0.0.1"), ("AAAA", "::1")],
     "www.nanjing.customs-demo.test": [("CNAME", "nanjing.customs-demo.test.")],
     "customs-demo.test": [("SOA", "ns1.customs-demo.test. hostmaster.customs-demo.test. 1 3600 600 86400 60"),
                           ("NS", "ns1.customs-demo.test.")]}

Any record type dnspython can parse from text is accepted; A, AAAA, CNAME, NS and SOA get the
behaviour a resolver expects: CNAME chains are followed inside the answer, NS answers carry
their A/AAAA glue, negative answers carry the zone's SOA. Names listed in ``servfail`` answer
SERVFAIL and names in ``no_answer`` are silently dropped (the client times out), to test how
the crawler copes with a sick name server.
"""
from __future__ import annotations

import selectors
import socket
import struct
import threading
from collections.abc import Iterable, Mapping

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset

# A resolver follows at most this many CNAMEs; a longer (or looping) chain is answered as far
# as this limit and the resolver gives up, as it would against a real server.
MAX_CNAME_CHAIN = 16
# How often the serving threads look at the stop flag while idle.
POLL_SECONDS = 0.2
# A TCP client that sends nothing for this long is dropped, so stop() never waits on it.
TCP_IDLE_SECONDS = 5.0
# Classic DNS over UDP limit for clients that announce no EDNS buffer size.
UDP_DEFAULT_PAYLOAD = 512

RecordSpec = Mapping[str, Iterable[tuple[str, str]]]


def _name(text: str) -> dns.name.Name:
    return dns.name.from_text(text.lower())


class DNSServer:
    """Authoritative answers for a fixed record set, over UDP and TCP on the same port."""

    def __init__(
        self,
        records: RecordSpec,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        ttl: int = 60,
        servfail: Iterable[str] = (),
        no_answer: Iterable[str] = (),
    ) -> None:
        self.host = host
        self._requested_port = port
        self.port = 0
        self._rrsets: dict[tuple[dns.name.Name, int], dns.rrset.RRset] = {}
        for owner, entries in records.items():
            name = _name(owner)
            for rdtype_text, value in entries:
                rdtype = dns.rdatatype.from_text(rdtype_text)
                rdata = dns.rdata.from_text(dns.rdataclass.IN, rdtype, value)
                rrset = self._rrsets.setdefault(
                    (name, rdtype), dns.rrset.RRset(name, dns.rdataclass.IN, rdtype)
                )
                rrset.add(rdata, ttl)
        self._names = {name for name, _ in self._rrsets}
        self._servfail = {_name(n) for n in servfail}
        self._no_answer = {_name(n) for n in no_answer}
        self._family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._udp: socket.socket | None = None
        self._tcp: socket.socket | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> DNSServer:
        self._bind()
        self._stopping.clear()
        for target, label in ((self._serve_udp, "udp"), (self._serve_tcp, "tcp")):
            thread = threading.Thread(target=target, name=f"dns-{label}-{self.port}", daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for thread in self._threads:
            thread.join(timeout=2 * POLL_SECONDS + 1)
        self._threads.clear()
        for sock in (self._udp, self._tcp):
            if sock is not None:
                sock.close()
        self._udp = self._tcp = None

    def __enter__(self) -> DNSServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def address(self) -> str:
        """The server as a resolver option spells it: ``127.0.0.1:PORT`` or ``[::1]:PORT``."""
        host = f"[{self.host}]" if self._family == socket.AF_INET6 else self.host
        return f"{host}:{self.port}"

    def _bind(self) -> None:
        # UDP and TCP must share one port number; with port 0 the TCP port the kernel picks may
        # be taken for UDP, so try a few times.
        for _ in range(20):
            tcp = socket.socket(self._family, socket.SOCK_STREAM)
            try:
                tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                tcp.bind((self.host, self._requested_port))
            except OSError:
                tcp.close()
                raise
            port = tcp.getsockname()[1]
            udp = socket.socket(self._family, socket.SOCK_DGRAM)
            try:
                udp.bind((self.host, port))
            except OSError:
                tcp.close()
                udp.close()
                if self._requested_port:
                    raise
                continue
            tcp.listen(32)
            self._tcp, self._udp, self.port = tcp, udp, port
            return
        raise OSError(f"no free port for DNS on {self.host} (UDP and TCP)")

    # -- transports -------------------------------------------------------------------------

    def _serve_udp(self) -> None:
        assert self._udp is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._udp, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not selector.select(POLL_SECONDS):
                    continue
                try:
                    wire, client = self._udp.recvfrom(65535)
                except OSError:
                    continue
                answer = self._answer(wire, udp=True)
                if answer is not None:
                    try:
                        self._udp.sendto(answer, client)
                    except OSError:
                        pass  # the client went away; nothing to tell it

    def _serve_tcp(self) -> None:
        assert self._tcp is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self._tcp, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not selector.select(POLL_SECONDS):
                    continue
                try:
                    conn, _ = self._tcp.accept()
                except OSError:
                    continue
                threading.Thread(target=self._serve_tcp_client, args=(conn,), daemon=True).start()

    def _serve_tcp_client(self, conn: socket.socket) -> None:
        # DNS over TCP: each message is prefixed by its length (RFC 1035 4.2.2); a client may
        # send several queries on one connection.
        conn.settimeout(TCP_IDLE_SECONDS)
        with conn:
            while not self._stopping.is_set():
                try:
                    header = _recv_exactly(conn, 2)
                    if header is None:
                        return
                    wire = _recv_exactly(conn, struct.unpack("!H", header)[0])
                    if wire is None:
                        return
                    answer = self._answer(wire, udp=False)
                    if answer is None:
                        continue  # a no_answer name: leave the client waiting
                    conn.sendall(struct.pack("!H", len(answer)) + answer)
                except OSError:
                    return

    # -- the answers ------------------------------------------------------------------------

    def _answer(self, wire: bytes, *, udp: bool) -> bytes | None:
        """The response to one query in wire format, or None to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None  # not DNS: a real server drops it too
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
            response.set_rcode(dns.rcode.NOTIMP)
        else:
            question = query.question[0]
            qname = question.name.canonicalize()
            if qname in self._no_answer:
                return None
            if qname in self._servfail:
                response.flags &= ~dns.flags.AA
                response.set_rcode(dns.rcode.SERVFAIL)
            elif question.rdclass != dns.rdataclass.IN:
                response.set_rcode(dns.rcode.REFUSED)
            else:
                self._fill(response, qname, question.rdtype)
        if udp:
            limit = max(query.payload, UDP_DEFAULT_PAYLOAD) if query.edns >= 0 else UDP_DEFAULT_PAYLOAD
            # A response too big for the datagram is truncated with TC set; the client then
            # asks again over TCP, which is why both transports are served.
            return response.to_wire(max_size=limit, prefer_truncation=True)
        return response.to_wire()

    def _fill(self, response: dns.message.Message, qname: dns.name.Name, rdtype: int) -> None:
        name = qname
        for _ in range(MAX_CNAME_CHAIN):
            rrset = self._rrsets.get((name, rdtype))
            if rrset is not None:
                response.answer.append(rrset)
                if rdtype == dns.rdatatype.NS:
                    self._add_glue(response, rrset)
                return
            cname = self._rrsets.get((name, dns.rdatatype.CNAME))
            if cname is None or rdtype in (dns.rdatatype.CNAME, dns.rdatatype.ANY):
                break
            response.answer.append(cname)
            name = cname[0].target.canonicalize()
        else:
            return  # chain too long: answer what we have, the resolver gives up
        if not self._exists(name):
            response.set_rcode(dns.rcode.NXDOMAIN)
        soa = self._zone_soa(name)
        if soa is not None:
            response.authority.append(soa)

    def _exists(self, name: dns.name.Name) -> bool:
        # A name with no records of its own but names below it (an "empty non-terminal", e.g.
        # the parent domain of every demo host) exists: it answers NODATA, not NXDOMAIN.
        return any(known == name or known.is_subdomain(name) for known in self._names)

    def _zone_soa(self, name: dns.name.Name) -> dns.rrset.RRset | None:
        while True:
            soa = self._rrsets.get((name, dns.rdatatype.SOA))
            if soa is not None or name == dns.name.root:
                return soa
            name = name.parent()

    def _add_glue(self, response: dns.message.Message, ns_rrset: dns.rrset.RRset) -> None:
        for rdata in ns_rrset:
            for address_type in (dns.rdatatype.A, dns.rdatatype.AAAA):
                glue = self._rrsets.get((rdata.target.canonicalize(), address_type))
                if glue is not None:
                    response.additional.append(glue)


def _recv_exactly(conn: socket.socket, size: int) -> bytes | None:
    """``size`` bytes from the stream, or None when the peer closed it first."""
    chunks = bytearray()
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)

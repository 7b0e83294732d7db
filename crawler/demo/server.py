"""The servers of the demo web, all on loopback.

- `DemoHTTPServer`: one threaded HTTP server for every virtual host, chosen by the Host header,
  with the dynamic behaviours of `Resource` (refused HEAD, 429 then 200, slow answers) and the
  firewall challenge of a host (its page without the clearance cookie).
- `PlainHTTPPort`: answers anything with plain HTTP, so an https:// link to it fails the TLS
  handshake.
- `RefusedPort`: a socket bound but not listening, so connections to it are refused.
- `DemoServers`: all of them plus the DNS server, built around one generated web. When the
  machine has ::1, the main HTTP port and the DNS port are served on [::1] too, at the same
  numbers (the IPv6 check asks the AAAA address on the URL's port, and the name servers on the
  DNS port), and the IPv4-only unit's port is held on [::1] without listening.
"""
from __future__ import annotations

import logging
import selectors
import socket
import threading
from collections.abc import Callable
from datetime import date
from typing import TypeVar
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from crawler.demo.dns_server import DNSServer
from crawler.demo.generator import RETRY_AFTER_SECONDS, GeneratedWeb, Ports, generate
from crawler.demo.network import LOOPBACK_V4, LOOPBACK_V6
from crawler.demo.sites import Resource, VirtualHost, request_key
from crawler.demo.loopback import BackgroundServer

log = logging.getLogger(__name__)
T = TypeVar("T")
U = TypeVar("U")

# Clients that keep an idle connection open are dropped after this, so no thread lingers.
IDLE_CONNECTION_SECONDS = 30
POLL_SECONDS = 0.2
# Tries at a port number free on both 127.0.0.1 and ::1.
SAME_PORT_ATTEMPTS = 20

_UNKNOWN_HOST = Resource(404, (("Content-Type", "text/plain; charset=utf-8"),), b"unknown virtual host\n")
_TOO_MANY_REQUESTS = Resource(
    429,
    (("Content-Type", "text/html; charset=utf-8"), ("Retry-After", str(RETRY_AFTER_SECONDS))),
    "<html><body><p>访问过于频繁，请稍后再试。</p></body></html>".encode(),
)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def ipv6_loopback_available() -> bool:
    """Whether this machine has ::1 (containers and some CI runners have no IPv6 at all)."""
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as probe:
            probe.bind((LOOPBACK_V6, 0))
    except OSError:
        return False
    return True


def _preferring(port: int | None, make: Callable[[int], T]) -> T:
    """`make(port)` when that port is free, else `make(0)`: a port the kernel picks."""
    if port:
        try:
            return make(port)
        except OSError:
            pass
    return make(0)


def _on_both(make_v4: Callable[[int], T], make_v6: Callable[[int], U], close: Callable[[T], None],
             preferred: int | None = None) -> tuple[T, U]:
    """A server on 127.0.0.1 and its twin on ::1 at the same number: `preferred` when it is free in
    both, else a free one; the port the kernel picks for one family may be taken in the other,
    so try a few."""
    if preferred:
        try:
            first = make_v4(preferred)
        except OSError:
            pass
        else:
            try:
                return first, make_v6(preferred)
            except OSError:
                close(first)
    for _ in range(SAME_PORT_ATTEMPTS):
        first = make_v4(0)
        try:
            return first, make_v6(first.port)
        except OSError:
            close(first)
    raise OSError("no port number free on both 127.0.0.1 and ::1")


class DemoHTTPServer(BackgroundServer, ThreadingHTTPServer):
    """Virtual hosts on one port; `hosts` may be set after binding (the web needs the port).
    Handlers sleeping for a slow answer wake on `stopping`, so shutdown is immediate."""

    thread_name = "demo-http"

    def __init__(self, host: str = LOOPBACK_V4, port: int = 0, hosts: dict[str, VirtualHost] | None = None):
        self.address_family = _family(host)
        super().__init__((host, port), _Handler)
        self.hosts: dict[str, VirtualHost] = hosts or {}
        self._answered: set[tuple] = set()
        self._answered_lock = threading.Lock()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def first_request(self, key: tuple) -> bool:
        """True the first time `key` is asked for since the server started."""
        with self._answered_lock:
            if key in self._answered:
                return False
            self._answered.add(key)
            return True

    def handle_error(self, request, client_address) -> None:
        # A client that gave up (the timeout fault, a HEAD it aborted) is normal here.
        log.debug("demo HTTP: error serving %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as crawlers expect
    server_version = "nginx"
    timeout = IDLE_CONNECTION_SECONDS
    server: DemoHTTPServer

    def version_string(self) -> str:
        return self.server_version

    def do_GET(self) -> None:
        self._respond(head=False)

    def do_HEAD(self) -> None:
        self._respond(head=True)

    def _respond(self, *, head: bool) -> None:
        try:
            hostname = urlsplit("//" + self.headers.get("Host", "")).hostname or ""
        except ValueError:  # a malformed Host header ("[::1"): no such virtual host
            hostname = ""
        vhost = self.server.hosts.get(hostname)
        if vhost is None:
            self._send(_UNKNOWN_HOST, head)
            return
        target = urlsplit(self.path)
        resource = vhost.answer(target.path, target.query, self.headers.get("Cookie", ""))
        if resource.throttle_first and self.server.first_request((hostname, request_key(target.path, target.query))):
            self._send(_TOO_MANY_REQUESTS, head)
            return
        if resource.delay and self.server.stopping.wait(resource.delay):
            self.close_connection = True  # shutting down: drop the request and the connection
            return
        if head and resource.head_status is not None:
            self._send(Resource(resource.head_status, (("Allow", "GET"),)), head)
            return
        self._send(resource, head)

    def _send(self, resource: Resource, head: bool) -> None:
        self.send_response(resource.status)
        for name, value in resource.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resource.body)))
        self.end_headers()
        if not head:
            self.wfile.write(resource.body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        log.debug("demo HTTP %s: " + format, self.address_string(), *args)


class PlainHTTPPort:
    """Answers whatever arrives with a plain-HTTP 400, as a web server's HTTP port does when a
    client speaks TLS to it: the client's handshake fails ("wrong version number")."""

    RESPONSE = b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\nBad Request\n"

    def __init__(self, host: str = LOOPBACK_V4, port: int = 0) -> None:
        self._sock = socket.socket(_family(host), socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # its last run's connections linger
        try:
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self._sock.listen(16)
        self.port: int = self._sock.getsockname()[1]
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> PlainHTTPPort:
        self._thread = threading.Thread(target=self._accept_loop, name=f"demo-tls-error-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self._sock.close()

    def _accept_loop(self) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(self._sock, selectors.EVENT_READ)
            while not self._stopping.is_set():
                if not selector.select(POLL_SECONDS):
                    continue
                try:
                    conn, _ = self._sock.accept()
                except OSError:
                    continue
                threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(2)
        with conn:
            try:
                conn.recv(65536)  # the ClientHello
                conn.sendall(self.RESPONSE)
                conn.shutdown(socket.SHUT_WR)
                # Read what the client still sends (its TLS alert) until it closes: closing with
                # unread data would reset the connection and hide the TLS error behind a reset.
                while conn.recv(65536):
                    pass
            except OSError:
                pass


class RefusedPort:
    """A TCP port bound but not listening: the kernel refuses connections to it, and no other
    program can take the port while it is held."""

    def __init__(self, host: str = LOOPBACK_V4, port: int = 0) -> None:
        self._sock = socket.socket(_family(host), socket.SOCK_STREAM)
        try:
            self._sock.bind((host, port))
        except OSError:
            self._sock.close()
            raise
        self.port: int = self._sock.getsockname()[1]

    def close(self) -> None:
        self._sock.close()


class DemoServers:
    """The whole demo web on loopback: HTTP, the TLS-error and refused ports, and DNS; on ::1 too
    when the machine has it.

    The `preferred` ports (what `ports()` said at an earlier start) are taken again where they
    are free: the demo's URLs, ports included, stay the same from one run to the next, so that
    its history sees findings persist; a port taken meanwhile is replaced by a free one."""

    def __init__(self, today: date, preferred: dict[str, int] | None = None) -> None:
        self.today = today
        self.preferred = preferred or {}
        self.ipv6 = ipv6_loopback_available()
        self.web: GeneratedWeb | None = None
        self.http: DemoHTTPServer | None = None
        self.dns: DNSServer | None = None
        self._servers: list = []  # everything to stop, in order
        self._sockets: list[RefusedPort] = []  # everything to close

    def start(self) -> GeneratedWeb:
        # The ports come first: the generated pages link to them.
        preferred = self.preferred.get
        refused = _preferring(preferred("refused"), lambda port: RefusedPort(LOOPBACK_V4, port))
        tls_error = _preferring(preferred("tls_error"), lambda port: PlainHTTPPort(LOOPBACK_V4, port)).start()
        self._sockets.append(refused)
        self._servers.append(tls_error)
        if self.ipv6:
            self.http, http_v6 = _on_both(lambda port: DemoHTTPServer(LOOPBACK_V4, port),
                                          lambda port: DemoHTTPServer(LOOPBACK_V6, port), DemoHTTPServer.stop,
                                          preferred("http"))
            v4_only, v6_refused = _on_both(lambda port: DemoHTTPServer(LOOPBACK_V4, port),
                                           lambda port: RefusedPort(LOOPBACK_V6, port), DemoHTTPServer.stop,
                                           preferred("v4_only"))
            self._sockets.append(v6_refused)
        else:
            self.http, http_v6 = _preferring(preferred("http"), lambda port: DemoHTTPServer(LOOPBACK_V4, port)), None
            v4_only = _preferring(preferred("v4_only"), lambda port: DemoHTTPServer(LOOPBACK_V4, port))
        self.web = generate(self.today, Ports(self.http.port, refused.port, tls_error.port, v4_only.port), self.ipv6)
        for server, hosts in ((self.http, self.web.hosts), (http_v6, self.web.hosts_v6), (v4_only, self.web.hosts_v4_only)):
            if server is not None:
                server.hosts = hosts
                self._servers.append(server.start())
        records = self.web.dns_records
        if self.ipv6:
            self.dns, dns_v6 = _on_both(lambda port: DNSServer(records, LOOPBACK_V4, port).start(),
                                        lambda port: DNSServer(records, LOOPBACK_V6, port).start(), DNSServer.stop,
                                        preferred("dns"))
            self._servers += [self.dns, dns_v6]
        else:
            self.dns = _preferring(preferred("dns"), lambda port: DNSServer(records, LOOPBACK_V4, port).start())
            self._servers.append(self.dns)
        return self.web

    def ports(self) -> dict[str, int]:
        """The port numbers in use, by name: what `preferred` takes next time."""
        ports = self.web.ports
        return {"http": ports.http, "refused": ports.refused, "tls_error": ports.tls_error,
                "v4_only": ports.v4_only, "dns": self.dns.port}

    def stop(self) -> None:
        for server in reversed(self._servers):
            server.stop()
        for sock in self._sockets:
            sock.close()
        self._servers, self._sockets = [], []
        self.dns = self.http = None

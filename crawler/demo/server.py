"""The servers of the demo web, all on loopback.

- `DemoHTTPServer`: one threaded HTTP server for every virtual host, chosen by the Host header,
  with the dynamic behaviours of `Resource` (refused HEAD, 429 then 200, slow answers).
- `PlainHTTPPort`: answers anything with plain HTTP, so an https:// link to it fails the TLS
  handshake.
- `RefusedPort`: a socket bound but not listening, so connections to it are refused.
- `DemoServers`: all of them plus the DNS server, built around one generated web.
"""
from __future__ import annotations

import logging
import selectors
import socket
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from crawler.demo.dns_server import DNSServer
from crawler.demo.generator import (
    RETRY_AFTER_SECONDS,
    GeneratedWeb,
    Ports,
    Resource,
    VirtualHost,
    generate,
    request_key,
)

log = logging.getLogger(__name__)

# Clients that keep an idle connection open are dropped after this, so no thread lingers.
IDLE_CONNECTION_SECONDS = 30
POLL_SECONDS = 0.2

_UNKNOWN_HOST = Resource(404, (("Content-Type", "text/plain; charset=utf-8"),), b"unknown virtual host\n")
_TOO_MANY_REQUESTS = Resource(
    429,
    (("Content-Type", "text/html; charset=utf-8"), ("Retry-After", str(RETRY_AFTER_SECONDS))),
    "<html><body><p>访问过于频繁，请稍后再试。</p></body></html>".encode(),
)


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class DemoHTTPServer(ThreadingHTTPServer):
    """Virtual hosts on one port; `hosts` may be set after binding (the web needs the port)."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, host: str = "127.0.0.1", port: int = 0, hosts: dict[str, VirtualHost] | None = None):
        self.address_family = _family(host)
        super().__init__((host, port), _Handler)
        self.hosts: dict[str, VirtualHost] = hosts or {}
        # Set on stop: wakes handlers sleeping for a slow answer so shutdown is immediate.
        self.stopping = threading.Event()
        self._answered: set[tuple] = set()
        self._answered_lock = threading.Lock()
        self._thread: threading.Thread | None = None

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

    def start(self) -> DemoHTTPServer:
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"poll_interval": POLL_SECONDS}, name=f"demo-http-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()

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
        resource = vhost.lookup(target.path, target.query)
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

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._sock = socket.socket(_family(host), socket.SOCK_STREAM)
        self._sock.bind((host, 0))
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

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._sock = socket.socket(_family(host), socket.SOCK_STREAM)
        self._sock.bind((host, 0))
        self.port: int = self._sock.getsockname()[1]

    def close(self) -> None:
        self._sock.close()


class DemoServers:
    """The whole demo web on loopback: HTTP, the TLS-error and refused ports, and DNS."""

    def __init__(self, today: date, host: str = "127.0.0.1") -> None:
        self.today = today
        self.host = host
        self.web: GeneratedWeb | None = None
        self.http: DemoHTTPServer | None = None
        self.dns: DNSServer | None = None
        self._refused: RefusedPort | None = None
        self._tls_error: PlainHTTPPort | None = None

    def start(self) -> GeneratedWeb:
        # The ports come first: the generated pages link to them.
        self._refused = RefusedPort(self.host)
        self._tls_error = PlainHTTPPort(self.host).start()
        self.http = DemoHTTPServer(self.host)
        self.web = generate(self.today, Ports(self.http.port, self._refused.port, self._tls_error.port))
        self.http.hosts = self.web.hosts
        self.http.start()
        self.dns = DNSServer(self.web.dns_records, self.host).start()
        return self.web

    def stop(self) -> None:
        for server in (self.dns, self.http, self._tls_error):
            if server is not None:
                server.stop()
        if self._refused is not None:
            self._refused.close()
        self.dns = self.http = self._tls_error = self._refused = None

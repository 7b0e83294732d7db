"""A small site on 127.0.0.1 behind one of the demo's firewalls (crawler.demo.network), with a
record of what reached it: the requests the firewall stopped, refused or let through."""
from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from crawler.demo.sites import Firewall

PAGES = {
    "/": '<title>测试海关</title><h1>测试海关</h1><a href="/news.html">海关新闻</a> <a href="/guide.html">办事指南</a>',
    "/news.html": '<title>海关新闻</title><h1>海关新闻</h1><a href="/">首页</a> <a href="/old.html">旧通知</a>',
    "/guide.html": '<title>办事指南</title><h1>办事指南</h1><a href="/news.html">海关新闻</a>',
}
NOT_FOUND = "<title>404 Not Found</title><h1>页面不存在</h1>"


class FirewalledServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, firewall: Firewall, pages: dict[str, str]):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.firewall, self.pages = firewall, pages
        self.challenges = self.refusals = 0
        self.passed: list[str] = []  # paths the firewall let through
        self.user_agents: set[str] = set()
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FirewalledServer

    def do_HEAD(self):
        self.do_GET(head=True)

    def do_GET(self, head: bool = False):
        path = urlsplit(self.path).path
        firewall = self.server.firewall
        answer = firewall.answer(path, self.headers.get("Cookie", ""))
        with self.server.lock:
            self.server.user_agents.add(self.headers.get("User-Agent", ""))
            self.server.challenges += answer is firewall.challenge
            self.server.refusals += answer is not None and answer is firewall.refusal
            if answer is None:
                self.server.passed.append(path)
        if answer is None:
            found = path in self.server.pages
            body = f"<!DOCTYPE html><html><head><meta charset=utf-8></head><body>{self.server.pages.get(path, NOT_FOUND)}</body></html>"
            self._send(200 if found else 404, (("Content-Type", "text/html; charset=utf-8"),), body.encode(), head)
        else:
            self._send(answer.status, answer.headers, answer.body, head)

    def _send(self, status, headers, body: bytes, head: bool) -> None:
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def log_message(self, *args):
        pass


@contextmanager
def firewalled(make: Callable[[str, date], Firewall], pages: dict[str, str] = PAGES):
    """Serve `pages` behind the firewall `make(host, today)` builds; yields the server."""
    server = FirewalledServer(make("127.0.0.1", date(2026, 6, 15)), pages)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

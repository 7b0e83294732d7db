"""A small generated web of customs units on 127.0.0.1, one port per unit, that counts what it is
asked: for crash-safety tests, where a crawl is killed and resumed and the requests of all its
sessions are compared with an uninterrupted crawl's.

Each unit has a home page, a disclosure column with two articles and three paginated list
sections, item pages with metadata and an attachment (some attachments missing: broken links;
one always busy: 503 with Retry-After: 0, so that its retries and its confirmation cost no back-off),
and links into the next unit's column (so that workers of a sharded run share link checks).
Every answer waits `delay` seconds, so that a crawl lasts long enough to be killed midway.
"""
from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

NOT_FOUND = "<html><head><title>404 页面不存在</title></head><body>页面不存在</body></html>".encode()
BUSY_PATH = "/files/busy.pdf"
LISTS = {"gk": "法定主动公开内容", "gf": "规范性文件", "nb": "政府信息公开年报"}
ARTICLES = {"zn": "政府信息公开指南", "zd": "政府信息公开制度"}


def _page(title: str, main: str) -> bytes:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{title}</title></head>'
            f'<body><div class="main">{main}</div></body></html>').encode()


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address) -> None:
        pass  # a killed crawler resets its connections: expected here


class UnitsWeb:
    """`units` units of `pages_per_list` × 3 list pages of `items_per_page` items each; a context manager."""

    def __init__(self, today: date, units: int = 4, pages_per_list: int = 2, items_per_page: int = 6,
                 delay: float = 0.06) -> None:
        self.today = today
        self.units = units
        self.pages_per_list = pages_per_list
        self.items_per_page = items_per_page
        self.delay = delay
        self.requests: Counter = Counter()  # (method, URL) -> times asked
        self.active = 0  # requests being answered now
        self.answered_at: list[float] = []  # time.monotonic() of each answer sent
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self._stopping = threading.Event()

    # --- what is served -------------------------------------------------------------------
    def base(self, unit: int) -> str:
        return f"http://127.0.0.1:{self._servers[unit].server_address[1]}"

    def _pages(self, unit: int) -> dict[str, tuple[str, bytes]]:
        """path -> (content type, body) of one unit."""
        html = "text/html; charset=utf-8"
        name = f"第{unit + 1}海关"
        neighbour = self.base((unit + 1) % self.units)
        pages = {"/": (html, _page(name, '<a href="/xxgk/index.html">政府信息公开</a> '
                                         f'<a href="{neighbour}/">相邻海关</a>'))}
        nav = "".join(f'<li><a href="/xxgk/{key}.html">{title}</a></li>' for key, title in ARTICLES.items())
        nav += "".join(f'<li><a href="/xxgk/{key}/list.html">{title}</a></li>' for key, title in LISTS.items())
        pages["/xxgk/index.html"] = (html, _page(f"{name} 政府信息公开", f"<ul class='nav'>{nav}</ul>"))
        for key, title in ARTICLES.items():
            pages[f"/xxgk/{key}.html"] = (html, _page(title, f"<h2>{title}</h2><p>{name}{title}全文。</p>"))
        for key, title in LISTS.items():
            number = 0
            for page in range(1, self.pages_per_list + 1):
                entries = []
                for _ in range(self.items_per_page):
                    number += 1
                    published = self.today - timedelta(days=3 * number + unit)
                    item = f"/xxgk/{key}/item-{number}.html"
                    entries.append(f'<li><a href="{item}">{title}第{number}号</a><span>{published}</span></li>')
                    attachment = f"/files/{key}-{number}.pdf"
                    cross = f'<a href="{neighbour}/xxgk/{key}/item-{number}.html">相关文件</a>' if number % 4 == 0 else ""
                    if number == 1:  # and one answers 503 every time: confirmed before it is reported
                        cross += f"<a href='{BUSY_PATH}'>附件（服务繁忙）</a>"
                    pages[item] = (html, _page(
                        f"{title}第{number}号",
                        f"<h2>{title}第{number}号</h2><p>【发布日期】{published}</p><p>【文　　号】{key}〔{published.year}〕"
                        f"{number}号</p><p>正文。</p><a href='{attachment}'>附件{number}.pdf</a>{cross}"))
                    if number % 5 != 0:  # every fifth attachment is missing: a broken link
                        pages[attachment] = ("application/pdf", b"%PDF-1.4 " + attachment.encode())
                pager = "".join(f'<a href="list{"" if n == 1 else f"-{n}"}.html">{n}</a> '
                                for n in range(1, self.pages_per_list + 1) if n != page)
                path = f"/xxgk/{key}/list{'' if page == 1 else f'-{page}'}.html"
                pages[path] = (html, _page(title, f"<h2>{title}</h2><ul class='list'>{''.join(entries)}</ul>"
                                                  f"<div class='page'>共{self.pages_per_list}页 {pager}</div>"))
        return pages

    # --- serving --------------------------------------------------------------------------
    def start(self) -> UnitsWeb:
        web = self
        for unit in range(self.units):
            holder: dict[str, dict] = {}

            class Handler(BaseHTTPRequestHandler):
                protocol_version = "HTTP/1.1"

                def _answer(self, with_body: bool) -> None:
                    with web._lock:
                        web.requests[(self.command, f"http://{self.headers.get('Host')}{self.path}")] += 1
                        web.active += 1
                    try:
                        self._send(with_body)
                    finally:
                        with web._lock:
                            web.active -= 1
                            web.answered_at.append(time.monotonic())

                def _send(self, with_body: bool) -> None:
                    web._stopping.wait(web.delay)
                    content_type, body = holder["pages"].get(self.path, ("text/html; charset=utf-8", None))
                    self.send_response(503 if self.path == BUSY_PATH else 404 if body is None else 200)
                    body = NOT_FOUND if body is None else body
                    self.send_header("Content-Type", content_type)
                    if self.path == BUSY_PATH:
                        self.send_header("Retry-After", "0")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    if with_body:
                        self.wfile.write(body)

                def do_GET(self):
                    self._answer(True)

                def do_HEAD(self):
                    self._answer(False)

                def log_message(self, format, *args):
                    pass

            server = _QuietServer(("127.0.0.1", 0), Handler)
            server.holder = holder
            self._servers.append(server)
        for unit, server in enumerate(self._servers):
            server.holder["pages"] = self._pages(unit)  # every port is known by now: cross links
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()

    def __enter__(self) -> UnitsWeb:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    # --- for the crawler and the tests ----------------------------------------------------
    def sites_yaml(self) -> str:
        lines = ["units:"]
        for unit in range(self.units):
            lines += [f"  - id: unit{unit + 1}", f"    name: 第{unit + 1}海关", f"    url: {self.base(unit)}/"]
        return "\n".join(lines) + "\n"

    def total_requests(self) -> int:
        with self._lock:
            return sum(self.requests.values())

    def in_flight(self, lost_window: float) -> int:
        """Requests being answered now, and those answered within `lost_window` seconds: what a
        crawl killed now may not have committed."""
        with self._lock:
            since = time.monotonic() - lost_window
            return self.active + sum(1 for at in self.answered_at if at >= since)

"""A customs-like web for nightly runs, served on 127.0.0.1 by threads of this process, that changes
between nights: new items with broken attachments, old pages broken, broken links fixed, a
section emptied. Every answer is counted per unit.

Each unit: a home page → its 政府信息公开 column → one list per section, paginated (pages linked
by 下一页/尾页 and numbered links) → items, each carrying `links_per_item` links: its attachments
and the unit's other items. A fixed share of attachments is missing (404).
"""
from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECTIONS = ("法定主动公开内容", "规范性文件", "政府信息公开年报", "行政处罚")
ARTICLES = ("政府信息公开指南", "政府信息公开制度")
PER_LIST_PAGE = 20
ATTACHMENTS_PER_ITEM = 3


@dataclass
class Item:
    number: int
    section: str
    published: date
    attachments: list[str]
    extra_links: list[str] = field(default_factory=list)  # links added to an old page

    @property
    def path(self) -> str:
        return f"/info/{self.number}.html"


class UnitWeb:
    """One unit's pages, built from its items on every request, so a change shows at once."""

    def __init__(self, name: str, items_per_section: int, links_per_item: int, broken_share: float,
                 rng: random.Random, today: date):
        self.name = name
        self.links_per_item = links_per_item
        self.rng = rng
        self.lists: dict[str, list[Item]] = {section: [] for section in SECTIONS}
        self.files: set[str] = set()  # attachments that exist
        self.broken: set[str] = set()  # attachments that answer 404
        self.next_number = 1
        self.requests: Counter[str] = Counter()
        self.broken_share = broken_share
        for section in SECTIONS:
            for age in range(items_per_section, 0, -1):
                self.add_item(section, today - timedelta(days=age))

    def add_item(self, section: str, published: date, broken: bool | None = None) -> Item:
        number = self.next_number
        self.next_number += 1
        attachments = [f"/files/{number}-{k}.pdf" for k in range(ATTACHMENTS_PER_ITEM)]
        for path in attachments:
            is_broken = (self.rng.random() < self.broken_share) if broken is None else (broken and path == attachments[0])
            (self.broken if is_broken else self.files).add(path)
        item = Item(number, section, published, attachments)
        self.lists[section].insert(0, item)
        return item

    def items(self) -> list[Item]:
        return [item for section in SECTIONS for item in self.lists[section]]

    # --- pages ------------------------------------------------------------------------------
    def answer(self, path: str) -> tuple[int, str, bytes]:
        self.requests[path] += 1
        if path == "/":
            return self.page(self.name, '<a href="/xxgk/index.html">政府信息公开</a>')
        if path == "/xxgk/index.html":
            nav = "".join(f'<li><a href="{self.list_path(s, 1)}">{s}</a></li>' for s in SECTIONS)
            nav += "".join(f'<li><a href="/xxgk/{k}.html">{name}</a></li>' for k, name in enumerate(ARTICLES))
            return self.page("政府信息公开", f"<div><h2>政府信息公开</h2><ul>{nav}</ul></div>")
        if path.startswith("/xxgk/") and path[6:-5].isdigit():
            name = ARTICLES[int(path[6:-5])] if int(path[6:-5]) < len(ARTICLES) else None
            if name:
                return self.page(name, f"<h1>{name}</h1>" + "<p>本单位依照条例公开政府信息，具体办法如下。</p>" * 8)
        if path.startswith("/list/"):
            return self.list_page(path)
        if path.startswith("/info/"):
            item = next((i for i in self.items() if i.path == path), None)
            if item is not None:
                return self.item_page(item)
        if path.startswith("/files/") and path in self.files:
            return 200, "application/pdf", b"%PDF-1.4\n%%EOF\n"
        return 404, "text/html; charset=utf-8", "<html><head><title>404 页面不存在</title></head></html>".encode()

    def list_path(self, section: str, n: int) -> str:
        return f"/list/{SECTIONS.index(section)}/{n}.html"

    def list_page(self, path: str) -> tuple[int, str, bytes]:
        try:
            section_index, n = (int(part) for part in path[6:-5].split("/"))
            section = SECTIONS[section_index]
        except (ValueError, IndexError):
            return 404, "text/html", b""
        items = self.lists[section]
        total = max(1, -(-len(items) // PER_LIST_PAGE))
        if n > total:
            return 404, "text/html", b""
        chunk = items[(n - 1) * PER_LIST_PAGE: n * PER_LIST_PAGE]
        entries = "".join(f'<li><a href="{i.path}" title="{escape(self.title(i))}">{escape(self.title(i))}</a>'
                          f"<span>{i.published.isoformat()}</span></li>" for i in chunk) or "<li>暂无信息</li>"
        pager = [f"<span>共{total}页</span>"]
        if n > 1:
            pager += [f'<a href="{self.list_path(section, 1)}">首页</a>', f'<a href="{self.list_path(section, n - 1)}">上一页</a>']
        pager += [f'<a href="{self.list_path(section, k)}">{k}</a>' for k in range(1, total + 1) if k != n]
        if n < total:
            pager += [f'<a href="{self.list_path(section, n + 1)}">下一页</a>', f'<a href="{self.list_path(section, total)}">尾页</a>']
        return self.page(section, f"<h2>{section}</h2><ul>{entries}</ul><div>{' '.join(pager)}</div>")

    def title(self, item: Item) -> str:
        return f"{self.name}{item.section}第{item.number}号"

    def item_page(self, item: Item) -> tuple[int, str, bytes]:
        others = [i for i in self.items() if i is not item]
        chosen = random.Random(item.number).sample(others, min(len(others), self.links_per_item - len(item.attachments)))
        links = [f'<a href="{path}">附件{k + 1}</a>' for k, path in enumerate(item.attachments)]
        links += [f'<a href="{path}">相关链接</a>' for path in item.extra_links]
        links += [f'<a href="{i.path}">{escape(self.title(i))}</a>' for i in chosen]
        meta = (f"<p>文号：署{item.number}号 发布机构：{self.name} 发布日期：{item.published.isoformat()} 有效性：有效</p>")
        body = "<p>正文。</p>" * 5
        return self.page(self.title(item), f"<h1>{escape(self.title(item))}</h1>{meta}{body}<p>{' '.join(links)}</p>")

    @staticmethod
    def page(title: str, main: str) -> tuple[int, str, bytes]:
        html = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head><body>{main}</body></html>"
        return 200, "text/html; charset=utf-8", html.encode()


class Served:
    """Serve a UnitWeb on 127.0.0.1 until stopped."""

    def __init__(self, web: UnitWeb):
        self.web = web

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.wfile.write(self.send_head())

            def do_HEAD(self):
                self.send_head()

            def send_head(self) -> bytes:
                """Status and headers of the page at self.path; its body, for GET to send."""
                status, content_type, body = web.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                return body

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

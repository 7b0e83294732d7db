"""Hostile-server test mode: a loopback web site of nasty answers, with its ground truth.

    python -m tests.webs.hostile serve --dir DIR

starts the server on 127.0.0.1 and writes DIR/sites.yaml (the units to crawl), DIR/truth.json
(what a correct crawl reports about every case) and, once the server answers, DIR/hostile.json
(atomically: a reader that sees it knows everything is up). It serves until SIGTERM or SIGINT,
or until --parent-pid is gone. `HostileWeb` runs it in a subprocess, as `DemoWeb` runs the demo
web (both are `crawler.demo.loopback` webs), so that the crawl's reactor and the server never share a
process.

The server speaks HTTP by hand on raw sockets: the cases are the answers a well-behaved server
library refuses to produce (a wrong Content-Length, a broken status line, header garbage, a body
that never ends). Every loop that feeds a client is bounded in bytes or seconds and ends as soon
as the client leaves or the server stops.
"""
from __future__ import annotations

import argparse
import json
import socket
import socketserver
import struct
import sys
import threading
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import yaml

from checks.files import write_atomic
from crawler.demo.loopback import BackgroundServer, LoopbackWeb, serve_until_stopped

HOST = "127.0.0.1"
# The crawl of the hostile web must use this download timeout: the slow drip outlasts it.
TIMEOUT_SECONDS = 5.0

MiB = 1 << 20
BOMB_DECOMPRESSED_MIB = 1024  # a 1 MB gzip body that inflates to 1 GiB
ENDLESS_MAX_BYTES = 2 << 30  # the "endless" body ends here at the latest, whatever the client does
DECLARED_HUGE_BYTES = 100 << 30  # the Content-Length a server announces for a tiny body
DRIP_INTERVAL_SECONDS = 0.5
DRIP_MAX_SECONDS = 300.0
REDIRECT_CHAIN_HOPS = 10_000
MANY_LINKS = 50_000
MANY_TARGETS = 500
HUGE_LINE_BYTES = 10 * MiB + MiB // 2  # over DOWNLOAD_WARNSIZE (10 MB), on a single line
NESTING_DEPTH = 10_000  # unclosed elements: far beyond libxml2's default depth limit
LONG_URL_CHARS = 10_000  # beyond any URL length limit (browsers' 2083, servers' 8 KB)
CAP_PAGES = 20  # the chain of pages of the page-cap unit
CAP_MAX_PAGES = 5
HEADER_LIMIT_BYTES = 64 * 1024  # a request head larger than this is not read further
IDLE_SECONDS = 30.0  # a keep-alive client that sends nothing for this long is dropped
CREDENTIALS = ("inspector", "s3cret-password")

UNIT_ID, CAP_UNIT_ID = "hostile", "hostile_cap"
# Cases a correct crawl reports in the unit's crawl_limit row (their content was not checked)...
LIMITED_CASES = ("gzip_bomb", "endless_body", "declared_huge", "long_url")
# ...that it must not flag at all...
NOT_FLAGGED_CASES = ("length_too_short", "huge_attachment", "credentials")
# ...and words the detail of the others' broken_link must hold (beyond the failure itself).
BROKEN_DETAIL = {"slow_drip": ["请求超时"], "redirect_chain": ["重定向次数过多"], "redirect_loop": ["重定向循环"],
                 "redirect_file": ["file:///etc/passwd"], "redirect_ftp": ["ftp://"]}


# --- HTTP by hand -----------------------------------------------------------------------------

@dataclass
class Request:
    method: str
    path: str
    headers: list[tuple[str, str]]


def http_response(status: str, headers: list[tuple[str, str]], body: bytes = b"", *, length: int | None = None,
                  head: bool = False) -> bytes:
    """Status line, headers and body; Content-Length is len(body) unless `length` says otherwise."""
    lines = [f"HTTP/1.1 {status}"] + [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body) if length is None else length}")
    head_bytes = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head_bytes if head else head_bytes + body


def html_page(title: str, body: str) -> str:
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{escape(title)}</title></head>'
            f"<body><h1>{escape(title)}</h1>{body}</body></html>")


def gzip_bomb(decompressed_mib: int) -> bytes:
    """A valid gzip stream of `decompressed_mib` MiB of zeros, about 1 KB per MiB.

    One fully flushed deflate block of a MiB of zeros refers to nothing before it, so the same
    block repeated is a valid stream: built in a fraction of a second, not by compressing 1 GiB.
    """
    zeros = bytes(MiB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    final_block = zlib.compressobj(9, zlib.DEFLATED, -15).flush()
    crc = 0
    for _ in range(decompressed_mib):
        crc = zlib.crc32(zeros, crc)
    header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
    trailer = struct.pack("<II", crc, (decompressed_mib * MiB) & 0xFFFFFFFF)
    return header + block * decompressed_mib + final_block + trailer


# --- the cases --------------------------------------------------------------------------------

Responder = Callable[["_Connection", Request], bool]  # True: the connection may serve another request


@dataclass
class Case:
    """One hostile answer: where it is, what is nasty about it, what the product must make of it."""

    id: str
    path: str
    hostile: str  # what the server does
    expect: str  # what a correct crawl reports (human-readable, for the closing note)
    respond: Responder
    link_text: str = ""  # the home page's link to it
    crawled: bool = False  # an HTML page the crawl parses (it carries a broken link of its own)


class HostileSite:
    """The cases, their pages and their ground truth, for a server at `port`."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"http://{HOST}:{port}"
        self.home_url = f"{self.origin}/"
        self.cap_url = f"{self.origin}/cap/"
        self.bomb = gzip_bomb(BOMB_DECOMPRESSED_MIB)
        self.long_url = f"{self.origin}/long?q=" + "x" * (LONG_URL_CHARS - len(self.origin) - 8)
        self.credentials_url = f"http://{CREDENTIALS[0]}:{CREDENTIALS[1]}@{HOST}:{port}/private/report.html"
        self.cases = self._cases()
        self.by_path = {case.path: case for case in self.cases}
        self.pages: dict[str, bytes] = {}  # crawled case pages, built once (the big ones take a while)
        for case in self.cases:
            if case.crawled:
                self.pages[case.path] = self._page_body(case)
        self.home = html_page("海关恶意服务器测试首页", self._home_links()).encode("utf-8")

    def url(self, path: str) -> str:
        return self.origin + path

    # the crawled pages each carry one broken link, found only if extraction survived the page
    def gone_path(self, case: Case) -> str:
        return f"/gone/{case.id}.html"

    def gone_text(self, case: Case) -> str:
        return f"失效链接（{case.id}）"

    def _cases(self) -> list[Case]:
        p = "/pages/"
        t = "/t/"
        return [
            # pages whose HTML or encoding is broken: crawled, their broken link must be found
            Case("nul_bytes", p + "nul-bytes.html", "NUL bytes between and inside elements",
                 "page parsed (NULs dropped), its broken link reported", _page, crawled=True),
            Case("lying_charset", p + "lying-charset.html",
                 "<meta charset=utf-8> on a GBK body, no charset in the header",
                 "page parsed with replacement characters, its broken link reported", _page, crawled=True),
            Case("mixed_bytes", p + "mixed-bytes.html", "GBK page (header charset=gbk) with a UTF-8 paragraph",
                 "page parsed, GBK link text read right, its broken link reported", _page, crawled=True),
            Case("bom_utf8", p + "bom-utf8.html", "UTF-8 BOM while the header says charset=gbk",
                 "the BOM wins: link text read right, its broken link reported", _page, crawled=True),
            Case("bom_utf16", p + "bom-utf16.html", "UTF-16LE page with its BOM, no charset anywhere",
                 "decoded as UTF-16: link text read right, its broken link reported", _page, crawled=True),
            Case("huge_single_line", p + "huge-line.html",
                 f"{HUGE_LINE_BYTES / MiB:.1f} MB on a single line, the broken link at its very end",
                 "page parsed, warn size recorded, its broken link reported", _page, crawled=True),
            Case("many_links", p + "many-links.html", f"{MANY_LINKS:,} links on one page",
                 "every link checked once, the one broken link reported", _page, crawled=True),
            Case("truncated", p + "truncated.html", "document cut off inside a tag (Content-Length right)",
                 "page parsed as far as it goes, its broken link reported", _page, crawled=True),
            Case("unclosed_nested", p + "unclosed.html",
                 f"{NESTING_DEPTH:,} unclosed elements, nested forms and tables, the broken link at the bottom",
                 "links read past libxml2's depth limit, its broken link reported", _page, crawled=True),
            Case("header_garbage", p + "header-garbage.html",
                 "headers without colon, binary bytes and NUL in values, an obs-fold line, an 8 KB value",
                 "garbage lines skipped, page parsed, its broken link reported", _garbage_headers, crawled=True),
            # answers that must end at a limit, or as a failure, never as a crash
            Case("gzip_bomb", t + "gzip-bomb.html",
                 f"{len(self.bomb) / MiB:.1f} MB gzip body inflating to {BOMB_DECOMPRESSED_MIB / 1024:g} GiB",
                 "decompression stops at DOWNLOAD_MAXSIZE; crawl_limit names the URL", _bomb,
                 link_text="压缩炸弹"),
            Case("endless_body", t + "endless.html", "200 without Content-Length, a body that never ends",
                 "download stops at DOWNLOAD_MAXSIZE; crawl_limit names the URL", _endless, link_text="无尽正文"),
            Case("declared_huge", t + "declared-huge.html",
                 f"Content-Length: {DECLARED_HUGE_BYTES} on a tiny body",
                 "download refused before the body (DOWNLOAD_MAXSIZE); crawl_limit names the URL", _declared_huge,
                 link_text="声称100GB"),
            Case("slow_drip", t + "slow-drip.html", f"headers, then one byte every {DRIP_INTERVAL_SECONDS:g} s",
                 "download timeout, confirmed once, broken_link (请求超时)", _drip, link_text="慢速滴漏"),
            Case("bad_status_line", t + "bad-status-line.html", "status line 'HTTP/1.1 2OO OKAY'",
                 "broken_link (the failure named)", _bad_status_line, link_text="错误状态行"),
            Case("not_http", t + "not-http.html", "an SSH banner instead of HTTP",
                 "broken_link (the failure named)", _not_http, link_text="非HTTP应答"),
            Case("empty_reply", t + "empty-reply.html", "connection closed without a byte",
                 "broken_link (connection)", _empty_reply, link_text="空应答"),
            Case("bad_header_name", t + "bad-header-name.html", "header names with a space and empty",
                 "broken_link naming the invalid response (Twisted refuses the whole answer)", _bad_header_name,
                 link_text="非法响应头名"),
            Case("huge_header", t + "huge-header.html", "one 1 MB header line",
                 "broken_link (the failure named); browsers refuse such headers too", _huge_header,
                 link_text="超长响应头"),
            Case("bad_gzip", t + "bad-gzip.html", "Content-Encoding: gzip on a body that is not gzip",
                 "broken_link (browsers fail with a decoding error too)", _bad_gzip, link_text="错误压缩"),
            Case("redirect_file", t + "redirect-file", "302 to file:///etc/passwd",
                 "not followed, nothing read from disk; broken_link naming the redirect", _redirect_to("file:///etc/passwd"),
                 link_text="跳转到本地文件"),
            Case("redirect_ftp", t + "redirect-ftp", "302 to ftp://127.0.0.1:21/pub/secret.txt",
                 "not followed; broken_link naming the redirect", _redirect_to(f"ftp://{HOST}:21/pub/secret.txt"),
                 link_text="跳转到FTP"),
            Case("redirect_chain", t + "chain/0", f"a chain of {REDIRECT_CHAIN_HOPS:,} redirects",
                 "stopped after REDIRECT_MAX_TIMES (10); broken_link (重定向次数过多)", _chain, link_text="万级重定向链"),
            Case("redirect_loop", t + "loop/a", "a → b → a redirect loop",
                 "broken_link (重定向循环)", _loop, link_text="重定向循环"),
            Case("length_too_long", t + "length-too-long.html",
                 "Content-Length 100000, 1000 bytes sent, connection closed",
                 "data loss, confirmed once, broken_link naming it", _length_too_long, link_text="长度声明过长"),
            Case("length_too_short", t + "length-too-short.html",
                 "Content-Length 200 on a 5000-byte page, on a keep-alive connection",
                 "first 200 bytes read, the rest discarded with the connection; not flagged", _length_too_short,
                 link_text="长度声明过短"),
            Case("huge_attachment", "/files/customs-data.zip",
                 "HEAD announces 5 GB; GET streams without end",
                 "checked by HEAD (headers only); not flagged", _huge_attachment, link_text="海关数据.zip"),
            Case("credentials", "/private/report.html",
                 "linked as http://user:password@host/...: the credentials must never reach the server",
                 "fetched without credentials (no Authorization header, no userinfo in Host); not flagged",
                 _credentials_page, link_text="内部报告（链接带用户名密码）"),
            Case("long_url", "/long", f"a link of {LONG_URL_CHARS:,} characters",
                 "not fetched (URLLENGTH_LIMIT); crawl_limit names it", _uri_too_long, link_text="超长链接"),
        ]

    # --- pages ------------------------------------------------------------------------------
    def _home_links(self) -> str:
        items = []
        for case in self.cases:
            items.append(f'<li><a href="{escape(self.case_url(case))}">{escape(case.link_text or case.id)}</a></li>')
        # schemes a crawler must skip: nothing is fetched, nothing is flagged
        for href, text in (("file:///etc/passwd", "本地文件"), ("ftp://127.0.0.1/pub/", "FTP站点"),
                           ("data:text/html,<script>alert(1)</script>", "data链接"),
                           ("javascript:alert(document.cookie)", "脚本链接")):
            items.append(f'<li><a href="{escape(href)}">{escape(text)}</a></li>')
        return f"<ul>{''.join(items)}</ul>"

    def _page_body(self, case: Case) -> bytes:
        gone = f'<a href="{self.gone_path(case)}">{self.gone_text(case)}</a>'
        title = f"恶意页面 {case.id}"
        if case.id == "nul_bytes":
            body = f"<div>\x00正文\x00<p>段落\x00</p>\x00<ul><li>\x00{gone}\x00</li></ul></div>"
            return html_page(title, body).encode("utf-8")
        if case.id == "lying_charset":
            return html_page(title, f"<p>字符集声明与实际编码不符。</p><p>{gone}</p>").encode("gbk")
        if case.id == "mixed_bytes":
            page = html_page(title, f"<p>GBK正文</p><p>UTF8_PART</p><p>{gone}</p>").replace(
                '<meta charset="utf-8">', '<meta charset="gbk">')
            before, after = page.split("UTF8_PART")
            return before.encode("gbk") + "这一段是UTF-8编码的文字".encode("utf-8") + after.encode("gbk")
        if case.id == "bom_utf8":
            return b"\xef\xbb\xbf" + html_page(title, f"<p>带BOM的UTF-8页面</p><p>{gone}</p>").encode("utf-8")
        if case.id == "bom_utf16":
            page = html_page(title, f"<p>UTF-16页面</p><p>{gone}</p>").replace('<meta charset="utf-8">', "")
            return b"\xff\xfe" + page.encode("utf-16-le")
        if case.id == "huge_single_line":
            before, _, after = html_page(title, "<p>BODY</p>").partition("BODY")
            span = "<span>海关信息公开正文，海关信息公开正文。</span>"
            count = HUGE_LINE_BYTES // len(span.encode("utf-8"))
            return (before + span * count + gone + after).encode("utf-8")
        if case.id == "many_links":
            # 50,000 anchors for the parser, 500 distinct targets (each linked 100 times) for the
            # checker: the test suite pays for the extraction and the deduplication, not for 50,000 requests
            links = "".join(f'<a href="/many/{n % MANY_TARGETS}.html">第{n}条</a>' for n in range(1, MANY_LINKS))
            return html_page(title, f"<div>{links}{gone}</div>").encode("utf-8")
        if case.id == "truncated":
            page = html_page(title, f'<p>{gone}</p><div class="cut">never sent</div>')
            return page[: page.index('class="cut') + len('class="cu')].encode("utf-8")
        if case.id == "unclosed_nested":
            nested = "<div><span>" * (NESTING_DEPTH // 2)
            forms = "<form action=/a><form action=/b><table><tr><td><form><table><tr><td>嵌套表单"
            return html_page(title, f"{forms}{nested}<p>深层{gone}").replace("</body></html>", "").encode("utf-8")
        return html_page(title, f"<p>{gone}</p>").encode("utf-8")

    def charset_header(self, case: Case) -> str:
        """The Content-Type each crawled page is served with (some lie, or stay silent)."""
        return {
            "lying_charset": "text/html",
            "mixed_bytes": "text/html; charset=gbk",
            "bom_utf8": "text/html; charset=gbk",
            "bom_utf16": "text/html",
        }.get(case.id, "text/html; charset=utf-8")

    # --- truth ------------------------------------------------------------------------------
    def truth(self) -> dict:
        """What a correct crawl reports: findings by (unit, check, page, target) with words their
        detail must hold, the targets it must not flag, the limits run.json must count, and every
        case with what is hostile about it."""
        findings: list[dict] = []
        not_flagged: list[dict] = []

        def finding(check: str, case_id: str, page: str, target: str, detail: list[str], **extra) -> None:
            findings.append({"unit_id": UNIT_ID, "check": check, "page_url": page, "target_url": target,
                             "case": case_id, "detail_contains": detail, **extra})

        limited: list[str] = []  # what the unit's crawl_limit row must name
        for case in self.cases:
            target = self.case_url(case)
            if case.crawled:
                # pages whose decoding is the point: the link text must come out right
                exact_text = case.id in ("mixed_bytes", "bom_utf8", "bom_utf16")
                extra = {"link_text": self.gone_text(case)} if exact_text else {}
                finding("broken_link", case.id, target, self.url(self.gone_path(case)), ["HTTP 404"], **extra)
            elif case.id in LIMITED_CASES:
                limited.append(target[:100])
            elif case.id in NOT_FLAGGED_CASES:
                not_flagged.append({"unit_id": UNIT_ID, "page_url": self.home_url, "target_url": target,
                                    "case": case.id})
            else:
                finding("broken_link", case.id, self.home_url, target, BROKEN_DETAIL.get(case.id, []))
        finding("crawl_limit", "size_and_url_limits", self.home_url, "", limited)
        findings.append({"unit_id": CAP_UNIT_ID, "check": "crawl_limit", "page_url": self.cap_url, "target_url": "",
                         "case": "page_cap", "detail_contains": [f"max_pages={CAP_MAX_PAGES}"]})
        return {
            "findings": findings,
            "not_flagged": not_flagged,
            # the working targets of many-links.html: none may be flagged
            "not_flagged_prefix": self.url("/many/"),
            # run.json units[*].limits: each must be counted at least once
            "limits": {UNIT_ID: ["download_maxsize", "decompressed_maxsize", "download_warnsize",
                                 "download_timeout", "redirect_max_times", "urllength_limit"],
                       CAP_UNIT_ID: ["max_pages"]},
            "cases": [{"id": c.id, "url": self.case_url(c), "hostile": c.hostile, "expect": c.expect}
                      for c in self.cases]
                     + [{"id": "page_cap", "url": self.cap_url,
                         "hostile": f"a chain of {CAP_PAGES} pages for a unit with max_pages {CAP_MAX_PAGES}",
                         "expect": f"crawl stops at the cap; crawl_limit (max_pages={CAP_MAX_PAGES})"}],
        }

    def case_url(self, case: Case) -> str:
        """The URL the home page links the case with."""
        if case.id == "long_url":
            return self.long_url
        if case.id == "credentials":
            return self.credentials_url
        return self.url(case.path)

    def sites_yaml(self) -> str:
        document = {
            "units": [
                {"id": UNIT_ID, "name": "恶意服务器测试站", "url": self.home_url, "scope": "site",
                 # the 50,000 links of many-links.html are checked, not crawled
                 "max_depth": 1, "max_pages": 100},
                {"id": CAP_UNIT_ID, "name": "页面上限测试站", "url": self.cap_url, "scope": "site",
                 "max_depth": CAP_PAGES + 1, "max_pages": CAP_MAX_PAGES},
            ]
        }
        header = "# The hostile web (python -m tests.webs.hostile): one unit of nasty answers, one to hit the page cap.\n"
        return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


# --- responders -------------------------------------------------------------------------------

class _Connection:
    """One client connection: its socket, its server, what has been read of it."""

    def __init__(self, sock: socket.socket, server: HostileServer):
        self.sock = sock
        self.server = server
        self.buffer = b""

    @property
    def site(self) -> HostileSite:
        return self.server.site

    def send(self, data: bytes) -> bool:
        """False when the client has gone."""
        try:
            self.sock.sendall(data)
            return True
        except OSError:
            return False

    def read_request(self) -> Request | None:
        """The next request head (None: the client left, idled out, or sent garbage)."""
        while b"\r\n\r\n" not in self.buffer:
            if len(self.buffer) > HEADER_LIMIT_BYTES:
                return None
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return None
            if not chunk:
                return None
            self.buffer += chunk
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return None
        headers = [tuple(part.strip() for part in line.split(":", 1)) for line in lines[1:] if ":" in line]
        return Request(parts[0], parts[1], headers)

    def pause(self, seconds: float) -> bool:
        """Wait; False when the server is stopping."""
        return not self.server.stopping.wait(seconds)


def _page(conn: _Connection, request: Request) -> bool:
    case = conn.site.by_path[request.path]
    return conn.send(http_response("200 OK", [("Content-Type", conn.site.charset_header(case))],
                                   conn.site.pages[case.path], head=request.method == "HEAD"))


def _garbage_headers(conn: _Connection, request: Request) -> bool:
    body = conn.site.pages[request.path]
    head = (b"HTTP/1.1 200 OK\r\n"
            b"Content-Type: text/html; charset=utf-8\r\n"
            b"this line has no colon at all\r\n"
            b"X-Binary: \xff\xfe\x80\x81 \xe6\xb5\xb7\xe5\x85\xb3\r\n"
            b"X-Nul: a\x00b\r\n"
            b"X-Folded: first part\r\n   continued on an obs-fold line\r\n"
            b"X-Long: " + b"v" * 8192 + b"\r\n"
            b"Set-Cookie: \x01\x02=\x03; Path=/\x00; Domain=..\r\n"
            b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n")
    return conn.send(head if request.method == "HEAD" else head + body)


def _bomb(conn: _Connection, request: Request) -> bool:
    headers = [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")]
    return conn.send(http_response("200 OK", headers, conn.site.bomb, head=request.method == "HEAD"))


def _endless(conn: _Connection, request: Request) -> bool:
    return _stream_without_end(conn, request, "text/html; charset=utf-8")


def _stream_without_end(conn: _Connection, request: Request, content_type: str) -> bool:
    """200 without Content-Length, then body chunks until the client leaves (ENDLESS_MAX_BYTES at most)."""
    conn.send(f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\nConnection: close\r\n\r\n".encode())
    if request.method == "HEAD":
        return False
    chunk = ("<p>" + "无尽的正文。" * 2000 + "</p>\n").encode("utf-8")
    sent = 0
    while sent < ENDLESS_MAX_BYTES and not conn.server.stopping.is_set() and conn.send(chunk):
        sent += len(chunk)
    return False


def _declared_huge(conn: _Connection, request: Request) -> bool:
    conn.send(http_response("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                            html_page("声称100GB", "<p>其实很短</p>").encode("utf-8"), length=DECLARED_HUGE_BYTES,
                            head=request.method == "HEAD"))
    return False


def _drip(conn: _Connection, request: Request) -> bool:
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nConnection: close\r\n\r\n")
    if request.method == "HEAD":
        return False
    body = html_page("慢速页面", "<p>" + "慢" * 10_000 + "</p>").encode("utf-8")
    started = time.monotonic()
    for byte in body:
        if time.monotonic() - started > DRIP_MAX_SECONDS or not conn.send(bytes([byte])):
            break
        if not conn.pause(DRIP_INTERVAL_SECONDS):
            break
    return False


def _bad_status_line(conn: _Connection, request: Request) -> bool:
    conn.send(b"HTTP/1.1 2OO OKAY\r\nContent-Type: text/html\r\nContent-Length: 5\r\n\r\nhello")
    return False


def _not_http(conn: _Connection, request: Request) -> bool:
    conn.send(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n")
    return False


def _empty_reply(conn: _Connection, request: Request) -> bool:
    return False


def _bad_header_name(conn: _Connection, request: Request) -> bool:
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nBad Name: 1\r\n: empty\r\nContent-Length: 5\r\n"
              b"Connection: close\r\n\r\nhello")
    return False


def _huge_header(conn: _Connection, request: Request) -> bool:
    conn.send(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Huge: " + b"h" * MiB
              + b"\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
    return False


def _bad_gzip(conn: _Connection, request: Request) -> bool:
    body = html_page("不是gzip", "<p>明文正文</p>").encode("utf-8")
    return conn.send(http_response("200 OK", [("Content-Type", "text/html; charset=utf-8"), ("Content-Encoding", "gzip")],
                                   body, head=request.method == "HEAD"))


def _redirect_to(location: str) -> Responder:
    def respond(conn: _Connection, request: Request) -> bool:
        return conn.send(http_response("302 Found", [("Location", location)]))
    return respond


def _chain(conn: _Connection, request: Request) -> bool:
    hop = int(request.path.rpartition("/")[2] or 0)
    if hop >= REDIRECT_CHAIN_HOPS:
        return conn.send(http_response("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                       html_page("链的终点", "<p>终点</p>").encode("utf-8")))
    return conn.send(http_response("302 Found", [("Location", f"/t/chain/{hop + 1}")]))


def _loop(conn: _Connection, request: Request) -> bool:
    other = "/t/loop/b" if request.path.endswith("/a") else "/t/loop/a"
    return conn.send(http_response("302 Found", [("Location", other)]))


def _length_too_long(conn: _Connection, request: Request) -> bool:
    body = html_page("不完整", "<p>" + "截" * 300 + "</p>").encode("utf-8")[:1000]
    conn.send(http_response("200 OK", [("Content-Type", "text/html; charset=utf-8")], body, length=100_000,
                            head=request.method == "HEAD"))
    return False  # closing now leaves the client 99,000 bytes short


def _length_too_short(conn: _Connection, request: Request) -> bool:
    body = html_page("长度声明过短", "<p>" + "多" * 1600 + "</p>").encode("utf-8")
    # The extra bytes stay on a keep-alive connection, where a careless client reads them as
    # the start of its next response.
    return conn.send(http_response("200 OK", [("Content-Type", "text/html; charset=utf-8")], body, length=200,
                                   head=request.method == "HEAD"))


def _huge_attachment(conn: _Connection, request: Request) -> bool:
    if request.method == "HEAD":
        return conn.send(http_response("200 OK", [("Content-Type", "application/zip")], length=5 << 30, head=True))
    return _stream_without_end(conn, request, "application/zip")


def _credentials_page(conn: _Connection, request: Request) -> bool:
    return conn.send(http_response("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                   html_page("内部报告", "<p>公开的报告正文。</p>").encode("utf-8"),
                                   head=request.method == "HEAD"))


def _uri_too_long(conn: _Connection, request: Request) -> bool:
    # What a server answers a URL this long; a correct crawl never asks.
    return conn.send(http_response("414 URI Too Long", [("Content-Type", "text/plain")], b"too long\n"))


# --- the server -------------------------------------------------------------------------------

class HostileServer(BackgroundServer, socketserver.ThreadingTCPServer):
    """Every case on one loopback port; a request log of what the crawler sent."""

    thread_name = "hostile-http"
    allow_reuse_address = True
    # socketserver's default backlog of 5 drops the SYNs of a crawler opening many connections
    # at once, and the kernel's SYN retries then stall it for seconds: a real server queues more.
    request_queue_size = 1024

    def __init__(self, log_path: Path | None = None):
        super().__init__((HOST, 0), _Handler)
        self.port = self.server_address[1]
        self.site = HostileSite(self.port)
        self._log = open(log_path, "a", encoding="utf-8") if log_path else None
        self._log_lock = threading.Lock()

    def stop(self) -> None:
        super().stop()
        if self._log is not None:
            self._log.close()

    def record(self, request: Request) -> None:
        """One JSON line per request: what a test needs to prove nothing leaked (credentials)."""
        if self._log is None:
            return
        line = json.dumps({"method": request.method, "path": request.path[:200],
                           "headers": [[name, value[:200]] for name, value in request.headers]}, ensure_ascii=False)
        with self._log_lock:
            self._log.write(line + "\n")
            self._log.flush()

    def respond(self, conn: _Connection, request: Request) -> bool:
        site = self.site
        path = request.path.partition("?")[0]
        request = Request(request.method, path, request.headers)
        case = site.by_path.get(path)
        if case is None and path.startswith("/t/chain/"):
            case = site.by_path["/t/chain/0"]
        elif case is None and path.startswith("/t/loop/"):
            case = site.by_path["/t/loop/a"]
        if case is not None:
            return case.respond(conn, request)
        head = request.method == "HEAD"
        if path == "/":
            return conn.send(http_response("200 OK", [("Content-Type", "text/html; charset=utf-8")], site.home,
                                           head=head))
        if path.startswith("/many/"):
            return conn.send(http_response("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                           html_page("条目", "<p>正常的条目页面。</p>").encode("utf-8"), head=head))
        if path.startswith("/cap/"):
            return conn.send(http_response("200 OK", [("Content-Type", "text/html; charset=utf-8")],
                                           _cap_page(path), head=head))
        return conn.send(http_response("404 Not Found", [("Content-Type", "text/html; charset=utf-8")],
                                       html_page("404 页面不存在", "<p>您访问的页面不存在。</p>").encode("utf-8"),
                                       head=head))

    def handle_error(self, request, client_address) -> None:
        pass  # a client that gave up mid-answer is what these cases provoke


def _cap_page(path: str) -> bytes:
    """The page-cap unit: /cap/ and a chain /cap/1.html … /cap/CAP_PAGES.html, each linking the next."""
    name = path.rpartition("/")[2]
    number = int(name.partition(".")[0]) if name[:1].isdigit() else 0
    link = f'<a href="/cap/{number + 1}.html">第{number + 1}页</a>' if number < CAP_PAGES else ""
    return html_page(f"上限测试第{number}页", f"<p>{link}</p>").encode("utf-8")


class _Handler(socketserver.BaseRequestHandler):
    server: HostileServer

    def handle(self) -> None:
        self.request.settimeout(IDLE_SECONDS)
        conn = _Connection(self.request, self.server)
        keep_alive = True
        while keep_alive and not self.server.stopping.is_set():
            request = conn.read_request()
            if request is None:
                return
            self.server.record(request)
            keep_alive = self.server.respond(conn, request)


# --- the subprocess and its launcher ----------------------------------------------------------

def serve(directory: Path, parent_pid: int | None = None) -> int:
    def publish(server: HostileServer) -> dict:
        site = server.site
        write_atomic(directory / "sites.yaml", site.sites_yaml())
        write_atomic(directory / "truth.json", json.dumps(site.truth(), ensure_ascii=False, indent=1) + "\n")
        return {"port": server.port, "url": site.home_url, "timeout_seconds": TIMEOUT_SECONDS,
                "sites": str((directory / "sites.yaml").resolve()), "truth": str((directory / "truth.json").resolve()),
                "requests": str((directory / "requests.jsonl").resolve())}

    return serve_until_stopped(directory / "hostile.json", parent_pid,
                               lambda: HostileServer(directory / "requests.jsonl").start(), publish)


class HostileWebError(Exception):
    """The hostile web could not start (one-line message)."""


class HostileWeb(LoopbackWeb):
    """The hostile web in a subprocess, writing its files to `directory`:

        with HostileWeb(tmp_path) as web:
            run the crawl on web.sites_path with --timeout web.timeout; compare with web.truth
    """

    module = "tests.webs.hostile"
    name = "hostile"
    error = HostileWebError

    def __init__(self, directory: str | Path):
        super().__init__(directory)
        self.requests_path = self.directory / "requests.jsonl"

    @property
    def url(self) -> str:
        return self.info["url"]

    @property
    def timeout(self) -> float:
        return self.info["timeout_seconds"]

    def requests(self) -> list[dict]:
        """Every request the server has received so far."""
        with open(self.requests_path, encoding="utf-8") as lines:
            return [json.loads(line) for line in lines if line.endswith("\n")]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.webs.hostile",
                                     description="A loopback web of hostile answers for the crawler.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve", help="serve the hostile web on 127.0.0.1 until SIGTERM/SIGINT",
        description="Start the hostile HTTP server on 127.0.0.1, write DIR/sites.yaml, DIR/truth.json and, once "
                    "it answers, DIR/hostile.json; log every request to DIR/requests.jsonl; serve until SIGTERM or "
                    "SIGINT.")
    serve_parser.add_argument("--dir", required=True, type=Path, help="where to write sites.yaml, truth.json, hostile.json")
    serve_parser.add_argument("--parent-pid", type=int, help="exit when this process (the launcher) is gone")
    args = parser.parse_args(argv)
    return serve(args.dir, args.parent_pid)


if __name__ == "__main__":
    sys.exit(main())

"""Downloader middlewares and extensions, one job each."""
from __future__ import annotations

import asyncio
import codecs
import email.utils
import ipaddress
import time
from urllib.parse import urlsplit

from scrapy import signals
from scrapy.downloadermiddlewares.redirect import MetaRefreshMiddleware
from scrapy.exceptions import IgnoreRequest, NotConfigured, StopDownload
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.defer import deferred_to_future
from twisted.internet.error import DNSLookupError
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding, read_bom

from checks.link_checks import is_private_host
from crawler.crawl.page_text import script_redirect


class PrivateAddressBlocked(IgnoreRequest):
    """A public unit's link points into a private network: not fetched (a broken_link, docs/checks.md)."""


class PublicAddressGuardMiddleware:
    """Never fetch a private, loopback or link-local address on behalf of a public unit.

    Requests carry `unit_host`; the guard resolves it once to learn whether the unit is on the
    public internet, records that in `meta["unit_public"]`, and refuses targets (every redirect
    hop included, as they pass here again) that resolve to a non-public address. Units that are
    themselves on such addresses (the demo, tests) are checked normally.
    """

    def __init__(self, crawler):
        self.crawler = crawler
        self.public: dict[str, bool] = {}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request, spider=None):
        unit_host = request.meta.get("unit_host")
        if not unit_host:
            return None
        unit_public = await self._is_public(unit_host)
        request.meta["unit_public"] = unit_public
        target = urlsplit(request.url).hostname or ""
        if unit_public and not await self._is_public(target):
            raise PrivateAddressBlocked(f"{target} resolves to a non-public address")
        return None

    async def _is_public(self, host: str) -> bool:
        if host not in self.public:
            self.public[host] = await self._resolve_is_public(host)
        return self.public[host]

    async def _resolve_is_public(self, host: str) -> bool:
        try:
            ipaddress.ip_address(host.strip("[]"))
            return not is_private_host(host)
        except ValueError:
            pass
        if is_private_host(host):
            return False
        from twisted.internet import reactor  # late: importing it earlier would install the default reactor

        try:
            address = await deferred_to_future(reactor.resolve(host))
        except (DNSLookupError, Exception):
            # Unresolvable hosts are public for this purpose: the download reports the DNS failure.
            return True
        return not is_private_host(address)


def undeclared_encoding(body: bytes) -> str | None:
    """The encoding of a page that declares none: UTF-8 when it is valid UTF-8, else GB18030 when
    it is valid GB18030 (which covers GBK and GB2312), else None (left to Scrapy's guess)."""
    return next((encoding for encoding in ("utf-8", "gb18030") if _decodes(body, encoding)), None)


def _decodes(body: bytes, encoding: str, chunk: int = 1 << 16) -> bool:
    """Whether `body` is valid `encoding`, read in chunks: a page of 50 MB is never a 100 MB str."""
    decoder = codecs.getincrementaldecoder(encoding)()
    view = memoryview(body)
    try:
        for start in range(0, len(view), chunk):
            decoder.decode(view[start:start + chunk])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


class UndeclaredEncodingMiddleware:
    """Read a page that declares no encoding (no BOM, no charset in Content-Type or <meta>) as
    UTF-8 or else GB18030, the encodings of Chinese government sites.

    Scrapy would guess from the bytes, and a short GBK page came out as Korean (cp949): its
    section names unreadable, every section of its column would seem missing.
    """

    def process_response(self, request, response, spider=None):
        if not isinstance(response, TextResponse) or not response.body:
            return response
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
        declared = read_bom(response.body)[0] or http_content_type_encoding(content_type) \
            or html_body_declared_encoding(response.body)
        if declared:
            return response
        encoding = undeclared_encoding(response.body)
        return response.replace(encoding=encoding) if encoding else response


class ScriptRedirectMiddleware(MetaRefreshMiddleware):
    """Follow a page that only sends the browser on by script (`location.href = "…"`) as a redirect.

    Some sites answer their root with such a page: without this, the crawl would see a home page
    without links, and every section of the disclosure column would seem missing.
    """

    enabled_setting = "SCRIPT_REDIRECT_ENABLED"

    def process_response(self, request, response, spider=None):
        if (request.meta.get("dont_redirect") or request.method == "HEAD" or response.status != 200
                or not isinstance(response, HtmlResponse)):
            return response
        target = script_redirect(response.text)
        if target is None:
            return response
        redirected = self._redirect_request_using_get(request, response, response.urljoin(target))
        here, there = urlsplit(response.url), urlsplit(redirected.url)
        if there.scheme not in ("http", "https") or (there.netloc, there.path) == (here.netloc, here.path):
            return response  # not a move: a reload of the same page (with a token) is a challenge's way
        return self._redirect(redirected, request, "script redirect")


def retry_after_seconds(value: bytes | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), None if absent/bad."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


class RetryAfterMiddleware:
    """Retry 429 and 503 answers after the wait their Retry-After asks for (bounded), with back-off otherwise."""

    STATUSES = (429, 503)

    def __init__(self, max_wait: float, times: int):
        self.max_wait = max_wait
        self.times = times

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getfloat("RETRY_AFTER_MAX_SECONDS"), crawler.settings.getint("RETRY_AFTER_TIMES"))

    async def process_response(self, request, response, spider=None):
        if response.status not in self.STATUSES or request.meta.get("dont_retry"):
            return response
        attempt = request.meta.get("retry_after_attempt", 0)
        if attempt >= self.times:
            return response
        wait = retry_after_seconds(response.headers.get(b"Retry-After"))
        if wait is None:
            wait = 2.0**attempt  # back-off when the server gives no hint
        if wait > self.max_wait:
            return response
        await asyncio.sleep(wait)
        retry = request.replace(dont_filter=True)
        retry.meta["retry_after_attempt"] = attempt + 1
        return retry


class HeadersOnlyExtension:
    """Stop downloading a checked resource once its headers arrived, unless it is an HTML page.

    Attachments and images need only their status and type; an attachment link answering HTML
    keeps its body, which shows whether it is an error page.
    """

    def __init__(self, crawler):
        crawler.signals.connect(self.headers_received, signal=signals.headers_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def headers_received(self, headers, body_length, request, spider):
        if request.meta.get("headers_only") and b"html" not in (headers.get(b"Content-Type") or b"").lower():
            raise StopDownload(fail=False)


class DownloadedBytesExtension:
    """Counts the body bytes that really came over the network (stats `audit/bytes_received`).

    Scrapy's own response_bytes also counts pages the HTTP cache supplied after a 304.
    """

    def __init__(self, crawler):
        self.stats = crawler.stats
        crawler.signals.connect(self.bytes_received, signal=signals.bytes_received)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def bytes_received(self, data, request, spider):
        self.stats.inc_value("audit/bytes_received", len(data))


class CrawlWindowExtension:
    """Close the crawl when the crawl window agreed with the sites' operators ends.

    The run stops like an interrupted one (reason `crawl_window`) and the next run with the same
    command, within 24 hours, resumes it: a large night's work spreads over several windows.
    """

    REASON = "crawl_window"

    def __init__(self, crawler, closes_at: float):
        self.crawler = crawler
        self.closes_at = closes_at  # epoch seconds: the same moment for every worker process of the run
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler):
        closes_at = crawler.settings.getfloat("AUDIT_WINDOW_CLOSES_AT")
        if not closes_at:
            raise NotConfigured
        return cls(crawler, closes_at)

    def spider_opened(self, spider):
        from twisted.internet import reactor  # late: importing it earlier would install the default reactor

        reactor.callLater(max(0.0, self.closes_at - time.time()), self._close, spider)

    def _close(self, spider):
        from twisted.internet import reactor  # late: importing it earlier would install the default reactor

        engine = self.crawler.engine
        if engine is None or engine.spider is None:
            return  # the crawl ended before the window did
        if not engine.running:  # a worker that opened after the window closed: stop it as soon as it starts
            reactor.callLater(0.1, self._close, spider)
            return
        engine.close_spider(spider, self.REASON)

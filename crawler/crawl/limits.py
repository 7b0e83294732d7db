"""Limits of the crawl: the ones Scrapy lacks, and the name of every limit hit.

Scrapy stops a download at DOWNLOAD_MAXSIZE (also while decompressing), DOWNLOAD_TIMEOUT and
REDIRECT_MAX_TIMES. Two downloader middlewares here add what it lacks: a URL length limit that
fails the request where the spider sees it (Scrapy's own only drops it from a callback's output,
silently), and credentials in a URL that never leave the crawler. `limit_failure` names the limit
behind a failed download (an error kind of checks.facts), and `response_notes` what a page that
did arrive went past (FetchResult.notes), so that the spider records both as facts; the checks
(checks.crawl_checks) sum them per unit for run.json and the unit's crawl_limit row.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from scrapy.exceptions import DownloadCancelledError, IgnoreRequest
from scrapy.http import TextResponse

# error kinds (checks.facts.LIMIT_ERROR_KINDS) of a download a limit stopped: not judged
TOO_LARGE, DECOMPRESSED_TOO_LARGE, URL_TOO_LONG = "too_large", "decompressed_too_large", "url_too_long"
# FetchResult.notes of a page that arrived: past the warn size, or bytes that did not decode
WARN_SIZE, UNDECODABLE = "download_warnsize", "undecodable_text"


class UrlTooLong(IgnoreRequest):
    """A URL longer than URLLENGTH_LIMIT: not requested (servers answer 414 or worse)."""


class UrlLengthLimitMiddleware:
    """Fail requests whose URL exceeds URLLENGTH_LIMIT, redirect targets included, before they leave."""

    def __init__(self, limit: int):
        self.limit = limit

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.settings.getint("URLLENGTH_LIMIT"))

    def process_request(self, request, spider=None):
        if self.limit and len(request.url) > self.limit:
            raise UrlTooLong(f"{len(request.url)} chars > URLLENGTH_LIMIT {self.limit}")
        return None


def without_credentials(url: str) -> str:
    """`url` without the user:password@ of its authority."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class StripCredentialsMiddleware:
    """Never send the credentials a link carries (http://user:password@host/): not in an
    Authorization header, not in the Host header, not as a name to a DNS server. The request goes
    on without them, as the public sees the page; redirect hops pass here again."""

    def process_request(self, request, spider=None):
        if "@" not in urlsplit(request.url).netloc:
            return None
        return request.replace(url=without_credentials(request.url))


_DECLARED = re.compile(r"Expected to receive (\d+) bytes")
_COMPRESSED = re.compile(r"\((\d+) B compressed")


def limit_failure(exc: BaseException, maxsize: int) -> tuple[str, str] | None:
    """(error kind, technical message) when a limit stopped the download that raised `exc`."""
    if isinstance(exc, UrlTooLong):
        return URL_TOO_LONG, str(exc)
    if isinstance(exc, DownloadCancelledError):
        # Scrapy cancels a download at DOWNLOAD_MAXSIZE: before the body when Content-Length
        # announces more (the message says how much), or once the body passed it (no message).
        # Timeouts raise their own error, and a closing spider lets downloads finish.
        declared = _DECLARED.search(str(exc))
        if declared:
            return TOO_LARGE, f"Content-Length {declared[1]} > DOWNLOAD_MAXSIZE {maxsize}"
        return TOO_LARGE, f"body > DOWNLOAD_MAXSIZE {maxsize}"
    if isinstance(exc, IgnoreRequest) and "during decompression" in str(exc):
        compressed = _COMPRESSED.search(str(exc))
        size = f"{compressed[1]} B compressed, " if compressed else ""
        return DECOMPRESSED_TOO_LARGE, f"{size}> DOWNLOAD_MAXSIZE {maxsize} decompressed"
    return None


def response_notes(response, warnsize: int) -> list[str]:
    """What a page that arrived went past: the warn size, characters its encoding could not give."""
    notes = []
    if warnsize and len(response.body) > warnsize:
        notes.append(WARN_SIZE)
    if isinstance(response, TextResponse) and undecodable_characters(response):
        notes.append(UNDECODABLE)
    return notes


def undecodable_characters(response: TextResponse) -> int:
    """How many U+FFFD replacement characters decoding put into the page's text.

    A page whose <meta charset> lies, or that mixes GBK and UTF-8 bytes, reads with U+FFFD where
    bytes did not decode; a U+FFFD the page really holds is not counted.
    """
    replaced = response.text.count("\ufffd")
    if not replaced:
        return 0
    try:
        literal = response.body.count("\ufffd".encode(response.encoding))
    except (LookupError, UnicodeEncodeError):  # GBK and the like cannot even write U+FFFD
        literal = 0
    return max(0, replaced - literal)


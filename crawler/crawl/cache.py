"""Change-aware nightly crawls: crawled pages are kept between runs and revalidated every time.

A page is never served from the cache unvalidated: each run asks the server with
If-None-Match / If-Modified-Since and uses the kept copy only on 304, so a night where little
changed downloads little, while a page that broke overnight is still seen broken (a 5xx is
never papered over by the cache). Link checks and attachments are never cached.
"""
from __future__ import annotations

import logging
import shutil

from scrapy.extensions.httpcache import FilesystemCacheStorage, RFC2616Policy

logger = logging.getLogger(__name__)

CACHE_META = "cache_page"  # set on the requests of pages the crawl parses


class RevalidateEveryTimePolicy(RFC2616Policy):
    def should_cache_request(self, request) -> bool:
        return bool(request.meta.get(CACHE_META)) and super().should_cache_request(request)

    def should_cache_response(self, response, request) -> bool:
        has_validator = b"ETag" in response.headers or b"Last-Modified" in response.headers
        return response.status == 200 and has_validator and super().should_cache_response(response, request)

    def is_cached_response_fresh(self, cachedresponse, request) -> bool:
        self._set_conditional_validators(request, cachedresponse)
        return False

    def is_cached_response_valid(self, cachedresponse, response, request) -> bool:
        return response.status == 304


class KeptPagesStorage(FilesystemCacheStorage):
    """The page cache on disk; a page the disk cannot take is simply not kept (fetched in full next
    time), and what was half written of it is removed, so that a 304 never brings back a cut body.
    The run store's own writes are what stops a run on a full disk."""

    def store_response(self, spider, request, response) -> None:
        try:
            super().store_response(spider, request, response)
        except OSError as exc:
            shutil.rmtree(self._get_request_path(spider, request), ignore_errors=True)
            logger.warning("page not kept in the cache (%s): %s", exc, request.url)

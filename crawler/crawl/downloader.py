"""Scrapy's downloader, holding each host to its concurrency when there is no download delay.

Scrapy 2.19 with the asyncio reactor starts a slot's downloads as asyncio tasks, and a request
counts as transferring only once its task runs. With no download delay (`--no-throttle`), one
pass over a slot's queue therefore starts everything queued: a site saw up to
CONCURRENT_REQUESTS (40) requests at once instead of `--concurrency`, and the connection pool,
which keeps that many connections per host, closed and reopened one per request. Counting a
request as transferring when it leaves the queue keeps the limit (politeness) and the
connections alive. With a delay, Scrapy starts one request per pass and this changes nothing.
"""
from __future__ import annotations

from time import monotonic

from scrapy.core.downloader import Downloader, Slot
from scrapy.utils.defer import _schedule_coro


class SlotLimitedDownloader(Downloader):
    def _process_queue(self, slot: Slot) -> None:
        if slot.latercall or slot.download_delay():
            super()._process_queue(slot)  # one request per pass: the limit holds
            return
        while slot.queue and slot.free_transfer_slots() > 0:
            slot.lastseen = monotonic()
            request, queue_dfd = slot.queue.popleft()
            slot.transferring.add(request)  # now, not when the task starts (_download adds it again)
            _schedule_coro(self._wait_for_download(slot, request, queue_dfd))

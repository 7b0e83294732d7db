"""Scrapy's scheduler, keeping the head of the frontier in memory and spilling the rest to disk.

A large site's frontier is most of a crawl's memory, so requests waiting their turn may wait in
Scrapy's disk queue (JOBDIR). Writing one there costs more than fetching it (the request is
turned into a dict, its callback looked up by name among the spider's members, pickled, read
back): a crawl whose frontier fits in SCHEDULER_MEMORY_REQUESTS pays none of it.
"""
from __future__ import annotations

from scrapy.core.scheduler import Scheduler


class SpillingScheduler(Scheduler):
    """Requests wait in memory while fewer than SCHEDULER_MEMORY_REQUESTS do, beyond that on disk.

    First in, first out across both: while any request waits on disk, new ones queue behind it
    there, and the memory queue (older) is served first."""

    memory_requests = 0

    @classmethod
    def from_crawler(cls, crawler):
        scheduler = super().from_crawler(crawler)
        scheduler.memory_requests = crawler.settings.getint("SCHEDULER_MEMORY_REQUESTS")
        return scheduler

    def _dqpush(self, request) -> bool:
        if self.dqs is not None and not len(self.dqs) and len(self.mqs) < self.memory_requests:
            return False  # the memory queue takes it
        return super()._dqpush(request)

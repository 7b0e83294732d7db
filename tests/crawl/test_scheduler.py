"""The frontier waits in memory up to SCHEDULER_MEMORY_REQUESTS requests, beyond that on disk,
first in first out across both."""
import scrapy
from scrapy.utils.test import get_crawler

from crawler.crawl.scheduler import SpillingScheduler


def scheduler_for(tmp_path, memory_requests: int) -> SpillingScheduler:
    crawler = get_crawler(scrapy.Spider, {"JOBDIR": str(tmp_path / "queue"), "SCHEDULER_MEMORY_REQUESTS": memory_requests,
                                          "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
                                          "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
                                          # one host's queue: the per-host one needs a running downloader
                                          "SCHEDULER_PRIORITY_QUEUE": "scrapy.pqueues.ScrapyPriorityQueue"})
    crawler.spider = crawler._create_spider("frontier")
    scheduler = SpillingScheduler.from_crawler(crawler)
    scheduler.open(crawler.spider)
    return scheduler


def drain(scheduler: SpillingScheduler) -> list[str]:
    urls = []
    while (request := scheduler.next_request()) is not None:
        urls.append(request.url)
    return urls


def test_a_frontier_within_the_limit_never_touches_the_disk(tmp_path):
    scheduler = scheduler_for(tmp_path, memory_requests=100)
    urls = [f"http://127.0.0.1/{n}.html" for n in range(10)]
    for url in urls:
        scheduler.enqueue_request(scrapy.Request(url, dont_filter=True))
    assert drain(scheduler) == urls
    assert scheduler.stats.get_value("scheduler/enqueued/disk") is None
    scheduler.close("finished")


def test_a_larger_frontier_spills_to_disk_and_keeps_its_order(tmp_path):
    scheduler = scheduler_for(tmp_path, memory_requests=3)
    first = [f"http://127.0.0.1/a{n}.html" for n in range(5)]
    for url in first:
        scheduler.enqueue_request(scrapy.Request(url, dont_filter=True))
    assert scheduler.stats.get_value("scheduler/enqueued/memory") == 3
    assert scheduler.stats.get_value("scheduler/enqueued/disk") == 2
    # served from memory while requests wait on disk: a new one queues behind those, on disk
    assert scheduler.next_request().url == first[0]
    scheduler.enqueue_request(scrapy.Request("http://127.0.0.1/b.html", dont_filter=True))
    assert scheduler.stats.get_value("scheduler/enqueued/disk") == 3
    assert drain(scheduler) == first[1:] + ["http://127.0.0.1/b.html"]
    # the disk emptied: the memory takes new requests again
    scheduler.enqueue_request(scrapy.Request("http://127.0.0.1/c.html", dont_filter=True))
    assert scheduler.stats.get_value("scheduler/enqueued/memory") == 4
    scheduler.close("finished")

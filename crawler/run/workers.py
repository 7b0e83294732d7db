"""The crawl of a run, in this process or sharded over worker processes (one per core).

Each worker crawls its share of the units into a store of its own (no write contention), and
claims its link checks in the run's claim file, so a URL is fetched once per run whichever
worker meets it first; each unit's hosts stay with one worker, whose Scrapy keeps their per-host
politeness. When the workers are done their stores are merged into the run store.
"""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from dataclasses import dataclass, replace
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from crawler.crawl.options import CrawlOptions, crawl_settings
from crawler.crawl.spiders.audit import AuditSpider
from crawler.crawl.store import ClaimStore, RunStore
from crawler.sites import Unit

PARENT_WATCH_SECONDS = 1.0
INTERRUPTED = ("shutdown", "crawl_window")  # finish reasons of a crawl the same command resumes
COUNTED_STATS = ("downloader/request_count", "audit/bytes_received", "httpcache/revalidate")


@dataclass(frozen=True)
class CrawlJob:
    """What a crawl needs, picklable for a worker process."""

    units: list[Unit]
    options: CrawlOptions
    store_path: Path
    log_file: Path
    site_when_no_column: bool = False
    resume: bool = False
    claims_path: Path | None = None  # set for the workers of a sharded run
    discover_only: bool = False  # `sites check`: home pages only


def crawl(job: CrawlJob, analyzer, progress=None) -> dict:
    """Run the Scrapy crawl of `job` here; its stats (finish_reason included)."""
    store = RunStore(job.store_path)
    claims = ClaimStore(job.claims_path) if job.claims_path else None
    process = CrawlerProcess(crawl_settings(job.options, job.log_file))
    crawler = process.create_crawler(AuditSpider)
    process.crawl(crawler, units=job.units, store=store, analyzer=analyzer, scope_override=job.options.scope,
                  progress=progress, site_when_no_column=job.site_when_no_column, resume=job.resume,
                  claims=claims, discover_only=job.discover_only)
    process.start()
    store.close()
    if claims:
        claims.close()
    return crawler.stats.get_stats() if crawler.stats else {}


def shards(units: list[Unit], count: int) -> list[list[Unit]]:
    """Units dealt round-robin: the same units and count give the same shards (a resume finds its stores)."""
    return [units[i::count] for i in range(count) if units[i::count]]


def crawl_sharded(job: CrawlJob, analyzer, workers: int) -> dict:
    """The crawl of `job` over `workers` processes, merged into its store; stats summed."""
    if workers <= 1 or len(job.units) <= 1:
        return crawl(job, analyzer)
    parts = [replace(job, units=units, store_path=job.store_path.with_name(f"crawl-{index}.sqlite"),
                     claims_path=job.store_path.with_name("claims.sqlite"))
             for index, units in enumerate(shards(job.units, workers))]
    if job.resume:
        _release_unfinished_claims(parts)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: Scrapy's reactor is per process
    results = context.Queue()
    processes = [context.Process(target=_worker, args=(part, analyzer, results, os.getpid())) for part in parts]
    for process in processes:
        process.start()
    previous = signal.signal(signal.SIGTERM, lambda *_: [os.kill(p.pid, signal.SIGTERM) for p in processes])
    try:
        reports = [results.get() for _ in processes]
        for process in processes:
            process.join()
    finally:
        signal.signal(signal.SIGTERM, previous)
    reasons = {r.get("finish_reason") for r in reports}
    if not reasons & set(INTERRUPTED):
        _merge(job.store_path, parts)  # an interrupted run resumes from the workers' stores
    totals = {name: sum(r.get(name) or 0 for r in reports) for name in COUNTED_STATS}
    totals["finish_reason"] = next((why for why in (*INTERRUPTED, "closespider_timeout") if why in reasons),
                                   "finished" if reasons == {"finished"} else ",".join(sorted(map(str, reasons))))
    return totals


def _merge(store_path: Path, parts: list[CrawlJob]) -> None:
    """The workers' stores into the run store; then they and the claims are gone."""
    store = RunStore(store_path)
    for part in parts:
        store.merge(part.store_path)
    store.close()
    for path in [part.store_path for part in parts] + [parts[0].claims_path]:
        for leftover in path.parent.glob(path.name + "*"):  # with its -wal and -shm files
            leftover.unlink()


def _release_unfinished_claims(parts: list[CrawlJob]) -> None:
    """Checks that were claimed but never got a result (in flight at the kill) are claimable again."""
    done: set[str] = set()
    for part in parts:
        if part.store_path.exists():
            store = RunStore(part.store_path)
            done.update(store.result_keys())
            store.close()
    claims = ClaimStore(parts[0].claims_path)
    claims.reset(done)
    claims.close()


def _worker(job: CrawlJob, analyzer, results, parent_pid: int) -> None:
    threading.Thread(target=_stop_when_orphaned, args=(parent_pid,), daemon=True).start()
    stats = {}
    try:
        stats = crawl(job, analyzer)
    finally:
        results.put({name: stats.get(name, 0) for name in COUNTED_STATS} | {"finish_reason": stats.get("finish_reason")})


def _stop_when_orphaned(parent_pid: int) -> None:
    """A worker whose run was killed (SIGKILL) stops as if told to, keeping what it committed."""
    while os.getppid() == parent_pid:
        threading.Event().wait(PARENT_WATCH_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)

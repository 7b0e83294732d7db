"""The crawl of a run, in this process or sharded over worker processes (one per core).

Each worker crawls its share of the units into a store of its own (no write contention), and
claims its link checks in the run's claim file, so a URL is fetched once per run whichever
worker meets it first; each unit's hosts stay with one worker, whose Scrapy keeps their per-host
politeness. When the workers are done their stores are merged into the run store.

Crash safety: the shares are fixed in the claim file when the run starts, so a resume (same
run folder) gives each worker its own store back. A worker that dies alone (killed, out of
memory, a crash) is noticed by the main process and started again on its share: it resumes
from its store, the checks it had claimed but not finished are released first. A worker holds
a lock on its share while it runs, so a resumed run waits for the workers of a killed one to
stop before it touches their stores.
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import multiprocessing
import os
import shutil
import signal
import threading
from collections import Counter
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from crawler.crawl.known import Night
from crawler.crawl.options import CrawlOptions, crawl_settings
from crawler.crawl.spiders.audit import AuditSpider
from crawler.crawl.store import ClaimStore, RunStore, StoreError
from crawler.sites import Unit

PARENT_WATCH_SECONDS = 1.0
INTERRUPTED = ("shutdown", "crawl_window")  # finish reasons of a crawl the same command resumes
STORAGE_ERROR = "storage_error"  # the run store could not be written: the run fails, resumable
WORKER_DIED = "worker_died"  # a worker kept dying on its share: the run fails, resumable
RESTARTS_PER_WORKER = 2
COUNTED_STATS = ("downloader/request_count", "audit/bytes_received", "httpcache/revalidate")
CLAIMS_FILE = "claims.sqlite"
WORKER_STORE_PREFIX = "crawl-"  # crawl-0.sqlite, crawl-0.lock, ... in the run folder


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
    shard: int | None = None  # which worker of a sharded run
    discover_only: bool = False  # `sites check`: home pages only
    window_closes_at: float | None = None  # epoch seconds: the crawl stops there (run --window)
    night: Night | None = None  # a nightly run: the known web and what is due tonight


def crawl(job: CrawlJob, analyzer, progress=None) -> dict:
    """Run the Scrapy crawl of `job` here; its stats (finish_reason included)."""
    # A log line the disk cannot take is dropped quietly: the store's own failure stops the crawl.
    logging.raiseExceptions = False
    store = RunStore(job.store_path)
    claims = ClaimStore(job.claims_path, job.shard) if job.claims_path else None
    settings = crawl_settings(job.options, job.log_file, job.window_closes_at)
    # Requests waiting their turn beyond SCHEDULER_MEMORY_REQUESTS wait on disk, not in memory: a
    # large site's frontier is most of a crawl's memory. The queue is this process's scratch: a
    # resume re-derives what is left from the run store, so it starts empty and goes with the crawl.
    queue_dir = job.store_path.with_suffix(".queue")
    shutil.rmtree(queue_dir, ignore_errors=True)
    settings.set("JOBDIR", str(queue_dir), priority="cmdline")
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(AuditSpider)
    process.crawl(crawler, units=job.units, store=store, analyzer=analyzer, scope_override=job.options.scope,
                  progress=progress, site_when_no_column=job.site_when_no_column, resume=job.resume,
                  claims=claims, discover_only=job.discover_only, night=job.night)
    try:
        process.start()
    finally:
        shutil.rmtree(queue_dir, ignore_errors=True)
    stats = crawler.stats.get_stats() if crawler.stats else {}
    try:
        store.close()
    except StoreError:
        pass  # kept in store.failure
    if claims:
        claims.close()
    failure = store.failure or (claims.failure if claims else "")
    if failure or stats.get("finish_reason") == STORAGE_ERROR:
        stats["finish_reason"] = STORAGE_ERROR
        stats["error"] = failure
    return stats


def crawl_sharded(job: CrawlJob, analyzer, workers: int) -> dict:
    """The crawl of `job` over `workers` processes, merged into its store; stats summed.

    A resumed run keeps the shape it started with: one process when its run store holds the
    facts (a single-process run, or a sharded one merged already), else the shares of its
    claim file, whatever `workers` says now."""
    claims_path = job.store_path.with_name(CLAIMS_FILE)
    if job.resume and job.store_path.exists() and not claims_path.exists():
        stats = crawl(job, analyzer)
        _remove_worker_files(job.store_path.parent)  # left by a merge killed before it tidied up
        return stats
    if not claims_path.exists() and (workers <= 1 or len(job.units) <= 1):
        return crawl(job, analyzer)
    claims = ClaimStore(claims_path)
    layout = claims.layout([unit.id for unit in job.units], workers)
    claims.close()
    parts = [replace(job, units=[unit for unit in job.units if layout[unit.id] == shard],
                     store_path=job.store_path.with_name(f"{WORKER_STORE_PREFIX}{shard}.sqlite"),
                     claims_path=claims_path, shard=shard)
             for shard in sorted(set(layout.values()))]
    reports = _run_workers(parts, analyzer)
    reasons = {report.get("finish_reason") for report in reports}
    if not reasons & {*INTERRUPTED, STORAGE_ERROR, WORKER_DIED}:
        _merge(job.store_path, parts)  # an interrupted run resumes from the workers' stores
    totals = {name: sum(report.get(name) or 0 for report in reports) for name in (*COUNTED_STATS, "worker_restarts")}
    totals["finish_reason"] = next(
        (why for why in (STORAGE_ERROR, WORKER_DIED, *INTERRUPTED, "closespider_timeout") if why in reasons),
        "finished" if reasons == {"finished"} else ",".join(sorted(map(str, reasons))))
    totals["error"] = next((report["error"] for report in reports if report.get("error")), "")
    return totals


def _run_workers(parts: list[CrawlJob], analyzer) -> list[dict]:
    """Run a worker per part until each has finished its share (or the run is stopped); their reports.

    A worker that ends without finishing while the run goes on (killed alone, out of memory, a
    crash, a SIGTERM of its own) is started again on its share, at most RESTARTS_PER_WORKER times."""
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: Scrapy's reactor is per process
    running: dict[int, tuple] = {}
    reports: dict[int, dict] = {}
    restarts: Counter = Counter()
    stopping: list[int] = []

    def start(part: CrawlJob) -> None:
        if part.resume:
            _release_unfinished_claims(part)
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_worker, args=(part, analyzer, sender, os.getpid()))
        process.start()
        sender.close()
        running[part.shard] = (process, receiver, part)

    def stop(signum, _frame) -> None:
        stopping.append(signum)
        for process, _, _ in running.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGTERM)

    previous = {signum: signal.signal(signum, stop) for signum in (signal.SIGTERM, signal.SIGINT)}
    try:
        for part in parts:
            start(part)
        while running:
            ended = wait([process.sentinel for process, _, _ in running.values()])
            for shard, (process, receiver, part) in list(running.items()):
                if process.sentinel not in ended:
                    continue
                process.join()
                del running[shard]
                report = _received(receiver) or {}
                if report.get("finish_reason") not in (None, "shutdown"):
                    reports[shard] = report | {"worker_restarts": restarts[shard]}
                elif stopping:
                    reports[shard] = report | {"finish_reason": "shutdown", "worker_restarts": restarts[shard]}
                elif restarts[shard] < RESTARTS_PER_WORKER:
                    restarts[shard] += 1
                    start(replace(part, resume=True))
                else:
                    units = ", ".join(unit.id for unit in part.units)
                    reports[shard] = {"finish_reason": WORKER_DIED, "worker_restarts": restarts[shard],
                                      "error": f"the crawl worker of {units} stopped {restarts[shard] + 1} times "
                                               f"(last exit code {process.exitcode})"}
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return list(reports.values())


def _received(receiver: Connection) -> dict | None:
    """The worker's report; None when it died before sending one."""
    try:
        return receiver.recv() if receiver.poll() else None
    except (EOFError, OSError):
        return None
    finally:
        receiver.close()


def _merge(store_path: Path, parts: list[CrawlJob]) -> None:
    """The workers' stores into the run store, made afresh (a merge cut short is done again); then
    the claim file goes, which says the facts are in the merged store, then the workers' files."""
    _remove(store_path)
    store = RunStore(store_path)
    for part in parts:
        store.merge(part.store_path)
    store.close()
    _remove(parts[0].claims_path)
    _remove_worker_files(store_path.parent)


def _remove(path: Path) -> None:
    for leftover in path.parent.glob(path.name + "*"):  # with its -wal and -shm files
        leftover.unlink()


def _remove_worker_files(run_dir: Path) -> None:
    for leftover in run_dir.glob(f"{WORKER_STORE_PREFIX}[0-9]*"):
        leftover.unlink()


def _share_lock(part: CrawlJob) -> Path:
    return part.store_path.with_suffix(".lock")


def _release_unfinished_claims(part: CrawlJob) -> None:
    """Before a worker takes up a share again: wait for a worker of a killed run still stopping on
    it, then make what it had claimed but not finished (in flight at the kill) claimable again."""
    with open(_share_lock(part), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done: set[str] = set()
        if part.store_path.exists():
            store = RunStore(part.store_path)
            done.update(store.result_keys())
            store.close()
        claims = ClaimStore(part.claims_path)
        claims.release(part.shard, done)
        claims.close()


def _worker(job: CrawlJob, analyzer, report: Connection, parent_pid: int) -> None:
    stats: dict = {}
    with open(_share_lock(job), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until this process ends, however it ends
        if os.getppid() != parent_pid:
            return  # the run that started it is gone already
        threading.Thread(target=_stop_when_orphaned, args=(parent_pid,), daemon=True).start()
        try:
            stats = crawl(job, analyzer)
        except StoreError as exc:
            stats = {"finish_reason": STORAGE_ERROR, "error": str(exc)}
        finally:
            report.send({name: stats.get(name, 0) for name in COUNTED_STATS}
                        | {"finish_reason": stats.get("finish_reason"), "error": stats.get("error", "")})


def _stop_when_orphaned(parent_pid: int) -> None:
    """A worker whose run was killed (SIGKILL) stops as if told to, keeping what it committed."""
    while os.getppid() == parent_pid:
        threading.Event().wait(PARENT_WATCH_SECONDS)
    os.kill(os.getpid(), signal.SIGTERM)

"""The product's own work on a site, without the network and without Scrapy's engine.

The audit spider's callbacks are replayed over a generated site read from disk (every answer
built from its file, a 404 for a missing one, as nginx answers), then the unit's assessment runs
on the run store they filled. It prints the CPU seconds of each: the part of a crawl's time that
the product's own code costs, measured apart from what Scrapy and the server cost (`run.py`
compares the whole with the Scrapy-alone floor). Two checkouts are compared by running each on
the same site; `--profile FILE` writes cProfile statistics of both phases.

    python -m benchmarks.replay --pages 10000 [--site DIR] [--profile FILE]
"""
from __future__ import annotations

import argparse
import asyncio
import cProfile
import tempfile
import time
from collections import deque
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from scrapy import Request
from scrapy.exceptions import DontCloseSpider
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from benchmarks.generate_site import generate
from benchmarks.run import at_least
from checks.regulations import default_library_dir, load_library
from checks.rules import load_rules
from crawler.crawl.options import CrawlOptions, crawl_settings
from crawler.crawl.page_facts import PageAnalyzer
from crawler.crawl.spiders.audit import AuditSpider
from crawler.crawl.store import RunStore
from crawler.outcome.assess import Context, assess_unit
from crawler.sites import Unit

ORIGIN = "http://127.0.0.1:8000"  # never contacted: every answer comes from the site's files
NOT_FOUND = b"<html><head><title>404 Not Found</title></head><body><h1>404 Not Found</h1><hr>nginx</body></html>"
TODAY = date(2026, 1, 5)


class ReplayedSite:
    """Answers a request from the site's files, as the benchmark's nginx would: a page with its
    bytes and `text/html` (no charset: Scrapy reads it from the page), a HEAD without a body."""

    def __init__(self, directory: Path):
        self.directory = directory

    def answer(self, request: Request) -> Response:
        path = request.url.removeprefix(ORIGIN).partition("?")[0].lstrip("/") or "index.html"
        file = self.directory / path
        if not file.is_file():
            return HtmlResponse(request.url, status=404, body=NOT_FOUND, request=request,
                                headers={b"Content-Type": b"text/html"})
        body = file.read_bytes()
        headers = {b"Content-Type": b"text/html" if file.suffix == ".html" else b"application/octet-stream",
                   b"Content-Length": str(len(body)).encode()}
        if request.method == "HEAD" or request.meta.get("headers_only"):
            body = b""
        kind = HtmlResponse if file.suffix == ".html" else Response
        return kind(request.url, status=200, body=body, headers=headers, request=request)


def replay(site: Path, scratch: Path, profiler: cProfile.Profile | None = None) -> dict:
    """Crawl `site` through the spider's callbacks and assess it; CPU seconds of both, and what was found."""
    rules, library = load_rules(), load_library(default_library_dir())
    unit = Unit("replay", "replay", ORIGIN + "/", None, "site", 4, 1_000_000)
    store = RunStore(scratch / "crawl.sqlite")
    settings = crawl_settings(CrawlOptions(concurrency=10, no_throttle=True, timeout=10), scratch / "crawl.log")
    settings = {**settings.copy_to_dict(), "TWISTED_REACTOR_ENABLED": False}  # no reactor: nothing is downloaded
    crawler = get_crawler(AuditSpider, settings)
    spider = AuditSpider.from_crawler(crawler, units=[unit], store=store, analyzer=PageAnalyzer(rules, library, TODAY))
    waiting: deque[Request] = deque()
    crawler.engine = SimpleNamespace(crawl=waiting.append)  # what on_idle schedules joins the queue
    answers = ReplayedSite(site)

    def run(step):
        if profiler is not None:
            profiler.enable()
        try:
            return step()
        finally:
            if profiler is not None:
                profiler.disable()

    started = time.process_time()
    waiting.extend(run(lambda: asyncio.run(_start_requests(spider))))
    callbacks = 0.0
    answered = 0
    while waiting:
        request = waiting.popleft()
        response = answers.answer(request)
        answered += 1
        before = time.process_time()
        waiting.extend(run(lambda: [r for r in request.callback(response) or () if isinstance(r, Request)]))
        callbacks += time.process_time() - before
        if not waiting:
            before = time.process_time()
            try:
                run(spider.on_idle)
            except DontCloseSpider:
                pass  # it scheduled more: the queue holds it
            callbacks += time.process_time() - before
    spider.on_closed(reason="finished")
    store.close()
    before = time.process_time()
    store = RunStore(scratch / "crawl.sqlite")
    report = run(lambda: assess_unit(store, unit, Context(TODAY, rules, {ORIGIN.removeprefix("http://"): unit.name})))
    store.close()
    assessment = time.process_time() - before
    return {"answers": answered, "pages": spider.counts["pages"], "callbacks_s": callbacks,
            "assessment_s": assessment, "total_s": time.process_time() - started, "findings": report.findings}


async def _start_requests(spider: AuditSpider) -> list[Request]:
    return [request async for request in spider.start()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.replay", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=at_least(2), default=10_000, help="site size when generated (default 10000)")
    parser.add_argument("--links", type=at_least(1), default=20, help="links per page when generated (default 20)")
    parser.add_argument("--site", type=Path, help="a site generate_site wrote (generated there when missing)")
    parser.add_argument("--profile", type=Path, help="write cProfile statistics of the replay here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="replay-") as scratch:
        site = args.site or Path(scratch) / "site"
        if not (site / "truth.json").exists():
            generate(site, args.pages, args.links)
        profiler = cProfile.Profile() if args.profile else None
        outcome = replay(site, Path(scratch), profiler)
        if profiler is not None:
            profiler.dump_stats(args.profile)
    checks = {}
    for finding in outcome["findings"]:
        checks[finding.check] = checks.get(finding.check, 0) + 1
    print(f"{site}: {outcome['answers']} answers, {outcome['pages']} pages; callbacks {outcome['callbacks_s']:.2f} CPU s, "
          f"assessment {outcome['assessment_s']:.2f} CPU s, total {outcome['total_s']:.2f} CPU s; findings "
          + ", ".join(f"{check} {count}" for check, count in sorted(checks.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Scrapy alone on the benchmark site: the floor under any crawler built on it, the product included.

Fetches every URL the site's pages link to (pages, missing pages, images, attachments, the
stylesheet), known in advance from the generated site, with the product's own Scrapy settings
(`crawler.settings` as `check --concurrency N --no-throttle` sets them: downloader, middlewares,
extensions, event loop) and callbacks that only count the answers: no link extraction, no store,
no checks, no report. With `--processes 2` the list is split over two processes, as a crawl
sharded over both cores could at best split it. The product does all of this and more, so its
time can only be longer: the floor says how far any change to the product's own code can go.

    python -m benchmarks.scrapy_floor URL URLS_FILE --concurrency 10 [--processes 2] --out FILE

URLS_FILE holds one path per line; FILE gets one "status URL" line per answer (0: no answer).
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import scrapy
from scrapy.crawler import CrawlerProcess

from benchmarks.run import at_least
from crawler.crawl.options import CrawlOptions, crawl_settings
from crawler.crawl.spiders.audit import HANDLED_STATUSES


def fetch_all(base_url: str, paths: list[str], concurrency: int, out: Path) -> None:
    """Fetch `paths` under `base_url` with the product's Scrapy settings; write "status URL" lines."""
    with tempfile.TemporaryDirectory(prefix="scrapy-floor-") as scratch:
        # what `check URL --concurrency N --no-throttle --timeout 10` (benchmarks.run) asks for
        options = CrawlOptions(concurrency=concurrency, no_throttle=True, timeout=10)
        settings = crawl_settings(options, Path(scratch) / "crawl.log")
        answers: list[str] = []

        class FloorSpider(scrapy.Spider):
            name = "scrapy-floor"

            async def start(self):
                for path in paths:
                    yield scrapy.Request(base_url + path, callback=self.answered, errback=self.failed,
                                         dont_filter=True, meta={"handle_httpstatus_list": HANDLED_STATUSES})

            def answered(self, response):
                answers.append(f"{response.status} {response.request.url}")
                return ()

            def failed(self, failure):
                answers.append(f"0 {failure.request.url}")

        process = CrawlerProcess(settings)
        process.crawl(FloorSpider)
        process.start()
    out.write_text("".join(line + "\n" for line in answers), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scrapy_floor", description=__doc__.split("\n\n")[0])
    parser.add_argument("url", help="the site's root URL, ending in /")
    parser.add_argument("urls_file", type=Path, help="one path per line")
    parser.add_argument("--concurrency", type=at_least(1), default=10)
    parser.add_argument("--processes", type=at_least(1), default=1)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--shard", type=int, default=0, help=argparse.SUPPRESS)  # this process's share
    args = parser.parse_args(argv)
    base_url = args.url.rstrip("/")
    try:
        paths = args.urls_file.read_text(encoding="utf-8").split()
    except OSError as exc:
        parser.error(f"cannot read {args.urls_file}: {exc.strerror}")
    if args.processes == 1 or args.shard:
        fetch_all(base_url, paths[args.shard - 1 if args.shard else 0::args.processes], args.concurrency, args.out)
        return 0
    # One child per share, all at once; their answers joined into --out.
    shards = [args.out.with_name(f"{args.out.name}.{k}") for k in range(1, args.processes + 1)]
    children = [subprocess.Popen([sys.executable, "-m", "benchmarks.scrapy_floor", args.url, str(args.urls_file),
                                  "--concurrency", str(args.concurrency), "--processes", str(args.processes),
                                  "--shard", str(k), "--out", str(shard)])
                for k, shard in enumerate(shards, start=1)]
    if any(child.wait() for child in children):
        print("scrapy_floor: a share failed", file=sys.stderr)
        return 1
    args.out.write_text("".join(shard.read_text(encoding="utf-8") for shard in shards), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The crawl's own options (what the command line sets beyond the project's settings) and the
Scrapy settings they make."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from scrapy.settings import Settings


@dataclass
class CrawlOptions:
    nameservers: list[str] = field(default_factory=list)  # 'IP[:PORT]' resolving every name; [] the system's
    scope: str | None = None  # overrides each unit's scope: disclosure | site
    concurrency: int | None = None  # concurrent requests per host
    no_throttle: bool = False
    deadline_minutes: float | None = None
    obey_robots: bool = False
    timeout: float | None = None
    render: bool = False
    page_cache_dir: Path | None = None  # revalidated page cache between nightly runs; None fetches afresh


def crawl_settings(options: CrawlOptions, log_file: Path, window_closes_at: float | None = None) -> Settings:
    """`window_closes_at`: when the run's crawl window closes (epoch seconds); the crawl stops there."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    overrides: dict = {"LOG_FILE": str(log_file), "ROBOTSTXT_OBEY": options.obey_robots}
    if options.page_cache_dir is not None:
        overrides.update(HTTPCACHE_ENABLED=True, HTTPCACHE_DIR=str(options.page_cache_dir.resolve()))
    if options.nameservers:
        overrides["TWISTED_DNS_RESOLVER"] = "crawler.crawl.resolver.DnspythonResolver"
        overrides["AUDIT_NAMESERVERS"] = options.nameservers
    if options.concurrency:
        overrides["CONCURRENT_REQUESTS_PER_DOMAIN"] = options.concurrency
        overrides["CONCURRENT_REQUESTS"] = max(32, options.concurrency * 4)
    if options.no_throttle:
        overrides.update(AUTOTHROTTLE_ENABLED=False, DOWNLOAD_DELAY=0, DOWNLOAD_DELAY_JITTER=0)
    if options.deadline_minutes:
        overrides["CLOSESPIDER_TIMEOUT"] = options.deadline_minutes * 60
    if window_closes_at is not None:
        overrides["AUDIT_WINDOW_CLOSES_AT"] = window_closes_at
    if options.timeout:
        overrides["DOWNLOAD_TIMEOUT"] = options.timeout
        overrides["DNS_TIMEOUT"] = options.timeout
    if options.render:
        overrides["AUDIT_RENDER"] = True
        overrides["DOWNLOADER_MIDDLEWARES"] = {**settings.getdict("DOWNLOADER_MIDDLEWARES"),
                                               "crawler.crawl.render.RenderMiddleware": 585}
    settings.setdict(overrides, priority="cmdline")
    return settings

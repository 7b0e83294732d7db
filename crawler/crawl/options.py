"""The crawl's own options (what the command line sets beyond the project's settings) and the
Scrapy settings they make."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path

from scrapy.settings import Settings

from checks.dates import shanghai_now


@dataclass
class CrawlOptions:
    nameservers: list[str] = field(default_factory=list)  # 'IP[:PORT]' resolving every name; [] the system's
    scope: str | None = None  # overrides each unit's scope: disclosure | site
    concurrency: int | None = None  # concurrent requests per host
    no_throttle: bool = False
    deadline_minutes: float | None = None
    window: tuple[dtime, dtime] | None = None  # the crawl window (Asia/Shanghai), e.g. 01:00-06:00
    obey_robots: bool = False
    timeout: float | None = None
    render: bool = False
    page_cache_dir: Path | None = None  # revalidated page cache between nightly runs; None fetches afresh


def seconds_left_in(window: tuple[dtime, dtime], now: datetime) -> float:
    """Seconds until the window closes, 0 when `now` is outside it (a window may span midnight)."""
    start, end = window
    clock = now.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else (clock >= start or clock < end)
    if not inside:
        return 0.0
    closes = datetime.combine(now.date(), end, now.tzinfo)
    if closes <= now:
        closes += timedelta(days=1)
    return (closes - now).total_seconds()


def crawl_settings(options: CrawlOptions, log_file: Path) -> Settings:
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
    if options.window:
        overrides["AUDIT_WINDOW_SECONDS_LEFT"] = max(1.0, seconds_left_in(options.window, shanghai_now()))
    if options.timeout:
        overrides["DOWNLOAD_TIMEOUT"] = options.timeout
        overrides["DNS_TIMEOUT"] = options.timeout
    if options.render:
        overrides["AUDIT_RENDER"] = True
        overrides["DOWNLOADER_MIDDLEWARES"] = {**settings.getdict("DOWNLOADER_MIDDLEWARES"),
                                               "crawler.crawl.render.RenderMiddleware": 585}
    settings.setdict(overrides, priority="cmdline")
    return settings

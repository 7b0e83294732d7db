"""Scrapy settings: polite defaults a government firewall tolerates (README, Politeness).

The command line overrides concurrency and throttling for local sites and benchmarks.
"""
from scrapy.settings.default_settings import EXTENSIONS_BASE as SCRAPY_EXTENSIONS

from crawler.version import __version__

BOT_NAME = "customs-audit"
SPIDER_MODULES = ["crawler.crawl.spiders"]
NEWSPIDER_MODULE = "crawler.crawl.spiders"

USER_AGENT = (
    f"customs-audit/{__version__} (政府信息公开专栏合规检查; disclosure compliance crawler "
    "of the customs headquarters' disclosure office)"
)
ROBOTSTXT_OBEY = False  # the inspecting authority checks its own units' public pages

CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 2
DOWNLOAD_DELAY = 1.0
DOWNLOAD_DELAY_JITTER = 0.5  # ±50 %
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DNS_TIMEOUT = 10

RETRY_ENABLED = True
RETRY_TIMES = 2
# 429 and 503 are retried by RetryAfterMiddleware, which honours Retry-After.
RETRY_HTTP_CODES = [500, 502, 504, 522, 524, 408]
REDIRECT_ENABLED = True
REDIRECT_MAX_TIMES = 10  # a chain of more than 10 hops is a broken_link
METAREFRESH_ENABLED = True  # home pages that redirect by <meta http-equiv=refresh>
# Only an immediate refresh is a redirect; a page shown for a while first is a page whose links
# are read, its refresh target one of them (crawler.crawl.links.refresh_target).
METAREFRESH_MAXDELAY = 1
SCRIPT_REDIRECT_ENABLED = True  # and those that do it by script (crawler.crawl.middlewares.ScriptRedirectMiddleware)
DOWNLOAD_MAXSIZE = 50 * 1024 * 1024  # also the most a compressed body may inflate to
DOWNLOAD_WARNSIZE = 10 * 1024 * 1024
URLLENGTH_LIMIT = 2083  # longer links are not requested (crawler.crawl.limits), reported in crawl_limit
# Only http(s) is ever fetched, whatever asks: a planted file:///etc/passwd must not be read.
DOWNLOAD_HANDLERS = {"file": None, "data": None, "ftp": None, "s3": None}
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
# libuv's event loop under Twisted's asyncio reactor: Scrapy's per-request task and callback
# scheduling costs less (a 10,000-page crawl 7 % faster, benchmarks/).
ASYNCIO_EVENT_LOOP = "uvloop.Loop"

# Breadth first: a page reached at a low depth is crawled before the same page at a greater one.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"
# Requests waiting their turn stay in memory up to this many (about 1 KB each), the rest wait on
# disk (JOBDIR, crawler.run.workers): only a frontier larger than that pays for pickling.
SCHEDULER = "crawler.crawl.scheduler.SpillingScheduler"
SCHEDULER_MEMORY_REQUESTS = 10_000

# The spider yields requests, never items; Scrapy starts this many workers per callback's output.
CONCURRENT_ITEMS = 4
# Scrapy would look for a `return value` in a generator callback's source (inspect, ast) on every
# answer it hands one, the spider's own methods being new objects each time: a linter's job.
WARN_ON_GENERATOR_RETURN_VALUE = False
# The spider keeps depth, scope and dedupe itself; these would only repeat its work per request.
SPIDER_MIDDLEWARES = {
    "scrapy.spidermiddlewares.depth.DepthMiddleware": None,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
    "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
    # warns about meta copied from a response; the spider builds every request's meta afresh
    "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
}

DOWNLOADER = "crawler.crawl.downloader.SlotLimitedDownloader"  # keeps CONCURRENT_REQUESTS_PER_DOMAIN
DOWNLOADER_MIDDLEWARES = {
    "crawler.crawl.limits.UrlLengthLimitMiddleware": 50,
    "crawler.crawl.limits.StripCredentialsMiddleware": 60,
    "crawler.crawl.middlewares.PublicAddressGuardMiddleware": 90,
    "crawler.crawl.middlewares.RetryAfterMiddleware": 560,
    "crawler.crawl.middlewares.ScriptRedirectMiddleware": 579,  # beside MetaRefreshMiddleware (580), on decoded bodies
    # right after HttpCompressionMiddleware (590): before anything reads the text
    "crawler.crawl.middlewares.UndeclaredEncodingMiddleware": 586,
    # the spider keeps its own scope and sends no credentials: these would only cost per request
    "scrapy.downloadermiddlewares.offsite.OffsiteMiddleware": None,
    "scrapy.downloadermiddlewares.httpauth.HttpAuthMiddleware": None,
}
# Scrapy loads every extension class it lists, enabled or not: RemoteControl (unused here) would
# import aiohttp into every crawl, 10 MB and 70 ms for nothing.
EXTENSIONS_BASE = {name: order for name, order in SCRAPY_EXTENSIONS.items() if not name.endswith(".RemoteControl")}
EXTENSIONS = {
    "crawler.crawl.middlewares.HeadersOnlyExtension": 500,
    "crawler.crawl.middlewares.DownloadedBytesExtension": 510,
    "crawler.crawl.middlewares.CrawlWindowExtension": 520,
}
RETRY_AFTER_MAX_SECONDS = 120
RETRY_AFTER_TIMES = 3

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# Crawled pages are cached between runs and revalidated on every request (crawler/cache.py);
# the runner turns the cache on and puts it in the output folder.
HTTPCACHE_ENABLED = False
HTTPCACHE_POLICY = "crawler.crawl.cache.RevalidateEveryTimePolicy"
HTTPCACHE_STORAGE = "crawler.crawl.cache.KeptPagesStorage"
HTTPCACHE_EXPIRATION_SECS = 0
HTTPCACHE_IGNORE_MISSING = False

"""--render: answers an anti-bot firewall challenged, fetched again through headless Chromium (docs/cli.md, docs/checks.md).

The customs firewall answers 412/521 with a script that computes a clearance cookie and reloads
the page. Chromium runs that script; the page it ends on replaces the challenge, and the cookies
it earned go with every later plain Scrapy request to the host, so that only the first
challenged request of a host pays for the browser.
"""
from __future__ import annotations

import asyncio
import ipaddress
import logging
import shutil
import time
from urllib.parse import urlsplit

from playwright.async_api import Browser, Error as PlaywrightError, async_playwright
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.http import HtmlResponse, TextResponse
from scrapy.utils.defer import deferred_to_future
from twisted.internet.error import DNSLookupError

from checks.firewall import challenge_shape
from crawler.crawl.links import canonical_url

logger = logging.getLogger(__name__)

RENDER_TIMEOUT = 30.0  # seconds per challenged page, the browser's start included
RETRIED = "render_retried"  # meta: the request was sent again with cookies the browser earned
# Loads of a page before the browser gives up on its challenge: jsl's takes three (two challenges,
# then the page); a script that reloads for ever would otherwise hit the firewall many times a second.
CHALLENGE_LOADS = 5
# --headless comes with Playwright's headless mode, and Playwright starts every browser with a
# fresh temporary --user-data-dir that it removes on close. Without the background-networking
# flags Chromium keeps calling Google's services, which a closed network refuses at every start;
# --no-sandbox because the crawl runs as root in containers, where Chromium's sandbox cannot start.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The state, status, URL and markup of the document shown now, read in one step: while the
# challenge script reloads, values read apart may belong to two different documents.
SNAPSHOT_JS = """() => [document.readyState, performance.getEntriesByType("navigation")[0].responseStatus,
                       location.href, document.documentElement.outerHTML]"""


class RenderUnavailable(Exception):
    """--render was asked for but there is no Chromium to run (one-line message)."""


class RenderFailed(Exception):
    """The browser brought no page back (one-line reason)."""


class ChallengeStands(RenderFailed):
    """The browser's page is still a challenge after CHALLENGE_LOADS loads."""


def chromium_executable(settings) -> str:
    """The Chromium binary: the AUDIT_CHROMIUM setting, else `chromium` on PATH."""
    wanted = settings.get("AUDIT_CHROMIUM") or "chromium"
    path = shutil.which(wanted)
    if path is None:
        raise RenderUnavailable(f"--render needs Chromium, and {wanted} is not an executable "
                                "(apt-get install chromium, or set AUDIT_CHROMIUM)")
    return path


def resolver_rules(addresses: dict[str, str | None]) -> str:
    """Chromium's --host-resolver-rules: each host at the address the crawl resolved, nothing else.

    Chromium does not use the crawl's resolver (--nameserver), so it is told the answers; every
    other name fails, so the browser reaches no host but the ones the crawl itself fetched from.
    IP literals need no answer, only an exception to the catch-all (which matches them too).
    """
    rules = [f"MAP {host} {address}" if address else f"EXCLUDE {host}" for host, address in addresses.items()]
    return ",".join([*rules, "MAP * ~NOTFOUND"])


class RenderMiddleware:
    """Downloader middleware that passes JavaScript cookie challenges in headless Chromium.

    Enabled by AUDIT_RENDER; 585 in DOWNLOADER_MIDDLEWARES: its process_response runs after
    HttpCompressionMiddleware (590) has decoded the challenge body, and its process_request before
    CookiesMiddleware (700), which merges `request.cookies` into Scrapy's cookie jar.
    """

    def __init__(self, executable: str, user_agent: str, verify_certificates: bool):
        self.executable = executable
        # The firewall may bind its clearance cookie to the User-Agent that earned it, and the
        # browser must name the product like every other request of the crawl.
        self.user_agent = user_agent
        self.verify_certificates = verify_certificates
        # One page in the browser at a time: pages of a host challenged together wait for the
        # first one's cookies instead of each starting the challenge again.
        self.lock = asyncio.Lock()
        self.cookies: dict[str, list[dict]] = {}  # host -> the cookies the browser earned there
        self.addresses: dict[str, str | None] = {}  # host -> its address for the browser (None: IP literal)
        self.unpassable: set[str] = set()  # hosts whose challenge the browser did not pass
        self.playwright = None
        self.browser: Browser | None = None

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.getbool("AUDIT_RENDER"):
            raise NotConfigured
        middleware = cls(chromium_executable(settings), settings.get("USER_AGENT"),
                         settings.getbool("DOWNLOAD_VERIFY_CERTIFICATES"))
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request, spider=None):
        cookies = self.cookies.get(urlsplit(request.url).hostname)
        if cookies:
            request.cookies = cookies  # the spider sets no cookies of its own
        return None

    async def process_response(self, request, response, spider=None):
        body = response.text if isinstance(response, TextResponse) else ""
        if not challenge_shape(response.status, response.headers, body):
            return response
        host = urlsplit(request.url).hostname
        async with self.lock:
            if host in self.unpassable:
                return response
            cookies = self.cookies.get(host)
            if cookies and request.cookies != cookies and not request.meta.get(RETRIED):
                # Sent before the host's newest cookies were earned: once more, plainly, with them.
                # Once only: where every render earns new values, a request could chase them forever.
                retry = request.replace(dont_filter=True)
                retry.meta[RETRIED] = True
                return retry
            return await self._render(request) or response

    async def _render(self, request) -> HtmlResponse | None:
        """The page after the browser passed the challenge; None (the challenge stands) when it did not."""
        host = urlsplit(request.url).hostname
        started = time.monotonic()
        try:
            async with asyncio.timeout(RENDER_TIMEOUT):
                browser = await self._browser_for(host)
                status, final_url, html, earned = await self._pass_challenge(browser, request.url)
        except (TimeoutError, ChallengeStands):
            # Trying the host's other pages would cost as much each, for the same link_blocked finding.
            self.unpassable.add(host)
            logger.warning("--render: %s still challenged after %.1f s; %s stays unverified",
                           request.url, time.monotonic() - started, host)
            return None
        except (RenderFailed, PlaywrightError, DNSLookupError) as exc:
            logger.warning("--render: %s: %s", request.url, str(exc).splitlines()[0])
            return None
        self.cookies[host] = [{"name": c["name"], "value": c["value"], "path": c["path"], "secure": c["secure"]}
                              for c in earned]
        logger.info("--render: %s passed the challenge in %.2f s (HTTP %d)",
                    request.url, time.monotonic() - started, status)
        if canonical_url(final_url) != canonical_url(request.url):
            # The challenge led elsewhere: recorded as a redirect, as RedirectMiddleware would.
            request.meta["redirect_urls"] = [*request.meta.get("redirect_urls", []), request.url]
        else:
            final_url = request.url
        return HtmlResponse(final_url, status=status, body=html.encode("utf-8"), encoding="utf-8",
                            headers={"Content-Type": "text/html; charset=utf-8"}, request=request)

    async def _pass_challenge(self, browser: Browser, url: str) -> tuple[int, str, str, list[dict]]:
        """Load `url` and follow the challenge script's reloads until a page is not a challenge.

        The status, final URL and markup of that page and the cookies earned for `url`;
        ChallengeStands when no such page comes within CHALLENGE_LOADS loads, RenderFailed when
        the site did not answer the browser.
        """
        # A context of its own, closed whole: Chromium 15x may ignore the close of a page caught
        # mid-navigation (crbug.com/536385539), and page.close() then never returns.
        context = await browser.new_context(user_agent=self.user_agent,
                                            ignore_https_errors=not self.verify_certificates)
        try:
            # Every Playwright call bounded by Playwright itself, should the asyncio timeout not take.
            context.set_default_timeout(RENDER_TIMEOUT * 1000)
            page = await context.new_page()
            # Wake-ups on the page's events, awaited in asyncio: a document the script replaces at
            # once never reaches a load state that a Playwright wait would wait for.
            events: asyncio.Queue[None] = asyncio.Queue()
            page.on("domcontentloaded", lambda _: events.put_nowait(None))
            loads = 0

            async def count_loads(route):
                # Counted where the browser asks, not where it shows: a script that reloads for ever
                # reaches the firewall no more than CHALLENGE_LOADS times.
                nonlocal loads
                if route.request.is_navigation_request() and route.request.frame == page.main_frame:
                    loads += 1
                    if loads > CHALLENGE_LOADS:
                        events.put_nowait(None)
                        await route.abort()
                        return
                await route.continue_()

            await page.route("**/*", count_loads)
            # "commit": a goto waiting for more fails when the script reloads before that.
            await page.goto(url, wait_until="commit")
            while True:
                await events.get()
                if loads > CHALLENGE_LOADS:
                    raise ChallengeStands(url)
                try:
                    state, status, final_url, html = await page.evaluate(SNAPSHOT_JS)
                except PlaywrightError:
                    continue  # the document went away under the snapshot: its successor's events follow
                # "loading": a newer document than the one parsed, whose own event follows.
                if state == "loading" or challenge_shape(status, {}, html):
                    continue
                if not status:  # no HTTP answer: Chromium shows its own error page
                    raise RenderFailed("the site did not answer the browser (Chromium shows its error page)")
                return status, final_url, html, await context.cookies(url)
        finally:
            await context.close()

    async def _browser_for(self, host: str) -> Browser:
        """The browser, started on first use and again for each new host, as Chromium learns
        its resolver rules only at start."""
        if host not in self.addresses:
            self.addresses[host] = await self._address(host)
            await self._close_browser()
        if self.browser is None:
            if self.playwright is None:
                self.playwright = await async_playwright().start()
            self.browser = await self.playwright.chromium.launch(
                executable_path=self.executable, headless=True,
                args=[*CHROMIUM_ARGS, f"--host-resolver-rules={resolver_rules(self.addresses)}"])
        return self.browser

    @staticmethod
    async def _address(host: str) -> str | None:
        """The host's address by the crawl's own resolver (--nameserver included); None for an IP."""
        try:
            ipaddress.ip_address(host)
            return None
        except ValueError:
            pass
        from twisted.internet import reactor  # late: importing it earlier would install the default reactor

        return await deferred_to_future(reactor.resolve(host))

    async def _close_browser(self) -> None:
        if self.browser is not None:
            await self.browser.close()
            self.browser = None

    async def spider_closed(self) -> None:
        await self._close_browser()
        if self.playwright is not None:
            await self.playwright.stop()
            self.playwright = None

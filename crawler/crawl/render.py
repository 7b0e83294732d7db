"""--render: answers an anti-bot firewall challenged, fetched again through Chromium (docs/firewalls.md).

The customs firewalls answer with a shell whose script computes a clearance cookie and reloads
the page. Chromium runs that script; the page it ends on replaces the challenge, and the cookies
it earned, with the User-Agent that earned them, go with every later plain Scrapy request to the
host, so that only the first challenged request of a host pays for the browser.

Some firewalls refuse a browser that looks automated (navigator.webdriver, a HeadlessChrome user
agent, no plugins, a window without a frame): their script computes no valid cookie there and
the firewall answers 400 with an empty body. Chromium runs headless first, with the automation
flags off and the user agent of a desktop Chrome (naming the product too); when the firewall
still refuses it, headed, on a virtual display of its own (Xvfb, started on a free display at
that moment and stopped with the crawl).
"""
from __future__ import annotations

import asyncio
import ctypes
import ipaddress
import logging
import os
import select
import shutil
import signal
import subprocess
import time
from urllib.parse import urlsplit

from playwright.async_api import Browser, Error as PlaywrightError, Response, async_playwright
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
    "--disable-blink-features=AutomationControlled",  # navigator.webdriver false, as for a person
]
# The user agent of a desktop Chrome of the browser's version, the product's own name after it.
BROWSER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/{major}.0.0.0 Safari/537.36"
CHROMIUM_ERROR_PAGE = "chrome-error:"  # where Chromium shows an answer it has nothing to show of
XVFB_SCREEN = "1366x768x24"
XVFB_START_SECONDS = 10.0
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>: Xvfb ends with the crawl, even a killed one
# The state, status, URL and markup of the document shown now, read in one step: while the
# challenge script reloads, values read apart may belong to two different documents.
SNAPSHOT_JS = """() => [document.readyState, performance.getEntriesByType("navigation")[0].responseStatus,
                       location.href, document.documentElement.outerHTML,
                       document.body ? document.body.innerText.trim().length : 0]"""


class RenderUnavailable(Exception):
    """--render was asked for but there is no Chromium to run (one-line message)."""


class RenderFailed(Exception):
    """The browser brought no page back (one-line reason)."""


class ChallengeStands(RenderFailed):
    """The browser's page is still a challenge after CHALLENGE_LOADS loads."""


class BrowserRefused(ChallengeStands):
    """The firewall answered the browser with a 4xx that shows nothing: it took it for a robot."""


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


class VirtualDisplay:
    """An Xvfb server on a display it picks free (-displayfd), for Chromium headed; stopped by its PID."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.display = ""
        self.display_pipe = -1

    def start(self) -> str:
        """The display (":N"); RenderFailed when Xvfb is missing or does not start."""
        if self.process is not None:
            return self.display
        executable = shutil.which("Xvfb")
        if executable is None:
            raise RenderFailed("the firewall refuses headless Chromium, and headed Chromium needs Xvfb "
                               "(apt-get install xvfb)")
        read, write = os.pipe()
        try:
            self.process = subprocess.Popen(
                [executable, "-displayfd", str(write), "-screen", "0", XVFB_SCREEN, "-nolisten", "tcp"],
                pass_fds=(write,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                preexec_fn=_end_with_parent)
        finally:
            os.close(write)
        # Read, and held open until Xvfb stops: Xvfb ends when the end it writes to is closed.
        self.display_pipe = read
        ready, _, _ = select.select([read], [], [], XVFB_START_SECONDS)
        number = os.read(read, 16).decode("ascii", "replace").strip() if ready else ""
        if not number.isdigit():
            self.stop()
            raise RenderFailed(f"Xvfb did not start within {XVFB_START_SECONDS:g} s")
        self.display = f":{number}"
        return self.display

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self.display_pipe)
        self.process, self.display = None, ""


def _end_with_parent() -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


class RenderMiddleware:
    """Downloader middleware that passes JavaScript cookie challenges in Chromium.

    Enabled by AUDIT_RENDER; 585 in DOWNLOADER_MIDDLEWARES: its process_response runs after
    HttpCompressionMiddleware (590) has decoded the challenge body, and its process_request before
    CookiesMiddleware (700), which merges `request.cookies` into Scrapy's cookie jar, and after
    UserAgentMiddleware (400), whose User-Agent it replaces on a host the browser passed.
    """

    def __init__(self, executable: str, user_agent: str, verify_certificates: bool):
        self.executable = executable
        self.product_agent = user_agent  # every request of the crawl names the product, the browser's too
        self.verify_certificates = verify_certificates
        # One page in the browser at a time: pages of a host challenged together wait for the
        # first one's cookies instead of each starting the challenge again.
        self.lock = asyncio.Lock()
        self.cookies: dict[str, list[dict]] = {}  # host -> the cookies the browser earned there
        # host -> the User-Agent that earned them: a firewall may bind its cookie to it
        self.agents: dict[str, str] = {}
        self.addresses: dict[str, str | None] = {}  # host -> its address for the browser (None: IP literal)
        self.unpassable: set[str] = set()  # hosts whose challenge the browser did not pass
        self.headed = False  # a firewall refused headless Chromium: headed from then on
        self.display = VirtualDisplay()
        self.playwright = None
        self.browser: Browser | None = None
        self.browser_headed = False

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
        host = urlsplit(request.url).hostname
        cookies = self.cookies.get(host)
        if cookies:
            request.cookies = cookies  # the spider sets no cookies of its own
            request.headers["User-Agent"] = self.agents[host]
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
        """The page after the browser passed the challenge; None (the challenge stands) when it did not.

        Headless first; headed when the firewall refused headless (then for every later host too:
        the customs sites share their firewall vendors).
        """
        host = urlsplit(request.url).hostname
        started = time.monotonic()
        passed = None
        for headed in (True,) if self.headed else (False, True):
            try:
                async with asyncio.timeout(RENDER_TIMEOUT):
                    browser = await self._browser_for(host, headed)
                    passed = await self._pass_challenge(browser, request.url)
            except (TimeoutError, ChallengeStands) as exc:
                refused = "refused" if isinstance(exc, BrowserRefused) else "still challenged"
                logger.info("--render: %s %s %s Chromium after %.1f s", request.url, refused,
                            "headed" if headed else "headless", time.monotonic() - started)
                continue
            except (RenderFailed, PlaywrightError, DNSLookupError) as exc:
                logger.warning("--render: %s: %s", request.url, str(exc).splitlines()[0])
                if not headed:
                    return None  # the site did not answer the browser: nothing learnt of its firewall
                break  # no headed browser here (no Xvfb): the host's other pages would fail alike
            self.headed = headed
            break
        if passed is None:
            # Trying the host's other pages would cost as much each, for the same link_blocked finding.
            self.unpassable.add(host)
            logger.warning("--render: %s still challenged after %.1f s; %s stays unverified",
                           request.url, time.monotonic() - started, host)
            return None
        status, final_url, html, earned = passed
        self.cookies[host] = [{"name": c["name"], "value": c["value"], "path": c["path"], "secure": c["secure"]}
                              for c in earned]
        self.agents[host] = self._browser_agent()
        logger.info("--render: %s passed the challenge in %.2f s (HTTP %d, %s Chromium)",
                    request.url, time.monotonic() - started, status, "headed" if headed else "headless")
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
        ChallengeStands when no such page comes within CHALLENGE_LOADS loads, BrowserRefused when
        the firewall answers the browser a 4xx that shows nothing, RenderFailed when the site did
        not answer the browser.
        """
        # A context of its own, closed whole: Chromium 15x may ignore the close of a page caught
        # mid-navigation (crbug.com/536385539), and page.close() then never returns.
        context = await browser.new_context(user_agent=self._browser_agent(),
                                            ignore_https_errors=not self.verify_certificates)
        try:
            # Every Playwright call bounded by Playwright itself, should the asyncio timeout not take.
            context.set_default_timeout(RENDER_TIMEOUT * 1000)
            page = await context.new_page()
            # Wake-ups on the page's events, awaited in asyncio: a document the script replaces at
            # once never reaches a load state that a Playwright wait would wait for.
            events: asyncio.Queue[None] = asyncio.Queue()
            page.on("domcontentloaded", lambda _: events.put_nowait(None))
            # The latest answer for each URL the page loaded: its headers (Set-Cookie, a vendor's)
            # are facts of the shape as much as its markup.
            answers: dict[str, Response] = {}
            page.on("response", lambda answer: answers.__setitem__(answer.url, answer)
                    if answer.request.is_navigation_request() and answer.frame == page.main_frame else None)
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
                    state, status, final_url, html, shown = await page.evaluate(SNAPSHOT_JS)
                    answer = answers.get(final_url)
                    headers = await answer.all_headers() if answer else {}
                except PlaywrightError:
                    continue  # the document went away under the snapshot: its successor's events follow
                # "loading": a newer document than the one parsed, whose own event follows.
                if state == "loading" or challenge_shape(status, headers, html):
                    continue
                if not status:  # no HTTP answer: Chromium shows its own error page
                    raise RenderFailed("the site did not answer the browser (Chromium shows its error page)")
                # A 4xx that shows nothing (an empty body, which Chromium replaces by its own error
                # page): the firewall's refusal; a site's own error page says what went wrong.
                if 400 <= status < 500 and (not shown or final_url.startswith(CHROMIUM_ERROR_PAGE)):
                    raise BrowserRefused(url)
                return status, final_url, html, await context.cookies(url)
        finally:
            await context.close()

    def _browser_agent(self) -> str:
        major = self.browser.version.split(".")[0] if self.browser else "0"
        return f"{BROWSER_AGENT.format(major=major)} {self.product_agent}"

    async def _browser_for(self, host: str, headed: bool) -> Browser:
        """The browser, started on first use, again for each new host, as Chromium learns its
        resolver rules only at start, and again to change between headless and headed."""
        if host not in self.addresses:
            self.addresses[host] = await self._address(host)
            await self._close_browser()
        if self.browser is not None and self.browser_headed != headed:
            await self._close_browser()
        if self.browser is None:
            if self.playwright is None:
                self.playwright = await async_playwright().start()
            env = {**os.environ, "DISPLAY": self.display.start()} if headed else None
            self.browser = await self.playwright.chromium.launch(
                executable_path=self.executable, headless=not headed, env=env,
                args=[*CHROMIUM_ARGS, f"--host-resolver-rules={resolver_rules(self.addresses)}"])
            self.browser_headed = headed
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
        self.display.stop()

"""The audit spider: every selected unit in one crawl, every distinct URL fetched once.

Per unit: home page → disclosure column (by `disclosure_url` or link text) → in-scope pages
within `max_depth` hops. Every link on every crawled page is checked; results, pages and the
(page, target) edges go to the run store, and the checks run on those facts after the crawl.
"""
from __future__ import annotations

import gzip
import hashlib
import re
import zlib
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy import signals
from scrapy.exceptions import (CannotResolveHostError, DontCloseSpider, DownloadConnectionRefusedError,
                               DownloadFailedError, DownloadTimeoutError, IgnoreRequest, ResponseDataLossError)
from scrapy.http import TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet.error import ConnectionClosed, ConnectionRefusedError, DNSLookupError, TCPTimedOutError, TimeoutError

from checks.dates import shanghai_timestamp
from checks.hosts import host_of
from checks.facts import EVIDENCE_HEADERS, MALFORMED, PAGE, FetchResult, Link, is_transient
from checks.firewall import challenge_shape
from checks.page import ParsedPage
from checks.link_checks import PROBE_PATH
from checks.paging import is_pager_link
from crawler.crawl.cache import CACHE_META
from crawler.sites import Unit
from crawler.crawl.page_facts import PageAnalyzer
from crawler.crawl.page_text import summarize
from crawler.crawl.limits import limit_failure, response_notes
from crawler.crawl.links import canonical_url, extract_links, is_stylesheet, is_trap_path, keyed_links, stylesheet_links
from crawler.crawl.middlewares import PrivateAddressBlocked
from crawler.crawl.known import KnownPage, KnownWeb, Night
from crawler.crawl.store import ClaimStore, RunStore

# Every status reaches the callbacks but the redirects, which RedirectMiddleware follows.
HANDLED_STATUSES = [code for code in range(100, 600) if code not in (301, 302, 303, 307, 308)]
TEXT_CHARS = 5000  # visible text kept per page: enough to recognise an error page
DISCLOSURE_LINK_TEXTS = ("政府信息公开", "信息公开")
HOME_SECTION, COLUMN_SECTION = "首页", "政府信息公开专栏"
OVER_CAP = "over_cap"  # the role of a page fetched after the unit's page cap: checked, not crawled
# Older sites show their home page or column as a frameset: the frames on the unit's own hosts
# are read as part of it (the home's for its column link, the column's for its sections).
FRAME_TAGS = ("frame", "iframe", "meta")  # and the page a delayed refresh moves on to
HOME_FRAME, COLUMN_FRAME = "home_frame", "column_frame"
COLUMN_ROLES = ("column", COLUMN_FRAME)  # pages whose links name the column's sections


@dataclass
class UnitCrawl:
    """What the crawl learns about one unit as it goes."""

    unit: Unit
    hosts: set[str]  # host[:port] whose pages are in scope (checks.hosts.host_of)
    scope: str = "disclosure"  # the unit's scope, or "site" for a spot-checked URL without a column
    pages_crawled: int = 0  # fetched tonight or carried over from the known web
    pages_fetched: int = 0  # fetched tonight: what max_pages caps
    pages_over_cap: int = 0
    home: FetchResult | None = None
    column_url: str | None = None
    column: FetchResult | None = None
    column_found_by: str = ""
    public: bool = False
    deferred_links: list[tuple[str, Link]] = field(default_factory=list)  # home-page links checked last, with their keys
    home_framed: bool = False  # the home names no column but shows frames, read for it
    # list pages requested though no page links them: built from a jump box's URL pattern or a
    # pager script, or predicted from the pager's numbering (an ordered set)
    unlinked_list_pages: dict[str, None] = field(default_factory=dict)

    def stats(self) -> dict:
        return {
            "pages_crawled": self.pages_crawled,
            "pages_fetched": self.pages_fetched,
            "pages_over_cap": self.pages_over_cap,
            "home": self.home.__dict__ if self.home else None,
            "column_url": self.column_url,
            "column": self.column.__dict__ if self.column else None,
            "column_found_by": self.column_found_by,
            "public": self.public,
            "scope": self.scope,
            "unlinked_list_pages": list(self.unlinked_list_pages),
        }


@dataclass(slots=True)  # one per page of the crawl: hundreds of thousands on a large site
class Want:
    """Why a URL is fetched as a page: the unit that crawls it, at which depth, in which section."""

    unit_id: str
    depth: int
    section: str
    role: str = "page"


@dataclass
class ListPaging:
    """How far the pages of one section's list reach by the site's own links, and what is only predicted."""

    role: ListRole
    depth: int
    numbers: set[int] = field(default_factory=set)  # page numbers some list page is or links
    predicted: dict[int, str] = field(default_factory=dict)  # page number -> URL no page links


@dataclass(frozen=True)
class ListRole:
    """A page of a section's list; `first` for the section page the column links to."""

    unit_id: str
    section: str  # canonical name (rules.yaml)
    name_on_page: str  # as the column names it: 现行有效规范性文件 says what the list must hold
    first: bool = False


def find_disclosure_link(links: list[Link]) -> Link | None:
    """The home page's link to its disclosure column, by its text (docs/sites-yaml.md)."""
    for wanted in DISCLOSURE_LINK_TEXTS:
        exact = [link for link in links if link.kind == PAGE and "".join(link.text.split()) == wanted]
        if exact:
            return exact[0]
    for wanted in DISCLOSURE_LINK_TEXTS:
        for link in links:
            if link.kind == PAGE and wanted in "".join(link.text.split()):
                return link
    return None


# Scrapy keys a response's headers by their title-cased bytes name
_EVIDENCE_KEYS = {name.title().encode("latin-1"): name for name in EVIDENCE_HEADERS}


def evidence_headers(headers) -> dict[str, str]:
    """The EVIDENCE_HEADERS a response carries, with their last value, in that order. Read in one
    pass over the few headers it has: a look-up per name case-folds it, on every answer of a crawl."""
    found = {}
    for key in headers:
        name = _EVIDENCE_KEYS.get(key.title())
        if name is not None and (value := headers[key]):
            found[name] = value.decode("latin-1")
    return {name: found[name] for name in EVIDENCE_HEADERS if name in found}


def failure_message(exc: BaseException) -> str:
    """The technical reason of a failure, short: 'wrong version number', 'took longer than 3.0 seconds'."""
    message = str(exc) or type(exc).__name__
    ssl_reasons = re.findall(r"\('[^']*', '[^']*', '([^']+)'\)", message)
    if ssl_reasons:
        return "SSL: " + "; ".join(ssl_reasons)
    return re.sub(r"^Getting \S+ ", "", message)


def failure_causes(exc: BaseException) -> list[BaseException]:
    """What Twisted saw behind a failed download: Scrapy wraps its ResponseFailed, whose reasons
    hold the parse error or the lost connection."""
    inner = exc.__cause__ if isinstance(exc, DownloadFailedError) and exc.__cause__ is not None else exc
    return [reason.value for reason in getattr(inner, "reasons", [])]


def failure_to_result(url: str, method: str, failure, redirects: list[str], maxsize: int) -> FetchResult:
    """A download failure as a FetchResult with an error kind the checks explain."""
    kind, message = limit_failure(failure.value, maxsize) or failure_kind(failure.value, redirects)
    return FetchResult(url=url, method=method, final_url=redirects[-1] if redirects else url,
                       redirects=redirects, error_kind=kind, error=message[:300], fetched_at=shanghai_timestamp())


def failure_kind(exc: BaseException, redirects: list[str]) -> tuple[str, str]:
    """(error kind, technical message) of a download that failed for another reason than a limit."""
    message = failure_message(exc)
    causes = failure_causes(exc)
    if causes:
        message = "; ".join(f"{type(cause).__name__}: {cause}" for cause in causes)
    if isinstance(exc, PrivateAddressBlocked):
        return "private_address", message
    if isinstance(exc, HttpError):
        # Only redirects reach HttpError (every other status is handled), and only those
        # RedirectMiddleware would not follow: to a file:, ftp: or other non-web address.
        location = exc.response.headers.get(b"Location").decode("latin-1")
        return "bad_redirect", f"HTTP {exc.response.status} → {location}"
    if isinstance(exc, IgnoreRequest) and "redirect" in message.lower():
        return ("redirect_loop" if len(set(redirects)) < len(redirects) else "too_many_redirects"), message
    if isinstance(exc, (CannotResolveHostError, DNSLookupError)):
        return "dns", message
    if isinstance(exc, (DownloadConnectionRefusedError, ConnectionRefusedError)):
        return "refused", message
    if isinstance(exc, (DownloadTimeoutError, TimeoutError, TCPTimedOutError)):
        return "timeout", message
    if "ssl" in repr(exc).lower() or "tls" in repr(exc).lower():
        return "tls", message
    if isinstance(exc, ResponseDataLossError):
        return "data_loss", "body shorter than its Content-Length"
    if isinstance(exc, (zlib.error, gzip.BadGzipFile)):
        return "bad_encoding", message  # HttpCompressionMiddleware could not decode the body
    if causes and not all(isinstance(cause, ConnectionClosed) for cause in causes):
        return "bad_response", message  # a status line or header Twisted cannot parse
    if causes or "connection" in type(exc).__name__.lower() or "ResponseNeverReceived" in type(exc).__name__:
        return "connection", message
    return "other", message


class AuditSpider(scrapy.Spider):
    name = "audit"

    def __init__(self, units: list[Unit], store: RunStore, analyzer: PageAnalyzer, scope_override: str | None = None,
                 progress: Callable[[dict], None] | None = None, site_when_no_column: bool = False,
                 resume: bool = False, discover_only: bool = False, claims: ClaimStore | None = None,
                 night: Night | None = None, **kwargs):
        super().__init__(**kwargs)
        self.store = store
        # A nightly run carries over what is known and not due tonight instead of fetching it.
        self.known = KnownWeb(night.known_path) if night else None
        self.due = night.due if night else frozenset()
        self.carried_targets: set[str] = set()  # known URLs checked from their last result, unfetched
        self.replays: deque = deque()  # known pages to replay, breadth first like the crawl
        self.resume = resume
        self.discover_only = discover_only  # `sites check`: home pages and their column links only
        # worker processes of one run claim their link checks there, so each URL is fetched
        # once per run whichever worker meets it first
        self.claims = claims
        self.analyzer = analyzer
        self.progress = progress
        # A spot-checked URL whose home page has no disclosure column is crawled as a site.
        self.site_when_no_column = site_when_no_column
        self.units: dict[str, UnitCrawl] = {}
        for unit in units:
            scope = scope_override or unit.scope
            self.units[unit.id] = UnitCrawl(unit, {host_of(unit.url)}, scope)
        # what the address guard resolves for every request of a unit (PublicAddressGuardMiddleware)
        self.unit_hostnames = {unit.id: urlsplit(unit.url).hostname for unit in units}
        self.claimed: set[str] = set()  # canonical URLs already requested this run
        self.wants: dict[str, Want] = {}  # canonical URL -> the crawl that parses it as a page
        self.probed_hosts: set[str] = set()
        # Disclosure roles learnt from the column and the lists, by canonical URL
        self.list_pages: dict[str, ListRole] = {}
        self.item_pages: dict[str, ListRole] = {}  # item page -> the list that carries it
        self.list_paging: dict[tuple[str, str], ListPaging] = {}  # (unit id, section) -> its list's reach
        self.transient: dict[str, tuple[Unit, str]] = {}  # failures awaiting their confirmation
        self.confirmed: set[str] = set()
        self.resource_keys: set[str] = set()  # URLs checked as resources (HEAD first)
        self.counts = {"pages": 0, "links": 0, "problems": 0}

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider.on_idle, signal=signals.spider_idle)
        crawler.signals.connect(spider.on_closed, signal=signals.spider_closed)
        return spider

    async def start(self):
        if self.resume:
            for request in self._resume():
                yield request
        for state in self.units.values():
            url = state.unit.url
            key = canonical_url(url)
            self.wants.setdefault(key, Want(state.unit.id, 0, HOME_SECTION, "home"))
            if key not in self.claimed:
                self.claimed.add(key)
                yield self._request(url, key, state.unit, "GET", self.on_page, **{CACHE_META: True})

    # --- requests -----------------------------------------------------------------------
    def _request(self, url: str, key: str, unit: Unit, method: str, callback, **meta) -> scrapy.Request:
        """A request for `url` (`key`: its canonical URL, what the answer is recorded under)."""
        return scrapy.Request(
            url,
            method=method,
            callback=callback,
            errback=self.on_failure,
            dont_filter=True,  # the spider deduplicates by canonical URL itself
            meta={
                "unit_id": unit.id,
                "unit_host": self.unit_hostnames[unit.id],
                "key": key,
                "handle_httpstatus_list": HANDLED_STATUSES,
                **meta,
            },
        )

    def _check(self, unit: Unit, key: str, link: Link, read_with: Callable | None = None, **meta):
        """Request for checking a link (`key`: its canonical URL) that no one has claimed yet (None
        when claimed); GET and `read_with` when given (a style sheet of the unit's, read for what it loads)."""
        if key in self.claimed:
            return None
        self.claimed.add(key)
        if self.claims is not None and not self.claims.claim(key):
            return None  # another worker of this run checks it
        if link.kind == MALFORMED:  # written so that it cannot work: reported as written, never requested
            self._record(key, FetchResult(url=link.url, method="", error_kind="malformed_url",
                                          fetched_at=shanghai_timestamp()), {})
            return None
        last = self.known.target(key) if self.known is not None else None
        if last is not None and key not in self.due:
            self._carry_target(key, last)
            return None
        if link.kind == PAGE:
            return self._request(link.url, key, unit, "GET", self.on_page)
        if read_with is not None:
            return self._request(link.url, key, unit, "GET", read_with, **meta)
        self.resource_keys.add(key)
        if last is not None and last.method == "GET":  # refused HEAD last time: asked with GET at once
            return self._request(link.url, key, unit, "GET", self.on_resource, headers_only=True)
        return self._request(link.url, key, unit, "HEAD", self.on_resource)

    def _want_page(self, state: UnitCrawl, key: str, link: Link, depth: int, section: str, role: str = "page"
                   ) -> list | None:
        """Ask for an in-scope page (`key`: its canonical URL) to be crawled: None when it is not wanted
        (known, a trap), else the requests it takes: its own, or those of its links when it is carried
        over from the known web."""
        known = self.wants.get(key)
        if known is not None:
            if depth < known.depth and known.unit_id == state.unit.id:
                known.depth, known.section = depth, section
            return None
        if is_trap_path(link.url):
            return None
        want = self.wants[key] = Want(state.unit.id, depth, section, role)
        if key in self.claimed and key not in self.carried_targets:
            return []  # in flight as a link check: parsed when it arrives
        self.claimed.add(key)
        if self.claims is not None:
            self.claims.claim(key)  # the unit's own page: fetched here whoever else links to it
        carried = self._known_page(state, want, key)
        if carried is not None:
            self.replays.append((state, want, key, carried))
            return []
        if key in self.carried_targets:
            return []  # known as a link only: nothing to replay
        return [self._request(link.url, key, state.unit, "GET", self.on_page, **{CACHE_META: True})]

    # --- carried over from the known web (nightly runs) -----------------------------------
    def _carry_target(self, key: str, result: FetchResult) -> None:
        """A known target not due tonight: its last result stands, with the night it was verified."""
        self.store.put_result(key, result)
        self.store.put_carried(key)
        self.carried_targets.add(key)

    def _known_page(self, state: UnitCrawl, want: Want, key: str) -> KnownPage | None:
        if self.known is None or key in self.due or want.role != "page" or key in self.list_pages:
            return None  # lists, homes and columns are verified every night
        return self.known.page(state.unit.id, key)

    def _replay_carried(self) -> list:
        """The requests of the known pages waiting to be replayed, and of those they lead to."""
        requests = []
        while self.replays:
            requests += self._carry_page(*self.replays.popleft())
        return requests

    def _carry_page(self, state: UnitCrawl, want: Want, key: str, page: KnownPage) -> list:
        """Replay a known page as its last verification saw it: its facts and its links."""
        self.store.put_result(key, page.result)
        self.store.put_carried(key)
        self.carried_targets.discard(key)
        facts = dict(page.facts)
        if key in self.item_pages:
            facts["listed_in"] = [self.item_pages[key].section, self.item_pages[key].name_on_page]
        self._register_roles(state.unit.id, key, facts)
        self.store.put_page(state.unit.id, key, page.url, want.depth, want.section, want.role, facts)
        keyed = keyed_links(page.links)
        self.store.put_edges(state.unit.id, page.url, want.section, keyed)
        return self._crawl_page(state, want, page.url, facts, keyed)

    # --- responses ----------------------------------------------------------------------
    def on_page(self, response) -> list:
        """A GET answer: record it as a link result, and crawl it when a unit wants this page.

        Everything a page teaches is written before any request leaves, so that a crawl killed
        at any moment can resume from the store (see `_resume`).
        """
        key = response.meta["key"]
        result = self._result(response, "GET")
        self._record(key, result, response.meta)
        requests = list(self._maybe_probe(response, result))
        want = self.wants.get(key)
        if want is None:
            return requests
        state = self.units[want.unit_id]
        if want.role == "home":
            state.public = bool(response.meta.get("unit_public"))
        self._note_role(state, want, key, response.url)
        if result.status != 200 or result.challenge or not isinstance(response, TextResponse):
            return requests
        if want.role == "page" and state.pages_fetched >= state.unit.max_pages:
            state.pages_over_cap += 1
            self.store.put_page(state.unit.id, key, response.url, want.depth, want.section, OVER_CAP, {})
            return requests
        # Pages of the unit's own hosts only (a redirect may have left them).
        if host_of(response.url) not in state.hosts:
            return requests
        page = ParsedPage(response.text)  # the one parse, read for links, sections, lists and metadata
        links = extract_links(page, response.url, response.encoding)
        facts = {"title": result.title}
        if want.role == "home":
            facts["public"] = state.public
        elif want.role != HOME_FRAME and state.scope == "disclosure":
            facts.update(self._disclosure_facts(state, want, key, page, response.url, result))
        self.store.put_page(state.unit.id, key, response.url, want.depth, want.section, want.role, facts)
        keyed = keyed_links(links)
        self.store.put_edges(state.unit.id, response.url, want.section, keyed)
        self.store.tick()
        state.pages_fetched += 1
        requests += self._crawl_page(state, want, response.url, facts, keyed)
        requests += self._replay_carried()
        self._report_progress()
        return requests

    def _note_role(self, state: UnitCrawl, want: Want, key: str, url: str) -> None:
        if want.role == "home":
            state.home = self.store.result(key)
            state.hosts.add(host_of(url))  # where the home page redirected to
        elif want.role == "column":
            state.column = self.store.result(key)

    def _crawl_page(self, state: UnitCrawl, want: Want, url: str, facts: dict, keyed: list[tuple[str, Link]]) -> list:
        """Count the page as crawled and request what its links (with their canonical URLs) lead to."""
        state.pages_crawled += 1
        self.counts["pages"] += 1
        if want.role == "home":
            return list(self._after_home(state, keyed))
        if want.role == HOME_FRAME:
            return list(self._after_home_frame(state, keyed))
        return (list(self._want_list_pages(state, want, facts, keyed)) + list(self._column_frames(state, want, keyed))
                + list(self._follow(state, want, url, keyed)))

    def _resume(self) -> list:
        """Re-derive what an interrupted run still has to do from the facts its store kept.

        Every URL with a result is done; every crawled page is replayed in the order it was
        crawled (roles, registries, its links), which requests exactly what is missing.
        """
        self.claimed.update(self.store.result_keys())
        self.carried_targets.update(self.store.carried_keys())
        self.probed_hosts.update(self.store.baseline_hosts())
        pages = self.store.crawled_pages()
        for page in pages:
            self.wants[page.key] = Want(page.unit_id, page.depth, page.section, page.role)
        requests = []
        for page in pages:
            state, want = self.units[page.unit_id], self.wants[page.key]
            if page.role == OVER_CAP:
                state.pages_over_cap += 1
                continue
            if page.role == "home":
                state.public = bool(page.facts.get("public"))
            self._note_role(state, want, page.key, page.url)
            self._register_roles(page.unit_id, page.key, page.facts)
            keyed = keyed_links(self.store.page_links(page.unit_id, page.url))
            requests += self._crawl_page(state, want, page.url, page.facts, keyed)
        for state in self.units.values():  # homes and columns that answered no page (an error, a challenge)
            state.home = state.home or self.store.result(canonical_url(state.unit.url))
            if state.column_url:
                state.column = state.column or self.store.result(canonical_url(state.column_url))
        self.confirmed.update(self.store.confirmed_keys())
        for key, result in self.store.results():
            if is_transient(result) and key not in self.confirmed:
                want = self.wants.get(key)
                unit = self.units[want.unit_id].unit if want else next(iter(self.units.values())).unit
                self.transient[key] = (unit, result.url)
        self.counts["links"] = len(self.claimed)
        return requests + self._replay_carried()

    def _disclosure_facts(self, state: UnitCrawl, want: Want, key: str, page: ParsedPage, url: str,
                          result: FetchResult) -> dict:
        """Facts of the page's disclosure role: the column's sections, a list's entries, an item's metadata."""
        unit_id = state.unit.id
        facts: dict = {}
        if want.role in COLUMN_ROLES:
            facts["column"] = self.analyzer.column(page, url)
            self._register_roles(unit_id, key, facts)
        role = self.list_pages.get(key)
        if role is not None:
            facts["list"] = self.analyzer.list_page(page, url, role.first)
            facts["section"] = role.section
        if key in self.item_pages:
            facts.update(self.analyzer.item(page))
            facts["listed_in"] = [self.item_pages[key].section, self.item_pages[key].name_on_page]
        findings = self.analyzer.regulation_findings(unit_id, url, result.title, result.heading, page)
        if findings:
            facts["findings"] = findings
        self._register_roles(unit_id, key, facts)
        return facts

    def _register_roles(self, unit_id: str, key: str, facts: dict) -> None:
        """What a column or list page says about other pages: section lists, their pages, their items."""
        for name, ref in facts.get("column", {}).get("sections", {}).items():
            if ref and ref[1]:
                self.list_pages.setdefault(canonical_url(ref[1]), ListRole(unit_id, name, ref[0], first=True))
        role = self.list_pages.get(key)
        known = self.list_paging.get((unit_id, facts.get("section", "")))
        if role is None and "list" in facts and known is not None:
            # a predicted page replayed on resume: no page linked it, its section is in its facts
            role = self.list_pages[key] = ListRole(unit_id, known.role.section, known.role.name_on_page)
        if role is None or "list" not in facts:
            return
        for page_url in facts["list"]["pages"]:
            self.list_pages.setdefault(canonical_url(page_url), ListRole(role.unit_id, role.section, role.name_on_page))
        want = self.wants.get(key)
        paging = self.list_paging.setdefault(
            (unit_id, role.section), ListPaging(role, want.depth if want else 0))
        paging.numbers.update(facts["list"].get("numbers", [1]))
        for number, page_url in facts["list"].get("predicted", {}).items():
            paging.predicted.setdefault(int(number), page_url)
        for _title, item_url, _date in facts["list"]["items"]:
            key = canonical_url(item_url)
            if key not in self.list_pages:  # a menu linking the other sections: no item of this one
                self.item_pages.setdefault(key, role)

    def _want_list_pages(self, state: UnitCrawl, want: Want, facts: dict, keyed: list[tuple[str, Link]]):
        """Every page of a section's list is crawled, whatever the depth: pagination is not a hop."""
        pages = facts.get("list", {}).get("pages", [])
        linked = {key for key, _link in keyed} if pages else set()
        for page_url in pages:
            key = canonical_url(page_url)
            if key not in linked:
                state.unlinked_list_pages[page_url] = None  # its failure is no broken link: a limit
            yield from self._want_page(state, key, Link(page_url, "", "a", PAGE), want.depth, want.section) or ()

    def _after_home(self, state: UnitCrawl, keyed: list[tuple[str, Link]]):
        unit = state.unit
        column_url = unit.disclosure_url
        state.column_found_by = "disclosure_url"
        if column_url is None and state.scope == "disclosure":
            link = find_disclosure_link([link for _key, link in keyed])
            column_url = link.url if link else None
            state.column_found_by = f"链接文字“{link.text}”" if link else ""
            frames = [] if link else list(self._frames_of(state, keyed, HOME_FRAME))
            if frames:  # the column link may stand in a frame: decided when they are read
                state.home_framed = True
                if not self.discover_only:
                    state.deferred_links = keyed
                yield from frames
                return
            if link is None and self.site_when_no_column:
                state.scope = "site"
        if state.scope == "site":
            yield from self._home_as_site(state, keyed)
            return
        # Home-page links are checked after the crawl, so that pages the column also links
        # are fetched once, as pages.
        if not self.discover_only:
            state.deferred_links = keyed
        yield from self._enter_column(state, column_url)

    def _home_as_site(self, state: UnitCrawl, keyed: list[tuple[str, Link]]):
        """The home's links followed as a site's (scope site, or a spot check without a column)."""
        state.scope, state.column_found_by = "site", ""
        yield from self._follow(state, Want(state.unit.id, 0, HOME_SECTION, "home"), state.unit.url, keyed)

    def _after_home_frame(self, state: UnitCrawl, keyed: list[tuple[str, Link]]):
        """A frame of a home page that names no column: its links are the home's, the column link among them."""
        if not self.discover_only:
            state.deferred_links += keyed
        if state.column_url is not None:
            return
        link = find_disclosure_link([link for _key, link in keyed])
        if link is None:
            yield from self._frames_of(state, keyed, HOME_FRAME)  # a frameset inside the frame
            return
        state.column_found_by = f"首页框架内链接文字“{link.text}”"
        yield from self._enter_column(state, link.url)

    def _enter_column(self, state: UnitCrawl, column_url: str | None):
        unit = state.unit
        state.column_url = column_url
        if self.discover_only or column_url is None:
            return
        state.hosts.add(host_of(column_url))
        key = canonical_url(column_url)
        self.wants[key] = Want(unit.id, 0, COLUMN_SECTION, "column")
        if key not in self.claimed:
            self.claimed.add(key)
            yield self._request(column_url, key, unit, "GET", self.on_page, **{CACHE_META: True})

    def _frames_of(self, state: UnitCrawl, keyed: list[tuple[str, Link]], role: str):
        """Requests for the frames a page shows from the unit's own hosts, read in `role`."""
        section = HOME_SECTION if role == HOME_FRAME else COLUMN_SECTION
        for key, link in keyed:
            if link.tag in FRAME_TAGS and link.kind == PAGE and host_of(link.url) in state.hosts:
                yield from self._want_page(state, key, link, 0, section, role) or ()

    def _column_frames(self, state: UnitCrawl, want: Want, keyed: list[tuple[str, Link]]):
        if want.role in COLUMN_ROLES:
            yield from self._frames_of(state, keyed, COLUMN_FRAME)

    def _follow(self, state: UnitCrawl, want: Want, page_url: str, keyed: list[tuple[str, Link]]):
        unit_id = state.unit.id
        for key, link in keyed:
            # Wanted already as a page, by another unit or at most as deep as this one: whether the
            # link turns a list's page or not, it changes nothing.
            known = self.wants.get(key)
            may_want = known is None or (known.unit_id == unit_id and known.depth > want.depth)
            if key in self.claimed and not (may_want and link.kind == PAGE):
                continue  # most links of a site: requested before, nothing to learn here
            requests = None
            # An <iframe> shows a document or a viewer (a WPS office viewer, a map) inside the page:
            # checked, not crawled; the frames that carry a home's, a column's or a list's links
            # are read where those are (_frames_of, the list's pages).
            in_scope = link.kind == PAGE and link.tag != "iframe" and host_of(link.url) in state.hosts
            if in_scope and may_want:
                paginated = link.tag in ("a", "area") and is_pager_link(link.text, link.url, page_url)
                depth = want.depth if paginated else want.depth + 1
                section = want.section
                if want.role in COLUMN_ROLES and not paginated and link.text:
                    section = link.text[:30]
                if depth <= state.unit.max_depth:
                    requests = self._want_page(state, key, link, depth, section)
            if requests is None:
                # the unit's own style sheets are read for the images and fonts they load
                reader = self.on_stylesheet if is_stylesheet(link) and host_of(link.url) in state.hosts else None
                request = self._check(state.unit, key, link, reader, section=want.section)
                requests = [request] if request is not None else []
            yield from requests

    def on_resource(self, response):
        """Answer to a HEAD (or the GET fallback) for an attachment, image, stylesheet or script."""
        key = response.meta["key"]
        result = self._result(response, response.request.method)
        # A HEAD refused, or answered 202 (accepted, nothing said of the resource: a firewall's
        # shell without its body), is asked again with GET.
        refused = result.status is not None and (result.status >= 400 or result.status == 202) and not result.challenge
        if response.request.method == "HEAD" and refused:
            yield self._get_after_head(response.request)
            return
        self._record(key, result, response.meta)
        self.store.tick()

    def on_stylesheet(self, response):
        """A style sheet of the unit's own: checked like a resource, and what it loads is checked too."""
        self._record(response.meta["key"], self._result(response, "GET"), response.meta)
        if response.status == 200 and isinstance(response, TextResponse):
            unit = self.units[response.meta["unit_id"]].unit
            links = stylesheet_links(response.text, response.url, response.encoding)
            keyed = keyed_links(links)
            self.store.put_edges(unit.id, response.url, response.meta["section"], keyed)
            for key, link in keyed:
                request = self._check(unit, key, link)
                if request is not None:
                    yield request
        self.store.tick()

    def _get_after_head(self, request) -> scrapy.Request:
        # Servers that refuse HEAD (405/501) or mishandle it get a GET; only the headers are read.
        unit = self.units[request.meta["unit_id"]].unit
        url = request.meta.get("redirect_urls", [request.url])[0]
        return self._request(url, request.meta["key"], unit, "GET", self.on_resource, headers_only=True)

    def on_failure(self, failure):
        request = failure.request
        meta = request.meta
        if isinstance(failure.value, HttpError) and not failure.value.response.headers.get(b"Location"):
            # A redirect status without a Location: a browser shows its body, as of any answer.
            yield from request.callback(failure.value.response)
            return
        if request.method == "HEAD" and not isinstance(failure.value, PrivateAddressBlocked):
            yield self._get_after_head(request)
            return
        url = meta.get("redirect_urls", [request.url])[0]
        redirects = list(meta.get("redirect_urls", []))
        if redirects:
            redirects.append(request.url)
        result = failure_to_result(url, request.method, failure, redirects, self.settings.getint("DOWNLOAD_MAXSIZE"))
        self._record(meta["key"], result, meta)
        want = self.wants.get(meta["key"])
        if want is not None:
            self._note_role(self.units[want.unit_id], want, meta["key"], url)
        self.store.tick()

    def on_probe(self, response):
        self.store.put_baseline(response.meta["probe_host"], self._result(response, "GET"))

    def on_probe_failure(self, failure):
        self.store.put_baseline(failure.request.meta["probe_host"],
                                failure_to_result(failure.request.url, "GET", failure, [],
                                                  self.settings.getint("DOWNLOAD_MAXSIZE")))

    # --- facts --------------------------------------------------------------------------
    def _result(self, response, method: str) -> FetchResult:
        redirects = list(response.meta.get("redirect_urls", []))
        url = redirects[0] if redirects else response.url
        if redirects:
            redirects.append(response.url)
        title = heading = text = body = ""
        if isinstance(response, TextResponse):
            body = response.text
            title, heading, text = summarize(body, TEXT_CHARS)
        headers = evidence_headers(response.headers)
        return FetchResult(
            url=url,
            method=method,
            status=response.status,
            final_url=response.url,
            redirects=redirects,
            content_type=headers.get("Content-Type", ""),
            title=title[:200],
            heading=heading[:200],
            text=text,
            challenge=challenge_shape(response.status, response.headers, body),
            attempts=1 + response.meta.get("retry_times", 0) + response.meta.get("retry_after_attempt", 0),
            fetched_at=shanghai_timestamp(),
            headers=headers,
            body_sha256=hashlib.sha256(response.body).hexdigest() if response.body else "",
            notes=response_notes(response, self._warnsize),
        )

    @cached_property
    def _warnsize(self) -> int:
        return self.settings.getint("DOWNLOAD_WARNSIZE")

    def _record(self, key: str, result: FetchResult, meta: dict) -> None:
        self.store.put_result(key, result)
        if key in self.confirmed:
            self.store.put_confirmed(key)
        elif is_transient(result):
            self.transient[key] = (self.units[meta["unit_id"]].unit, result.url)
        self.counts["links"] += 1
        if result.error_kind or (result.status or 0) >= 400:
            self.counts["problems"] += 1
        self._report_progress()

    def _maybe_probe(self, response, result: FetchResult):
        """Fetch the host's fixed non-existent path once: its answer is the host's error baseline."""
        if result.status != 200 or result.challenge or "html" not in result.content_type.lower():
            return
        host = host_of(response.url)
        if host in self.probed_hosts:
            return
        self.probed_hosts.add(host)
        parts = urlsplit(response.url)
        unit = self.units[response.meta["unit_id"]].unit
        yield scrapy.Request(
            urlunsplit((parts.scheme, parts.netloc, PROBE_PATH, "", "")),
            callback=self.on_probe,
            errback=self.on_probe_failure,
            dont_filter=True,
            meta={"probe_host": host, "unit_host": self.unit_hostnames[unit.id],
                  "handle_httpstatus_list": HANDLED_STATUSES, "dont_retry": True},
        )

    def _report_progress(self) -> None:
        if self.progress is not None:
            self.progress(dict(self.counts))

    # --- end of the crawl ---------------------------------------------------------------
    def on_idle(self, spider=None):
        """First the deferred home-page links, then one confirmation of each transient failure."""
        scheduled = False
        for state in self.units.values():
            if state.home_framed and state.column_url is None and self.site_when_no_column and state.scope != "site":
                scheduled |= self._crawl_as_site(state)
            keyed, state.deferred_links = state.deferred_links, []
            for key, link in keyed:
                request = self._check(state.unit, key, link)
                if request is not None:
                    self.crawler.engine.crawl(request)
                    scheduled = True
        if not scheduled:
            scheduled = self._request_predicted_pages()
        if not scheduled:
            scheduled = self._confirm_transient_failures()
        self.store.commit()
        if scheduled:
            raise DontCloseSpider

    def _crawl_as_site(self, state: UnitCrawl) -> bool:
        """A spot-checked home whose frames named no column either: crawled as a site."""
        keyed, state.deferred_links = state.deferred_links, []
        requests = list(self._home_as_site(state, keyed)) + self._replay_carried()
        for request in requests:
            self.crawler.engine.crawl(request)
        return bool(requests)

    def _request_predicted_pages(self) -> bool:
        """List pages a stated page count promises but no page links, predicted from a linked
        page's URL: tried once every linked way is exhausted (a CMS often serves only the first
        pages as files). A failure is a limit of the check, not a broken link: no page links it."""
        scheduled = False
        for (unit_id, _section), paging in self.list_paging.items():
            state = self.units[unit_id]
            for number, url in sorted(paging.predicted.items()):
                key = canonical_url(url)
                if number in paging.numbers or key in self.list_pages:  # a pager links it: not a guess
                    continue
                paging.numbers.add(number)
                state.unlinked_list_pages[url] = None
                self.list_pages[key] = ListRole(unit_id, paging.role.section, paging.role.name_on_page)
                for request in self._want_page(state, key, Link(url, "", "a", PAGE), paging.depth,
                                               paging.role.section) or ():
                    self.crawler.engine.crawl(request)
                    scheduled = True
        return scheduled

    def _confirm_transient_failures(self) -> bool:
        """Timeouts, connection errors and 5xx get one more attempt before they become findings."""
        pending, self.transient = self.transient, {}
        for key, (unit, url) in pending.items():
            self.confirmed.add(key)
            if key in self.resource_keys:
                request = self._request(url, key, unit, "GET", self.on_resource, headers_only=True)
            else:
                request = self._request(url, key, unit, "GET", self.on_page)
            self.crawler.engine.crawl(request)
        return bool(pending)

    def on_closed(self, spider=None, reason: str = ""):
        for unit_id, state in self.units.items():
            stats = state.stats()
            stats["close_reason"] = reason
            self.store.put_unit(unit_id, stats)
        self.store.commit()

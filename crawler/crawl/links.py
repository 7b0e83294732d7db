"""Links of a page, and the URL rules of the crawl (docs/checks.md).

Pure functions over text, without Scrapy: the spider calls them on every page, so they are on
the hot path (lxml, one pass) and must survive whatever a government CMS serves.
"""
from __future__ import annotations

import codecs
import re
from collections import Counter
from collections.abc import Callable
from functools import lru_cache
from html.parser import HTMLParser
from typing import NamedTuple
from urllib.parse import unquote, urljoin, urlsplit

import lxml.etree
from w3lib.url import canonicalize_url, safe_url_string

from checks.facts import ATTACHMENT, MALFORMED, PAGE, RESOURCE, Link
from checks.page import XML_UNSAFE, ParsedPage, as_parsed
from checks.paging import scripted_target
from crawler.crawl.page_text import script_navigation

# The attribute that carries the URL, per tag (docs/checks.md).
URL_ATTRIBUTES = {
    "a": "href",
    "area": "href",
    "img": "src",
    "link": "href",
    "script": "src",
    "iframe": "src",
    "frame": "src",
    # documents and media the page shows in place: attachments too
    "embed": "src",
    "object": "data",
    "video": "src",
    "audio": "src",
    "source": "src",
    "track": "src",  # a video's subtitles
}
# Besides: the target of a <meta http-equiv="refresh"> (tag "meta": the page a browser moves on
# to after showing this one), and CSS url()s in style attributes and <style> (tag "style").
_EMBEDDED_TAGS = {"img", "link", "script", "style"}  # what the page loads itself, not links one follows
_MEDIA_TAGS = {"embed", "object", "video", "audio", "source", "track"}  # never a page to crawl

ATTACHMENT_EXTENSIONS = frozenset(
    "pdf ofd ceb cebx caj txt csv rtf doc docx dot wps xls xlsx xlsm et ppt pptx pps dps "
    "odt ods odp tif tiff zip rar 7z gz tgz bz2 xz tar mp3 mp4 avi wmv flv mov swf "
    "exe msi apk".split()
)
RESOURCE_EXTENSIONS = frozenset(
    "jpg jpeg png gif bmp webp svg ico css js mjs json woff woff2 ttf otf eot".split()
)

_TRIMMED = "".join(map(chr, range(0x21)))  # C0 controls and space: browsers trim them off URLs
_REMOVED = dict.fromkeys(map(ord, "\t\n\r"))  # and drop these anywhere inside
_SCHEME = re.compile(r"([a-zA-Z][a-zA-Z0-9+.-]*):")
_ABSOLUTE_HTTP = re.compile(r"https?://", re.IGNORECASE)


def extract_links(html: str | ParsedPage, page_url: str, encoding: str = "utf-8") -> list[Link]:
    """Every link of the page, made absolute as a browser would request it, in document order.

    `encoding` is the page's: browsers percent-encode the query in it (the path in UTF-8).
    Links a browser does not request over HTTP (mailto:, tel:, javascript:, data:, a bare
    #fragment, other schemes) are left out. A link written so that it cannot work ('http:__host',
    'http://host]', a port out of range, a sentence or a bare 'www.host' as href) is kept as
    written, of kind MALFORMED: it is reported, never requested. Never raises: from a broken
    document it returns what could be read.
    """
    try:
        codecs.lookup(encoding)
    except LookupError:
        encoding = "utf-8"
    base_href, found = _scan(as_parsed(html))
    base = page_url
    if base_href is not None:
        # The first <base href>, itself relative to the page; ignored when unusable, as browsers do.
        base = _resolve(base_href, page_url, encoding)
        base = base if base and base is not _MALFORMED else page_url
    plain_base = _plain_base(base)
    links: dict[Link, None] = {}  # an ordered set
    for tag, href, text in found:
        url = _resolve_on_page(href, base, encoding, plain_base)
        if url is _MALFORMED:
            links.setdefault(Link(" ".join(href.split()), text, tag, MALFORMED))
        elif url is not None:
            links.setdefault(Link(url, text, tag, link_kind(url, tag)))
    return list(links)


@lru_cache(maxsize=65536)  # every link of every page: a site's pages link the same URLs again and again
def link_kind(url: str, tag: str) -> str:
    """PAGE, RESOURCE or ATTACHMENT: decides how the link is checked, and whether it is crawled."""
    if tag in _EMBEDDED_TAGS:
        return RESOURCE
    # String operations rather than urlsplit: this runs for every link of every page.
    path = url.partition("://")[2].partition("?")[0].partition("#")[0]
    name = path.partition("/")[2].rpartition("/")[2].partition(";")[0]
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    if extension in ATTACHMENT_EXTENSIONS:
        return ATTACHMENT
    if extension in RESOURCE_EXTENSIONS or tag in _MEDIA_TAGS:
        return RESOURCE
    return PAGE


# What _resolve answers for an href written so that it cannot work (see extract_links).
_MALFORMED = "\0malformed"
# A sentence as href: Chinese text without a path, a file name or a query in it.
_PROSE = re.compile(r"[^/.?=&]*[\u4e00-\u9fff][^/.?=&]*")
# 'www.customs.gov.cn/…' without its scheme: a browser requests it below the page's folder.
_HOST_WITHOUT_SCHEME = re.compile(r"www\.[a-z0-9-]+(?:\.[a-z0-9-]+)+(?::\d+)?(?:[/?]|$)", re.IGNORECASE)
# host[:port] as a browser accepts it: no space, control character nor any of #%/<>?@[\]^| in a
# name, a digit port.
_GOOD_AUTHORITY = re.compile(r"(?:[^@/?#]*@)?(?:[^\x00-\x20\x7f\s#%/:<>?@\[\\\]^|]+|\[[0-9a-f:.]+\])(?::\d*)?",
                             re.IGNORECASE)


def _resolve(href: str, base: str, encoding: str, plain_base: PlainBase | None = None) -> str | None:
    """The URL a browser requests for `href` on a page at `base`, None when it requests none,
    _MALFORMED when it is written so that it cannot work."""
    href = href.strip(_TRIMMED)
    if "\t" in href or "\n" in href or "\r" in href:  # rare, and translate() costs
        href = href.translate(_REMOVED)
    if not href or href.startswith("#"):
        return None
    scheme = _SCHEME.match(href)
    if scheme and scheme[1].lower() not in ("http", "https"):
        return None  # mailto:, tel:, javascript:, data: and the like
    if scheme is None and (href.startswith(("www.", "WWW.")) and _HOST_WITHOUT_SCHEME.match(href)
                           or not href.isascii() and _PROSE.fullmatch(href)):
        return _MALFORMED
    if plain_base is not None and scheme is None:
        joined = _join_plain(href, plain_base)
        if joined is not None:
            return joined
    # Browsers read '\' as '/' before the query of an http(s) URL ('http://h\a\b.xls', '..\x').
    cut = min((i for i in (href.find("?"), href.find("#")) if i >= 0), default=len(href))
    href = href[:cut].replace("\\", "/") + href[cut:]
    if scheme is not None and not _ABSOLUTE_HTTP.match(href):
        return _MALFORMED  # 'http:__host', 'http:/host', 'http:'
    absolute = scheme is not None or href.startswith("//")  # else it takes the page's host, good or bad
    try:
        if scheme is None:
            href = urljoin(base, href)
        try:
            url = safe_url_string(href, encoding)
        except UnicodeEncodeError:  # a character the page's encoding lacks: browsers use UTF-8
            url = safe_url_string(href, "utf-8")
    except ValueError:  # a port out of range, a broken IPv6 address
        return _MALFORMED if absolute else None
    url = url.partition("#")[0]
    if not url.startswith(("http://", "https://")):
        return None
    if not _good_authority(url.partition("://")[2].partition("/")[0].partition("?")[0]):
        # written so; or a relative link on a page whose own address names no host: nothing to request
        return _MALFORMED if absolute else None
    return url


def _resolve_on_page(href: str, base: str, encoding: str, plain_base: PlainBase | None) -> str | None:
    """_resolve, remembered across the pages of a crawl: its pages link the same hrefs again and
    again. An href's URL depends only on part of a plain base: its origin for '/x', its address
    for '?x', its folder for the rest; that part is the key."""
    if plain_base is None:
        return _resolve(href, base, encoding)
    lead = href[:1]
    if lead <= " ":  # rare: white space or a control character first
        lead = href.lstrip(_TRIMMED)[:1]
    if lead == "?":
        return _resolve_against(href, plain_base.document, encoding)
    return _resolve_against(href, plain_base.origin + "/" if lead in ("/", "\\") else plain_base.folder, encoding)


@lru_cache(maxsize=65536)
def _resolve_against(href: str, base: str, encoding: str) -> str | None:
    return _resolve(href, base, encoding, _plain_base(base))


@lru_cache(maxsize=4096)
def _good_authority(authority: str) -> bool:
    return bool(authority) and _GOOD_AUTHORITY.fullmatch(authority) is not None


# Most hrefs need neither escaping nor dot-segment removal: those are joined by concatenation,
# which gives what urljoin + safe_url_string give (tests/test_links.py checks that) in a tenth
# of the time; every link of every page passes here.
_PLAIN = re.compile(r"(?:[A-Za-z0-9\-._~/!$&()*+,=:@?]|%[0-9A-Fa-f]{2})*")
# Paths that urljoin rewrites: dot segments, and empty segments (it drops those).
_REWRITTEN_PATH = re.compile(r"(?:^|/)\.\.?(?:/|$)|//")


class PlainBase(NamedTuple):
    """A page URL split for joining plain hrefs: 'http://h/a/b.html?q' -> origin, folder, document."""

    origin: str  # http://h
    folder: str  # http://h/a/
    document: str  # http://h/a/b.html


def _plain_base(base: str) -> PlainBase | None:
    """`base` split for `_join_plain`, or None when it is not plain enough to join by concatenation."""
    scheme, separator, rest = base.partition("://")
    if scheme not in ("http", "https") or not separator or not _PLAIN.fullmatch(rest):
        return None
    netloc, slash, path = rest.partition("/")
    path = slash + path.partition("?")[0]
    if not _good_authority(netloc) or not path or _REWRITTEN_PATH.search(path):
        return None
    origin = _origin(scheme, netloc)
    if origin is None:
        return None
    return PlainBase(origin, origin + path.rpartition("/")[0] + "/", origin + path)


@lru_cache(maxsize=1024)
def _origin(scheme: str, netloc: str) -> str | None:
    """'scheme://host[:port]' as safe_url_string writes it (lowercase, IDNA); None for a bad port."""
    try:
        return safe_url_string(f"{scheme}://{netloc}/").removesuffix("/")
    except ValueError:
        return None


def _join_plain(href: str, base: PlainBase) -> str | None:
    """`href` (without a scheme) joined to `base` when it is plain, else None (urljoin's job)."""
    if not _PLAIN.fullmatch(href) or _REWRITTEN_PATH.search(href.partition("?")[0]) or href.endswith("?"):
        # (urljoin drops an empty query too)
        return None
    if href[0] == "/":
        return base.origin + href
    if href[0] == "?":
        return base.document + href
    return base.folder + href


def _squash(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _scan(page: ParsedPage) -> tuple[str | None, list[tuple[str, str, str]]]:
    """The first <base href>, and (tag, raw URL, text) of every link element in document order."""
    if page.truncated:
        # libxml2 stops reading at a nesting depth of a few thousand (thousands of unclosed
        # <span>s on one broken list page): the rest of the links would be lost.
        return _scan_without_depth_limit(page.html)
    root = page.root
    base_href = next((b.get("href") for b in root.iter("base") if b.get("href") is not None), None)
    found = []
    for element in root.iter(*URL_ATTRIBUTES, "select", "meta"):
        tag = element.tag
        if tag == "meta":
            href = refresh_target(element.get("http-equiv"), element.get("content"))
            if href is not None:
                found.append(("meta", href, ""))
        elif tag == "select":
            onchange = element.get("onchange")
            for option in element.iter("option"):
                href = _dropdown_href(onchange, option.get("value"))
                if href is not None:
                    found.append(("option", href, _squash(option.text_content())))
        else:
            href = _scripted_href(tag, element.get(URL_ATTRIBUTES[tag]), element.get)
            if href is not None:
                found.append((tag, href, _anchor_text(element) if tag == "a" else _alt_or_title(element.get)))
    if _may_hold_css_urls(page.html):
        for element in root.xpath("//style | //*[@style]"):
            css = (element.text or "") if element.tag == "style" else element.get("style")
            found += [("style", href, "") for href in css_urls(css)]
    return base_href, found


# <meta http-equiv="refresh" content="5; url=/new/">: the delay, then the URL (quoted or not).
_REFRESH = re.compile(r"\s*(?:\d+\.?|\.)[\d.]*\s*(?:[;,]\s*|(?<=\s))(?:url\s*=\s*)?(['\"]?)(?P<url>[^'\"]+)\1",
                      re.IGNORECASE)
# CSS: url(x), url('x'), url("x") and @import "x"; comments are no CSS.
_CSS_COMMENT = re.compile(r"/\*.*?(?:\*/|$)", re.DOTALL)
_CSS_URL = re.compile(r"""url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')""",
                      re.IGNORECASE)


def refresh_target(http_equiv: str | None, content: str | None) -> str | None:
    """The URL a <meta http-equiv="refresh"> moves on to, None when it only reloads the page."""
    if not content or (http_equiv or "").strip().lower() != "refresh":
        return None
    found = _REFRESH.match(content)
    return found["url"].strip() or None if found else None


def css_urls(css: str) -> list[str]:
    """The URLs a style sheet (or a style attribute) loads: url() and @import, comments aside."""
    return [next(group for group in match.groups() if group is not None)
            for match in _CSS_URL.finditer(_CSS_COMMENT.sub("", css))
            if any(match.groups())]


def stylesheet_links(css: str, css_url: str, encoding: str = "utf-8") -> list[Link]:
    """The resources a style sheet at `css_url` loads, made absolute against it."""
    links: dict[Link, None] = {}
    for href in css_urls(css):
        url = _resolve(href, css_url, encoding)
        if url is _MALFORMED:
            links.setdefault(Link(" ".join(href.split()), "", "style", MALFORMED))
        elif url is not None:
            links.setdefault(Link(url, "", "style", RESOURCE))
    return list(links)


def is_stylesheet(link: Link) -> bool:
    """A <link> to a .css file: the spider reads it for the url()s it loads."""
    return link.tag == "link" and link.url.partition("?")[0].lower().endswith(".css")


def _may_hold_css_urls(html: str) -> bool:
    return "url(" in html or "URL(" in html or "@import" in html


# A link dropdown ("友情链接"): a <select> whose onchange opens the chosen <option>'s value.
_OPENS_CHOICE = re.compile(r"open\s*\(|location", re.IGNORECASE)
_URL_LIKE = re.compile(r"https?://|\.{0,2}/", re.IGNORECASE)


def _dropdown_href(onchange: str | None, value: str | None) -> str | None:
    """The URL an <option> of a link dropdown leads to, else None (a form's select, a placeholder)."""
    if not onchange or not value or not _OPENS_CHOICE.search(onchange):
        return None
    value = value.strip()
    return value if _URL_LIKE.match(value) else None


def _scripted_href(tag: str, href: str | None, attribute: Callable[[str], str | None]) -> str | None:
    """The URL a link opens by script, when its href only runs it ("javascript:window.open('…')",
    or "#" / "javascript:void(0)" with an onclick that sets location or opens a window, or that
    hands a pager function the page's path, or a `tagname` target); else its href. `attribute`
    reads the element's other attributes, only for such a link."""
    written = (href or "").strip()
    if tag not in ("a", "area") or (written not in ("", "#") and written[:11].lower() != "javascript:"):
        return href
    onclick = attribute("onclick")
    opened = script_navigation(f"{href or ''} {onclick or ''}", new_windows=True)
    return opened[0] if opened else scripted_target(onclick, attribute("tagname")) or href


def _anchor_text(anchor) -> str:
    """What an anchor says: its text, else the alt or title of its image, else its own."""
    if len(anchor) == 0:  # no child element: the common case, and the fast one
        return _squash(anchor.text) or _alt_or_title(anchor.get)
    texts: list[str] = []
    image_texts: list[str] = []
    for event, element in lxml.etree.iterwalk(anchor, events=("start", "end")):
        if event == "end":
            if element is not anchor:
                texts.append(element.tail or "")
        elif element is anchor:
            texts.append(anchor.text or "")
        elif element.tag == "a":
            # libxml2 nests an unclosed <a> in the next one; browsers close it there.
            break
        elif isinstance(element.tag, str):  # not a processing instruction
            texts.append(element.text or "")
            if element.tag == "img":
                image_texts.append(_alt_or_title(element.get))
    return (
        _squash("".join(texts))
        or next((text for text in image_texts if text), "")
        or _alt_or_title(anchor.get)
    )


def _alt_or_title(get) -> str:
    return _squash(get("alt")) or _squash(get("title"))


def _scan_without_depth_limit(html: str) -> tuple[str | None, list[tuple[str, str, str]]]:
    """_scan by the standard library's tokenizer, which keeps no tree and so has no depth limit."""
    scanner = _LinkScanner()
    try:
        scanner.feed(XML_UNSAFE.sub("", html))  # what the lxml path drops too: both read the same links
        scanner.close()
    except AssertionError:  # html.parser's reaction to some malformed <![ ... ]> sections
        pass
    scanner.close_anchor()
    scanner.close_option()
    return scanner.base_href, [tuple(item) for item in scanner.found]


class _LinkScanner(HTMLParser):
    """What _scan collects, gathered from html.parser's tag and text events."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.base_href: str | None = None
        self.found: list[list[str]] = []  # [tag, href, text]; an open anchor's text comes later
        self._anchor: tuple[int, list[str], list[str]] | None = None  # index, text, image texts
        self._dropdown_onchange: str | None = None  # of the open <select>
        self._option: tuple[int, list[str]] | None = None  # index, text of an open <option> link
        self._style: list[str] | None = None  # the text of an open <style>

    def handle_starttag(self, tag, attrs):
        attributes = {name: value for name, value in attrs if value is not None}
        if tag == "base" and self.base_href is None:
            self.base_href = attributes.get("href")
        if tag == "a":
            self.close_anchor()  # an <a> inside an <a> ends the first one, as in browsers
        if tag == "img" and self._anchor is not None:
            self._anchor[2].append(_alt_or_title(attributes.get))
        if tag in ("select", "option"):
            self._dropdown_option(tag, attributes)
            return
        if "style" in attributes:
            self.found += [["style", href, ""] for href in css_urls(attributes["style"])]
        if tag == "style":
            self._style = []
        if tag == "meta":
            href = refresh_target(attributes.get("http-equiv"), attributes.get("content"))
            if href is not None:
                self.found.append(["meta", href, ""])
            return
        href = _scripted_href(tag, attributes.get(URL_ATTRIBUTES.get(tag, "")), attributes.get)
        if href is None:
            return
        self.found.append([tag, href, _alt_or_title(attributes.get)])
        if tag == "a":
            self._anchor = (len(self.found) - 1, [], [])

    def _dropdown_option(self, tag: str, attributes: dict) -> None:
        self.close_option()
        if tag == "select":
            self._dropdown_onchange = attributes.get("onchange")
            return
        href = _dropdown_href(self._dropdown_onchange, attributes.get("value"))
        if href is not None:
            self.found.append(["option", href, ""])
            self._option = (len(self.found) - 1, [])

    def handle_data(self, data):
        if self._style is not None:
            self._style.append(data)
        if self._anchor is not None:
            self._anchor[1].append(data)
        if self._option is not None:
            self._option[1].append(data)

    def handle_endtag(self, tag):
        if tag == "style" and self._style is not None:
            self.found += [["style", href, ""] for href in css_urls("".join(self._style))]
            self._style = None
        if tag == "a":
            self.close_anchor()
        if tag in ("option", "select"):
            self.close_option()
        if tag == "select":
            self._dropdown_onchange = None

    def close_option(self):
        if self._option is not None:
            index, parts = self._option
            self.found[index][2] = _squash("".join(parts))
            self._option = None

    def close_anchor(self):
        if self._anchor is None:
            return
        index, parts, image_texts = self._anchor
        own = self.found[index][2]
        text = _squash("".join(parts)) or next((t for t in image_texts if t), "") or own
        self.found[index][2] = text
        self._anchor = None


# --- canonical URLs -------------------------------------------------------------------------

_SESSION_PATH_PARAM = re.compile(r";jsessionid=[^/;?#]*", re.IGNORECASE)
_SESSION_KEYS = frozenset({"jsessionid", "phpsessid", "sessionid", "session_id"})
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}
_CANONICAL_ROUNDS = 8
# A URL in canonical form already, as most links are once resolved: lowercase http(s) host, no
# default port, a non-empty path of characters canonicalize_url keeps as they are, no dot or
# empty segment, no ';', '%', query or fragment. Recognised in a twentieth of canonicalize_url's time.
_SEGMENT = r"/[A-Za-z0-9\-_~!$&'()*+,=:@][A-Za-z0-9\-_~!$&'()*+,=:@.]*"
_HOST = "[a-z0-9-]+(?:\\.[a-z0-9-]+)*"
_ALREADY_CANONICAL = re.compile(rf"https?://{_HOST}(?::(?!80/|443/)[1-9][0-9]{{0,4}})?(?:(?:{_SEGMENT})+/?|/)")


@lru_cache(maxsize=65536)  # asked several times for every link of every page
def canonical_url(url: str) -> str:
    """The key of "fetched once per run": equal for URLs that name the same resource.

    Lowercase scheme and host, no default port, no fragment, dot segments resolved, query sorted,
    session ids dropped (a crawler without cookies gets a new one on every page, a classic trap).
    Idempotent, and never raises: text that is no URL is returned trimmed.
    """
    # canonicalize_url is not idempotent on every input ('a%2ehttp://'), and dropping a session
    # id can expose a dot segment ('/a/..;jsessionid=1/b') or normalising one reveal a session
    # id (a tab inside '?\tsid=1'): repeat until nothing changes, one or two rounds in practice.
    current = url.strip()
    if _ALREADY_CANONICAL.fullmatch(current):
        return current
    for _ in range(_CANONICAL_ROUNDS):
        normalised = _canonical_once(current)
        if normalised == current:
            break
        current = normalised
    return current


def keyed_links(links: list[Link]) -> list[tuple[str, Link]]:
    """Each link with its canonical URL, worked out once for all that is done with the link."""
    return [(canonical_url(link.url), link) for link in links]


def _canonical_once(url: str) -> str:
    try:
        url = canonicalize_url(_without_session(url))
    except ValueError:  # a port out of range, a broken IPv6 address
        return url
    scheme, _, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    default_port = _DEFAULT_PORTS.get(scheme)
    if default_port and netloc.endswith(default_port):
        url = f"{scheme}://{netloc.removesuffix(default_port)}{slash}{path}"
    return url


def _without_session(url: str) -> str:
    path, mark, query = url.partition("?")
    path = _SESSION_PATH_PARAM.sub("", path)
    if query:
        query, hash_mark, fragment = query.partition("#")
        kept = [pair for pair in query.split("&") if not _is_session_key(pair.partition("=")[0])]
        query = "&".join(kept) + hash_mark + fragment
        mark = mark if query else ""
    return path + mark + query


def _is_session_key(key: str) -> bool:
    key = unquote(key).lower()
    return key in _SESSION_KEYS or key.startswith("aspsessionid")


# --- traps and pagination -------------------------------------------------------------------

MAX_URL_LENGTH = 2000
MAX_PATH_SEGMENTS = 15
MAX_SEGMENT_REPEATS = 2


def is_trap_path(url: str) -> bool:
    """A URL of an endless space: ever deeper relative paths ('a/b/a/b/a/b/'), or absurd length."""
    if len(url) > MAX_URL_LENGTH:
        return True
    try:
        path = urlsplit(url).path
    except ValueError:  # a broken IPv6 host: no page to crawl there
        return True
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) > MAX_PATH_SEGMENTS:
        return True
    return len(set(segments)) < len(segments) and max(Counter(segments).values()) > MAX_SEGMENT_REPEATS

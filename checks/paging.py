"""The pager of a list page, read as a visitor uses it: the one recogniser of list pagination.

A pager is a run of numbered and next/previous links near a list, usually with a page count
(第1/239页, 共12页, 1/12, a hidden <input totalpage="12">). Its links may be plain hrefs, or
script-only links whose target sits in an onclick call (`queryArticleByCondition(this,'/x-2.html')`)
or a `tagname` attribute ('[NEXTPAGE]'-style placeholders mark a disabled button); a jump box or
a pager script may hold the URL pattern of every page. Those are the pages the site links.

Pages it does not link, the product can only predict from a linked URL's numbering: many CMSs
serve the first pages as static files and the rest from a portal, so a prediction is a guess
(`Pager.predicted`) that the crawl tries only when no linked way reaches that page.

`is_pager_link` (one link, no context; the spider asks it about every link) and `read_pager`
(the whole page; a list's pages) share the same rules: a pager word, a page number the URL
carries, or a URL that is another page of this list.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

from checks.hosts import host_of

# A list's stated page count is page text: "共 100000000 页" must not become a hundred million
# URLs. No disclosure list comes near this, and the unit's page cap ends its crawl long before.
MAX_LIST_PAGES = 1000

NEXT_WORDS = frozenset({"下一页", "下页", "后页", "后一页", "next", ">", "›", "»", ">>"})
PREVIOUS_WORDS = frozenset({"上一页", "上页", "前页", "前一页", "prev", "previous", "<", "‹", "«", "<<"})
FIRST_WORDS = frozenset({"首页", "第一页", "first"})
LAST_WORDS = frozenset({"尾页", "末页", "最后一页", "last"})
PAGER_WORDS = NEXT_WORDS | PREVIOUS_WORDS | FIRST_WORDS | LAST_WORDS

# --- where a link leads ---------------------------------------------------------------------------

_WEB_URL = re.compile(r"https?://", re.I)
_SCRIPT_SCHEMES = re.compile(r"(?i)(javascript|mailto|tel|data):")
# A same-site URL path as a script argument: rooted or relative, no spaces or quotes; a bare
# name only with a page extension ('list-2.html'), so that 'tab1' or 'show' are not links.
_PAGE_EXTENSION = r"\.(?:s?html?|jsp|aspx?|php|do)"
_URL_PATH = re.compile(rf"(?:/(?!/)|\.\.?/)[^\s'\"<>()]*|[\w.-]+{_PAGE_EXTENSION}(?:\?[^\s'\"<>()]*)?", re.I)
_QUOTED = re.compile(r"""(['"])(.*?)\1""")
_ABSOLUTE = re.compile(r"https?://[^\s'\"<>/]+(?:/[^\s'\"<>]*)?", re.I)


def scripted_target(onclick: str | None, tagname: str | None) -> str | None:
    """The URL (as written) a link without a usable href opens by script, or None.

    A `tagname` holding a URL (never a '[NEXTPAGE]' placeholder), else the one string argument
    of an onclick call (empty strings aside) when it is a same-site URL path:
    `queryArticleByCondition(this,'/a-2.html')`, `openWin('/a.html','')`.
    """
    tagname = (tagname or "").strip()
    if tagname and "[" not in tagname and (_ABSOLUTE.fullmatch(tagname) or _URL_PATH.fullmatch(tagname)):
        return tagname
    strings = [text.strip() for _, text in _QUOTED.findall(onclick or "") if text.strip()]
    if len(strings) == 1 and _URL_PATH.fullmatch(strings[0]):
        return strings[0]
    return None


def link_url(anchor, base: str) -> str | None:
    """Where an anchor leads, absolute and without fragment; None for script/mail/fragment links.

    Pager links of some CMSs carry their target in `tagname` or an onclick call and leave href
    as javascript: (`scripted_target`). Only http(s) targets count: the crawl requests a list's
    pages, and a planted <base href="file:///etc/"> must not make it ask for a local file.
    """
    href = (anchor.get("href") or "").strip()
    if href and not href.startswith("#") and not _SCRIPT_SCHEMES.match(href):
        return web_url(urljoin(base, href))
    target = scripted_target(anchor.get("onclick"), anchor.get("tagname"))
    return web_url(urljoin(base, target)) if target else None


def web_url(url: str) -> str | None:
    """`url` without its fragment when it is an http(s) URL, else None."""
    return urldefrag(url)[0] if _WEB_URL.match(url) else None


# --- one link -------------------------------------------------------------------------------------

_DECORATION = re.compile(r"[\s\[\]【】()（）<>《》«»‹›|]+")
_ARROWS = re.compile(r"[<>«»‹›]{1,3}")
_PAGE_NUMBER = re.compile(r"第?(\d{1,4})页?")
PAGE_QUERY_KEYS = ("currentpage", "curpage", "page", "pageno", "pagenum", "pageindex", "pn", "p")
# '302275-2.html' (the customs CMS), 'index_1.html' (TRS): page n of the list '<stem>.html'.
# Page numbers have at most 4 digits; longer ones are article ids ('t20210101_4567890.html').
_NUMBERED_PAGE = re.compile(rf"(?P<stem>[\w.-]*?)[-_](?P<n>\d{{1,4}}){_PAGE_EXTENSION}", re.I)
_LIST_PAGE = re.compile(rf"(?P<stem>[\w.-]*){_PAGE_EXTENSION}|", re.I)
# An absolute URL in urlsplit's parts, in a fraction of its time (this runs for every link)
URL_PARTS = re.compile(r"[^:/?#]*://(?P<netloc>[^/?#]*)(?P<path>[^?#]*)(?:\?(?P<query>[^#]*))?")


@lru_cache(maxsize=4096)  # asked of the links of every page: menus and pagers repeat their words
def pager_word(text: str) -> str:
    """What a pager link says, normalised: '下一页', '>>', '2' (from '[2]', '第2页'); '' for other texts."""
    word = _DECORATION.sub("", unicodedata.normalize("NFKC", text or "")).lower()
    number = _PAGE_NUMBER.fullmatch(word)
    if number:
        return number[1]
    if not word:  # only arrows: '>>', '«'
        arrows = "".join(_ARROWS.findall(text or ""))
        return arrows if arrows in PAGER_WORDS else ""
    return word if word in PAGER_WORDS else ""


def is_pager_link(text: str, url: str, page_url: str) -> bool:
    """Whether a link of `page_url` reading `text` and leading to `url` turns a page of its list.

    Recognised by its text (下一页, 尾页, », not 首页, which is also the site's home), a bare page
    number that the URL carries, or by its URL: a page-number query (currentPage=2, also on
    another path: /eportal/ui?pageId=<list id>&currentPage=2), '<list>-<n>.html' /
    'index_<n>.html' beside the list page, or back from there to the list's first page. Only
    links on the same host count.
    """
    page = _list_page(page_url)
    target = URL_PARTS.fullmatch(url)
    if page is None or target is None or host_of(url) != page.host:
        return False
    word = pager_word(text)
    if word and not word.isdigit() and word not in FIRST_WORDS:
        return True
    query = target["query"] or ""
    if query and _has_page_number(query) and (target["path"] == page.path or page.folder_name in _query_values(query)):
        return True
    target_dir, _, target_name = target["path"].rpartition("/")
    if target_dir == page.folder:
        numbered = _NUMBERED_PAGE.fullmatch(target_name)
        if numbered and numbered["stem"] in page.list_stems:
            return True  # page n of this list
        first = _LIST_PAGE.fullmatch(target_name) if page.numbered else None
        if first and (first["stem"] or "index") in page.list_stems:
            return True  # from page n back to the first page of the list
    # A bare "2": its number must be in the URL, or it is a numbered list item.
    return word.isdigit() and re.search(rf"(?<!\d){word}(?!\d)", f"{target_name}?{query}") is not None


class _ListPage(NamedTuple):
    """What is_pager_link compares a page's links with, worked out once per page."""

    host: str  # checks.hosts.host_of
    path: str
    folder: str  # the path up to the page's name
    folder_name: str  # its last segment: the list id in '/<list id>/index.html'
    list_stems: frozenset[str]  # names of the list's first page: index, the folder, the page's stem
    numbered: bool  # the page is page n of a list ('302275-2.html')


@lru_cache(maxsize=256)  # the links of one page come together
def _list_page(page_url: str) -> _ListPage | None:
    try:
        page = urlsplit(page_url)
    except ValueError:
        return None
    folder, _, name = page.path.rpartition("/")
    folder_name = folder.rpartition("/")[2]
    numbered = _NUMBERED_PAGE.fullmatch(name)
    stem = numbered["stem"] if numbered else (name.rpartition(".")[0] or name)
    return _ListPage(host_of(page_url), page.path, folder, folder_name,
                     frozenset({"index", folder_name, stem}), bool(numbered))


def _has_page_number(query: str) -> bool:
    return any(key.lower() in PAGE_QUERY_KEYS and value.isdigit() for key, value in parse_qsl(query, keep_blank_values=True))


def _query_values(query: str) -> set[str]:
    return {value for _, value in parse_qsl(query, keep_blank_values=True)}


# --- the whole pager ------------------------------------------------------------------------------

@dataclass(frozen=True)
class Pager:
    """A list page's pager as read; `pages` are linked (or built by the site's own script)."""

    current: int  # this page's number (1 when nothing says otherwise)
    total: int | None  # as the page states it, else as far as its links go; None without a pager
    stated: bool  # the total is the page's own claim (第1/239页, 共N页, totalpage=, a pager script)
    pages: tuple[str, ...]  # the list's other pages the site links, in page order
    numbers: frozenset[int]  # the page numbers those pages and this page stand for
    predicted: tuple[tuple[int, str], ...]  # (number, URL) of stated pages no link reaches, by a linked URL's numbering

    @property
    def predicted_pages(self) -> dict[int, str]:
        return dict(self.predicted)


NO_PAGER = Pager(1, None, False, (), frozenset({1}), ())

_PAGE_PARAM = re.compile(rf"([?&](?:{'|'.join(PAGE_QUERY_KEYS)})=)(\d*)", re.I)
_PAGE_FILE = re.compile(r"([-_])(\d+)(\.s?html?)$", re.I)
_TOTAL_TEXT = re.compile(r"共\s*(\d+)\s*页")
_OF_TOTAL = re.compile(r"第\s*(\d+)\s*/\s*(\d+)\s*页|(?:页次|当前第?)[:：]?\s*(\d+)\s*/\s*(\d+)")
_BARE_OF_TOTAL = re.compile(r"(?<![\d/.-])(\d+)\s*/\s*(\d+)(?![\d/.-])")  # '1/12': inside a pager only
# TRS WCM: createPageHTML(total, current index, "index", "html"): index.html, index_1.html, ...
_TRS_PAGER = re.compile(r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*['\"]([\w-]+)['\"]\s*,\s*['\"](\w+)['\"]")
_PAGER_HINT = re.compile(r"^(?:pag\w*|fenye|fy|pg|\w*total\w*)$")
# A jump box's script builds any page's URL: '/eportal/ui?pageId=1&currentPage=' + this.value + '&moduleId=…'
_JUMP_EVENTS = ("onkeydown", "onkeyup", "onkeypress", "onclick", "onchange", "onsubmit")
_PLACEHOLDER_VALUE = re.compile(r"$|\{\w*\}|\[\w*\]|%d|#\w*#|\$\w+")
_NEAR_LEVELS = 2  # a pager link and the pager's other parts share a parent or grandparent


@dataclass(frozen=True)
class _Template:
    """A pager URL with its page-number token: prefix + number + suffix."""

    prefix: str
    number: int
    suffix: str
    by_query: bool  # ?currentPage=n works for every page; static -n.html files often stop early

    def url(self, number: int) -> str:
        return f"{self.prefix}{number}{self.suffix}"


def _template(url: str) -> _Template | None:
    params = [match for match in _PAGE_PARAM.finditer(url) if match[2]]
    if params:
        match = params[-1]
        return _Template(url[: match.start(2)], int(match[2]), url[match.end(2):], True)
    path, mark, query = url.partition("?")
    file_match = _PAGE_FILE.search(path)
    if file_match:
        return _Template(path[: file_match.start(2)], int(file_match[2]), path[file_match.end(2):] + mark + query, False)
    return None


class _PagerLink(NamedTuple):
    word: str  # pager_word of its text (or title)
    url: str
    template: _Template | None


def _text(element) -> str:
    return " ".join(unicodedata.normalize("NFKC", " ".join(element.itertext())).split())


def _class_tokens(element) -> list[str]:
    value = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return [token for token in re.split(r"[^a-z0-9]+", value) if token]


def _near(element) -> list:
    """The element's parent and grandparent: where the rest of its pager would be."""
    found, node = [], element.getparent()
    while node is not None and len(found) < _NEAR_LEVELS:
        found.append(node)
        node = node.getparent()
    return found


def read_pager(root, base: str, page_url: str) -> Pager:
    """The pager of a parsed page (scripts still in it: a pager script or a jump box may hold the
    URL pattern): this page's number, the total, the pages it links and those only predictable."""
    scripted = _trs_pages(root, base)
    if scripted is not None:
        return scripted
    host = host_of(page_url)
    links, containers = _pager_links(root, base, page_url, host)
    current, total = _stated_count(root, containers)
    stated = total is not None
    offsets = _offsets(links)
    if current is None:
        current = _own_number(page_url, links, offsets)

    linked: dict[int, str] = {}
    unnumbered: list[str] = []
    for link in links:
        number = _link_number(link, current, total, offsets)
        if number is None or number < 1:
            if link.word not in PREVIOUS_WORDS | FIRST_WORDS:
                unnumbered.append(link.url)
        elif total is None or number <= total:
            linked.setdefault(number, link.url)
    if total is None and linked:
        total = max(max(linked), current)
    if total is None and not unnumbered:
        return NO_PAGER
    count = min(total or 0, MAX_LIST_PAGES)
    jump = _jump_pattern(root, base, host) if stated else None
    if jump is not None:
        for number in range(1, count + 1):
            linked.setdefault(number, jump.url(number))
    linked.pop(current, None)
    pages = [url for _, url in sorted(linked.items())] + unnumbered
    pages = list(dict.fromkeys(url for url in pages if url != page_url))
    numbers = frozenset(linked) | {current}
    predicted: list[tuple[int, str]] = []
    generator = max((link.template for link in links if link.template), key=lambda t: (t.by_query, _known(offsets, t)),
                    default=None)
    if stated and generator is not None:
        shift = _offset(offsets, generator)
        predicted = [(number, generator.url(number + shift)) for number in range(2, count + 1) if number not in numbers]
    return Pager(current, total, stated, tuple(pages), numbers, tuple(predicted))


def _pager_links(root, base: str, page_url: str, host: str) -> tuple[list[_PagerLink], set]:
    """The pager's links, and the elements that hold a pager (for its page count).

    A link counts when `is_pager_link` says so, or when it says a page number or 首页 near
    other pager parts (a next link, a page count, a page-count input) or inside a pager-named block.
    """
    candidates = []
    containers: set = set()
    for element in root.iter("a", "input", "span", "div", "td", "p", "font", "b", "em", "li"):
        if element.tag == "input":
            if element.get("totalpage") is not None:
                containers.update(_near(element))
            continue
        if element.tag != "a":
            own = (element.text or "").strip()
            if own and (_OF_TOTAL.search(own) or _TOTAL_TEXT.search(own) or _BARE_OF_TOTAL.fullmatch(own)):
                containers.update([element, *_near(element)])
            continue
        url = link_url(element, base)
        if url is None or host_of(url) != host:
            continue
        text = _text(element)
        word = pager_word(text) or pager_word(element.get("title") or "")
        strong = is_pager_link(word or text, url, page_url)
        if strong:
            containers.update(_near(element))
        # 首页 is also the site's home: a link to the root is never the list's first page
        if strong or word.isdigit() or (word in FIRST_WORDS and urlsplit(url).path.strip("/") not in ("", "index.html")):
            candidates.append((element, strong, _PagerLink(word, url, _template(url))))
    links = []
    for element, strong, link in candidates:
        near = _near(element)
        if strong or any(node in containers for node in near) or any(
            _PAGER_HINT.search(token) for node in [element, *near] for token in _class_tokens(node)
        ):
            links.append(link)
    return links, containers


def _stated_count(root, containers: set) -> tuple[int | None, int | None]:
    """(current page, total pages) as the pager states them."""
    for value in root.xpath("//@totalpage | //@data-total-page"):
        if str(value).strip().isdigit():
            current = None
            for own in root.xpath("//@currentpage | //@data-current-page"):
                if str(own).strip().isdigit():
                    current = int(own)
            return current, int(value)
    texts = [_text(element) for element in containers]
    for text in texts + [_text(root)]:
        of_total = _OF_TOTAL.search(text)
        if of_total:
            numbers = [int(n) for n in of_total.groups() if n is not None]
            return numbers[0], numbers[1]
        total = _TOTAL_TEXT.search(text)
        if total:
            return None, int(total[1])
    for text in texts:
        bare = _BARE_OF_TOTAL.search(text)
        if bare and int(bare[1]) <= int(bare[2]):
            return int(bare[1]), int(bare[2])
    return None, None


def _offsets(links: list[_PagerLink]) -> dict[tuple[str, str], int]:
    """How each URL family numbers its pages, learnt from page-number links ('2' -> list-2.html,
    or index_1.html in TRS lists, where the first page has no number)."""
    counted: dict[tuple[str, str, int], int] = {}
    for link in links:
        if link.word.isdigit() and link.template:
            key = (link.template.prefix, link.template.suffix, link.template.number - int(link.word))
            counted[key] = counted.get(key, 0) + 1
    best: dict[tuple[str, str], tuple[int, int]] = {}
    for (prefix, suffix, offset), count in counted.items():
        best[(prefix, suffix)] = max(best.get((prefix, suffix), (0, 0)), (count, offset))
    return {family: offset for family, (_, offset) in best.items()}


def _known(offsets: dict, template: _Template) -> bool:
    return (template.prefix, template.suffix) in offsets


def _offset(offsets: dict, template: _Template) -> int:
    return offsets.get((template.prefix, template.suffix), 0)


def _own_number(page_url: str, links: list[_PagerLink], offsets: dict) -> int:
    own = _template(page_url)
    if own is None or not any(link.template and (link.template.prefix, link.template.suffix) == (own.prefix, own.suffix)
                              for link in links):
        return 1
    return max(own.number - _offset(offsets, own), 1)


def _link_number(link: _PagerLink, current: int, total: int | None, offsets: dict) -> int | None:
    if link.template is not None and _known(offsets, link.template):
        return link.template.number - _offset(offsets, link.template)
    if link.word.isdigit():
        return int(link.word)
    if link.word in NEXT_WORDS:
        return current + 1
    if link.word in PREVIOUS_WORDS:
        return current - 1
    if link.word in FIRST_WORDS:
        return 1
    if link.word in LAST_WORDS:
        return total if total is not None else (link.template.number if link.template else None)
    return None


def _jump_pattern(root, base: str, host: str) -> _Template | None:
    """The URL pattern a jump box (or a pager script) builds a page's URL with, the page number
    left to the visitor: "'…&currentPage=' + this.value + '&moduleId=…'", 'currentPage={page}'."""
    codes = [element.get(event) for element in root.iter("input", "button", "select", "form")
             for event in _JUMP_EVENTS if element.get(event)]
    codes += [script.text for script in root.iter("script") if script.text and script.get("src") is None]
    for code in codes:
        strings = [text for _, text in _QUOTED.findall(code)]
        for index, string in enumerate(strings):
            for match in _PAGE_PARAM.finditer(string):
                rest = string[match.end():]
                value_end = re.match(r"[^&]*", rest).end()
                if not _PLACEHOLDER_VALUE.fullmatch(rest[:value_end]):
                    continue
                prefix = string[: match.end()]
                suffix = rest[value_end:]
                if not rest and index + 1 < len(strings) and strings[index + 1].startswith("&"):
                    suffix = strings[index + 1]  # 'currentPage=' + n + '&moduleId=…'
                suffix = suffix.partition("||")[0]
                if not (_ABSOLUTE.match(prefix) or _URL_PATH.match(prefix)):
                    continue
                url = web_url(urljoin(base, prefix + "1" + suffix))
                if url is None or host_of(url) != host:
                    continue
                template = _template(url)
                if template is not None:
                    return template
    return None


def _trs_pages(root, base: str) -> Pager | None:
    """The pager a TRS page writes with createPageHTML(total, current index, name, extension)."""
    for script in root.iter("script"):
        match = _TRS_PAGER.search(script.text or "")
        if match is None:
            continue
        if not _WEB_URL.match(base):
            return NO_PAGER
        total, current, name, extension = int(match[1]), int(match[2]) + 1, match[3], match[4]
        urls = {n: urljoin(base, f"{name}.{extension}" if n == 1 else f"{name}_{n - 1}.{extension}")
                for n in range(1, min(total, MAX_LIST_PAGES) + 1)}
        urls.pop(current, None)
        return Pager(current, total or None, True, tuple(urls.values()), frozenset(urls) | {current}, ())
    return None

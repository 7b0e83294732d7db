"""Sections of a disclosure column: discovery, list parsing, and the section findings.

A section is found by what the page says, never by its URL: the text of a navigation link or a
heading, normalised (full-width/half-width, spaces, 【】 and trailing counts ignored) and
compared with the names in rules.yaml. List pages are read by their structure (repeated
entries with a link and usually a date), so other CMSs and layouts work as well as the customs
sites' own; CMS class names are only hints.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass, field, replace
from urllib.parse import urljoin, urlsplit

import lxml.html
from lxml import etree

from checks.dates import item_date, remove_dates, shanghai_today
from checks.findings import Finding
from checks.hosts import host_of
from checks.page import ParsedPage, as_parsed
from checks.paging import PAGER_WORDS, link_url, pager_word, read_pager, web_url
from checks.rules import Rules, SectionRule

COLUMN_NAME = "政府信息公开专栏"

# --- HTML helpers (also used by checks.metadata) ----------------------------------------------

def base_url(root: lxml.html.HtmlElement, page_url: str) -> str:
    bases = root.xpath("//base/@href")
    return urljoin(page_url, bases[0].strip()) if bases and bases[0].strip() else page_url


def text_of(element: lxml.html.HtmlElement) -> str:
    """The element's text with white space collapsed (NFKC: full-width forms become half-width)."""
    return _normalized(element.itertext())


def _normalized(parts) -> str:
    return " ".join(unicodedata.normalize("NFKC", " ".join(parts)).split())


def anchor_text(anchor: lxml.html.HtmlElement) -> str:
    """The anchor text, else the title attribute, else the alt of an image inside."""
    text = text_of(anchor)
    if text:
        return text
    for value in [anchor.get("title")] + anchor.xpath(".//img/@alt"):
        if value and value.strip():
            return " ".join(unicodedata.normalize("NFKC", value).split())
    return ""


def _class_tokens(element: lxml.html.HtmlElement) -> list[str]:
    value = f"{element.get('class') or ''} {element.get('id') or ''}".lower()
    return [token for token in re.split(r"[^a-z0-9]+", value) if token]


def _hinted(element: lxml.html.HtmlElement, pattern: re.Pattern, depth: int = 50) -> bool:
    """Whether the element or one of its ancestors (up to `depth`) has a class/id matching."""
    node = element
    while node is not None and depth >= 0:
        if isinstance(node.tag, str) and any(pattern.search(token) for token in _class_tokens(node)):
            return True
        node = node.getparent()
        depth -= 1
    return False


def _inside(element: lxml.html.HtmlElement, tags: set[str]) -> bool:
    return any(ancestor.tag in tags for ancestor in element.iterancestors())


# --- section names ----------------------------------------------------------------------------

_DECORATION = re.compile(r"[【】\[\]《》〈〉「」『』〖〗<>«»‹›·•●◆◇■□▪▶►→※★☆|:：]")
_TRAILER = re.compile(r"(?:更多|more|\+|\.{2,}|…+|\(\d+\)|\d+(?:条|项|篇|个|件)?)$", re.I)
_ORDINAL = re.compile(r"^(?:[一二三四五六七八九十]+[、.]|\d+[、.]|\([一二三四五六七八九十\d]+\))")
# "南京海关政府信息公开指南", "本关规范性文件": a unit's name before a section name
# A canonical name this long is specific enough to be found inside a slightly longer text.
_LOOSE_MIN_CHARS = 7
_LOOSE_EXTRA_CHARS = 4
_UNIT_PREFIX = re.compile(r"^(?:[\u4e00-\u9fff]{0,8}?海关(?:总署)?|本关|我关)")


def normalize_name(text: str) -> str:
    """A section name as compared: NFKC, no spaces or brackets, no ordinal, count or 'more'."""
    name = unicodedata.normalize("NFKC", text or "")
    name = _DECORATION.sub("", "".join(name.split()))
    previous = None
    while previous != name:
        previous = name
        name = _TRAILER.sub("", name)
    return _ORDINAL.sub("", name)


def match_section(text: str, rules: Rules) -> SectionRule | None:
    """The section of `rules` a link or heading text names, or None.

    The text must be a name of the section (after normalising and dropping a unit name before
    it), or hold a long canonical name with a few more characters (政府信息公开指南和目录) but no
    digits: "2023年政府信息公开年报" is one report, not the section.
    """
    name = normalize_name(text)
    if not name or len(name) > 40:
        return None
    candidates = {name, _UNIT_PREFIX.sub("", name, count=1)}
    for section in rules.sections:
        if any(normalize_name(known) in candidates for known in section.names):
            return section
    if re.search(r"\d", name):
        return None
    for section in rules.sections:
        canonical = normalize_name(section.canonical)
        if len(canonical) >= _LOOSE_MIN_CHARS and any(
            canonical in candidate and len(candidate) - len(canonical) <= _LOOSE_EXTRA_CHARS
            for candidate in candidates
        ):
            return section
    return None


@dataclass(frozen=True)
class SectionRef:
    """A section as the column page names it. `url` None: the section is on the column page itself
    (a heading without a link of its own)."""

    name_on_page: str
    url: str | None


# h1-h6 and the elements CMS templates use for titles of blocks and tabs
_HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6", "dt", "th", "caption", "legend", "strong", "b"}
_TITLE_HINT = re.compile(r"^(?:.*tit.*|.*head.*|hd|bt|.*caption.*|.*name|tab.*|cur.*|on|active|selected)$")
_CRUMB_HINT = re.compile(r"crumb|location|position|dqwz|weizhi|curpath|navpath")
_MORE = re.compile(r"^(?:更多|more|>>|»)", re.I)


def find_sections(column: str | ParsedPage, column_url: str, rules: Rules) -> dict[str, SectionRef | None]:
    """Each section of `rules` (canonical name) as found on the disclosure column page, or None.

    A link names a section by its text; a heading (h1-h6, title-like elements, the last step of
    the breadcrumb, the page title) names one on the page itself, taking the link inside it or
    the 'more' link beside it when there is one.
    """
    page = as_parsed(column)
    base = base_url(page.root, column_url)
    root = page.content
    found: dict[str, SectionRef] = {}

    for anchor in root.iter("a", "area"):
        text = anchor_text(anchor)
        section = match_section(text, rules)
        if section is None and anchor.get("title"):  # a menu cuts long names ("政府信息公开…"), the title keeps them
            text = " ".join(unicodedata.normalize("NFKC", anchor.get("title")).split())
            section = match_section(text, rules)
        url = link_url(anchor, base)
        if section is not None and url and section.canonical not in found:
            found[section.canonical] = SectionRef(text, url)

    for text, element in _heading_texts(root):
        section = match_section(text, rules)
        if section is not None and section.canonical not in found:
            found[section.canonical] = SectionRef(text, _heading_link(element, base))

    return {section.canonical: found.get(section.canonical) for section in rules.sections}


def _heading_texts(root: lxml.html.HtmlElement):
    for element in root.iter():
        if _is_heading(element):
            yield text_of(element), element
        elif element.tag == "title":
            for part in re.split(r"[-_|—–]+", text_of(element)):
                yield part, None
        elif any(_CRUMB_HINT.search(t) for t in _class_tokens(element)):
            steps = [s for s in re.split(r"[>»›/]+", text_of(element)) if s.strip()]
            if steps:
                yield steps[-1], None


def _is_heading(element) -> bool:
    return isinstance(element.tag, str) and element.tag not in ("a", "html", "body") and (
        element.tag in _HEADING_TAGS or any(_TITLE_HINT.match(t) for t in _class_tokens(element)))


def _heading_link(element: lxml.html.HtmlElement | None, base: str) -> str | None:
    if element is None:
        return None
    for anchor in element.iter("a"):
        url = link_url(anchor, base)
        if url:
            return url
    # a block title with a "更多>>" link beside it: in the smallest block that holds no other title
    parent = element.getparent()
    for scope in (parent, parent.getparent() if parent is not None else None):
        if scope is None or sum(1 for el in scope.iter() if _is_heading(el)) > 1:
            break
        for anchor in scope.iter("a"):
            if _MORE.match(anchor_text(anchor)):
                return link_url(anchor, base)
    return None


# --- list pages -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ListItem:
    title: str
    url: str
    date: dt.date | None = None


@dataclass
class ListPage:
    items: list[ListItem]
    pages: list[str]  # absolute URLs of the list's other pages the site links (never beyond a stated total)
    total_pages: int | None  # as the page states it (or its last-page link shows), else None
    # page numbers this page is and links; pages of the stated total no link reaches, predicted
    # from a linked URL's numbering (checks.paging): worth a try only when no other page links them
    numbers: frozenset[int] = frozenset({1})
    predicted: dict[int, str] = field(default_factory=dict)


# Entries that stand in for an empty list.
PLACEHOLDERS = re.compile(r"暂无|近期无更新|没有(?:相关)?(?:信息|数据|内容|记录)|无相关(?:信息|数据|内容)|^无$")
# Page chrome whose links and dates are never list entries.
_CHROME_TAGS = {"header", "footer", "nav"}
_CHROME_HINT = re.compile(r"^(?:head|top|topbar|foot|bottom|copyright|banquan)$|header|footer")
# Navigation menus and trees: excluded from undated lists, where they look like lists of titles.
_NAV_HINT = re.compile(r"nav|menu|tree|crumb|location|sidebar|^side|^left|subnav|daohang|^dh$")
_PAGER_HINT = re.compile(r"^(?:pag\w*|fenye|fy|pg)$")
_ROW_TAGS = {"li", "tr", "dd", "dt", "div", "p"}
_LIST_TAGS = ("ul", "ol", "dl", "table", "li", "tr")
_ROW_MAX_LINKS = 3
_ROW_MAX_CHARS = 300
_UNDATED_MIN_TITLE = 6  # mean CJK length of the titles of an undated list (menus are shorter)
_MENU_MAX_TITLE = 12  # ... and of a menu of sections (政府信息公开工作年度报告), whose titles are names
# Chinese characters of running text that make a page an article: a few paragraphs, more than a
# footer's address and copyright lines that carry no chrome class
_ARTICLE_MIN_CHARS = 150
# ... or in full sentences (ended by 。！？), which menus, footers and 暂无信息 lines do not make
_ARTICLE_MIN_SENTENCE_CHARS = 40
_SENTENCE = re.compile(r"[^。！？!?\n]*[。！？!?]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_TRAILING_DATE = re.compile(
    r"[\s\[(【]*((?:19|20)\d\d\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?|[01]\d-[0-3]\d)[\])】]?\s*$")


@dataclass
class _Row:
    item: ListItem
    links: list[str]  # every link of the entry: a link to the page itself marks a menu
    pictorial: bool = False  # the link shows an image, no text (an icon of a rail of social links)


@dataclass
class _Group:
    parent: lxml.html.HtmlElement
    rows: list[_Row] = field(default_factory=list)

    @property
    def dated(self) -> int:
        return sum(1 for row in self.rows if row.item.date is not None)


def parse_list_page(html: str | ParsedPage, url: str, today: dt.date | None = None) -> ListPage:
    """The entries of a list page's main list and the URLs of its other pages.

    Short dates ([05-10]) take the year of `today` (Asia/Shanghai today by default), the previous
    year when that would put them in the future.
    """
    today = today or shanghai_today()
    page = as_parsed(html)
    base = base_url(page.root, url)
    pager = read_pager(page.root, base, url)  # scripts included: a jump box's may hold the URL pattern
    root = page.content
    items = [row.item for row in _main_list(root, base, url, today)]
    pages = list(pager.pages)
    if not items and not pages:
        pages = _frames(root, base, url)
    return ListPage(items=items, pages=pages, total_pages=pager.total if pager.stated or pager.total != 1 else None,
                    numbers=pager.numbers, predicted=pager.predicted_pages)


def _frames(root, base: str, page_url: str) -> list[str]:
    """The pages a list page without entries embeds (<iframe>, <frame>) on its own host: older CMS
    templates show the list in a frame, which is then another page of the same list."""
    host = host_of(page_url)
    frames = [web_url(urljoin(base, src.strip())) for src in root.xpath("//iframe/@src | //frame/@src") if src.strip()]
    return list(dict.fromkeys(url for url in frames if url and host_of(url) == host and url != page_url))


def is_single_article(html: str | ParsedPage, listed: ListPage | None = None) -> bool:
    """Whether the page is itself an article (a guide, a system description), not a list.

    An article has a body of running text outside links and page chrome, and no dated list: a few
    full sentences, or more text than a footer's address and copyright lines carry. `listed`: the
    page as parse_list_page read it, when it has been.
    """
    root = as_parsed(html).content
    entries = listed.items if listed is not None else [row.item for row in _main_list(root, "", "", shanghai_today())]
    if sum(1 for item in entries if item.date) >= 3:
        return False
    body = root.find("body")
    body_text = _running_text(body if body is not None else root)
    sentences = "".join(_SENTENCE.findall(body_text))
    return (len(_CJK.findall(body_text)) >= _ARTICLE_MIN_CHARS
            or len(_CJK.findall(sentences)) >= _ARTICLE_MIN_SENTENCE_CHARS)


def _running_text(top) -> str:
    """The text under `top` outside links (navigation) and page chrome (addresses, copyright)."""
    texts: list[str] = []
    skipped = None  # the link or chrome element being passed over
    for event, element in etree.iterwalk(top, events=("start", "end")):
        if event == "start":
            if skipped is None and element is not top and isinstance(element.tag, str) and (
                    element.tag in _CHROME_TAGS or element.tag == "a"
                    or any(_CHROME_HINT.search(t) for t in _class_tokens(element))):
                skipped = element
            elif skipped is None and isinstance(element.tag, str):
                texts.append(element.text or "")
            continue
        if element is skipped:
            skipped = None
        if skipped is None and element is not top:
            texts.append(element.tail or "")
    return "".join(texts)


def _main_list(root, base: str, page_url: str, today: dt.date) -> list[_Row]:
    groups = [g for g in _row_groups(root, base, today) if not _is_menu(g, page_url)]
    dated = [g for g in groups if g.dated and g.dated * 2 >= len(g.rows) and not _is_chrome(g.parent)]
    if dated:
        # a dated "latest updates" box in a sidebar loses to the main list
        best = max(dated, key=lambda g: (not _hinted(g.parent, _NAV_HINT), g.dated, len(g.rows)))
        # CMS templates often cut one list into several <ul> of five entries: take the siblings too
        chosen = [g for g in dated if g is best or _same_block(g.parent, best.parent)]
        return [row for group in chosen for row in group.rows]
    undated = [
        g for g in groups
        if not _is_chrome(g.parent) and not _hinted(g.parent, _NAV_HINT) and not _hinted(g.parent, _PAGER_HINT, 2)
        and not _mostly(g, lambda row: row.pictorial) and not _leaves_site(g, page_url)
        and _mean_cjk(row.item.title for row in g.rows) >= _UNDATED_MIN_TITLE
    ]
    if not undated:
        return []
    return max(undated, key=lambda g: len(g.rows)).rows


def _mostly(group: _Group, test) -> bool:
    return sum(1 for row in group.rows if test(row)) * 2 >= len(group.rows)


def _is_menu(group: _Group, page_url: str) -> bool:
    """A menu of the column, not a list: it links the page itself or its parent folder (the column),
    or mostly the index pages of folders beside the page's own (the sibling sections)."""
    if not page_url:
        return False
    page = urlsplit(page_url)
    folder = page.path.rsplit("/", 1)[0]
    parent = folder.rsplit("/", 1)[0]
    host = host_of(page_url)
    links = [urlsplit(link) for row in group.rows for link in row.links if host_of(link) == host]

    def index_of(link, of_folder: str) -> bool:
        where, name = link.path.rsplit("/", 1) if "/" in link.path else ("", link.path)
        return where == of_folder and not link.query and _INDEX_NAME.match(name) is not None

    if any((link.path, link.query) == (page.path, page.query) or index_of(link, folder) and not page.query
           or index_of(link, parent) for link in links):
        return True
    if group.dated or _mean_cjk(row.item.title for row in group.rows) > _MENU_MAX_TITLE:
        return False  # documents, whatever folders the CMS keeps them in
    siblings = sum(1 for link in links if _INDEX_NAME.match(link.path.rsplit("/", 1)[-1])
                   and link.path.rsplit("/", 1)[0] != folder and link.path.rsplit("/", 2)[0] == parent)
    return siblings >= 2 and siblings * 2 >= len(group.rows)


def _leaves_site(group: _Group, page_url: str) -> bool:
    """Whether most entries link other sites: a box of related links, not the section's list."""
    host = host_of(page_url) if page_url else ""
    return bool(host) and _mostly(group, lambda row: host_of(row.item.url) != host)


# A location trail: 当前位置：首页 > 政府信息公开 > 规范性文件
_TRAIL_LABEL = re.compile(r"^(?:(?:当前|您的|你的|您现在的|你现在的|所在)(?:所在)?位置|当前页面|位置|导航|you are here)\s*[:：]?", re.I)
_TRAIL_SEPARATOR = re.compile(r"\s*(?:>+|»|›|→|/)\s*")
_TRAIL_HOME = re.compile(r"首页|主页|home", re.I)
_TRAIL_STEP_MAX_CHARS = 24
_TRAIL_MAX_CHARS = 120
_DATE_LIKE = re.compile(r"(?:19|20)\d\d\s*[-/.年]\s*\d|\b[01]\d-[0-3]\d\b")
_INDEX_NAME = re.compile(r"^(?:index|default|main)?(?:\.\w{2,5})?$", re.I)


def _is_trail(element, text: str | None = None) -> bool:
    """Whether the element is a location trail (breadcrumb): a short run of steps from the home
    page to this one, said by a label (当前位置) or separated by '>' from a first step that is the
    home page. `text`: the element's text_of, when known."""
    text = _short_text(element, _TRAIL_MAX_CHARS) if text is None else text
    if not text or len(text) > _TRAIL_MAX_CHARS:
        return False
    label = _TRAIL_LABEL.match(text)
    if (label is None and not _TRAIL_SEPARATOR.search(text)) or _DATE_LIKE.search(text):
        return False
    steps = [step for step in _TRAIL_SEPARATOR.split(text[label.end():] if label else text) if step]
    if not steps or any(len(step) > _TRAIL_STEP_MAX_CHARS for step in steps):
        return False
    if label:
        return True
    first = next(element.iter("a"), None)
    home_link = first is not None and urlsplit((first.get("href") or "").strip()).path in ("/", "")
    return len(steps) >= 2 and bool(_TRAIL_HOME.search(steps[0]) or home_link)


def _short_text(element, limit: int) -> str | None:
    """text_of(element), or None when it is longer than `limit` (read no further than needed)."""
    parts, size = [], 0
    for part in element.itertext():
        parts.append(part)
        size += len(part)
        if size > limit * 3:
            return None
    text = _normalized(parts)
    return text if len(text) <= limit else None


def _row_groups(root, base: str, today: dt.date) -> list[_Group]:
    groups: list[_Group] = []
    for parent in root.iter():
        if not isinstance(parent.tag, str):
            continue
        by_tag: dict[str, _Group] = {}
        undated: _Row | None = None  # the row just before, waiting for a date of its own
        for child in parent:
            if not isinstance(child.tag, str):
                continue
            row = _row(child, base, today) if child.tag in _ROW_TAGS else None
            if row is not None:
                by_tag.setdefault(child.tag, _Group(parent)).rows.append(row)
                undated = row if row.item.date is None else None
                continue
            if undated is not None:
                # <dt>title</dt><dd>date</dd>, or a title block and a date block side by side
                date = _date_only(child, today)
                if date is not None:
                    undated.item = replace(undated.item, date=date)
            undated = None
        if by_tag and not _is_trail(parent):
            groups.extend(by_tag.values())
    return groups


_DATE_ONLY_MAX_CHARS = 30  # '发布日期：2024年01月02日' and the like


def _date_only(element, today: dt.date) -> dt.date | None:
    """The date an element holds when it holds nothing else: no link, a short text with a date."""
    if next(element.iter("a"), None) is not None:
        return None
    text = text_of(element)
    return item_date(text, today=today) if len(text) <= _DATE_ONLY_MAX_CHARS else None


def _row(element, base: str, today: dt.date) -> _Row | None:
    # an element holding a list (or a menu tree) is a block of the layout, not one entry
    if any(True for _ in element.iterdescendants(*_LIST_TAGS)):
        return None
    anchors = [(a, anchor_text(a), link_url(a, base)) for a in element.iter("a")]
    anchors = [(a, text, url) for a, text, url in anchors if text and url]
    if not anchors or len(anchors) > _ROW_MAX_LINKS:
        return None
    full_text = text_of(element)
    if len(full_text) > _ROW_MAX_CHARS:
        return None
    anchor, title, url = max(anchors, key=lambda entry: len(entry[1]))
    attribute = " ".join(unicodedata.normalize("NFKC", anchor.get("title") or "").split())
    if attribute and re.search(r"(\.{2,}|…)$", title) and len(attribute) > len(title):
        title = attribute  # the list shows a cut title, the attribute holds it whole
    word = pager_word(title)
    if word in PAGER_WORDS or word.isdigit() or _MORE.match(title) or PLACEHOLDERS.search(title):
        return None
    date = item_date(full_text.replace(text_of(anchor), " ", 1), today=today)
    trailing = _TRAILING_DATE.search(title)
    if trailing:
        date = date or item_date(trailing.group(1), today=today)
        title = title[: trailing.start()].strip() or title
    if date is None and _is_trail(element, full_text):
        return None
    return _Row(ListItem(title=title, url=url, date=date), [u for _, _, u in anchors], pictorial=not text_of(anchor))


def _is_chrome(element) -> bool:
    return element.tag in _CHROME_TAGS or _inside(element, _CHROME_TAGS) or _hinted(element, _CHROME_HINT)


def _same_block(a, b) -> bool:
    """Two list containers that are parts of one list: same tag and class, side by side."""
    if a.tag != b.tag or a.get("class") != b.get("class"):
        return False
    pa, pb = a.getparent(), b.getparent()
    if pa is None or pb is None:
        return False
    # unnamed containers must be direct siblings; named ones (class="conList_ul") may be a level apart
    return pa is pb or (bool(a.get("class")) and pa.getparent() is not None and pa.getparent() is pb.getparent())


def _mean_cjk(titles) -> float:
    counts = [len(re.findall(r"[\u4e00-\u9fff]", t)) for t in titles]
    return sum(counts) / len(counts) if counts else 0.0


# --- findings ---------------------------------------------------------------------------------

@dataclass
class SectionFacts:
    """What the crawl saw of one section: its page and the items of every page of its list."""

    canonical: str
    url: str | None  # None: the section sits on the column page itself
    name_on_page: str
    is_article: bool  # its page is an article (running text), whatever links it also shows
    items: list[ListItem] = field(default_factory=list)


def section_findings(
    unit_id: str,
    column_url: str | None,
    sections: dict[str, SectionFacts | None],
    today: dt.date,
    rules: Rules,
    *,
    column_link_texts: list[str] | tuple[str, ...] = (),
    home_url: str = "",
) -> list[Finding]:
    """missing_section, empty_section and stale_section findings of one unit's disclosure column.

    `column_url` None: the unit has no disclosure column (one finding on `home_url`). A section
    absent from `sections` or None is missing. `column_link_texts` are the texts of the column
    page's links, where the previous year's annual report is looked for when its section does
    not list it.
    """
    if not column_url:
        return [Finding(unit_id, "missing_section", home_url,
                        f"{COLUMN_NAME}：网站未找到政府信息公开专栏（首页无“政府信息公开”或“信息公开”栏目链接）")]
    findings: list[Finding] = []
    annual = rules.annual_report
    annual_rule = rules.section(annual.section)
    report_year = today.year - 1
    report_due = today > annual.due(today.year) and annual_rule is not None and annual_rule.required
    report_listed = (not report_due) or _annual_report_listed(
        report_year, sections.get(annual.section), column_link_texts, rules)

    for rule in rules.sections:
        facts = sections.get(rule.canonical)
        if facts is None:
            if not rule.required:
                continue
            detail = f"{rule.canonical}：栏目缺失，专栏页面的导航和标题中均未找到该栏目"
            if rule.variants:
                detail += f"（也认可：{'、'.join(rule.variants[:4])}）"
            if rule.canonical == annual.section and not report_listed:
                detail += f"；{report_year}年度政府信息公开工作年度报告亦未公开"
                report_listed = True  # one finding says both
            findings.append(Finding(unit_id, "missing_section", column_url, detail))
            continue
        page = facts.url or column_url
        # whatever its kind, a section whose page lists nothing and holds no article text is empty;
        # a guide or a system description may be one article
        if not facts.items:
            if not facts.is_article:
                findings.append(Finding(unit_id, "empty_section", page,
                                        f"{rule.canonical}：栏目“{facts.name_on_page}”没有任何条目（已查看全部分页）"))
            continue
        stale = _stale_detail(rule, facts, today)
        if stale:
            findings.append(Finding(unit_id, "stale_section", page, stale))

    if not report_listed:
        findings.append(Finding(
            unit_id, "missing_section", column_url,
            f"{annual.section}：未公开{report_year}年度政府信息公开工作年度报告"
            f"（应于{report_year + 1}年{annual.due_month}月{annual.due_day}日前公开）"))
    return findings


def _stale_detail(rule: SectionRule, facts: SectionFacts, today: dt.date) -> str | None:
    if rule.stale_after_days is None:
        return None
    # an item without a date proves nothing about freshness; a list without any dates is not a
    # dated list section and has no freshness rule
    dates = [item.date for item in facts.items if item.date is not None and item.date <= today]
    if not dates:
        return None
    newest = max(dates)
    age = (today - newest).days
    if age <= rule.stale_after_days:
        return None
    return (f"{rule.canonical}：最新条目日期为{newest.isoformat()}，已{age}天未更新，"
            f"超过{rule.stale_after_days}天的更新期限")


def _annual_report_listed(year: int, facts: SectionFacts | None, link_texts, rules: Rules) -> bool:
    keywords = rules.annual_report.title_keywords
    if facts is not None:
        for item in facts.items:
            years = _years_named(item.title)
            if year in years:
                return True
            # "政府信息公开工作年度报告" without a year, published in the following year
            if not years and item.date is not None and item.date.year == year + 1 and _has_keyword(item.title, keywords):
                return True
        if _has_keyword(facts.name_on_page, keywords) and year in _years_named(facts.name_on_page):
            return True
    return any(year in _years_named(text) and _has_keyword(text, keywords) for text in link_texts)


def _years_named(text: str) -> set[int]:
    """Years a title names (2023年, 2023年度, (2023)), its full dates and document numbers aside."""
    text = re.sub(r"[〔\[(（]\s*(?:19|20)\d\d\s*[〕\])）]\s*\d+\s*号|(?:19|20)\d\d年第\d+号", " ", remove_dates(text))
    return {int(y) for y in re.findall(r"(?<!\d)((?:19|20)\d\d)(?!\d)", text)}


def _has_keyword(text: str, keywords) -> bool:
    name = normalize_name(text)
    return any(normalize_name(k) in name for k in keywords)

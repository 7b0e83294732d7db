"""The building blocks of the demo web: what a virtual host answers, and the pages of its sites.

A `VirtualHost` holds the answers (`Resource`s) of one host name by path and query. A `UnitSite`
is a customs unit's site in the real EasySite CMS shape: a home page linking to 政府信息公开, a
disclosure column whose sections are navigation links (or blocks with a heading, the latest
entries and a 更多 link), section lists (`ul.easysite-list`, `easysite-total-page`, pagination as
`<id>-<n>.html` or `/eportal/ui?pageId=…&currentPage=n…`), and item pages whose metadata stand
as 【文　　号】 lines, as a table of label and value cells, or as `label：value` lines, the three
forms the real sites use. An `ExternalSite` is any other site, only linked to.

Pages stay open (`Page`) until the web is finished, so that faults can be planted on them; the
faults and the ground truth live in the other modules of this package.
"""
from __future__ import annotations

import hashlib
import html
import re
from abc import ABC, abstractmethod
from calendar import monthrange
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import parse_qsl, unquote, urldefrag, urljoin, urlsplit

from w3lib.url import safe_url_string

from crawler.demo import assets

DEMO_DOMAIN = "customs-demo.test"
GOV_HOST = "www.gov-demo.test"  # another government site, linked from every home page
SOFT404_HOST = "www.singlewindow-demo.test"  # answers 200 with a generic page for unknown paths

Query = tuple[tuple[str, str], ...]


# --------------------------------------------------------------------------------------------
# What the server serves


@dataclass(frozen=True)
class Resource:
    """One answer of a virtual host, with the dynamic behaviours the server applies."""

    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    delay: float = 0.0  # seconds the server waits before answering (slow pages, timeouts)
    head_status: int | None = None  # HEAD answered with this status instead (servers refusing HEAD)
    throttle_first: bool = False  # the first request after the server starts gets 429 + Retry-After


def request_key(path: str, query: str) -> tuple[str, Query]:
    """How a request is matched: the decoded path (so percent-encoded UTF-8 finds a Chinese
    path), and the query as a sorted list of pairs (so a client that reorders or re-encodes
    parameters, as URL canonicalisation does, finds the same page)."""
    return unquote(path or "/"), tuple(sorted(parse_qsl(query, keep_blank_values=True)))


@dataclass
class VirtualHost:
    name: str
    not_found: Resource  # the answer for unknown paths: a 404 page, or a 200 one on a soft-404 host
    resources: dict[tuple[str, Query], Resource] = field(default_factory=dict)
    # Pages generated per request from the query (the endless calendar), by decoded path.
    dynamic: dict[str, Callable[[dict[str, str]], Resource]] = field(default_factory=dict)
    firewall: Firewall | None = None  # an anti-bot firewall in front of the host

    def add(self, target: str, resource: Resource) -> None:
        """Serve `resource` at `target`, a path with an optional query ("/a/b.html?x=1")."""
        parts = urlsplit(target)
        key = request_key(parts.path, parts.query)
        if key in self.resources or key[0] in self.dynamic:
            raise ValueError(f"{self.name}: {target} defined twice")
        self.resources[key] = resource

    def lookup(self, path: str, query: str) -> Resource:
        key = request_key(path, query)
        resource = self.resources.get(key)
        if resource is not None:
            return resource
        handler = self.dynamic.get(key[0])
        if handler is not None:
            return handler(dict(key[1]))
        return self.not_found

    def answer(self, path: str, query: str, cookie_header: str = "") -> Resource:
        """The firewall's answer, if it stops the request, else the host's."""
        stopped = self.firewall.answer(unquote(path or "/"), cookie_header) if self.firewall else None
        return stopped or self.lookup(path, query)


@dataclass
class Firewall:
    """An anti-bot firewall (built by `crawler.demo.network`): a request without every cookie of
    `clearance` gets `challenge`, whose script computes the missing ones and reloads."""

    challenge: Resource
    clearance: str  # "a=1; b=2": the cookies a browser that ran the challenge sends back
    assets: dict[str, Resource] = field(default_factory=dict)  # its own scripts, served to anyone, by path
    refusal: Resource | None = None  # the answer to a browser the challenge unmasked as automated
    refused: str = ""  # "name=value": the cookie the challenge's script sets in such a browser

    def answer(self, path: str, cookie_header: str) -> Resource | None:
        """What the firewall answers instead of the host (None: the request passes)."""
        if path in self.assets:
            return self.assets[path]
        cookies = {cookie.strip() for cookie in cookie_header.split(";")}
        if self.refusal is not None and self.refused in cookies:
            return self.refusal
        if all(cookie.strip() in cookies for cookie in self.clearance.split(";")):
            return None
        return self.challenge


# --------------------------------------------------------------------------------------------
# Units, items and pages


SECTION_KEYS = ("guide", "system", "notices", "reports", "norms")
LIST_KEYS = ("notices", "reports", "norms")  # the sections that are lists (the others are articles)


@dataclass(frozen=True)
class UnitSpec:
    id: str
    name: str
    abbr: str  # the prefix of its document numbers, 南京关〔2026〕3号
    root: int  # the numeric id of its folder: /<id>_customs/<root>/...
    encoding: str  # utf-8 or gbk
    pagination: str  # "suffix" (<id>-<n>.html) or "eportal" (/eportal/ui?pageId=...)
    # section key -> the wording that names it on the column page; a key left out: no such section
    sections: dict[str, str]
    agency_label: str  # 发文机关 or 发布机关, for the 【】 metadata lines
    metadata_style: str = "brackets"  # "brackets" (【文　　号】…), "table" (label and value cells), "colon" (文号：…)
    # "nav": every section a navigation link; "blocks": articles as links, each list section a
    # block with its name as a heading, its latest entries and a 更多 link
    column_layout: str = "nav"
    explicit_column: bool = False  # sites.yaml names its disclosure_url
    empty_sections: tuple[str, ...] = ()  # sections that list nothing (a guide or system one too: an empty list)
    templates: str = "easysite"  # "easysite", or "2025": the redesigned templates (crawler.demo.site2025)
    breadcrumb: bool = False  # list and section pages show a location trail (当前位置：首页 > …)
    empty_list_text: str = "暂无信息"  # what an empty list shows ('': an empty <ul>, nothing else)


NOTICE_TOPICS = (
    "关于公布{year}年第{n}批海关高级认证企业名单的公告",
    "关于调整进口货物报关单申报要求的公告",
    "关于开展{year}年度进出口货物收发货人备案信息核查工作的通知",
    "关于优化跨境电子商务零售进口商品监管的公告",
    "关于加强进境水果检疫监管工作的通知",
    "关于启用新版通关业务系统的公告",
    "关于{year}年{month}月行政许可办理情况的公示",
    "关于做好出口食品生产企业备案工作的通知",
    "关于开展知识产权海关保护专项行动的通知",
    "关于公布隶属海关业务咨询电话的公告",
    "关于进一步规范保税仓库管理的通知",
    "关于调整进口冷链食品监管措施的公告",
)
NORM_TOPICS = (
    "关于印发《{unit}行政许可实施办法》的通知",
    "关于印发《{unit}政务公开工作规定》的通知",
    "关于印发《{unit}稽查工作规程》的通知",
    "关于印发《{unit}加工贸易监管实施细则》的通知",
    "关于印发《{unit}保税监管场所管理办法》的通知",
    "关于印发《{unit}进出境邮递物品监管办法》的通知",
    "关于印发《{unit}行政处罚裁量基准》的通知",
    "关于印发《{unit}企业信用管理实施细则》的通知",
)
NEWS_TOPICS = (
    "{unit}召开全面从严治党工作会议",
    "{unit}开展“关长接待日”活动",
    "{unit}助力外贸企业稳订单拓市场",
)
PAGE_SIZE = 6
BLOCK_ENTRIES = 5  # entries a block of the column page shows


@dataclass
class Item:
    """An entry of a list: the item page and how the list shows it."""

    path: str
    title: str
    published: date
    number: str  # 文号
    body: list[str]
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    images: list[tuple[str, str]] = field(default_factory=list)  # (src, alt)
    validity: str = "现行有效"  # 效力 / 有效性
    # Metadata fields, by key: index (索引号, optional), number (文号), agency (发布机构),
    # date (发布日期), validity (有效性); those the page leaves out, those whose label stands empty.
    omitted: set[str] = field(default_factory=set)
    blank: set[str] = field(default_factory=set)
    body_html: str | None = None  # the text as HTML (a regulation in a table) instead of `body`
    metadata_style: str = ""  # a UnitSpec.metadata_style of its own ('' : the unit's)


@dataclass
class Page:
    """An HTML page still open for planted links; rendered when the web is finished."""

    path: str
    title: str
    main: Callable[[], str]  # the main area, rendered late so it sees every planted link
    base_href: str | None = None
    related: list[tuple[str, str]] = field(default_factory=list)  # the 相关链接 block
    attachments: list[tuple[str, str]] = field(default_factory=list)  # the 附件 block
    content_type_charset: bool = True  # False: the charset is declared only in <meta>
    resource: Resource = Resource()  # status and behaviours; headers and body are filled in


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def absolute_url(page_url: str, href: str, base_href: str | None = None) -> str:
    """A link as the crawler reports it: absolute, percent-encoded UTF-8, no fragment."""
    return safe_url_string(urldefrag(urljoin(base_href or page_url, href))[0])


def behaviour_of(resource: Resource) -> dict:
    return {
        "status": resource.status,
        "delay": resource.delay,
        "head_status": resource.head_status,
        "throttle_first": resource.throttle_first,
    }


def links_block(heading: str, links: list[tuple[str, str]]) -> str:
    if not links:
        return ""
    entries = "".join(f'<li><a href="{esc(href)}">{esc(text)}</a></li>' for href, text in links)
    return f'\n<div class="related-links"><h3>{heading}</h3><ul>{entries}</ul></div>'


# --------------------------------------------------------------------------------------------
# Sites


class Site(ABC):
    """The pages of one virtual host."""

    def __init__(self, host: str, port: int, encoding: str = "utf-8") -> None:
        self.host = host
        self.port = port
        self.origin = f"http://{host}:{port}"
        self.encoding = encoding
        self.pages: dict[str, Page] = {}
        self.vhost = VirtualHost(host, not_found=self.error_page(404, "Not Found"))

    def url(self, path: str) -> str:
        return safe_url_string(self.origin + path)

    def page(self, path: str) -> Page:
        return self.pages[path]

    def add_page(self, page: Page) -> Page:
        self.pages[page.path] = page
        return page

    def add_text_page(self, path: str, title: str, text: str, **behaviour) -> None:
        """A working page that exists only to be linked to by a planted case."""
        self.add_page(Page(path, title, lambda: f'<div class="article"><h2>{esc(title)}</h2><p>{esc(text)}</p></div>',
                           resource=Resource(**behaviour)))

    def add_file(self, path: str, content_type: str, body: bytes, **behaviour) -> None:
        self.vhost.add(path, Resource(200, (("Content-Type", content_type),), body, **behaviour))

    def add_redirect(self, path: str, location_path: str, status: int = 302) -> None:
        location = self.origin + location_path
        body = f'<html><body><a href="{esc(location)}">{status}</a></body></html>'.encode()
        headers = (("Location", location), ("Content-Type", "text/html; charset=utf-8"))
        self.vhost.add(path, Resource(status, headers, body))

    def html(self, document: str, status: int = 200, charset_in_header: bool = True, **behaviour) -> Resource:
        content_type = f"text/html; charset={self.encoding.upper()}" if charset_in_header else "text/html"
        # strict: a character the page's charset cannot hold is a bug of the generator
        return Resource(status, (("Content-Type", content_type),), document.encode(self.encoding), **behaviour)

    @staticmethod
    def error_page(status: int, reason: str) -> Resource:
        """The bare error page of the web server in front of the CMS (nginx)."""
        document = (
            f"<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
            f"<center><h1>{status} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
        )
        return Resource(status, (("Content-Type", "text/html"),), document.encode("ascii"))

    def finish(self) -> VirtualHost:
        for page in self.pages.values():
            self.vhost.add(page.path, self.render(page))
        return self.vhost

    @abstractmethod
    def render(self, page: Page) -> Resource:
        """The page in this site's templates."""


class ExternalSite(Site):
    """Another organisation's site (or a unit's side host): only checked, never crawled."""

    def __init__(self, host: str, port: int, site_name: str) -> None:
        super().__init__(host, port)
        self.site_name = site_name

    def render(self, page: Page) -> Resource:
        return self.html(self.document(page.title, page.main()), **behaviour_of(page.resource))

    def document(self, title: str, main: str) -> str:
        return (
            '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{esc(title)}</title>\n</head>\n<body>\n"
            f'<div class="top"><a href="/">{esc(self.site_name)}</a></div>\n{main}\n'
            f'<div class="footer">{esc(self.site_name)} 版权所有</div>\n</body>\n</html>\n'
        )


class UnitSite(Site):
    """A customs unit's site in the EasySite CMS shape.

    Built in two steps so that faults which change what a list holds are planted in between:
    `build_items()` makes every page but the section lists, `build_lists()` the lists from the
    items as they then are.
    """

    def __init__(self, spec: UnitSpec, today: date, port: int, web_port: int) -> None:
        super().__init__(f"{spec.id}.{DEMO_DOMAIN}", port, spec.encoding)
        self.spec = spec
        self.today = today
        self.web_port = web_port  # where the other demo sites (中国政府网, 单一窗口) answer
        self.prefix = f"/{spec.id}_customs"
        self.root = f"{self.prefix}/{spec.root}"
        self.column = self.folder(1)
        self.section_paths = {key: f"{self.column_dir}/{spec.root + 11 + i}/index.html" for i, key in enumerate(SECTION_KEYS)}
        self.titles = {**spec.sections, "news": "海关动态"}  # list key -> its name on the page
        self.sections = [key for key in SECTION_KEYS if key in spec.sections]
        self.extra_lists: list[str] = []  # further lists of the column (法律法规), in nav order
        self.news_path = self.folder(2)
        self.interact_path = self.folder(3)
        self.logo = f"{self.prefix}/images/logo.png"
        self.items: dict[str, list[Item]] = {}
        self.list_pages: dict[str, list[str]] = {}
        self.first_page_empty: set[str] = set()  # lists whose entries begin on their page 2
        self._next_item = 1

    # -- paths ------------------------------------------------------------------------------

    @property
    def column_dir(self) -> str:
        return f"{self.root}/{self.spec.root + 1}"

    def folder(self, offset: int, under_column: bool = False) -> str:
        """`/<unit>_customs/<root>/<root+offset>/index.html`, the CMS's numeric folders."""
        parent = self.column_dir if under_column else self.root
        return f"{parent}/{self.spec.root + offset}/index.html"

    def section_dir(self, key: str) -> str:
        return self.section_paths[key].rsplit("/", 1)[0]

    def _item_path(self, folder: str) -> str:
        item_id = self.spec.root * 10 + self._next_item
        self._next_item += 1
        return f"{folder}/{item_id}/index.html"

    def _list_page_path(self, section_path: str, page_id: int, n: int) -> str:
        if n == 1:
            return section_path
        if self.spec.pagination == "suffix":
            return f"{section_path.rsplit('/', 1)[0]}/{page_id}-{n}.html"
        module = hashlib.md5(f"{self.spec.id}:{page_id}".encode()).hexdigest()
        return f"/eportal/ui?pageId={page_id}&currentPage={n}&moduleId={module}&staticRequest=yes"

    # -- building ---------------------------------------------------------------------------

    def build_items(self) -> None:
        spec = self.spec
        self.add_page(Page("/", spec.name, self._home_main))
        self.add_page(Page(self.column, "政府信息公开", self._column_main))
        for key in ("guide", "system"):
            if key in spec.empty_sections:
                self.items[key] = []
        if "guide" in self.sections and "guide" not in spec.empty_sections:
            self._single_article("guide", f"{spec.name}政府信息公开指南", 2, [
                f"为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制{spec.name}政府信息公开指南。",
                "本指南所称政府信息，是指本关在履行行政管理职能过程中制作或者获取的，以一定形式记录、保存的信息。",
                "公民、法人或者其他组织可以通过信函、传真、网上申请等方式向本关申请获取政府信息。",
            ])
        if "system" in self.sections and "system" not in spec.empty_sections:
            self._single_article("system", f"{spec.name}政府信息公开制度", 3, [
                f"第一条　为规范{spec.name}政府信息公开工作，制定本制度。",
                "第二条　本关办公室是政府信息公开工作的主管部门，负责组织协调本关政府信息公开工作。",
                "第三条　政府信息公开工作遵循公正、公平、合法、便民的原则。",
            ])
        for key in LIST_KEYS:
            if key in self.sections:
                self.items[key] = [] if key in spec.empty_sections else self._list_items(key)
        self._assets()
        self._news()
        self.add_page(Page(self.interact_path, "互动交流", lambda: (
            '<div class="interact"><h2>互动交流</h2>'
            f"<p>如您对{esc(spec.name)}工作有意见建议，请通过“关长信箱”反映。</p></div>"
        )))

    def _list_items(self, key: str) -> list[Item]:
        spec, year = self.spec, self.today.year
        if key == "notices":
            notices = [
                self.new_item(self.section_dir(key), topic.format(year=year, n=i + 1, month=self.today.month),
                              self._recent(i, 0), f"{spec.abbr}公告〔{year}〕{30 - i}号")
                for i, topic in enumerate(NOTICE_TOPICS)
            ]
            first = notices[0]
            first.images.append((f"{first.path.rsplit('/', 1)[0]}/W0{first.published:%Y%m%d}1.png", "现场图片"))
            return notices
        if key == "reports":
            return [
                self.new_item(self.section_dir(key), f"{spec.name}{y}年政府信息公开工作年度报告",
                              min(date(y + 1, 1, 20), self.today), f"{spec.abbr}办〔{y + 1}〕{5 + k}号")
                for k, y in enumerate(range(year - 1, year - 4, -1))
            ]
        # Documents live in a library folder outside the column, as on the real sites.
        norms = [
            self.new_item(f"{self.root}/{spec.root + 5}", topic.format(unit=spec.name), self._recent(i, 2),
                          f"{spec.abbr}发〔{year}〕{20 - i}号")
            for i, topic in enumerate(NORM_TOPICS)
        ]
        for item in norms[:3]:
            stem = item.path.rsplit("/", 1)[0]
            self.add_attachment(item, f"{stem}/P0{item.published:%Y%m%d}{spec.root}1.pdf", f"{item.title}.pdf")
            self.add_attachment(item, f"{stem}/P0{item.published:%Y%m%d}{spec.root}2.doc", "文件全文.doc")
        return norms

    def build_lists(self) -> None:
        for key in [*(k for k in self.sections if k in LIST_KEYS or k in self.spec.empty_sections), *self.extra_lists]:
            self._section_list(key)

    def _recent(self, i: int, offset: int) -> date:
        # Newest first, the newest a day or two old: every dated section is fresh.
        return self.today - timedelta(days=1 + offset + 3 * i)

    def new_item(self, folder: str, title: str, published: date, number: str, body: list[str] | None = None) -> Item:
        """An item page in `folder`; the body is a short notice unless given."""
        if body is None:
            body = [
                f"各有关单位：现将{title.removesuffix('的通知').removesuffix('的公告')}有关事项公布如下。",
                "一、各单位应认真组织学习，按照要求抓好贯彻落实。",
                "二、执行中如有问题，请及时与本关联系。",
                self._closing(published),
            ]
        item = Item(self._item_path(folder), title, published, number, body)
        self.add_page(Page(item.path, title, lambda: self._article_main(item), content_type_charset=False))
        return item

    def _closing(self, published: date) -> str:
        return f"特此公告。{self.spec.name}　{published.year}年{published.month}月{published.day}日"

    def redate(self, item: Item, published: date) -> None:
        """Publish a notice on another day: its list date, its metadata and its closing line."""
        if item.body and item.body[-1] == self._closing(item.published):
            item.body[-1] = self._closing(published)
        item.published = published

    def remove_item(self, key: str, item: Item) -> None:
        """Take an item (without attachments) out of its list and off the site."""
        assert not item.attachments, "its files would stay on the site"
        self.items[key].remove(item)
        del self.pages[item.path]

    def add_list(self, key: str, title: str) -> str:
        """A further list of the disclosure column (法律法规), linked after the sections; returns
        its folder. Its items are added with `new_item` to `items[key]` before `build_lists`."""
        self.section_paths[key] = f"{self.column_dir}/{self.spec.root + 20 + len(self.extra_lists)}/index.html"
        self.titles[key] = title
        self.extra_lists.append(key)
        self.items[key] = []
        return self.section_dir(key)

    def _single_article(self, key: str, title: str, number: int, body: list[str]) -> None:
        published = self.today - timedelta(days=40 + number)
        item = Item(self.section_paths[key], title, published, f"{self.spec.abbr}办〔{published.year}〕{number}号", body)
        self.items[key] = [item]
        self.add_page(Page(item.path, title, lambda: self._trail(key) + self._article_main(item)))

    def add_attachment(self, item: Item, path: str, text: str, **behaviour) -> None:
        item.attachments.append((path, text))
        if path.endswith(".pdf"):
            self.add_file(path, "application/pdf", assets.pdf(f"{self.spec.id} customs document"), **behaviour)
        elif path.endswith(".doc"):
            self.add_file(path, "application/msword", assets.doc(item.title, item.body), **behaviour)
        elif path.endswith(".xls"):
            rows = [["序号", "企业名称", "海关编码"], *[[str(n), f"示范企业{n}", f"32{n:08d}"] for n in range(1, 4)]]
            self.add_file(path, "application/vnd.ms-excel", assets.xls(rows), **behaviour)
        else:
            raise ValueError(f"unknown attachment type: {path}")

    def _assets(self) -> None:
        self.add_file(f"{self.prefix}/css/style.css", "text/css", assets.STYLE_CSS)
        self.add_file(f"{self.prefix}/js/common.js", "application/javascript", assets.COMMON_JS)
        self.add_file(self.logo, "image/png", assets.png(200, 60, (11, 79, 138)))
        self.add_file(f"{self.prefix}/images/banner.png", "image/png", assets.png(300, 80, (200, 30, 30)))
        for item in self.items.get("notices", []):
            for src, _alt in item.images:
                self.add_file(src, "image/png", assets.png(40, 30, (90, 120, 90)))

    def _section_list(self, key: str) -> None:
        items = self.items[key]
        chunks = [items[start:start + PAGE_SIZE] for start in range(0, len(items), PAGE_SIZE)] or [[]]
        if key in self.first_page_empty:
            chunks.insert(0, [])
        page_id = int(self.section_dir(key).rsplit("/", 1)[1])
        paths = [self._list_page_path(self.section_paths[key], page_id, n) for n in range(1, len(chunks) + 1)]
        self.list_pages[key] = paths
        for n, (path, chunk) in enumerate(zip(paths, chunks), 1):
            self.add_page(Page(path, self.titles[key], lambda chunk=chunk, n=n: self._list_main(key, chunk, n)))

    def _news(self) -> None:
        folder = self.news_path.rsplit("/", 1)[0]
        news = [
            Item(self._item_path(folder), topic.format(unit=self.spec.name), self._recent(i, 0),
                 "", [f"近日，{topic.format(unit=self.spec.name)}。", "会议强调，要持续优化口岸营商环境。"])
            for i, topic in enumerate(NEWS_TOPICS)
        ]
        self.items["news"] = news
        for item in news:
            self.add_page(Page(item.path, item.title, lambda item=item: self._news_main(item)))
        self.add_page(Page(self.news_path, "海关动态", lambda: self._list_main("news", news, 1)))

    def add_calendar(self, path: str) -> str:
        """An in-scope calendar with next/previous month links forever (a spider trap).
        Returns the link to this month's page."""
        def month_page(query: dict[str, str]) -> Resource:
            year, month = self.today.year, self.today.month
            match = re.fullmatch(r"(\d{4})-(\d{2})", query.get("month", ""))
            if match and int(match[1]) >= 1 and 1 <= int(match[2]) <= 12:
                year, month = int(match[1]), int(match[2])
            prev_year, prev_month = (year - 1, 12) if month == 1 else (year, month - 1)
            next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
            days = "".join(f"<td>{d}</td>" + ("</tr><tr>" if d % 7 == 0 else "") for d in range(1, monthrange(year, month)[1] + 1))
            main = (
                f'<div class="calendar"><h2>信息发布日历　{year}年{month}月</h2>'
                f'<a href="?month={prev_year:04d}-{prev_month:02d}">上一月</a> '
                f'<a href="?month={next_year:04d}-{next_month:02d}">下一月</a>'
                f"<table><tr>{days}</tr></table></div>"
            )
            return self.html(self.document(f"信息发布日历 {year}年{month}月", main))

        self.vhost.dynamic[unquote(path)] = month_page
        return f"{path}?month={self.today:%Y-%m}"

    # -- templates --------------------------------------------------------------------------

    def render(self, page: Page) -> Resource:
        document = self.document(page.title if page.path == "/" else f"{page.title}_{self.spec.name}",
                                 page.main() + links_block("附件", page.attachments) + links_block("相关链接", page.related),
                                 page.base_href, http_equiv=not page.content_type_charset)
        return self.html(document, charset_in_header=page.content_type_charset, **behaviour_of(page.resource))

    def document(self, title: str, main: str, base_href: str | None = None, http_equiv: bool = False) -> str:
        # Both ways of declaring the charset in the page occur on the real sites.
        if http_equiv:
            meta = f'<meta http-equiv="Content-Type" content="text/html; charset={self.encoding}">'
        else:
            meta = f'<meta charset="{self.encoding}">'
        base = f'<base href="{esc(base_href)}">\n' if base_href else ""
        name = esc(self.spec.name)
        return (
            f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n{meta}\n<title>{esc(title)}</title>\n{base}'
            f'<link rel="stylesheet" href="{self.prefix}/css/style.css">\n'
            f'<script src="{self.prefix}/js/common.js"></script>\n</head>\n<body>\n'
            f'<div class="header"><a href="/"><img src="{self.logo}" alt="{name}"></a></div>\n'
            f'<div class="nav"><a href="/">首页</a> <a href="{self.column}">政府信息公开</a> '
            f'<a href="{self.news_path}">海关动态</a> <a href="{self.interact_path}">互动交流</a></div>\n'
            f'<div class="main">\n{main}\n</div>\n'
            f'<div class="footer"><p>主办单位：{name}　版权所有</p></div>\n</body>\n</html>\n'
        )

    def _home_main(self) -> str:
        news = "".join(
            f'<li><a href="{item.path}">{esc(item.title)}</a><span>{item.published.isoformat()}</span></li>'
            for item in self.items["news"]
        )
        return (
            f'<div class="banner"><img src="{self.prefix}/images/banner.png" alt="{esc(self.spec.name)}"></div>\n'
            f'<div class="home-news"><h2>海关动态</h2><ul>{news}</ul></div>\n'
            '<div class="friend-links"><h3>友情链接</h3>'
            f'<a href="http://{GOV_HOST}:{self.web_port}/">中国政府网</a> '
            f'<a href="http://{SOFT404_HOST}:{self.web_port}/">中国国际贸易单一窗口</a></div>'
        )

    def _column_main(self) -> str:
        keys = [*self.sections, *self.extra_lists]
        if self.spec.column_layout == "blocks":
            return self._column_blocks(keys)
        nav = "".join(f'<li><a href="{self.section_paths[key]}">{esc(self.titles[key])}</a></li>' for key in keys)
        return f'<div class="zfxxgk-nav"><h2>政府信息公开</h2><ul>{nav}</ul></div>'

    def _column_blocks(self, keys: list[str]) -> str:
        """The column as the larger customs sites lay it out: articles in a side menu, each list
        a block titled with its name, showing its latest entries and a 更多 link to the list."""
        menu = "".join(f'<li><a href="{self.section_paths[key]}">{esc(self.titles[key])}</a></li>'
                       for key in keys if key not in LIST_KEYS)
        blocks = []
        for key in (k for k in keys if k in LIST_KEYS):
            entries = "".join(
                f'<li><a href="{item.path}" title="{esc(item.title)}">{esc(item.title)}</a>'
                f"<span>{item.published.isoformat()}</span></li>"
                for item in self.items[key][:BLOCK_ENTRIES]
            ) or self._no_entries()
            blocks.append(
                f'<div class="column-block"><div class="block-title"><h3>{esc(self.titles[key])}</h3>'
                f'<a class="more" href="{self.section_paths[key]}">更多&gt;&gt;</a></div>'
                f'<ul class="block-list">{entries}</ul></div>'
            )
        return (f'<div class="zfxxgk-menu"><h2>政府信息公开</h2><ul>{menu}</ul></div>\n'
                f'<div class="zfxxgk-blocks">{"".join(blocks)}</div>')

    def _list_main(self, key: str, chunk: list[Item], n: int) -> str:
        entries = "".join(
            f'<li><a class="easysite-news-title" href="{item.path}" title="{esc(item.title)}">{esc(item.title)}</a>'
            f"<span>{item.published.isoformat()}</span></li>\n"
            for item in chunk
        )
        if not self.items[key]:
            entries = self._no_entries()
        return (
            f'{self._trail(key)}<div class="easysite-column-title"><h2>{esc(self.titles[key])}</h2></div>\n'
            f'<ul class="easysite-list">\n{entries}</ul>\n{self._pager(key, n)}'
        )

    def _no_entries(self) -> str:
        text = self.spec.empty_list_text
        return f'<li class="no-data">{esc(text)}</li>\n' if text else ""

    def _trail(self, key: str) -> str:
        """The location trail of a section's pages, when the unit's template shows one."""
        if not self.spec.breadcrumb:
            return ""
        column = f' &gt; <a href="{self.column}">政府信息公开</a>' if key in self.section_paths else ""
        return (f'<div class="site-path">当前位置：<a href="/">首页</a>{column}'
                f' &gt; <span>{esc(self.titles[key])}</span></div>\n')

    def _pager(self, key: str, n: int) -> str:
        pages = self.list_pages.get(key, [])
        total = max(1, len(pages))
        parts = [f'<span class="easysite-total-page">共{total}页</span>']
        if n > 1:
            parts += [f'<a href="{esc(pages[0])}">首页</a>', f'<a href="{esc(pages[n - 2])}">上一页</a>']
        parts.append(f'<span class="easysite-page-current">{n}</span>')
        if n < total:
            parts += [f'<a href="{esc(pages[n])}">下一页</a>', f'<a href="{esc(pages[-1])}">尾页</a>']
        return f'<div class="easysite-page">{" ".join(parts)}</div>'

    def _article_main(self, item: Item) -> str:
        if item.body_html is not None:
            body = item.body_html
        else:
            body = "".join(f"<p>{esc(p)}</p>" for p in item.body)
        images = "".join(f'<p><img src="{esc(src)}" alt="{esc(alt)}"></p>' for src, alt in item.images)
        attachments = "".join(f'<p>附件：<a href="{esc(href)}">{esc(text)}</a></p>' for href, text in item.attachments)
        return (
            f'<div class="easysite-news-title"><h2>{esc(item.title)}</h2></div>\n'
            f'<div class="easysite-info">{self._metadata_html(item)}</div>\n'
            f'<div id="easysiteText" class="easysite-news-content">{body}{images}{attachments}</div>'
        )

    def _metadata_html(self, item: Item) -> str:
        """The item's metadata in the unit's style, without the fields it leaves out."""
        values = {
            "index": f"{self.spec.root}/{item.published.year}-{item.path.rsplit('/', 2)[-2]}",
            "number": item.number,
            "agency": self.spec.name,
            "date": item.published.isoformat(),
            "effective": item.published.isoformat(),
            "validity": item.validity,
        }
        style = item.metadata_style or self.spec.metadata_style
        if style == "brackets":
            # the CMS pads short labels with full-width spaces; 生效日期 is not a publication date
            labels = [("number", "文\u3000\u3000号"), ("agency", self.spec.agency_label), ("date", "发布日期"),
                      ("effective", "生效日期"), ("validity", "效力")]
        elif style == "table":
            labels = [("index", "索引号"), ("number", "发文字号"), ("agency", "发布机构"), ("date", "成文日期"),
                      ("validity", "有效性")]
        else:  # colon: the 索引号 line stands empty, as it often does (it is optional)
            values["index"] = ""
            labels = [("index", "索引号"), ("number", "文号"), ("agency", "发文单位"), ("date", "发布日期"),
                      ("validity", "有效性")]
        shown = [(label, "" if key in item.blank else values[key]) for key, label in labels if key not in item.omitted]
        if style == "brackets":
            return "".join(f"<p>【{label}】{esc(value)}</p>" for label, value in shown)
        pairs = [shown[i:i + 2] for i in range(0, len(shown), 2)]
        if style == "table":
            rows = "".join("<tr>" + "".join(f"<th>{label}</th><td>{esc(value)}</td>" for label, value in pair) + "</tr>"
                           for pair in pairs)
            return f'<table class="xxgk-info">{rows}</table>'
        return "".join("<p>" + "\u3000\u3000".join(f"{label}：{esc(value)}" for label, value in pair) + "</p>"
                       for pair in pairs)

    def _news_main(self, item: Item) -> str:
        body = "".join(f"<p>{esc(p)}</p>" for p in item.body)
        return (
            f'<div class="easysite-news-title"><h2>{esc(item.title)}</h2></div>\n'
            f'<div class="easysite-info"><p>【发布日期】{item.published.isoformat()}</p></div>\n'
            f'<div id="easysiteText" class="easysite-news-content">{body}</div>'
        )

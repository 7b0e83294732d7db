"""The demo customs web, built in memory: virtual hosts, their pages, and the ground truth.

`generate(today, ports)` returns a `GeneratedWeb`: what each host answers for each path (served
by `crawler.demo.server`), the DNS records of the demo host names, the units for sites.yaml,
and the faults planted in it (`findings`) with the traps that must NOT be flagged
(`not_flagged`). The same `today` and ports give the same web, byte for byte.

The sites imitate the real customs CMS (EasySite): a home page linking to 政府信息公开, a
disclosure column whose sections are navigation links, section lists
(`ul.easysite-list`, `easysite-total-page`, pagination as `<id>-<n>.html` or
`/eportal/ui?pageId=…&currentPage=n…`), item pages with 【文　　号】-style metadata lines. The
disclosure sections are complete and fresh: only link faults and one unreachable unit are
planted here; later checks add their own faults.

Every host name is under the reserved `.test` TLD, so nothing can reach the real internet.
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

import yaml
from w3lib.url import safe_url_string

from crawler.demo import assets

# Timing of the demo, in one place: the crawl of the demo uses DOWNLOAD_TIMEOUT_SECONDS, and
# the "timeout" fault answers only after SLOW_TIMEOUT_SECONDS, well past it, while the slow
# page that must NOT be flagged answers within it.
DOWNLOAD_TIMEOUT_SECONDS = 3
SLOW_TIMEOUT_SECONDS = 10
SLOW_PAGE_SECONDS = 1
RETRY_AFTER_SECONDS = 1

DEMO_DOMAIN = "customs-demo.test"
LOOPBACK_V4 = "127.0.0.1"
MAX_DEPTH = 4  # sites.yaml default; every planted fault sits well inside it
REDIRECT_CHAIN_HOPS = 12  # longer than the 10 redirects a link checker follows

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


@dataclass(frozen=True)
class Ports:
    http: int  # every virtual host
    refused: int  # a socket bound but not listening: connections are refused
    tls_error: int  # answers plain HTTP to anything, so a TLS handshake fails


@dataclass(frozen=True)
class DemoUnit:
    id: str
    name: str
    url: str
    disclosure_url: str | None = None


@dataclass
class GeneratedWeb:
    today: date
    ports: Ports
    hosts: dict[str, VirtualHost]
    dns_records: dict[str, list[tuple[str, str]]]
    units: list[DemoUnit]
    findings: list[dict[str, str]]
    not_flagged: list[dict[str, str]]

    def truth(self) -> dict:
        return {"today": self.today.isoformat(), "findings": self.findings, "not_flagged": self.not_flagged}

    def sites_yaml(self) -> str:
        units = []
        for unit in self.units:
            entry = {"id": unit.id, "name": unit.name, "url": unit.url}
            if unit.disclosure_url:
                entry["disclosure_url"] = unit.disclosure_url
            units.append(entry)
        document = {"defaults": {"scope": "disclosure", "max_depth": MAX_DEPTH, "max_pages": 500}, "units": units}
        header = f"# The demo customs web (generated for {self.today.isoformat()}; every host is on loopback).\n"
        return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


# --------------------------------------------------------------------------------------------
# The units


@dataclass(frozen=True)
class _UnitSpec:
    id: str
    name: str
    abbr: str  # the prefix of its document numbers, 南京关〔2026〕3号
    root: int  # the numeric id of its folder: /<id>_customs/<root>/...
    encoding: str  # utf-8 or gbk
    pagination: str  # "suffix" (<id>-<n>.html) or "eportal" (/eportal/ui?pageId=...)
    sections: dict[str, str]  # section key -> the wording of its navigation link
    agency_label: str  # 发文机关 or 发布机关
    explicit_column: bool = False  # sites.yaml names its disclosure_url


SECTION_KEYS = ("guide", "system", "notices", "reports", "norms")

UNITS = (
    _UnitSpec(
        "nanjing", "南京海关", "南京关", 536000, "utf-8", "suffix",
        {"guide": "政府信息公开指南", "system": "政府信息公开制度", "notices": "法定主动公开内容",
         "reports": "政府信息公开年报", "norms": "规范性文件"},
        "发文机关",
    ),
    _UnitSpec(
        "hangzhou", "杭州海关", "杭州关", 575000, "gbk", "suffix",
        {"guide": "政府信息公开指南", "system": "政府信息公开制度", "notices": "法定主动公开内容",
         "reports": "【政府信息公开年报】", "norms": "现行有效规范性文件"},
        "发布机关",
    ),
    _UnitSpec(
        "qingdao", "青岛海关", "青岛关", 474000, "utf-8", "eportal",
        {"guide": "政府信息公开指南", "system": "政府信息公开制度", "notices": "法定主动公开内容",
         "reports": "年度报告", "norms": "规范性文件"},
        "发文机关", explicit_column=True,
    ),
)
# A unit whose host resolves but whose web server refuses connections.
UNREACHABLE_UNIT = ("lasa", "拉萨海关")

GOV_HOST = "www.gov-demo.test"  # another government site, linked from every home page
SOFT404_HOST = "www.singlewindow-demo.test"  # answers 200 with a generic page for unknown paths
REFUSED_HOST = f"data.{DEMO_DOMAIN}"  # a retired statistics service: its port refuses connections
TLS_HOST = f"online.{DEMO_DOMAIN}"  # an https:// link to a port that speaks plain HTTP
NXDOMAIN_HOST = f"oldportal.{DEMO_DOMAIN}"  # a retired site: its name no longer exists

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


@dataclass
class _Item:
    """An entry of a section list: the item page and how the list shows it."""

    path: str
    title: str
    published: date
    number: str  # 文号
    body: list[str]
    attachments: list[tuple[str, str]] = field(default_factory=list)  # (href, text)
    images: list[tuple[str, str]] = field(default_factory=list)  # (src, alt)


@dataclass
class _Page:
    """An HTML page still open for planted links; rendered when the web is finished."""

    path: str
    title: str
    main: Callable[[], str]  # the main area, rendered late so it sees every planted link
    base_href: str | None = None
    related: list[tuple[str, str]] = field(default_factory=list)  # the 相关链接 block
    attachments: list[tuple[str, str]] = field(default_factory=list)  # the 附件 block
    content_type_charset: bool = True  # False: the charset is declared only in <meta>
    resource: Resource = Resource()  # status and behaviours; headers and body are filled in


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _absolute(page_url: str, href: str, base_href: str | None = None) -> str:
    """A link as the crawler reports it: absolute, percent-encoded UTF-8, no fragment."""
    return safe_url_string(urldefrag(urljoin(base_href or page_url, href))[0])


class _Site(ABC):
    """The pages of one virtual host on the demo HTTP port."""

    def __init__(self, host: str, port: int, encoding: str = "utf-8") -> None:
        self.host = host
        self.port = port
        self.origin = f"http://{host}:{port}"
        self.encoding = encoding
        self.pages: dict[str, _Page] = {}
        self.vhost = VirtualHost(host, not_found=self.error_page(404, "Not Found"))

    def url(self, path: str) -> str:
        return safe_url_string(self.origin + path)

    def page(self, path: str) -> _Page:
        return self.pages[path]

    def add_page(self, page: _Page) -> _Page:
        self.pages[page.path] = page
        return page

    def add_file(self, path: str, content_type: str, body: bytes, **behaviour) -> None:
        self.vhost.add(path, Resource(200, (("Content-Type", content_type),), body, **behaviour))

    def add_redirect(self, path: str, location_path: str, status: int = 302) -> None:
        location = self.origin + location_path
        body = f'<html><body><a href="{_esc(location)}">{status}</a></body></html>'.encode()
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
    def render(self, page: _Page) -> Resource:
        """The page in this site's templates."""


class _ExternalSite(_Site):
    """Another organisation's site: only checked, never crawled, so a plain template."""

    def __init__(self, host: str, port: int, site_name: str) -> None:
        super().__init__(host, port)
        self.site_name = site_name

    def render(self, page: _Page) -> Resource:
        return self.html(self.document(page.title, page.main()), **_behaviour(page.resource))

    def document(self, title: str, main: str) -> str:
        return (
            '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{_esc(title)}</title>\n</head>\n<body>\n"
            f'<div class="top"><a href="/">{_esc(self.site_name)}</a></div>\n{main}\n'
            f'<div class="footer">{_esc(self.site_name)} 版权所有</div>\n</body>\n</html>\n'
        )


def _behaviour(resource: Resource) -> dict:
    return {
        "status": resource.status,
        "delay": resource.delay,
        "head_status": resource.head_status,
        "throttle_first": resource.throttle_first,
    }


class _UnitSite(_Site):
    """A customs unit's site in the EasySite CMS shape."""

    def __init__(self, spec: _UnitSpec, port: int, today: date) -> None:
        super().__init__(f"{spec.id}.{DEMO_DOMAIN}", port, spec.encoding)
        self.spec = spec
        self.today = today
        self.prefix = f"/{spec.id}_customs"
        self.root = f"{self.prefix}/{spec.root}"
        self.column = self.folder(1)
        self.section_paths = {key: f"{self.column_dir}/{spec.root + 11 + i}/index.html" for i, key in enumerate(SECTION_KEYS)}
        self.news_path = self.folder(2)
        self.interact_path = self.folder(3)
        self.logo = f"{self.prefix}/images/logo.png"
        self.items: dict[str, list[_Item]] = {}
        self.list_pages: dict[str, list[str]] = {}
        self._next_item = 1

    # -- paths ------------------------------------------------------------------------------

    @property
    def column_dir(self) -> str:
        return f"{self.root}/{self.spec.root + 1}"

    def folder(self, offset: int, under_column: bool = False) -> str:
        """`/<unit>_customs/<root>/<root+offset>/index.html`, the CMS's numeric folders."""
        parent = self.column_dir if under_column else self.root
        return f"{parent}/{self.spec.root + offset}/index.html"

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

    def build(self) -> None:
        spec, year = self.spec, self.today.year
        self.add_page(_Page("/", spec.name, self._home_main))
        self.add_page(_Page(self.column, "政府信息公开", self._column_main))
        self._single_article("guide", f"{spec.name}政府信息公开指南", 2, [
            f"为了更好地提供政府信息公开服务，根据《中华人民共和国政府信息公开条例》，编制{spec.name}政府信息公开指南。",
            "本指南所称政府信息，是指本关在履行行政管理职能过程中制作或者获取的，以一定形式记录、保存的信息。",
            "公民、法人或者其他组织可以通过信函、传真、网上申请等方式向本关申请获取政府信息。",
        ])
        self._single_article("system", f"{spec.name}政府信息公开制度", 3, [
            f"第一条　为规范{spec.name}政府信息公开工作，制定本制度。",
            "第二条　本关办公室是政府信息公开工作的主管部门，负责组织协调本关政府信息公开工作。",
            "第三条　政府信息公开工作遵循公正、公平、合法、便民的原则。",
        ])
        notices = [
            self._new_item(self.section_dir("notices"), topic.format(year=year, n=i + 1, month=self.today.month),
                           self._recent(i, 0), f"{spec.abbr}公告〔{year}〕{30 - i}号")
            for i, topic in enumerate(NOTICE_TOPICS)
        ]
        self.items["notices"] = notices
        self.items["reports"] = [
            self._new_item(self.section_dir("reports"), f"{spec.name}{y}年政府信息公开工作年度报告",
                           min(date(y + 1, 1, 20), self.today), f"{spec.abbr}办〔{y + 1}〕{5 + k}号")
            for k, y in enumerate(range(year - 1, year - 4, -1))
        ]
        # Documents live in a library folder outside the column, as on the real sites.
        norms_folder = f"{self.root}/{spec.root + 5}"
        self.items["norms"] = [
            self._new_item(norms_folder, topic.format(unit=spec.name), self._recent(i, 2),
                           f"{spec.abbr}发〔{year}〕{20 - i}号")
            for i, topic in enumerate(NORM_TOPICS)
        ]
        for item in self.items["norms"][:3]:
            stem = item.path.rsplit("/", 1)[0]
            self.add_attachment(item, f"{stem}/P0{item.published:%Y%m%d}{self.spec.root}1.pdf", f"{item.title}.pdf")
            self.add_attachment(item, f"{stem}/P0{item.published:%Y%m%d}{self.spec.root}2.doc", "文件全文.doc")
        first_notice = notices[0]
        first_notice.images.append((f"{first_notice.path.rsplit('/', 1)[0]}/W0{first_notice.published:%Y%m%d}1.png", "现场图片"))
        self.assets_files()
        for key in ("notices", "reports", "norms"):
            self._section_list(key)
        self._news()
        self.add_page(_Page(self.interact_path, "互动交流", lambda: (
            '<div class="interact"><h2>互动交流</h2>'
            f"<p>如您对{_esc(spec.name)}工作有意见建议，请通过“关长信箱”反映。</p></div>"
        )))

    def section_dir(self, key: str) -> str:
        return self.section_paths[key].rsplit("/", 1)[0]

    def _recent(self, i: int, offset: int) -> date:
        # Newest first, the newest a day or two old: every dated section is fresh.
        return self.today - timedelta(days=1 + offset + 3 * i)

    def _new_item(self, folder: str, title: str, published: date, number: str) -> _Item:
        body = [
            f"各有关单位：现将{title.removesuffix('的通知').removesuffix('的公告')}有关事项公布如下。",
            "一、各单位应认真组织学习，按照要求抓好贯彻落实。",
            "二、执行中如有问题，请及时与本关联系。",
            f"特此公告。{self.spec.name}　{published.year}年{published.month}月{published.day}日",
        ]
        item = _Item(self._item_path(folder), title, published, number, body)
        self.add_page(_Page(item.path, title, lambda: self._article_main(item), content_type_charset=False))
        return item

    def _single_article(self, key: str, title: str, number: int, body: list[str]) -> None:
        published = self.today - timedelta(days=40 + number)
        item = _Item(self.section_paths[key], title, published, f"{self.spec.abbr}办〔{published.year}〕{number}号", body)
        self.items[key] = [item]
        self.add_page(_Page(item.path, title, lambda: self._article_main(item)))

    def add_attachment(self, item: _Item, path: str, text: str, **behaviour) -> None:
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

    def assets_files(self) -> None:
        self.add_file(f"{self.prefix}/css/style.css", "text/css", assets.STYLE_CSS)
        self.add_file(f"{self.prefix}/js/common.js", "application/javascript", assets.COMMON_JS)
        self.add_file(self.logo, "image/png", assets.png(200, 60, (11, 79, 138)))
        self.add_file(f"{self.prefix}/images/banner.png", "image/png", assets.png(300, 80, (200, 30, 30)))
        for item in self.items["notices"]:
            for src, _alt in item.images:
                self.add_file(src, "image/png", assets.png(40, 30, (90, 120, 90)))

    def _section_list(self, key: str) -> None:
        items = self.items[key]
        page_id = int(self.section_dir(key).rsplit("/", 1)[1])
        count = max(1, -(-len(items) // PAGE_SIZE))
        paths = [self._list_page_path(self.section_paths[key], page_id, n) for n in range(1, count + 1)]
        self.list_pages[key] = paths
        for n, path in enumerate(paths, 1):
            chunk = items[(n - 1) * PAGE_SIZE: n * PAGE_SIZE]
            self.add_page(_Page(path, self.spec.sections[key], lambda chunk=chunk, n=n: self._list_main(key, chunk, n)))

    def _news(self) -> None:
        folder = self.news_path.rsplit("/", 1)[0]
        news = [
            _Item(self._item_path(folder), topic.format(unit=self.spec.name), self._recent(i, 0),
                  "", [f"近日，{topic.format(unit=self.spec.name)}。", "会议强调，要持续优化口岸营商环境。"])
            for i, topic in enumerate(NEWS_TOPICS)
        ]
        self.items["news"] = news
        for item in news:
            self.add_page(_Page(item.path, item.title, lambda item=item: self._news_main(item)))
        self.add_page(_Page(self.news_path, "海关动态", lambda: self._list_main("news", news, 1)))

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

    def render(self, page: _Page) -> Resource:
        document = self.document(page.title if page.path == "/" else f"{page.title}_{self.spec.name}",
                                 page.main() + _links_block("附件", page.attachments) + _links_block("相关链接", page.related),
                                 page.base_href, http_equiv=not page.content_type_charset)
        return self.html(document, charset_in_header=page.content_type_charset, **_behaviour(page.resource))

    def document(self, title: str, main: str, base_href: str | None = None, http_equiv: bool = False) -> str:
        # Both ways of declaring the charset in the page occur on the real sites.
        if http_equiv:
            meta = f'<meta http-equiv="Content-Type" content="text/html; charset={self.encoding}">'
        else:
            meta = f'<meta charset="{self.encoding}">'
        base = f'<base href="{_esc(base_href)}">\n' if base_href else ""
        name = _esc(self.spec.name)
        return (
            f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n{meta}\n<title>{_esc(title)}</title>\n{base}'
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
            f'<li><a href="{item.path}">{_esc(item.title)}</a><span>{item.published.isoformat()}</span></li>'
            for item in self.items["news"]
        )
        return (
            f'<div class="banner"><img src="{self.prefix}/images/banner.png" alt="{_esc(self.spec.name)}"></div>\n'
            f'<div class="home-news"><h2>海关动态</h2><ul>{news}</ul></div>\n'
            '<div class="friend-links"><h3>友情链接</h3>'
            f'<a href="http://{GOV_HOST}:{self.port}/">中国政府网</a> '
            f'<a href="http://{SOFT404_HOST}:{self.port}/">中国国际贸易单一窗口</a></div>'
        )

    def _column_main(self) -> str:
        nav = "".join(f'<li><a href="{self.section_paths[key]}">{_esc(self.spec.sections[key])}</a></li>' for key in SECTION_KEYS)
        return f'<div class="zfxxgk-nav"><h2>政府信息公开</h2><ul>{nav}</ul></div>'

    def _list_main(self, key: str, chunk: list[_Item], n: int) -> str:
        entries = "".join(
            f'<li><a class="easysite-news-title" href="{item.path}" title="{_esc(item.title)}">{_esc(item.title)}</a>'
            f"<span>{item.published.isoformat()}</span></li>\n"
            for item in chunk
        )
        title = "海关动态" if key == "news" else self.spec.sections[key]
        return (
            f'<div class="easysite-column-title"><h2>{_esc(title)}</h2></div>\n'
            f'<ul class="easysite-list">\n{entries}</ul>\n{self._pager(key, n)}'
        )

    def _pager(self, key: str, n: int) -> str:
        pages = self.list_pages.get(key, [])
        total = max(1, len(pages))
        parts = [f'<span class="easysite-total-page">共{total}页</span>']
        if n > 1:
            parts += [f'<a href="{_esc(pages[0])}">首页</a>', f'<a href="{_esc(pages[n - 2])}">上一页</a>']
        parts.append(f'<span class="easysite-page-current">{n}</span>')
        if n < total:
            parts += [f'<a href="{_esc(pages[n])}">下一页</a>', f'<a href="{_esc(pages[-1])}">尾页</a>']
        return f'<div class="easysite-page">{" ".join(parts)}</div>'

    def _article_main(self, item: _Item) -> str:
        spaced = "文\u3000\u3000号"  # the CMS pads short labels with full-width spaces
        meta = "".join(f"<p>【{label}】{_esc(value)}</p>" for label, value in (
            (spaced, item.number),
            (self.spec.agency_label, self.spec.name),
            ("发布日期", item.published.isoformat()),
            ("生效日期", item.published.isoformat()),
            ("效力", "现行有效"),
        ))
        body = "".join(f"<p>{_esc(p)}</p>" for p in item.body)
        images = "".join(f'<p><img src="{_esc(src)}" alt="{_esc(alt)}"></p>' for src, alt in item.images)
        attachments = "".join(f'<p>附件：<a href="{_esc(href)}">{_esc(text)}</a></p>' for href, text in item.attachments)
        return (
            f'<div class="easysite-news-title"><h2>{_esc(item.title)}</h2></div>\n'
            f'<div class="easysite-info">{meta}</div>\n'
            f'<div id="easysiteText" class="easysite-news-content">{body}{images}{attachments}</div>'
        )

    def _news_main(self, item: _Item) -> str:
        body = "".join(f"<p>{_esc(p)}</p>" for p in item.body)
        return (
            f'<div class="easysite-news-title"><h2>{_esc(item.title)}</h2></div>\n'
            f'<div class="easysite-info"><p>【发布日期】{item.published.isoformat()}</p></div>\n'
            f'<div id="easysiteText" class="easysite-news-content">{body}</div>'
        )


def _links_block(heading: str, links: list[tuple[str, str]]) -> str:
    if not links:
        return ""
    entries = "".join(f'<li><a href="{_esc(href)}">{_esc(text)}</a></li>' for href, text in links)
    return f'\n<div class="related-links"><h3>{heading}</h3><ul>{entries}</ul></div>'


# --------------------------------------------------------------------------------------------
# The faults and the traps, with their ground truth


class _Truth:
    """Plants links on pages and records what a correct crawl must report about them."""

    def __init__(self) -> None:
        self.findings: list[dict[str, str]] = []
        self.not_flagged: list[dict[str, str]] = []

    def fault(self, site: _UnitSite, page_path: str, href: str, text: str, check: str, fault: str,
              block: str | None = "related") -> None:
        """A link that must be reported: one row per (page, target), `fault` saying why."""
        row = self._link(site, page_path, href, text, block)
        self.findings.append({"unit_id": site.spec.id, "check": check, **row, "fault": fault})

    def ok(self, site: _UnitSite, page_path: str, href: str, text: str, case: str,
           block: str | None = "related") -> None:
        """A link that looks suspicious but works: it must NOT be reported."""
        row = self._link(site, page_path, href, text, block)
        self.not_flagged.append({"unit_id": site.spec.id, **row, "case": case})

    @staticmethod
    def _link(site: _UnitSite, page_path: str, href: str, text: str, block: str | None) -> dict[str, str]:
        # block None: the link is already part of the page (navigation, an attachment)
        page = site.page(page_path)
        if block is not None:
            getattr(page, block).append((href, text))
        page_url = site.url(page_path)
        return {"page_url": page_url, "target_url": _absolute(page_url, href, page.base_href), "link_text": text}


def _custom_page(site: _UnitSite, path: str, title: str, text: str, **behaviour) -> None:
    """A working page of the unit's CMS that exists only to be linked to by a planted case."""
    site.add_page(_Page(path, title, lambda: f'<div class="article"><h2>{_esc(title)}</h2><p>{_esc(text)}</p></div>',
                        resource=Resource(**behaviour)))


def _plant_nanjing(site: _UnitSite, ports: Ports, truth: _Truth) -> None:
    spec, home, column = site.spec, "/", site.column
    notice = site.items["notices"][0].path
    norm = site.items["norms"][0]

    truth.fault(site, home, f"http://{REFUSED_HOST}:{ports.refused}/", "海关统计数据查询平台", "broken_link", "refused")
    old_portal = f"http://{NXDOMAIN_HOST}/"
    truth.fault(site, home, old_portal, "南京海关旧版网站", "broken_link", "dns")
    # The same dead site from a second page is a second row; its anchor text is a formula,
    # which the CSV writer must neutralise.
    truth.fault(site, column, old_portal, f'=HYPERLINK("{old_portal}","旧版网站")', "broken_link", "dns")
    for href, text, case in (
        ("mailto:nanjing@customs-demo.test", "联系我们", "mailto"),
        ("tel:025-52345678", "咨询电话", "tel"),
        ("javascript:void(0)", "加入收藏", "javascript"),
        ("#top", "返回顶部", "fragment"),
    ):
        truth.ok(site, home, href, text, case)

    missing = site.folder(99, under_column=True)  # never generated: the host answers 404
    truth.fault(site, column, missing, "海关统计（旧栏目）", "broken_link", "http_404")
    truth.fault(site, notice, missing, "海关统计（旧栏目）", "broken_link", "http_404")

    server_error = site.folder(98)
    site.vhost.add(server_error, site.error_page(500, "Internal Server Error"))
    truth.fault(site, notice, server_error, "网上办事指南", "broken_link", "http_500")

    never_answers = site.folder(96)
    _custom_page(site, never_answers, "进出口数据查询", "查询结果。", delay=SLOW_TIMEOUT_SECONDS)
    truth.fault(site, notice, never_answers, "进出口数据查询", "broken_link", "timeout")

    slow = site.folder(95)
    _custom_page(site, slow, "通关时效公示", f"{spec.name}本月整体通关时间公示。", delay=SLOW_PAGE_SECONDS)
    truth.ok(site, notice, slow, "通关时效公示", "slow_page")

    error_title = site.folder(97)
    site.vhost.add(error_title, site.html(
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>页面不存在</title></head>\n<body>'
        '<div class="error"><h1>您访问的页面不存在</h1><p>您访问的页面不存在或已被删除，<a href="/">返回首页</a>。</p>'
        "</div></body></html>\n"
    ))
    truth.fault(site, column, error_title, "政策解读", "soft_404", "error_page_title")

    calendar = site.add_calendar(site.folder(19, under_column=True))
    truth.ok(site, column, calendar, "信息发布日历", "calendar_trap")

    stem = norm.path.rsplit("/", 1)[0]
    no_head = f"{stem}/P0{norm.published:%Y%m%d}{spec.root}3.xls"
    site.add_attachment(norm, no_head, "企业名单.xls", head_status=405)
    truth.ok(site, norm.path, no_head, "企业名单.xls", "head_405", block=None)
    chinese = f"{stem}/附件/{site.today.year}年 通关便利化措施.pdf"
    site.add_attachment(norm, chinese, "通关便利化措施.pdf")
    truth.ok(site, norm.path, chinese, "通关便利化措施.pdf", "chinese_path", block=None)


def _plant_hangzhou(site: _UnitSite, truth: _Truth) -> None:
    spec, column = site.spec, site.column
    guide = site.section_paths["guide"]
    truth.ok(site, column, guide, spec.sections["guide"], "gbk_page", block=None)

    old_guide = f"{site.root}/zfxxgkzn.html"
    site.add_redirect(old_guide, guide, status=301)
    truth.ok(site, column, old_guide, "信息公开指南（旧址）", "redirect_301")

    # A notice whose title and text quote a document numbered 404: not an error page.
    notice = site.items["notices"][0]
    notice.title = "关于执行海关总署公告〔2021〕404号有关事项的通知"
    notice.body = [
        "各隶属海关、关内各部门：",
        "根据海关总署公告〔2021〕404号要求，现就有关事项通知如下。",
        "一、自即日起，按公告要求办理相关业务。",
        f"特此通知。{spec.name}　{notice.published.year}年{notice.published.month}月{notice.published.day}日",
    ]
    site.page(notice.path).title = notice.title
    truth.ok(site, site.list_pages["notices"][0], notice.path, notice.title, "article_404_number", block=None)

    norm = site.items["norms"][0]
    stem = norm.path.rsplit("/", 1)[0]
    truth.fault(site, norm.path, f"{stem}/P0{norm.published:%Y%m%d}{spec.root}8.doc", "办法全文.doc",
                "broken_link", "http_404", block="attachments")
    no_file = f"{stem}/P0{norm.published:%Y%m%d}{spec.root}9.pdf"
    site.vhost.add(no_file, site.html(
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={spec.encoding}">'
        "<title>提示信息</title></head><body><p>文件不存在！</p></body></html>"
    ))
    truth.fault(site, norm.path, no_file, "实施细则.pdf", "soft_404", "attachment_error_page", block="attachments")


def _plant_qingdao(site: _UnitSite, ports: Ports, truth: _Truth) -> None:
    column = site.column
    truth.fault(site, "/", f"http://{SOFT404_HOST}:{ports.http}/zh/cms/2019/notice_1234.html", "单一窗口通关须知",
                "soft_404", "soft_404_host")
    truth.fault(site, column, f"https://{TLS_HOST}:{ports.tls_error}/", "网上办事大厅", "broken_link", "tls")

    loop_a, loop_b = site.folder(91), site.folder(92)
    site.add_redirect(loop_a, loop_b)
    site.add_redirect(loop_b, loop_a)
    truth.fault(site, column, loop_a, "业务咨询", "broken_link", "redirect_loop")

    hops = [f"{site.root}/{site.spec.root + 80}/hop{n}.html" for n in range(1, REDIRECT_CHAIN_HOPS + 1)]
    chain_end = site.folder(80)
    _custom_page(site, chain_end, "政务服务事项清单", "事项清单。")
    for source, target in zip(hops, [*hops[1:], chain_end]):
        site.add_redirect(source, target)
    truth.fault(site, column, hops[0], "政务服务事项清单", "broken_link", "too_many_redirects")

    moved = site.folder(93)
    site.add_redirect(moved, site.folder(94))  # the target was never generated: 404
    truth.fault(site, column, moved, "行政许可公示", "broken_link", "redirect_to_404")

    busy = site.folder(85)
    _custom_page(site, busy, "统计数据发布", "本关进出口统计数据。", throttle_first=True)
    truth.ok(site, column, busy, "统计数据发布", "retry_after_429")

    # An item page whose relative links resolve only against its <base href>.
    notice = site.page(site.items["notices"][1].path)
    notice.base_href = f"{site.origin}{site.column_dir}/"
    for key, text in (("guide", "相关：信息公开指南"), ("norms", "相关规范性文件")):
        relative = site.section_paths[key].removeprefix(site.column_dir + "/")
        truth.ok(site, notice.path, relative, text, "base_href")


def _external_sites(port: int) -> list[_Site]:
    gov = _ExternalSite(GOV_HOST, port, "中国政府网")
    gov.add_page(_Page("/", "中国政府网_中央人民政府门户网站", lambda: (
        '<div class="news"><a href="/zhengce/index.html">最新政策</a></div>'
    )))
    gov.add_page(_Page("/zhengce/index.html", "最新政策_中国政府网", lambda: "<ul><li>国务院关于优化口岸营商环境的意见</li></ul>"))

    single_window = _ExternalSite(SOFT404_HOST, port, "中国国际贸易单一窗口")
    single_window.add_page(_Page("/", "中国国际贸易单一窗口", lambda: '<div class="portal"><a href="/">标准版应用</a></div>'))
    # Unknown paths answer 200 with the portal's generic page: a soft-404 host.
    single_window.vhost.not_found = single_window.html(single_window.document(
        "中国国际贸易单一窗口", '<div class="error"><p>抱歉，页面未找到。</p><a href="/">返回首页</a></div>'
    ))
    return [gov, single_window]


def _dns_records(hosts: list[str], today: date) -> dict[str, list[tuple[str, str]]]:
    name_servers = [f"ns1.{DEMO_DOMAIN}", f"ns2.{DEMO_DOMAIN}"]
    records: dict[str, list[tuple[str, str]]] = {}
    for zone in sorted({".".join(host.split(".")[-2:]) for host in hosts}):
        records[zone] = [
            ("SOA", f"{name_servers[0]}. hostmaster.{zone}. {today:%Y%m%d}01 3600 600 86400 60"),
            *[("NS", f"{ns}.") for ns in name_servers],
        ]
    for host in [*name_servers, *hosts]:
        records[host] = [("A", LOOPBACK_V4)]
    return records


def generate(today: date, ports: Ports) -> GeneratedWeb:
    """The whole demo web for `today`, its hosts served on `ports`."""
    truth = _Truth()
    sites = {spec.id: _UnitSite(spec, ports.http, today) for spec in UNITS}
    for site in sites.values():
        site.build()
    _plant_nanjing(sites["nanjing"], ports, truth)
    _plant_hangzhou(sites["hangzhou"], truth)
    _plant_qingdao(sites["qingdao"], ports, truth)

    units = [
        DemoUnit(site.spec.id, site.spec.name, site.url("/"),
                 site.url(site.column) if site.spec.explicit_column else None)
        for site in sites.values()
    ]
    lost_id, lost_name = UNREACHABLE_UNIT
    lost_host = f"{lost_id}.{DEMO_DOMAIN}"
    lost_url = f"http://{lost_host}:{ports.refused}/"
    units.append(DemoUnit(lost_id, lost_name, lost_url))
    truth.findings.append({"unit_id": lost_id, "check": "site_unreachable", "page_url": lost_url,
                           "target_url": "", "link_text": "", "fault": "refused"})

    served = [*sites.values(), *_external_sites(ports.http)]
    hosts = {site.host: site.finish() for site in served}
    dns_records = _dns_records([*hosts, lost_host, REFUSED_HOST, TLS_HOST], today)
    return GeneratedWeb(today, ports, hosts, dns_records, units, truth.findings, truth.not_flagged)

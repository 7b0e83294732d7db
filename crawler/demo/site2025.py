"""A unit's site in the customs CMS's 2025 templates, and the faults only its deep list pages lead to.

What changed with the 2025 redesign, as the real sites show it:
- lists are `div.news_con > ul.news_list > li > a[href][title] + span`, each link with
  `onclick="void(0)" target="_blank" istitle="true"`, beside a right rail of other `article_`
  pages (official accounts, the hotline) that are not entries of the list;
- a column's sections are a menu `div.sub_nav > h3 + ul.sub_nav_list > li > a target="_parent"`,
  the current one `li.on`, each name with trailing spaces and an icon `<span>` inside the link;
- the pager has no hrefs: page links carry their target in an onclick call and a `tagname`
  attribute ('[NEXTPAGE]'-style placeholders for disabled buttons), a count `第1/6页 总条数：12`,
  a hidden `input[totalpage]` and a jump box whose script holds the portal's URL pattern; only
  the first three pages are static files `<first 8 hex of the module id>-<n>.html`, deeper pages
  exist only as `/eportal/ui?pageId=…&currentPage=n&moduleId=<32 hex>&staticRequest=yes`;
- items live at `/customs/YYYY-MM/DD/article_<19 digits>.html` with `<meta name="PubDate">`,
  `ContentSource`, `createDate`, a line `发布时间：… 文章来源：…`; 规范性文件 items carry their
  metadata as `#hgfg_con .hgfg_list` 【label】 blocks; attachments sit under
  `/customs/attachDir/YYYY/MM/<19 digits>.xls`; some items show a file in a WPS viewer iframe.
"""
from __future__ import annotations

import hashlib
from datetime import date

from crawler.demo.sites import Item, Page, UnitSite, esc
from crawler.demo.truth import Truth

LIST_PAGE_SIZE = 2  # entries per list page: a dozen items make a list of six pages
STATIC_LIST_PAGES = 3  # pages served as files; the portal serves the others
NORMS = 12
ON = ' class="on"'  # the menu entry of the section shown
FAULTY_PAGE = 5  # beyond the static pages: only the pager's links and the jump box lead there
HGFG_LABELS = (("type", "法规类型"), ("category", "内容类别"), ("number", "文\u3000\u3000号"), ("agency", "发文机关"),
               ("date", "发布日期"), ("effective", "生效日期"), ("validity", "效力"), ("validity_note", "效力说明"))


def _hex(*parts) -> str:
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()


class UnitSite2025(UnitSite):
    """A unit's site in the 2025 templates; the column and section folders keep their numeric paths."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._stamp: date = self.today
        self.rail = [(self._rail_path(1), f"{self.spec.name}官方微信"), (self._rail_path(2), "12360海关热线")]

    # -- paths --------------------------------------------------------------------------------

    def _rail_path(self, n: int) -> str:
        return f"/customs/2025-10/1{n}/article_{self.spec.root:06d}2025101{n}{n:05d}.html"

    def _item_path(self, folder: str) -> str:
        item_id = f"{self._stamp:%Y%m%d}{self.spec.root:06d}{self._next_item:05d}"  # 19 digits
        self._next_item += 1
        return f"/customs/{self._stamp:%Y-%m}/{self._stamp:%d}/article_{item_id}.html"

    def module_id(self, key: str) -> str:
        return _hex(self.spec.id, "module", key)

    def list_page_path(self, key: str, n: int) -> str:
        if n == 1:
            return self.section_paths[key]
        if n <= STATIC_LIST_PAGES:
            return f"{self.section_dir(key)}/{self.module_id(key)[:8]}-{n}.html"
        return self.portal_pattern(key).replace("{n}", str(n))

    def portal_pattern(self, key: str) -> str:
        page_id = self.section_dir(key).rsplit("/", 1)[1]
        return f"/eportal/ui?pageId={page_id}&currentPage={{n}}&moduleId={self.module_id(key)}&staticRequest=yes"

    def attachment_path(self, item: Item, n: int) -> str:
        return f"/customs/attachDir/{item.published:%Y/%m}/{item.published:%Y%m%d}{self.spec.root:06d}{n:05d}.xls"

    # -- building -----------------------------------------------------------------------------

    def new_item(self, folder: str, title: str, published: date, number: str, body: list[str] | None = None) -> Item:
        self._stamp = published  # the path is dated by the day the item was first published
        return super().new_item(folder, title, published, number, body)

    def _list_items(self, key: str) -> list[Item]:
        if key != "norms":
            items = super()._list_items(key)
        else:
            year = self.today.year
            topics = [topic.format(unit=self.spec.name) for topic in _NORM_TOPICS_2025]
            items = [self.new_item("", topic, self._recent(i, 2), f"{self.spec.abbr}公告〔{year}〕{40 - i}号")
                     for i, topic in enumerate(topics[:NORMS])]
            for item in items[::3]:
                self.add_attachment(item, self.attachment_path(item, 1), "企业名单.xls")
        for item in items:
            item.metadata_style = "hgfg" if key == "norms" else "func"
        return items

    def build_items(self) -> None:
        super().build_items()
        for path, title in self.rail:
            self.add_page(Page(path, title, lambda title=title: (
                f'<div class="news_detail"><h1>{esc(title)}</h1><p>欢迎关注{esc(title)}。</p></div>')))
        # a notice that shows its file in the WPS viewer instead of linking it
        notice = self.items["notices"][1]
        viewer = f"/wps/weboffice/office/s/{_hex(self.spec.id, 'wps')}?_w_appid={_hex('appid')[:16]}&readonly"
        notice.body_html = (f"<p>{esc(notice.body[0])}</p>"
                            f'<iframe src="{esc(viewer)}" width="100%" height="800" frameborder="0"></iframe>')
        self.vhost.add(viewer, self.html('<!DOCTYPE html><html><head><meta charset="utf-8"><title>WPS文档预览</title>'
                                         '</head><body><div id="wps-viewer"></div></body></html>'))

    def _section_list(self, key: str) -> None:
        items = self.items[key]
        chunks = [items[start:start + LIST_PAGE_SIZE] for start in range(0, len(items), LIST_PAGE_SIZE)] or [[]]
        paths = [self.list_page_path(key, n) for n in range(1, len(chunks) + 1)]
        self.list_pages[key] = paths
        for n, (path, chunk) in enumerate(zip(paths, chunks), 1):
            self.add_page(Page(path, self.titles[key], lambda chunk=chunk, n=n: self._list_main(key, chunk, n)))
            portal = self.portal_pattern(key).replace("{n}", str(n))
            if portal != path:  # the portal serves every page, the first ones too (its jump box asks it)
                self.add_page(Page(portal, self.titles[key], lambda chunk=chunk, n=n: self._list_main(key, chunk, n)))

    # -- templates ----------------------------------------------------------------------------

    def document(self, title: str, main: str, base_href: str | None = None, http_equiv: bool = False) -> str:
        name = esc(self.spec.name)
        base = f'<base href="{esc(base_href)}">\n' if base_href else ""
        return (
            f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="{self.encoding}">\n'
            f"<title>{esc(title)}</title>\n{base}{self._meta_tags(title)}"
            f'<link rel="stylesheet" href="{self.prefix}/css/style.css">\n'
            f'<script src="{self.prefix}/js/common.js"></script>\n</head>\n<body>\n'
            f'<div class="header2025"><a href="/"><img src="{self.logo}" alt="{name}"></a>'
            f'<ul class="nav2025"><li><a href="/">首页</a></li><li><a href="{self.column}">政府信息公开</a></li>'
            f'<li><a href="{self.news_path}">海关动态</a></li><li><a href="{self.interact_path}">互动交流</a></li></ul></div>\n'
            f'<div class="container">\n{main}\n</div>\n'
            f'<div class="footer2025"><p>主办单位：{name}　版权所有</p></div>\n</body>\n</html>\n'
        )

    def _meta_tags(self, title: str) -> str:
        item = next((item for items in self.items.values() for item in items if item.title == title.split("_")[0]), None)
        if item is None or not item.metadata_style:
            return ""
        return (f'<meta name="ArticleTitle" content="{esc(item.title)}">\n'
                f'<meta name="PubDate" content="{item.published.isoformat()}">\n'
                f'<meta name="ContentSource" content="{esc(self.spec.name)}">\n'
                f'<meta name="createDate" content="{item.published.isoformat()} 09:30:00">\n')

    def sub_nav(self, current: str | None) -> str:
        keys = [*self.sections, *self.extra_lists]
        entries = "".join(
            f'<li{ON if key == current else ""}><a href="{self.section_paths[key]}" target="_parent">'
            f'{esc(self.titles[key])}   <span class="icon"></span></a></li>'
            for key in keys)
        return f'<div class="sub_nav"><h3>政府信息公开</h3><ul class="sub_nav_list">{entries}</ul></div>'

    def _column_main(self) -> str:
        return self.sub_nav(None) + '<div class="zfxxgk_intro"><p>本栏目公开本关政府信息。</p></div>'

    def _list_main(self, key: str, chunk: list[Item], n: int) -> str:
        entries = "".join(
            f'<li><a href="{item.path}" title="{esc(item.title)}" onclick="void(0)" target="_blank" istitle="true">'
            f"{esc(item.title)}</a><span>{item.published.isoformat()}</span></li>\n"
            for item in chunk)
        if not self.items[key]:
            entries = "<li>暂无信息</li>\n"
        rail = "".join(f'<li><a href="{path}" target="_blank">{esc(title)}</a></li>' for path, title in self.rail)
        return (
            f"{self.sub_nav(key)}"
            f'<div class="news_con"><h2>{esc(self.titles[key])}</h2><ul class="news_list">\n{entries}</ul>\n'
            f"{self._pager(key, n)}</div>\n"
            f'<div class="right_rail"><h3>关注我们</h3><ul>{rail}</ul></div>'
        )

    def _pager(self, key: str, n: int) -> str:
        total = len(self.list_pages.get(key, [])) or 1
        if total == 1:
            return ""

        def button(m: int, label: str, placeholder: str) -> str:
            if m < 1 or m > total or m == n:
                return f'<a tagname="[{placeholder}]" class="pagingNormal">{label}</a>'
            target = esc(self.list_page_path(key, m))
            return (f"<a onclick=\"queryArticleByCondition(this,'{target}')\" tagname=\"{target}\" "
                    f'class="pagingNormal">{label}</a>')

        numbers = "".join(f'<font class="NormalRed">{m}</font>' if m == n else button(m, str(m), "")
                          for m in range(max(1, n - 2), min(total, n + 2) + 1))
        before, after = (esc(part) for part in self.portal_pattern(key).split("{n}"))
        return (
            f'<div class="page_more">{button(1, "首页", "HOMEPAGE")}{button(n - 1, "上一页", "PREVIOUSPAGE")}'
            f'{numbers}{button(n + 1, "下一页", "NEXTPAGE")}{button(total, "尾页", "LASTPAGE")}'
            f"<span>第{n}/{total}页 总条数：{len(self.items[key])}</span>"
            f'<input type="hidden" name="article_paging_list_hidden" moduleid="{self.module_id(key)}" totalpage="{total}">'
            '<span class="jump">跳转到<input type="text" size="2" '
            f"onkeydown=\"if(event.keyCode==13){{queryArticleByCondition(this,'{before}'+this.value+'{after}')}}\">页</span></div>"
        )

    def _article_main(self, item: Item) -> str:
        body = item.body_html if item.body_html is not None else "".join(f"<p>{esc(p)}</p>" for p in item.body)
        attachments = "".join(f'<p>附件：<a href="{esc(href)}">{esc(text)}</a></p>' for href, text in item.attachments)
        if item.metadata_style == "hgfg":
            head = self._hgfg(item)
        else:
            head = (f'<div class="func"><span>发布时间：{item.published.isoformat()} 10:30</span>'
                    f"<span>文章来源：{esc(self.spec.name)}</span></div>")
        return (f'<div class="news_detail"><h1>{esc(item.title)}</h1>{head}'
                f'<div class="news_content">{body}{attachments}</div></div>')

    def _hgfg(self, item: Item) -> str:
        values = {"type": "海关规范性文件", "category": "综合", "number": item.number, "agency": self.spec.name,
                  "date": item.published.isoformat(), "effective": item.published.isoformat(),
                  "validity": "有效", "validity_note": ""}
        blocks = "".join(f'<div class="hgfg_list"><span>【{label}】</span>{"" if key in item.blank else esc(values[key])}</div>'
                         for key, label in HGFG_LABELS if key not in item.omitted)
        return f'<div id="hgfg_con">{blocks}</div>'


_NORM_TOPICS_2025 = (
    "关于印发《{unit}行政许可实施办法》的公告",
    "关于印发《{unit}政务公开工作规定》的公告",
    "关于印发《{unit}稽查工作规程》的公告",
    "关于印发《{unit}加工贸易监管实施细则》的公告",
    "关于印发《{unit}保税监管场所管理办法》的公告",
    "关于印发《{unit}进出境邮递物品监管办法》的公告",
    "关于印发《{unit}行政处罚裁量基准》的公告",
    "关于印发《{unit}企业信用管理实施细则》的公告",
    "关于印发《{unit}跨境电商监管操作规程》的公告",
    "关于印发《{unit}查验作业规范》的公告",
    "关于印发《{unit}集中申报管理办法》的公告",
    "关于印发《{unit}汇总征税管理办法》的公告",
)


def plant_deep_page_faults(site: UnitSite2025, truth: Truth) -> None:
    """Faults on items only page 5 of the 规范性文件 list leads to (the portal's page, never a static
    file): a broken attachment, and an item whose 【文　　号】 block is missing."""
    first = (FAULTY_PAGE - 1) * LIST_PAGE_SIZE
    broken, unnumbered = site.items["norms"][first:first + 2]
    assert site.list_pages["norms"][FAULTY_PAGE - 1].startswith("/eportal/")
    truth.fault(site, broken.path, site.attachment_path(broken, 9), "附件：企业名单（更新）.xls", "broken_link",
                "http_404", block="attachments")
    unnumbered.omitted.add("number")
    truth.finding(site.spec.id, "missing_metadata", site.url(unnumbered.path), "metadata_omitted", ["文号"])


def mark_look_alikes(site: UnitSite2025, truth: Truth) -> None:
    """Items whose metadata only the 2025 forms carry: the checks must read them, not miss them."""
    truth.page_ok(site.spec.id, "missing_metadata", site.url(site.items["notices"][0].path), "metadata_func_line_and_meta")
    truth.page_ok(site.spec.id, "missing_metadata", site.url(site.items["norms"][0].path), "metadata_hgfg_blocks")

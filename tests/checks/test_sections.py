"""Section discovery, list parsing and the section findings on plain HTML snippets."""
import datetime as dt

import pytest
from hypothesis import given, strategies as st

from checks.rules import load_rules
from checks.sections import (
    ListItem,
    SectionFacts,
    find_sections,
    is_single_article,
    match_section,
    normalize_name,
    parse_list_page,
    section_findings,
)

RULES = load_rules()
TODAY = dt.date(2024, 3, 1)
COLUMN = "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/index.html"


def page(body: str, title: str = "南京海关") -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


# --- names ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, canonical",
    [
        ("政府信息公开指南", "政府信息公开指南"),
        ("【政府信息公开年报】", "政府信息公开年报"),
        ("年度报告", "政府信息公开年报"),
        ("政府信息公开工作年度报告", "政府信息公开年报"),
        ("现行有效规范性文件", "规范性文件"),
        ("规 范 性 文 件", "规范性文件"),
        ("规　范　性　文　件", "规范性文件"),  # full-width spaces
        ("规范性文件（12）", "规范性文件"),
        ("规范性文件 12条", "规范性文件"),
        ("法定主动公开内容>>", "法定主动公开内容"),
        ("南京海关政府信息公开制度", "政府信息公开制度"),
        ("一、政府信息公开指南", "政府信息公开指南"),
        ("《政府信息公开指南》", "政府信息公开指南"),
        ("政府信息公开指南和目录", "政府信息公开指南"),
        ("政府信息公开制度文件", "政府信息公开制度"),
    ],
)
def test_section_names_match_with_their_variants(text, canonical):
    section = match_section(text, RULES)
    assert section is not None and section.canonical == canonical


@pytest.mark.parametrize("text", ["政府信息公开", "2023年政府信息公开年报", "关于规范性文件清理结果的公告", "规范性文件解读",
                                  "关于修订政府信息公开指南的通知", "首页", ""])
def test_other_texts_name_no_section(text):
    assert match_section(text, RULES) is None


def test_normalize_name():
    assert normalize_name(" 【规范性文件】 (12) ") == "规范性文件"
    assert normalize_name("ＡＢＣ　指南") == "ABC指南"


# --- discovery --------------------------------------------------------------------------------

COLUMN_PAGE = page("""
<div class="header"><a href="/">首页</a><a href="/nanjing_customs/zfxxgk/index.html">政府信息公开</a></div>
<div class="left"><ul class="tree">
  <li><a href="zn/index.html">【政府信息公开指南】</a></li>
  <li><a href="javascript:void(0)">政府信息公开制度</a></li>
  <li><a href="fdzdgknr/index.html">法定主动公开内容 (35)</a></li>
  <li><a href="/nanjing_customs/zfxxgk/nb/index.html">年度报告</a></li>
</ul></div>
<div class="main">
  <div class="column"><h3 class="tit">现行有效规范性文件</h3><a class="more" href="gfxwj/index.html">更多&gt;&gt;</a>
    <ul><li><a href="gfxwj/1/index.html">南京海关关于调整报关业务办理时间的公告</a><span>2024-01-05</span></li></ul>
  </div>
  <h2>政府信息公开制度</h2><p>本关建立健全政府信息公开工作制度……</p>
</div>
""")


def test_find_sections_by_link_text_and_heading():
    found = find_sections(COLUMN_PAGE, COLUMN, RULES)
    assert found["政府信息公开指南"].url == "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/zn/index.html"
    assert found["政府信息公开指南"].name_on_page == "【政府信息公开指南】"
    assert found["法定主动公开内容"].url.endswith("/zfxxgk/fdzdgknr/index.html")
    assert found["政府信息公开年报"].url.endswith("/zfxxgk/nb/index.html")
    # a block heading takes the 更多 link beside it
    assert found["规范性文件"].url.endswith("/zfxxgk/gfxwj/index.html")
    # a heading without a link: the section sits on the column page itself
    assert found["政府信息公开制度"].url is None
    assert found["工作动态"] is None


def test_find_sections_reads_a_cut_name_in_full_from_the_title():
    html = page('<ul class="menu"><li><a href="/zn/" title="政府信息公开指南">政府信息公开…</a></li>'
                '<li><a href="/nb/" title="政府信息公开年报">政府信息公开...</a></li></ul>')
    sections = find_sections(html, COLUMN, RULES)
    assert sections["政府信息公开指南"].url.endswith("/zn/") and sections["政府信息公开年报"].url.endswith("/nb/")


def test_find_sections_ignores_urls():
    html = page('<a href="/zfxxgk/zn/index.html">返回</a><a href="/gfxwj/index.html">更多</a>')
    found = find_sections(html, COLUMN, RULES)
    assert all(ref is None for ref in found.values())


def test_find_sections_honours_base_href_and_gbk_text():
    html = page('<base href="http://other.customs.gov.cn/base/">'
                '<a href="gk/zn.html">政府信息公开指南</a>').encode("gbk").decode("gbk")
    assert find_sections(html, COLUMN, RULES)["政府信息公开指南"].url == "http://other.customs.gov.cn/base/gk/zn.html"


def test_column_page_that_is_itself_a_section():
    html = page('<div class="location">首页 &gt; 信息公开 &gt; 法定主动公开内容</div><ul><li>…</li></ul>',
                title="法定主动公开内容_南京海关")
    ref = find_sections(html, COLUMN, RULES)["法定主动公开内容"]
    assert ref is not None and ref.url is None


# --- list pages -------------------------------------------------------------------------------

LIST_PAGE = page("""
<div class="header"><ul class="mainNav"><li><a href="/">首页</a></li><li><a href="/xxgk/">信息公开</a></li></ul></div>
<div class="left_nav"><ul>
  <li><a href="/nanjing_customs/zfxxgk/zn/index.html">政府信息公开指南</a></li>
  <li><a href="/nanjing_customs/zfxxgk/gfxwj/index.html">规范性文件</a></li>
</ul></div>
<div class="right_con">
 <div class="conList_ull">
  <ul class="conList_ul">
   <li><a href="/nanjing_customs/zfxxgk/gfxwj/4001/index.html">南京海关关于调整报关业务办理时间的公告</a><span>2021-05-10</span></li>
   <li><a href="4002/index.html" title="南京海关关于进一步规范进口冷链食品检验检疫工作的公告">南京海关关于进一步规范进口冷链食品检验...</a><span>2021-03-01</span></li>
  </ul>
  <ul class="conList_ul">
   <li><a href="4003/index.html">南京海关关于公布行政审批事项目录的公告</a><span>[12-20]</span></li>
  </ul>
 </div>
 <div class="easysite-page-wrap">
  <a href="javascript:void(0)" title="首页" tagname="/nanjing_customs/zfxxgk/gfxwj/a1b2c3d4-1.html">首页</a>
  <a href="javascript:void(0)" title="上一页" tagname="[PREVIOUSPAGE]">上一页</a>
  <a href="javascript:void(0)" title="下一页" tagname="/nanjing_customs/zfxxgk/gfxwj/a1b2c3d4-2.html">下一页</a>
  <a href="javascript:void(0)" title="尾页" tagname="/eportal/ui?pageId=4000&amp;currentPage=5&amp;moduleId=a1b2c3d4e5&amp;staticRequest=yes">尾页</a>
  <div class="easysite-total-page"><b>1</b>/<b>5</b></div>
 </div>
</div>
<div class="footer"><a href="/wzdt.html">网站地图</a> 版权所有：南京海关 电话：025-84536000</div>
""")
LIST_URL = "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/gfxwj/index.html"


def test_list_items_of_the_main_list_only():
    result = parse_list_page(LIST_PAGE, LIST_URL, today=TODAY)
    assert [item.title for item in result.items] == [
        "南京海关关于调整报关业务办理时间的公告",
        "南京海关关于进一步规范进口冷链食品检验检疫工作的公告",  # the whole title from the attribute
        "南京海关关于公布行政审批事项目录的公告",
    ]
    assert [item.date for item in result.items] == [dt.date(2021, 5, 10), dt.date(2021, 3, 1), dt.date(2023, 12, 20)]
    assert result.items[1].url == "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/gfxwj/4002/index.html"


def test_easysite_pagination_follows_the_linked_pages_and_only_predicts_the_others():
    result = parse_list_page(LIST_PAGE, LIST_URL, today=TODAY)
    assert result.total_pages == 5
    eportal = "http://nanjing.customs.gov.cn/eportal/ui?pageId=4000&currentPage={}&moduleId=a1b2c3d4e5&staticRequest=yes"
    # what the pager links (tagname targets): 下一页 and 尾页; 首页 is this page's own number
    assert result.pages == ["http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/gfxwj/a1b2c3d4-2.html", eportal.format(5)]
    assert result.numbers == {1, 2, 5}
    # pages 3 and 4 are only predicted, from the numbering of the linked 尾页
    assert result.predicted == {3: eportal.format(3), 4: eportal.format(4)}


def test_numbered_static_pagination_never_beyond_the_stated_total():
    html = page("""
      <ul class="list"><li><a href="a/1.html">关于开展2024年度海关统计数据发布的通知</a> 2024-02-01</li></ul>
      <div class="page"><span>共3页</span><a href="list-1.html">1</a><a href="list-2.html">2</a>
      <a href="list-3.html">3</a><a href="list-4.html">4</a><a href="list-2.html">下一页</a></div>""")
    result = parse_list_page(html, "http://h.gov.cn/col/list-1.html", today=TODAY)
    assert result.total_pages == 3
    assert result.pages == ["http://h.gov.cn/col/list-2.html", "http://h.gov.cn/col/list-3.html"]


def test_eportal_query_pagination_predicts_the_pages_between():
    pager = "".join(
        f'<a href="/eportal/ui?pageId=302272&currentPage={n}&moduleId=b600&staticRequest=yes">{label}</a>'
        for n, label in ((2, "2"), (2, "下一页"), (9, "尾页")))
    html = page(f'<ul><li><a href="/x/1.html">海关总署关于发布进出口商品检验目录的公告</a>[02-01]</li></ul>'
                f'<div class="pagination">{pager}<span>共9页</span></div>')
    result = parse_list_page(html, "http://www.customs.gov.cn/customs/302249/302270/302272/index.html", today=TODAY)
    assert result.total_pages == 9
    assert [p.split("currentPage=")[1].split("&")[0] for p in result.pages] == ["2", "9"]
    assert sorted(result.predicted) == list(range(3, 9))
    assert "currentPage=5&" in result.predicted[5]


def test_generic_next_page_link_without_a_total():
    html = page('<table><tr><th>标题</th><th>日期</th></tr>'
                '<tr><td><a href="d/1.html">关于公布海关行政许可事项清单的公告</a></td><td>2024-01-02</td></tr>'
                '<tr><td><a href="d/2.html">关于调整进出口货物报关单申报项目的公告</a></td><td>2023-12-02</td></tr>'
                '</table><p><a href="list.jsp?x=abc">下一页</a></p>')
    result = parse_list_page(html, "http://h.gov.cn/col/list.jsp", today=TODAY)
    assert [item.date for item in result.items] == [dt.date(2024, 1, 2), dt.date(2023, 12, 2)]
    # 下一页 says what it is wherever it stands (the crawl's own links agree: checks.paging)
    assert result.pages == ["http://h.gov.cn/col/list.jsp?x=abc"]
    assert result.total_pages == 2 and result.predicted == {}


def test_trs_script_pagination():
    html = page('<ul><li><a href="./202401/t1.html">关于做好2024年政府信息公开工作的通知</a><span>2024-01-10</span></li></ul>'
                '<script>createPageHTML(3, 0, "index", "html");</script>')
    result = parse_list_page(html, "http://h.gov.cn/col/index.html", today=TODAY)
    assert result.total_pages == 3
    assert result.pages == ["http://h.gov.cn/col/index_1.html", "http://h.gov.cn/col/index_2.html"]


def test_single_page_list_has_no_other_pages():
    html = page('<ul><li><a href="1.html">关于公布海关行政许可事项清单的公告</a>2024-01-02</li></ul>'
                '<div class="easysite-page-wrap"><a title="尾页" tagname="[LASTPAGE]">尾页</a></div>')
    result = parse_list_page(html, "http://h.gov.cn/col/index.html", today=TODAY)
    assert result.pages == [] and result.total_pages is None


def test_placeholder_entries_are_not_items():
    html = page('<div class="left_nav"><ul><li><a href="/a/index.html">政府信息公开指南</a></li>'
                f'<li><a href="{LIST_URL}">规范性文件</a></li></ul></div>'
                '<ul class="conList_ul"><li><a href="#">暂无信息</a></li></ul>')
    assert parse_list_page(html, LIST_URL, today=TODAY).items == []


def test_undated_list_of_documents():
    html = page(f'<div class="menu"><a href="{LIST_URL}">政府信息公开制度</a></div>'
                '<div class="list"><p><a href="1.html">南京海关政府信息公开工作规程</a></p>'
                '<p><a href="2.html">南京海关政府信息公开保密审查制度</a></p></div>')
    items = parse_list_page(html, LIST_URL, today=TODAY).items
    assert [item.title for item in items] == ["南京海关政府信息公开工作规程", "南京海关政府信息公开保密审查制度"]
    assert all(item.date is None for item in items)


@pytest.mark.parametrize("entry", [
    '<dt><a href="{url}">{title}</a></dt><dd>{date}</dd>',  # a definition list: the date in its own <dd>
    '<div class="t"><a href="{url}">{title}</a></div><div class="d">[{date}]</div>',  # title and date side by side
])
def test_date_in_the_element_after_the_title(entry):
    rows = [("1.html", "关于公布海关行政许可事项清单的公告", "2024-01-02"),
            ("2.html", "关于调整报关业务办理时间的公告", "2023-12-20"),
            ("3.html", "南京海关2023年政府信息公开工作年度报告", "2023-11-05")]
    html = page(f'<div class="list"><dl>{"".join(entry.format(url=u, title=t, date=d) for u, t, d in rows)}</dl></div>')
    items = parse_list_page(html, "http://h.gov.cn/list/", today=TODAY).items
    assert [(item.title, item.date) for item in items] == [(t, dt.date.fromisoformat(d)) for _, t, d in rows]


def test_list_in_an_embedded_frame_is_another_page_of_the_list():
    shell = page('<div class="menu"><ul><li><a href="/zfxxgk/">政府信息公开</a></li></ul></div>'
                 '<iframe src="list_content.html" width="100%"></iframe><iframe src="http://other.gov.cn/ad.html"></iframe>')
    result = parse_list_page(shell, "http://h.gov.cn/gfxwj/index.html", today=TODAY)
    assert result.items == []
    assert result.pages == ["http://h.gov.cn/gfxwj/list_content.html"]  # the frame on the list's own host


def test_gbk_list_page():
    raw = page('<ul><li><a href="1.html">关于公布海关行政许可事项清单的公告</a>2024年1月2日</li></ul>').encode("gb18030")
    items = parse_list_page(raw.decode("gb18030"), "http://h.gov.cn/", today=TODAY).items
    assert items == [ListItem("关于公布海关行政许可事项清单的公告", "http://h.gov.cn/1.html", dt.date(2024, 1, 2))]


def test_single_article_versus_list():
    guide = page('<div class="header"><a href="/">首页</a></div><div class="article"><h1>南京海关政府信息公开指南</h1>'
                 + "<p>为了保障公民、法人和其他组织依法获取政府信息，提高政府工作的透明度，本机关编制本指南。</p>" * 6
                 + "</div>")
    assert is_single_article(guide)
    assert not is_single_article(LIST_PAGE)
    assert not is_single_article(page('<ul><li><a href="#">暂无信息</a></li></ul>'))
    # a short system description: a few full sentences, under any footer's length
    system = page('<div class="wz">当前位置：<a href="/">首页</a> &gt; 政府信息公开制度</div><h2>政府信息公开制度</h2>'
                  "<p>第一条　为规范本关政府信息公开工作，制定本制度。</p><p>第二条　本关办公室是政府信息公开工作的主管部门。</p>")
    assert is_single_article(system)
    assert not is_single_article(page('<h2>政府信息公开制度</h2><p>暂无信息。</p><p>主办单位：南京海关　地址：南京市中山东路</p>'))


# Page chrome of a list page, as independently built customs-like sites lay it out, with class
# names that say nothing: a location trail, a menu of the column's sections, a box of related
# links to other sites, a rail of icon links, a pager. None of them is an entry of the list.
CHROME_URL = "http://shanghai.customs.gov.cn/shanghai_customs/423405/zfxxgk/gfxwj/index.html"
TRAILS = {
    "labelled": '<div class="wz">当前位置：<a href="/">首页</a> &gt; <a href="../index.html">政府信息公开</a> &gt; 规范性文件</div>',
    "unlabelled": '<p class="dq"><a href="/shanghai_customs/index.html">首页</a> » <a href="../index.html">政府信息公开</a>'
                  ' » <a href="index.html">规范性文件</a></p>',
    "items": '<ul class="lj"><li><a href="/">上海海关</a></li><li>&gt;</li><li><a href="../index.html">政府信息公开专栏</a>'
             '</li><li>&gt;</li><li><span>规范性文件</span></li></ul>',
    "site name first": '<div class="t3"><a href="/">上海海关门户网站</a> &gt; <a href="../index.html">政府信息公开</a></div>',
}
MENU = ('<div class="lm"><h3>政府信息公开</h3><ul class="lm_list">'
        + "".join(f'<li><a href="../{folder}/index.html" target="_parent">{name} <span class="i"></span></a></li>'
                  for folder, name in (("zn", "政府信息公开指南"), ("zd", "政府信息公开制度"), ("fdzdgknr", "法定主动公开内容"),
                                       ("nb", "政府信息公开年度报告"), ("gfxwj/", "规范性文件")))
        + "</ul></div>")
RELATED = ('<div class="bk"><h4>相关链接</h4><ul><li><a href="http://www.gov.cn/">中华人民共和国中央人民政府门户网站</a></li>'
           '<li><a href="http://www.customs.gov.cn/">中华人民共和国海关总署门户网站</a></li>'
           '<li><a href="https://www.singlewindow.cn/">中国国际贸易单一窗口服务平台</a></li></ul></div>')
RAIL = ('<div class="r2"><ul>' + "".join(
    f'<li><a href="/customs/2025-01/0{n}/article_202501010000000{n}.html"><img src="/i/{n}.png" alt="{alt}"></a></li>'
    for n, alt in ((1, "海关发布官方微博账号"), (2, "海关总署官方微信公众号"), (3, "全国海关12360服务热线"))) + "</ul></div>")
PAGER = ('<div class="fy"><a href="index.html">[1]</a> <a href="list_2.html">[2]</a> <a href="list_3.html">第3页</a> '
         '<a href="list_2.html">下一页</a></div>')


def chrome_page(trail: str, main: str) -> str:
    return page(f'{trail}<div class="w1"><div class="l2">{MENU}</div><div class="c2">{main}</div>'
                f'<div class="r1">{RELATED}{RAIL}</div></div>')


@pytest.mark.parametrize("trail", TRAILS.values(), ids=TRAILS.keys())
@pytest.mark.parametrize("empty", ['<ul class="news_list"></ul>', '<ul><li>暂无信息</li></ul>', "<p>暂无数据</p>", ""])
def test_an_empty_list_amid_page_chrome_has_no_entries(trail, empty):
    html = chrome_page(trail, empty)
    assert parse_list_page(html, CHROME_URL, today=TODAY).items == []
    assert not is_single_article(html)


@pytest.mark.parametrize("trail", TRAILS.values(), ids=TRAILS.keys())
def test_a_breadcrumb_alone_is_no_entry(trail):
    assert parse_list_page(page(trail + '<div class="nr"><ul></ul></div>'), CHROME_URL, today=TODAY).items == []


def test_entries_amid_page_chrome_are_the_lists_only():
    dated = "".join(f'<li><a href="/shanghai_customs/423405/4235/{n}/index.html">上海海关关于调整报关业务办理时间的第{n}号公告</a>'
                    f"<span>2024-01-0{n}</span></li>" for n in (1, 2))
    items = parse_list_page(chrome_page(TRAILS["labelled"], f"<ul>{dated}</ul>" + PAGER), CHROME_URL, today=TODAY).items
    assert [item.date for item in items] == [dt.date(2024, 1, 1), dt.date(2024, 1, 2)]
    undated = ('<div><p><a href="/shanghai_customs/423405/4236/1/index.html">上海海关政府信息公开工作规程</a></p>'
               '<p><a href="/shanghai_customs/423405/4236/2/index.html">上海海关政府信息公开保密审查制度</a></p></div>')
    items = parse_list_page(chrome_page(TRAILS["unlabelled"], undated + PAGER), CHROME_URL, today=TODAY).items
    assert [item.title for item in items] == ["上海海关政府信息公开工作规程", "上海海关政府信息公开保密审查制度"]


def test_documents_kept_in_folders_beside_the_list_are_entries_not_a_menu():
    html = page('<div class="w"><p><a href="/zfxxgk/4567/index.html">上海海关政府信息公开工作规程实施细则</a></p>'
                '<p><a href="/zfxxgk/4568/index.html">上海海关政府信息公开保密审查制度规定</a></p></div>')
    items = parse_list_page(html, "http://h.gov.cn/zfxxgk/zd/index.html", today=TODAY).items
    assert [item.url for item in items] == ["http://h.gov.cn/zfxxgk/4567/index.html", "http://h.gov.cn/zfxxgk/4568/index.html"]


def test_a_breadcrumb_step_or_a_dated_line_is_no_trail():
    """A short list whose first entry happens to hold a '>' is still a list."""
    html = page('<ul><li><a href="1.html">首页 &gt; 关于调整报关业务办理时间的公告</a> 2024-01-02</li></ul>')
    assert len(parse_list_page(html, CHROME_URL, today=TODAY).items) == 1


# --- findings ---------------------------------------------------------------------------------

def facts(canonical, items=(), is_article=False, url=None, name=None):
    return SectionFacts(canonical, url or f"http://nanjing.customs.gov.cn/{canonical}/index.html",
                        name or canonical, is_article, list(items))


def item(title, day):
    return ListItem(title, "http://nanjing.customs.gov.cn/x.html", day)


def complete_column(**overrides):
    sections = {
        "政府信息公开指南": facts("政府信息公开指南", is_article=True),
        "政府信息公开制度": facts("政府信息公开制度", [item("南京海关政府信息公开工作规程", None)]),
        "法定主动公开内容": facts("法定主动公开内容", [item("关于开展统计调查的通知", dt.date(2024, 2, 1))]),
        "政府信息公开年报": facts("政府信息公开年报", [item("南京海关2023年政府信息公开工作年度报告", dt.date(2024, 1, 20))]),
        "规范性文件": facts("规范性文件", [item("南京海关关于调整报关业务办理时间的公告", dt.date(2023, 12, 1))]),
        "工作动态": None,
    }
    sections.update(overrides)
    return sections


def findings_of(sections, today=TODAY, **kwargs):
    return section_findings("nanjing", COLUMN, sections, today, RULES, **kwargs)


def test_complete_column_has_no_findings():
    assert findings_of(complete_column()) == []


def test_missing_section_on_the_column_page():
    [finding] = findings_of(complete_column(规范性文件=None))
    assert finding.check == "missing_section"
    assert finding.detail.startswith("规范性文件")
    assert finding.page_url == COLUMN


def test_missing_column():
    [finding] = section_findings("nanjing", None, {}, TODAY, RULES, home_url="http://nanjing.customs.gov.cn/")
    assert finding.check == "missing_section"
    assert finding.detail.startswith("政府信息公开专栏")
    assert finding.page_url == "http://nanjing.customs.gov.cn/"


def test_empty_list_section():
    [finding] = findings_of(complete_column(法定主动公开内容=facts("法定主动公开内容", url="http://n/fd.html")))
    assert (finding.check, finding.page_url) == ("empty_section", "http://n/fd.html")
    assert finding.detail.startswith("法定主动公开内容")


def test_single_article_section_is_not_empty():
    assert findings_of(complete_column(政府信息公开制度=facts("政府信息公开制度", is_article=True))) == []


@pytest.mark.parametrize("canonical", ["政府信息公开制度", "政府信息公开指南"])
def test_guide_or_system_section_that_lists_nothing_is_empty(canonical):
    """Judged by what its page holds, not by its kind: an empty list saying 暂无信息 is empty."""
    [finding] = findings_of(complete_column(**{canonical: facts(canonical, url="http://n/zd.html")}))
    assert (finding.check, finding.page_url) == ("empty_section", "http://n/zd.html")
    assert finding.detail.startswith(canonical)


def test_stale_section_names_newest_date_and_threshold():
    old = [item("旧公告", dt.date(2023, 6, 1)), item("更旧的公告", dt.date(2022, 1, 1)), item("无日期", None)]
    [finding] = findings_of(complete_column(规范性文件=facts("规范性文件", old)))
    assert finding.check == "stale_section"
    assert finding.detail.startswith("规范性文件")
    assert "2023-06-01" in finding.detail and "183天" in finding.detail


def test_fresh_enough_and_undated_sections_are_not_stale():
    recent = [item("公告", TODAY - dt.timedelta(days=183))]
    assert findings_of(complete_column(规范性文件=facts("规范性文件", recent))) == []
    undated = [item("公告一", None), item("公告二", None)]
    assert findings_of(complete_column(规范性文件=facts("规范性文件", undated))) == []


def test_sections_without_freshness_rule_are_never_stale():
    old_reports = [item("南京海关2023年政府信息公开工作年度报告", dt.date(2020, 1, 1))]
    assert findings_of(complete_column(政府信息公开年报=facts("政府信息公开年报", old_reports))) == []


def test_news_column_found_is_stale_after_two_weeks_and_optional_when_absent():
    news = facts("工作动态", [item("南京海关开展关区业务培训", TODAY - dt.timedelta(days=20))])
    [finding] = findings_of(complete_column(工作动态=news))
    assert finding.check == "stale_section" and "14天" in finding.detail


def test_previous_years_annual_report_missing_after_31_january():
    reports = facts("政府信息公开年报", [item("南京海关2022年政府信息公开工作年度报告", dt.date(2023, 1, 20))])
    [finding] = findings_of(complete_column(政府信息公开年报=reports))
    assert finding.check == "missing_section"
    assert finding.detail.startswith("政府信息公开年报")
    assert "2023" in finding.detail
    # on 31 January the report may still be missing
    assert findings_of(complete_column(政府信息公开年报=reports), today=dt.date(2024, 1, 31)) == []


def test_annual_report_year_not_taken_from_a_publication_date():
    reports = facts("政府信息公开年报", [item("2022年政府信息公开年报（2023-01-15发布）", dt.date(2023, 1, 15))])
    [finding] = findings_of(complete_column(政府信息公开年报=reports))
    assert "2023" in finding.detail


def test_annual_report_without_year_in_title_counts_by_its_date():
    reports = facts("政府信息公开年报", [item("南京海关政府信息公开工作年度报告", dt.date(2024, 1, 25))])
    assert findings_of(complete_column(政府信息公开年报=reports)) == []


def test_annual_report_found_among_the_column_links():
    reports = facts("政府信息公开年报", is_article=True)
    assert findings_of(complete_column(政府信息公开年报=reports),
                       column_link_texts=["南京海关2023年政府信息公开工作年度报告"]) == []
    [finding] = findings_of(complete_column(政府信息公开年报=reports), column_link_texts=["2023年工作动态"])
    assert "2023" in finding.detail


def test_missing_annual_report_section_is_one_finding_naming_the_year():
    [finding] = findings_of(complete_column(政府信息公开年报=None))
    assert finding.check == "missing_section"
    assert finding.detail.startswith("政府信息公开年报") and "2023" in finding.detail


def test_override_can_drop_a_required_section():
    rules = load_rules({"sections": [{"name": "政府信息公开制度", "required": False}]})
    assert section_findings("nanjing", COLUMN, complete_column(政府信息公开制度=None), TODAY, rules) == []


def test_dated_sidebar_box_loses_to_the_main_list():
    html = page("""
      <div class="sidebar"><ul><li><a href="/n/1.html">南京海关召开关区工作会议</a>2024-02-28</li>
        <li><a href="/n/2.html">南京海关开展业务培训</a>2024-02-27</li>
        <li><a href="/n/3.html">南京海关开展普法宣传活动</a>2024-02-26</li></ul></div>
      <div class="content"><ul><li><a href="/g/1.html">南京海关关于调整报关业务办理时间的公告</a>2021-05-10</li>
        <li><a href="/g/2.html">南京海关关于公布行政审批事项目录的公告</a>2021-03-01</li></ul></div>""")
    items = parse_list_page(html, LIST_URL, today=TODAY).items
    assert [item.date for item in items] == [dt.date(2021, 5, 10), dt.date(2021, 3, 1)]


_FRAGMENTS = ["<ul>", "</ul>", "<li>", "<a href='x/1.html'>", "<a href='javascript:;'>", "</a>", "<table><tr><td>",
              "</td></tr></table>", "2024-01-02", "[02-03]", "政府信息公开指南", "下一页", "共3页", "<div class='page'>",
              "</div>", "<?xml version='1.0' encoding='gbk'?>", "<base href=':'>", "<script>createPageHTML(2,0,'index','html')</script>",
              "【文号】", "暂无信息", "&nbsp;", "<!-- c -->", "\u3000", "<p>"]


@given(st.lists(st.sampled_from(_FRAGMENTS) | st.text(max_size=8), max_size=40))
def test_parsers_never_raise(parts):
    html = "".join(parts)
    parse_list_page(html, "http://h.gov.cn/col/index.html", today=TODAY)
    find_sections(html, "http://h.gov.cn/col/index.html", RULES)
    is_single_article(html)

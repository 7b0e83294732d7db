"""The one pagination recogniser (checks.paging): a link of a pager, and a list page's whole pager."""
from __future__ import annotations

import pytest

from checks.paging import MAX_LIST_PAGES, is_pager_link, read_pager, scripted_target
from checks.page import parse_html

LIST_URL = "http://www.customs.gov.cn/customs/302249/302274/302275/index.html"
EPORTAL = "/eportal/ui?pageId=302275&currentPage={n}&moduleId=a1b2&staticRequest=yes"
PAGE_2 = "http://www.customs.gov.cn/customs/302249/302274/302275/302275-2.html"


@pytest.mark.parametrize(
    "page, href, text, paginated",
    [
        # the customs CMS, query form
        (LIST_URL, EPORTAL.format(n=2), "下一页", True),
        (LIST_URL, EPORTAL.format(n=2), "2", True),
        (LIST_URL, EPORTAL.format(n=9), "尾页", True),
        ("http://www.customs.gov.cn" + EPORTAL.format(n=2), EPORTAL.format(n=3), "3", True),
        ("http://www.customs.gov.cn" + EPORTAL.format(n=2), EPORTAL.format(n=1), "首页", True),
        (LIST_URL, "/eportal/ui?pageId=999999&currentPage=1", "海关统计", False),
        # the customs CMS, file form
        (LIST_URL, "302275-2.html", "2", True),
        (LIST_URL, "302275-2.html", "[下一页]", True),
        (PAGE_2, "302275-3.html", ">>", True),
        (PAGE_2, "index.html", "首页", True),
        (PAGE_2, "./", "上一页", True),
        ("http://a.cn/customs/302249/302275.html", "302275-2.html", "2", True),
        # the 2025 templates: a module's static pages beside the column's index
        (LIST_URL, "008336e2-2.html", "2", True),
        # TRS and generic forms
        (LIST_URL, "index_1.html", "2", True),
        (LIST_URL, "list.jsp?page=2", "2", True),
        # not pagination
        (LIST_URL, "/", "首页", False),
        (LIST_URL, "/customs/302249/302274/302276/index.html", "海关统计数据", False),
        (LIST_URL, "5678123/index.html", "关于公布2021年第1号公告的通知", False),
        (LIST_URL, "t20210101_4567890.html", "1", False),
        (LIST_URL, "detail.html", "下一篇", False),
        (LIST_URL, "http://other.gov.cn/list-2.html", "下一页", False),
    ],
)
def test_is_pager_link(page, href, text, paginated):
    from urllib.parse import urljoin

    assert is_pager_link(text, urljoin(page, href), page) is paginated


@pytest.mark.parametrize("onclick, tagname, target", [
    ("queryArticleByCondition(this,'/tjs/sjgb/tjkx/008336e2-2.html')", None, "/tjs/sjgb/tjkx/008336e2-2.html"),
    ("queryArticleByCondition(this,'/tjs/a-3.html')", "/tjs/a-3.html", "/tjs/a-3.html"),
    (None, "/eportal/ui?pageId=1&currentPage=4&moduleId=ab&staticRequest=yes",
     "/eportal/ui?pageId=1&currentPage=4&moduleId=ab&staticRequest=yes"),
    ("goPage('list_2.html')", None, "list_2.html"),
    ("openWin('/xxgk/a.html', '', 600, 400)", None, "/xxgk/a.html"),
    # disabled buttons, script calls that name no page, two strings (which one?)
    (None, "[NEXTPAGE]", None),
    ("queryArticleByCondition(this,'[HOMEPAGE]')", "[HOMEPAGE]", None),
    ("void(0)", None, None),
    ("setTab('tab1')", None, None),
    ("addFavorite('/', '南京海关')", None, None),
    ("return show('a b')", None, None),
])
def test_scripted_target(onclick, tagname, target):
    assert scripted_target(onclick, tagname) == target


COLUMN = "http://tjs.customs.test/tjs/sjgb/tjkx/index.html"


def pager_2025(total: int, jump_box: bool, last: str = "eportal") -> str:
    """The 2025 customs templates' pager: no hrefs, targets in onclick and tagname (see checks.paging)."""
    eportal = "/eportal/ui?pageId=302&amp;currentPage={}&amp;moduleId=008336e2aaaabbbbccccddddeeeeffff&amp;staticRequest=yes"
    last_url = eportal.format(total) if last == "eportal" else f"/tjs/sjgb/tjkx/008336e2-{total}.html"
    jump = (f'<input type="text" onkeydown="if(event.keyCode==13){{queryArticleByCondition(this,\'{eportal.format("")}\'.'
            'replace(\'currentPage=\',\'currentPage=\'+this.value))}">' if jump_box else "")
    return (
        '<div class="news_con"><ul class="news_list">'
        '<li><a href="/customs/2025-11/03/article_2025110314051234567.html" title="2025年10月海关统计快讯" '
        'onclick="void(0)" target="_blank" istitle="true">2025年10月海关统计快讯</a><span>2025-11-03</span></li>'
        '<li><a href="/customs/2025-10/08/article_2025100809301234567.html" title="2025年9月海关统计快讯" '
        'onclick="void(0)" target="_blank" istitle="true">2025年9月海关统计快讯</a><span>2025-10-08</span></li>'
        '</ul><div class="page_more">'
        '<a tagname="[HOMEPAGE]">首页</a><a tagname="[PREVIOUSPAGE]">上一页</a><font class="NormalRed">1</font>'
        '<a onclick="queryArticleByCondition(this,\'/tjs/sjgb/tjkx/008336e2-2.html\')" class="pagingNormal">2</a>'
        '<a onclick="queryArticleByCondition(this,\'/tjs/sjgb/tjkx/008336e2-3.html\')" class="pagingNormal">3</a>'
        '<a onclick="queryArticleByCondition(this,\'/tjs/sjgb/tjkx/008336e2-2.html\')" '
        'tagname="/tjs/sjgb/tjkx/008336e2-2.html">下一页</a>'
        f'<a onclick="queryArticleByCondition(this,\'{last_url}\')" tagname="{last_url}">尾页</a>'
        f'<span>第1/{total}页 总条数：{total * 10 - 3}</span>'
        f'<input type="hidden" name="article_paging_list_hidden" moduleid="008336e2" totalpage="{total}">{jump}'
        '</div></div>')


def read(html: str, url: str = COLUMN):
    return read_pager(parse_html(f"<html><body>{html}</body></html>"), url, url)


def test_2025_pager_without_hrefs_links_its_static_pages_and_the_last():
    pager = read(pager_2025(239, jump_box=False))
    assert (pager.current, pager.total, pager.stated) == (1, 239, True)
    assert pager.pages == (
        "http://tjs.customs.test/tjs/sjgb/tjkx/008336e2-2.html",
        "http://tjs.customs.test/tjs/sjgb/tjkx/008336e2-3.html",
        "http://tjs.customs.test/eportal/ui?pageId=302&currentPage=239&moduleId=008336e2aaaabbbbccccddddeeeeffff"
        "&staticRequest=yes",
    )
    # pages 4..238 are only predicted, and by the portal's numbering (which serves every page),
    # never as static files because pages 2 and 3 are
    assert sorted(pager.predicted_pages) == list(range(4, 239))
    assert all("currentPage=" in url for url in pager.predicted_pages.values())


def test_static_pages_two_and_three_never_make_page_n_a_linked_file():
    pager = read(pager_2025(239, jump_box=False, last="static"))
    assert [url.rsplit("/", 1)[1] for url in pager.pages] == ["008336e2-2.html", "008336e2-3.html", "008336e2-239.html"]
    assert len(pager.predicted) == 235  # 4..238: guesses, tried only when no page links them


def test_the_jump_box_pattern_links_every_page_up_to_the_stated_total():
    pager = read(pager_2025(12, jump_box=True))
    assert pager.numbers == frozenset(range(1, 13))
    assert pager.pages[:2] == ("http://tjs.customs.test/tjs/sjgb/tjkx/008336e2-2.html",
                               "http://tjs.customs.test/tjs/sjgb/tjkx/008336e2-3.html")
    assert [url.split("currentPage=")[1].split("&")[0] for url in pager.pages[2:]] == [str(n) for n in range(4, 13)]
    assert pager.predicted == ()


@pytest.mark.parametrize("jump", [
    # the URL cut where the number goes, the rest in the next string
    """<input onkeydown="go('/eportal/ui?pageId=9&currentPage=' + this.value + '&moduleId=ab12&staticRequest=yes')">""",
    # a placeholder the script replaces
    """<script>function jump(n){location.href='/eportal/ui?pageId=9&currentPage={page}&moduleId=ab12&staticRequest=yes'.replace('{page}', n)}</script>""",
])
def test_jump_box_forms(jump):
    html = ('<div class="easysite-page-wrap"><a href="javascript:void(0)" tagname="list-2.html">下一页</a>'
            f'<div class="easysite-total-page"><b>1</b>/<b>4</b></div></div>{jump}')
    pager = read(html, "http://h.test/col/list.html")
    assert pager.total == 4
    assert pager.pages == ("http://h.test/col/list-2.html",
                           *(f"http://h.test/eportal/ui?pageId=9&currentPage={n}&moduleId=ab12&staticRequest=yes"
                             for n in (3, 4)))


def test_numbered_entries_outside_a_pager_are_not_pages():
    # (a pager would carry the number in its URLs, or stand beside a next link or a page count)
    html = ('<ol><li><a href="/a/4711.html">2</a></li><li><a href="/a/4712.html">3</a></li></ol>'
            '<p>第一季度统计表见附件</p>')
    assert read(html, "http://h.test/a/index.html").pages == ()


def test_numbered_links_inside_a_pager_without_numbers_in_their_urls():
    html = ('<div><a href="list.jsp?x=1">1</a><a href="list.jsp?x=b">2</a><a href="list.jsp?x=c">3</a>'
            '<a href="list.jsp?x=b">下一页</a></div>')
    pager = read(html, "http://h.test/col/list.jsp?x=1")
    assert pager.pages == ("http://h.test/col/list.jsp?x=b", "http://h.test/col/list.jsp?x=c")
    assert pager.total == 3 and not pager.stated


def test_a_later_page_knows_its_number_and_links_back():
    html = ('<div class="page_more"><a onclick="queryArticleByCondition(this,\'/c/ab-2.html\')">上一页</a>'
            '<font>3</font><a onclick="queryArticleByCondition(this,\'/eportal/ui?pageId=1&amp;currentPage=4\')">4</a>'
            '<span>第3/5页</span></div>')
    pager = read(html, "http://h.test/c/ab-3.html")
    assert pager.current == 3 and 2 in pager.numbers and 4 in pager.numbers
    assert pager.predicted_pages == {5: "http://h.test/eportal/ui?pageId=1&currentPage=5"}


def test_the_stated_count_is_capped():
    html = '<div class="page"><a href="list-2.html">下一页</a><span>共 99999999 页</span></div>'
    pager = read(html, "http://h.test/c/list.html")
    assert pager.total == 99999999
    assert len(pager.pages) + len(pager.predicted) == MAX_LIST_PAGES - 1


def test_the_home_page_beside_a_pager_is_not_its_first_page():
    html = ('<div><div class="crumb"><a href="/">首页</a> &gt; <a href="/xxgk/">政府信息公开</a></div>'
            '<div><a href="list-2.html">上一页</a><b>3</b><a href="list-4.html">下一页</a><span>第3/4页</span></div></div>')
    pager = read(html, "http://h.test/xxgk/gf/list-3.html")
    assert pager.pages == ("http://h.test/xxgk/gf/list-2.html", "http://h.test/xxgk/gf/list-4.html")

from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.facts import ATTACHMENT, MALFORMED, PAGE, RESOURCE, Link
from checks.paging import URL_PARTS, is_pager_link
from crawler.crawl.links import (_ALREADY_CANONICAL, _canonical_once, canonical_url, extract_links, is_trap_path, link_kind,
                                  refresh_target, stylesheet_links)

PAGE_URL = "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/index.html"


def urls(html: str, page_url: str = PAGE_URL) -> list[str]:
    return [link.url for link in extract_links(html, page_url)]


def test_relative_links_resolve_against_the_page():
    html = '<a href="a.html">A</a><a href="../b.html">B</a><a href="/c.html">C</a>'
    assert urls(html) == [
        "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/a.html",
        "http://nanjing.customs.gov.cn/nanjing_customs/b.html",
        "http://nanjing.customs.gov.cn/c.html",
    ]


def test_base_href_is_resolved_against_the_page_and_used():
    html = (
        '<html><head><base href="/nanjing_customs/xxgk/"></head>'
        '<body><a href="guide.html">指南</a><a href="//other.gov.cn/x">x</a></body></html>'
    )
    assert urls(html) == [
        "http://nanjing.customs.gov.cn/nanjing_customs/xxgk/guide.html",
        "http://other.gov.cn/x",
    ]


def test_only_the_first_base_counts_and_a_useless_one_is_ignored():
    assert urls('<base href="http://a.cn/x/"><base href="http://b.cn/"><a href="y">y</a>') == [
        "http://a.cn/x/y"
    ]
    assert urls('<base href="javascript:void(0)"><a href="a.html">A</a>') == [
        "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/a.html"
    ]


def test_gbk_page_decoded_by_the_caller():
    raw = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">'
        '</head><body><a href="/法规/附件 1.pdf">海关总署公告</a></body></html>'
    ).encode("gbk")
    links = extract_links(raw.decode("gbk"), PAGE_URL)
    # The <meta charset> must not make the parser decode the text a second time.
    assert links == [
        Link(
            "http://nanjing.customs.gov.cn/%E6%B3%95%E8%A7%84/%E9%99%84%E4%BB%B6%201.pdf",
            "海关总署公告",
            "a",
            ATTACHMENT,
        )
    ]


def test_chinese_path_with_space_is_percent_encoded_as_a_browser_sends_it():
    html = '<a href=" 通知 公告/第 1 期.html ">通知</a>'
    assert urls(html) == [
        "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/"
        "%E9%80%9A%E7%9F%A5%20%E5%85%AC%E5%91%8A/%E7%AC%AC%201%20%E6%9C%9F.html"
    ]


def test_query_uses_the_page_encoding_and_the_path_utf8():
    html = '<a href="/搜索?q=关税">搜</a>'
    links = extract_links(html, PAGE_URL, encoding="gbk")
    assert links[0].url == "http://nanjing.customs.gov.cn/%E6%90%9C%E7%B4%A2?q=%B9%D8%CB%B0"


@pytest.mark.parametrize(
    "href",
    [
        "mailto:xxgk@customs.gov.cn",
        "MAILTO:xxgk@customs.gov.cn",
        "tel:025-12345678",
        "javascript:void(0)",
        " JavaScript:openWin('a.html')",
        "data:image/png;base64,iVBORw0KGgo=",
        "ftp://ftp.customs.gov.cn/a.zip",
        "weixin://dl/chat",
        "",
        "   ",
        "#",
        "#top",
    ],
)
def test_links_no_browser_fetches_over_http_are_skipped(href):
    assert urls(f'<a href="{href}">x</a><img src="{href}">') == []


def test_fragment_is_stripped_and_whitespace_inside_removed():
    html = '<a href="a.html#sec2">A</a><a href="b\n.html\t#x">B</a>'
    assert urls(html) == [
        "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/a.html",
        "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/b.html",
    ]


def test_backslashes_are_read_as_slashes():
    assert urls('<a href="..\\fj\\a.doc">a</a>') == [
        "http://nanjing.customs.gov.cn/nanjing_customs/fj/a.doc"
    ]


def test_url_with_impossible_port_is_reported_as_written():
    links = extract_links('<a href="http://a.cn:99999/">x</a><a href="http://[::1">y</a>', "http://h.gov.cn/")
    assert [(link.url, link.kind) for link in links] == [("http://a.cn:99999/", MALFORMED), ("http://[::1", MALFORMED)]


@pytest.mark.parametrize("href, url", [
    # WHATWG URL rules: a browser reads '\\' as '/' before the query of an http(s) URL
    ("http://english.customs.gov.cn\\Excel\\2024\\tj.xls", "http://english.customs.gov.cn/Excel/2024/tj.xls"),
    ("http:\\\\h.gov.cn\\a.html", "http://h.gov.cn/a.html"),
    ("..\\up\\b.html?x=a\\b", "http://h.gov.cn/up/b.html?x=a%5Cb"),
    ("关于印发《管理办法》的通知.pdf", "http://h.gov.cn/a/%E5%85%B3%E4%BA%8E%E5%8D%B0%E5%8F%91%E3%80%8A%E7%AE%A1%E7%90%86%E5%8A%9E%E6%B3%95%E3%80%8B%E7%9A%84%E9%80%9A%E7%9F%A5.pdf"),
    ("?keyword=海关", "http://h.gov.cn/a/index.html?keyword=%E6%B5%B7%E5%85%B3"),
])
def test_links_as_a_browser_reads_them(href, url):
    for prefix in ("", "<span>" * 3000):  # both parsing paths
        [link] = extract_links(f'{prefix}<a href="{href}">x</a>', "http://h.gov.cn/a/index.html")
        assert link.url == url


@pytest.mark.parametrize("href", [
    "http:__online.customs.gov.cn", "http://localhost]", "http:/www.example.com/", "http:www.example.com/",
    "http://", "https:", "http://a b.gov.cn/", "//bad host.cn/x", "www.customs.gov.cn", "WWW.customs.gov.cn/a.html",
    "附件：关于印发通知", "点击下载",
])
def test_malformed_hrefs_are_kept_as_written(href):
    for prefix in ("", "<span>" * 3000):  # both parsing paths
        links = extract_links(f'{prefix}<a href="  {href} ">x</a><a href="{href}">y</a>', "http://h.gov.cn/a/index.html")
        assert [(link.url, link.kind) for link in links] == [(href, MALFORMED), (href, MALFORMED)]


def test_every_link_tag_with_its_text_and_kind():
    html = """<html><head>
      <link rel="stylesheet" href="/css/main.css"><script src="/js/jquery.js"></script>
      </head><body>
      <a href="list.html">  政府信息
         公开　目录 </a>
      <a href="/"><img src="/images/logo.png" alt=" 南京海关 "></a>
      <a href="/x.html"><img src="/images/x.gif" title="图解"></a>
      <img src="/images/banner.jpg">
      <map><area href="/area.html" alt="热区"></map>
      <iframe src="/video.html" title="视频"></iframe>
      <frameset><frame src="/menu.html"></frameset>
      </body></html>"""
    host = "http://nanjing.customs.gov.cn"
    assert extract_links(html, PAGE_URL) == [
        Link(f"{host}/css/main.css", "", "link", RESOURCE),
        Link(f"{host}/js/jquery.js", "", "script", RESOURCE),
        Link(f"{host}/nanjing_customs/zfxxgk/list.html", "政府信息 公开 目录", "a", PAGE),
        Link(f"{host}/", "南京海关", "a", PAGE),
        Link(f"{host}/images/logo.png", "南京海关", "img", RESOURCE),
        Link(f"{host}/x.html", "图解", "a", PAGE),
        Link(f"{host}/images/x.gif", "图解", "img", RESOURCE),
        Link(f"{host}/images/banner.jpg", "", "img", RESOURCE),
        Link(f"{host}/area.html", "热区", "area", PAGE),
        Link(f"{host}/video.html", "视频", "iframe", PAGE),
        Link(f"{host}/menu.html", "", "frame", PAGE),
    ]


@pytest.mark.parametrize(
    "path, tag, kind",
    [
        ("/fj/2021年报.pdf", "a", ATTACHMENT),
        ("/fj/a.DOCX", "a", ATTACHMENT),
        ("/fj/a.xls", "a", ATTACHMENT),
        ("/fj/a.wps", "a", ATTACHMENT),
        ("/fj/a.et", "a", ATTACHMENT),
        ("/fj/a.ofd", "a", ATTACHMENT),
        ("/fj/a.ceb", "a", ATTACHMENT),
        ("/fj/a.rar", "a", ATTACHMENT),
        ("/fj/a.7z", "a", ATTACHMENT),
        ("/fj/a.zip?v=2", "a", ATTACHMENT),
        ("/fj/a.tif", "iframe", ATTACHMENT),
        ("/fj/a.jpg", "a", RESOURCE),
        ("/fj/a.pdf", "img", RESOURCE),
        ("/fj/a.css", "a", RESOURCE),
        ("/a.html", "a", PAGE),
        ("/a.jsp?file=x.pdf", "a", PAGE),
        ("/fj.pdf/", "a", PAGE),
        ("/", "frame", PAGE),
    ],
)
def test_link_kind(path, tag, kind):
    assert link_kind("http://a.cn" + path, tag) == kind


def test_duplicates_on_a_page_are_dropped_in_document_order():
    html = '<a href="a.html">A</a><a href="b.html">B</a><a href="a.html#x">A</a><a href="a.html">A2</a>'
    assert [(link.url.rsplit("/", 1)[1], link.text) for link in extract_links(html, PAGE_URL)] == [
        ("a.html", "A"),
        ("b.html", "B"),
        ("a.html", "A2"),
    ]


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   \n",
        "<!-- nothing -->",
        "\x00\x00\x00",
        "<a href='a.html'>A\x00B</a><a href=b.html>B",
        '<?xml version="1.0" encoding="gb2312"?><html><a href="a.html">A</a></html>',
        "<table><tr><td><a href='a.html'>A<td><a href='b.html'>B</table></a></div></span>",
        "<<a href=\"a.html\">A</a>><![ broken <a href='b.html'>B",
    ],
)
def test_broken_documents_never_raise(html):
    found = urls(html)
    assert all(url.startswith("http://nanjing.customs.gov.cn/") for url in found)


def test_broken_html_keeps_the_links_it_can_read():
    html = "<ul><li><a href='a.html'>A<li><a href=b.html>B</ul><p><a href='c.html'>C"
    assert [link.text for link in extract_links(html, PAGE_URL)] == ["A", "B", "C"]


def test_many_links_on_one_huge_line():
    html = "<body>" + "".join(f'<a href="/p/{i}.html">第{i}条</a>' for i in range(50_000))
    links = extract_links(html, PAGE_URL)
    assert len(links) == 50_000
    assert links[-1] == Link("http://nanjing.customs.gov.cn/p/49999.html", "第49999条", "a", PAGE)


def test_deep_nesting_of_unclosed_tags_loses_no_link():
    # libxml2 stops at a nesting depth of a few thousand: thousands of unclosed <span>s.
    html = "".join(f"<span><a href='x{i}.html'>条目 <b>{i}</b></a>\n" for i in range(5000))
    links = extract_links(html + '<a href="last.pdf"><img alt="末"></a>', PAGE_URL)
    assert len(links) == 5001
    assert links[0].text == "条目 0"
    assert links[-1] == Link(
        "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/last.pdf", "末", "a", ATTACHMENT
    )


@pytest.mark.parametrize(
    "url, canonical",
    [
        ("HTTP://WWW.Customs.GOV.cn:80/a/./b/../c.html#top", "http://www.customs.gov.cn/a/c.html"),
        ("https://www.customs.gov.cn:443", "https://www.customs.gov.cn/"),
        ("http://a.cn:8080/", "http://a.cn:8080/"),
        ("http://a.cn/list.jsp;jsessionid=0AB12C?id=3", "http://a.cn/list.jsp?id=3"),
        ("http://a.cn/x.do;JSESSIONID=0AB?b=2&a=1", "http://a.cn/x.do?a=1&b=2"),
        ("http://a.cn/x?PHPSESSID=1&id=2&SessionId=4", "http://a.cn/x?id=2"),
        ("http://a.cn/x?ASPSESSIONIDQQ=A&id=2&jsessionid=z", "http://a.cn/x?id=2"),
        # `sid` is a section id on some CMSs, not a session: kept
        ("http://a.cn/x?sid=1", "http://a.cn/x?sid=1"),
        ("http://a.cn/%e4%b8%ad 文.html", "http://a.cn/%E4%B8%AD%20%E6%96%87.html"),
    ],
)
def test_canonical_url(url, canonical):
    assert canonical_url(url) == canonical
    assert canonical_url(canonical) == canonical


@pytest.mark.parametrize(
    "url, trap",
    [
        ("http://a.cn/customs/302249/zfxxgk/2799825/index.html", False),
        ("http://a.cn/2021/01/01/a.html", False),
        ("http://a.cn/news/css/news/css/news/css/a.html", True),
        ("http://a.cn/" + "d/" * 3 + "x.html", True),
        ("http://a.cn/" + "".join(f"s{i}/" for i in range(16)), True),
        ("http://a.cn/" + "".join(f"s{i}/" for i in range(15)), False),
        ("http://a.cn/x?q=" + "a" * 2000, True),
    ],
)
def test_is_trap_path(url, trap):
    assert is_trap_path(url) is trap


# Hypothesis: URL-ish text built from the pieces that make canonicalisation hard.
URL_PIECES = st.sampled_from(
    list("aB0:/?#[]@!$&'()*+,;=%.-_~ \\中\t")
    + ["http://", "https://", ":80", ":443", "..", "%2e", "%3B", ";jsessionid=1", "sid=", "%73id="]
)
URLISH = st.one_of(st.text(), st.lists(URL_PIECES, max_size=25).map("".join))
HTML_PIECES = st.sampled_from(
    ["<a href='", "<img src=", "<base href=", "<area href=", "'>", "</a>", "<", ">", "<![",
     "<!--", "-->", "&amp;", "&#", "\x00", "中", " ", "javascript:", "#", "../", "http://",
     "<script>", "</script>", " alt=", "<span>"]
)


@settings(max_examples=300, deadline=None)
@given(URLISH)
def test_canonical_url_is_idempotent_and_total(url):
    canonical = canonical_url(url)
    assert canonical_url(canonical) == canonical
    is_trap_path(url)


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.from_regex(_ALREADY_CANONICAL, fullmatch=True), URLISH.map(lambda rest: "http://a.cn" + rest)))
def test_a_url_taken_for_canonical_at_sight_is_one_canonicalisation_leaves_as_it_is(url):
    if _ALREADY_CANONICAL.fullmatch(url):
        assert _canonical_once(url) == url


@pytest.mark.parametrize("url", ["http://www.customs.gov.cn/customs/302249/zfxxgk/index.html",
                                 "http://127.0.0.1:55231/files/0.pdf", "https://a.cn:8443/", "http://a.cn/a-b_c~d/"])
def test_urls_as_sites_write_them_are_taken_for_canonical_at_sight(url):
    assert _ALREADY_CANONICAL.fullmatch(url)


HTML = st.one_of(st.text(), st.lists(HTML_PIECES, max_size=40).map("".join))


@settings(max_examples=300, deadline=None)
@given(st.one_of(HTML, HTML.map(lambda html: "<span>" * 3000 + html)), URLISH)
def test_extract_links_never_raises(html, page_url):
    # 3000 unclosed <span>s send the document to the parser without a depth limit.
    for link in extract_links(html, page_url):
        if link.kind == MALFORMED:
            continue  # the href as written, never requested
        assert link.url.startswith(("http://", "https://"))
        assert "#" not in link.url
        parts = URL_PARTS.fullmatch(link.url)
        assert (parts["netloc"], parts["path"], parts["query"] or "") == urlsplit(link.url)[1:4]
        is_pager_link(link.text, link.url, page_url)


# Plain hrefs are joined by concatenation (the hot path); it must give what urljoin and
# safe_url_string give, for every base and href it accepts.
PLAIN_PIECES = st.sampled_from(
    list("aZ09-._~/!$&()*+,;=:@?%'#\\ 中") + ["..", "./", "../", "//", "%2e", "%E4%B8%AD", "%zz", "index.html"]
)
BASES = st.builds(
    lambda scheme, netloc, path: f"{scheme}://{netloc}{path}",
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from(["h", "H.Example", "h:80", "h:8080", "u:p@h", "[::1]", "h:99999", "xn--fiqs8s.cn", ""]),
    st.lists(PLAIN_PIECES, max_size=12).map("".join),
)


@settings(max_examples=500, deadline=None)
@given(BASES, st.lists(PLAIN_PIECES, min_size=1, max_size=12).map("".join))
def test_plain_join_gives_what_urljoin_and_safe_url_string_give(base, href):
    from crawler.crawl.links import _plain_base, _resolve

    assert _resolve(href, base, "utf-8", _plain_base(base)) == _resolve(href, base, "utf-8")


def test_plain_join_is_taken_for_ordinary_links():
    from crawler.crawl.links import _join_plain, _plain_base

    base = _plain_base("http://h/a/b.html?x=1")
    assert _join_plain("c.html", base) == "http://h/a/c.html"
    assert _join_plain("/d/e.html", base) == "http://h/d/e.html"
    assert _join_plain("?page=2", base) == "http://h/a/b.html?page=2"
    assert _join_plain("../c.html", base) is None
    assert _join_plain("c d.html", base) is None


def test_control_characters_are_dropped_on_both_parsing_paths():
    # html.parser reads pages nested too deep for libxml2: it must drop what the lxml path drops
    for prefix in ("", "<span>" * 3000):
        [link] = extract_links(prefix + '<a href="http://\x00h.gov.cn/a.html">x</a>', PAGE_URL)
        assert link.url == "http://h.gov.cn/a.html"


@pytest.mark.parametrize("anchor, url", [
    ('<a href="javascript:void(0)" onclick="window.open(\'/xxgk/index.html\')">信息公开</a>', "http://h.gov.cn/xxgk/index.html"),
    ("<a href=\"#\" onclick=\"location.href='list.html'\">规范性文件</a>", "http://h.gov.cn/a/list.html"),
    ("<a href=\"javascript:window.open('http://www.customs.gov.cn/')\">海关总署</a>", "http://www.customs.gov.cn/"),
    ('<a onclick="window.location.href = \'/b.html\'">无 href</a>', "http://h.gov.cn/b.html"),
    ('<a href="javascript:void(0)" onclick="addFavorite()">加入收藏</a>', None),  # a script, no page
    ('<a href="/real.html" onclick="window.open(\'/other.html\')">有 href</a>', "http://h.gov.cn/real.html"),
    # pager links of the 2025 customs templates: the page path handed to a script, or in tagname
    ('<a onclick="queryArticleByCondition(this,\'/a/008336e2-2.html\')" class="pagingNormal">2</a>',
     "http://h.gov.cn/a/008336e2-2.html"),
    ('<a tagname="/eportal/ui?pageId=1&amp;currentPage=4" href="javascript:void(0)">4</a>',
     "http://h.gov.cn/eportal/ui?pageId=1&currentPage=4"),
    ('<a tagname="[NEXTPAGE]" onclick="queryArticleByCondition(this,\'[NEXTPAGE]\')">下一页</a>', None),
    ('<a href="javascript:void(0)" onclick="setTab(\'tab2\')">通知</a>', None),
])
def test_links_a_script_opens(anchor, url):
    for prefix in ("", "<span>" * 3000):  # both parsing paths
        assert [link.url for link in extract_links(prefix + anchor, "http://h.gov.cn/a/index.html")] == (
            [url] if url else [])





DROPDOWN = ('<select onchange="if (this.value) window.open(this.options[this.selectedIndex].value)">'
            '<option value="">--友情链接--</option><option value="http://www.customs.gov.cn/">海关总署</option>'
            '<option value="/gone.html">南京市人民政府</option></select>')


def test_a_link_dropdown_is_links():
    for prefix in ("", "<span>" * 3000):  # both parsing paths
        links = extract_links(prefix + DROPDOWN + '<a href="/a.html">通知</a>', "http://h.gov.cn/index.html")
        assert [(link.url, link.text, link.tag) for link in links] == [
            ("http://www.customs.gov.cn/", "海关总署", "option"), ("http://h.gov.cn/gone.html", "南京市人民政府", "option"),
            ("http://h.gov.cn/a.html", "通知", "a")]


def test_a_form_select_is_no_links():
    form = '<select name="year"><option value="/2024">2024</option></select><select onchange="filter()"><option value="/x">x</option></select>'
    for prefix in ("", "<span>" * 3000):
        assert extract_links(prefix + form, "http://h.gov.cn/index.html") == []


def test_embedded_documents_and_media_are_checked():
    html = ('<embed src="/doc/notice.pdf" type="application/pdf"><object data="/flash/banner"></object>'
            '<video src="/v/intro.mp4"><source src="/v/intro.webm"></video><audio src="/a/news"></audio>')
    assert [(link.url, link.tag, link.kind) for link in extract_links(html, "http://h.gov.cn/")] == [
        ("http://h.gov.cn/doc/notice.pdf", "embed", ATTACHMENT), ("http://h.gov.cn/flash/banner", "object", RESOURCE),
        ("http://h.gov.cn/v/intro.mp4", "video", ATTACHMENT), ("http://h.gov.cn/v/intro.webm", "source", RESOURCE),
        ("http://h.gov.cn/a/news", "audio", RESOURCE)]


def test_refresh_target_css_urls_and_subtitles_are_links():
    html = ('<head><meta http-equiv="Refresh" content="5; URL=\'/new/\'"><meta http-equiv="refresh" content="30">'
            '<style>body{background:url(bg.png)} /* url(gone.png) */ @import "more.css";</style></head>'
            '<body><div style="background-image:url( \'img/a.jpg\' )">x</div><div style="color:red">y</div>'
            '<video src="v.mp4"><track src="sub.vtt"></video></body>')
    expected = {("http://h.gov.cn/new/", "meta", PAGE), ("http://h.gov.cn/a/bg.png", "style", RESOURCE),
                ("http://h.gov.cn/a/more.css", "style", RESOURCE), ("http://h.gov.cn/a/img/a.jpg", "style", RESOURCE),
                ("http://h.gov.cn/a/v.mp4", "video", ATTACHMENT), ("http://h.gov.cn/a/sub.vtt", "track", RESOURCE)}
    for prefix in ("", "<span>" * 3000):  # both parsing paths
        links = extract_links(prefix + html, "http://h.gov.cn/a/index.html")
        assert {(link.url, link.tag, link.kind) for link in links} == expected


@pytest.mark.parametrize("content, target", [
    ("0; url=http://h.gov.cn/", "http://h.gov.cn/"), ("5;URL='/a.html'", "/a.html"), ('3, url="b.html"', "b.html"),
    ("10; /c/", "/c/"), ("5", None), ("", None),
])
def test_refresh_target(content, target):
    assert refresh_target("refresh", content) == target
    assert refresh_target("content-type", content) is None


def test_stylesheet_links_resolve_against_the_sheet():
    css = '@import url("base.css");\n.a { background: url(../img/x.png) }\n/* url(old.png) */ .b { src: url(data:font/woff;base64,AA) }'
    assert [link.url for link in stylesheet_links(css, "http://h.gov.cn/css/site.css")] == [
        "http://h.gov.cn/css/base.css", "http://h.gov.cn/img/x.png"]


def test_a_relative_link_on_a_page_whose_address_names_no_host_is_not_requested():
    assert extract_links('<a href="/0">x</a><a href="http://www.customs.gov.cn/">总署</a>', "http://\x00") == [
        Link("http://www.customs.gov.cn/", "总署", "a", PAGE)]

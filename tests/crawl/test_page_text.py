import pytest

from crawler.crawl.page_text import script_navigation, script_redirect, summarize


def test_title_heading_and_visible_text():
    page = ('<html><head><title>页面 &amp; 不存在</title><script>var x="<h1>no</h1>"</script></head>'
            '<body><!-- <h1>hidden</h1> --><h1>您访问的<b>页面</b>不存在</h1><p>返回</p><style>p{}</style></body></html>')
    assert summarize(page, 100) == ("页面 & 不存在", "您访问的 页面 不存在", "您访问的 页面 不存在 返回")


def test_hidden_parts_are_dropped_in_any_case_and_other_tags_stay_text_boundaries():
    page = ('<body><SCRIPT type="x">a()</Script ><noscript>开启脚本</NOSCRIPT><Template>模板</template>'
            '<style>p{}</style><!---->正文<strong>一</strong><span>二</span> 1 < 2 <nav>三</nav></body>')
    assert summarize(page, 100) == ("", "", "正文 一 二 1 三")
    unclosed = "<body>" + "a<b " * 1000  # every '<' opens a tag no '>' closes: all of it is text
    assert summarize(unclosed, 11) == ("", "", "a<b a<b a<b")


def test_text_is_bounded_and_broken_html_is_read():
    assert summarize("<title>无结尾<p>" + "字" * 50, 10) == ("", "", "无结尾 " + "字" * 6)
    assert summarize("", 10) == ("", "", "")


@pytest.mark.parametrize("page, target", [
    ('<html><head><script>window.location.href="/nanjing_customs/index.html";</script></head>'
     '<body>正在跳转……</body></html>', "/nanjing_customs/index.html"),
    ("<script type='text/javascript'>location.replace('/a/b.html')</script>", "/a/b.html"),
    ('<script>top.location = "http://www.customs.gov.cn/"</script>', "http://www.customs.gov.cn/"),
    # a switch to a mobile site: which way a browser goes depends on the browser
    ('<script>if (mobile) { location.href = "m.html" } else { location.href = "pc.html" }</script>', None),
    ('<a href="/x">栏目</a><script>location.href = "/y"</script>', None),  # a page with links is read
    ("<p>" + "正文内容" * 60 + '</p><script>location.href = "/y"</script>', None),  # and so is a page of text
    ('<script>var location_hint = "/y"</script>', None),
    # an anti-bot challenge sets a cookie and sends the browser on: not a redirect to follow
    ('<script>document.cookie="__jsl_clearance=1";location.href="/?t=1"</script>', None),
    ("<p>no script</p>", None),
])
def test_script_redirect(page, target):
    assert script_redirect(page) == target


@pytest.mark.parametrize("script, urls", [
    ("window.open('/a.html', '_blank'); location.href = 'b.html'", ["/a.html", "b.html"]),
    ('open("/c.html")', ["/c.html"]),
    ('top.window.open ("/d.html")', ["/d.html"]),
    ("xhr.open('GET', '/api/list'); $.open('x')", []),  # a request, not a page the browser opens
    ("if (location.href == '/e.html') {}", []),  # a comparison
])
def test_script_navigation(script, urls):
    assert script_navigation(script, new_windows=True) == urls


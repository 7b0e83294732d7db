from crawler.page_text import summarize


def test_title_heading_and_visible_text():
    page = ('<html><head><title>页面 &amp; 不存在</title><script>var x="<h1>no</h1>"</script></head>'
            '<body><!-- <h1>hidden</h1> --><h1>您访问的<b>页面</b>不存在</h1><p>返回</p><style>p{}</style></body></html>')
    assert summarize(page, 100) == ("页面 & 不存在", "您访问的 页面 不存在", "您访问的 页面 不存在 返回")


def test_text_is_bounded_and_broken_html_is_read():
    assert summarize("<title>无结尾<p>" + "字" * 50, 10) == ("", "", "无结尾 " + "字" * 6)
    assert summarize("", 10) == ("", "", "")

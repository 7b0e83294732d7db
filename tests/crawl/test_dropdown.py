"""A link dropdown (友情链接) is checked like links: a dead entry is a broken link with its text."""

from tests.webs.loopback_site import check_site, serve, spot_results

HOME = ('<html><head><title>首页</title></head><body><a href="/a.html">通知</a>'
        '<select onchange="window.open(this.value)"><option value="">友情链接</option>'
        '<option value="/partner.html">海关总署</option><option value="/gone.html">南京市人民政府</option>'
        '</select></body></html>').encode()
PAGE = "<html><head><title>页面</title></head><body>正文</body></html>".encode()


def test_dead_dropdown_entry_is_a_broken_link(tmp_path):
    with serve({"/": HOME, "/a.html": PAGE, "/partner.html": PAGE}) as url:
        result = check_site(url, tmp_path)
    assert result.returncode == 0, result.stderr
    summary, rows = spot_results(tmp_path)
    broken = [(row["page_url"], row["target_url"], row["link_text"]) for row in rows if row["check"] == "broken_link"]
    assert broken == [(url, url + "gone.html", "南京市人民政府")]

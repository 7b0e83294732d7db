"""A site whose root only sends the browser on by script is crawled from where it sends it."""
from tests.webs.loopback_site import check_site, serve, spot_results

PAGES = {
    "/": '<html><head><script>window.location.href = "/portal/index.html";</script></head><body>正在跳转</body></html>',
    "/portal/index.html": '<html><head><title>首页</title></head><body><a href="a.html">通知公告</a>'
                          '<a href="gone.html">办事指南</a></body></html>',
    "/portal/a.html": "<html><head><title>通知公告</title></head><body>正文</body></html>",
}


def test_root_that_redirects_by_script_is_followed(tmp_path):
    with serve({path: html.encode() for path, html in PAGES.items()}) as url:
        result = check_site(url, tmp_path)
    assert result.returncode == 0, result.stderr
    summary, rows = spot_results(tmp_path)
    assert summary["pages_crawled"] == "2"  # the portal's home and its one working page
    broken = [(row["page_url"], row["target_url"]) for row in rows if row["check"] == "broken_link"]
    assert broken == [(url + "portal/index.html", url + "portal/gone.html")]
    assert not any(row["check"] == "site_unreachable" for row in rows)


def test_a_script_reloading_the_same_page_is_not_followed(tmp_path):
    reload = '<html><body><script>window.location.href = "/?v=2";</script>请稍候</body></html>'.encode()
    with serve({"/": reload, "/?v=2": reload}) as url:
        result = check_site(url, tmp_path)
    assert result.returncode == 0, result.stderr  # not "every unit was unreachable" after 10 reloads
    summary, _ = spot_results(tmp_path)
    assert summary["site_unreachable"] == "0"

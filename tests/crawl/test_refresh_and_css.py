"""What a browser loads and shows besides <a href>: a start page with a delayed refresh is shown
first (its own links are read, the refresh target is one of them), an immediate refresh is a
redirect; CSS url()s in style attributes, <style> and the unit's own style sheets, and <track>
subtitles are checked like images."""
import pytest

from tests.webs.loopback_site import check_site, serve, spot_results

PAGE = "<html><head><title>页面</title></head><body>正文</body></html>".encode()


def broken_rows(tmp_path) -> list[tuple[str, str]]:
    _, rows = spot_results(tmp_path)
    return sorted((row["page_url"], row["target_url"]) for row in rows if row["check"] == "broken_link")


MAIN = '<html><head><title>首页</title></head><body><a href="/main-gone.html">通知</a></body></html>'.encode()


@pytest.mark.parametrize("delay, home_read", [(5, True), (0, False)])
def test_a_delayed_refresh_shows_the_page_an_immediate_one_redirects(tmp_path, delay, home_read):
    home = (f'<html><head><meta http-equiv="refresh" content="{delay}; url=/main.html"><title>欢迎</title></head>'
            '<body>页面将在5秒后跳转 <a href="/old-gone.html">旧版网站</a></body></html>').encode()
    with serve({"/": home, "/main.html": MAIN}) as url:
        result = check_site(url, tmp_path)
    assert result.returncode == 0, result.stderr
    expected = [(url + "main.html", url + "main-gone.html")]
    assert broken_rows(tmp_path) == ([(url, url + "old-gone.html")] if home_read else []) + expected


def test_css_urls_and_subtitles_are_checked(tmp_path):
    home = ('<html><head><title>首页</title><link rel="stylesheet" href="/css/site.css">'
            '<style>.banner { background: url("/img/banner-gone.png") } /* url(/img/commented.png) */</style></head>'
            '<body><div style="background-image:url(img/ok.png)">x</div><div style="background:url(\'img/tile-gone.png\')">y</div>'
            '<video src="/v/intro.mp4"><track src="/v/intro-gone.vtt" kind="subtitles"></video></body></html>').encode()
    css = b'@import "more-gone.css";\nbody { background: url(../img/ok.png) }\n.logo { background: url(../img/logo-gone.png) }'
    with serve({"/": home, "/css/site.css": css, "/img/ok.png": b"png", "/v/intro.mp4": b"mp4"}) as url:
        result = check_site(url, tmp_path)
    assert result.returncode == 0, result.stderr
    assert broken_rows(tmp_path) == sorted([
        (url, url + "img/banner-gone.png"), (url, url + "img/tile-gone.png"), (url, url + "v/intro-gone.vtt"),
        (url + "css/site.css", url + "css/more-gone.css"), (url + "css/site.css", url + "img/logo-gone.png"),
    ])

"""Firewall answers recognised by their shape (checks/firewall.py), on plain data."""
import pytest

from checks.firewall import challenge_shape

# A Ruishu shell as the headquarters' firewall answers it (412, and 202 alike): a nameless
# meta with a long token, an inline script and an external one marked r="m", nothing visible.
RUISHU = (
    '<!DOCTYPE html><html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
    '<meta http-equiv="Expires" content="0"><meta content="' + "wK3qGh1.Zp0x" * 40 + '" r="m">'
    '<script type="text/javascript" r="m">$_ts=window[\'$_ts\'];if(!$_ts)$_ts={};$_ts.nsd=84305;'
    '$_ts.cd="qqrzrrAlDkGqqpqAtq3gHLLL";</script>'
    '<script type="text/javascript" charset="utf-8" src="/qHfGJ2bE7Xcd/c9PK1KJjxWmE.b4c45da.js" r="m"></script>'
    '</head><body></body></html>'
)
RUISHU_HEADERS = {"Set-Cookie": "NfBCSins2OywS=60kLOdn2uMrl; Path=/; HttpOnly", "Content-Type": "text/html"}
# 加速乐's first answer: 521, X-Via-JSL, a script that writes the clearance cookie and reloads.
JIASULE = ("<script>document.cookie=('_')+('_')+('j')+('s')+('l')+('_')+('c')+('l')+'=1700000000.1|0|abc'"
           "+';max-age=3600;path=/';location.href=location.pathname+location.search</script>")
COOKIE_RELOAD = "<html><body><script>setTimeout(function(){location.reload()}, 50)</script></body></html>"
SPA = '<html><body><div id="app"></div><script src="/static/js/app.3f2a.js"></script></body></html>'


@pytest.mark.parametrize("status", [412, 202, 200, 400, 403, 404])
def test_ruishu_shell_is_a_challenge_whatever_its_status(status):
    shape = challenge_shape(status, RUISHU_HEADERS, RUISHU)
    assert 'r="m"' in shape and "匿名 meta 携带长串令牌" in shape


def test_ruishu_shell_needs_no_cookie_nor_any_vendor_word():
    # nothing in it says challenge, cookie or jsl: the shape alone
    assert challenge_shape(412, {}, RUISHU.replace("$_ts", "$_q")).startswith("页面无可见文字")


def test_jiasule_521_with_its_header():
    shape = challenge_shape(521, {"X-Via-JSL": "2d3ab8c,-"}, JIASULE)
    assert "X-Via-JSL" in shape and "脚本设置 Cookie 后重新加载页面" in shape
    assert challenge_shape(200, {}, JIASULE)  # the cookie-and-reload script is a challenge even as a 200


def test_server_cookie_plus_reloading_script():
    assert "服务器设置 Cookie 后重新加载页面" in challenge_shape(200, {"set-cookie": "wzws_cid=1; path=/"}, COOKIE_RELOAD)
    assert challenge_shape(200, {}, COOKIE_RELOAD) == ""  # a reload without any cookie: no proof asked


@pytest.mark.parametrize("status", [202, 400, 403, 405, 412, 418, 521])
def test_script_only_text_less_answers_with_vendor_statuses(status):
    assert challenge_shape(status, {}, SPA)


@pytest.mark.parametrize("status", [200, 404, 410, 429, 500, 503])
def test_a_plain_script_page_is_no_challenge_at_statuses_that_mean_something(status):
    assert challenge_shape(status, {"Set-Cookie": "JSESSIONID=1"}, SPA) == ""


@pytest.mark.parametrize("body", [
    "",  # the 400 a refused browser gets: empty
    "<html><head><title>403 Forbidden</title></head><body><h1>403 Forbidden</h1><script>x()</script></body></html>",
    "<html><body><p>请求被拒绝，请联系网站管理员。</p><script src='/a.js'></script></body></html>",
    "<html><body>no scripts at all</body></html>",
])
def test_pages_with_text_or_without_scripts_are_no_challenge(body):
    assert challenge_shape(412, {"X-Via-JSL": "1"}, body) == ""


def test_a_normal_page_behind_the_vendor_is_no_challenge():
    page = "<html><body><a href='/news.html'>海关新闻</a><p>" + "政务公开" * 50 + "</p><script>x=1</script></body></html>"
    assert challenge_shape(200, {"X-Via-JSL": "2d3ab8c,-"}, page) == ""


def test_bytes_and_large_bodies():
    assert challenge_shape(412, {}, RUISHU.encode())
    assert challenge_shape(412, {}, RUISHU + " " * 70_000) == ""
    assert challenge_shape(None, {}, RUISHU) == ""


def test_a_short_line_beside_a_cookie_and_reload_is_still_a_challenge():
    waiting = ("<html><body><p>正在进行安全检测，请稍候……</p><script>document.cookie='wzws_sid=1;path=/';"
               "window.location.href=window.location.href;</script></body></html>")
    shape = challenge_shape(200, {}, waiting)
    assert shape.startswith("页面只有脚本和 14 字提示") and "脚本设置 Cookie 后重新加载页面" in shape
    assert challenge_shape(412, {}, waiting.replace("请稍候……", "请稍候" * 40)) == ""  # a page meant to be read

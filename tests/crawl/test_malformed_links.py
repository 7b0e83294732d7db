"""Links as a browser reads them, end to end: backslashes are '/', links written so that they
cannot work are reported once as malformed (never dropped, never requested), and a viewer
<iframe> is checked as a page without being crawled into."""
from tests.webs.loopback_site import check_site, serve, spot_results

PAGE = "<html><head><title>页面</title></head><body>正文</body></html>".encode()
VIEWER = '<html><head><title>WPS</title></head><body><a href="/viewer-api/gone.html">api</a></body></html>'.encode()


def home(base: str) -> bytes:
    return (
        '<html><head><title>首页</title></head><body>'
        '<a href="http:__online.customs.gov.cn">在线服务</a> <a href="http:__online.customs.gov.cn">在线服务</a>'
        '<a href="http://localhost]">办事大厅</a> <a href="附件：关于印发通知">附件</a>'
        f'<a href="{base}files\\2024\\tj.xls">统计表</a> <a href="..\\files\\2024\\tj.xls">统计表</a>'
        '<a href="/a.html">通知</a>'
        '<iframe src="/wps/weboffice/office/s/0f3a?_w_appid=1&amp;readonly"></iframe>'
        '<iframe src="/wps/weboffice/office/s/gone"></iframe>'
        '</body></html>'
    ).encode()


def test_links_as_a_browser_reads_them(tmp_path):
    pages = {"/a.html": PAGE, "/files/2024/tj.xls": b"xls", "/wps/weboffice/office/s/0f3a?_w_appid=1&readonly": VIEWER}
    with serve(pages) as url:
        pages["/"] = home(url.replace("/", "\\").replace("http:\\\\", "http://"))  # 'http://127.0.0.1:N\'
        result = check_site(url, tmp_path)
    assert result.returncode == 0, result.stderr
    _, rows = spot_results(tmp_path)
    broken = sorted((row["target_url"], row["detail"]) for row in rows if row["check"] == "broken_link")
    assert broken == sorted([
        ("http:__online.customs.gov.cn", "链接格式错误"),
        ("http://localhost]", "链接格式错误"),
        ("附件：关于印发通知", "链接格式错误"),
        (url + "wps/weboffice/office/s/gone", "HTTP 404"),  # the viewer frame is checked...
    ])  # ... but not crawled into: its own dead link is not the site's
    assert {row["page_url"] for row in rows if row["check"] == "broken_link"} == {url}

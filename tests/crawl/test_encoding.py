"""Pages that declare no encoding are read as UTF-8, else as GB18030 (GBK, GB2312)."""

import pytest

from crawler.crawl.middlewares import undeclared_encoding
from tests.webs.loopback_site import check_site, serve, spot_results

HOME = "<html><head><title>南京海关</title></head><body><a href='/gfxwj.html'>规范性文件</a></body></html>"


@pytest.mark.parametrize("body, encoding", [
    (HOME.encode("utf-8"), "utf-8"),
    (HOME.encode("gbk"), "gb18030"),
    (HOME.encode("gb18030"), "gb18030"),
    (b"plain ascii", "utf-8"),
    (b"\x81\x20\xff\xfe", None),  # neither: left to Scrapy's guess
    (("a" + "海关" * 50_000).encode("utf-8"), "utf-8"),  # read in chunks: characters across their borders
    (("a" + "海关" * 50_000).encode("gbk"), "gb18030"),
])
def test_undeclared_encoding(body, encoding):
    assert undeclared_encoding(body) == encoding


def test_gbk_page_without_declared_encoding_is_read_as_gbk(tmp_path):
    with serve({"/": HOME.encode("gbk")}, content_type="text/html") as url:
        result = check_site(url, tmp_path)
    assert result.returncode == 0, result.stderr
    summary, rows = spot_results(tmp_path)
    broken = [(row["target_url"], row["link_text"]) for row in rows if row["check"] == "broken_link"]
    assert broken == [(url + "gfxwj.html", "规范性文件")]

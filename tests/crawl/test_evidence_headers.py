"""The headers an answer keeps as evidence: the evidence names, in their order, each with its last value,
however the server wrote the names; others and empty ones are not kept."""
from scrapy.http import Headers, HtmlResponse

from checks.facts import EVIDENCE_HEADERS
from crawler.crawl.spiders.audit import evidence_headers


def test_evidence_headers_in_their_order_with_their_last_value_whatever_the_case():
    headers = Headers([(b"etag", b'"v2"'), (b"X-Powered-By", b"CMS"), (b"SERVER", b"nginx"),
                       (b"Set-Cookie", b"a=1"), (b"content-type", b"text/html; charset=utf-8"),
                       (b"Location", b""), (b"Date", b"Mon, 01 Jun 2026 00:00:00 GMT"), (b"Date", b"Tue, 02 Jun 2026 00:00:00 GMT")])
    kept = evidence_headers(headers)
    assert list(kept.items()) == [("Content-Type", "text/html; charset=utf-8"), ("Server", "nginx"),
                                  ("Date", "Tue, 02 Jun 2026 00:00:00 GMT"), ("ETag", '"v2"')]
    assert list(kept) == [name for name in EVIDENCE_HEADERS if name in kept]


def test_header_values_are_read_as_latin_1():
    response = HtmlResponse("http://a.cn/", headers={b"Server": "服务器".encode("utf-8")}, body=b"")
    assert evidence_headers(response.headers) == {"Server": "服务器".encode("utf-8").decode("latin-1")}

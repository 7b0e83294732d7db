"""One notion of a host: the crawl, the link checks and the wrong-link rules write it one way."""
import pytest

from checks.facts import FetchResult, Link
from checks.hosts import host_of, same_site
from checks.link_checks import CarriedLink, by_target, link_findings


@pytest.mark.parametrize("url, host", [
    ("http://H.gov.cn/a.html", "h.gov.cn"),
    ("http://h.gov.cn:80/a.html", "h.gov.cn"),
    ("https://h.gov.cn:443/", "h.gov.cn"),
    ("https://h.gov.cn:80/", "h.gov.cn:80"),
    ("http://h.gov.cn:8080?x", "h.gov.cn:8080"),
    ("http://h.gov.cn:08080/", "h.gov.cn:8080"),
    ("http://user:pw@h.gov.cn/", "h.gov.cn"),
    ("http://h.gov.cn./", "h.gov.cn"),
    ("http://h.gov.cn\\a\\b.xls", "h.gov.cn"),  # a browser reads '\\' as '/'
    ("http://[::1]:80/", "[::1]"),
    ("http://[::1]:8001/", "[::1]:8001"),
    ("http://海关.中国/", "xn--d6qv69d.xn--fiqs8s"),
    ("mailto:a@h.gov.cn", ""),
    ("/relative/path.html", ""),
])
def test_host_of(url, host):
    assert host_of(url) == host


def test_same_site():
    assert same_site("www.nanjing.customs.gov.cn", "nanjing.customs.gov.cn")
    assert same_site("nanjing.customs.gov.cn:8001", "nanjing.customs.gov.cn")  # one side names no port
    assert not same_site("127.0.0.1:8001", "127.0.0.1:8002")
    assert not same_site("nanjing.customs.gov.cn", "shanghai.customs.gov.cn")


LOST = "抱歉，您要找的内容走丢了，请返回首页或查看网站地图"


def test_baseline_is_found_for_a_mixed_case_host_with_its_default_port():
    # The crawl stores a host's error baseline under host_of(page URL); a link written
    # 'http://Nanjing.Customs.gov.cn:80/…' must find it, or a soft 404 goes unseen.
    page = "http://nanjing.customs.gov.cn/list.html"
    baselines = {host_of(page): FetchResult(url="http://nanjing.customs.gov.cn/probe", status=404, title="提示",
                                            text=LOST, content_type="text/html")}
    missing = "http://Nanjing.Customs.gov.cn:80/gone/1.html"
    results = {missing: FetchResult(url=missing, status=200, final_url=missing, title="提示",
                                    text=LOST, content_type="text/html")}
    carried = [CarriedLink(page, "首页", Link(missing, "一则通知", "a", "page"))]
    findings = link_findings("nanjing", *by_target(carried, results.get), baselines.get, public_site=False)
    assert [f.check for f in findings] == ["soft_404"]
    assert "相似" in findings[0].detail

"""Link verdicts on plain facts: what is broken, what is an error page, and what must not be flagged."""
import random
import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from checks.crawl_checks import crawl_limit_finding, site_findings
from checks.facts import ATTACHMENT, PAGE, RESOURCE, FetchResult, Link, is_transient
from checks.link_checks import (
    BASELINE_SIMILARITY,
    SHINGLED_CHARS,
    CarriedLink,
    _shingles,
    _sizes_allow_match,
    baseline_similarity,
    classify_link,
    error_page_signal,
    is_private_host,
    by_target,
    link_findings,
)

PAGE_LINK = Link("http://a.test/x.html", "通知公告", "a", PAGE)
HTML = "text/html; charset=utf-8"


def ok(**kw) -> FetchResult:
    base = dict(url=PAGE_LINK.url, status=200, final_url=PAGE_LINK.url, content_type=HTML,
                title="关于开展检查的通知", text="正文内容" * 100)
    base.update(kw)
    return FetchResult(**base)


def test_plain_200_page_is_fine():
    assert classify_link(PAGE_LINK, ok()) is None


def test_http_errors_are_broken_with_status_in_detail():
    verdict = classify_link(PAGE_LINK, ok(status=404))
    assert verdict.check == "broken_link" and "HTTP 404" in verdict.detail
    assert classify_link(PAGE_LINK, ok(status=500)).check == "broken_link"


def test_error_kinds_are_named():
    for kind, word in [("dns", "域名无法解析"), ("refused", "连接被拒绝"), ("timeout", "超时"), ("tls", "TLS")]:
        verdict = classify_link(PAGE_LINK, FetchResult(url=PAGE_LINK.url, error_kind=kind, error="x"))
        assert verdict.check == "broken_link" and word in verdict.detail


def test_redirect_loop_detail_shows_the_chain():
    chain = ["http://a.test/a", "http://a.test/b", "http://a.test/a"]
    verdict = classify_link(PAGE_LINK, FetchResult(url=chain[0], error_kind="redirect_loop", redirects=chain))
    assert "重定向循环" in verdict.detail and "http://a.test/a → http://a.test/b" in verdict.detail


def test_redirect_ending_in_200_is_fine_and_ending_in_404_is_broken():
    chain = [PAGE_LINK.url, "http://a.test/new.html"]
    assert classify_link(PAGE_LINK, ok(redirects=chain, final_url=chain[-1])) is None
    verdict = classify_link(PAGE_LINK, ok(status=404, redirects=chain, final_url=chain[-1]))
    assert verdict.check == "broken_link" and "重定向链" in verdict.detail


def test_error_phrase_in_title_is_soft_404_but_document_number_404_is_not():
    verdict = classify_link(PAGE_LINK, ok(title="页面不存在"))
    assert verdict.check == "soft_404" and "页面不存在" in verdict.detail
    assert classify_link(PAGE_LINK, ok(title="海关总署公告〔2021〕404号", text="根据〔2021〕404号文件……" * 50)) is None
    assert error_page_signal("", "", "〔2021〕404号") == ""
    assert error_page_signal("404 Not Found", "", "") != ""


def test_short_body_with_error_phrase_is_soft_404_long_article_is_not():
    assert classify_link(PAGE_LINK, ok(title="提示", text="对不起，您访问的页面不存在")).check == "soft_404"
    long_text = "本公告说明了当附件文件不存在时的办理流程。" * 100
    assert classify_link(PAGE_LINK, ok(text=long_text)) is None


def test_attachment_answering_html_is_soft_404():
    link = Link("http://a.test/f.pdf", "附件", "a", ATTACHMENT)
    verdict = classify_link(link, ok(url=link.url, title="文件不存在", text="文件不存在"))
    assert verdict.check == "soft_404" and "HTML" in verdict.detail
    assert classify_link(link, ok(url=link.url, content_type="application/pdf", text="")) is None


def test_page_identical_to_host_baseline_is_soft_404():
    generic = "抱歉，您要找的内容暂时无法显示，请返回首页继续浏览。" * 5
    baseline = ok(url="http://a.test/probe", final_url="http://a.test/probe", title="提示", text=generic)
    verdict = classify_link(PAGE_LINK, ok(title="提示", text=generic), baseline)
    assert verdict.check == "soft_404" and "不存在页面" in verdict.detail
    assert classify_link(PAGE_LINK, ok(), baseline) is None
    root = Link("http://a.test/", "首页", "a", PAGE)
    assert classify_link(root, ok(url=root.url, final_url=root.url, title="提示", text=generic), baseline) is None


def test_host_redirecting_unknown_paths_home_does_not_make_home_an_error():
    home = "http://a.test/"
    baseline = ok(url="http://a.test/probe", final_url=home, redirects=["http://a.test/probe", home])
    link = Link(home, "首页", "a", PAGE)
    assert classify_link(link, ok(url=home, final_url=home), baseline) is None


def test_challenge_is_blocked_not_broken():
    verdict = classify_link(PAGE_LINK, ok(status=412, challenge="__jsl_clearance"))
    assert verdict.check == "link_blocked"


def test_private_address_on_public_site_is_broken_without_fetch():
    link = Link("http://192.168.1.10/oa/", "内网", "a", PAGE)
    verdict = classify_link(link, ok(url=link.url), public_site=True)
    assert verdict.check == "broken_link" and "内网" in verdict.detail
    assert classify_link(link, ok(url=link.url), public_site=False) is None
    assert is_private_host("127.0.0.1") and is_private_host("fe80::1") and is_private_host("localhost")
    assert not is_private_host("8.8.8.8") and not is_private_host("www.customs.gov.cn")


def test_transient_failures_are_confirmed_later():
    assert is_transient(FetchResult(url="u", error_kind="timeout"))
    assert is_transient(FetchResult(url="u", status=503))
    assert not is_transient(FetchResult(url="u", status=404))
    assert not is_transient(FetchResult(url="u", error_kind="dns"))


def test_link_findings_one_row_per_page_target_and_blocked_grouped():
    target = "http://b.test/missing.html"
    pages = ["http://a.test/1.html", "http://a.test/2.html"]
    carried = [CarriedLink(p, "通知公告", Link(target, "=HYPERLINK(1)", "a", PAGE)) for p in pages]
    blocked_targets = [f"http://c.test/{i}.html" for i in range(5)]
    carried += [CarriedLink(pages[0], "通知公告", Link(t, "", "a", PAGE)) for t in blocked_targets]
    results = {target: ok(url=target, status=404)}
    results.update({t: ok(url=t, status=412, challenge="__jsl_clearance") for t in blocked_targets})
    findings = link_findings("u1", *by_target(carried, results.get), lambda host: None, public_site=False)
    broken = [f for f in findings if f.check == "broken_link"]
    assert sorted(f.page_url for f in broken) == pages
    blocked = [f for f in findings if f.check == "link_blocked"]
    assert len(blocked) == 1 and "5 个链接" in blocked[0].detail and "412" in blocked[0].detail


def test_not_broken_links_are_not_in_findings():
    resource = Link("http://a.test/logo.png", "标志", "img", RESOURCE)
    results = {resource.url: FetchResult(url=resource.url, method="GET", status=200, content_type="image/png")}
    assert link_findings("u", *by_target([CarriedLink("http://a.test/", "首页", resource)], results.get), lambda h: None, False) == []


def test_site_findings():
    home = "http://a.test/"
    down = FetchResult(url=home, error_kind="refused", error="Connection refused")
    [finding] = site_findings("u", home, down, None, None, True)
    assert finding.check == "site_unreachable" and "连接被拒绝" in finding.detail
    up = ok(url=home)
    assert site_findings("u", home, up, None, None, True) == []
    column = "http://a.test/col/"
    [gone] = site_findings("u", home, up, column, FetchResult(url=column, status=404), True)
    assert gone.check == "site_unreachable" and gone.page_url == column
    blocked = ok(url=home, status=412, challenge="__jsl_clearance")
    [only] = site_findings("u", home, blocked, None, None, True)
    assert only.check == "link_blocked"
    assert crawl_limit_finding("u", home, []) is None
    assert "max_pages" in crawl_limit_finding("u", home, ["达到页面上限 max_pages=5"]).detail


@settings(max_examples=1000, deadline=None)
@given(st.text(alphabet="ab页面未找到 \n", max_size=60), st.text(alphabet="ab页面未找到 \n", max_size=60))
def test_size_bound_never_rules_out_a_page_alike_enough(text, baseline_text):
    similarity = baseline_similarity(FetchResult("http://a.test/x", text=text), FetchResult("http://a.test/y", text=baseline_text))
    assert _sizes_allow_match(text, baseline_text) or similarity < BASELINE_SIMILARITY


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet="ab页面未找到 \n", min_size=40, max_size=400), st.text(alphabet="ab页面未找到 \n", max_size=40))
def test_size_bound_never_rules_out_a_long_page_alike_enough(text, baseline_text):
    similarity = baseline_similarity(FetchResult("http://a.test/x", text=text), FetchResult("http://a.test/y", text=baseline_text))
    assert _sizes_allow_match(text, baseline_text) or similarity < BASELINE_SIMILARITY


def test_size_bound_rules_out_a_long_page_against_a_short_error_page_from_its_first_characters():
    page = "".join(chr(0x4e00 + (n * 7919) % 20000) for n in range(SHINGLED_CHARS))
    assert not _sizes_allow_match(page, "404 Not Found")
    assert not _sizes_allow_match(page, page[:1000])  # a fifth of it
    assert _sizes_allow_match(page, page[:4900])


def test_pages_compared_with_the_error_page_leave_no_shingles_behind():
    # A 5,000-character page's shingles take about 1 MB: kept for the next pages, the last 256
    # of them held the assessment at 230 MB more.
    rng = random.Random(7)
    texts = ["".join(chr(rng.randrange(0x4e00, 0x9fff)) for _ in range(SHINGLED_CHARS)) for _ in range(101)]
    baseline = FetchResult("http://a.test/probe", status=404, content_type=HTML, text=texts[0])
    pages = [ok(url=f"http://a.test/{n}.html", final_url=f"http://a.test/{n}.html", text=text)
             for n, text in enumerate(texts[1:])]
    classify_link(PAGE_LINK, pages[0], baseline)  # the error page's shingles: built once, kept
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        assert all(classify_link(PAGE_LINK, page, baseline) is None for page in pages)
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert kept < 2_000_000


def test_the_pairs_of_a_target_are_read_only_when_it_has_a_finding():
    fine, gone = "http://a.test/ok.html", "http://a.test/gone.html"
    targets = [(fine, ok(url=fine), [Link(fine, "通知", "", PAGE)]), (gone, ok(url=gone, status=404), [Link(gone, "通知", "", PAGE)])]
    asked = []

    def carried_links(keys):
        asked.append(keys)
        return [(gone, CarriedLink("http://a.test/", "首页", Link(gone, "通知", "a", PAGE)))]

    [finding] = link_findings("u", targets, carried_links, lambda host: None, public_site=False)
    assert asked == [[gone]] and (finding.check, finding.target_url) == ("broken_link", gone)
    assert link_findings("u", targets[:1], carried_links, lambda host: None, public_site=False) == []
    assert asked == [[gone]]  # nothing to report: no pair read


def test_a_persisting_429_is_a_rate_limit_not_a_broken_link():
    page = "http://h.gov.cn/list.html"
    limited = [f"http://h.gov.cn/{n}.html" for n in range(3)]
    results = {url: FetchResult(url=url, status=429, final_url=url, attempts=4) for url in limited}
    results[limited[0]].headers = {"Retry-After": "600"}
    carried = [CarriedLink(page, "通知公告", Link(url, "通知", "a", "page")) for url in limited]
    findings = link_findings("u1", *by_target(carried, results.get), lambda host: None, public_site=False)
    assert [f.check for f in findings] == ["link_blocked"]  # one row for the section, never broken_link
    assert "HTTP 429" in findings[0].detail and "3 个链接未能核验" in findings[0].detail
    assert "重试 3 次" in findings[0].detail


def test_a_rate_limited_home_is_blocked_not_unreachable():
    home = FetchResult(url="http://h.gov.cn/", status=429, final_url="http://h.gov.cn/", attempts=4)
    [finding] = site_findings("u1", "http://h.gov.cn/", home, None, None, True)
    assert finding.check == "link_blocked" and "未给出 Retry-After" in finding.detail

"""A unit's links assessed from the run store: each target judged once per way it is written, the
(page, link) pairs read only for the targets with a finding, and the findings those of judging
every pair one by one."""
import tempfile
from collections import defaultdict
from datetime import date
from pathlib import Path

from hypothesis import example, given, settings
from hypothesis import strategies as st

from checks.facts import ATTACHMENT, MALFORMED, PAGE, RESOURCE, FetchResult, Link
from checks.hosts import host_of
from checks.link_checks import CarriedLink, Verdict, blocked_finding, classify_link, link_findings
from checks.rules import load_rules
from crawler.crawl.store import RunStore
from crawler.outcome.assess import Context, assess_unit
from crawler.sites import Unit

HTML = "text/html; charset=utf-8"
LOST = "抱歉，您访问的内容不见了，请返回首页继续浏览本站的其他栏目"
RESULTS = {
    "http://a.test/ok.html": FetchResult("http://a.test/ok.html", status=200, final_url="http://a.test/ok.html",
                                         content_type=HTML, title="关于开展检查的通知", text="正文内容" * 50),
    "http://a.test/gone.html": FetchResult("http://a.test/gone.html", status=404, content_type=HTML),
    "http://a.test/lost.html": FetchResult("http://a.test/lost.html", status=200, final_url="http://a.test/lost.html",
                                           content_type=HTML, title="提示", text=LOST),
    "http://a.test/logo.png": FetchResult("http://a.test/logo.png", method="HEAD", status=200, content_type="image/png"),
    "http://b.test/wall.html": FetchResult("http://b.test/wall.html", status=412, challenge="__jsl_clearance"),
    "http://b.test/busy.html": FetchResult("http://b.test/busy.html", status=429, attempts=4),
    "http://10.0.0.1/oa.html": FetchResult("http://10.0.0.1/oa.html", status=200, content_type=HTML, title="办公"),
}
BASELINES = {"a.test": FetchResult("http://a.test/probe", status=404, content_type=HTML, title="提示", text=LOST)}
# The ways pages write a link to each target: one target, several spellings.
SPELLINGS = [(key, url) for key in [*RESULTS, "http://a.test/never.html"] for url in (key, key + "#top")]


def promise(text: str, result: FetchResult) -> str | None:
    return f"“{text}”与页面不符" if "错" in text else None


edges = st.lists(st.tuples(st.sampled_from(["http://a.test/1.html", "http://a.test/2.html", "http://a.test/3.html"]),
                           st.sampled_from(["通知公告", "政策法规"]), st.sampled_from(SPELLINGS),
                           st.sampled_from(["", "通知", "错的通知", "标志"]), st.sampled_from(["a", "img"]),
                           st.sampled_from([PAGE, RESOURCE, ATTACHMENT, MALFORMED])), max_size=40)


def every_pair_judged(rows, public_site: bool) -> list:
    """The findings of judging each distinct (page, link as written) pair with its fullest words."""
    pairs = defaultdict(list)
    for page, section, (key, url), text, tag, kind in rows:
        pairs[key, url, page].append((section, text, tag, kind))
    findings, blocked = [], defaultdict(list)
    for (key, url, page), same in sorted(pairs.items()):
        section, text, kind = min(s[0] for s in same), max(s[1] for s in same), min(s[3] for s in same)
        result = RESULTS.get(key)
        if result is None:
            continue
        verdict = classify_link(Link(url, "", "", kind), result, BASELINES.get(host_of(url)), public_site)
        if verdict is None and kind == PAGE and promise(text, result):
            verdict = Verdict("wrong_link", promise(text, result))
        if verdict is None:
            continue
        if verdict.check == "link_blocked":
            blocked[host_of(url), section].append((CarriedLink(page, section, Link(url, text, "", kind)), result))
        else:
            findings.append((verdict.check, page, url, text, verdict.detail, result.status))
    findings += [_row(blocked_finding("u", host, section, items)) for (host, section), items in blocked.items()]
    return findings


def _row(finding) -> tuple:
    return finding.check, finding.page_url, finding.target_url, finding.link_text, finding.detail, finding.http_status


def stored(folder: Path, rows) -> RunStore:
    store = RunStore(folder / "crawl.sqlite")
    for page, section, (key, url), text, tag, kind in rows:
        store.put_edges("u", page, section, [(key, Link(url, text, tag, kind))])
    store.put_edges("other", "http://a.test/1.html", "通知公告", [("http://a.test/gone.html", Link("http://a.test/gone.html", "", "a", PAGE))])
    for key, result in RESULTS.items():
        store.put_result(key, result)
    store.close()
    return RunStore(folder / "crawl.sqlite")


OK = ("http://a.test/ok.html", "http://a.test/ok.html")


@settings(max_examples=150, deadline=None)
@given(edges, st.booleans())
# A page links a working page and shows it as an image too: the pair's words are the image's.
@example([("http://a.test/1.html", "通知公告", OK, "通知", "a", PAGE), ("http://a.test/1.html", "通知公告", OK, "错的通知", "img", RESOURCE)], False)
def test_findings_are_those_of_judging_every_pair(rows, public_site):
    with tempfile.TemporaryDirectory() as folder:
        store = stored(Path(folder), rows)
        findings = link_findings("u", store.link_targets("u"), lambda keys: store.carried_links("u", keys),
                                 BASELINES.get, public_site, promise)
        store.db.close()
    assert [_row(f) for f in findings] == every_pair_judged(rows, public_site)


def test_a_target_every_page_links_alike_comes_as_one_way_of_writing_it(tmp_path):
    store = RunStore(tmp_path / "crawl.sqlite")
    logo = Link("http://a.test/logo.png", "标志", "img", RESOURCE)
    for n in range(500):
        store.put_edges("u", f"http://a.test/{n}.html", "通知公告", [(logo.url, logo), (logo.url, logo)])
    store.put_result(logo.url, RESULTS[logo.url])
    store.close()
    store = RunStore(tmp_path / "crawl.sqlite")
    [(key, result, spellings)] = store.link_targets("u")
    assert (key, result, spellings) == (logo.url, RESULTS[logo.url], [Link(logo.url, "标志", "", RESOURCE)])
    assert [item.page_url for _key, item in store.carried_links("u", [logo.url])][:2] == [
        "http://a.test/0.html", "http://a.test/1.html"]
    store.db.close()


def test_the_assessment_gives_the_hosts_of_the_unit_s_well_formed_links_for_the_ipv6_check(tmp_path):
    store = RunStore(tmp_path / "crawl.sqlite")
    links = [Link("http://A.test:80/ok.html", "通知", "a", PAGE), Link("http://b.test:8080/x.png", "", "img", RESOURCE),
             Link("http://c.test/gone", "", "a", PAGE), Link("http:__d.test/bad", "坏链接", "a", MALFORMED)]
    store.put_edges("u", "http://a.test/", "首页", [(link.url, link) for link in links])
    store.put_edges("other", "http://e.test/", "首页", [("http://e.test/1.html", Link("http://e.test/1.html", "", "a", PAGE))])
    store.put_result("http://A.test:80/ok.html", RESULTS["http://a.test/ok.html"])
    store.close()
    store = RunStore(tmp_path / "crawl.sqlite")
    unit = Unit("u", "单位", "http://a.test/", None, "site", 2, 100)
    report = assess_unit(store, unit, Context(date(2026, 12, 3), load_rules(), {"a.test": "单位"}))
    store.close()
    assert report.link_netlocs == {"a.test", "b.test:8080", "c.test"}  # never-fetched targets too, malformed ones not

"""A list paged as the 2025 customs templates page it, crawled end to end on loopback.

规范性文件: five pages; the pager has no hrefs (targets in onclick and tagname); pages 2 and 3 are
static files, 4 and 5 only the portal's query form, which page 3's 下一页 links. Faults sit on
page 5 only. 法定主动公开内容: three static pages linked, a stated total of 5 that nothing else
reaches: the product may guess pages 4 and 5, and their 404 is a limit of the check, not a
broken link.
"""
import subprocess
import sys

from tests.webs.loopback_site import ROOT, serve, spot_results

TODAY = "2026-11-23"
SECTIONS = {"zn": "政府信息公开指南", "zd": "政府信息公开制度", "fd": "法定主动公开内容", "nb": "政府信息公开年报",
            "gf": "规范性文件"}
MENU = ('<div class="sub_nav"><h3>政府信息公开</h3><ul class="sub_nav_list">'
        + "".join(f'<li><a href="/{d}/index.html" target="_parent">{n} <span class="icon"></span></a></li>'
                  for d, n in SECTIONS.items()) + "</ul></div>")
MODULE = "a1b2c3d4e5f60718293a4b5c6d7e8f90"


def html(title: str, body: str) -> bytes:
    return f'<html><head><meta charset="utf-8"><title>{title}</title></head><body>{body}</body></html>'.encode()


def item(title: str, day: str, number: str, extra: str = "") -> bytes:
    fields = (f"<p>文　　号：{number}</p>" if number else "") + f"<p>发布机构：南京海关</p><p>发布日期：{day}</p><p>有效性：有效</p>"
    return html(title, f"<div class='news_detail'><h1>{title}</h1>{fields}<p>正文。</p>{extra}</div>")


def page_url(section: str, n: int, static_pages: int) -> str:
    """Page n of a list: the index, static '<8 hex>-n.html' files, then the portal's query form."""
    if n == 1:
        return f"/{section}/index.html"
    if n <= static_pages:
        return f"/{section}/{MODULE[:8]}-{n}.html"
    return f"/eportal/ui?pageId={section}&currentPage={n}&moduleId={MODULE}&staticRequest=yes"


def pager(section: str, n: int, total: int, static_pages: int, linked_pages: int) -> str:
    """The pager of page n: only links to pages up to `linked_pages` (the others exist or not)."""
    def link(m: int, label: str) -> str:
        if m < 1 or m > min(total, linked_pages) or m == n:
            return f'<a tagname="[{"NEXTPAGE" if m > n else "PREVIOUSPAGE"}]">{label}</a>'
        target = page_url(section, m, static_pages).replace("&", "&amp;")
        return f"<a onclick=\"queryArticleByCondition(this,'{target}')\" tagname=\"{target}\" class=\"pagingNormal\">{label}</a>"

    numbers = "".join(f'<font class="NormalRed">{m}</font>' if m == n else link(m, str(m))
                      for m in range(max(1, n - 2), min(total, linked_pages, n + 2) + 1))
    return (f'<div class="page_more">{link(n - 1, "上一页")}{numbers}{link(n + 1, "下一页")}'
            f"<span>第{n}/{total}页 总条数：{total * 2}</span>"
            f'<input type="hidden" name="article_paging_list_hidden" totalpage="{total}"></div>')


def site() -> dict[str, bytes]:
    pages = {
        "/": html("南京海关", '<a href="/xxgk/index.html">政府信息公开</a>'),
        "/xxgk/index.html": html("政府信息公开", MENU),
    }
    report = "/nb/2026-01/20/article_2026012001.html"
    pages[report] = item("南京海关2025年政府信息公开工作年度报告", "2026-01-20", "南关年报〔2026〕1号")
    pages["/nb/index.html"] = html(SECTIONS["nb"], MENU + f'<ul class="news_list"><li><a href="{report}">'
                                   "南京海关2025年政府信息公开工作年度报告</a><span>2026-01-20</span></li></ul>")
    for key in ("zn", "zd"):
        pages[f"/{key}/index.html"] = html(SECTIONS[key], MENU + "<div class='news_detail'><h1>" + SECTIONS[key]
                                           + "</h1><p>" + "依法公开政府信息，编制本文件并向社会公布。" * 12 + "</p></div>")
    for key, total, static_pages, linked_pages in (("gf", 5, 3, 5), ("fd", 5, 3, 3)):
        for n in range(1, min(total, linked_pages) + 1):
            rows = ""
            for i in (1, 2):
                path = f"/{key}/2026-{12 - n:02d}/0{i}/article_20261{n}0{i}.html"
                title = f"南京海关关于第{n}批第{i}项业务事项的公告"
                day = f"2026-{12 - n:02d}-0{i}"
                rows += (f'<li><a href="{path}" title="{title}" onclick="void(0)" target="_blank" istitle="true">'
                         f"{title}</a><span>{day}</span></li>")
                faulty = key == "gf" and n == 5 and i == 1
                pages[path] = item(title, day, "" if faulty else f"南关公告〔2026〕{n}{i}号",
                                   f'<a href="/attachDir/2026/{n}{i}.xls">附件.xls</a>' if faulty else "")
            pages[page_url(key, n, static_pages)] = html(SECTIONS[key], MENU + (
                f'<div class="news_con"><ul class="news_list">{rows}</ul>'
                f"{pager(key, n, total, static_pages, linked_pages)}</div>"))
    return pages


def test_a_list_is_followed_as_its_pager_links_it(tmp_path):
    requested: list[str] = []
    with serve(site(), requested=requested) as url:
        result = subprocess.run([sys.executable, "-m", "crawler", "check", url, "--no-throttle", "--today", TODAY,
                                 "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    summary, rows = spot_results(tmp_path)
    found = sorted((row["check"], row["page_url"].replace(url, "/"), row["target_url"].replace(url, "/"))
                   for row in rows if not row["check"].startswith("ipv6"))
    gf_5 = "/gf/2026-07/01/article_20261501.html"
    assert found == [
        ("broken_link", gf_5, "/attachDir/2026/51.xls"),  # only page 5 of the list leads there
        ("crawl_limit", "/", ""),
        ("missing_metadata", gf_5, ""),
    ], found
    [limit] = [row["detail"] for row in rows if row["check"] == "crawl_limit"]
    assert "2 个列表分页无链接可达" in limit and "fd/a1b2c3d4-4.html" in limit
    # the portal serves the deep pages: static files beyond the linked ones are never guessed
    # while a link reaches that page
    assert not any(path.startswith("/gf/a1b2c3d4-4") or path.startswith("/gf/a1b2c3d4-5") for path in requested)
    # a guessed page is asked for once, after the pages the site links
    assert requested.count("/fd/a1b2c3d4-4.html") == 1


def test_pages_a_jump_box_builds_that_fail_are_a_limit_not_broken_links(tmp_path):
    pages = site()
    # 规范性文件's first page states 7 pages and holds the portal's pattern in its jump box; the
    # portal serves 4 and 5 only
    first = page_url("gf", 1, 3)
    jump = ("<input onkeydown=\"if(event.keyCode==13){queryArticleByCondition(this,"
            f"'/eportal/ui?pageId=gf&amp;currentPage='+this.value+'&amp;moduleId={MODULE}&amp;staticRequest=yes')}}\">")
    pages[first] = pages[first].replace("第1/5".encode(), "第1/7".encode()).replace(
        b'totalpage="5">', f'totalpage="7">{jump}'.encode())
    assert "第1/7页".encode() in pages[first]
    with serve(pages) as url:
        result = subprocess.run([sys.executable, "-m", "crawler", "check", url, "--no-throttle", "--today", TODAY,
                                 "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    _, rows = spot_results(tmp_path)
    assert sorted(row["check"] for row in rows if not row["check"].startswith("ipv6")) == [
        "broken_link", "crawl_limit", "missing_metadata"]
    [limit] = [row["detail"] for row in rows if row["check"] == "crawl_limit"]
    assert "4 个列表分页无链接可达" in limit  # fd's pages 4 and 5, and the portal's pages 6 and 7 of gf
    assert "currentPage=6" in limit and "currentPage=7" in limit

"""A customs-like site built apart from the demo: sections judged by what their pages hold.

Every section page carries the chrome of the 2025 templates under class names that say nothing: a
location trail, a menu of the column's sections, a box of links to another site, and a rail of
links to this site's own article pages (social accounts, the hotline) that is the same on every
list page. None of them is an entry: the 规范性文件 list that shows only its trail and the
制度 section that says 暂无信息 are empty; the rail's pages are not judged as documents. Item
metadata comes from <meta> tags and `发布时间 文章来源` lines; an annual report carries none.
"""
import subprocess
import sys

from tests.webs.loopback_site import ROOT, serve, spot_results

TODAY = "2026-11-23"
SECTIONS = {"zn": "政府信息公开指南", "zd": "政府信息公开制度", "fdzdgknr": "法定主动公开内容", "nb": "政府信息公开年报",
            "gfxwj": "规范性文件"}
RAIL = {"/customs/2025-01/01/article_2025010100000000001.html": "海关发布官方微博账号",
        "/customs/2025-01/01/article_2025010100000000002.html": "全国海关一二三六零服务热线"}


def html(title: str, body: str, head: str = "") -> bytes:
    return f"<html><head><meta charset='utf-8'>{head}<title>{title}</title></head><body>{body}</body></html>".encode()


def section_page(folder: str, main: str, other_site: str) -> bytes:
    name = SECTIONS[folder]
    trail = f'<div class="w3">当前位置：<a href="/">首页</a> &gt; <a href="/zfxxgk/">政府信息公开</a> &gt; {name}</div>'
    menu = '<div class="k1"><h3>政府信息公开</h3><ul>' + "".join(
        f'<li><a href="/zfxxgk/{d}/" target="_parent">{n} <span></span></a></li>' for d, n in SECTIONS.items()) + "</ul></div>"
    box = (f'<div class="k2"><h4>相关链接</h4><ul><li><a href="{other_site}">中华人民共和国中央人民政府门户网站</a></li>'
           f'<li><a href="{other_site}zwgk/">国务院政策文件库查询服务平台</a></li></ul></div>')
    rail = '<div class="k3"><ul>' + "".join(f'<li><a href="{u}">{t}</a></li>' for u, t in RAIL.items()) + "</ul></div>"
    return html(name, f'{trail}<div class="k0">{menu}<div class="k4">{main}</div>{box}{rail}</div>'
                      '<div class="k5">主办单位：示例海关　地址：示例市示例路1号</div>')


def site(other_site: str) -> dict[str, bytes]:
    listed = {
        "fdzdgknr": [("a1.html", "示例海关关于调整进口货物报关单申报要求的公告", "2026-11-02"),
                     ("a2.html", "示例海关关于开展知识产权海关保护专项行动的通知", "2026-10-20")],
        "nb": [("r1.html", "示例海关2025年政府信息公开工作年度报告", "2026-01-20")],
    }
    mains = {
        "zn": "<h2>政府信息公开指南</h2>" + "<p>为了更好地提供政府信息公开服务，本关编制本指南。公民可以依法申请获取政府信息。</p>" * 2,
        "zd": "<h2>政府信息公开制度</h2><ul><li>暂无信息</li></ul>",
        "gfxwj": '<h2>规范性文件</h2><ul class="news_list"></ul>',
        **{d: f"<h2>{SECTIONS[d]}</h2><ul>" + "".join(
            f'<li><a href="/zfxxgk/{d}/{f}" target="_blank">{t}</a><span>{day}</span></li>' for f, t, day in rows)
           + "</ul>" for d, rows in listed.items()},
    }
    pages = {
        "/": html("示例海关", '<a href="/zfxxgk/">政府信息公开</a>'),
        "/zfxxgk/": html("政府信息公开", "".join(f'<p><a href="/zfxxgk/{d}/">{n}</a></p>' for d, n in SECTIONS.items())),
        **{f"/zfxxgk/{d}/": section_page(d, main, other_site) for d, main in mains.items()},
        **{path: html(title, f"<h1>{title}</h1><p>欢迎关注。</p>") for path, title in RAIL.items()},
    }
    body = "<p>为做好相关工作，现将有关事项公告如下。</p>"
    # the 2025 templates: the date and source in <meta> tags only, or in one 发布时间 line without a source
    pages["/zfxxgk/fdzdgknr/a1.html"] = html(listed["fdzdgknr"][0][1], f"<h1>{listed['fdzdgknr'][0][1]}</h1>{body}",
                                             '<meta name="PubDate" content="2026-11-02"><meta name="ContentSource" content="示例海关">')
    pages["/zfxxgk/fdzdgknr/a2.html"] = html(listed["fdzdgknr"][1][1], f"<h1>{listed['fdzdgknr'][1][1]}</h1>"
                                             f'<div class="func"><span>发布时间：2026-10-20 10:30</span></div>{body}')
    pages["/zfxxgk/nb/r1.html"] = html(listed["nb"][0][1], f"<h1>{listed['nb'][0][1]}</h1>{body}")
    return pages


def test_sections_and_items_judged_by_what_their_pages_hold(tmp_path):
    with serve({"/": html("中国政府网", "<p>中国政府网</p>"), "/zwgk/": html("政策", "<p>政策</p>")}) as other_site:
        with serve(site(other_site)) as url:
            result = subprocess.run([sys.executable, "-m", "crawler", "check", url, "--no-throttle", "--today", TODAY,
                                     "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    _summary, rows = spot_results(tmp_path)
    found = sorted((row["check"], row["page_url"].removeprefix(url), row["detail"])
                   for row in rows if not row["check"].startswith("ipv6"))
    assert found == [
        ("empty_section", "zfxxgk/gfxwj/", "规范性文件：栏目“规范性文件”没有任何条目（已查看全部分页）"),
        ("empty_section", "zfxxgk/zd/", "政府信息公开制度：栏目“政府信息公开制度”没有任何条目（已查看全部分页）"),
        ("missing_metadata", "zfxxgk/fdzdgknr/a2.html", "缺少核心元数据：发布机构"),
    ]

"""Framesets: a home page or disclosure column shown in frames is read through its frames.

An older site's home page is often `<frameset>` of a banner and a main frame, its 政府信息公开
column a menu frame beside a content frame. The column link and the section links stand in the
frames: read only the frameset, the column would be missing and every section with it.
"""
import os
import subprocess
import sys

from tests.webs.loopback_site import ROOT, SECTIONS, html, item, serve, spot_results

TODAY = "2026-11-23"


def frameset(title: str, *sources: str) -> bytes:
    frames = "".join(f'<frame src="{src}" name="f{i}">' for i, src in enumerate(sources))
    return f'<html><head><title>{title}</title></head><frameset cols="220,*">{frames}</frameset></html>'.encode()


MENU = "<ul>" + "".join(f'<li><a href="/{d}/" target="f1">{n}</a></li>' for d, n in SECTIONS.items()) + "</ul>"


def sections() -> dict[str, bytes]:
    """The five required sections, each with a current list (the guide as an article)."""
    pages = {"/zn/": html("政府信息公开指南", "<div class='article'><h1>政府信息公开指南</h1><p>"
                          + "为保障公民、法人和其他组织依法获取政府信息，编制本指南。" * 8 + "</p></div>")}
    entries = {"zd": [("杭州海关政府信息公开工作制度", "2026-10-01")],
               "fd": [("杭州海关关于调整业务办理时间的公告", "2026-11-02")],
               "nb": [("杭州海关2025年政府信息公开工作年度报告", "2026-01-20")],
               "gf": [("杭州海关关于加强进出口监管的规定", "2026-11-10")]}
    for section, rows in entries.items():
        items = "".join(f'<li><a href="/{section}/{i}.html">{title}</a><span>{day}</span></li>'
                        for i, (title, day) in enumerate(rows))
        pages[f"/{section}/"] = html(SECTIONS[section], f'<ul class="list">{items}</ul>')
        for i, (title, day) in enumerate(rows):
            pages[f"/{section}/{i}.html"] = item(title, day)
    return pages


def spot_check(url: str, out, *args: str) -> tuple[dict, list[dict]]:
    result = subprocess.run([sys.executable, "-m", "crawler", "check", url, "--no-throttle", "--today", TODAY,
                             "--out", str(out), *args], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return spot_results(out)


def disclosure_rows(rows: list[dict]) -> list[tuple[str, str]]:
    return [(row["check"], row["detail"]) for row in rows if not row["check"].startswith("ipv6")]


def test_column_shown_as_a_frameset_is_read_through_its_menu_frame(tmp_path):
    pages = {"/": html("杭州海关", '<a href="/xxgk/">政府信息公开</a>'),
             "/xxgk/": frameset("政府信息公开", "/xxgk/menu.html", "/xxgk/welcome.html"),
             "/xxgk/menu.html": html("目录", MENU),
             "/xxgk/welcome.html": html("欢迎", "<p>欢迎访问杭州海关政府信息公开专栏。</p>"),
             **sections()}
    with serve(pages) as url:
        summary, rows = spot_check(url, tmp_path)
    assert disclosure_rows(rows) == []
    assert int(summary["pages_crawled"]) >= 12  # home, column, both frames, the sections and their items


def test_home_shown_as_a_frameset_leads_to_the_column_in_its_frame(tmp_path):
    pages = {"/": frameset("杭州海关", "/top.html", "/main.html"),
             "/top.html": html("杭州海关", "<h1>杭州海关</h1>"),
             "/main.html": html("首页", '<a href="/news/">海关动态</a><a href="/xxgk/">政府信息公开</a>'),
             "/news/": html("海关动态", "<p>动态</p>"),
             "/xxgk/": html("政府信息公开", MENU),
             **sections()}
    with serve(pages) as url:
        summary, rows = spot_check(url, tmp_path)
    assert disclosure_rows(rows) == []
    assert f"{url}xxgk/（首页框架内链接文字“政府信息公开”）" in summary["crawl_notes"]


def test_framed_home_without_a_column_is_spot_checked_as_a_site(tmp_path):
    # No frame names a column: the spot check crawls the site, two hops down to the broken link.
    pages = {"/": frameset("某单位", "/top.html", "/main.html"),
             "/top.html": html("某单位", "<h1>某单位</h1>"),
             "/main.html": html("首页", '<a href="/a.html">通知公告</a>'),
             "/a.html": html("通知公告", '<a href="/b.html">通知一</a>'),
             "/b.html": html("通知一", '<a href="/gone.html">附件说明</a>')}
    with serve(pages) as url:
        summary, rows = spot_check(url, tmp_path)
    assert [(row["check"], row["page_url"], row["target_url"]) for row in rows if row["check"] == "broken_link"] == [
        ("broken_link", url + "b.html", url + "gone.html")]


def test_framed_home_without_a_column_is_missing_it_in_a_disclosure_check(tmp_path):
    pages = {"/": frameset("某单位", "/top.html", "/main.html"),
             "/top.html": html("某单位", "<h1>某单位</h1>"),
             "/main.html": html("首页", '<a href="/a.html">通知公告</a>')}
    with serve(pages) as url:
        summary, rows = spot_check(url, tmp_path, "--scope", "disclosure")
    assert "missing_section" in {row["check"] for row in rows}


def test_sites_check_finds_the_column_in_a_frame_of_the_home(tmp_path):
    pages = {"/": frameset("杭州海关", "/top.html", "/main.html"),
             "/top.html": html("杭州海关", "<h1>杭州海关</h1>"),
             "/main.html": html("首页", '<a href="/news/">海关动态</a><a href="/xxgk/">政府信息公开</a>')}
    with serve(pages) as url:
        (tmp_path / "sites.yaml").write_text(f"units:\n  - id: hangzhou\n    name: 杭州海关\n    url: {url}\n",
                                             encoding="utf-8")
        result = subprocess.run([sys.executable, "-m", "crawler", "sites", "check", "--sites", str(tmp_path / "sites.yaml"),
                                 "--out", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True,
                                timeout=120, env={**os.environ, "COLUMNS": "300"})
    assert result.returncode == 0, result.stderr
    assert f"{url}xxgk/" in result.stdout and "首页框架内链接文字“政府信息公开”" in result.stdout

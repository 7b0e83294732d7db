"""A section whose list stands in an <iframe> is read through the frame: neither empty nor stale."""
import subprocess
import sys

from tests.webs.loopback_site import ROOT, SECTIONS, html, item, serve, spot_results

TODAY = "2026-11-23"
MENU = '<div class="menu"><ul>' + "".join(f'<li><a href="/{d}/">{n}</a></li>' for d, n in SECTIONS.items()) + "</ul></div>"


def site() -> dict[str, bytes]:
    pages = {
        "/": html("杭州海关", '<a href="/xxgk/">政府信息公开</a>'),
        "/xxgk/": html("政府信息公开", MENU),
        "/zn/": html("政府信息公开指南", MENU + "<div class='article'><h1>政府信息公开指南</h1><p>"
                     + "为保障公民、法人和其他组织依法获取政府信息，编制本指南。" * 8 + "</p></div>"),
        # the list of the section is shown in a frame
        "/gf/": html("规范性文件", MENU + '<iframe src="/gf/list.html" width="100%" height="600"></iframe>'),
    }
    entries = {"zd": [("杭州海关政府信息公开工作制度", "2026-10-01")],
               "fd": [("杭州海关关于调整业务办理时间的公告", "2026-11-02")],
               "nb": [("杭州海关2025年政府信息公开工作年度报告", "2026-01-20")],
               "gf": [("杭州海关关于加强进出口监管的规定", "2026-11-10"), ("杭州海关关于报关单位管理的规定", "2026-09-01")]}
    for section, rows in entries.items():
        items = "".join(f'<li><a href="/{section}/{i}.html">{title}</a><span>{day}</span></li>'
                        for i, (title, day) in enumerate(rows))
        pages["/gf/list.html" if section == "gf" else f"/{section}/"] = html(SECTIONS[section], (
            "" if section == "gf" else MENU) + f'<ul class="list">{items}</ul>')
        for i, (title, day) in enumerate(rows):
            pages[f"/{section}/{i}.html"] = item(title, day)
    return pages


def test_section_list_in_a_frame(tmp_path):
    with serve(site()) as url:
        result = subprocess.run([sys.executable, "-m", "crawler", "check", url, "--no-throttle", "--today", TODAY,
                                 "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    summary, rows = spot_results(tmp_path)
    disclosure = [(row["check"], row["detail"]) for row in rows if not row["check"].startswith("ipv6")]
    assert disclosure == []

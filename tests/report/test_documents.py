"""The documents the office sends: rectification notices (整改通知) and the inspection bulletin
(检查情况通报), opened with python-docx and checked against the stored runs they are written from.

Two nightly runs in a real History (no crawl): a notice after the first, one finding accepted, one
fixed and one new before the second, then the second notice and the bulletin.
"""
import csv
import os
import shutil
import subprocess
from datetime import date
from pathlib import Path

import docx
import pytest

from checks.findings import Finding, fingerprint
from crawler.cli.commands import main
from crawler.outcome.history import History
from crawler.outcome.model import UnitReport
from crawler.report.folder import write_run_folder
from crawler.report.notice import finding_sentence
from crawler.sites import NoticeSettings, Unit

NANJING = Unit("nanjing", "南京海关", "http://nanjing.customs.test/", None, "disclosure", 4, 3000)
HANGZHOU = Unit("hangzhou", "杭州海关", "http://hangzhou.customs.test/", None, "disclosure", 4, 3000)
LASA = Unit("lasa", "拉萨海关", "http://lasa.customs.test/", None, "disclosure", 4, 3000)
GONGBEI = Unit("gongbei", "拱北海关", "http://gongbei.customs.test/", None, "disclosure", 4, 3000)
COLUMN = "http://nanjing.customs.test/zfxxgk/"
FIRST, SECOND = date(2026, 3, 2), date(2026, 3, 30)  # Mondays; 15 working days after the first: 3月23日

HOME_PAGE = NANJING.url + "nanjing_customs/index.html"  # where NANJING.url redirects: its links are found there
HOME_LINK = Finding("nanjing", "broken_link", HOME_PAGE, "HTTP 404", target_url="http://nanjing.customs.test/old.html",
                    link_text="通知公告", http_status=404)
COLUMN_LINK = Finding("nanjing", "soft_404", COLUMN, "页面标题为“页面不存在”", target_url="http://x.test/a.pdf",
                      link_text="办事指南", http_status=200)
STALE = Finding("nanjing", "stale_section", COLUMN + "fdzdgknr/", "法定主动公开内容：最新条目 2025-06-01，超过 183 天未更新")
METADATA = Finding("nanjing", "missing_metadata", COLUMN + "gfxwj/1.html", "缺少 文号、有效性")  # accepted
FIXED = Finding("nanjing", "broken_link", COLUMN, "连接被拒绝", target_url="http://nanjing.customs.test/gone.doc",
                link_text="申请表")
NEW = Finding("nanjing", "wrong_link", COLUMN, "链接指向其他单位的网站", target_url="http://lasa.customs.test/",
              link_text="南京海关12360热线")
NO_AAAA = Finding("lasa", "ipv6_no_aaaa", LASA.url, "lasa.customs.test 没有 AAAA 记录")
LASA_DOWN = Finding("lasa", "site_unreachable", LASA.url, "首页无法访问：连接超时")
CHALLENGED = Finding("gongbei", "link_blocked", GONGBEI.url, "首页被防火墙以 HTTP 412 JavaScript验证拦截，整个站点未能核验",
                     http_status=412)

SITES_YAML = """\
notice:
  office: 测试海关政务公开办公室
  contact: 王五 010-65190000
  reply_working_days: 15
  holidays: [2026-04-06]   # 清明 falls on a Monday
units:
  - {id: nanjing, name: 南京海关, url: "http://nanjing.customs.test/"}
"""


def record(history: History, out: Path, day: date, findings: dict[Unit, list[Finding]], ipv6: dict[str, str]) -> str:
    run_id = f"{day:%Y%m%d}-013000"
    history.begin_run(run_id, f"{day}T01:30:00+08:00", day, "run")
    reports = []
    for unit, unit_findings in findings.items():
        blocked = unit is GONGBEI
        report = UnitReport(unit=unit, findings=unit_findings, pages_crawled=0 if blocked else 40,
                            links_checked=0 if blocked else 300, crawl_complete=not blocked, crawl_notes="", reachable=True,
                            stats={"ipv6_verdict": ipv6[unit.id], "home_final_url": HOME_PAGE if unit is NANJING
                                   else unit.url}, verified_pages={NANJING.url, HOME_PAGE, COLUMN})
        report.rows, report.resolved = history.record_unit(run_id, day, unit.id, unit_findings, True,
                                                           report.verified_pages)
        reports.append(report)
    info = {"run_id": run_id, "start": f"{day}T01:30:00+08:00", "today": day.isoformat()}
    history.save_run(run_id, reports, info)
    write_run_folder(out / run_id, reports, info, history.trend(run_id), workbook=False)
    history.end_run(run_id, f"{day}T02:30:00+08:00", "finished")
    return run_id


@pytest.fixture
def office(tmp_path, monkeypatch):
    """Run 1, notices for it, METADATA accepted, run 2 (FIXED gone, NEW found); cwd has sites.yaml."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "sites.yaml").write_text(SITES_YAML, encoding="utf-8")
    out = tmp_path / "reports"
    history = History(out / "history.sqlite")
    ipv6 = {"nanjing": "partial", "hangzhou": "pass", "lasa": "fail", "gongbei": ""}
    first = record(history, out, FIRST, {NANJING: [HOME_LINK, COLUMN_LINK, STALE, METADATA, FIXED],
                                         HANGZHOU: [], LASA: [NO_AAAA], GONGBEI: [CHALLENGED]}, ipv6)
    assert main(["notice", "--all", "--today", FIRST.isoformat()]) == 0
    history.accept("nanjing", fingerprint(METADATA)[:8], "该页面为历史文件，无需文号", None, "2026-03-05T10:00:00+08:00")
    second = record(history, out, SECOND, {NANJING: [HOME_LINK, COLUMN_LINK, STALE, METADATA, NEW],
                                           HANGZHOU: [], LASA: [NO_AAAA, LASA_DOWN],
                                           GONGBEI: [CHALLENGED]}, ipv6)
    history.close()
    yield out, first, second


def paragraphs(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs]


def reply_rows(path: Path) -> list[list[str]]:
    tables = docx.Document(str(path)).tables
    assert len(tables) == 1
    return [[cell.text for cell in row.cells] for row in tables[0].rows]


def unit_csv(out: Path, run_id: str, unit: str) -> list[dict]:
    return list(csv.DictReader((out / run_id / f"{unit}.csv").read_bytes().decode("utf-8-sig").splitlines()))


def test_notice_lists_every_open_finding_once_marks_overdue_and_fixed(office):
    out, _, second = office
    assert main(["notice", "nanjing", "--today", SECOND.isoformat()]) == 0
    path = out / second / "notices" / "nanjing-整改通知.docx"
    text = paragraphs(path)
    open_findings = [HOME_LINK, COLUMN_LINK, STALE, NEW]
    assert len(unit_csv(out, second, "nanjing")) == len(open_findings)  # the run's unit CSV agrees
    for finding in open_findings:
        assert sum(finding_sentence(finding) in line for line in text) == 1, finding
    assert not any(METADATA.page_url in line for line in text)  # accepted: left out
    overdue = [line for line in text if "【逾期未整改】" in line]
    assert len(overdue) == 3 and all("首次发现于2026-03-02，2026-03-02通知，整改期限2026-03-23" in line for line in overdue)
    assert not any(finding_sentence(NEW) in line and "逾期" in line for line in text)
    fixed = [line for line in text if "【已整改】" in line]
    assert len(fixed) == 1 and FIXED.target_url in fixed[0] and "2026-03-30复查确认" in fixed[0]
    assert text[0] == "测试海关政务公开办公室" and "关于南京海关网站政府信息公开问题整改的通知" in [line.replace("\n", "") for line in text]
    assert "南京海关：" in text and "联系人：王五 010-65190000" in text
    assert any("于2026年4月21日前（15个工作日内）" in line for line in text)  # 15 working days after 3月30日, 清明 off
    assert any("发现问题4个（高等级2个、中等级2个）" in line and "其中3个问题此前已通知整改、逾期仍未整改" in line
               for line in text)
    signed = len(text) - 1 - text[::-1].index("测试海关政务公开办公室")  # the signature, after the letterhead
    assert signed > 0 and text[signed + 1] == "2026年3月30日"
    rows = reply_rows(path)
    assert rows[0] == ["序号", "问题类型", "问题位置", "问题说明", "整改措施", "完成时间"]
    assert len(rows) == 1 + len(open_findings)
    assert sorted(row[3] for row in rows[1:]) == sorted(f.detail for f in open_findings)
    assert all(row[4] == row[5] == "" for row in rows[1:])


def test_first_notices_went_to_units_with_open_findings_only(office):
    out, first, _ = office
    assert sorted(p.name for p in (out / first / "notices").iterdir()) == ["gongbei-整改通知.docx", "lasa-整改通知.docx",
                                                                        "nanjing-整改通知.docx"]
    text = paragraphs(out / first / "notices" / "nanjing-整改通知.docx")
    assert not any("逾期" in line or "已整改" in line for line in text)  # nothing asked before
    assert any(finding_sentence(METADATA) in line for line in text)  # not yet accepted then
    assert len(reply_rows(out / first / "notices" / "nanjing-整改通知.docx")) == 1 + 5


def test_a_notice_to_a_clean_unit_says_so_and_has_an_empty_form(office):
    out, _, second = office
    assert main(["notice", "hangzhou", "--today", SECOND.isoformat()]) == 0
    path = out / second / "notices" / "hangzhou-整改通知.docx"
    text = paragraphs(path)
    assert any("共检查页面40个、链接300个，未发现需要整改的问题。" in line for line in text)
    assert "本次检查未发现需要整改的问题。" in text and len(reply_rows(path)) == 1


def test_bad_notice_input_is_one_line_and_exit_2(office, tmp_path, capsys):
    for argv, message in (
        (["notice", "shanghai"], "unit 'shanghai' is not in run"),
        (["notice"], "name the units (UNIT ...) or give --all"),
        (["notice", "nanjing", "--all"], "name the units"),
        (["notice", "nanjing", "--run", "20990101-000000"], "no run 20990101-000000"),
        (["notice", "nanjing", "--out", str(tmp_path / "empty")], "no history yet"),
        (["notice", "nanjing", "--today", "2026-13-01"], "invalid date"),
    ):
        capsys.readouterr()
        assert main(argv) == 2, argv
        err = capsys.readouterr().err.strip()
        assert message in err and "\n" not in err, (argv, err)


def summary(out: Path, run_id: str) -> dict[str, dict]:
    rows = csv.DictReader((out / run_id / "summary.csv").read_bytes().decode("utf-8-sig").splitlines())
    return {row["unit_name"]: row for row in rows}


def test_bulletin_ranks_units_as_summary_csv_counts_them(office):
    from checks.findings import CATALOG

    out, _, second = office
    assert main(["bulletin", "--since", "2026-03-03", "--until", "2026-03-31", "--today", "2026-04-01"]) == 0
    stem = out / "bulletins" / "20260303-20260331-检查情况通报"
    document = docx.Document(str(stem.with_suffix(".docx")))
    text = [p.text for p in document.paragraphs]
    ranking = [[cell.text for cell in row.cells] for row in document.tables[0].rows]
    assert ranking[0] == ["排名", "单位", "得分", "结论", "高", "中", "低", "合计", "较上期"]
    counts = summary(out, second)
    assert [row[1] for row in ranking[1:]] == ["杭州海关", "南京海关", "拱北海关", "拉萨海关"]
    for row in ranking[1:]:
        unit = counts[row[1]]
        by_severity = {s: sum(int(unit[c]) for c, info in CATALOG.items() if info.severity == s)
                       for s in ("high", "medium", "low")}
        assert row[4:8] == [str(by_severity["high"]), str(by_severity["medium"]), str(by_severity["low"]),
                            str(sum(by_severity.values()))]
    # 拉萨: home page unreachable in 1 of the period's 1 runs: single veto, ranked last, not scored
    assert ranking[4][2:4] == ["—", "不合格（单项否决）"]
    # 拱北: not one page read behind its firewall: no score, no verdict, not counted as qualified
    assert ranking[3][2:4] == ["—", "无法评定（未能读取页面）"]
    assert any("4个单位网站中合格2个、不合格1个，拱北海关的网站页面未能读取（如被防火墙验证拦截），无法评定；合格率67%" in line
               for line in text)
    assert "拉萨海关：站点无法访问（1次检查中1次发现）。" in text
    # 南京: 1 unusable link on the home page where it redirects (1 point), 2 elsewhere (0.1 each)
    assert ranking[2][2:4] == ["98.8", "合格"] and ranking[1][2:4] == ["100", "合格"]
    assert "首页链接不可用（每个扣1分）：南京海关1个（扣1分）。" in text
    assert "其他页面链接不可用（每个扣0.1分）：南京海关2个（扣0.2分）。" in text
    # changes against the previous period's last run (the first run): 南京 5 -> 4, 拉萨 1 -> 2
    assert [row[8] for row in ranking[1:]] == ["持平", "-1", "持平", "+1"]
    assert "问题减少的单位：南京海关（-1）。" in text and "问题增加的单位：拉萨海关（+1）。" in text
    assert "本期整改问题的单位：南京海关（1个）。" in text
    ipv6 = [[cell.text for cell in row.cells] for row in document.tables[2].rows]
    assert ipv6[1:] == [["杭州海关", "通过", "—"], ["南京海关", "部分通过", "—"], ["拱北海关", "未检查", "—"],
                        ["拉萨海关", "未通过", NO_AAAA.detail]]
    assert len(document.inline_shapes) == 1  # the chart
    png = stem.with_suffix(".png").read_bytes()
    assert png.startswith(b"\x89PNG") and document.inline_shapes[0]._inline.graphic.graphicData.pic.blipFill is not None
    markdown = stem.with_suffix(".md").read_text(encoding="utf-8")
    assert markdown.startswith("# 关于2026年3月3日至2026年3月31日海关网站政府信息公开检查情况的通报")
    assert "| 4 | 拉萨海关 | — | 不合格（单项否决） | 2 | 0 | 0 | 2 | +1 |" in markdown
    assert f"]({stem.with_suffix('.png').name})" in markdown
    annex = [[cell.text for cell in row.cells] for row in document.tables[-1].rows]
    assert annex[0] == ["排名", "单位", "检查页面", "检查链接", "高", "中", "低", "本期新增", "本期整改", "问题分布"]
    assert annex[2] == ["2", "南京海关", "40", "300", "2", "2", "0", "1", "1", "断链1、无效链接1、错链1、栏目不更新1"]


def test_bulletin_defaults_to_the_quarter_of_the_latest_run(office):
    out = office[0]
    assert main(["bulletin", "--today", "2026-04-01"]) == 0
    document = docx.Document(str(out / "bulletins" / "2026Q1-检查情况通报.docx"))
    text = [p.text for p in document.paragraphs]
    assert "关于2026年第一季度海关网站\n政府信息公开检查情况的通报" in text and "各直属海关：" in text
    assert any("开展了2次检查" in line for line in text) and "本期为首次通报，无上期数据可比。" in text


@pytest.mark.parametrize("argv, message", [
    (["bulletin", "--since", "2026-04-01", "--until", "2026-03-01"], "--since 2026-04-01 is after --until 2026-03-01"),
    (["bulletin", "--since", "2025-01-01", "--until", "2025-03-31"], "no finished run between 2025-01-01 and 2025-03-31"),
    (["bulletin", "--since", "2026-02-30"], "invalid date '2026-02-30'"),
])
def test_bad_bulletin_input_is_one_line_and_exit_2(office, capsys, argv, message):
    capsys.readouterr()
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err


def needs_libreoffice():
    """CI installs LibreOffice and poppler-utils (.ci/run): there a missing one fails the test."""
    missing = [tool for tool in ("soffice", "pdftotext", "pdftoppm", "pdffonts") if shutil.which(tool) is None]
    if missing and not os.environ.get("CI"):
        pytest.skip(f"{', '.join(missing)} not installed (Debian: libreoffice-writer, poppler-utils)")


def test_pdf_copies_render_the_chinese_text(office, tmp_path):
    needs_libreoffice()
    out, _, second = office
    assert main(["notice", "nanjing", "--today", SECOND.isoformat(), "--pdf"]) == 0
    assert main(["bulletin", "--today", "2026-04-01", "--pdf"]) == 0
    for pdf, words in ((out / second / "notices" / "nanjing-整改通知.pdf", ["南京海关：", "整改情况反馈表", "逾期未整改"]),
                       (out / "bulletins" / "2026Q1-检查情况通报.pdf", ["检查情况的通报", "各直属海关：", "拉萨海关"])):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              check=True).stdout
        for word in words:
            assert word in text.replace(" ", ""), (pdf.name, word)
        fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
        # the Chinese glyphs come from an embedded CJK font, not from boxes of a Latin one
        assert any(name in fonts for name in ("CJK", "WenQuanYi", "Hei", "Song", "Ming", "Fang", "Kai")), fonts
        subprocess.run(["pdftoppm", "-png", "-r", "40", "-f", "1", "-l", "1", str(pdf), str(tmp_path / pdf.stem)],
                       check=True)
        page = next(tmp_path.glob(f"{pdf.stem}*.png"))
        from PIL import Image

        with Image.open(page) as image:  # a page with ink on it: red letterhead, black text
            colours = image.convert("RGB").getcolors(maxcolors=1 << 20)
        assert len(colours) > 20 and any(r > 150 and g < 80 and b < 80 for _, (r, g, b) in colours)


def test_pdf_without_libreoffice_is_one_line_and_keeps_the_docx(office, tmp_path, monkeypatch, capsys):
    out, _, second = office
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    capsys.readouterr()
    assert main(["notice", "nanjing", "--today", SECOND.isoformat(), "--pdf"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--pdf needs LibreOffice (soffice)" in err and "\n" not in err
    assert (out / second / "notices" / "nanjing-整改通知.docx").exists()


def test_crawled_control_characters_do_not_break_the_word_file(tmp_path):
    from crawler.outcome.model import Seen
    from crawler.report.notice import Notice, notice_docx

    finding = Finding("nanjing", "broken_link", COLUMN, "HTTP 404\x0b", target_url="http://x.test/\x7f",
                      link_text="通知\x07公告\x1b", http_status=404)
    report = UnitReport(unit=NANJING, findings=[finding], pages_crawled=1, links_checked=1, crawl_complete=True,
                        crawl_notes="", reachable=True, rows=[Seen(finding, fingerprint(finding), "2026-03-02", "new")])
    path = tmp_path / "n.docx"
    path.write_bytes(notice_docx(Notice(report, FIRST, FIRST, NoticeSettings(office="办公室"), [], [])))
    text = "\n".join(paragraphs(path))
    assert "链接“通知公告”指向 http://x.test/\x7f，HTTP 404。" in text
    assert reply_rows(path)[1][3] == "HTTP 404"


def test_working_days_skip_weekends_and_holidays_and_count_makeup_days():
    from crawler.report.official import add_working_days

    assert add_working_days(date(2026, 3, 2), 15) == date(2026, 3, 23)
    golden_week = {date(2026, 10, day) for day in range(1, 8)}
    # 9月29、30日, then 10月8、9日 and the Saturday 10月10日 worked instead of a holiday
    assert add_working_days(date(2026, 9, 28), 5, golden_week, {date(2026, 9, 27), date(2026, 10, 10)}) == \
        date(2026, 10, 10)
    assert add_working_days(date(2026, 9, 28), 5, golden_week) == date(2026, 10, 12)

"""The regulation library (docs/regulations.md), regulation page checks and the import of downloaded texts."""
from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import docx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from checks.regulation_import import (
    LIST_COLUMNS,
    RegulationImportError,
    import_documents,
    list_library,
)
from checks.regulations import (
    LibraryError,
    check_regulation_page,
    chinese_number,
    default_library_dir,
    load_library,
    normalize,
    parse_chinese_number,
    split_articles,
    stated_dates,
)

DEMO = "中华人民共和国海关示范管理条例"
DEMO_REPEALED = "中华人民共和国海关示范通关暂行办法"


@pytest.fixture(scope="module")
def library():
    return load_library(default_library_dir())


@pytest.fixture(scope="module")
def demo(library):
    return library.find_title("", DEMO)


def check(library, body, heading=DEMO, title="", validity=""):
    return check_regulation_page("nanjing", "http://x.test/fg/1.html", title, heading, body,
                                 validity, library)


# --- loading ----------------------------------------------------------------------------------

def test_bundled_library(library, demo):
    assert [(v.version.isoformat(), v.status) for v in demo.versions] == [
        ("2012-05-10", "superseded"), ("2016-08-22", "superseded"), ("2020-11-30", "current"),
    ]
    assert all(15 <= len(v.articles) <= 25 for v in demo.versions)
    assert all("演示数据（虚构）" in v.source and v.unverified for v in demo.versions)
    repealed = library.find_title("", DEMO_REPEALED)
    assert repealed.repealed and repealed.latest.replaced_by == DEMO
    tariff = library.find_title("", "中华人民共和国进出口关税条例")
    assert tariff.metadata_only and tariff.repealed
    assert tariff.latest.repealed_on == dt.date(2024, 12, 1)
    assert tariff.latest.replaced_by == "中华人民共和国关税法"
    real = [r for r in library if "演示" not in r.latest.source]
    assert len(real) >= 8 and all(r.metadata_only for r in real)
    assert all(v.unverified and v.source for r in real for v in r.versions)


GOOD = "---\ntitle: 中华人民共和国测试条例\nversion: 2020-01-01\nstatus: current\nsource: 测试\n---\n"


@pytest.mark.parametrize(
    "content, line, problem",
    [
        ("title: x\n", 1, "front matter"),
        ("---\ntitle: 中华人民共和国测试条例\nversion: 2020-01-01\n", 1, "not closed"),
        ("---\ntitle: [unclosed\nversion: 2020-01-01\nstatus: current\n---\n", 3,
         "bad front matter"),
        ("---\ntitle: 中华人民共和国测试条例\nversion: 2020-01-01\nstatus: valid\n---\n", 4, "unknown status"),
        ("---\ntitle: 中华人民共和国测试条例\nversion: 2020-01-01\nstatus: repealed\n---\n", 4, "repealed_on"),
        ("---\ntitle: 中华人民共和国测试条例\nversion: 2020-13-01\nstatus: current\n---\n", 3, "bad date"),
        ("---\ntitle: 中华人民共和国测试条例\nversion: 2020年\nstatus: current\n---\n", 3, "bad date"),
        ("---\ntitle: 中华人民共和国测试条例\nversion: 20200101\nstatus: current\n---\n", 3, "bad date"),
        ("---\ntitle: 中华人民共和国测试条例\nversion: 2020-01-01\nstatus: repealed\n"
         "repealed_on: soon\n---\n", 5, "bad date"),
        ("---\ntitle: 中华人民共和国测试条例\nversion: 2020-01-01\nstatus: repealed\n"
         "repealed_on: 2019-01-01\n---\n", 5, "before the version"),
        ("---\nversion: 2020-01-01\nstatus: current\n---\n", 2, "missing title"),
        ("---\ntitle: 中华人民共和国测试条例\nstatus: current\n---\n", 2, "missing version"),
        ("---\ntitle: 中华人民共和国测试条例\nversion: 2020-01-01\nstatus: current\n"
         "valid: yes\n---\n", 5, "unknown key"),
        (GOOD + "这里没有条文。\n", 7, "no articles"),
    ],
)
def test_bad_file(tmp_path, content, line, problem):
    path = tmp_path / "bad.md"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(LibraryError) as error:
        load_library(tmp_path)
    message = str(error.value)
    assert message.startswith(f"{path}:{line}: ") and problem in message
    assert "\n" not in message


@pytest.mark.parametrize("older_status", ["current", "repealed"])
def test_versions_of_one_title_must_agree(tmp_path, older_status):
    older = GOOD.replace("2020-01-01", "2010-01-01").replace("current", older_status)
    if older_status == "repealed":
        older = older.replace("source:", "repealed_on: 2011-01-01\nsource:")
    (tmp_path / "a.md").write_text(older, encoding="utf-8")
    (tmp_path / "b.md").write_text(GOOD, encoding="utf-8")
    with pytest.raises(LibraryError, match=rf"a\.md:4: status {older_status} but a newer"):
        load_library(tmp_path)


def test_same_version_twice(tmp_path):
    (tmp_path / "a.md").write_text(GOOD, encoding="utf-8")
    (tmp_path / "b.md").write_text(GOOD.replace("测试条例", "测试条例（2020年修订）"), "utf-8")
    with pytest.raises(LibraryError, match="same version 2020-01-01"):
        load_library(tmp_path)


def test_missing_directory(tmp_path):
    with pytest.raises(LibraryError, match="not a directory"):
        load_library(tmp_path / "nowhere")


# --- titles -----------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "page_title, heading",
    [
        ("", DEMO),
        ("", f"《{DEMO}》"),
        ("", "中华人民共和国 海关示范管理条例"),
        ("", f"{DEMO}（2020年修订）"),
        ("", f"《{DEMO}》(2016修订)"),
        ("", f"{DEMO}（已废止）"),
        (f"{DEMO}_南京海关", ""),
        (f"《{DEMO}》 - 海关法规 - 海关总署", "海关法规"),
    ],
)
def test_title_matching(demo, library, page_title, heading):
    assert library.find_title(page_title, heading) is demo


@pytest.mark.parametrize(
    "page_title, heading",
    [("南京海关", "政策法规"), ("", f"关于修改《{DEMO}》的决定"), ("", f"《{DEMO}》解读")],
)
def test_title_not_named(library, page_title, heading):
    assert library.find_title(page_title, heading) is None


# --- normalisation and articles ---------------------------------------------------------------

def test_numbers():
    for n in (1, 10, 11, 20, 21, 99, 100, 101, 110, 115, 230, 1000):
        assert parse_chinese_number(chinese_number(n)) == n
    assert [chinese_number(n) for n in (10, 15, 110, 101)] == ["十", "十五", "一百一十", "一百零一"]


def test_normalize_folds_width_and_numbering():
    assert normalize("第１２条　罚款，（一）“认证”") == normalize("第十二条 罚款,(一)「认证」")


def test_split_articles_ignores_references_and_headings():
    text = ("（2001年1月1日公布）\n第一章 总则\n第一条 依照本条例第三条的规定。\n第二条 见第三条第二款。"
            "第二章 附则 第三条 本条例自公布之日起施行。")
    preamble, articles = split_articles(text)
    assert preamble == "(2001年1月1日公布)"
    assert [a.number for a in articles] == [1, 2, 3]
    assert articles[2].body == "本条例自公布之日起施行。"


def test_stated_dates():
    note = ("（2003年11月23日中华人民共和国国务院令第392号公布　根据2011年1月8日《国务院关于废止和"
            "修改部分行政法规的决定》第一次修订）发布日期：2020年5月1日")
    assert [str(d) for d in stated_dates(note)] == ["2003年11月23日", "2011年1月8日"]
    assert [str(d) for d in stated_dates("某条例（2017年修订）")] == ["2017年"]


def _reformatted(text: str) -> list[str]:
    """The same text as sites show it: every variant must read as the current version."""
    flat = text.replace("\n", "")
    return [
        flat,
        text.replace("，", ",").replace("；", ";").replace("：", ":"),
        re.sub(r"第(.{1,3})条　", r"第\1条\n", text),  # article numbers in their own table cell
        text.replace("2012年7月1日", "２０１２年７月１日"),
        " ".join(text),  # a space between every character
        re.sub(r"\n第.章　\S+\n", "\n", text),  # chapter headings left out
        "首页 > 政策法规 > 行政法规\n发布日期：2021-03-01\n" + text + "\n【打印本页】【关闭窗口】",
        text.replace("第十一条", "第11条").replace("第二十二条", "第22条"),
        text.replace("“", '"').replace("”", '"'),
    ]


def test_reformatted_current_text_is_not_a_finding(library, demo):
    for variant in _reformatted(demo.latest.text):
        assert check(library, variant) == [], variant[:80]


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_random_white_space_is_not_a_finding(library, demo, data):
    text = demo.latest.text
    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=30)))
    spaces = data.draw(st.lists(st.sampled_from([" ", "\n", "\u3000", "\t", "\r\n"]),
                                min_size=len(cuts), max_size=len(cuts)))
    pieces, last = [], 0
    for cut, space in zip(cuts, spaces):
        pieces += [text[last:cut], space]
        last = cut
    assert check(library, "".join(pieces) + text[last:]) == []


# --- detection --------------------------------------------------------------------------------

def test_superseded_version_is_named_with_first_article(library, demo):
    findings = check(library, demo.versions[1].text)
    assert [f.check for f in findings] == ["outdated_regulation"]
    detail = findings[0].detail
    assert DEMO in detail and "2016年8月22日版本一致" in detail and "2020年11月30日" in detail
    assert "首处不同在第三条" in detail and "信息共享" in detail  # what article 3 now adds
    assert findings[0].unit_id == "nanjing" and findings[0].page_url == "http://x.test/fg/1.html"


def test_oldest_version_is_matched(library, demo):
    detail = check(library, demo.versions[0].text.replace("\n", ""))[0].detail
    assert "2012年5月10日版本一致" in detail


def test_one_article_changed(library, demo):
    page = demo.latest.text.replace("可以处五万元以下罚款", "可以处三万元以下罚款")
    findings = check(library, page)
    assert [f.check for f in findings] == ["outdated_regulation"]
    detail = findings[0].detail
    assert "现行版本（2020年11月30日）" in detail and "首处不同在第十八条" in detail
    assert "页面为“…警告，可以处三万元" in detail and "现行版本为“…警告，可以处五万元" in detail


def test_article_left_out(library, demo):
    page = re.sub(r"第八条　.*\n", "", demo.latest.text)  # and the page numbers on: 第七条, 第九条
    detail = check(library, page)[0].detail
    assert "页面缺少第八条" in detail and "第八条海关应当建立" in detail


def _renumbered(text: str) -> str:
    numbers = iter(range(1, 100))
    return re.sub(r"(?m)^第.{1,3}条", lambda _: f"第{chinese_number(next(numbers))}条", text)


def test_article_added(library, demo):
    page = _renumbered(demo.latest.text.replace("第九条　", "第九条　海关应当公开查验结果。\n第九条　"))
    detail = check(library, page)[0].detail
    assert "页面多出第九条" in detail and "公开查验结果" in detail


def test_sentence_left_out_at_article_end(library, demo):
    page = demo.latest.text.replace("情节严重的，暂停其从事有关业务。", "")
    assert "首处不同在第十九条：" in check(library, page)[0].detail


def test_page_missing_its_last_articles(library, demo):
    page = demo.latest.text.split("第二十一条")[0]
    assert "页面缺少第二十一条" in check(library, page)[0].detail


def test_repealed_shown_as_in_force(library):
    findings = check(library, "", heading=DEMO_REPEALED, validity="现行有效")
    assert [f.check for f in findings] == ["repealed_regulation"]
    assert "2012年7月1日废止" in findings[0].detail and f"《{DEMO}》取代" in findings[0].detail


def test_repealed_full_text_without_validity(library):
    findings = check(library, "第一条 为了…\n第二条 …", title="中华人民共和国进出口关税条例_海关总署",
                     heading="")
    assert [f.check for f in findings] == ["repealed_regulation"]
    assert "2024年12月1日" in findings[0].detail and "中华人民共和国关税法" in findings[0].detail


@pytest.mark.parametrize(
    "heading, body, validity",
    [
        (DEMO_REPEALED, "第一条 为了…", "已废止"),
        (f"{DEMO_REPEALED}（已废止）", "第一条 为了…", ""),
        (DEMO_REPEALED, "", ""),  # only named, not presented
    ],
)
def test_repealed_marked_as_such_is_fine(library, heading, body, validity):
    assert check(library, body, heading=heading, validity=validity) == []


def test_metadata_only_older_revision(library):
    heading = "中华人民共和国知识产权海关保护条例（2010年修订）"
    findings = check(library, "第一条 为了…\n第二条 …", heading=heading)
    assert [f.check for f in findings] == ["outdated_regulation"]
    assert "2010年" in findings[0].detail and "2018年3月19日" in findings[0].detail


def test_metadata_only_revision_from_promulgation_note(library):
    body = ("（1997年1月3日中华人民共和国国务院令第209号发布　根据2011年1月8日《国务院关于废止和修改部分"
            "行政法规的决定》修订）\n第一条 为了…")
    detail = check(library, body, heading="中华人民共和国海关稽查条例")[0].detail
    assert "2011年1月8日" in detail and "2016年6月19日" in detail


@pytest.mark.parametrize(
    "heading",
    ["中华人民共和国知识产权海关保护条例（2018年修订）", "中华人民共和国知识产权海关保护条例"],
)
def test_metadata_only_latest_or_unstated_revision_is_fine(library, heading):
    assert check(library, "第一条 为了…\n第二条 …", heading=heading) == []


def test_page_without_articles_is_not_a_regulation(library, demo):
    assert check(library, "本条例已经修订，全文请见附件。") == []
    assert check(library, demo.versions[0].text, heading="海关新闻") == []


# --- import -----------------------------------------------------------------------------------

IMPORTED = "中华人民共和国海关示范检验条例"
DOWNLOAD = [
    IMPORTED,
    "（2010年5月1日示范令第3号公布　根据2018年3月19日《关于修改部分示范条例的决定》修订）",
    "第一章　总则",
    "第一条　为了规范海关示范检验工作，制定本条例。",
    "第二条　海关应当依照本条例第一条的规定实施检验。",
    "第二章　附则",
    "第三条　本条例自2010年7月1日起施行。",
]


def _txt(path: Path, lines=DOWNLOAD, encoding="utf-8") -> Path:
    path.write_bytes("\n".join(lines).encode(encoding))
    return path


def _docx(path: Path, lines=DOWNLOAD) -> Path:
    document = docx.Document()
    document.add_heading(lines[0], level=1)
    for line in lines[1:3]:
        document.add_paragraph(line)
    table = document.add_table(rows=0, cols=2)  # articles in a table, as some downloads have
    for line in lines[3:]:
        number, _, text = line.partition("　")
        cells = table.add_row().cells
        cells[0].text, cells[1].text = number, text
    document.save(str(path))
    return path


def _html(path: Path) -> Path:
    page = (
        '<html><head><meta charset="gbk"><title>国家法律法规数据库</title>'
        "<script>var x = '中华人民共和国海关法';</script></head><body>"
        "<div class='nav'>首页 行政执法 行政法规</div>"
        f"<h1>{DOWNLOAD[0]}</h1>{''.join(f'<p>{line}</p>' for line in DOWNLOAD[1:])}"
        "<div>版权所有</div></body></html>"
    )
    path.write_bytes(page.encode("gbk"))
    return path


@pytest.mark.parametrize(
    "make",
    [
        lambda d: _txt(d / "a.txt"),
        lambda d: _txt(d / "a.txt", encoding="gb18030"),
        lambda d: _html(d / "a.html"),
        lambda d: _docx(d / "a.docx"),
    ],
    ids=["txt-utf8", "txt-gb18030", "html-gbk", "docx"],
)
def test_import(tmp_path, make):
    source = make(tmp_path)
    library_dir = tmp_path / "library"
    [written] = import_documents([source], library_dir)
    assert written.name == f"{IMPORTED}-2018-03-19.md"
    library = load_library(library_dir)
    regulation = library.find_title("", IMPORTED)
    version = regulation.latest
    assert (version.version, version.status) == (dt.date(2018, 3, 19), "current")
    assert [a.number for a in version.articles] == [1, 2, 3]
    assert "示范令第3号" in version.source and not version.unverified
    assert check(library, "\n".join(DOWNLOAD), heading=IMPORTED) == []
    assert "版权所有" not in version.text
    assert import_documents([source], library_dir) == [written]  # identical: left alone


def test_import_newer_version_supersedes_older(tmp_path):
    library_dir = tmp_path / "library"
    old = [line.replace("　根据2018年3月19日《关于修改部分示范条例的决定》修订", "")
           for line in DOWNLOAD]
    old[3] = "第一条　为了规范示范检验，制定本条例。"
    import_documents([_txt(tmp_path / "old.txt", old)], library_dir)
    import_documents([_txt(tmp_path / "new.txt")], library_dir)
    library = load_library(library_dir)
    regulation = library.find_title("", IMPORTED)
    assert [(v.version.isoformat(), v.status) for v in regulation.versions] == [
        ("2010-05-01", "superseded"), ("2018-03-19", "current"),
    ]
    detail = check(library, "\n".join(old), heading=IMPORTED)[0].detail
    assert "2010年5月1日版本一致" in detail and "首处不同在第一条" in detail
    # an older text imported after the newer one stays superseded
    import_documents([_txt(tmp_path / "again.txt", old)], tmp_path / "other")
    import_documents([_txt(tmp_path / "new2.txt")], tmp_path / "other")
    rows = list_library(load_library(tmp_path / "other"))
    assert [row[:3] for row in rows] == [
        (IMPORTED, "2010-05-01", "已被修订"), (IMPORTED, "2018-03-19", "现行有效"),
    ]
    assert len(LIST_COLUMNS) == len(rows[0])


@pytest.mark.parametrize("status", ["current", "repealed"])
def test_import_gives_a_metadata_only_entry_its_text(tmp_path, status):
    library_dir = tmp_path / "library"
    library_dir.mkdir()
    entry = library_dir / "entry.md"
    extra = "repealed_on: 2020-01-01\nreplaced_by: 中华人民共和国示范法\n" if status == "repealed" else ""
    entry.write_text(f"---\ntitle: {IMPORTED}\nversion: 2018-03-19\nstatus: {status}\n{extra}"
                     "source: 国务院令\nunverified: true\n---\n", encoding="utf-8")
    [written] = import_documents([_txt(tmp_path / "a.txt")], library_dir)
    assert not entry.exists()
    version = load_library(library_dir).find_title("", IMPORTED).latest
    assert version.path == written and version.has_text and not version.unverified
    assert version.status == status
    if status == "repealed":
        assert (version.repealed_on, version.replaced_by) == (dt.date(2020, 1, 1), "中华人民共和国示范法")


def test_import_refuses_to_overwrite_a_different_file(tmp_path):
    library_dir = tmp_path / "library"
    [written] = import_documents([_txt(tmp_path / "a.txt")], library_dir)
    changed = [*DOWNLOAD[:-1], "第三条　本条例自2011年1月1日起施行。"]
    with pytest.raises(RegulationImportError, match="already exists with a different content"):
        import_documents([_txt(tmp_path / "b.txt", changed)], library_dir)
    assert "2010年7月1日" in written.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "name, lines, problem",
    [
        ("a.txt", ["关于做好检验工作的通知", "第一条　为了…"], "no title line"),
        ("a.txt", [IMPORTED, "第一条　为了…"], "no promulgation or revision date"),
        ("a.txt", [IMPORTED, "（2010年5月1日公布）", "全文见附件。"], "no articles"),
        ("a.pdf", DOWNLOAD, "unsupported file type"),
    ],
)
def test_import_errors(tmp_path, name, lines, problem):
    path = _txt(tmp_path / name, lines)
    with pytest.raises(RegulationImportError) as error:
        import_documents([path], tmp_path / "library")
    assert str(error.value).startswith(f"{path}: ") and problem in str(error.value)


def test_list_bundled_library(library):
    rows = list_library(library)
    tariff = [row for row in rows if row[0] == "中华人民共和国进出口关税条例"]
    assert tariff[-1][2:5] == ("已废止", "2024-12-01", "中华人民共和国关税法")
    assert tariff[-1][5] == "仅元数据" and tariff[-1][6] == "否"

"""Core metadata of item pages (table, label：value, 【】 forms) and its findings."""
import pytest
from hypothesis import given, strategies as st

from checks.metadata import is_current_column, metadata_findings, parse_metadata
from checks.rules import load_rules

RULES = load_rules()
URL = "http://nanjing.customs.gov.cn/nanjing_customs/zfxxgk/gfxwj/4001/index.html"

TABLE = """<html><body><div class="header"><a href="/">首页</a></div>
<table class="xxgk_table">
 <tr><th>索&nbsp;引&nbsp;号</th><td>000014672/2021-00123</td><th>分　　类</th><td>规范性文件</td></tr>
 <tr><th>发布机构：</th><td>南京海关</td><th>发文日期：</th><td>2021年05月10日</td></tr>
 <tr><td>文　　号</td><td>宁关规〔2021〕3号</td><td>效　　力</td><td>有效</td></tr>
</table>
<div class="content"><p>本公告具有法律效力：自发布之日起施行。</p></div></body></html>"""


def test_table_with_label_cells():
    assert parse_metadata(TABLE, RULES) == {
        "索引号": "000014672/2021-00123",
        "发布机构": "南京海关",
        "发布日期": "2021年05月10日",
        "文号": "宁关规〔2021〕3号",
        "有效性": "有效",
    }


def test_label_value_lines_with_synonyms_and_full_width_spaces():
    html = ("<div class='info'><p>文　　号：署令第250号　　发布机关：海关总署</p>"
            "<p>成文日期：2021-04-12 10:30 浏览次数：12</p><p>有 效 性: 已废止</p></div>")
    assert parse_metadata(html, RULES) == {
        "文号": "署令第250号", "发布机构": "海关总署", "发布日期": "2021-04-12", "有效性": "已废止"}


def test_bracketed_labels_run_together():
    html = "<div>【发文字号】宁关规〔2021〕3号【发布机构】南京海关【发布日期】2021-05-10【效力】失效</div>"
    assert parse_metadata(html, RULES) == {
        "文号": "宁关规〔2021〕3号", "发布机构": "南京海关", "发布日期": "2021-05-10", "有效性": "失效"}


def test_label_line_followed_by_its_value_and_empty_cells():
    html = ("<dl><dt>生成日期</dt><dd>2021-05-10</dd></dl>"
            "<table><tr><td>文号：</td><td></td></tr><tr><td>发文机关：</td><td>南京海关</td></tr></table>")
    assert parse_metadata(html, RULES) == {"发布日期": "2021-05-10", "文号": "", "发布机构": "南京海关"}


def test_gbk_decoded_page():
    raw = "<p>发文机关：南京海关</p><p>文号：宁关〔2021〕1号</p>".encode("gbk")
    assert parse_metadata(raw.decode("gbk"), RULES) == {"发布机构": "南京海关", "文号": "宁关〔2021〕1号"}


def test_prose_is_not_metadata():
    assert parse_metadata("<p>根据有关规定，本公告具有法律效力：自发布之日起施行。</p>", RULES) == {}


def test_complete_metadata_has_no_finding():
    assert metadata_findings("nanjing", URL, "公告", parse_metadata(TABLE, RULES), RULES, True) == []


def test_missing_fields_listed_index_number_optional():
    metadata = {"发布机构": "南京海关", "发布日期": "2021-05-10", "文号": ""}
    [finding] = metadata_findings("nanjing", URL, "公告", metadata, RULES, False)
    assert finding.check == "missing_metadata"
    assert finding.page_url == URL
    assert "文号" in finding.detail and "有效性" in finding.detail and "索引号" not in finding.detail


@pytest.mark.parametrize("validity", ["失效", "已废止", "已失效"])
def test_invalid_document_in_a_current_column(validity):
    metadata = {"文号": "宁关规〔2019〕1号", "发布机构": "南京海关", "发布日期": "2019-05-10", "有效性": validity}
    [finding] = metadata_findings("nanjing", URL, "南京海关关于调整报关业务办理时间的公告", metadata, RULES, True)
    assert finding.check == "invalid_document"
    assert "南京海关关于调整报关业务办理时间的公告" in finding.detail and validity in finding.detail


@pytest.mark.parametrize("validity, listed", [("失效", False), ("有效", True), ("部分失效", True), ("已修改", True)])
def test_not_invalid_documents(validity, listed):
    metadata = {"文号": "1号", "发布机构": "南京海关", "发布日期": "2019-05-10", "有效性": validity}
    assert metadata_findings("nanjing", URL, "公告", metadata, RULES, listed) == []


def test_current_column_names():
    assert is_current_column("现行有效规范性文件", RULES)
    assert is_current_column("现行 有效 的规范性文件", RULES)
    assert not is_current_column("规范性文件", RULES)


def test_synonyms_from_an_override():
    rules = load_rules({"metadata": {"fields": [{"name": "文号", "labels": ["公告号"], "required": True}]}})
    assert parse_metadata("<p>公告号：2021年第5号</p>", rules) == {"文号": "2021年第5号"}


@given(st.lists(st.sampled_from(["<table><tr><td>", "</td><td>", "文　　号", "：", "【效力】", "<br>", "发布机构:",
                                 "\x00", "<p>", "失效", "&nbsp;"]) | st.text(max_size=6), max_size=30))
def test_parse_metadata_never_raises(parts):
    result = parse_metadata("".join(parts), RULES)
    assert set(result) <= {f.canonical for f in RULES.metadata_fields}

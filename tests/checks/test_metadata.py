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
    assert metadata_findings("nanjing", URL, "公告", parse_metadata(TABLE, RULES), RULES, "规范性文件", "现行有效规范性文件") == []


def test_missing_fields_listed_index_number_optional():
    metadata = {"发布机构": "南京海关", "发布日期": "2021-05-10", "文号": ""}
    [finding] = metadata_findings("nanjing", URL, "公告", metadata, RULES, "规范性文件", "规范性文件")
    assert finding.check == "missing_metadata"
    assert finding.page_url == URL
    assert "文号" in finding.detail and "有效性" in finding.detail and "索引号" not in finding.detail


def test_items_of_disclosed_content_need_agency_and_date_only():
    """A 法定主动公开内容 item (a notice, a statistics release) has no 文号 nor 效力 to show."""
    assert metadata_findings("nanjing", URL, "公告", {"发布机构": "统计分析司", "发布日期": "2026-08-07"}, RULES,
                             "法定主动公开内容", "法定主动公开内容") == []
    [finding] = metadata_findings("nanjing", URL, "公告", {"发布日期": "2026-08-07", "文号": ""}, RULES,
                                  "法定主动公开内容", "法定主动公开内容")
    assert finding.detail == "缺少核心元数据：发布机构"


@pytest.mark.parametrize("section", ["政府信息公开年报", "工作动态", "政府信息公开指南", "不在规则中的栏目"])
def test_items_of_reports_news_and_other_sections_are_never_judged(section):
    assert metadata_findings("nanjing", URL, "南京海关2025年政府信息公开工作年度报告", {}, RULES, section, section) == []


@pytest.mark.parametrize("validity", ["失效", "已废止", "已失效", "已修改"])
def test_invalid_document_in_a_current_column(validity):
    metadata = {"文号": "宁关规〔2019〕1号", "发布机构": "南京海关", "发布日期": "2019-05-10", "有效性": validity}
    [finding] = metadata_findings("nanjing", URL, "南京海关关于调整报关业务办理时间的公告", metadata, RULES,
                                  "规范性文件", "现行有效规范性文件")
    assert finding.check == "invalid_document"
    assert "南京海关关于调整报关业务办理时间的公告" in finding.detail and validity in finding.detail


@pytest.mark.parametrize("validity, column", [("失效", "规范性文件"), ("有效", "现行有效规范性文件"),
                                              ("部分失效", "现行有效规范性文件")])
def test_not_invalid_documents(validity, column):
    metadata = {"文号": "1号", "发布机构": "南京海关", "发布日期": "2019-05-10", "有效性": validity}
    assert metadata_findings("nanjing", URL, "公告", metadata, RULES, "规范性文件", column) == []


# The 海关法规 database's item page: each field a block with a 【label】 span (two full-width
# spaces in 文号), 效力 possibly empty, 效力说明 a field of its own.
HGFG = """<html><head><title>海关总署公告2024年第151号</title></head><body>
<div class="easysite-news-title"><h2>关于发布《海关进出口货物减免税管理办法》的公告</h2></div>
<div id="hgfg_con">
 <div class="hgfg_list"><span>【法规类型】</span>海关规范性文件</div>
 <div class="hgfg_list"><span>【内容类别】</span>
   海关监管 </div>
 <div class="hgfg_list"><span>【文　　号】</span>公告〔2024〕151号</div>
 <div class="hgfg_list"><span>【发文机关】</span>海关总署 农业农村部</div>
 <div class="hgfg_list"><span>【发布日期】</span>2024-10-12</div>
 <div class="hgfg_list"><span>【生效日期】</span>2024-11-01</div>
 <div class="hgfg_list"><span>【效力】</span>{validity}</div>
 <div class="hgfg_list"><span>【效力说明】</span>{note}</div>
</div>
<div id="easysiteText"><p>为规范减免税管理，现发布本公告。</p></div></body></html>"""


def test_customs_regulation_blocks():
    assert parse_metadata(HGFG.format(validity="有效", note=""), RULES) == {
        "文号": "公告〔2024〕151号", "发布机构": "海关总署 农业农村部", "发布日期": "2024-10-12", "有效性": "有效"}


def test_empty_validity_block_does_not_take_the_next_label_as_its_value():
    metadata = parse_metadata(HGFG.format(validity="", note="现行有效"), RULES)
    assert metadata["有效性"] == ""
    [finding] = metadata_findings("nanjing", URL, "公告", metadata, RULES, "规范性文件", "规范性文件")
    assert finding.detail == "缺少核心元数据：有效性"


def test_amended_regulation_in_a_current_list_is_invalid():
    metadata = parse_metadata(HGFG.format(validity="已修改", note="被海关总署令第273号修改"), RULES)
    [finding] = metadata_findings("nanjing", URL, "公告", metadata, RULES, "规范性文件", "现行有效规范性文件")
    assert finding.check == "invalid_document" and "已修改" in finding.detail


# The 2025 templates' item page: <meta> tags, then 发布时间/文章来源 spans in one line, no table.
ITEM_2025 = """<html><head><meta charset="utf-8">
<meta name="ArticleTitle" content="2026年7月全国进出口情况">
{metas}
<title>2026年7月全国进出口情况</title></head><body>
<div class="news_detail"><h1>2026年7月全国进出口情况</h1>
<div class="func"><span>{line}</span></div>
<div class="news_con"><p>据海关统计，今年前7个月，我国货物贸易进出口总值同比增长。</p></div></div></body></html>"""
METAS = ('<meta name="PubDate" content="2026-08-07"><meta name="ContentSource" content="统计分析司">'
         '<meta name="createDate" content="2026-08-07 10:30:00">')


def test_2025_item_page_line_of_time_and_source():
    html = ITEM_2025.format(metas="", line="发布时间：2026-08-07 10:30</span>　<span>文章来源：统计分析司")
    assert parse_metadata(html, RULES) == {"发布日期": "2026-08-07", "发布机构": "统计分析司"}
    html = ITEM_2025.format(metas="", line="发布时间：2026-08-07 10:30　信息来源：南京海关　浏览次数：12")
    assert parse_metadata(html, RULES) == {"发布日期": "2026-08-07", "发布机构": "南京海关"}


def test_2025_item_page_meta_tags_give_what_the_page_does_not_show():
    html = ITEM_2025.format(metas=METAS, line="字号：大 中 小")
    assert parse_metadata(html, RULES) == {"发布日期": "2026-08-07", "发布机构": "统计分析司"}
    # createDate when there is no PubDate; a value the page shows wins over the tags
    html = ITEM_2025.format(metas='<meta name="createDate" content="2026-08-06 09:00:00">'
                                  '<meta name="ContentSource" content="统计分析司">', line="文章来源：南京海关")
    assert parse_metadata(html, RULES) == {"发布机构": "南京海关", "发布日期": "2026-08-06 09:00:00"}


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

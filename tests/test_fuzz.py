"""Fuzzing: properties of what reads hostile pages and what writes their text.

Link extraction, URL canonicalisation, date, metadata and list-page parsing never raise on any
input; canonicalisation is idempotent; the report writers keep every crawled string as text (the
CSV round-trips it once the neutralising quote is removed, the HTML never turns it into markup or
a script link, the xlsx never into a formula); malformed configuration only ever raises the
one-line errors the command line prints. Strategies mix free text with the pieces that make each
parser's life hard; surrogates are left out because text decoded from bytes never holds one.
"""
import csv
import datetime as dt
import html
import io
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from checks.dates import item_date, parse_dates, remove_dates
from checks.facts import MALFORMED
from checks.findings import Finding
from checks.metadata import parse_metadata
from checks.regulations import LibraryError, load_library
from checks.rules import RulesError, load_rules
from checks.paging import MAX_LIST_PAGES, is_pager_link
from checks.sections import parse_list_page
from crawler.sites import ConfigError, Unit, load_sites
from crawler.crawl.links import canonical_url, extract_links, is_trap_path, link_kind
from crawler.outcome.model import Seen, UnitReport
from crawler.report.csv import csv_bytes
from crawler.report.html import index_html
from crawler.report.rows import FORMULA_PREFIXES

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
RULES = load_rules()
TODAY = dt.date(2026, 6, 15)

# Text as decoded pages hold it: any character but lone surrogates.
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=60)

# --- strategies -------------------------------------------------------------------------------

URL_PIECES = st.sampled_from(
    ["http://", "https://", "HTTP://", "ftp://", "file:///", "javascript:", "data:", "mailto:", "//", "/", "\\",
     "..", ".", "%2e", "%2E%2e", "%", "%zz", "%00", "?", "&", "=", "#", ";jsessionid=AB12", "PHPSESSID=9",
     "sid=", "@", "user:pw@", ":", ":80", ":443", ":99999", ":0", "[", "]", "[::1]", "127.0.0.1", "example.gov.cn",
     "海关", "政府信息公开", " ", "\t", "\n", "\x00", "\x7f", "\u3000", "\ufeff", "a", "B", "0", "index.html",
     "list_2.html", "../../", "./", "~", "+", "'", '"', "<", ">"]
)
URLISH = st.one_of(TEXT, st.lists(URL_PIECES, max_size=20).map("".join))
ENCODINGS = st.sampled_from(["utf-8", "gbk", "gb18030", "gb2312", "latin-1", "shift_jis", "utf-16", "no-such", ""])
TAGS = ["a", "area", "img", "link", "script", "iframe", "frame", "base", "div", "span", "form", "table", "td",
        "p", "li", "title", "h1", "meta", "style", "noscript", "template", "svg", "math"]


@st.composite
def html_documents(draw) -> str:
    """Markup built from elements with hostile attributes and text, broken at random places."""
    parts = []
    for _ in range(draw(st.integers(0, 25))):
        choice = draw(st.integers(0, 5))
        tag = draw(st.sampled_from(TAGS))
        if choice <= 2:
            attribute = draw(st.sampled_from(["href", "src", "alt", "title", "charset", "http-equiv", "content"]))
            quote = draw(st.sampled_from(['"', "'", ""]))
            parts.append(f"<{tag} {attribute}={quote}{draw(URLISH)}{quote}>{draw(TEXT)}")
            if draw(st.booleans()):
                parts.append(f"</{tag}>")
        elif choice == 3:
            parts.append(draw(st.sampled_from(["<!--", "-->", "<![CDATA[", "]]>", "<!DOCTYPE", "<?xml ?>", "</",
                                               "<", ">", "&", "&#0;", "&#x110000;", "&amp", "\x00", "\ufffd"])))
        else:
            parts.append(draw(TEXT))
    return "".join(parts)


HTML = st.one_of(TEXT, html_documents(), html_documents().map(lambda doc: "<span>" * 3000 + doc))
PAGE_URLS = st.one_of(st.sampled_from(["http://www.customs.gov.cn/a/b/index.html", "https://海关.中国/列表/",
                                       "http://127.0.0.1:8080/?q=1#x"]), URLISH)

# --- link extraction and canonical URLs -------------------------------------------------------


@FUZZ
@given(HTML, PAGE_URLS, ENCODINGS)
def test_extract_links_never_raises_and_yields_only_requestable_urls(document, page_url, encoding):
    for link in extract_links(document, page_url, encoding):
        if link.kind == MALFORMED:  # written so that no browser can follow it: reported as written, never requested
            assert link.url
            continue
        assert re.match(r"https?://", link.url)
        assert "#" not in link.url
        assert not re.search(r"[\x00-\x20\x7f]", link.url), link.url  # encoded, as a browser sends it
        assert link.kind == link_kind(link.url, link.tag)
        assert canonical_url(canonical_url(link.url)) == canonical_url(link.url)
        is_pager_link(link.text, link.url, page_url)
        is_trap_path(link.url)


SEGMENTS = st.text("abcxyz0123456789-_", min_size=1, max_size=8)


@FUZZ
@given(st.lists(st.tuples(st.lists(SEGMENTS, min_size=1, max_size=4), st.text("海关公开通知一二三", min_size=1, max_size=6)),
                min_size=1, max_size=30),
       st.sampled_from(["<div>", "<p>", "<span>", "<td>", "<form>", "<table><tr><td>", ""]))
def test_every_plain_link_is_found_in_order_whatever_wraps_it(links, wrapper):
    page = "http://www.customs.gov.cn/col/index.html"
    document = "".join(f'{wrapper}<a href="/{"/".join(path)}.html">{text}</a>' for path, text in links)
    found = [(link.url, link.text) for link in extract_links(document, page)]
    expected = list(dict.fromkeys(
        (f'http://www.customs.gov.cn/{"/".join(path)}.html', text) for path, text in links))
    assert found == expected


@FUZZ
@given(URLISH)
def test_canonical_url_is_total_and_idempotent(url):
    canonical = canonical_url(url)
    assert canonical_url(canonical) == canonical
    is_trap_path(url)


@FUZZ
@given(st.sampled_from(["http", "https", "HTTP", "Https"]), st.sampled_from(["www.customs.gov.cn", "WWW.Customs.GOV.cn"]),
       st.sampled_from(["", ":80", ":443", ":8080"]), st.lists(SEGMENTS, max_size=4),
       st.lists(st.tuples(SEGMENTS, SEGMENTS), max_size=4), st.sampled_from(["", "#top", "#"]))
def test_canonical_url_equates_spellings_of_one_resource(scheme, host, port, path, query, fragment):
    url = f"{scheme}://{host}{port}/{'/'.join(path)}"
    pairs = [f"{key}={value}" for key, value in query]
    spelled = url + ("?" + "&".join(pairs) if pairs else "") + fragment
    reordered = url + ("?" + "&".join(reversed(pairs)) if pairs else "")
    assert canonical_url(spelled) == canonical_url(reordered)
    assert canonical_url(spelled).startswith(scheme.lower() + "://www.customs.gov.cn")


# --- dates ------------------------------------------------------------------------------------

DAYS = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31))
DATE_NOISE = st.one_of(TEXT, st.lists(st.sampled_from(
    ["年", "月", "日", "号", "-", "/", ".", "〔", "〕", "第", "二〇二一", "十二", "三十一", "〇", "2021", "05", "5",
     "31", "13", "00", " ", "\u3000", "：", "[", "]", "2021-", "-05-", "１２"]), max_size=15).map("".join))


@FUZZ
@given(DATE_NOISE, st.one_of(st.none(), st.integers(-5, 10_000)), st.one_of(st.none(), DAYS))
def test_date_parsing_never_raises(text, context_year, today):
    for day in parse_dates(text, context_year, today):
        assert isinstance(day, dt.date)
    item_date(text, context_year, today)
    remove_dates(text)


@FUZZ
@given(DAYS, DATE_NOISE, DATE_NOISE, st.sampled_from(["{:%Y-%m-%d}", "{d.year}/{d.month}/{d.day}",
                                                       "{d.year}年{d.month}月{d.day}日", "{:%Y.%m.%d}"]))
def test_a_written_date_survives_any_surrounding_text(day, before, after, form):
    written = form.format(day, d=day)
    assert day in parse_dates(f"{before}。{written}。{after}")


# --- metadata and list pages ------------------------------------------------------------------

METADATA_PIECES = st.one_of(TEXT, st.sampled_from(
    ["<table><tr><td>", "</td><td>", "</tr>", "文　　号", "文号", "发布机构", "发布日期", "有效性", "效力", "【", "】",
     "：", ":", "<br>", "<p>", "</p>", "\x00", "&nbsp;", "失效", "现行有效", "\u3000", "<script>", "</script>"]))


@FUZZ
@given(st.lists(METADATA_PIECES, max_size=40).map("".join))
def test_parse_metadata_never_raises(document):
    result = parse_metadata(document, RULES)
    assert set(result) <= {field.canonical for field in RULES.metadata_fields}
    assert all(isinstance(value, str) and "\n" not in value for value in result.values())


VALUES = st.text("海关署令第号〔〕现行失效0123456789年月日", min_size=1, max_size=12)


@FUZZ
@given(st.lists(VALUES, min_size=4, max_size=4), st.sampled_from(["table", "lines", "brackets"]))
def test_metadata_values_are_read_back_in_every_layout(values, layout):
    fields = [field for field in RULES.metadata_fields if field.required][:4]
    pairs = list(zip((field.labels[0] for field in fields), values))
    if layout == "table":
        document = "<table>" + "".join(f"<tr><td>{label}</td><td>{value}</td></tr>" for label, value in pairs) + "</table>"
    elif layout == "lines":
        document = "".join(f"<p>{label}：{value}</p>" for label, value in pairs)
    else:
        document = "<p>" + " ".join(f"【{label}】{value}" for label, value in pairs) + "</p>"
    result = parse_metadata(document, RULES)
    assert {field.canonical: result.get(field.canonical) for field in fields} == {
        field.canonical: value for field, value in zip(fields, values)}


LIST_PIECES = st.one_of(TEXT, st.sampled_from(
    ['<ul class="list">', "</ul>", "<li>", "</li>", '<a href="', '">', "</a>", "<span>2026-05-01</span>", "[05-10]",
     '<div class="page">', "下一页", "尾页", "共 100000000 页", "第 3/99999999 页", '<base href="file:///etc/">',
     '<script>createPageHTML(99999999, 0, "index", "html");</script>', 'totalpage="2147483647"',
     "index_2.html", "passwd", "javascript:go(2)", 'onclick="location=\'list_5.html\'"', "暂无信息"]))


@FUZZ
@given(st.lists(LIST_PIECES, max_size=40).map("".join),
       st.sampled_from(["http://www.customs.gov.cn/col/index.html", "http://www.customs.gov.cn/col/list_3.html"]))
def test_list_pages_are_bounded_and_only_web_urls(document, url):
    page = parse_list_page(document, url, TODAY)
    assert len(page.pages) + len(page.predicted) <= MAX_LIST_PAGES
    for target in page.pages + list(page.predicted.values()) + [item.url for item in page.items]:
        assert re.match(r"https?://", target), target


def test_a_planted_file_base_never_yields_list_pages_or_items():
    # Regression: <base href="file:///etc/"> made the pager's "下一页" file:///etc/passwd, a
    # page the spider then requested through Scrapy's file handler.
    document = ('<html><head><base href="file:///etc/"></head><body><ul class="list">'
                '<li><a href="a.html">通知一</a><span>2026-05-01</span></li>'
                '<li><a href="b.html">通知二</a><span>2026-05-02</span></li></ul>'
                '<div class="page"><a href="passwd">下一页</a><span>共 3 页</span></div></body></html>')
    page = parse_list_page(document, "http://www.customs.gov.cn/list/index.html", TODAY)
    assert page.pages == [] and page.items == [] and page.predicted == {}


@pytest.mark.parametrize("pager", ["<div class=\"page\">共 100000000 页 <a href=\"index_1.html\">下一页</a></div>",
                                   '<script>createPageHTML(100000000, 0, "index", "html");</script>'])
def test_a_stated_page_count_is_capped(pager):
    # Regression: "共 100000000 页" built a hundred million URLs (minutes, gigabytes).
    document = f'<ul class="list"><li><a href="/a.html">通知一</a><span>2026-05-01</span></li></ul>{pager}'
    page = parse_list_page(document, "http://www.customs.gov.cn/list/index.html", TODAY)
    # every page but the current one, up to the cap: linked, or predicted from the linked one's number
    assert len(page.pages) + len(page.predicted) == MAX_LIST_PAGES - 1
    assert page.total_pages == 100_000_000  # the page's own claim is kept


# --- the report writers -----------------------------------------------------------------------

CELLS = st.one_of(TEXT, st.sampled_from(["=HYPERLINK(\"http://x\",\"y\")", "+1+1", "-2", "@SUM(A1)", "\t=1", "\r=1",
                                         "'=1", "=", "\n=1", "a,b", '"quoted"', "\x00", "\u2028", "\ufeff=1"]),
                 st.integers())


@FUZZ
@given(st.lists(st.lists(CELLS, min_size=1, max_size=6), max_size=6))
def test_csv_round_trips_every_cell_once_the_neutralising_quote_is_removed(rows):
    data = csv_bytes(["a"], rows)
    assert data.startswith(b"\xef\xbb\xbf")
    read = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert read[0] == ["a"]
    assert len(read) == len(rows) + 1
    for written, cells in zip(read[1:], rows):
        for cell, original in zip(written, cells):
            text = str(original)
            assert not cell.startswith(FORMULA_PREFIXES)
            if text.startswith(FORMULA_PREFIXES):
                assert cell == "'" + text
            else:
                assert cell == text


def report_with(text: str, url: str):
    """One unit's report whose every crawled field holds the fuzzed text or URL."""
    unit = Unit(id="hostile", name=text or "单位", url="http://www.customs.gov.cn/", disclosure_url=None,
                scope="site", max_depth=4, max_pages=10)
    finding = Finding("hostile", "broken_link", page_url=url, detail=text, target_url=url, link_text=text,
                      http_status=404)
    return UnitReport(unit=unit, findings=[finding], pages_crawled=1, links_checked=1, crawl_complete=True,
                      crawl_notes=text, reachable=True, stats={"ipv6_verdict": "pass"},
                      rows=[Seen(finding, "0123456789abcdef", "2026-06-15", "new")])


class _Markup(HTMLParser):
    """What a browser would make of the report: elements, link targets, event handlers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.hrefs: list[str] = []
        self.handlers: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.hrefs += [value or "" for name, value in attrs if name in ("href", "src", "action", "formaction")]
        self.handlers += [name for name, _ in attrs if name.startswith("on")]


HOSTILE_URLS = st.one_of(URLISH, st.sampled_from(
    ["javascript:alert(document.cookie)", " JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
     'http://x/"><script>alert(1)</script>', "http://x/' onmouseover='alert(1)", "vbscript:msgbox(1)"]))
HOSTILE_TEXT = st.one_of(TEXT, st.sampled_from(["<script>alert(1)</script>", "<img src=x onerror=alert(1)>",
                                                "</td></tr></table><iframe src=//evil>", "&lt;script&gt;", "]]>",
                                                "<!--", "<svg onload=alert(1)>"]))


@FUZZ
@given(HOSTILE_TEXT, HOSTILE_URLS)
def test_html_report_shows_crawled_text_and_urls_only_as_text(text, url):
    clean = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", text)
    page = "".join(index_html([report_with(text, url)], {"run_id": "20260615-000000", "today": "2026-06-15"}))
    markup = _Markup()
    markup.feed(page)
    markup.close()
    baseline = _Markup()
    baseline.feed("".join(index_html([report_with("正文", "http://www.customs.gov.cn/x")],
                                     {"run_id": "20260615-000000", "today": "2026-06-15"})))
    assert sorted(set(markup.tags)) == sorted(set(baseline.tags)), "crawled text became markup"
    assert not markup.handlers
    for href in markup.hrefs:
        assert not re.match(r"\s*(javascript|data|vbscript):", href, re.I), href
    shown = html.unescape(page)
    assert text in shown or clean in shown, "the crawled text must still be shown, as text"


@settings(max_examples=40, deadline=None)
@given(HOSTILE_TEXT.filter(lambda t: t.strip()), HOSTILE_URLS)
def test_xlsx_cells_are_strings_never_formulas(text, url):
    openpyxl = pytest.importorskip("openpyxl")
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    from crawler.report.xlsx import findings_xlsx

    written = io.BytesIO()
    findings_xlsx(written, [report_with(text, url)])
    workbook = openpyxl.load_workbook(io.BytesIO(written.getvalue()))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
    values = {cell.value for row in workbook.worksheets[1].iter_rows(min_row=2) for cell in row}
    expected = ILLEGAL_CHARACTERS_RE.sub("", text)  # xlsx forbids control characters: dropped
    assume(expected.strip())
    assert expected in values


# --- configuration files ----------------------------------------------------------------------

YAML_PIECES = st.sampled_from(
    ["units:", "defaults:", "rules:", "\n", "  ", "- ", "id: ", "name: ", "url: ", "scope: ", "max_pages: ",
     "max_depth: ", "disclosure_url: ", "nanjing", "南京海关", "http://a.cn/", "ftp://a.cn/", "site", "disclosure",
     "0", "-1", "3000", "yes", "~", "[", "]", "{", "}", ":", ",", "'", '"', "&a", "*a", "!!python/object:os.system",
     "!!binary", "%YAML 1.1", "---", "...", "#", "\t", "\x07", "\ufeff", "? ", "|", ">", "thresholds:", "sections:"])


@FUZZ
@given(st.one_of(TEXT, st.lists(YAML_PIECES, max_size=40).map("".join)))
def test_any_sites_file_loads_or_fails_with_one_line_naming_the_file(tmp_path_factory, text):
    path = tmp_path_factory.mktemp("sites") / "sites.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        config = load_sites(path)
    except ConfigError as error:
        message = str(error)
        assert message.startswith(f"{path}:") and "\n" not in message
        return
    assert config.units and all(re.fullmatch(r"[a-z0-9_-]+", unit.id) for unit in config.units)


OVERRIDE_VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), TEXT),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.sampled_from(["name", "kind", "variants", "stale_after_days",
                                                                "required", "labels", "x"]), children, max_size=3)),
    max_leaves=10,
)
RULE_KEYS = st.sampled_from(["sections", "news_columns", "metadata", "annual_report", "wrong_link",
                             "ipv6_link_share_threshold", "news_stale_days", "thresholds", "fields"])


@FUZZ
@given(st.one_of(OVERRIDE_VALUES, st.dictionaries(RULE_KEYS, OVERRIDE_VALUES, max_size=3)))
def test_any_rules_override_is_used_or_refused_in_one_line(override):
    try:
        load_rules(override)
    except RulesError as error:
        assert "\n" not in str(error)


FRONT_MATTER = st.lists(st.sampled_from(
    ["---\n", "title: 中华人民共和国海关法\n", "title: [\n", "version: 2017-11-04\n", "version: 2017-13-40\n",
     "version: yes\n", "status: current\n", "status: superseded\n", "status: maybe\n", "repealed_on: 2020-01-01\n",
     "replaced_by: 关税法\n", "source: 主席令\n", "extra: 1\n", "第一条 为了维护国家的主权和利益，制定本法。\n",
     "第二条\n", "\n", "- a\n", ": :\n", "\ufeff", "\x00"]), max_size=14).map("".join)


@FUZZ
@given(st.one_of(TEXT, FRONT_MATTER))
def test_any_regulation_file_loads_or_fails_with_file_and_line(tmp_path_factory, text):
    directory = tmp_path_factory.mktemp("library")
    path = directory / "regulation.md"
    path.write_text(text, encoding="utf-8")
    try:
        load_library(directory)
    except LibraryError as error:
        message = str(error)
        assert re.match(rf"{re.escape(str(path))}:\d+: ", message) and "\n" not in message, message


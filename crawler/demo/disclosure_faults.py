"""Faults of the disclosure column: sections, item metadata and wrong links.

Planted: a unit without 规范性文件, an empty section (a list showing nothing but its location
trail; a system section that is an empty list saying 暂无信息), a stale one, a unit without last
year's annual report, items lacking the core metadata their section demands, a repealed document
in a 现行有效 column, and a wrong link of each kind (another unit's site, an unrelated title, a
parked domain, a gambling site). Look-alikes that must not be flagged: a guide that is one article
beneath a location trail, section names in variant forms and as block headings, a list whose
entries begin on its page 2, a list exactly as old as the threshold, metadata as a table or as
`label：value` lines, a notice without 文号 (only 规范性文件 need one), an annual report without
metadata, a partly repealed document in a 现行有效 column, a repealed one outside it, a link naming
the unit it lands on, a long link text whose target title is a close paraphrase, and a customs
news item about seized gambling equipment.

Thresholds come from the rules the checks use (`checks/rules.yaml`), so the two cannot drift.
Section faults are planted before the lists are built (they change what the lists hold), link
faults after.
"""
from __future__ import annotations

from datetime import timedelta

from checks.rules import Rules
from crawler.demo.sites import GOV_HOST, LIST_KEYS, ExternalSite, Site, UnitSite
from crawler.demo.truth import Truth

# The canonical names of the sections (rules.yaml), by the key the sites use.
CANONICAL = {"guide": "政府信息公开指南", "system": "政府信息公开制度", "notices": "法定主动公开内容",
             "reports": "政府信息公开年报", "norms": "规范性文件"}

PARKED_HOST = "www.cbca-demo.test"  # the former site of an association: its domain is for sale
GAMBLING_HOST = "www.kouan-fuwu-demo.test"  # a lapsed service domain, now a gambling site
STALE_BY_DAYS = 27  # how far past its threshold the stale section's newest item is


def external_sites(port: int) -> list[ExternalSite]:
    """The parked domain (every path answers the for-sale page, as parking services do) and the
    gambling site (a real site of its own: unknown paths are 404)."""
    parked = ExternalSite(PARKED_HOST, port, PARKED_HOST)
    parked.vhost.not_found = parked.html(parked.document(
        f"{PARKED_HOST} 此域名可出售",
        f"<div class=\"sale\"><h1>{PARKED_HOST}</h1><p>此域名可出售，欢迎洽谈。</p><p>域名转让请联系域名经纪人。</p></div>",
    ))
    gambling = ExternalSite(GAMBLING_HOST, port, "威尼斯人娱乐城")
    gambling.add_text_page("/", "威尼斯人娱乐城-百家乐-真人荷官在线", "百家乐、真人荷官、老虎机，注册即送彩金。")
    return [parked, gambling]


def plant_before_lists(sites: dict[str, UnitSite], truth: Truth, rules: Rules) -> None:
    _stale_notices(sites["guangzhou"], truth, rules)
    _without_last_annual_report(sites["guangzhou"], truth, rules)
    _at_the_threshold(sites["qingdao"], truth, rules)
    _reports_from_page_two(sites["qingdao"], truth)
    _section_faults_by_design(sites, truth)
    _metadata(sites, truth)
    _validity(sites, truth)


def plant_after_lists(sites: dict[str, UnitSite], gov: Site, truth: Truth) -> None:
    _other_unit_links(sites["nanjing"], sites["hangzhou"], truth)
    _unrelated_titles(sites["guangzhou"], gov, truth)
    _hijacked_domains(sites["shenzhen"], truth)
    _gambling_case_news(sites["nanjing"], truth)


# --- sections -----------------------------------------------------------------------------------

def _stale_notices(site: UnitSite, truth: Truth, rules: Rules) -> None:
    threshold = rules.section(CANONICAL["notices"]).stale_after_days
    newest = site.today - timedelta(days=threshold + STALE_BY_DAYS)
    for i, item in enumerate(site.items["notices"]):
        site.redate(item, newest - timedelta(days=3 * i))
    truth.finding(site.spec.id, "stale_section", site.url(site.section_paths["notices"]), "stale",
                  [CANONICAL["notices"], newest.isoformat(), str(threshold)])


def _without_last_annual_report(site: UnitSite, truth: Truth, rules: Rules) -> None:
    year = site.today.year - 1
    report = next(item for item in site.items["reports"] if f"{year}年" in item.title)
    site.remove_item("reports", report)
    # Before the due date the report may still be missing (docs/checks.md).
    if site.today > rules.annual_report.due(site.today.year):
        truth.finding(site.spec.id, "missing_section", site.url(site.column), "annual_report_missing",
                      [CANONICAL["reports"], str(year)])


def _at_the_threshold(site: UnitSite, truth: Truth, rules: Rules) -> None:
    """Newest item exactly as old as the threshold allows: not stale yet."""
    threshold = rules.section(CANONICAL["norms"]).stale_after_days
    for i, item in enumerate(site.items["norms"]):
        site.redate(item, site.today - timedelta(days=threshold + 3 * i))
    truth.page_ok(site.spec.id, "stale_section", site.url(site.section_paths["norms"]), "stale_threshold_boundary")


def _reports_from_page_two(site: UnitSite, truth: Truth) -> None:
    site.first_page_empty.add("reports")
    truth.page_ok(site.spec.id, "empty_section", site.url(site.section_paths["reports"]), "items_from_page_2")
    truth.page_ok(site.spec.id, "missing_section", site.url(site.column), "annual_report_on_page_2",
                  section=CANONICAL["reports"])


def _section_faults_by_design(sites: dict[str, UnitSite], truth: Truth) -> None:
    """The faults and look-alikes a unit's spec already makes: a section left out, an empty one,
    names in variant forms."""
    for site in sites.values():
        spec, column = site.spec, site.url(site.column)
        for key in ("guide", "system", "notices", "reports", "norms"):
            if key not in spec.sections:
                truth.finding(spec.id, "missing_section", column, "section_missing", [CANONICAL[key]])
            elif key in spec.empty_sections:
                # an empty list beneath a location trail, or an empty guide or system section
                fault = ("section_empty" if key in LIST_KEYS and not spec.breadcrumb
                         else "section_empty_under_breadcrumb" if key in LIST_KEYS else "article_section_empty")
                truth.finding(spec.id, "empty_section", site.url(site.section_paths[key]), fault, [CANONICAL[key]])
            elif spec.breadcrumb and key not in LIST_KEYS:
                truth.page_ok(spec.id, "empty_section", site.url(site.section_paths[key]), "article_under_breadcrumb")
            elif spec.sections[key] != CANONICAL[key]:
                truth.page_ok(spec.id, "missing_section", column, "variant_section_name", section=CANONICAL[key])
        if spec.column_layout == "blocks":
            truth.page_ok(spec.id, "missing_section", column, "sections_as_block_headings")


# --- item metadata and validity ---------------------------------------------------------------

_FIELD_NAMES = {"number": "文号", "agency": "发布机构", "date": "发布日期", "validity": "有效性"}


def _metadata(sites: dict[str, UnitSite], truth: Truth) -> None:
    """Items lacking the metadata their section demands (all four fields on 规范性文件, 发布机构 and
    发布日期 on 法定主动公开内容), and items that lack what their section does not demand."""
    nanjing = sites["nanjing"]
    blank_number, no_validity = nanjing.items["norms"][4:6]
    no_number_nor_validity, no_agency, no_date_nor_validity = nanjing.items["notices"][3:6]
    blank_number.blank.add("number")  # the 文号 label stands without a number
    no_validity.omitted.add("validity")
    no_agency.omitted.add("agency")
    no_date_nor_validity.omitted.update({"date", "validity"})  # its 生效日期 stays: no publication date
    for item, fields in ((blank_number, ["number"]), (no_validity, ["validity"]), (no_agency, ["agency"]),
                         (no_date_nor_validity, ["date"])):
        truth.finding("nanjing", "missing_metadata", nanjing.url(item.path),
                      "metadata_blank" if item.blank else "metadata_omitted", [_FIELD_NAMES[f] for f in fields])
    # a notice carries no 文号 nor 效力 of necessity; an annual report is not judged at all
    no_number_nor_validity.omitted.update({"number", "validity"})
    truth.page_ok("nanjing", "missing_metadata", nanjing.url(no_number_nor_validity.path), "notice_needs_agency_and_date_only")
    report = nanjing.items["reports"][0]
    report.omitted.update(_FIELD_NAMES)
    truth.page_ok("nanjing", "missing_metadata", nanjing.url(report.path), "annual_report_not_judged")
    for unit, key, case in (("nanjing", "norms", "metadata_spaced_labels"), ("guangzhou", "norms", "metadata_table"),
                            ("shenzhen", "notices", "metadata_colon_lines")):
        site = sites[unit]
        truth.page_ok(unit, "missing_metadata", site.url(site.items[key][0].path), case)


def _validity(sites: dict[str, UnitSite], truth: Truth) -> None:
    hangzhou = sites["hangzhou"]  # its 现行有效规范性文件 column lists documents in force
    repealed, partly = hangzhou.items["norms"][2], hangzhou.items["norms"][3]
    repealed.validity, partly.validity = "已废止", "部分失效"
    truth.finding("hangzhou", "invalid_document", hangzhou.url(repealed.path), "repealed_document_listed",
                  [repealed.title, repealed.validity])
    truth.page_ok("hangzhou", "invalid_document", hangzhou.url(partly.path), "partly_invalid_in_current_column")
    nanjing = sites["nanjing"]  # its column is named 规范性文件: no promise that all are in force
    expired = nanjing.items["norms"][7]
    expired.validity = "失效"
    truth.page_ok("nanjing", "invalid_document", nanjing.url(expired.path), "invalid_outside_current_column")


# --- wrong links --------------------------------------------------------------------------------

def _other_unit_links(nanjing: UnitSite, hangzhou: UnitSite, truth: Truth) -> None:
    page = nanjing.items["notices"][2].path
    truth.fault(nanjing, page, hangzhou.url(hangzhou.section_paths["reports"]), "南京海关政府信息公开年报",
                "wrong_link", "other_unit")
    # The text says where it goes: a link to a sister unit, not a wrong one.
    truth.ok(nanjing, page, hangzhou.url(hangzhou.section_paths["guide"]), "杭州海关政府信息公开指南", "other_unit_named")


def _unrelated_titles(site: UnitSite, gov: Site, truth: Truth) -> None:
    page = site.items["notices"][1].path
    truth.fault(site, page, site.interact_path, "跨境电商零售进口退货监管指引", "wrong_link", "unrelated_title")
    policy = "/zhengce/2026/kouan_yingshang.html"
    gov.add_text_page(policy, "进一步优化口岸营商环境促进外贸稳定增长若干措施_中国政府网",
                      "为进一步优化口岸营商环境，促进外贸稳定增长，现提出以下措施。")
    truth.ok(site, page, f"http://{GOV_HOST}:{gov.port}{policy}", "关于进一步优化口岸营商环境促进外贸稳增长的若干措施",
             "wrong_link_paraphrase")


def _hijacked_domains(site: UnitSite, truth: Truth) -> None:
    """友情链接 whose domains changed hands, on the home page."""
    truth.fault(site, "/", f"http://{PARKED_HOST}:{site.web_port}/", "中国报关协会", "wrong_link", "parked_domain")
    truth.fault(site, "/", f"http://{GAMBLING_HOST}:{site.web_port}/", "口岸通关服务平台", "wrong_link", "gambling_domain")


def _gambling_case_news(site: UnitSite, truth: Truth) -> None:
    """A customs site reporting a gambling case is not a gambling site."""
    news = site.items["news"][2]
    news.title = f"{site.spec.name}查获一批百家乐赌具和老虎机"
    news.body = [f"近日，{site.spec.name}在进境货物中查获百家乐赌具和老虎机一批，涉嫌走私赌场设备。", "案件正在进一步办理中。"]
    site.page(news.path).title = news.title
    truth.ok(site, "/", news.path, news.title, "gambling_case_news", block=None)

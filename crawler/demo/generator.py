"""The demo customs web, built in memory: virtual hosts, their pages, DNS, and the ground truth.

`generate(today, ports, ipv6_loopback)` returns a `GeneratedWeb`: what each host answers for each
path on each listener (served by `crawler.demo.server`), the DNS records of the demo host names,
the units for sites.yaml, and the ground truth: the faults planted (`findings`), the look-alikes
that must NOT be flagged, the IPv6 verdict of every unit, and what changes when challenged pages
are rendered. The same `today`, ports and IPv6 availability give the same web, byte for byte.

The units (see `UNITS`; `sites.py` builds their EasySite pages):

- nanjing, hangzhou (GBK), qingdao (eportal pagination): the link faults of docs/checks.md and every
  NOT-broken case, planted here; metadata, validity and wrong-link faults (`disclosure_faults`);
  qingdao's 法律法规 list of regulation pages (`regulation_pages`).
- guangzhou (metadata as a table): a stale section, last year's annual report missing, wrong
  links, regulation pages, links to its own sub-hosts, its own DNS zone.
- shenzhen (GBK, metadata as `label：value` lines): no 规范性文件, hijacked 友情链接 domains.
- xiamen (column of blocks, variant section names): an empty 规范性文件, served on a port that
  has no IPv6 listener.
- manzhouli: behind 加速乐's challenge (521, X-Via-JSL, a script computing the cookie).
- gacc (the headquarters): behind Ruishu's 412 shell, which refuses automated browsers.
- Two side hosts linked from units: one behind Ruishu's 202 shell, one a cookie wall (200, a
  server cookie and a reloading script).
- lasa: its host resolves, its web server refuses connections.
- huangpu: the 2025 templates (`site2025`): lists paged by script, three static pages then the
  portal's; a broken attachment and an item without its 文号 only page 5 leads to.

IPv6 (see `IPV6_DESIGN`): the name servers of customs-demo.test both have AAAA ::1 and
the demo DNS server answers on [::1] at the same port, so they pass; guangzhou's own zone has
one name server without AAAA (ipv6_ns). Without ::1 on the machine nothing listens on IPv6 and
the truth says so.

Every host name is under the reserved `.test` TLD, so nothing can reach the real internet.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from urllib.parse import urlsplit

import yaml

from checks.rules import load_rules
from crawler.demo import assets, disclosure_faults, regulation_pages
from crawler.demo.network import (
    JIASULE_STATUS,
    NAME_SERVERS,
    OTHER,
    RUISHU_STATUS,
    Network,
    cookie_reload_firewall,
    jiasule_firewall,
    ruishu_firewall,
)
from crawler.demo.sites import (
    DEMO_DOMAIN,
    GOV_HOST,
    SOFT404_HOST,
    ExternalSite,
    Page,
    Site,
    UnitSite,
    UnitSpec,
    VirtualHost,
)
from crawler.demo.site2025 import UnitSite2025, mark_look_alikes, plant_deep_page_faults
from crawler.demo.truth import Truth

# Timing of the demo, in one place: the crawl of the demo uses DOWNLOAD_TIMEOUT_SECONDS, and
# the "timeout" fault answers only after SLOW_TIMEOUT_SECONDS, well past it, while the slow
# page that must NOT be flagged answers within it.
DOWNLOAD_TIMEOUT_SECONDS = 3
SLOW_TIMEOUT_SECONDS = 10
SLOW_PAGE_SECONDS = 1
RETRY_AFTER_SECONDS = 1

MAX_DEPTH = 4  # sites.yaml default; every planted fault sits well inside it
REDIRECT_CHAIN_HOPS = 12  # longer than the 10 redirects a link checker follows


@dataclass(frozen=True)
class Ports:
    http: int  # every virtual host but one, on 127.0.0.1 and (when there is ::1) on [::1]
    refused: int  # a socket bound but not listening: connections are refused
    tls_error: int  # answers plain HTTP to anything, so a TLS handshake fails
    v4_only: int  # the unit of IPV4_ONLY_PORT_UNIT: served on 127.0.0.1; on [::1] the port refuses


@dataclass(frozen=True)
class DemoUnit:
    id: str
    name: str
    url: str
    disclosure_url: str | None = None


@dataclass
class GeneratedWeb:
    today: date
    ports: Ports
    ipv6_loopback: bool
    hosts: dict[str, VirtualHost]  # what 127.0.0.1 answers on ports.http, by host name
    hosts_v4_only: dict[str, VirtualHost]  # ... on ports.v4_only
    hosts_v6: dict[str, VirtualHost]  # what [::1] answers on ports.http
    dns_records: dict[str, list[tuple[str, str]]]
    units: list[DemoUnit]
    truth_data: dict

    def truth(self) -> dict:
        return {"today": self.today.isoformat(), "ipv6_loopback": self.ipv6_loopback, **self.truth_data}

    @property
    def findings(self) -> list[dict]:
        return self.truth_data["findings"]

    @property
    def not_flagged(self) -> list[dict]:
        return self.truth_data["not_flagged"]

    @property
    def host_names(self) -> list[str]:
        return sorted({*self.hosts, *self.hosts_v4_only})

    def sites_yaml(self) -> str:
        units = []
        for unit in self.units:
            entry = {"id": unit.id, "name": unit.name, "url": unit.url}
            if unit.disclosure_url:
                entry["disclosure_url"] = unit.disclosure_url
            units.append(entry)
        document = {"defaults": {"scope": "disclosure", "max_depth": MAX_DEPTH, "max_pages": 500}, "units": units,
                    "notice": {"office": "演示海关政务公开办公室", "contact": "演示联系人，电话 010-00000000",
                               "reply_working_days": 15}}
        header = f"# The demo customs web (generated for {self.today.isoformat()}; every host is on loopback).\n"
        return header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


# --------------------------------------------------------------------------------------------
# The units


_STANDARD_SECTIONS = {"guide": "政府信息公开指南", "system": "政府信息公开制度", "notices": "法定主动公开内容",
                      "reports": "政府信息公开年报", "norms": "规范性文件"}

UNITS = (
    UnitSpec("nanjing", "南京海关", "南京关", 536000, "utf-8", "suffix", _STANDARD_SECTIONS, "发文机关"),
    UnitSpec(
        "hangzhou", "杭州海关", "杭州关", 575000, "gbk", "suffix",
        {**_STANDARD_SECTIONS, "reports": "【政府信息公开年报】", "norms": "现行有效规范性文件"}, "发布机关",
    ),
    UnitSpec(
        "qingdao", "青岛海关", "青岛关", 474000, "utf-8", "eportal", {**_STANDARD_SECTIONS, "reports": "年度报告"},
        "发文机关", explicit_column=True,
    ),
    UnitSpec("guangzhou", "广州海关", "广州关", 515000, "utf-8", "suffix", _STANDARD_SECTIONS, "发布机关",
             metadata_style="table"),
    UnitSpec(
        "shenzhen", "深圳海关", "深关", 531000, "gbk", "eportal",
        {key: name for key, name in _STANDARD_SECTIONS.items() if key != "norms"}, "发文机关", metadata_style="colon",
        empty_sections=("system",), breadcrumb=True,
    ),
    UnitSpec(
        "xiamen", "厦门海关", "厦关", 361000, "utf-8", "suffix",
        {"guide": "政务公开指南", "system": "信息公开制度", "notices": "政府信息公开目录", "reports": "政务公开年报",
         "norms": "规范性文件"},
        "发文机关", column_layout="blocks", empty_sections=("norms",), breadcrumb=True, empty_list_text="",
    ),
    UnitSpec("manzhouli", "满洲里海关", "满关", 212000, "utf-8", "suffix", _STANDARD_SECTIONS, "发文机关"),
    UnitSpec("gacc", "海关总署", "署", 302249, "utf-8", "suffix", _STANDARD_SECTIONS, "发文机关"),
    UnitSpec("huangpu", "黄埔海关", "埔关", 536700, "utf-8", "eportal", _STANDARD_SECTIONS, "发文机关", templates="2025"),
)
# A unit whose host resolves but whose web server refuses connections.
UNREACHABLE_UNIT = ("lasa", "拉萨海关")
CHALLENGED_UNIT = "manzhouli"  # behind 加速乐's challenge
HQ_UNIT = "gacc"  # behind Ruishu's shell, refusing automated browsers, as the headquarters' site
CHALLENGED_UNITS = (CHALLENGED_UNIT, HQ_UNIT)
SHELL_202_HOST = f"zwfw.{DEMO_DOMAIN}"  # an online service platform behind Ruishu's 202 shell
COOKIE_WALL_HOST = f"wsbs.{DEMO_DOMAIN}"  # an online service hall behind a cookie wall
IPV4_ONLY_PORT_UNIT = "xiamen"  # served on Ports.v4_only

# How each unit's site is reached over IPv6:
#   dual_stack   AAAA ::1, and [::1] serves the same site
#   ipv4_only    no AAAA
#   cname        a CNAME chain to a dual-stack CDN host
#   other_page   AAAA ::1, but [::1] answers another page (a maintenance notice)
#   no_listener  AAAA ::1, but nothing listens on [::1] at its port
IPV6_DESIGN = {
    "nanjing": "dual_stack",
    "hangzhou": "ipv4_only",
    "qingdao": "cname",
    "guangzhou": "dual_stack",  # but links to a sub-host without AAAA, and its zone has one IPv6 name server
    "shenzhen": "other_page",
    "xiamen": "no_listener",
    "manzhouli": "dual_stack",  # the same challenge over both
    "gacc": "dual_stack",
    "huangpu": "dual_stack",
    "lasa": "ipv4_only",
}
CDN_HOST = "edge1.cdn-demo.test"

REFUSED_HOST = f"data.{DEMO_DOMAIN}"  # a retired statistics service: its port refuses connections
TLS_HOST = f"online.{DEMO_DOMAIN}"  # an https:// link to a port that speaks plain HTTP
NXDOMAIN_HOST = f"oldportal.{DEMO_DOMAIN}"  # a retired site: its name no longer exists


# --------------------------------------------------------------------------------------------
# The link faults and their NOT-broken look-alikes (docs/checks.md)


def _plant_nanjing(site: UnitSite, ports: Ports, truth: Truth) -> None:
    spec, home, column = site.spec, "/", site.column
    notice = site.items["notices"][0].path
    norm = site.items["norms"][0]

    truth.fault(site, home, f"http://{REFUSED_HOST}:{ports.refused}/", "海关统计数据查询平台", "broken_link", "refused")
    old_portal = f"http://{NXDOMAIN_HOST}/"
    truth.fault(site, home, old_portal, "南京海关旧版网站", "broken_link", "dns")
    # The same dead site from a second page is a second row; its anchor text is a formula,
    # which the CSV writer must neutralise.
    truth.fault(site, column, old_portal, f'=HYPERLINK("{old_portal}","旧版网站")', "broken_link", "dns")
    for href, text, case in (
        ("mailto:nanjing@customs-demo.test", "联系我们", "mailto"),
        ("tel:025-52345678", "咨询电话", "tel"),
        ("javascript:void(0)", "加入收藏", "javascript"),
        ("#top", "返回顶部", "fragment"),
    ):
        truth.ok(site, home, href, text, case)

    missing = site.folder(99, under_column=True)  # never generated: the host answers 404
    truth.fault(site, column, missing, "海关统计（旧栏目）", "broken_link", "http_404")
    truth.fault(site, notice, missing, "海关统计（旧栏目）", "broken_link", "http_404")

    server_error = site.folder(98)
    site.vhost.add(server_error, site.error_page(500, "Internal Server Error"))
    truth.fault(site, notice, server_error, "网上办事指南", "broken_link", "http_500")

    never_answers = site.folder(96)
    site.add_text_page(never_answers, "进出口数据查询", "查询结果。", delay=SLOW_TIMEOUT_SECONDS)
    truth.fault(site, notice, never_answers, "进出口数据查询", "broken_link", "timeout")

    slow = site.folder(95)
    site.add_text_page(slow, "通关时效公示", f"{spec.name}本月整体通关时间公示。", delay=SLOW_PAGE_SECONDS)
    truth.ok(site, notice, slow, "通关时效公示", "slow_page")

    error_title = site.folder(97)
    site.vhost.add(error_title, site.html(
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>页面不存在</title></head>\n<body>'
        '<div class="error"><h1>您访问的页面不存在</h1><p>您访问的页面不存在或已被删除，<a href="/">返回首页</a>。</p>'
        "</div></body></html>\n"
    ))
    truth.fault(site, column, error_title, "政策解读", "soft_404", "error_page_title")

    calendar = site.add_calendar(site.folder(19, under_column=True))
    truth.ok(site, column, calendar, "信息发布日历", "calendar_trap")

    stem = norm.path.rsplit("/", 1)[0]
    no_head = f"{stem}/P0{norm.published:%Y%m%d}{spec.root}3.xls"
    site.add_attachment(norm, no_head, "企业名单.xls", head_status=405)
    truth.ok(site, norm.path, no_head, "企业名单.xls", "head_405", block=None)
    chinese = f"{stem}/附件/{site.today.year}年 通关便利化措施.pdf"
    site.add_attachment(norm, chinese, "通关便利化措施.pdf")
    truth.ok(site, norm.path, chinese, "通关便利化措施.pdf", "chinese_path", block=None)


def _plant_hangzhou(site: UnitSite, truth: Truth) -> None:
    spec, column = site.spec, site.column
    guide = site.section_paths["guide"]
    truth.ok(site, column, guide, spec.sections["guide"], "gbk_page", block=None)

    old_guide = f"{site.root}/zfxxgkzn.html"
    site.add_redirect(old_guide, guide, status=301)
    truth.ok(site, column, old_guide, "信息公开指南（旧址）", "redirect_301")

    # A notice whose title and text quote a document numbered 404: not an error page.
    notice = site.items["notices"][0]
    notice.title = "关于执行海关总署公告〔2021〕404号有关事项的通知"
    notice.body = [
        "各隶属海关、关内各部门：",
        "根据海关总署公告〔2021〕404号要求，现就有关事项通知如下。",
        "一、自即日起，按公告要求办理相关业务。",
        f"特此通知。{spec.name}　{notice.published.year}年{notice.published.month}月{notice.published.day}日",
    ]
    site.page(notice.path).title = notice.title
    truth.ok(site, site.list_pages["notices"][0], notice.path, notice.title, "article_404_number", block=None)

    norm = site.items["norms"][0]
    stem = norm.path.rsplit("/", 1)[0]
    truth.fault(site, norm.path, f"{stem}/P0{norm.published:%Y%m%d}{spec.root}8.doc", "办法全文.doc",
                "broken_link", "http_404", block="attachments")
    no_file = f"{stem}/P0{norm.published:%Y%m%d}{spec.root}9.pdf"
    site.vhost.add(no_file, site.html(
        f'<html><head><meta http-equiv="Content-Type" content="text/html; charset={spec.encoding}">'
        "<title>提示信息</title></head><body><p>文件不存在！</p></body></html>"
    ))
    truth.fault(site, norm.path, no_file, "实施细则.pdf", "soft_404", "attachment_error_page", block="attachments")


def _plant_qingdao(site: UnitSite, ports: Ports, truth: Truth) -> None:
    column = site.column
    truth.fault(site, "/", f"http://{SOFT404_HOST}:{ports.http}/zh/cms/2019/notice_1234.html", "单一窗口通关须知",
                "soft_404", "soft_404_host")
    truth.fault(site, column, f"https://{TLS_HOST}:{ports.tls_error}/", "网上办事大厅", "broken_link", "tls")

    loop_a, loop_b = site.folder(91), site.folder(92)
    site.add_redirect(loop_a, loop_b)
    site.add_redirect(loop_b, loop_a)
    truth.fault(site, column, loop_a, "业务咨询", "broken_link", "redirect_loop")

    hops = [f"{site.root}/{site.spec.root + 80}/hop{n}.html" for n in range(1, REDIRECT_CHAIN_HOPS + 1)]
    chain_end = site.folder(80)
    site.add_text_page(chain_end, "政务服务事项清单", "事项清单。")
    for source, target in zip(hops, [*hops[1:], chain_end]):
        site.add_redirect(source, target)
    truth.fault(site, column, hops[0], "政务服务事项清单", "broken_link", "too_many_redirects")

    moved = site.folder(93)
    site.add_redirect(moved, site.folder(94))  # the target was never generated: 404
    truth.fault(site, column, moved, "行政许可公示", "broken_link", "redirect_to_404")

    busy = site.folder(85)
    site.add_text_page(busy, "统计数据发布", "本关进出口统计数据。", throttle_first=True)
    truth.ok(site, column, busy, "统计数据发布", "retry_after_429")

    # An item page whose relative links resolve only against its <base href>.
    notice = site.page(site.items["notices"][1].path)
    notice.base_href = f"{site.origin}{site.column_dir}/"
    for key, text in (("guide", "相关：信息公开指南"), ("norms", "相关规范性文件")):
        relative = site.section_paths[key].removeprefix(site.column_dir + "/")
        truth.ok(site, notice.path, relative, text, "base_href")


def _external_sites(port: int) -> list[Site]:
    gov = ExternalSite(GOV_HOST, port, "中国政府网")
    gov.add_page(Page("/", "中国政府网_中央人民政府门户网站", lambda: (
        '<div class="news"><a href="/zhengce/index.html">最新政策</a></div>'
    )))
    gov.add_page(Page("/zhengce/index.html", "最新政策_中国政府网", lambda: "<ul><li>国务院关于优化口岸营商环境的意见</li></ul>"))

    single_window = ExternalSite(SOFT404_HOST, port, "中国国际贸易单一窗口")
    single_window.add_page(Page("/", "中国国际贸易单一窗口", lambda: '<div class="portal"><a href="/">标准版应用</a></div>'))
    # Unknown paths answer 200 with the portal's generic page: a soft-404 host.
    single_window.vhost.not_found = single_window.html(single_window.document(
        "中国国际贸易单一窗口", '<div class="error"><p>抱歉，页面未找到。</p><a href="/">返回首页</a></div>'
    ))
    return [gov, single_window]


# --------------------------------------------------------------------------------------------
# The firewall, the sub-hosts and the IPv6 design


def _plant_firewall(sites: dict[str, UnitSite], side_hosts: list[ExternalSite], truth: Truth) -> dict[str, list[dict]]:
    """Rows about the challenged units and hosts; returns what rendering their pages would change.

    Without rendering only a challenged unit's home page is seen: one link_blocked row, nothing
    else concluded. Nanjing's 法定主动公开内容 list links to three pages of manzhouli: one
    link_blocked row for that host and section, on the first carrying page by sort order (page
    2, whose "-2.html" sorts before "/index.html"); its first page links to two pages of the
    host behind the 202 shell: one row. Qingdao's home links to the cookie wall: one row.
    """
    challenged, nanjing, hq = sites[CHALLENGED_UNIT], sites["nanjing"], sites[HQ_UNIT]
    home_row = truth.finding(challenged.spec.id, "link_blocked", challenged.url("/"), "challenge",
                             [str(JIASULE_STATUS), "X-Via-JSL"])
    hq_row = truth.finding(hq.spec.id, "link_blocked", hq.url("/"), "challenge_ruishu", [str(RUISHU_STATUS), 'r="m"'])
    # A fault only a crawler that passes the challenge sees.
    behind = truth.fault(challenged, challenged.column, challenged.folder(99, under_column=True),
                         "通关时效统计（旧栏目）", "broken_link", "http_404")
    truth.findings.remove(behind)
    lists = nanjing.list_pages["notices"]
    targets = [*challenged.items["notices"][:2], challenged.items["norms"][0]]
    for list_page, item in zip([lists[0], lists[0], lists[1]], targets):
        nanjing.page(list_page).related.append((challenged.url(item.path), f"{challenged.spec.name}：{item.title}"))
    links_row = truth.finding("nanjing", "link_blocked", min(nanjing.url(path) for path in lists), "challenge",
                              [str(JIASULE_STATUS), f"{len(targets)} 个链接"])
    shell_202, cookie_wall = side_hosts
    for path in ("/fw/sbcx.html", "/fw/jdcx.html"):
        shell_202.add_text_page(path, "海关政务服务平台", "办事进度查询")
        nanjing.page(lists[0]).related.append((shell_202.url(path), "海关政务服务平台"))
    shell_row = truth.finding("nanjing", "link_blocked", nanjing.url(lists[0]), "challenge_ruishu_202",
                              ["202", 'r="m"', "2 个链接"])
    cookie_wall.add_text_page("/", "网上办事大厅", "在线办理")
    qingdao = sites["qingdao"]
    qingdao.page("/").related.append((cookie_wall.url("/"), "网上办事大厅"))
    wall_row = truth.finding("qingdao", "link_blocked", qingdao.url("/"), "challenge_cookie_wall",
                             ["200", "Cookie 后重新加载页面", "1 个链接"])
    return {"removes": [home_row, hq_row, links_row, shell_row, wall_row], "adds": [behind]}


def _guangzhou_side_hosts(site: UnitSite, network: Network) -> list[ExternalSite]:
    """Two sub-hosts its pages link to: files. (dual stack, its attachments) and www2. (the
    old site, IPv4 only); with its own host that is 2 of 3 link hosts over IPv6, below 0.9."""
    files = ExternalSite(f"files.{site.host}", site.port, site.spec.name)
    path = f"/{site.spec.id}/{site.today:%Y}/gkml.pdf"
    files.add_file(path, "application/pdf", assets.pdf(f"{site.spec.id} disclosure catalogue"))
    site.items["norms"][0].attachments.append((files.url(path), "政府信息公开目录.pdf"))
    network.host(files.host, ipv6=True)
    network.served_over_ipv6(files.host, files.port)

    old_site = ExternalSite(f"www2.{site.host}", site.port, f"{site.spec.name}（旧版）")
    old_site.add_text_page("/", f"{site.spec.name}（旧版）", "本网站已改版，请访问新版网站。")
    site.page(site.column).related.append((old_site.url("/"), "旧版网站"))
    network.host(old_site.host)

    zone, name_servers = site.host, (f"dns1.{site.host}", f"dns2.{site.host}")
    network.zone(zone, name_servers)
    network.host(name_servers[0], ipv6=True)
    network.host(name_servers[1])
    return [files, old_site]


def _maintenance_host(site: UnitSite) -> VirtualHost:
    """What [::1] answers for a site whose IPv6 front was left on a maintenance page."""
    page = site.html(
        f'<!DOCTYPE html>\n<html><head><meta charset="{site.encoding}"><title>{site.spec.name}</title></head>'
        "<body><div class=\"notice\"><h1>网站升级维护中</h1><p>系统维护期间暂停访问，给您带来不便，敬请谅解。</p></div>"
        "</body></html>\n"
    )
    return VirtualHost(site.host, not_found=page)


def _plant_network(sites: dict[str, UnitSite], lost_host: str, network: Network) -> dict[str, VirtualHost]:
    """Addresses and IPv6 listeners of the units by IPV6_DESIGN; returns the hosts [::1] serves
    that are not the sites themselves (by host name)."""
    network.zone(DEMO_DOMAIN, NAME_SERVERS)
    for name_server in NAME_SERVERS:
        network.host(name_server, ipv6=True)
    other_pages = {}
    for unit_id, design in IPV6_DESIGN.items():
        site = sites.get(unit_id)
        host = site.host if site else lost_host
        if design == "ipv4_only":
            network.host(host)
        elif design == "cname":
            network.alias(host, [f"{unit_id}.gslb.{DEMO_DOMAIN}", CDN_HOST])
            network.host(CDN_HOST, ipv6=True)
            network.served_over_ipv6(host, site.port)  # the listener knows the site by its Host header
        else:
            network.host(host, ipv6=True)
            if design == "dual_stack":
                network.served_over_ipv6(host, site.port)
            elif design == "other_page":
                network.served_over_ipv6(host, site.port, OTHER)
                other_pages[host] = _maintenance_host(site)
    return other_pages


def _ipv6_truth(units: list[DemoUnit], link_hosts: dict[str, list[tuple[str, int]]], network: Network,
                threshold: float, truth: Truth) -> dict[str, dict]:
    """The IPv6 verdict of every unit, and its findings as rows on its home URL."""
    verdicts = {}
    for unit in units:
        host, port = _host_port(unit.url)
        expected = network.ipv6_expectation(host, port, link_hosts.get(unit.id, []), threshold)
        for check in expected["checks"]:
            truth.finding(unit.id, check, unit.url, check,
                          network.ipv6_detail(check, host, port, link_hosts.get(unit.id, [])))
        verdicts[unit.id] = expected
    return verdicts


def _ipv6_when_rendered(unit: DemoUnit, network: Network, threshold: float, truth: Truth, render: dict) -> None:
    """Rendered, the challenged unit's pages are crawled and its own host becomes a link host;
    record how its IPv6 rows change (only without ::1, when that host fails)."""
    rendered = Truth()
    render["ipv6"] |= _ipv6_truth([unit], {unit.id: [_host_port(unit.url)]}, network, threshold, rendered)
    before = [row for row in truth.findings if row["unit_id"] == unit.id and row["check"].startswith("ipv6_")]
    render["removes"] += [row for row in before if row not in rendered.findings]
    render["adds"] += [row for row in rendered.findings if row not in before]


def _host_port(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname, parts.port


def generate(today: date, ports: Ports, ipv6_loopback: bool = True) -> GeneratedWeb:
    """The whole demo web for `today`, its hosts served on `ports`; `ipv6_loopback` says whether
    the machine has ::1 (the IPv6 listeners run only then)."""
    rules = load_rules()
    truth = Truth()
    sites = {
        spec.id: (UnitSite2025 if spec.templates == "2025" else UnitSite)(
            spec, today, ports.v4_only if spec.id == IPV4_ONLY_PORT_UNIT else ports.http, ports.http)
        for spec in UNITS
    }
    for site in sites.values():
        site.build_items()
    disclosure_faults.plant_before_lists(sites, truth, rules)
    regulation_pages.plant_regulations_qingdao(sites["qingdao"], truth)
    regulation_pages.plant_regulations_guangzhou(sites["guangzhou"], truth)
    for site in sites.values():
        site.build_lists()

    gov, single_window = _external_sites(ports.http)
    _plant_nanjing(sites["nanjing"], ports, truth)
    _plant_hangzhou(sites["hangzhou"], truth)
    _plant_qingdao(sites["qingdao"], ports, truth)
    plant_deep_page_faults(sites["huangpu"], truth)
    mark_look_alikes(sites["huangpu"], truth)
    disclosure_faults.plant_after_lists(sites, gov, truth)
    firewalled = [ExternalSite(SHELL_202_HOST, ports.http, "海关政务服务平台"),
                  ExternalSite(COOKIE_WALL_HOST, ports.http, "海关网上办事大厅")]
    render = _plant_firewall(sites, firewalled, truth)

    units = [
        DemoUnit(site.spec.id, site.spec.name, site.url("/"),
                 site.url(site.column) if site.spec.explicit_column else None)
        for site in sites.values()
    ]
    lost_id, lost_name = UNREACHABLE_UNIT
    lost_host = f"{lost_id}.{DEMO_DOMAIN}"
    lost_url = f"http://{lost_host}:{ports.refused}/"
    units.append(DemoUnit(lost_id, lost_name, lost_url))
    truth.finding(lost_id, "site_unreachable", lost_url, "refused")

    network = Network(today, ipv6_loopback)
    side_hosts = _guangzhou_side_hosts(sites["guangzhou"], network)
    other_pages = _plant_network(sites, lost_host, network)
    externals = [gov, single_window, *disclosure_faults.external_sites(ports.http), *firewalled]
    for name in [*(site.host for site in externals), REFUSED_HOST, TLS_HOST]:
        network.host(name)
    hosts = {site.host: site.finish() for site in [*sites.values(), *externals, *side_hosts]}
    hosts[sites[CHALLENGED_UNIT].host].firewall = jiasule_firewall(sites[CHALLENGED_UNIT].host, today)
    hosts[sites[HQ_UNIT].host].firewall = ruishu_firewall(sites[HQ_UNIT].host, today, refuses_headless=True)
    hosts[SHELL_202_HOST].firewall = ruishu_firewall(SHELL_202_HOST, today, status=202)
    hosts[COOKIE_WALL_HOST].firewall = cookie_reload_firewall(COOKIE_WALL_HOST, today)

    # The crawl sees the links of the unit's own pages: its host and sub-hosts; none of a unit
    # it cannot crawl (lasa refuses, manzhouli's pages are behind the challenge).
    link_hosts = {unit_id: [(site.host, site.port)] for unit_id, site in sites.items() if unit_id not in CHALLENGED_UNITS}
    link_hosts["guangzhou"] += [(side.host, side.port) for side in side_hosts]
    threshold = rules.ipv6_link_share_threshold
    ipv6 = _ipv6_truth(units, link_hosts, network, threshold, truth)
    render["ipv6"] = {}
    for unit in units:
        if unit.id in CHALLENGED_UNITS:
            _ipv6_when_rendered(unit, network, threshold, truth, render)

    v4_only_host = sites[IPV4_ONLY_PORT_UNIT].host
    v6_served = {host: other_pages.get(host, hosts.get(host)) for host, port in network.v6_answers if port == ports.http}
    return GeneratedWeb(
        today=today,
        ports=ports,
        ipv6_loopback=ipv6_loopback,
        hosts={name: vhost for name, vhost in hosts.items() if name != v4_only_host},
        hosts_v4_only={v4_only_host: hosts[v4_only_host]},
        hosts_v6=v6_served if ipv6_loopback else {},
        dns_records=network.records(),
        units=units,
        truth_data={"findings": truth.findings, "not_flagged": truth.not_flagged,
                    "not_flagged_pages": truth.not_flagged_pages, "ipv6": ipv6, "render": render},
    )

"""After the crawl: run the checks over the facts in the run store, unit by unit."""
from __future__ import annotations

from dataclasses import dataclass, field

from checks.crawl_checks import crawl_limit_finding, site_findings
from checks.facts import FetchResult
from checks.findings import Finding
from checks.link_checks import link_findings
from crawler.config import Unit
from crawler.history import Resolved, Seen
from crawler.links import canonical_url
from crawler.store import RunStore

DEADLINE_REASONS = {"closespider_timeout": "达到运行时限（--deadline）"}


@dataclass
class UnitReport:
    unit: Unit
    findings: list[Finding]
    pages_crawled: int
    links_checked: int
    crawl_complete: bool
    crawl_notes: str
    reachable: bool
    stats: dict = field(default_factory=dict)
    crawled_pages: set[str] = field(default_factory=set)
    # filled from the history: each finding with first_seen/state, and what was fixed since
    rows: list[Seen] = field(default_factory=list)
    resolved: list[Resolved] = field(default_factory=list)


def _fetch(data: dict | None) -> FetchResult | None:
    return FetchResult(**data) if data else None


def assess_unit(store: RunStore, unit: Unit) -> UnitReport:
    stats = store.unit(unit.id)
    home, column = _fetch(stats.get("home")), _fetch(stats.get("column"))
    scope = stats.get("scope", unit.scope)
    findings = site_findings(unit.id, unit.url, home, stats.get("column_url"), column, scope == "disclosure")
    reachable = not any(f.check == "site_unreachable" and f.page_url == unit.url for f in findings)
    blocked = any(f.check == "link_blocked" for f in findings)
    findings += link_findings(
        unit.id,
        store.carried_links(unit.id),
        lambda url: store.result(canonical_url(url)),
        store.baseline,
        public_site=bool(stats.get("public")),
    )
    limits = []
    if stats.get("pages_over_cap"):
        limits.append(f"达到页面上限 max_pages={unit.max_pages}，{stats['pages_over_cap']} 个页面只检查了链接、未抓取其内容")
    if stats.get("close_reason") in DEADLINE_REASONS:
        limits.append(DEADLINE_REASONS[stats["close_reason"]])
    limit = crawl_limit_finding(unit.id, unit.url, limits)
    if limit is not None:
        findings.append(limit)
    notes = list(limits)
    if blocked:
        notes.append("站点被防火墙验证拦截")
    if not reachable:
        notes.append("站点无法访问")
    if stats.get("column_found_by"):
        notes.append(f"政府信息公开专栏：{stats['column_url']}（{stats['column_found_by']}）")
    findings.sort(key=Finding.sort_key)
    return UnitReport(
        unit=unit,
        findings=findings,
        pages_crawled=stats.get("pages_crawled", 0),
        links_checked=store.links_checked(unit.id),
        crawl_complete=reachable and not blocked and not limits,
        crawl_notes="；".join(notes),
        reachable=reachable,
        stats=stats,
        crawled_pages={url for url, *_ in store.pages(unit.id)} | ({unit.url} if reachable else set()),
    )

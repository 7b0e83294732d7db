"""After the crawl: run the checks over the facts in the run store, unit by unit."""
from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from checks.crawl_checks import (crawl_limit_finding, hidden_by_limits, limit_stats, site_findings, undecodable_note,
                                 unlinked_pages_line, unreached_unlinked_pages)
from checks.facts import MALFORMED, FetchResult, Link
from checks.findings import Finding
from checks.hosts import host_of
from checks.ipv6 import IPv6Report
from checks.link_checks import link_findings
from checks.metadata import metadata_findings
from checks.rules import Rules
from checks.sections import ListItem, SectionFacts, section_findings
from checks.wrong_link import wrong_link_detail
from crawler import settings
from crawler.sites import Unit
from crawler.outcome.model import UnitReport
from crawler.crawl.links import canonical_url
from crawler.crawl.page_facts import findings_from
from crawler.crawl.store import RunStore, StoredPage

DEADLINE_REASONS = {"closespider_timeout": "达到运行时限（--deadline）"}
# A link this many sections' lists show alike is a box of every list page, not an entry of each.
SHARED_BOX_SECTIONS = 3


def _fetch(data: dict | None) -> FetchResult | None:
    return FetchResult(**data) if data else None


@dataclass(frozen=True)
class Context:
    """What the checks need beyond the run store: the day, the rules, the other units."""

    today: date
    rules: Rules
    unit_hosts: dict[str, str]  # host[:port] of every unit's home -> unit name (wrong_link)


class TargetTally:
    """What the one pass over a unit's link targets counts beside the findings: the targets checked,
    those whose check failed or carries a note (what the limit statistics read; plain successes
    are left out, so memory stays small), and the host[:port] of every well-formed link (the
    IPv6 check's link hosts)."""

    def __init__(self):
        self.checked = 0
        self.noted: list[tuple[str, FetchResult]] = []
        self.netlocs: set[str] = set()

    def count(self, targets: Iterable[tuple[str, FetchResult | None, list[Link]]]
              ) -> Iterator[tuple[str, FetchResult | None, list[Link]]]:
        for key, result, links in targets:
            self.netlocs.update(host_of(link.url) for link in links if link.kind != MALFORMED)
            if result is not None:
                self.checked += 1
                if result.error_kind or result.notes:
                    self.noted += [(url, result) for url in sorted({link.url for link in links})]
            yield key, result, links


@dataclass(frozen=True)
class Lookup:
    """A set's `in`, answered by a query: the run store's URLs stay on disk."""

    contains: Callable[[str], bool]

    def __contains__(self, url: object) -> bool:
        return isinstance(url, str) and self.contains(url)


def assess_unit(store: RunStore, unit: Unit, context: Context, budget_note: str | None = None) -> UnitReport:
    """The unit's findings from the store's facts; `budget_note` when the night's request budget
    could not hold even the share verified every night. The report's verified pages and targets
    ask the store: it stays open while the history reads them. Its link hosts are what the IPv6
    check probes (`add_ipv6` then adds what it found)."""
    stats = store.unit(unit.id)
    home, column = _fetch(stats.get("home")), _fetch(stats.get("column"))
    if home is not None and home.final_url:
        stats["home_final_url"] = home.final_url  # the page its links are found on, after redirects
    scope = stats.get("scope", unit.scope)
    findings = site_findings(unit.id, unit.url, home, stats.get("column_url"), column, scope == "disclosure")
    reachable = not any(f.check == "site_unreachable" and f.page_url == unit.url for f in findings)
    blocked = any(f.check == "link_blocked" for f in findings)
    if scope == "disclosure" and home is not None and not findings:
        findings += disclosure_findings(unit, stats, store, context)
    own_host = host_of(unit.url)
    others = {host: name for host, name in context.unit_hosts.items() if host != own_host}
    tally = TargetTally()
    findings += link_findings(
        unit.id,
        tally.count(store.link_targets(unit.id)),
        lambda keys: store.carried_links(unit.id, keys),
        lru_cache(maxsize=64)(store.baseline),
        public_site=bool(stats.get("public")),
        wrong_link=lambda text, result: wrong_link_detail(text, own_host, result, others, unit.name, context.rules),
    )
    targets = unit_targets(unit, home, column, tally.noted)
    limits = [budget_note] if budget_note else []
    if stats.get("pages_over_cap"):
        limits.append(f"达到页面上限 max_pages={unit.max_pages}，{stats['pages_over_cap']} 个页面只检查了链接、未抓取其内容")
    if stats.get("close_reason") in DEADLINE_REASONS:
        limits.append(DEADLINE_REASONS[stats["close_reason"]])
    limits += hidden_by_limits(targets, settings.DOWNLOAD_MAXSIZE, settings.URLLENGTH_LIMIT)
    unreached = unreached_unlinked_pages([(url, store.result(canonical_url(url)))
                                          for url in stats.get("unlinked_list_pages", [])])
    if unreached:
        limits.append(unlinked_pages_line(unreached))
    stats["limits"] = limit_stats(targets)
    if unreached:
        stats["limits"]["unlinked_list_pages"] = len(unreached)
    if stats.get("pages_over_cap"):
        stats["limits"]["max_pages"] = stats["pages_over_cap"]
    limit = crawl_limit_finding(unit.id, unit.url, limits)
    if limit is not None:
        findings.append(limit)
    notes = list(limits)
    undecodable = undecodable_note(targets)
    if undecodable:
        notes.append(undecodable)
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
        links_checked=tally.checked,
        crawl_complete=reachable and not blocked and not limits,
        crawl_notes="；".join(notes),
        reachable=reachable,
        stats=stats,
        verified_pages=Lookup(lambda url: (url == unit.url and reachable) or store.page_verified(unit.id, url)),
        verified_targets=Lookup(lambda url: store.fetched(canonical_url(url))),
        link_netlocs=tally.netlocs,
    )


def add_ipv6(report: UnitReport, ipv6: IPv6Report | None) -> None:
    """The IPv6 check's findings and verdict on the unit, when it was checked."""
    if ipv6 is None:
        return
    report.findings += ipv6.findings(report.unit.id, report.unit.url)
    report.findings.sort(key=Finding.sort_key)
    report.stats["ipv6_verdict"] = ipv6.verdict
    report.stats["ipv6_link_share"] = ipv6.link_share


def unit_targets(unit: Unit, home: FetchResult | None, column: FetchResult | None,
                 noted: list[tuple[str, FetchResult]]) -> list[tuple[str, FetchResult]]:
    """(url, result) of the unit's home, column and distinct targets that failed or carry a note."""
    targets = {unit.url: home} if home else {}
    if column is not None:
        targets[column.url] = column
    for url, result in noted:
        targets.setdefault(url, result)
    return list(targets.items())


def disclosure_findings(unit: Unit, stats: dict, store: RunStore, context: Context) -> list[Finding]:
    """Sections of the column, metadata of its items, regulation texts on its pages: the column and
    the lists read first, then every page once, as the store gives them."""
    findings: list[Finding] = []
    column_facts = column_facts_of(list(store.pages(unit.id, with_fact="column")))
    column_url = stats.get("column_url")
    if column_url is None:
        return section_findings(unit.id, None, {}, context.today, context.rules, home_url=unit.url)
    navigation: set[str] = set()
    if column_facts is not None:
        sections, navigation = gather_sections(column_facts["sections"], list(store.pages(unit.id, with_fact="list")))
        findings += section_findings(unit.id, column_url, sections, context.today, context.rules,
                                     column_link_texts=column_facts["link_texts"], home_url=unit.url)
    for page in store.pages(unit.id):
        facts = page.facts
        if "metadata" in facts and canonical_url(page.url) not in navigation:
            findings += metadata_findings(unit.id, page.url, facts.get("title", ""), facts["metadata"], context.rules,
                                          *facts["listed_in"])
        findings += findings_from(facts)
    return findings


def column_facts_of(pages: list[StoredPage]) -> dict | None:
    """The sections and link texts of the column page, with those of the frames it shows (a
    frameset column keeps its menu in one of them); None when the column was not crawled."""
    parts = [page.facts["column"] for page in pages if "column" in page.facts]
    if not parts:
        return None
    sections: dict = {}
    for part in parts:  # the column page first: it was crawled before its frames
        for name, ref in part["sections"].items():
            if sections.get(name) is None:
                sections[name] = ref
    return {"sections": sections, "link_texts": [text for part in parts for text in part["link_texts"]]}


def gather_sections(named: dict, pages: list[StoredPage]) -> tuple[dict[str, SectionFacts | None], set[str]]:
    """Each section the column names, with the entries of every crawled page of its list, and the
    (canonical) URLs the lists showed that are navigation, not entries.

    A section whose list could not be crawled (a broken link, another host) concludes nothing:
    it is given as an article, which is never empty nor stale. A link to a page of a section's list
    (a menu of the column's sections) and a link the lists of three or more sections show alike (a
    box repeated on every list page: related links, a rail of social accounts) are no entries.
    """
    lists: dict[str, list[dict]] = {}
    for page in pages:
        if "list" in page.facts:
            lists.setdefault(page.facts["section"], []).append(page.facts["list"])
    listed = {canonical: {canonical_url(item_url): (title, item_url, day)
                          for page in seen for title, item_url, day in page["items"]}
              for canonical, seen in lists.items()}
    shown_by = Counter(url for entries in listed.values() for url in entries)
    navigation = {canonical_url(page.url) for page in pages if "list" in page.facts}
    navigation |= {url for url, count in shown_by.items() if count >= SHARED_BOX_SECTIONS}
    sections: dict[str, SectionFacts | None] = {}
    for canonical, ref in named.items():
        if ref is None:
            sections[canonical] = None
            continue
        name_on_page, url = ref
        seen = lists.get(canonical, [])
        items = [ListItem(title, item_url, date.fromisoformat(day) if day else None)
                 for key, (title, item_url, day) in listed.get(canonical, {}).items() if key not in navigation]
        is_article = not seen or any(page.get("is_article") for page in seen)
        sections[canonical] = SectionFacts(canonical, url, name_on_page, is_article, items)
    return sections, navigation

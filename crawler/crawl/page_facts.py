"""What a crawled disclosure page tells the checks, taken while its HTML is at hand.

The spider knows a page's role from the crawl (the column, a section's list page, an item of a
list); this module turns the page of that role, parsed once by the spider, into JSON-ready
facts with the `checks/` readers, so the run store keeps facts, not pages. Regulation pages are
judged here directly: their full text is too big to keep.
"""
from __future__ import annotations

import dataclasses
from datetime import date

from checks.findings import Finding
from checks.metadata import parse_metadata
from checks.regulations import Library, check_regulation_page
from checks.rules import Rules
from checks.page import ParsedPage
from checks.sections import find_sections, is_single_article, parse_list_page, text_of

VALIDITY_FIELD = "有效性"


class PageAnalyzer:
    def __init__(self, rules: Rules, library: Library, today: date):
        self.rules = rules
        self.library = library
        self.today = today

    def column(self, page: ParsedPage, url: str) -> dict:
        """The sections the column page names (canonical -> [name on page, url]) and its link texts."""
        sections = find_sections(page, url, self.rules)
        texts = [" ".join(a.text_content().split()) for a in page.root.iter("a")]
        return {
            "sections": {name: [ref.name_on_page, ref.url] if ref else None for name, ref in sections.items()},
            "link_texts": [t for t in texts if t],
        }

    def list_page(self, page: ParsedPage, url: str, first: bool) -> dict:
        """The entries of a section's list page and the URLs of its other pages."""
        listed = parse_list_page(page, url, self.today)
        facts = {
            "items": [[item.title, item.url, item.date.isoformat() if item.date else None] for item in listed.items],
            "pages": listed.pages,
            "numbers": sorted(listed.numbers),
        }
        if listed.predicted:
            facts["predicted"] = listed.predicted
        if first:  # asked even when the page shows links: they may be boxes of every list page
            facts["is_article"] = is_single_article(page, listed)
        return facts

    def item(self, page: ParsedPage) -> dict:
        return {"metadata": parse_metadata(page, self.rules)}

    def regulation_findings(self, unit_id: str, url: str, title: str, heading: str, page: ParsedPage) -> list[dict]:
        """outdated/repealed regulation findings of a page naming a library regulation (cheap otherwise)."""
        if self.library.find_title(title, heading) is None:
            return []
        body = text_of(page.root.body) if "<" in page.html else page.html
        validity = parse_metadata(page, self.rules).get(VALIDITY_FIELD, "")
        findings = check_regulation_page(unit_id, url, title, heading, body, validity, self.library)
        return [dataclasses.asdict(f) for f in findings]


def findings_from(facts: dict) -> list[Finding]:
    return [Finding(**data) for data in facts.get("findings", [])]

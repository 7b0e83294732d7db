"""The ground truth of the demo web: the faults planted in it and the look-alikes that are not.

truth.json holds:
- `findings`: every row the unit CSVs must hold, no more. A row has the CSV's key (docs/csv.md):
  `unit_id, check, page_url, target_url`, with `link_text`, `fault` (why it is a fault) and,
  for page findings, `detail_contains`: what docs/checks.md says the detail must contain (a section
  finding's detail starts with the first of them).
- `not_flagged`: links that look broken or wrong but are not: their target must not be reported.
- `not_flagged_pages`: pages on which one `check` must stay silent (`section` names the section
  when the page is the column, which may carry findings about other sections).
- `ipv6`: per unit the verdict, the IPv6 checks it fails and the link hosts the crawl sees; `ipv6_loopback`: whether the machine had ::1 for the listeners.
- `render`: with challenged pages rendered (--render): the rows that go (`removes`), the rows
  that come (`adds`), the challenged units' IPv6 results (`ipv6`, by unit).
"""
from __future__ import annotations

from collections.abc import Iterable

from crawler.demo.sites import UnitSite, absolute_url


class Truth:
    def __init__(self) -> None:
        self.findings: list[dict] = []
        self.not_flagged: list[dict] = []
        self.not_flagged_pages: list[dict] = []

    def fault(self, site: UnitSite, page_path: str, href: str, text: str, check: str, fault: str,
              block: str | None = "related") -> dict:
        """A link that must be reported: one row per (page, target), `fault` saying why."""
        row = {"unit_id": site.spec.id, "check": check, **self._link(site, page_path, href, text, block), "fault": fault}
        self.findings.append(row)
        return row

    def ok(self, site: UnitSite, page_path: str, href: str, text: str, case: str,
           block: str | None = "related") -> None:
        """A link that looks suspicious but works: it must NOT be reported."""
        row = self._link(site, page_path, href, text, block)
        self.not_flagged.append({"unit_id": site.spec.id, **row, "case": case})

    def finding(self, unit_id: str, check: str, page_url: str, fault: str, detail_contains: Iterable[str] = ()) -> dict:
        """A finding about a page rather than a link (a section, an item, a regulation, IPv6)."""
        row = {"unit_id": unit_id, "check": check, "page_url": page_url, "target_url": "", "link_text": "",
               "fault": fault, "detail_contains": list(detail_contains)}
        self.findings.append(row)
        return row

    def page_ok(self, unit_id: str, check: str, page_url: str, case: str, section: str = "") -> None:
        """A page that looks like a `check` fault but is not one: `check` must stay silent on it."""
        row = {"unit_id": unit_id, "check": check, "page_url": page_url, "case": case}
        if section:
            row["section"] = section
        self.not_flagged_pages.append(row)

    @staticmethod
    def _link(site: UnitSite, page_path: str, href: str, text: str, block: str | None) -> dict[str, str]:
        # block None: the link is already part of the page (navigation, an attachment)
        page = site.page(page_path)
        if block is not None:
            getattr(page, block).append((href, text))
        page_url = site.url(page_path)
        return {"page_url": page_url, "target_url": absolute_url(page_url, href, page.base_href), "link_text": text}

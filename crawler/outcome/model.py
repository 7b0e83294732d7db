"""What a run found, as the assessment, the history and the report writers share it: plain result
types, below all three, acting on nothing."""
from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field

from checks.findings import Finding
from crawler.sites import Unit


# A finding's state in a run (Seen.state; "resolved" for a Resolved), as every report and the terminal name it
STATE_NAMES = {"new": "新增", "persisting": "持续", "accepted": "已接受", "resolved": "已整改"}


@dataclass(frozen=True)
class Acceptance:
    """An inspector's decision that a finding is a false positive or tolerated, until a day or for good."""

    reason: str
    until: str | None  # YYYY-MM-DD, the last day it holds; None: until accepted again with a date
    accepted_at: str

    def holds_on(self, day: str) -> bool:
        return self.until is None or day <= self.until


@dataclass(frozen=True)
class Seen:
    """A finding of this run with its history."""

    finding: Finding
    fingerprint: str
    first_seen: str
    state: str  # new | persisting | accepted
    acceptance: Acceptance | None = None


@dataclass(frozen=True)
class Resolved:
    """A finding of an earlier run that is gone, as it was last reported."""

    finding: Finding
    fingerprint: str
    first_seen: str


@dataclass(frozen=True)
class TrendPoint:
    run_id: str
    today: str
    open_by_severity: dict[str, int]  # high | medium | low -> findings in the unit CSVs
    new: int
    resolved: int
    accepted: int

    @property
    def open(self) -> int:
        return sum(self.open_by_severity.values())


@dataclass
class UnitReport:
    """One unit's outcome: its findings and crawl numbers, then (from the history) each finding's
    first_seen and state, and what was fixed since."""

    unit: Unit
    findings: list[Finding]
    pages_crawled: int
    links_checked: int
    crawl_complete: bool
    crawl_notes: str
    reachable: bool
    stats: dict = field(default_factory=dict)
    # `url in verified_pages`: crawled from a fresh answer in this run; `url in verified_targets`:
    # fetched in this run (a set, or the run store asked URL by URL)
    verified_pages: Container[str] = field(default_factory=set)
    verified_targets: Container[str] = field(default_factory=set)
    link_netlocs: set[str] = field(default_factory=set)  # host[:port] of every well-formed link of its pages
    rows: list[Seen] = field(default_factory=list)
    resolved: list[Resolved] = field(default_factory=list)

"""The night's share of a nightly run: which known pages and targets it re-verifies, per unit, inside
the unit's request budget (docs/nightly.md).

Every night: every list page (homes, columns, sections' lists) and every target that failed last
time; what is new is found on those lists and fetched as it is met. Then the known pages and targets
verified longest ago, at least a `verify_within`-th of the unit's known web and every one whose last
verification is `verify_within` days old, as far as the budget allows.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from crawler.crawl.known import KnownWeb, Night
from crawler.crawl.store import RunStore
from crawler.outcome.model import UnitReport
from crawler.sites import Unit


@dataclass(frozen=True)
class UnitPlan:
    """What one unit's night asks of its host."""

    known: int  # known pages and link targets of the unit
    every_night: int  # of those, list pages and last night's failures
    rotation: int  # of the rest, re-verified tonight
    overdue: int  # of the rest, past verify_within before tonight
    budget: int | None  # requests the host may take tonight (None: no limit)

    @property
    def shortfall(self) -> int:
        """Requests missing for even the share verified every night (0 when it fits)."""
        return 0 if self.budget is None else max(0, self.every_night - self.budget)

    def budget_note(self) -> str | None:
        """The crawl_limit detail when the budget cannot hold the nightly share."""
        if not self.shortfall:
            return None
        return (f"夜间请求预算不足：列表页与上次失败链接需 {self.every_night} 次请求，"
                f"预算 {self.budget} 次，缺 {self.shortfall} 次")


@dataclass(frozen=True)
class NightPlan:
    due: frozenset[str]  # known keys fetched tonight
    units: dict[str, UnitPlan]


def plan_night(known: KnownWeb, units: list[Unit], today: date, budget: int | None) -> NightPlan:
    due: set[str] = set()
    plans: dict[str, UnitPlan] = {}
    for unit in units:
        every_night, rest = [], []
        for key, verified_on, failed, listing in known.unit_keys(unit.id):
            if failed or listing:
                every_night.append(key)
            else:
                rest.append((verified_on, key))
        rest.sort()
        deadline = (today - timedelta(days=unit.verify_within)).isoformat()
        overdue = sum(1 for verified_on, _key in rest if verified_on <= deadline)
        wanted = max(math.ceil((len(every_night) + len(rest)) / unit.verify_within), overdue)
        room = len(rest) if budget is None else max(0, budget - len(every_night))
        rotation = min(wanted, room, len(rest))
        due.update(every_night)
        due.update(key for _verified_on, key in rest[:rotation])
        plans[unit.id] = UnitPlan(len(every_night) + len(rest), len(every_night), rotation, overdue, budget)
    return NightPlan(frozenset(due), plans)


KNOWN_WEB = "known.sqlite"  # in OUT, beside history.sqlite


def begin_night(out_dir: Path, units: list[Unit], today: date, budget: int | None) -> tuple[Night, NightPlan]:
    """Tonight's plan over the known web of `out_dir` (empty on the first night: everything is new)."""
    known = KnownWeb(out_dir / KNOWN_WEB)
    plan = plan_night(known, units, today, budget)
    known.close()
    return Night(out_dir / KNOWN_WEB, plan.due), plan


def end_night(night: Night, store: RunStore, reports: list[UnitReport], today: date) -> None:
    """Remember what tonight fetched; state per unit how much of its known web is verified and overdue."""
    known = KnownWeb(night.known_path)
    known.absorb(today, store.fetched_results(), store.fetched_pages())
    store.commit()  # the known web reads the store through its file (attached): nothing left uncommitted
    with known.beside(store.path):
        for report in reports:
            if report.crawl_complete:  # pages no longer reached leave; an incomplete night proves nothing
                known.forget_unseen(report.unit.id)
            coverage = known.coverage(report.unit.id, today, report.unit.verify_within)
            report.stats["coverage"] = vars(coverage)
    known.close()

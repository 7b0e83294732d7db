"""Eight nights of `run` over a changing many-unit web: does rolling verification keep its promises
inside each host's request budget?

One headquarters-like unit (paginated lists, items with 20 links, about 1 % of attachments broken)
whose full verification needs at least three nights' budget, beside many small units, all on
loopback (benchmarks.nightly_web). The night's window and politeness are scaled down in time: each
host's budget is given as `--budget` (a 50-minute window at one request a second is 3,000
requests), and the crawl runs unthrottled, so the budget and not the CPU is what binds.

Between nights: new items (one broken attachment each) on the headquarters and on some small
units, old pages broken, broken attachments fixed, one small unit's section emptied. Printed per
night: requests per host against its budget and against what the night owes (list pages + new
pages and links + known / verify_within), the headquarters' known / verified / overdue, peak RSS,
and the recall of the planted changes with the night each was found.

    python -m benchmarks.nightly                 # the sizes below
    python -m benchmarks.nightly --hq-items 100 --units 3 --nights 3   # a quick look
"""
from __future__ import annotations

import argparse
import csv
import random
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from benchmarks.nightly_web import ARTICLES, ATTACHMENTS_PER_ITEM, PER_LIST_PAGE, SECTIONS, Served, UnitWeb
from benchmarks.run import measure

FIRST_NIGHT = date(2026, 11, 2)
VERIFY_WITHIN = 7


@dataclass
class Change:
    """A planted change, and the nights it was planted, must be found by, and was found."""

    kind: str  # new_item_fault | old_page_fault | fix | emptied_section
    unit: str
    target: str  # the link's path, or the section
    planted: int
    deadline: int
    found: int | None = None


@dataclass
class Night:
    number: int
    requests: dict[str, int]
    owed: float  # the headquarters' list pages + new pages and links + known / verify_within
    hq: dict
    peak_rss_mb: float
    wall_s: float
    false_resolved: list[str] = field(default_factory=list)


def read(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines())) if path.exists() else []


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.nightly", description=__doc__.split("\n\n")[0])
    parser.add_argument("--hq-items", type=int, default=600, help="items per section of the headquarters (4 sections)")
    parser.add_argument("--units", type=int, default=12, help="small units beside the headquarters")
    parser.add_argument("--small-items", type=int, default=25, help="items per section of a small unit")
    parser.add_argument("--budget", type=int, default=3000, help="requests per host per night")
    parser.add_argument("--nights", type=int, default=8)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if min(args.hq_items, args.small_items, args.budget, args.nights, args.units) < 1:
        parser.error("sizes, budget, units and nights must be positive")

    rng = random.Random(args.seed)
    webs = {"hq": UnitWeb("海关总署", args.hq_items, 20, 0.01, rng, FIRST_NIGHT)}
    for n in range(args.units):
        webs[f"u{n:02}"] = UnitWeb(f"第{n + 1}海关", args.small_items, 20, 0.01, rng, FIRST_NIGHT)
    served = {unit_id: Served(web) for unit_id, web in webs.items()}
    work = Path(tempfile.mkdtemp(prefix="nightly-bench-"))
    try:
        sites = work / "sites.yaml"
        sites.write_text("units:\n" + "".join(
            f"  - id: {unit_id}\n    name: {webs[unit_id].name}\n    url: {server.url}\n"
            for unit_id, server in served.items()), encoding="utf-8")
        items = sum(len(web.items()) for web in webs.values())
        print(f"web: {len(webs)} units, {items:,} items ({len(webs['hq'].items()):,} at the headquarters), "
              f"20 links per item, ~1 % of attachments broken; budget {args.budget:,} requests per host per night "
              f"(a {args.budget / 60:.0f}-minute window at one request a second); verify_within {VERIFY_WITHIN}",
              flush=True)
        changes: list[Change] = []
        nights: list[Night] = []
        for number in range(1, args.nights + 1):
            planted = plant(webs, number, rng) if number > 1 else []
            changes += planted
            nights.append(run_night(number, webs, sites, work, args.budget, changes, planted))
            print(night_line(nights[-1], args.budget), flush=True)
        print(report(nights, changes, args.budget))
        due = [c for c in changes if c.deadline <= args.nights]
        return 0 if all(c.found is not None and c.found <= c.deadline for c in due) else 1
    finally:
        for server in served.values():
            server.stop()
        shutil.rmtree(work, ignore_errors=True)


def plant(webs: dict[str, UnitWeb], night: int, rng: random.Random) -> list[Change]:
    """The changes made to the web before `night`."""
    today = FIRST_NIGHT + timedelta(days=night - 1)
    changes = []
    hq = webs["hq"]
    for path in rng.sample(sorted(hq.broken), min(2, len(hq.broken))):  # broken since an earlier night
        hq.broken.discard(path)
        hq.files.add(path)
        changes.append(Change("fix", "hq", path, night, deadline=night))
    for unit_id in ["hq", *rng.sample(sorted(u for u in webs if u != "hq"), min(2, len(webs) - 1))]:
        for _ in range(3 if unit_id == "hq" else 1):
            item = webs[unit_id].add_item(rng.choice(SECTIONS[:2]), today, broken=True)
            changes.append(Change("new_item_fault", unit_id, item.attachments[0], night, deadline=night))
    for item in rng.sample(hq.items()[50:], 2):  # old pages, carried over on most nights
        path = f"/files/broken-{night}-{item.number}.pdf"
        item.extra_links.append(path)
        changes.append(Change("old_page_fault", "hq", path, night, deadline=night + VERIFY_WITHIN - 1))
    if night == 4:
        unit_id = sorted(webs)[1]
        webs[unit_id].lists[SECTIONS[1]].clear()
        changes.append(Change("emptied_section", unit_id, SECTIONS[1], night, deadline=night))
    return changes


def list_pages(web: UnitWeb) -> int:
    """Home, column, the articles and every page of every list."""
    return 2 + len(ARTICLES) + sum(max(1, -(-len(items) // PER_LIST_PAGE)) for items in web.lists.values())


def run_night(number: int, webs: dict[str, UnitWeb], sites: Path, work: Path, budget: int,
              changes: list[Change], planted: list[Change]) -> Night:
    for web in webs.values():
        web.requests.clear()
    out = work / "out"
    night_dir = work / f"night-{number}"
    night_dir.mkdir()
    today = FIRST_NIGHT + timedelta(days=number - 1)
    command = [sys.executable, "-m", "crawler", "run", "--sites", str(sites), "--out", str(out), "--no-throttle",
               "--concurrency", "8", "--workers", "1", "--today", today.isoformat(), "--budget", str(budget),
               "--verify-within", str(VERIFY_WITHIN)]
    measurement = measure(command, night_dir, timeout=3600)
    if measurement.exit_code:
        raise SystemExit(f"night {number}: run exited {measurement.exit_code}: "
                         f"{(night_dir / 'stderr').read_text()[-500:]}")
    run = out / "latest"
    summary = {row["unit_id"]: row for row in read(run / "summary.csv")}
    rows = {unit_id: read(run / f"{unit_id}.csv") for unit_id in webs}
    broken = {unit_id: {"/" + row["target_url"].split("/", 3)[3] for row in unit_rows if row["check"] == "broken_link"}
              for unit_id, unit_rows in rows.items()}
    empty = {unit_id: [row["detail"] for row in unit_rows if row["check"] == "empty_section"]
             for unit_id, unit_rows in rows.items()}
    resolved = {(row["unit_id"], "/" + row["target_url"].split("/", 3)[3]) for row in read(run / "resolved.csv")
                if row["check"] == "broken_link"}
    for change in changes:
        if change.found is not None:
            continue
        if change.kind in ("new_item_fault", "old_page_fault"):
            seen = change.target in broken[change.unit]
        elif change.kind == "fix":
            seen = (change.unit, change.target) in resolved
        else:
            seen = any(detail.startswith(change.target) for detail in empty[change.unit])
        change.found = number if seen else None
    # resolved only when truly fixed: the target answers on the site tonight
    false_resolved = [f"{unit_id}:{path}" for unit_id, path in resolved if path in webs[unit_id].broken]
    new_urls = sum(1 + ATTACHMENTS_PER_ITEM for c in planted if c.kind == "new_item_fault" and c.unit == "hq")
    new_urls += sum(1 for c in planted if c.kind == "old_page_fault")
    owed = list_pages(webs["hq"]) + new_urls + int(summary["hq"]["known"]) / VERIFY_WITHIN
    return Night(number, {unit_id: sum(web.requests.values()) for unit_id, web in webs.items()}, owed, summary["hq"],
                 measurement.peak_rss_bytes / 2**20, measurement.wall_s, false_resolved)


def night_line(night: Night, budget: int) -> str:
    small = max(count for unit_id, count in night.requests.items() if unit_id != "hq")
    return (f"night {night.number}: hq {night.requests['hq']:,} requests (budget {budget:,}; "
            f"{night.requests['hq'] / night.owed:.2f} x what the night owes), small units at most {small:,}; "
            f"hq known {int(night.hq['known']):,}, verified {int(night.hq['verified_tonight']):,}, "
            f"overdue {night.hq['overdue']}; peak RSS {night.peak_rss_mb:.0f} MB; {night.wall_s:.1f} s")


def report(nights: list[Night], changes: list[Change], budget: int) -> str:
    lines = ["", "| night | hq requests | budget | owed | requests / owed | hq known | hq verified | hq overdue "
             "| small units: max requests | peak RSS MB | wall s | false resolved |",
             "|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for night in nights:
        small = max(count for unit_id, count in night.requests.items() if unit_id != "hq")
        lines.append(f"| {night.number} | {night.requests['hq']:,} | {budget:,} | {night.owed:,.0f} | "
                     f"{night.requests['hq'] / night.owed:.2f} | {int(night.hq['known']):,} | "
                     f"{int(night.hq['verified_tonight']):,} | {night.hq['overdue']} | {small:,} | "
                     f"{night.peak_rss_mb:.0f} | {night.wall_s:.1f} | {len(night.false_resolved)} |")
    last = nights[-1].number
    lines += ["", "| change | planted | found in time | found late | missed | not yet due | most nights to find |",
              "|---|--:|--:|--:|--:|--:|--:|"]
    for kind in ("new_item_fault", "old_page_fault", "fix", "emptied_section"):
        of_kind = [c for c in changes if c.kind == kind]
        if not of_kind:
            continue
        in_time = sum(c.found is not None and c.found <= c.deadline for c in of_kind)
        late = sum(c.found is not None and c.found > c.deadline for c in of_kind)
        missed = sum(c.found is None and c.deadline <= last for c in of_kind)
        pending = sum(c.found is None and c.deadline > last for c in of_kind)
        delays = [c.found - c.planted for c in of_kind if c.found is not None]
        lines.append(f"| {kind} | {len(of_kind)} | {in_time} | {late} | {missed} | {pending} | "
                     f"{max(delays) if delays else '-'} |")
    lines += [f"missed: {c.kind} {c.unit} {c.target} (night {c.planted})"
              for c in changes if c.found is None and c.deadline <= last]
    lines += [f"falsely resolved on night {night.number}: {target}" for night in nights for target in night.false_resolved]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())

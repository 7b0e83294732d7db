"""Nightly runs re-verify a share of the known web: lists and new pages every night, the rest in
rotation within verify_within days, carried-over findings stay persisting until re-verified.

The end-to-end tests run `python -m crawler run` night after night (`--today`) against a loopback
customs-like web that changes between nights, counting the requests it answers."""
from __future__ import annotations

import csv
import math
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from benchmarks.nightly_web import Served, UnitWeb
from checks.facts import FetchResult, Link
from crawler.crawl.known import KnownWeb
from crawler.run.nightly import plan_night
from crawler.sites import Unit

ROOT = Path(__file__).resolve().parents[2]
FIRST_NIGHT = date(2026, 11, 2)
UNIT = Unit("u1", "测试海关", "http://127.0.0.1:1/", None, "disclosure", 4, 3000, verify_within=4)


# --- the plan, over a known web written as a night would -------------------------------------
def known_web(tmp_path: Path, ages: dict[str, int], failed: set[str] = frozenset(), lists: set[str] = frozenset()):
    """A known web of one page linking every key, each key verified `ages[key]` days before FIRST_NIGHT."""
    known = KnownWeb(tmp_path / "known.sqlite")
    home_links = [(key, Link(f"http://h/{key}", "", "a", "page")) for key in ages]
    known.absorb(FIRST_NIGHT, [("home", FetchResult("http://h/"))], [("u1", "home", "http://h/", "home", {}, home_links)])
    for key, age in ages.items():
        status = 404 if key in failed else 200
        pages = [("u1", key, f"http://h/{key}", "page", {"list": {}} if key in lists else {}, [])]
        known.absorb(FIRST_NIGHT - timedelta(days=age), [(key, FetchResult(f"http://h/{key}", status=status))], pages)
    return known


def test_the_plan_takes_lists_and_failures_then_the_longest_unverified(tmp_path):
    ages = {f"p{n:02}": n // 7 for n in range(20)}  # p14-p19 verified longest ago, none overdue
    known = known_web(tmp_path, ages, failed={"p00"}, lists={"p01"})
    plan = plan_night(known, [UNIT], FIRST_NIGHT, budget=None)
    unit = plan.units["u1"]
    assert unit.known == 21 and unit.every_night == 3  # the home, the list page, the failure
    assert (unit.rotation, unit.overdue) == (math.ceil(21 / 4), 0)
    assert plan.due == {"home", "p00", "p01", "p14", "p15", "p16", "p17", "p18", "p19"}


def test_every_overdue_key_is_due_even_beyond_the_share(tmp_path):
    known = known_web(tmp_path, {f"p{n:02}": 10 + n for n in range(12)})  # all past verify_within
    plan = plan_night(known, [UNIT], FIRST_NIGHT, budget=None)
    assert plan.units["u1"].overdue == 12 and plan.units["u1"].rotation == 12


def test_a_budget_limits_the_rotation_and_names_the_shortfall(tmp_path):
    known = known_web(tmp_path, {f"p{n:02}": n % 3 for n in range(12)}, failed={"p00", "p01", "p02"})
    roomy = plan_night(known, [UNIT], FIRST_NIGHT, budget=6)
    assert roomy.units["u1"].rotation == 2 and roomy.units["u1"].budget_note() is None
    tight = plan_night(known, [UNIT], FIRST_NIGHT, budget=2).units["u1"]
    assert tight.rotation == 0 and tight.shortfall == 2
    assert tight.budget_note() == "夜间请求预算不足：列表页与上次失败链接需 4 次请求，预算 2 次，缺 2 次"


# --- nights on a loopback web ----------------------------------------------------------------
class Nights:
    def __init__(self, tmp_path: Path, web: UnitWeb, verify_within: int):
        self.web, self.out, self.verify_within = web, tmp_path / "out", verify_within
        self.served = Served(web)
        self.sites = tmp_path / "sites.yaml"
        self.sites.write_text(f"units:\n  - id: u1\n    name: 测试海关\n    url: {self.served.url}\n", encoding="utf-8")

    def run(self, night: int, *options: str) -> tuple[int, dict, list[dict], list[dict]]:
        """Night `night` (0 the first): requests answered, the unit's summary row, CSV rows, resolved rows."""
        self.web.requests.clear()
        result = subprocess.run(
            [sys.executable, "-m", "crawler", "run", "--sites", str(self.sites), "--out", str(self.out), "--no-throttle",
             "--workers", "1", "--today", (FIRST_NIGHT + timedelta(days=night)).isoformat(),
             "--verify-within", str(self.verify_within), *options],
            cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
        run = self.out / "latest"
        [summary] = read(run / "summary.csv")
        return sum(self.web.requests.values()), summary, read(run / "u1.csv"), read(run / "resolved.csv")


def read(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


def broken(rows: list[dict]) -> dict[str, dict]:
    return {row["target_url"].split("/", 3)[3]: row for row in rows if row["check"] == "broken_link"}


@pytest.fixture
def nights(tmp_path):
    web = UnitWeb("测试海关", items_per_section=12, links_per_item=6, broken_share=0.0,
                  rng=random.Random(7), today=FIRST_NIGHT)
    nights = Nights(tmp_path, web, verify_within=3)
    yield nights
    nights.served.stop()


def test_three_nights_new_items_carried_findings_fixes_emptied_sections_and_the_budget(nights):
    web = nights.web
    old = web.lists["规范性文件"][-1]
    fixed = web.lists["行政处罚"][-1]
    for path in (old.attachments[0], fixed.attachments[1]):
        web.broken.add(path)
        web.files.discard(path)
    full, first, rows, _ = nights.run(0)
    assert sorted(broken(rows)) == sorted(path.lstrip("/") for path in (old.attachments[0], fixed.attachments[1]))
    known = int(first["known"])
    assert first["verified_tonight"] == first["known"] and first["overdue"] == "0"

    new = web.add_item("规范性文件", FIRST_NIGHT + timedelta(days=1), broken=True)
    web.files.add(fixed.attachments[1])  # fixed on the site
    web.lists["政府信息公开年报"].clear()  # a section emptied
    requests, second, rows, resolved = nights.run(1)
    lists = 2 + 2 + len(web.lists)  # home, column, the two articles, one page per list
    new_targets = 1 + len(new.attachments) + 1  # a refused HEAD is asked again with GET
    failures = 2  # last night's failures, asked with GET at once (their server refused HEAD)
    # the night's requests: lists and new pages, last night's failures, its share of the rest
    assert requests <= lists + new_targets + failures + math.ceil(known / 3) + 1  # + the host's error probe
    assert requests < full / 2
    assert int(second["verified_tonight"]) < int(second["known"]) and second["overdue"] == "0"
    found = broken(rows)
    assert found[new.attachments[0].lstrip("/")]["state"] == "new"  # found the night it appears
    carried = found[old.attachments[0].lstrip("/")]  # its page and target not verified tonight
    assert (carried["state"], carried["first_seen"]) == ("persisting", FIRST_NIGHT.isoformat())
    assert fixed.attachments[1].lstrip("/") not in found  # a failure is verified every night
    assert [row["target_url"].endswith(fixed.attachments[1]) for row in resolved] == [True]
    assert [row["detail"][:7] for row in rows if row["check"] == "empty_section"] == ["政府信息公开年"]

    _, third, rows, resolved = nights.run(2, "--budget", "3")
    limits = [row for row in rows if row["check"] == "crawl_limit"]
    assert len(limits) == 1 and "夜间请求预算不足" in limits[0]["detail"] and "缺" in limits[0]["detail"]
    assert third["crawl_complete"] == "no" and resolved == []
    # one run store in the output folder, not one per night: the known web keeps what they held
    stores = {store.parent.resolve() for store in nights.out.glob("*/crawl.sqlite")}
    assert stores == {(nights.out / "latest").resolve()}
    assert (nights.out / "known.sqlite").exists()


def test_a_change_on_an_old_page_is_found_within_verify_within_nights(nights):
    web = nights.web
    nights.run(0)
    target = web.lists["法定主动公开内容"][5]
    target.extra_links.append("/files/gone.pdf")  # an old page breaks after the first night
    found_on = None
    for night in range(1, nights.verify_within + 1):
        _, _, rows, _ = nights.run(night)
        if "files/gone.pdf" in broken(rows):
            found_on = night
            break
    assert found_on is not None and found_on <= nights.verify_within

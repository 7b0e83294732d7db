"""One audit run: crawl the selected units with Scrapy, assess the facts, write the run folder."""
from __future__ import annotations

import contextlib
import fcntl
import json
import os
import platform
import sqlite3
import tempfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import scrapy

from checks.dates import shanghai_now
from checks.findings import fingerprint
from checks.hosts import host_of
from checks.regulations import default_library_dir, load_library
from checks.rules import load_rules
from crawler import settings
from crawler.crawl.options import CrawlOptions, crawl_settings
from crawler.crawl.page_facts import PageAnalyzer
from crawler.crawl.store import RunStore, storage_failure
from crawler.outcome.assess import Context, add_ipv6, assess_unit
from crawler.outcome.history import History
from crawler.outcome.model import Seen, UnitReport
from crawler.probe.dns import make_resolver, probe_nameservers
from crawler.probe.ipv6 import IPv6Target, own_link_hosts, run_ipv6_check
from crawler.report.folder import write_run_folder
from crawler.run.nightly import begin_night, end_night
from crawler.run.retention import drop_earlier_run_stores, prune_runs
from crawler.run.window import CrawlWindow
from crawler.run.workers import INTERRUPTED, STORAGE_ERROR, WORKER_DIED, CrawlJob, crawl, crawl_sharded
from crawler.sites import Unit
from crawler.version import __version__


def new_run_id(out_dir: Path) -> tuple[datetime, str]:
    """YYYYMMDD-HHMMSS of now; two runs within one second wait for the next one (ids stay unique)."""
    while True:
        started = shanghai_now()
        run_id = started.strftime("%Y%m%d-%H%M%S")
        if not (out_dir / run_id).exists():
            return started, run_id
        time.sleep(0.2)


def discover_columns(units: list[Unit], options: RunOptions, analyzer: PageAnalyzer | None = None) -> dict[str, dict]:
    """Fetch each unit's home page only and say how its disclosure column is found (`sites check`)."""
    check_nameservers(options.crawl)
    with tempfile.TemporaryDirectory() as scratch:
        job = CrawlJob(units, options.crawl, Path(scratch) / "discover.sqlite", Path(scratch) / "crawl.log",
                       discover_only=True)
        crawl(job, analyzer or PageAnalyzer(load_rules(), load_library(default_library_dir()), options.today))
        store = RunStore(job.store_path)
        found = {unit.id: store.unit(unit.id) for unit in units}
        store.close()
    return found


class OutsideWindow(Exception):
    """The run was started outside its crawl window: nothing to do now (exit code 0)."""


class RunInterrupted(Exception):
    """The crawl was stopped by a signal; the same command resumes it (exit code 3)."""


RESUME_WITHIN = timedelta(hours=24)


def run_command(units: list[Unit], options: RunOptions) -> str:
    """What makes two runs 'the same command': the units (and their URLs) and the crawl options."""
    return json.dumps({
        "units": [[unit.id, unit.url, unit.disclosure_url] for unit in units],
        "today": options.today.isoformat(), "scope": options.crawl.scope, "max_pages": options.max_pages,
        "nameservers": options.crawl.nameservers,
    }, ensure_ascii=False, sort_keys=True)


def resumable_run(history: History, command: str, out_dir: Path) -> tuple[str, datetime] | None:
    """The unfinished run of the same command to resume, in its run folder (whatever the crawl's
    shape: one store or the workers' stores); runs unfinished for 24 hours are failed."""
    found = None
    now = shanghai_now()
    for run_id, started_text, run_command_ in history.unfinished_runs():
        started = datetime.fromisoformat(started_text)
        if now - started > RESUME_WITHIN or not (out_dir / run_id).is_dir():
            history.end_run(run_id, now.isoformat(timespec="seconds"), "failed")
        elif found is None and run_command_ == command:
            found = (run_id, started)
    return found


class RunFailed(Exception):
    """The run could not produce meaningful results (exit code 3); one-line message."""


@dataclass
class RunOptions:
    out_dir: Path
    today: date
    crawl: CrawlOptions = field(default_factory=CrawlOptions)
    max_pages: int | None = None
    rules_override: dict = field(default_factory=dict)  # the `rules:` key of sites.yaml
    workers: int | None = None  # crawl processes for several units (default: one per core)
    regulations_dir: Path | None = None  # default: the bundled library
    keep_runs: int | None = None  # prune run folders beyond the newest N (None: keep all)
    window: CrawlWindow | None = None  # crawl only inside this daily window (Asia/Shanghai)
    verify_within: int | None = None  # days (overrides sites.yaml): each known page re-verified this often
    budget: int | None = None  # requests per host per night (default: from --window at the polite pace)

    def record(self) -> dict:
        """The options as run.json keeps them: one flat object of plain, readable values."""
        options = {name: value for name, value in vars(self).items() if name != "crawl"} | vars(self.crawl)
        return {name: _readable(value) for name, value in options.items()}


def _readable(value):
    """An option's value as JSON a person reads: paths, dates and the window as their text."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (Path, CrawlWindow)):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        return [_readable(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _readable(item) for key, item in value.items()}
    raise TypeError(f"run.json cannot record {type(value).__name__} {value!r}: give it a readable form")


class RunRefused(Exception):
    """The run cannot start as asked (exit code 2); one-line message."""


class RunLocked(RunRefused):
    """Another run is writing to the same output folder."""


@contextlib.contextmanager
def run_lock(out_dir: Path):
    """One run at a time per output folder. flock is released by the OS when a process dies,
    so a crashed run never leaves a stale lock behind."""
    if out_dir.exists() and not out_dir.is_dir():
        raise RunRefused(f"--out {out_dir} is a file, not a folder")
    out_dir.mkdir(parents=True, exist_ok=True)
    with open(out_dir / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunLocked(f"another run is in progress in {out_dir} ({holder}); try again when it ends") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield


@dataclass
class RunOutcome:
    run_id: str
    run_dir: Path
    reports: list[UnitReport]


HTTP_CACHE_DIR = ".httpcache"  # in OUT: crawled pages kept between runs


def night_budget(options: RunOptions) -> int | None:
    """Requests each host may take tonight: --budget, else what the window holds at the polite pace."""
    if options.budget:
        return options.budget
    if options.window and not options.crawl.no_throttle:
        return int(options.window.seconds_left(shanghai_now()) / settings.DOWNLOAD_DELAY)
    return None


def check_nameservers(options: CrawlOptions) -> None:
    """Fail fast with one line when the given nameservers do not answer (exit code 3: the run failed)."""
    if options.nameservers:
        probe_nameservers(make_resolver(options.nameservers, timeout=options.timeout or 5.0))


def run_audit(units: list[Unit], options: RunOptions, progress=None, site_when_no_column: bool = False,
              keep_history: bool = True, all_units: list[Unit] | None = None) -> RunOutcome:
    """Crawl `units`, write `options.out_dir/<run-id>/`, and return what was found.

    With `keep_history`, findings get their first_seen/state from OUT/history.sqlite and fixed
    ones go to resolved.csv; spot checks leave the history alone.
    """
    rules = load_rules(options.rules_override)
    library = load_library(options.regulations_dir or default_library_dir())
    context = Context(options.today, rules, {host_of(u.url): u.name for u in all_units or units})
    try:
        with run_lock(options.out_dir):
            return _run(units, options, progress, site_when_no_column, keep_history, context,
                        PageAnalyzer(rules, library, options.today))
    except (OSError, sqlite3.Error) as exc:
        if not storage_failure(exc):
            raise
        raise RunFailed(f"run failed: cannot write to {options.out_dir} ({exc}); the history is kept as it was, "
                        "free space or fix the folder, then start the same command again") from None


def _run(units, options, progress, site_when_no_column, keep_history, context, analyzer) -> RunOutcome:
    window_closes_at = None
    if options.window:
        seconds_left = options.window.seconds_left(shanghai_now())
        if not seconds_left:
            raise OutsideWindow(f"outside the crawl window {options.window} (Asia/Shanghai): nothing crawled")
        window_closes_at = time.time() + seconds_left
    overrides = {"max_pages": options.max_pages, "verify_within": options.verify_within}
    overrides = {name: value for name, value in overrides.items() if value}
    if overrides:
        units = [Unit(**{**unit.__dict__, **overrides}) for unit in units]
    check_nameservers(options.crawl)
    if options.crawl.render:
        from crawler.crawl.render import RenderUnavailable, chromium_executable  # loads Playwright: only here

        try:
            chromium_executable(crawl_settings(options.crawl, Path(os.devnull)))
        except RenderUnavailable as exc:
            raise RunRefused(str(exc)) from None
    history = History(options.out_dir / "history.sqlite") if keep_history else None
    command = run_command(units, options)
    resumed = history and resumable_run(history, command, options.out_dir)
    if resumed:
        run_id, started = resumed
    else:
        started, run_id = new_run_id(options.out_dir)
        if history:
            history.begin_run(run_id, started.isoformat(timespec="seconds"), options.today, command)
    run_dir = options.out_dir / run_id
    run_dir.mkdir(parents=True, exist_ok=True)
    # A nightly run re-verifies its share of the known web; a spot check fetches everything afresh.
    night, plan = begin_night(options.out_dir, units, options.today, night_budget(options)) if history else (None, None)
    job = CrawlJob(units, options.crawl, run_dir / "crawl.sqlite", run_dir / "crawl.log", site_when_no_column,
                   resume=bool(resumed), window_closes_at=window_closes_at,
                   night=night)
    if progress is None:
        stats = crawl_sharded(job, analyzer, options.workers or min(os.cpu_count() or 1, len(units)))
    else:
        stats = crawl(job, analyzer, progress)
    finish_reason = stats.get("finish_reason")
    if finish_reason in (STORAGE_ERROR, WORKER_DIED):
        raise RunFailed(f"run {run_id} failed: {stats.get('error') or finish_reason}; the history is kept as it "
                        "was, start the same command again to resume it")
    store = RunStore(job.store_path)
    if finish_reason in INTERRUPTED:  # SIGTERM/SIGINT or the window's end: kept for the resume
        store.close()
        why = "the crawl window ended" if finish_reason == "crawl_window" else "interrupted"
        raise RunInterrupted(f"run {run_id} {why}; start the same command again to resume it")

    reports = [assess_unit(store, unit, context, plan.units[unit.id].budget_note() if plan else None) for unit in units]
    other_hosts = {urlsplit(f"//{netloc}").hostname for netloc in context.unit_hosts}
    ipv6 = run_ipv6_check(
        [IPv6Target(r.unit.id, r.unit.url, own_link_hosts(r.unit.url, r.link_netlocs, other_hosts)) for r in reports],
        options.crawl.nameservers, options.crawl.timeout, context.rules.ipv6_link_share_threshold)
    for report in reports:
        add_ipv6(report, ipv6.get(report.unit.id))
    if night:
        end_night(night, store, reports, options.today)
    run_info = {
        "run_id": run_id,
        "start": started.isoformat(timespec="seconds"),
        "end": shanghai_now().isoformat(timespec="seconds"),
        "today": options.today.isoformat(),
        "finish_reason": finish_reason,
        "requests": stats.get("downloader/request_count", 0),
        "bytes_downloaded": stats.get("audit/bytes_received", 0),
        "pages_unchanged": stats.get("httpcache/revalidate", 0),  # answered 304: the kept copy was used
        "resumed": bool(resumed),  # the crawl went on from a killed or stopped run of the same command
        "worker_restarts": stats.get("worker_restarts", 0),  # crawl workers that died alone and were redone
        "options": options.record(),
        "versions": {"customs-audit": __version__, "scrapy": scrapy.__version__, "python": platform.python_version()},
        "units": {r.unit.id: {"pages_crawled": r.pages_crawled, "links_checked": r.links_checked,
                              "crawl_complete": r.crawl_complete, "crawl_notes": r.crawl_notes,
                              "limits": r.stats.get("limits", {}), "findings": len(r.findings),
                              **({"coverage": r.stats["coverage"]} if "coverage" in r.stats else {})} for r in reports},
    }
    if history:
        # All or nothing: a run that cannot write its folder leaves the history as it was, and
        # its resume records the findings once.
        with history.transaction():
            for report in reports:
                report.rows, report.resolved = history.record_unit(
                    run_id, options.today, report.unit.id, report.findings, report.crawl_complete,
                    report.verified_pages, report.verified_targets)
            history.save_run(run_id, reports, run_info)  # `report RUN` rebuilds the folder from it
            write_run_folder(run_dir, reports, run_info, history.trend(run_id))
            history.end_run(run_id, run_info["end"], "finished")
    else:
        for report in reports:
            report.rows = [Seen(f, fingerprint(f), options.today.isoformat(), "new") for f in report.findings]
        write_run_folder(run_dir, reports, run_info, (), workbook=False)
    store.close()  # after the history: the reports' verified pages and targets are asked of it
    if history:
        drop_earlier_run_stores(options.out_dir, history, run_dir)
        if options.keep_runs:
            prune_runs(options.out_dir, options.keep_runs, history, run_dir, options.out_dir / HTTP_CACHE_DIR)
        history.close()
    outcome = RunOutcome(run_id, run_dir, reports)
    if reports and not any(r.reachable for r in reports):
        raise RunFailed(f"run failed: every unit was unreachable ({len(reports)} units); reports in {run_dir}")
    return outcome

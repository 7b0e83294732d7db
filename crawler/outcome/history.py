"""Run history in SQLite (`OUT/history.sqlite`): runs, findings by stable fingerprint, first/last seen.

It answers, for each finding of a run, since when it is known (`first_seen`) and whether it is
`new`, `persisting` or `accepted` by an inspector, and which findings of the unit's previous run
are gone (`resolved`). A finding is resolved only when the unit's crawl was complete and the page
that carried it was crawled again: an unreachable, blocked or cut-short unit resolves
nothing.

Each finished run also keeps what it reported, in full (every finding with its evidence, each
unit's crawl numbers, run.json), so `report RUN` rebuilds a run folder without crawling, long
after the folder itself was pruned.
"""
from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import sqlite3
from collections import Counter, defaultdict
from collections.abc import Container
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from checks.findings import CATALOG, Finding, fingerprint
from crawler.outcome.model import Acceptance, Resolved, Seen, TrendPoint, UnitReport
from crawler.sites import Unit

# The UnitReport.stats the reports show; the rest is crawl bookkeeping.
REPORT_STATS = ("ipv6_verdict", "ipv6_link_share", "home_final_url", "coverage")

MIGRATIONS = [
    # 1: runs, findings and the findings each run reported
    """
    CREATE TABLE runs (
        run_id TEXT PRIMARY KEY, started TEXT NOT NULL, ended TEXT, today TEXT NOT NULL,
        status TEXT NOT NULL, command TEXT NOT NULL DEFAULT '');
    CREATE TABLE findings (
        fingerprint TEXT PRIMARY KEY, unit_id TEXT NOT NULL, check_code TEXT NOT NULL,
        page_url TEXT NOT NULL, target_url TEXT NOT NULL, detail TEXT NOT NULL,
        first_seen TEXT NOT NULL, last_seen TEXT NOT NULL, resolved_on TEXT);
    CREATE TABLE run_units (
        run_id TEXT NOT NULL, unit_id TEXT NOT NULL, complete INTEGER NOT NULL,
        PRIMARY KEY (run_id, unit_id));
    CREATE TABLE run_findings (
        run_id TEXT NOT NULL, unit_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
        PRIMARY KEY (run_id, fingerprint));
    """,
    # 2: what each run reported, in full (report RUN), and the findings inspectors accepted
    """
    ALTER TABLE runs ADD COLUMN info TEXT;
    ALTER TABLE run_units ADD COLUMN report TEXT;
    CREATE TABLE run_rows (
        run_id TEXT NOT NULL, unit_id TEXT NOT NULL, position INTEGER NOT NULL,
        fingerprint TEXT NOT NULL, check_code TEXT NOT NULL, state TEXT NOT NULL,
        first_seen TEXT NOT NULL, row TEXT NOT NULL,
        PRIMARY KEY (run_id, unit_id, position));
    CREATE INDEX run_rows_by_fingerprint ON run_rows (fingerprint, run_id);
    CREATE TABLE acceptances (
        fingerprint TEXT PRIMARY KEY, unit_id TEXT NOT NULL, reason TEXT NOT NULL,
        until TEXT, accepted_at TEXT NOT NULL);
    """,
    # 3: the rectification notices sent, and the findings each listed
    """
    CREATE TABLE notices (
        unit_id TEXT NOT NULL, run_id TEXT NOT NULL, issued_on TEXT NOT NULL, deadline TEXT NOT NULL,
        PRIMARY KEY (unit_id, run_id));
    CREATE TABLE notice_findings (
        unit_id TEXT NOT NULL, run_id TEXT NOT NULL, fingerprint TEXT NOT NULL,
        PRIMARY KEY (unit_id, run_id, fingerprint));
    """,
]

TREND_RUNS = 30


class HistoryError(Exception):
    """A run or finding the history does not know, or not uniquely; one line."""


class HistoryDamaged(HistoryError):
    """The history file is not a sound SQLite database: nothing is written to it (exit code 3)."""


@dataclass(frozen=True)
class IssuedNotice:
    """A rectification notice sent to a unit: from which run, when, the reply deadline, what it listed."""

    run_id: str
    issued_on: str  # YYYY-MM-DD
    deadline: str  # YYYY-MM-DD
    fingerprints: frozenset[str]


class History:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self._in_transaction = False
        try:
            problems = [row for (row,) in self.db.execute("PRAGMA quick_check") if row != "ok"]
            if problems:
                raise self._damaged(f"{len(problems)} problems, first: {problems[0]}")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            if getattr(exc, "sqlite_errorcode", 0) & 0xFF not in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
                raise
            raise self._damaged(str(exc)) from None
        except HistoryDamaged:
            self.db.close()
            raise

    def _damaged(self, detail: str) -> HistoryDamaged:
        """A damaged file (a disk fault, a copy cut short) is told at start, before anything is added to it."""
        backups = sorted(self.path.parent.glob(f"{self.path.name}.v*.bak"))
        restore = f"restore {backups[-1].name} over it" if backups else "restore it from a backup"
        return HistoryDamaged(f"{self.path} is damaged ({detail}): {restore}, or move it away to start a new history")

    def close(self) -> None:
        self.db.close()

    @contextlib.contextmanager
    def transaction(self):
        """What is written inside is kept all or nothing: a run's findings, its reports and its end."""
        if self._in_transaction:
            yield
            return
        self._in_transaction = True
        try:
            with self.db:
                yield
        finally:
            self._in_transaction = False

    def _migrate(self) -> None:
        """Each migration and its version number in one transaction: a crash leaves the old schema.
        A history that has data is copied first (history.sqlite.vN.bak, N its schema version):
        a new version that turns out wrong can be undone."""
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if 0 < version < len(MIGRATIONS):
            backup = sqlite3.connect(self.path.with_name(f"{self.path.name}.v{version}.bak"))
            with backup:
                self.db.backup(backup)
            backup.close()
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            self.db.executescript(f"BEGIN; {script}; PRAGMA user_version = {number}; COMMIT;")

    def begin_run(self, run_id: str, started: str, today: date, command: str) -> None:
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO runs (run_id, started, ended, today, status, command) "
                            "VALUES (?, ?, NULL, ?, 'running', ?)", (run_id, started, today.isoformat(), command))

    def end_run(self, run_id: str, ended: str, status: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE runs SET ended = ?, status = ? WHERE run_id = ?", (ended, status, run_id))

    def unfinished_runs(self) -> list[tuple[str, str, str]]:
        """(run id, started, command) of runs that never ended, newest first."""
        return self.db.execute(
            "SELECT run_id, started, command FROM runs WHERE status = 'running' ORDER BY run_id DESC"
        ).fetchall()

    def record_unit(
        self, run_id: str, today: date, unit_id: str, findings: list[Finding], complete: bool,
        verified_pages: Container[str], verified_targets: Container[str] = frozenset(),
    ) -> tuple[list[Seen], list[Resolved]]:
        """Store this run's findings of a unit; return them with their history, and what was fixed."""
        day = today.isoformat()
        seen: list[Seen] = []
        current: set[str] = set()
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO run_units (run_id, unit_id, complete) VALUES (?, ?, ?)",
                            (run_id, unit_id, int(complete)))
            self.db.execute("DELETE FROM run_findings WHERE run_id = ? AND unit_id = ?", (run_id, unit_id))
            for finding in findings:
                print_ = fingerprint(finding)
                if print_ in current:
                    continue
                current.add(print_)
                row = self.db.execute(
                    "SELECT first_seen, resolved_on FROM findings WHERE fingerprint = ?", (print_,)
                ).fetchone()
                if row is None or row[1] is not None:  # never seen, or seen again after a fix
                    first_seen, state = day, "new"
                    self.db.execute(
                        "INSERT OR REPLACE INTO findings VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                        (print_, unit_id, finding.check, finding.page_url, finding.target_url, finding.detail, day, day),
                    )
                else:
                    first_seen = row[0]
                    state = "persisting" if self._reported_before(print_, run_id) else "new"
                    self.db.execute("UPDATE findings SET last_seen = ?, detail = ? WHERE fingerprint = ?",
                                    (day, finding.detail, print_))
                self.db.execute("INSERT OR REPLACE INTO run_findings VALUES (?, ?, ?)", (run_id, unit_id, print_))
                acceptance = self.acceptance(print_)
                if acceptance is not None and acceptance.holds_on(day):
                    seen.append(Seen(finding, print_, first_seen, "accepted", acceptance))
                else:
                    seen.append(Seen(finding, print_, first_seen, state))
            resolved = self._resolve(unit_id, current, complete, verified_pages, verified_targets, day)
        return seen, resolved

    def _reported_before(self, print_: str, run_id: str) -> bool:
        return self.db.execute(
            "SELECT 1 FROM run_findings WHERE fingerprint = ? AND run_id < ? LIMIT 1", (print_, run_id)
        ).fetchone() is not None

    def _resolve(self, unit_id: str, current: set[str], complete: bool, verified_pages: Container[str],
                 verified_targets: Container[str], day: str) -> list[Resolved]:
        """Open findings of the unit that this complete crawl no longer sees on a page it crawled again."""
        if not complete:
            return []
        rows = self.db.execute(
            "SELECT fingerprint, check_code, page_url, target_url, detail, first_seen FROM findings "
            "WHERE unit_id = ? AND resolved_on IS NULL",
            (unit_id,),
        ).fetchall()
        resolved = []
        for print_, check, page_url, target_url, detail, first_seen in rows:
            # gone, and seen gone: its page or its target was fetched again in this run
            if print_ in current or not (page_url in verified_pages or (target_url and target_url in verified_targets)):
                continue
            self.db.execute("UPDATE findings SET resolved_on = ? WHERE fingerprint = ?", (day, print_))
            last = self._last_reported(print_) or Finding(unit_id, check, page_url, detail, target_url=target_url)
            resolved.append(Resolved(last, print_, first_seen))
        return resolved

    def _last_reported(self, print_: str) -> Finding | None:
        """The finding as the newest stored run reported it (link text, status, evidence included)."""
        row = self.db.execute(
            "SELECT row FROM run_rows WHERE fingerprint = ? AND state != 'resolved' ORDER BY run_id DESC LIMIT 1",
            (print_,),
        ).fetchone()
        return Finding(**json.loads(row[0])["finding"]) if row else None

    # --- accepted findings ----------------------------------------------------------------
    def acceptance(self, print_: str) -> Acceptance | None:
        row = self.db.execute("SELECT reason, until, accepted_at FROM acceptances WHERE fingerprint = ?",
                              (print_,)).fetchone()
        return Acceptance(*row) if row else None

    def accept(self, unit_id: str, prefix: str, reason: str, until: date | None, accepted_at: str) -> Finding:
        """Accept the unit's finding whose fingerprint starts with `prefix`; accepting again replaces it."""
        prefix = prefix.strip().lower()
        if not re.fullmatch(r"[0-9a-f]{4,20}", prefix):
            raise HistoryError(f"invalid fingerprint {prefix!r} (expected at least 4 of its hex digits)")
        if not reason.strip():
            raise HistoryError("--reason must say why the finding is accepted")
        matches = self.db.execute(
            "SELECT fingerprint, check_code, page_url, target_url, detail FROM findings "
            "WHERE unit_id = ? AND substr(fingerprint, 1, ?) = ?", (unit_id, len(prefix), prefix),
        ).fetchall()
        if not matches:
            raise HistoryError(f"unit {unit_id} has no finding with fingerprint {prefix} in {self.path}")
        if len(matches) > 1:
            raise HistoryError(f"fingerprint {prefix} is ambiguous: {len(matches)} findings of {unit_id} start "
                               "with it; give more digits")
        print_, check, page_url, target_url, detail = matches[0]
        with self.transaction():
            self.db.execute("INSERT OR REPLACE INTO acceptances VALUES (?, ?, ?, ?, ?)",
                            (print_, unit_id, reason.strip(), until.isoformat() if until else None, accepted_at))
        return self._last_reported(print_) or Finding(unit_id, check, page_url, detail, target_url=target_url)

    # --- stored reports -------------------------------------------------------------------
    def save_run(self, run_id: str, reports: list[UnitReport], run_info: dict) -> None:
        """Keep everything the run folder shows, so that `report RUN` can write it again."""
        with self.transaction():
            self.db.execute("UPDATE runs SET info = ? WHERE run_id = ?",
                            (json.dumps(run_info, ensure_ascii=False), run_id))
            self.db.execute("DELETE FROM run_rows WHERE run_id = ?", (run_id,))
            for position, report in enumerate(reports):
                unit = {
                    "position": position,
                    "unit": dataclasses.asdict(report.unit),
                    "pages_crawled": report.pages_crawled,
                    "links_checked": report.links_checked,
                    "crawl_complete": report.crawl_complete,
                    "crawl_notes": report.crawl_notes,
                    "reachable": report.reachable,
                    "stats": {key: report.stats[key] for key in REPORT_STATS if key in report.stats},
                }
                self.db.execute("INSERT OR REPLACE INTO run_units (run_id, unit_id, complete, report) VALUES (?, ?, ?, ?)",
                                (run_id, report.unit.id, int(report.crawl_complete),
                                 json.dumps(unit, ensure_ascii=False)))
                rows = [(r.fingerprint, r.finding, r.first_seen, r.state, r.acceptance) for r in report.rows]
                rows += [(r.fingerprint, r.finding, r.first_seen, "resolved", None) for r in report.resolved]
                for index, (print_, finding, first_seen, state, acceptance) in enumerate(rows):
                    row = {"finding": dataclasses.asdict(finding)}
                    if acceptance is not None:
                        row["acceptance"] = dataclasses.asdict(acceptance)
                    self.db.execute("INSERT INTO run_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                    (run_id, report.unit.id, index, print_, finding.check, state, first_seen,
                                     json.dumps(row, ensure_ascii=False)))

    def latest_reported_run(self) -> str | None:
        row = self.db.execute("SELECT run_id FROM runs WHERE status = 'finished' AND info IS NOT NULL "
                              "ORDER BY run_id DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def load_run(self, run_id: str) -> tuple[dict, list[UnitReport]]:
        """run.json and the unit reports of a stored run, as the run wrote them."""
        row = self.db.execute("SELECT info FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise HistoryError(f"no run {run_id} in {self.path}")
        if row[0] is None:
            raise HistoryError(f"run {run_id} has no stored reports (unfinished, or older than report storage)")
        units = sorted((json.loads(text) for (text,) in self.db.execute(
            "SELECT report FROM run_units WHERE run_id = ? AND report IS NOT NULL", (run_id,))),
            key=lambda unit: unit["position"])
        reports = []
        for unit in units:
            rows: list[Seen] = []
            resolved: list[Resolved] = []
            for print_, state, first_seen, text in self.db.execute(
                "SELECT fingerprint, state, first_seen, row FROM run_rows WHERE run_id = ? AND unit_id = ? "
                "ORDER BY position", (run_id, unit["unit"]["id"]),
            ):
                stored = json.loads(text)
                finding = Finding(**stored["finding"])
                if state == "resolved":
                    resolved.append(Resolved(finding, print_, first_seen))
                else:
                    acceptance = Acceptance(**stored["acceptance"]) if "acceptance" in stored else None
                    rows.append(Seen(finding, print_, first_seen, state, acceptance))
            fields = {field.name for field in dataclasses.fields(Unit)}
            reports.append(UnitReport(
                unit=Unit(**{name: unit["unit"].get(name) for name in fields}),
                findings=[row.finding for row in rows],
                pages_crawled=unit["pages_crawled"],
                links_checked=unit["links_checked"],
                crawl_complete=unit["crawl_complete"],
                crawl_notes=unit["crawl_notes"],
                reachable=unit["reachable"],
                stats=dict(unit["stats"]),
                rows=rows,
                resolved=resolved,
            ))
        return json.loads(row[0]), reports

    def trend(self, run_id: str, limit: int = TREND_RUNS) -> list[TrendPoint]:
        """The stored runs up to `run_id`, oldest first: what their unit CSVs held, new and fixed."""
        runs = self.db.execute(
            "SELECT run_id, today FROM runs WHERE info IS NOT NULL AND run_id <= ? AND status != 'failed' "
            "ORDER BY run_id DESC LIMIT ?", (run_id, limit),
        ).fetchall()[::-1]
        points = []
        for id_, today in runs:
            counts: Counter = Counter()
            for check, state, number in self.db.execute(
                "SELECT check_code, state, COUNT(*) FROM run_rows WHERE run_id = ? GROUP BY check_code, state", (id_,)
            ):
                counts[state] += number
                if state in ("new", "persisting"):
                    counts[CATALOG[check].severity] += number
            points.append(TrendPoint(id_, today, {s: counts[s] for s in ("high", "medium", "low")},
                                     counts["new"], counts["resolved"], counts["accepted"]))
        return points

    # --- notices and bulletins ------------------------------------------------------------
    def record_notice(self, unit_id: str, run_id: str, issued_on: str, deadline: str,
                      fingerprints: list[str]) -> None:
        """Remember a notice sent from a run; writing it again from the same run replaces it."""
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO notices VALUES (?, ?, ?, ?)", (unit_id, run_id, issued_on, deadline))
            self.db.execute("DELETE FROM notice_findings WHERE unit_id = ? AND run_id = ?", (unit_id, run_id))
            self.db.executemany("INSERT OR IGNORE INTO notice_findings VALUES (?, ?, ?)",
                                [(unit_id, run_id, print_) for print_ in fingerprints])

    def earlier_notices(self, unit_id: str, run_id: str) -> list[IssuedNotice]:
        """The notices sent to the unit from runs before `run_id`, oldest first."""
        notices = []
        for notice_run, issued_on, deadline in self.db.execute(
            "SELECT run_id, issued_on, deadline FROM notices WHERE unit_id = ? AND run_id < ? ORDER BY run_id",
            (unit_id, run_id),
        ).fetchall():
            prints = frozenset(print_ for (print_,) in self.db.execute(
                "SELECT fingerprint FROM notice_findings WHERE unit_id = ? AND run_id = ?", (unit_id, notice_run)))
            notices.append(IssuedNotice(notice_run, issued_on, deadline, prints))
        return notices

    def resolved_between(self, unit_id: str, after_run: str, upto_run: str) -> list[tuple[Resolved, str]]:
        """The unit's findings resolved by the runs after `after_run` up to `upto_run`, each with the
        day of the run that found it fixed; a finding fixed twice is given once, as last fixed."""
        found: dict[str, tuple[Resolved, str]] = {}
        for print_, first_seen, text, today in self.db.execute(
            "SELECT r.fingerprint, r.first_seen, r.row, runs.today FROM run_rows r JOIN runs USING (run_id) "
            "WHERE r.unit_id = ? AND r.state = 'resolved' AND r.run_id > ? AND r.run_id <= ? "
            "ORDER BY r.run_id, r.position", (unit_id, after_run, upto_run),
        ):
            found[print_] = (Resolved(Finding(**json.loads(text)["finding"]), print_, first_seen), today)
        return list(found.values())

    def reported_runs(self, since: str, until: str) -> list[tuple[str, str]]:
        """(run id, day) of the finished runs with stored reports whose day is within [since, until]."""
        return self.db.execute(
            "SELECT run_id, today FROM runs WHERE status = 'finished' AND info IS NOT NULL "
            "AND today >= ? AND today <= ? ORDER BY run_id", (since, until),
        ).fetchall()

    def last_reported_run_before(self, day: str) -> str | None:
        row = self.db.execute(
            "SELECT run_id FROM runs WHERE status = 'finished' AND info IS NOT NULL AND today < ? "
            "ORDER BY run_id DESC LIMIT 1", (day,),
        ).fetchone()
        return row[0] if row else None

    def open_findings_by_run(self, run_ids: list[str], checks: set[str]) -> dict[str, dict[str, list[Finding]]]:
        """unit id -> run id -> the unit's open findings of `checks` in that run (every run that
        assessed the unit is a key, with or without findings)."""
        by_unit: dict[str, dict[str, list[Finding]]] = defaultdict(dict)
        marks = ",".join("?" * len(run_ids))
        for run_id, unit_id in self.db.execute(
            f"SELECT run_id, unit_id FROM run_units WHERE report IS NOT NULL AND run_id IN ({marks})", run_ids,
        ):
            by_unit[unit_id][run_id] = []
        if checks:
            check_marks = ",".join("?" * len(checks))
            for run_id, unit_id, text in self.db.execute(
                f"SELECT run_id, unit_id, row FROM run_rows WHERE run_id IN ({marks}) "
                f"AND check_code IN ({check_marks}) AND state IN ('new', 'persisting')", [*run_ids, *checks],
            ):
                by_unit[unit_id].setdefault(run_id, []).append(Finding(**json.loads(text)["finding"]))
        return dict(by_unit)

    def changes_by_unit(self, run_ids: list[str]) -> dict[str, Counter]:
        """unit id -> how many findings the runs found new and found resolved."""
        marks = ",".join("?" * len(run_ids))
        counts: dict[str, Counter] = defaultdict(Counter)
        for unit_id, state, number in self.db.execute(
            f"SELECT unit_id, state, COUNT(*) FROM run_rows WHERE run_id IN ({marks}) "
            "AND state IN ('new', 'resolved') GROUP BY unit_id, state", run_ids,
        ):
            counts[unit_id][state] += number
        return dict(counts)

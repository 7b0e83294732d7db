"""Run history in SQLite (`OUT/history.sqlite`): runs, findings by stable fingerprint, first/last seen.

It answers, for each finding of a run, since when it is known (`first_seen`) and whether it is
`new` or `persisting`, and which findings of the unit's previous run are gone (`resolved`). A
finding is resolved only when the unit's crawl was complete and the page that carried it was
crawled again (SPEC §9): an unreachable, blocked or cut-short unit resolves nothing.
"""
from __future__ import annotations

import hashlib
import re
import sqlite3
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from checks.findings import Finding

# Checks whose identity is the (page, target) pair alone: their detail (a status, an error
# message) may change from night to night without making it another finding.
LINK_CHECKS = {"broken_link", "soft_404", "wrong_link"}

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
]


def stable_detail(finding: Finding) -> str:
    """The part of the detail that names what is wrong (a section, a host), not how it looks tonight."""
    if finding.check in LINK_CHECKS:
        return ""
    return re.split(r"[：:，,（(\s]", finding.detail, maxsplit=1)[0]


def fingerprint(finding: Finding) -> str:
    key = "\x1f".join((finding.unit_id, finding.check, finding.page_url, finding.target_url, stable_detail(finding)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]


@dataclass(frozen=True)
class Seen:
    """A finding of this run with its history."""

    finding: Finding
    fingerprint: str
    first_seen: str
    state: str  # new | persisting


@dataclass(frozen=True)
class Resolved:
    unit_id: str
    check: str
    page_url: str
    target_url: str
    detail: str
    first_seen: str
    fingerprint: str


class History:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(self.path)
        self._migrate()

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
            with self.db:
                self.db.executescript(script)
                self.db.execute(f"PRAGMA user_version = {number}")

    def begin_run(self, run_id: str, started: str, today: date, command: str) -> None:
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO runs VALUES (?, ?, NULL, ?, 'running', ?)",
                            (run_id, started, today.isoformat(), command))

    def end_run(self, run_id: str, ended: str, status: str) -> None:
        with self.db:
            self.db.execute("UPDATE runs SET ended = ?, status = ? WHERE run_id = ?", (ended, status, run_id))

    def unfinished_runs(self) -> list[tuple[str, str, str]]:
        """(run id, started, command) of runs that never ended, newest first."""
        return self.db.execute(
            "SELECT run_id, started, command FROM runs WHERE status = 'running' ORDER BY run_id DESC"
        ).fetchall()

    def record_unit(
        self, run_id: str, today: date, unit_id: str, findings: list[Finding], complete: bool, crawled_pages: set[str]
    ) -> tuple[list[Seen], list[Resolved]]:
        """Store this run's findings of a unit; return them with their history, and what was fixed."""
        day = today.isoformat()
        seen: list[Seen] = []
        current: set[str] = set()
        with self.db:
            self.db.execute("INSERT OR REPLACE INTO run_units VALUES (?, ?, ?)", (run_id, unit_id, int(complete)))
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
                seen.append(Seen(finding, print_, first_seen, state))
            resolved = self._resolve(unit_id, current, complete, crawled_pages, day)
        return seen, resolved

    def _reported_before(self, print_: str, run_id: str) -> bool:
        return self.db.execute(
            "SELECT 1 FROM run_findings WHERE fingerprint = ? AND run_id < ? LIMIT 1", (print_, run_id)
        ).fetchone() is not None

    def _resolve(self, unit_id: str, current: set[str], complete: bool, crawled_pages: set[str],
                 day: str) -> list[Resolved]:
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
            if print_ in current or page_url not in crawled_pages:
                continue
            self.db.execute("UPDATE findings SET resolved_on = ? WHERE fingerprint = ?", (day, print_))
            resolved.append(Resolved(unit_id, check, page_url, target_url, detail, first_seen, print_))
        return resolved

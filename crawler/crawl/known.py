"""The known web: every page and link target the nightly runs verified, with the night of its last
verification, kept between runs in `OUT/known.sqlite`.

One row per page and per target, whatever the number of nights: a night re-fetches its lists, what
is new, what failed last time and the share of the rest that is due, and carries everything else
over from here (docs/nightly.md). Spot checks never read or write it.
"""
from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from checks.facts import FetchResult, Link

SCHEMA = """
CREATE TABLE IF NOT EXISTS targets (
    key TEXT PRIMARY KEY, data TEXT NOT NULL, verified_on TEXT NOT NULL, failed INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    unit_id TEXT NOT NULL, key TEXT NOT NULL, url TEXT NOT NULL, role TEXT NOT NULL, listing INTEGER NOT NULL,
    facts TEXT NOT NULL, verified_on TEXT NOT NULL, PRIMARY KEY (unit_id, key));
CREATE TABLE IF NOT EXISTS links (
    unit_id TEXT NOT NULL, page_key TEXT NOT NULL, key TEXT NOT NULL,
    url TEXT NOT NULL, text TEXT NOT NULL, tag TEXT NOT NULL, kind TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS links_page ON links (unit_id, page_key);
CREATE INDEX IF NOT EXISTS links_key ON links (unit_id, key);
CREATE INDEX IF NOT EXISTS targets_age ON targets (verified_on, key);
"""
# The unit's known pages and the targets they link (?1: the unit): the rows of its share of the known web.
UNIT_KEYS = ("SELECT t.key, t.verified_on, t.failed, COALESCE(p.listing, 0) AS listing FROM targets t"
             " LEFT JOIN pages p ON p.unit_id = ?1 AND p.key = t.key"
             " WHERE p.key IS NOT NULL OR t.key IN (SELECT key FROM links WHERE unit_id = ?1)")


@dataclass(frozen=True)
class Night:
    """What a nightly crawl needs of the known web: where it is, and the known URLs due tonight."""

    known_path: Path
    due: frozenset[str]


@dataclass(frozen=True)
class KnownPage:
    """A page as its last verification left it: enough to replay it without fetching it."""

    url: str
    facts: dict
    links: list[Link]
    result: FetchResult


@dataclass(frozen=True)
class Coverage:
    """How much of a unit's known web a night verified."""

    known: int  # pages and link targets the unit's pages carry
    verified: int  # of those, fetched tonight
    overdue: int  # not verified within verify_within days after tonight


def is_failure(result: FetchResult) -> bool:
    return bool(result.error_kind or result.challenge or (result.status or 0) >= 400)


class KnownWeb:
    """`OUT/known.sqlite`: read by the crawl (what it may carry over), written once per finished night."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, timeout=60)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.executescript(SCHEMA)

    def close(self) -> None:
        self.db.close()

    # --- read by the crawl ----------------------------------------------------------------
    def target(self, key: str) -> FetchResult | None:
        row = self.db.execute("SELECT data, verified_on FROM targets WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        return FetchResult(**{**json.loads(row[0]), "verified_on": row[1]})

    def page(self, unit_id: str, key: str) -> KnownPage | None:
        row = self.db.execute("SELECT url, facts, listing FROM pages WHERE unit_id = ? AND key = ?",
                              (unit_id, key)).fetchone()
        result = self.target(key)
        if row is None or result is None or row[2]:
            return None  # a list page is never carried over: it is verified every night
        links = [Link(*link) for link in self.db.execute(
            "SELECT url, text, tag, kind FROM links WHERE unit_id = ? AND page_key = ? ORDER BY rowid", (unit_id, key))]
        return KnownPage(row[0], json.loads(row[1]), links, result)

    # --- the night's plan -----------------------------------------------------------------
    def unit_keys(self, unit_id: str) -> Iterator[tuple[str, str, bool, bool]]:
        """(key, verified_on, failed, listing) of the unit's known pages and the targets they link."""
        rows = self.db.execute(f"SELECT key, verified_on, failed, listing FROM ({UNIT_KEYS})", (unit_id,))
        for key, verified_on, failed, listing in rows:
            yield key, verified_on, bool(failed), bool(listing)

    @contextlib.contextmanager
    def beside(self, night_store: Path):
        """The night's run store attached as `night`, so that what tonight fetched is compared in SQL,
        never gathered into sets."""
        self.db.execute("ATTACH DATABASE ? AS night", (str(night_store),))
        try:
            yield self
        finally:
            self.db.execute("DETACH DATABASE night")

    def coverage(self, unit_id: str, today: date, verify_within: int) -> Coverage:
        """How much of the unit's known web the attached night fetched, and what is overdue."""
        oldest_allowed = (today - timedelta(days=verify_within - 1)).isoformat()
        known, verified, overdue = self.db.execute(
            "SELECT COUNT(*), TOTAL(fresh), TOTAL(NOT fresh AND verified_on < ?2) FROM ("
            " SELECT verified_on, key IN (SELECT url FROM night.results)"
            " AND key NOT IN (SELECT url FROM night.carried) AS fresh"
            f" FROM ({UNIT_KEYS}))", (unit_id, oldest_allowed)).fetchone()
        return Coverage(known, int(verified), int(overdue))

    # --- written after a finished night ---------------------------------------------------
    def absorb(self, night: date, results: Iterable[tuple[str, FetchResult]],
               pages: Iterable[tuple[str, str, str, str, dict, list[tuple[str, Link]]]]) -> None:
        """Record what tonight fetched: targets with their result, pages with their facts and links.
        A page that lists others (a home, a column, a section's list) is marked: it is never carried over."""
        day = night.isoformat()
        with self.db:
            self.db.executemany(
                "INSERT OR REPLACE INTO targets VALUES (?, ?, ?, ?)",
                ((key, json.dumps({**vars(result), "verified_on": ""}, ensure_ascii=False), day, int(is_failure(result)))
                 for key, result in results))
            for unit_id, key, url, role, facts, links in pages:
                listing = role != "page" or "list" in facts
                self.db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (unit_id, key, url, role, int(listing), json.dumps(facts, ensure_ascii=False), day))
                self.db.execute("DELETE FROM links WHERE unit_id = ? AND page_key = ?", (unit_id, key))
                self.db.executemany("INSERT INTO links VALUES (?, ?, ?, ?, ?, ?, ?)",
                                    ((unit_id, key, link_key, link.url, link.text, link.tag, link.kind)
                                     for link_key, link in links))

    def forget_unseen(self, unit_id: str) -> None:
        """Pages of the unit that the attached night's complete crawl no longer reached leave the known web."""
        gone = "unit_id = ?1 AND key NOT IN (SELECT key FROM night.pages WHERE unit_id = ?1)"
        with self.db:
            self.db.execute(f"DELETE FROM links WHERE page_key IN (SELECT key FROM pages WHERE {gone}) AND unit_id = ?1",
                            (unit_id,))
            self.db.execute(f"DELETE FROM pages WHERE {gone}", (unit_id,))
            self.db.execute("DELETE FROM targets WHERE key NOT IN (SELECT key FROM pages)"
                            " AND key NOT IN (SELECT key FROM links)")

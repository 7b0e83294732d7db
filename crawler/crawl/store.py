"""The run store: the facts one run gathered, in SQLite, so memory does not grow with the site.

Pages crawled, the (page, target) edges they carry, one fetch result per distinct URL, the
error baseline of each host and per-unit crawl statistics. The report is built from here after
the crawl.
"""
from __future__ import annotations

import errno
import itertools
import json
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from operator import itemgetter
from pathlib import Path

from scrapy.exceptions import CloseSpider

from checks.facts import FetchResult, Link
from checks.link_checks import CarriedLink

# What a full disk, a quota, a file size limit or a folder made read-only answer: the run
# cannot go on, and nothing about the crawled sites is learnt from it.
STORAGE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}
SQLITE_STORAGE_ERRORS = {sqlite3.SQLITE_FULL, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN}


def storage_failure(exc: BaseException) -> bool:
    """Whether `exc` says the local disk refused a write (not a fault of the crawled sites)."""
    if isinstance(exc, StoreError):
        return True
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorcode", None) is not None and exc.sqlite_errorcode & 0xFF in SQLITE_STORAGE_ERRORS
    return isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS


class StoreError(CloseSpider):
    """The run store cannot be written (disk full, read-only): the crawl stops, reason `storage_error`."""

    def __init__(self, message: str):
        super().__init__("storage_error")
        self.message = message

    def __str__(self) -> str:
        return self.message


SCHEMA = """
CREATE TABLE IF NOT EXISTS results (url TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS baselines (host TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages (
    unit_id TEXT NOT NULL, key TEXT NOT NULL, url TEXT NOT NULL, depth INTEGER NOT NULL,
    section TEXT NOT NULL, role TEXT NOT NULL, facts TEXT NOT NULL DEFAULT '{}',
    PRIMARY KEY (unit_id, url));
CREATE TABLE IF NOT EXISTS edges (
    unit_id TEXT NOT NULL, page_url TEXT NOT NULL, section TEXT NOT NULL, key TEXT NOT NULL,
    url TEXT NOT NULL, text TEXT NOT NULL, tag TEXT NOT NULL, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (unit_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS confirmed (url TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS carried (url TEXT PRIMARY KEY);
"""
# The edges of a page are read by (unit, page): by a resumed crawl and by a nightly run's end; and
# a unit's edges where the store holds several units'. Built the first time they are read so: kept
# up to date on every insert of a crawl it costs more than building it once, and a spot check of one
# unit never needs it.
EDGES_INDEX = "CREATE INDEX IF NOT EXISTS edges_unit ON edges (unit_id, page_url)"
PAGE_COLUMNS = "unit_id, key, url, depth, section, role, facts"


@dataclass(frozen=True)
class StoredPage:
    """A crawled page as the store keeps it: where the crawl met it, and the facts read from it."""

    unit_id: str
    key: str  # the canonical URL
    url: str
    depth: int
    section: str
    role: str
    facts: dict

    @classmethod
    def from_row(cls, row: tuple) -> StoredPage:
        return cls(*row[:6], json.loads(row[6]))


# One encoder for every row: json.dumps with options builds a new one per call. What is stored
# is plain data, never circular.
_JSON = json.JSONEncoder(ensure_ascii=False, check_circular=False)


def _encode(result: FetchResult) -> str:
    # Its fields are str, numbers and flat lists and dicts of str: no deep copy (asdict) needed.
    return _JSON.encode(vars(result))


def _decode(data: str) -> FetchResult:
    return FetchResult(**json.loads(data))


class RunStore:
    # What a killed crawl had not committed is fetched again by its resume: commit every second
    # (in WAL mode without fsync a commit costs about a millisecond, writing the pages it changed).
    COMMIT_EVERY_SECONDS = 1.0

    def __init__(self, path: Path):
        self.path = Path(path)
        self.failure = ""  # the first write the disk refused, as a one-line message
        try:
            self.db = sqlite3.connect(self.path)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.executescript(SCHEMA)
            self.db.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
        self.last_commit = time.monotonic()
        self.edges_indexed = False

    def _failed(self, exc: sqlite3.Error) -> StoreError:
        self.failure = self.failure or f"cannot write {self.path}: {exc}"
        return StoreError(self.failure)

    def _write(self, sql: str, values: tuple) -> None:
        try:
            self.db.execute(sql, values)
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc

    def _write_many(self, sql: str, rows: Iterable[tuple]) -> None:
        try:
            self.db.executemany(sql, rows)
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc

    def close(self) -> None:
        try:
            self.commit()
        finally:
            self.db.close()

    def commit(self) -> None:
        try:
            self.db.commit()
        except sqlite3.Error as exc:
            raise self._failed(exc) from exc
        self.last_commit = time.monotonic()

    def tick(self) -> None:
        """Commit now and then: what a killed run committed, a resumed run does not fetch again.
        Called between callbacks, when what one answer taught is written in full."""
        if time.monotonic() - self.last_commit >= self.COMMIT_EVERY_SECONDS:
            self.commit()

    # --- written during the crawl -------------------------------------------------------
    def merge(self, other: Path) -> None:
        """Add the facts of a worker's store of the same run."""
        self._write("ATTACH DATABASE ? AS worker", (str(other),))
        for table in ("results", "baselines", "pages", "units", "confirmed", "carried"):
            self._write(f"INSERT OR REPLACE INTO {table} SELECT * FROM worker.{table}", ())
        self._write("INSERT INTO edges SELECT * FROM worker.edges", ())
        self.commit()
        self._write("DETACH DATABASE worker", ())

    def put_result(self, key: str, result: FetchResult) -> None:
        self._write("INSERT OR REPLACE INTO results VALUES (?, ?)", (key, _encode(result)))

    def put_baseline(self, host: str, result: FetchResult) -> None:
        self._write("INSERT OR REPLACE INTO baselines VALUES (?, ?)", (host, _encode(result)))

    def put_page(self, unit_id: str, key: str, url: str, depth: int, section: str, role: str, facts: dict) -> None:
        self._write(
            "INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?, ?, ?, ?)",
            (unit_id, key, url, depth, section, role, _JSON.encode(facts)),
        )

    def put_edges(self, unit_id: str, page_url: str, section: str, links: list[tuple[str, Link]]) -> None:
        # a Link (a tuple: url, text, tag, kind) is the row's last columns as they are
        self._write_many("INSERT INTO edges VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         [(unit_id, page_url, section, key) + link for key, link in links])

    def put_confirmed(self, key: str) -> None:
        """The URL's result is its second attempt, after a transient failure: a resume does not try it again."""
        self._write("INSERT OR IGNORE INTO confirmed VALUES (?)", (key,))

    def confirmed_keys(self) -> set[str]:
        return {key for (key,) in self.db.execute("SELECT url FROM confirmed")}

    def put_carried(self, key: str) -> None:
        """The result (and page) under `key` was carried over from the known web, not fetched tonight."""
        self._write("INSERT OR IGNORE INTO carried VALUES (?)", (key,))

    def put_unit(self, unit_id: str, data: dict) -> None:
        self._write("INSERT OR REPLACE INTO units VALUES (?, ?)", (unit_id, _JSON.encode(data)))

    # --- read for the report ------------------------------------------------------------
    def result(self, key: str) -> FetchResult | None:
        row = self.db.execute("SELECT data FROM results WHERE url = ?", (key,)).fetchone()
        return _decode(row[0]) if row else None

    def baseline(self, host: str) -> FetchResult | None:
        row = self.db.execute("SELECT data FROM baselines WHERE host = ?", (host,)).fetchone()
        return _decode(row[0]) if row else None

    def link_targets(self, unit_id: str) -> Iterator[tuple[str, FetchResult | None, list[Link]]]:
        """Each distinct target the unit's pages link, by key: its result and the distinct ways the
        pages write the link (url, text, kind; no tag). One pass in target order, one row a target:
        a target every page links (a logo, a style sheet) comes as the few ways it is written."""
        self._index_edges_if_shared()
        rows = self.db.execute(  # the distinct rows first: then only they are sorted, by key
            "SELECT key, (SELECT data FROM results WHERE url = key), json_group_array(json_array(url, text, kind))"
            " FROM (SELECT DISTINCT key, url, text, kind FROM edges WHERE unit_id = ?) GROUP BY key ORDER BY key",
            (unit_id,))
        for key, data, spellings in rows:
            yield key, _decode(data) if data else None, [Link(url, text, "", kind) for url, text, kind in json.loads(spellings)]

    def carried_links(self, unit_id: str, keys: list[str]) -> Iterator[tuple[str, CarriedLink]]:
        """(key, pair) of every distinct (page, link as written) pair carrying one of the targets
        `keys`, by key, link and page, one by one (the targets' pairs are never gathered): a page
        linking a target twice gives its fullest words."""
        self._index_edges_if_shared()
        rows = self.db.execute(
            "SELECT key, url, page_url, min(section), max(text), min(tag), min(kind) FROM edges"
            " WHERE unit_id = ? AND key IN (SELECT value FROM json_each(?))"
            " GROUP BY key, url, page_url ORDER BY key, url, page_url", (unit_id, _JSON.encode(keys)))
        for key, url, page_url, section, text, tag, kind in rows:
            yield key, CarriedLink(page_url, section, Link(url, text, tag, kind))

    def carried_keys(self) -> set[str]:
        return {key for (key,) in self.db.execute("SELECT url FROM carried")}

    def fetched_results(self) -> Iterator[tuple[str, FetchResult]]:
        """(key, result) of every URL fetched tonight (not carried over)."""
        rows = self.db.execute("SELECT url, data FROM results WHERE url NOT IN (SELECT url FROM carried)")
        for key, data in rows:
            yield key, _decode(data)

    def fetched_pages(self) -> Iterator[tuple[str, str, str, str, dict, list[tuple[str, Link]]]]:
        """(unit id, key, url, role, facts, [(key, link)]) of every page crawled from a fresh answer tonight."""
        self._index_edges_by_page()
        rows = self.db.execute(
            "SELECT unit_id, key, url, role, facts FROM pages WHERE key NOT IN (SELECT url FROM carried)"
            " AND role != 'over_cap' ORDER BY rowid")
        for unit_id, key, url, role, facts in rows:
            links = self.db.execute(
                "SELECT key, url, text, tag, kind FROM edges WHERE unit_id = ? AND page_url = ? ORDER BY rowid",
                (unit_id, url)).fetchall()
            yield unit_id, key, url, role, json.loads(facts), [(row[0], Link(*row[1:])) for row in links]

    def page_verified(self, unit_id: str, url: str) -> bool:
        """Whether the unit's page was crawled from a fresh answer tonight (not carried over, not only
        link-checked past the page cap): where a finding on the page can be seen gone."""
        return self.db.execute(
            "SELECT 1 FROM pages WHERE unit_id = ? AND url = ? AND role != 'over_cap'"
            " AND key NOT IN (SELECT url FROM carried)", (unit_id, url)).fetchone() is not None

    def fetched(self, key: str) -> bool:
        """Whether the URL was fetched tonight (not carried over): where a fixed link shows."""
        return self.db.execute("SELECT 1 FROM results WHERE url = ?1 AND ?1 NOT IN (SELECT url FROM carried)",
                               (key,)).fetchone() is not None

    def result_keys(self) -> list[str]:
        return [key for (key,) in self.db.execute("SELECT url FROM results")]

    def results(self) -> Iterator[tuple[str, FetchResult]]:
        for key, data in self.db.execute("SELECT url, data FROM results").fetchall():
            yield key, _decode(data)

    def baseline_hosts(self) -> list[str]:
        return [host for (host,) in self.db.execute("SELECT host FROM baselines")]

    def crawled_pages(self) -> list[StoredPage]:
        """Every crawled page, in crawl order."""
        rows = self.db.execute(f"SELECT {PAGE_COLUMNS} FROM pages ORDER BY rowid")
        return [StoredPage.from_row(row) for row in rows.fetchall()]

    def page_links(self, unit_id: str, page_url: str) -> list[Link]:
        """The links of one crawled page, in page order."""
        self._index_edges_by_page()
        rows = self.db.execute(
            "SELECT url, text, tag, kind FROM edges WHERE unit_id = ? AND page_url = ? ORDER BY rowid",
            (unit_id, page_url),
        )
        return [Link(*row) for row in rows.fetchall()]

    def _index_edges_if_shared(self) -> None:
        """A unit's edges are found by the index when the store holds several units' (a nightly run
        of every unit): without it each unit's reads would scan them all."""
        if not self.edges_indexed and self.db.execute("SELECT count(*) > 1 FROM units").fetchone()[0]:
            self._index_edges_by_page()

    def _index_edges_by_page(self) -> None:
        if not self.edges_indexed:
            self._write(EDGES_INDEX, ())
            self.edges_indexed = True

    def pages(self, unit_id: str, with_fact: str | None = None) -> Iterator[StoredPage]:
        """The unit's crawled pages (not those over its page cap), by depth, read as they are used;
        `with_fact`: only the pages whose facts hold it (a list, a column)."""
        having = " AND json_type(facts, '$.' || ?2) IS NOT NULL" if with_fact else ""
        rows = self.db.execute(
            f"SELECT {PAGE_COLUMNS} FROM pages WHERE unit_id = ?1 AND role != 'over_cap'{having} ORDER BY depth, url",
            (unit_id, with_fact) if with_fact else (unit_id,),
        )
        for row in rows:
            yield StoredPage.from_row(row)

    def unit(self, unit_id: str) -> dict:
        row = self.db.execute("SELECT data FROM units WHERE unit_id = ?", (unit_id,)).fetchone()
        return json.loads(row[0]) if row else {}


class ClaimStore:
    """The coordination file of a sharded run: which worker process crawls which units (fixed for
    the run, so a resume finds each unit's facts in its worker's store), and which worker checks
    which URL: the first to claim it (one fetch per URL per run). In autocommit, so a claim holds
    no lock for long."""

    def __init__(self, path: Path, shard: int | None = None):
        self.path = Path(path)
        self.shard = shard  # the worker this process is; None in the main process
        self.failure = ""
        try:
            self.db = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("CREATE TABLE IF NOT EXISTS claims (url TEXT PRIMARY KEY, shard INTEGER NOT NULL)")
            self.db.execute("CREATE TABLE IF NOT EXISTS shards (unit_id TEXT PRIMARY KEY, shard INTEGER NOT NULL)")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write {self.path}: {exc}") from exc

    def claim(self, key: str) -> bool:
        """True when this worker takes the URL; False when another worker has it."""
        try:
            return self.db.execute("INSERT OR IGNORE INTO claims VALUES (?, ?)", (key, self.shard)).rowcount == 1
        except sqlite3.Error as exc:
            self.failure = self.failure or f"cannot write {self.path}: {exc}"
            raise StoreError(self.failure) from exc

    def layout(self, unit_ids: list[str], count: int) -> dict[str, int]:
        """Unit id -> worker: as first dealt for this run (round-robin over `count` workers), kept."""
        kept = dict(self.db.execute("SELECT unit_id, shard FROM shards").fetchall())
        if set(kept) == set(unit_ids):
            return kept
        dealt = {unit_id: index % count for index, unit_id in enumerate(unit_ids)}
        self.db.execute("BEGIN")
        self.db.execute("DELETE FROM shards")
        self.db.executemany("INSERT INTO shards VALUES (?, ?)", dealt.items())
        self.db.execute("COMMIT")
        return dealt

    def release(self, shard: int, done: set[str]) -> None:
        """The worker's claims that never got a result (in flight when it stopped) are claimable again."""
        taken = [key for (key,) in self.db.execute("SELECT url FROM claims WHERE shard = ?", (shard,))]
        self.db.execute("BEGIN")
        self.db.executemany("DELETE FROM claims WHERE url = ?", ((key,) for key in taken if key not in done))
        self.db.execute("COMMIT")

    def close(self) -> None:
        self.db.close()

"""The run store: a crawl fills a fresh store without its edges index and builds it when it closes;
whoever opens a store with edges (a resumed crawl, the report) finds the index there."""
import sqlite3

from checks.facts import PAGE, Link
from crawler.crawl.store import RunStore


def indexes(path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'edges'")}
    finally:
        db.close()


def test_a_crawl_fills_a_fresh_store_without_the_index_and_builds_it_when_it_closes(tmp_path):
    path = tmp_path / "crawl.sqlite"
    store = RunStore(path, filling=True)
    store.put_edges("u", "http://h/a.html", "s", [("http://h/b.html", Link("http://h/b.html", "b", "a", PAGE))])
    store.commit()
    assert indexes(path) == set()
    store.close()
    assert indexes(path) == {"edges_unit"}


def test_a_store_with_edges_has_its_index_from_the_start(tmp_path):
    path = tmp_path / "crawl.sqlite"
    store = RunStore(path, filling=True)
    store.put_edges("u", "http://h/a.html", "s", [("http://h/b.html", Link("http://h/b.html", "b", "a", PAGE))])
    store.commit()
    store.db.close()  # killed before it closed: no index yet
    assert indexes(path) == set()
    resumed = RunStore(path, filling=True)
    assert indexes(path) == {"edges_unit"}
    assert resumed.page_links("u", "http://h/a.html") == [Link("http://h/b.html", "b", "a", PAGE)]
    resumed.close()

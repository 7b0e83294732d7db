"""The run store: a crawl fills it without the index of its edges by page; the first reader of a
page's edges (a resumed crawl, a nightly run's end) builds it, a spot check never does."""
import sqlite3

from checks.facts import PAGE, Link
from crawler.crawl.store import RunStore

LINK = Link("http://h/b.html", "b", "a", PAGE)


def indexes(path) -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'edges'")}
    finally:
        db.close()


def filled_store(path) -> None:
    store = RunStore(path)
    store.put_page("u", "http://h/a.html", "http://h/a.html", 0, "s", "page", {})
    store.put_edges("u", "http://h/a.html", "s", [("http://h/b.html", LINK)])
    store.close()


def test_a_crawl_fills_its_store_without_the_index_and_the_assessment_needs_none(tmp_path):
    path = tmp_path / "crawl.sqlite"
    filled_store(path)
    assert indexes(path) == set()
    store = RunStore(path)
    assert [key for key, _result, _links in store.link_targets("u")] == ["http://h/b.html"]
    store.close()
    assert indexes(path) == set()


def test_a_resumed_crawl_builds_the_index_when_it_reads_a_page_s_links(tmp_path):
    path = tmp_path / "crawl.sqlite"
    filled_store(path)
    resumed = RunStore(path)
    assert resumed.page_links("u", "http://h/a.html") == [LINK]
    assert indexes(path) == {"edges_unit"}
    assert resumed.page_links("u", "http://h/a.html") == [LINK]  # built once
    resumed.close()


def test_the_night_s_end_builds_the_index_before_it_reads_the_pages(tmp_path):
    path = tmp_path / "crawl.sqlite"
    filled_store(path)
    store = RunStore(path)
    assert [(url, links) for _unit, _key, url, _role, _facts, links in store.fetched_pages()] == [
        ("http://h/a.html", [("http://h/b.html", LINK)])]
    assert indexes(path) == {"edges_unit"}
    store.close()


def test_a_store_of_several_units_is_indexed_before_a_unit_s_targets_are_read(tmp_path):
    path = tmp_path / "crawl.sqlite"
    filled_store(path)
    store = RunStore(path)
    store.put_unit("u", {})
    store.put_unit("v", {})
    store.put_edges("v", "http://v/a.html", "s", [("http://h/b.html", LINK)])
    store.commit()  # as the crawl leaves it
    assert indexes(path) == set()
    assert [key for key, _result, _links in store.link_targets("u")] == ["http://h/b.html"]
    assert indexes(path) == {"edges_unit"}
    assert [pair.page_url for _key, pair in store.carried_links("v", ["http://h/b.html"])] == ["http://v/a.html"]
    store.close()

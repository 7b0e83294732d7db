"""History: first_seen, new → persisting → resolved, and nothing resolved by an incomplete crawl."""
import csv
import socket
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from checks.findings import Finding, fingerprint
from crawler.outcome.history import MIGRATIONS, History, HistoryDamaged

ROOT = Path(__file__).resolve().parents[2]
PAGE = "http://a.test/col/index.html"


def broken(target: str, detail: str = "HTTP 404") -> Finding:
    return Finding("u", "broken_link", PAGE, detail, target_url=target)


def test_new_then_persisting_then_resolved(tmp_path):
    history = History(tmp_path / "history.sqlite")
    one, two = broken("http://a.test/1"), broken("http://a.test/2")
    history.begin_run("r1", "t", date(2026, 1, 1), "run")
    seen, resolved = history.record_unit("r1", date(2026, 1, 1), "u", [one, two], True, {PAGE})
    assert [s.state for s in seen] == ["new", "new"] and resolved == []
    history.end_run("r1", "t", "finished")

    history.begin_run("r2", "t", date(2026, 1, 2), "run")
    seen, resolved = history.record_unit("r2", date(2026, 1, 2), "u", [broken("http://a.test/1", "HTTP 500")], True, {PAGE})
    assert [(s.state, s.first_seen) for s in seen] == [("persisting", "2026-01-01")]
    assert [r.finding.target_url for r in resolved] == ["http://a.test/2"]

    history.begin_run("r3", "t", date(2026, 1, 3), "run")
    seen, _ = history.record_unit("r3", date(2026, 1, 3), "u", [one, two], True, {PAGE})
    # the fixed link broke again: a new finding, first seen again today
    assert {(s.finding.target_url, s.state, s.first_seen) for s in seen} == {
        ("http://a.test/1", "persisting", "2026-01-01"), ("http://a.test/2", "new", "2026-01-03")}


def test_incomplete_crawl_or_page_not_recrawled_resolves_nothing(tmp_path):
    history = History(tmp_path / "history.sqlite")
    history.record_unit("r1", date(2026, 1, 1), "u", [broken("http://a.test/1")], True, {PAGE})
    assert history.record_unit("r2", date(2026, 1, 2), "u", [], False, {PAGE})[1] == []
    assert history.record_unit("r3", date(2026, 1, 3), "u", [], True, {"http://a.test/other"})[1] == []
    assert len(history.record_unit("r4", date(2026, 1, 4), "u", [], True, {PAGE})[1]) == 1


def test_a_finding_is_resolved_when_its_page_or_its_target_is_fetched_again_not_when_its_page_is_only_checked(tmp_path):
    history = History(tmp_path / "history.sqlite")
    on_page, fixed = broken("http://a.test/1"), broken("http://a.test/2")
    history.begin_run("r1", "t", date(2026, 1, 1), "run")
    history.record_unit("r1", date(2026, 1, 1), "u", [on_page, fixed], True, {PAGE})
    history.begin_run("r2", "t", date(2026, 1, 2), "run")
    # neither is reported tonight: the page was only link-checked from another page (not crawled),
    # and one target was fetched again and answered
    _, resolved = history.record_unit("r2", date(2026, 1, 2), "u", [], True, set(), {PAGE, "http://a.test/2"})
    assert [r.finding.target_url for r in resolved] == ["http://a.test/2"]


def test_fingerprint_keeps_sections_apart_and_ignores_link_status():
    a = Finding("u", "missing_section", PAGE, "规范性文件：栏目中没有该栏目")
    b = Finding("u", "missing_section", PAGE, "政府信息公开指南：栏目中没有该栏目")
    assert fingerprint(a) != fingerprint(b)
    assert fingerprint(broken("x", "HTTP 404")) == fingerprint(broken("x", "HTTP 500"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def small_site(tmp_path):
    root = tmp_path / "site"
    (root / "col").mkdir(parents=True)
    (root / "index.html").write_text('<a href="/col/index.html">政府信息公开</a>', encoding="utf-8")
    (root / "col" / "index.html").write_text(
        '<a href="/col/a.html">通知一</a><a href="/col/gone.html">通知二</a><a href="/col/lost.html">通知三</a>',
        encoding="utf-8")
    (root / "col" / "a.html").write_text("<title>通知一</title>正文", encoding="utf-8")
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
                              cwd=root, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(50):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    yield root, port
    server.terminate()
    server.wait(timeout=10)


def run(sites: Path, out: Path, today: str):
    result = subprocess.run([sys.executable, "-m", "crawler", "run", "--sites", str(sites), "--out", str(out),
                             "--no-throttle", "--timeout", "3", "--today", today],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return (out / "latest").resolve()


def rows(path: Path, check: str | None = "broken_link") -> list[dict]:
    """The CSV's rows (of one check: the small site also lacks every required section)."""
    found = csv.DictReader(path.read_bytes().decode("utf-8-sig").splitlines())
    return [row for row in found if check is None or row.get("check") == check]


def test_two_consecutive_runs_with_a_fix_in_between(small_site, tmp_path):
    root, port = small_site
    sites = tmp_path / "sites.yaml"
    sites.write_text(f"units:\n  - id: demo\n    name: 演示海关\n    url: http://127.0.0.1:{port}/\n", encoding="utf-8")
    out = tmp_path / "out"
    first = run(sites, out, "2026-03-01")
    assert {(r["target_url"].rsplit("/", 1)[1], r["state"]) for r in rows(first / "demo.csv")} == {
        ("gone.html", "new"), ("lost.html", "new")}

    (root / "col" / "gone.html").write_text("<title>通知二</title>正文", encoding="utf-8")  # fixed
    second = run(sites, out, "2026-03-02")
    assert second != first
    [persisting] = rows(second / "demo.csv")
    assert persisting["target_url"].endswith("lost.html")
    assert (persisting["state"], persisting["first_seen"]) == ("persisting", "2026-03-01")
    [fixed] = rows(second / "resolved.csv")
    assert fixed["target_url"].endswith("gone.html") and fixed["state"] == "resolved"
    summary = rows(second / "summary.csv", check=None)[0]
    others = len(rows(second / "demo.csv", check=None)) - 1
    assert (summary["new"], summary["persisting"], summary["resolved"]) == ("0", str(1 + others), "1")


def test_second_night_revalidates_pages_and_still_sees_new_breakage(small_site, tmp_path):
    import json

    root, port = small_site
    (root / "col" / "big.html").write_text("<title>长文</title>" + "正文内容" * 20000, encoding="utf-8")
    (root / "col" / "index.html").write_text(
        (root / "col" / "index.html").read_text(encoding="utf-8") + '<a href="/col/big.html">长文</a>', encoding="utf-8")
    sites = tmp_path / "sites.yaml"
    sites.write_text(f"units:\n  - id: demo\n    name: 演示海关\n    url: http://127.0.0.1:{port}/\n", encoding="utf-8")
    out = tmp_path / "out"
    first = json.loads((run(sites, out, "2026-03-01") / "run.json").read_text(encoding="utf-8"))
    (root / "col" / "a.html").unlink()  # broke overnight
    second_dir = run(sites, out, "2026-03-02")
    second = json.loads((second_dir / "run.json").read_text(encoding="utf-8"))
    assert second["pages_unchanged"] >= 2  # the column and the long page answered 304
    assert second["bytes_downloaded"] < first["bytes_downloaded"] / 2
    assert any(r["target_url"].endswith("/col/a.html") for r in rows(second_dir / "demo.csv"))


def test_a_version_1_history_is_migrated_keeping_its_findings(tmp_path):
    path = tmp_path / "history.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
        db.execute("INSERT INTO runs VALUES ('r1', 't', 't', '2026-01-01', 'finished', 'run')")
        db.execute("INSERT INTO findings VALUES (?, 'u', 'broken_link', ?, 'http://a.test/1', 'HTTP 404', "
                   "'2026-01-01', '2026-01-01', NULL)", (fingerprint(broken("http://a.test/1")), PAGE))
        db.execute("INSERT INTO run_findings VALUES ('r1', 'u', ?)", (fingerprint(broken("http://a.test/1")),))
    history = History(path)
    assert history.db.execute("PRAGMA user_version").fetchone()[0] == len(MIGRATIONS)
    with sqlite3.connect(tmp_path / "history.sqlite.v1.bak") as backup:  # copied before the migration
        assert backup.execute("PRAGMA user_version").fetchone()[0] == 1
        assert backup.execute("SELECT run_id FROM runs").fetchall() == [("r1",)]
    history.begin_run("r2", "t", date(2026, 1, 2), "run")
    seen, _ = history.record_unit("r2", date(2026, 1, 2), "u", [broken("http://a.test/1")], True, {PAGE})
    assert [(s.state, s.first_seen) for s in seen] == [("persisting", "2026-01-01")]
    assert history.latest_reported_run() is None  # r1 predates stored reports: nothing to re-render


def test_a_new_history_is_not_backed_up_and_an_up_to_date_one_not_again(tmp_path):
    History(tmp_path / "history.sqlite").close()
    History(tmp_path / "history.sqlite").close()
    assert [p.name for p in tmp_path.iterdir()] == ["history.sqlite"]


@pytest.mark.parametrize("damage", ["not a database", "cut short"])
def test_a_damaged_history_is_told_in_one_line_and_left_alone(tmp_path, damage):
    path = tmp_path / "history.sqlite"
    history = History(path)
    history.begin_run("r1", "t", date(2026, 1, 1), "run")
    history.record_unit("r1", date(2026, 1, 1), "u", [broken(f"http://a.test/{n}") for n in range(400)], True, {PAGE})
    history.close()
    data = path.read_bytes()
    damaged = b"this is no SQLite file" * 100 if damage == "not a database" else data[: len(data) // 2]
    path.write_bytes(damaged)
    with pytest.raises(HistoryDamaged, match=r"history.sqlite is damaged \(.+\): .*move it away") as raised:
        History(path)
    assert "\n" not in str(raised.value)
    assert path.read_bytes() == damaged


def test_a_run_recorded_in_one_transaction_leaves_nothing_when_it_fails(tmp_path):
    history = History(tmp_path / "history.sqlite")
    history.begin_run("r1", "t", date(2026, 1, 1), "run")
    with pytest.raises(OSError):
        with history.transaction():
            history.record_unit("r1", date(2026, 1, 1), "u", [broken("http://a.test/1")], True, {PAGE})
            history.end_run("r1", "t", "finished")
            raise OSError(28, "No space left on device")  # the run folder could not be written
    assert history.db.execute("SELECT COUNT(*) FROM findings").fetchone()[0] == 0
    assert history.unfinished_runs() == [("r1", "t", "run")]


def test_a_command_on_a_damaged_history_says_so_in_one_line_and_exits_3(tmp_path, capsys):
    from crawler.cli.commands import main

    (tmp_path / "history.sqlite").write_bytes(b"this is no SQLite file" * 100)
    assert main(["report", "--out", str(tmp_path)]) == 3
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "history.sqlite is damaged" in err and "Traceback" not in err

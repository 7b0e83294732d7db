"""Accepting a finding, `report RUN`, `--since-last` and `--keep-runs`, through the command line on a
tiny static site served on loopback."""
import csv
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from crawler.cli.commands import main
from crawler.outcome.history import History
from crawler.run.retention import prune_runs, run_started
from tests.outcome.test_history import small_site  # noqa: F401 (the fixture: a site with two broken links)

ROOT = Path(__file__).resolve().parents[2]


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "crawler", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)


def command(capsys, *args: str) -> tuple[int, str]:
    """A command that crawls nothing (report, accept), run in this process: its exit code and stderr.
    A crawl needs a process of its own (Scrapy's reactor starts once per process)."""
    capsys.readouterr()
    code = main(list(args))
    return code, capsys.readouterr().err


def run(sites: Path, out: Path, today: str, *options: str) -> tuple[Path, str]:
    result = cli("run", "--sites", str(sites), "--out", str(out), "--no-throttle", "--timeout", "3",
                 "--today", today, *options)
    assert result.returncode == 0, result.stderr
    return (out / "latest").resolve(), result.stdout


def broken_targets(path: Path) -> dict[str, dict]:
    rows = csv.DictReader(path.read_bytes().decode("utf-8-sig").splitlines())
    return {row["target_url"].rsplit("/", 1)[1]: row for row in rows if row["check"] == "broken_link"}


@pytest.fixture
def sites(small_site, tmp_path):  # noqa: F811
    root, port = small_site
    path = tmp_path / "sites.yaml"
    path.write_text(f"units:\n  - id: demo\n    name: 演示海关\n    url: http://127.0.0.1:{port}/\n", encoding="utf-8")
    return root, path


def test_accepted_finding_leaves_the_unit_csv_until_it_expires(sites, tmp_path, capsys):
    root, sites_path = sites
    out = tmp_path / "out"
    first, _ = run(sites_path, out, "2026-03-01")
    assert set(broken_targets(first / "demo.csv")) == {"gone.html", "lost.html"}
    # the inspector finds the fingerprint in findings.xlsx (or index.html) and accepts it by a prefix
    sheet = pd.read_excel(first / "findings.xlsx", sheet_name="demo")
    [print_] = sheet.loc[sheet["链接地址"].str.endswith("lost.html"), "指纹"]
    assert print_ in (first / "index.html").read_text(encoding="utf-8")
    code, stderr = command(capsys, "accept", "demo", print_[:8], "--reason", "页面已下线，链接保留备查",
                           "--until", "2026-03-02", "--out", str(out))
    assert code == 0, stderr

    (root / "col" / "gone.html").write_text("<title>通知二</title>正文", encoding="utf-8")  # fixed
    second, changes = run(sites_path, out, "2026-03-02", "--since-last")
    assert broken_targets(second / "demo.csv") == {}
    lost = broken_targets(second / "accepted.csv")["lost.html"]
    assert (lost["state"], lost["first_seen"]) == ("accepted", "2026-03-01")
    assert "页面已下线，链接保留备查" in (second / "index.html").read_text(encoding="utf-8")
    # --since-last: only what changed (the fix), not the accepted nor the persisting findings
    assert "gone.html" in changes and "已整改" in changes and "lost.html" not in changes
    assert "新增" not in changes.split("已整改")[1]

    third, _ = run(sites_path, out, "2026-03-03")  # the acceptance ended on 2026-03-02
    lost = broken_targets(third / "demo.csv")["lost.html"]
    assert (lost["state"], lost["first_seen"]) == ("persisting", "2026-03-01")
    assert broken_targets(third / "accepted.csv") == {}


def test_report_rebuilds_a_pruned_run_from_the_history(sites, tmp_path, capsys):
    _, sites_path = sites
    out = tmp_path / "out"
    first, _ = run(sites_path, out, "2026-03-01")
    saved = {path.name: path.read_bytes() for path in first.glob("*.csv")}
    second, _ = run(sites_path, out, "2026-03-02", "--keep-runs", "1")
    assert not first.exists() and second.exists()  # pruned: only the newest run folder is kept

    code, stderr = command(capsys, "report", first.name, "--out", str(out))
    assert code == 0, stderr
    assert {path.name: path.read_bytes() for path in first.glob("*.csv")} == saved
    assert (first / "index.html").exists() and (first / "findings.xlsx").exists()
    assert (out / "latest").resolve() == second  # an older run re-rendered does not become the latest

    again = {path.name: path.read_bytes() for path in second.glob("*.csv")}
    assert command(capsys, "report", "--out", str(out))[0] == 0  # default: the latest finished run
    assert {path.name: path.read_bytes() for path in second.glob("*.csv")} == again
    # the history kept first_seen although the first run's folder was gone
    assert broken_targets(second / "demo.csv")["lost.html"]["first_seen"] == "2026-03-01"


def test_unknown_run_or_fingerprint_is_a_one_line_usage_error(sites, tmp_path, capsys):
    _, sites_path = sites
    out = tmp_path / "out"
    no_history = cli("report", "--out", str(out))  # one in a process of its own: the exit code a shell sees
    assert no_history.returncode == 2 and no_history.stderr.startswith("error: "), no_history.stderr
    run(sites_path, out, "2026-03-01")
    for args in (("report", "20200101-000000"), ("accept", "demo", "ffffffff", "--reason", "x"),
                 ("accept", "demo", "zz", "--reason", "x")):
        code, stderr = command(capsys, *args, "--out", str(out))
        assert code == 2 and stderr.startswith("error: ") and "Traceback" not in stderr
        assert len(stderr.strip().splitlines()) == 1, stderr


def test_keep_runs_spares_the_current_the_latest_and_unfinished_runs_and_prunes_the_cache(tmp_path):
    out = tmp_path / "out"
    runs = [f"202603{day:02d}-013000" for day in range(1, 7)]
    for run_id in runs:
        (out / run_id).mkdir(parents=True)
    (out / "latest").symlink_to(runs[2])  # re-pointed by `report`: never pruned
    history = History(out / "history.sqlite")
    history.begin_run(runs[1], "2026-03-02T01:30:00+08:00", date(2026, 3, 2), "run")  # unfinished: resumable
    cache = out / ".httpcache" / "audit"
    for name, run_id in (("old", runs[0]), ("kept", runs[4])):
        (cache / name[:2] / name).mkdir(parents=True)
        meta = cache / name[:2] / name / "pickled_meta"
        meta.write_bytes(b"")
        os.utime(meta, (run_started(run_id) + 60,) * 2)

    removed = prune_runs(out, 2, history, out / runs[5], out / ".httpcache")
    history.close()
    assert sorted(path.name for path in removed) == [runs[0], runs[3]]
    assert sorted(path.name for path in out.iterdir() if path.name.startswith("2026")) == [
        runs[1], runs[2], runs[4], runs[5]]
    # cache entries stored before the oldest kept run go
    assert not (cache / "ol" / "old").exists() and (cache / "ke" / "kept").exists()


def test_pruning_a_large_page_cache_lists_one_folder_at_a_time(tmp_path):
    """A site's cache holds a folder per page: pruning it never lists every entry at once."""
    import time
    import tracemalloc

    from crawler.run.retention import prune_cache

    cache = tmp_path / ".httpcache" / "audit"
    for n in range(4_000):
        name = f"{n:040x}"[::-1]
        (cache / name[:2] / name).mkdir(parents=True)
        (cache / name[:2] / name / "pickled_meta").write_bytes(b"kept")
    tracemalloc.start()
    prune_cache(tmp_path / ".httpcache", time.time() - 3600)  # every entry is newer: all kept
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert sum(1 for _ in cache.glob("*/*/pickled_meta")) == 4_000
    assert peak < 500_000, f"{peak:,} bytes held to prune 4,000 entries"  # the whole list: 2 MB

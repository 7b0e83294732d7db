"""A disk that refuses the run's writes (full, a quota, a size limit: RLIMIT_FSIZE here) stops the
run with one line and exit 3, the history as it was; the same command resumes once there is room."""
import resource
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

from tests.webs.units_web import UnitsWeb

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-06-15"
HISTORY_ROOM = 64 * 1024  # what the history may grow by under the limit: the crawl store outgrows it


def command(sites: Path, out: Path, workers: int = 2) -> list[str]:
    return [sys.executable, "-m", "crawler", "run", "--sites", str(sites), "--no-throttle", "--today", TODAY,
            "--workers", str(workers), "--out", str(out)]


def history_state(out: Path) -> tuple[list, list, list]:
    with sqlite3.connect(out / "history.sqlite") as db:
        return (db.execute("PRAGMA integrity_check").fetchall(),
                db.execute("SELECT run_id, status FROM runs ORDER BY run_id").fetchall(),
                db.execute("SELECT run_id, COUNT(*) FROM run_rows GROUP BY run_id ORDER BY run_id").fetchall())


def test_a_full_disk_stops_the_run_in_one_line_and_the_history_stays_as_it_was(tmp_path):
    out = tmp_path / "out"
    with UnitsWeb(date.fromisoformat(TODAY), units=2, delay=0.01) as web:
        sites = tmp_path / "sites.yaml"
        sites.write_text(web.sites_yaml(), encoding="utf-8")
        # a history to keep as it was: made by a run in one process (the cheaper shape)
        first = subprocess.run(command(sites, out, workers=1), cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert first.returncode == 0, first.stderr
        checks, runs, rows = history_state(out)
        assert checks == [("ok",)] and [status for _, status in runs] == ["finished"] and rows[0][1] > 0

        limit = (out / "history.sqlite").stat().st_size + HISTORY_ROOM
        full = subprocess.run(command(sites, out), cwd=ROOT, capture_output=True, text=True, timeout=120,
                              preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit)))
        assert full.returncode == 3, full.stderr
        assert len(full.stderr.strip().splitlines()) == 1 and "Traceback" not in full.stderr, full.stderr
        assert "cannot write" in full.stderr and "resume" in full.stderr
        assert full.stdout == ""
        checks, after, rows_after = history_state(out)
        assert checks == [("ok",)]
        assert after[0] == runs[0] and after[1][1] == "running"  # kept for the resume
        assert rows_after == rows  # nothing of the failed run recorded

        again = subprocess.run(command(sites, out), cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert again.returncode == 0, again.stderr
    checks, runs, rows = history_state(out)
    assert checks == [("ok",)] and [status for _, status in runs] == ["finished", "finished"]
    assert len(list(out.glob("2*"))) == 2  # the stopped run was resumed in its folder
    second = out / runs[1][0]
    assert not list(second.glob("crawl-*")) and not (second / "claims.sqlite").exists()


def test_an_out_that_is_a_file_is_refused_in_one_line(tmp_path, capsys):
    from crawler.cli.commands import main

    sites = tmp_path / "sites.yaml"
    sites.write_text("units:\n  - id: a\n    name: 甲海关\n    url: http://127.0.0.1:9/\n", encoding="utf-8")
    (tmp_path / "out").write_text("not a folder")
    assert main(["run", "--sites", str(sites), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file, not a folder" in err

"""A run killed midway (SIGKILL) and started again with the same command resumes and ends with
the same findings as an uninterrupted run."""
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from crawler.demo import DemoWeb

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-06-15"


def command(web, out: Path) -> list[str]:
    return [sys.executable, "-m", "crawler", "run", "--sites", str(web.sites_path), "--nameserver", web.nameserver,
            "--no-throttle", "--concurrency", "4", "--timeout", str(web.download_timeout), "--today", TODAY,
            "--out", str(out)]


def committed_pages(out: Path) -> int:
    stores = list(out.glob("2*/crawl.sqlite"))
    if not stores:
        return 0
    try:
        with sqlite3.connect(f"file:{stores[0]}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM pages").fetchone()[0]
    except sqlite3.Error:
        return 0


def unit_csvs(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in run_dir.glob("*.csv") if p.name not in ("summary.csv",)}


def test_sigkill_then_resume_gives_the_same_findings(tmp_path):
    with DemoWeb(tmp_path / "web", date.fromisoformat(TODAY)) as web:
        whole = subprocess.run(command(web, tmp_path / "whole"), cwd=ROOT, capture_output=True, text=True,
                               timeout=300)
        assert whole.returncode == 0, whole.stderr

        out = tmp_path / "killed"
        victim = subprocess.Popen(command(web, out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while committed_pages(out) < 40 and victim.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert victim.poll() is None, "the run ended before it could be killed"
        pages_before_kill = committed_pages(out)
        os.kill(victim.pid, signal.SIGKILL)
        victim.wait(timeout=10)

        resumed = subprocess.run(command(web, out), cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert resumed.returncode == 0, resumed.stderr

    run_dirs = list(out.glob("2*"))
    assert len(run_dirs) == 1, "the resumed run continues the killed one, it does not start another"
    assert 0 < pages_before_kill
    assert unit_csvs(run_dirs[0]) == unit_csvs((tmp_path / "whole" / "latest").resolve())

"""The crawl window: runs start only inside it, stop when it closes, and the next run resumes."""
import json
import subprocess
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path

from checks.dates import SHANGHAI, shanghai_now
from crawler.demo import DemoWeb
from crawler.run.runner import RunOptions
from crawler.crawl.options import CrawlOptions, seconds_left_in

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-06-15"


def at(hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 1, 1, hour, minute, tzinfo=SHANGHAI)


def test_seconds_left_in_windows_within_a_day_and_across_midnight():
    assert seconds_left_in((time(1), time(6)), at(5, 59)) == 60
    assert seconds_left_in((time(1), time(6)), at(6)) == 0
    assert seconds_left_in((time(1), time(6)), at(0, 59)) == 0
    assert seconds_left_in((time(22), time(6)), at(23)) == 7 * 3600
    assert seconds_left_in((time(22), time(6)), at(2)) == 4 * 3600
    assert seconds_left_in((time(22), time(6)), at(12)) == 0


def run(*args):
    return subprocess.run([sys.executable, "-m", "crawler", "run", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def window(opens: timedelta, closes: timedelta) -> str:
    now = shanghai_now()
    return f"{(now + opens):%H:%M:%S}-{(now + closes):%H:%M:%S}"


def test_outside_the_window_nothing_is_crawled(tmp_path):
    result = run("--sites", str(tmp_path / "none.yaml"), "--unit", "x", "--out", str(tmp_path),
                 "--window", window(timedelta(hours=1), timedelta(hours=2)))
    assert result.returncode == 2  # the sites file is read first: bad input is still an error
    sites = tmp_path / "sites.yaml"
    sites.write_text("units:\n  - id: a\n    name: 甲海关\n    url: http://127.0.0.1:9/\n", encoding="utf-8")
    result = run("--sites", str(sites), "--out", str(tmp_path / "out"),
                 "--window", window(timedelta(hours=1), timedelta(hours=2)))
    assert result.returncode == 0 and "outside the crawl window" in result.stderr
    assert not list((tmp_path / "out").glob("2*"))


def test_the_window_closing_stops_the_run_and_the_next_run_resumes(tmp_path):
    with DemoWeb(tmp_path / "web", date.fromisoformat(TODAY)) as web:
        common = ["--sites", str(web.sites_path), "--nameserver", web.nameserver, "--no-throttle",
                  "--timeout", str(web.download_timeout), "--today", TODAY, "--out", str(tmp_path / "out")]
        first = run(*common, "--window", window(-timedelta(minutes=1), timedelta(seconds=4)))
        assert first.returncode == 3 and "crawl window ended" in first.stderr
        second = run(*common)
        assert second.returncode == 0, second.stderr
    runs = list((tmp_path / "out").glob("2*"))
    assert len(runs) == 1 and (runs[0] / "summary.csv").exists()


def test_run_json_keeps_the_window_as_text():
    options = RunOptions(Path("out"), date(2026, 6, 15), CrawlOptions(window=(time(22), time(6, 30))))
    assert json.loads(json.dumps(options.record()))["window"] == "22:00:00-06:30:00"

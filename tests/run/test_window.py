"""The crawl window: runs start only inside it, stop when it closes, and the next run resumes.

The runs read an inspectors' clock the test sets (a driver fixes `shanghai_now` of the runner in
the run's own process), and the crawl is held by a page the test releases: which of "the window
closes" and "the crawl finishes" comes first is decided by the test, never by the machine's speed.
"""
import json
import subprocess
import sys
import threading
import time as wall
from datetime import date, datetime, time
from pathlib import Path

import pytest

from checks.dates import SHANGHAI
from crawler.cli.commands import _options, build_parser
from crawler.crawl.options import CrawlOptions
from crawler.run.runner import RunOptions, _readable
from crawler.run.window import CrawlWindow
from tests.webs.loopback_site import serve

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-06-15"
WINDOW = "01:00-06:00"

# `python -m crawler ARGS...` with the runner's clock fixed at CLOCK (ISO, Asia/Shanghai).
DRIVER = """
import sys
from datetime import datetime
from crawler.cli.commands import main
from crawler.run import runner

assert callable(runner.shanghai_now)
runner.shanghai_now = lambda: datetime.fromisoformat(sys.argv[1])
sys.exit(main(sys.argv[2:]))
"""


def at(hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 1, 1, hour, minute, second, tzinfo=SHANGHAI)


def test_seconds_left_in_windows_within_a_day_and_across_midnight():
    day, night = CrawlWindow(time(1), time(6)), CrawlWindow(time(22), time(6))
    assert day.seconds_left(at(5, 59)) == 60
    assert day.seconds_left(at(6)) == 0
    assert day.seconds_left(at(0, 59)) == 0
    assert night.seconds_left(at(23)) == 7 * 3600
    assert night.seconds_left(at(2)) == 4 * 3600
    assert night.seconds_left(at(12)) == 0


@pytest.mark.parametrize("text, shown", [("01:00-06:00", "01:00-06:00"), (" 22:30 - 05:00 ", "22:30-05:00"),
                                         ("01:00:30-06:00", "01:00:30-06:00")])
def test_a_window_reads_back_as_written(text, shown):
    assert str(CrawlWindow.parse(text)) == shown


@pytest.mark.parametrize("text", ["01:00", "25:00-06:00", "06:00-06:00", "1-2-3", ""])
def test_a_bad_window_is_a_one_line_error(text):
    with pytest.raises(ValueError, match="invalid window"):
        CrawlWindow.parse(text)


# Every option `run` accepts: a value to give it, the run.json key that records it and how it reads there.
RECORDED = {
    "--out": ("reports/x", "out_dir", "reports/x"),
    "--nameserver": ("127.0.0.1:5353", "nameservers", ["127.0.0.1:5353"]),
    "--regulations": ("my-library", "regulations_dir", "my-library"),
    "--max-pages": ("50", "max_pages", 50),
    "--scope": ("site", "scope", "site"),
    "--concurrency": ("4", "concurrency", 4),
    "--no-throttle": (None, "no_throttle", True),
    "--render": (None, "render", True),
    "--deadline": ("90", "deadline_minutes", 90.0),
    "--timeout": ("12.5", "timeout", 12.5),
    "--today": (TODAY, "today", TODAY),
    "--obey-robots": (None, "obey_robots", True),
    "--window": ("23:30-05:00", "window", "23:30-05:00"),
    "--workers": ("3", "workers", 3),
    "--keep-runs": ("7", "keep_runs", 7),
    "--verify-within": ("5", "verify_within", 5),
    "--budget": ("2000", "budget", 2000),
}
# Options that choose what the run covers or prints, not how it runs, each with where it shows.
NOT_RUN_OPTIONS = {
    "--unit": "the units: run.json lists them under `units`",
    "--sites": "the units file: its units are run.json's `units`, its `rules:` the recorded rules_override",
    "--since-last": "what the terminal shows after the run",
}


def run_parser():
    commands = next(a for a in build_parser()._actions if a.dest == "command")
    return commands.choices["run"]


def test_every_option_run_accepts_is_recorded_in_run_json_readably():
    accepted = {option for action in run_parser()._actions for option in action.option_strings
                if option.startswith("--") and option != "--help"}
    assert accepted == set(RECORDED) | set(NOT_RUN_OPTIONS), "give the new option a row in RECORDED"
    argv = ["run"] + [part for option, (value, _, _) in RECORDED.items() for part in (option, value) if part]
    args = build_parser().parse_args(argv)
    record = _options(args, Path(args.out), {"sections": [{"name": "规范性文件", "stale_after_days": 365}]}).record()

    assert json.loads(json.dumps(record)) == record  # plain JSON, no fallback needed
    for option, (_, key, shown) in RECORDED.items():
        assert record[key] == shown, option
    assert record["rules_override"] == {"sections": [{"name": "规范性文件", "stale_after_days": 365}]}
    fields = set(vars(RunOptions(Path("o"), date(2026, 6, 15)))) - {"crawl"} | set(vars(CrawlOptions()))
    assert set(record) == fields  # every field of the options, none dropped


def test_a_value_without_a_readable_form_is_refused_not_written_as_repr():
    with pytest.raises(TypeError, match="readable form"):
        _readable({"window": (time(1), time(6))})


def drive(clock: str, *args: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", DRIVER, clock, "run", *args], cwd=ROOT, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def finish(process: subprocess.Popen) -> tuple[int, str]:
    _, stderr = process.communicate(timeout=300)
    return process.returncode, stderr


def test_outside_the_window_nothing_is_crawled(tmp_path):
    sites = tmp_path / "sites.yaml"
    sites.write_text("units:\n  - id: a\n    name: 甲海关\n    url: http://127.0.0.1:9/\n", encoding="utf-8")
    code, stderr = finish(drive(f"{TODAY}T06:00:00+08:00", "--sites", str(sites), "--out", str(tmp_path / "out"),
                                "--window", WINDOW))
    assert code == 0 and f"outside the crawl window {WINDOW}" in stderr
    assert not list((tmp_path / "out").glob("2*"))


def closed_by_the_window(out: Path) -> bool:
    return any("Closing spider (crawl_window)" in log.read_text(encoding="utf-8", errors="replace")
               for log in out.glob("2*/crawl.log"))


def site(name: str) -> dict[str, bytes]:
    return {"/": f'<html><head><title>{name}</title></head><body><a href="/list.html">列表</a>'
                 f'<a href="/gone.html">已删除的通知</a></body></html>'.encode(),
            "/list.html": f"<html><head><title>{name}列表</title></head><body><p>无</p></body></html>".encode()}


def test_the_window_closing_stops_the_run_and_the_next_run_resumes(tmp_path):
    """Two units in two worker processes; the first unit's list page is held until the window has
    closed, so the first run must end by the window; the second run, well inside the window,
    resumes it and finishes, and run.json records the window as it was given."""
    release = threading.Event()
    out = tmp_path / "out"
    with serve(site("甲海关"), held={"/list.html": release}) as held_url, serve(site("乙海关")) as free_url:
        sites = tmp_path / "sites.yaml"
        sites.write_text(f"defaults:\n  scope: site\nunits:\n  - id: a\n    name: 甲海关\n    url: {held_url}\n"
                         f"  - id: b\n    name: 乙海关\n    url: {free_url}\n", encoding="utf-8")
        common = ["--sites", str(sites), "--out", str(out), "--no-throttle", "--timeout", "120", "--today", TODAY,
                  "--workers", "2", "--window", WINDOW]
        try:
            first = drive(f"{TODAY}T05:59:59+08:00", *common)  # one second before the window closes
            deadline = wall.monotonic() + 240
            while first.poll() is None and not closed_by_the_window(out) and wall.monotonic() < deadline:
                wall.sleep(0.1)
        finally:
            release.set()
        code, stderr = finish(first)
        assert code == 3 and "crawl window ended" in stderr, stderr
        [run_dir] = out.glob("2*")
        assert not (run_dir / "summary.csv").exists()

        code, stderr = finish(drive(f"{TODAY}T02:00:00+08:00", *common))  # four hours left: the crawl finishes first
        assert code == 0, stderr
    assert list(out.glob("2*")) == [run_dir]  # resumed, not started again
    run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    assert run["options"]["window"] == WINDOW and run["finish_reason"] == "finished"
    for unit in ("a", "b"):
        rows = (run_dir / f"{unit}.csv").read_text(encoding="utf-8-sig")
        assert "/gone.html" in rows and "broken_link" in rows  # each unit's crawl is complete

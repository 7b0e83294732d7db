"""Crash safety, by fault injection: runs killed at a random point (which process, which signal,
when: seeded) and started again end in one run folder with the findings of an uninterrupted run,
having fetched again only what was in flight.

FAULT_SEED and FAULT_TRIALS (environment) choose other trials; the seed and every trial are
printed (pytest -s shows them; a failure shows them too).
"""
import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from crawler.crawl.store import RunStore
from tests.webs.units_web import UnitsWeb

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-06-15"
SEED = int(os.environ.get("FAULT_SEED", "5"))
TRIALS = int(os.environ.get("FAULT_TRIALS", "4"))
# (run shape, which process is killed, signal); "worker" is one worker of a sharded run, "all"
# the main process and its workers at once (an OOM of the whole service, systemd's stop).
KINDS = [(shape, target, signum) for shape, target in
         [("single", "main"), ("sharded", "main"), ("sharded", "worker"), ("sharded", "all")]
         for signum in (signal.SIGKILL, signal.SIGTERM)]
# What a killed process may not have committed: answers of its last commit interval and those
# still waiting to be parsed (RunStore.COMMIT_EVERY_SECONDS, with room for a loaded machine).
LOST_WINDOW = RunStore.COMMIT_EVERY_SECONDS + 0.5
SLACK = 1.1  # an interrupted crawl may ask a little more than an uninterrupted one (ordering)


def command(sites: Path, out: Path, shape: str) -> list[str]:
    return [sys.executable, "-m", "crawler", "run", "--sites", str(sites), "--no-throttle", "--concurrency", "8",
            "--today", TODAY, "--workers", "1" if shape == "single" else "2", "--out", str(out)]


def run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=120)


def unit_csvs(run_dir: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in run_dir.glob("*.csv") if p.name != "summary.csv"}


def workers_of(pid: int) -> list[int]:
    """The crawl worker processes of a run's main process (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    pids = [int(child) for child in children.read_text().split()] if children.exists() else []
    return [child for child in pids if b"spawn_main" in _cmdline(child)]


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def wait_gone(pids: list[int], seconds: float = 60) -> None:
    """Until the processes have exited (orphaned workers stop on their own)."""
    deadline = time.monotonic() + seconds
    while any(_cmdline(pid) for pid in pids):
        assert time.monotonic() < deadline, f"processes {pids} still running"
        time.sleep(0.05)


def history_problems(out: Path) -> list[str]:
    with sqlite3.connect(out / "history.sqlite") as db:
        problems = [row for (row,) in db.execute("PRAGMA integrity_check") if row != "ok"]
        problems += [f"duplicate fingerprint {row}" for row in db.execute(
            "SELECT run_id, unit_id, fingerprint FROM run_rows GROUP BY run_id, unit_id, fingerprint "
            "HAVING COUNT(*) > 1")]
        finished = db.execute("SELECT COUNT(*) FROM runs WHERE status = 'finished'").fetchone()[0]
    return problems + ([] if finished == 1 else [f"{finished} finished runs"])


def test_runs_killed_at_random_points_resume_to_the_same_findings(tmp_path):
    rng = random.Random(SEED)
    trials = rng.sample(KINDS, TRIALS) if TRIALS <= len(KINDS) else [rng.choice(KINDS) for _ in range(TRIALS)]
    with UnitsWeb(date.fromisoformat(TODAY)) as web:
        sites = tmp_path / "sites.yaml"
        sites.write_text(web.sites_yaml(), encoding="utf-8")
        whole = run(command(sites, tmp_path / "whole", "sharded"))
        assert whole.returncode == 0, whole.stderr
        reference = web.total_requests()
        expected = unit_csvs((tmp_path / "whole" / "latest").resolve())
        print(f"\nfault injection: seed {SEED}, {TRIALS} trials, uninterrupted run {reference} requests")
        for number, (shape, target, signum) in enumerate(trials, start=1):
            out = tmp_path / f"trial-{number}"
            at = rng.uniform(0.1, 0.9)  # the share of the reference's requests answered before the kill
            before = web.total_requests()
            with open(tmp_path / f"trial-{number}.log", "wb") as log:
                victim = subprocess.Popen(command(sites, out, shape), cwd=ROOT, stdout=log, stderr=log)
            try:
                while web.total_requests() - before < at * reference and victim.poll() is None:
                    time.sleep(0.01)
                workers = workers_of(victim.pid)
                pick = [rng.choice(workers)] if target == "worker" and workers else []
                victims = pick or {"main": [victim.pid], "all": [victim.pid, *workers]}.get(target, [victim.pid])
                in_flight = web.in_flight(LOST_WINDOW)
                answered = web.total_requests() - before
                for pid in victims:
                    with contextlib.suppress(ProcessLookupError):  # a worker done with its share meanwhile
                        os.kill(pid, signum)
                victim.wait(timeout=120)
            finally:
                if victim.poll() is None:
                    victim.kill()
            wait_gone(workers)
            resumed = None if victim.returncode == 0 else run(command(sites, out, shape))
            total = web.total_requests() - before
            print(f"trial {number}: {shape} run, SIGKILL" if signum == signal.SIGKILL else
                  f"trial {number}: {shape} run, SIGTERM", f"to {target} {victims} after {answered} requests "
                  f"(aimed at {at:.0%}), exit {victim.returncode}; "
                  + ("finished without a resume" if resumed is None else f"resume exit {resumed.returncode}")
                  + f"; {total} requests in all, {total - reference:+d} against the uninterrupted run, "
                  f"{in_flight} in flight at the kill")
            assert resumed is None or resumed.returncode == 0, resumed.stderr
            assert not (target == "worker" and pick) or victim.returncode == 0, \
                "a worker that dies alone is started again: the run still finishes"
            run_dirs = sorted(out.glob("2*"))
            assert len(run_dirs) == 1, f"one run folder, not {run_dirs}"
            assert unit_csvs(run_dirs[0]) == expected
            assert not list(run_dirs[0].glob("crawl-*")) and not (run_dirs[0] / "claims.sqlite").exists()
            assert total <= SLACK * reference + in_flight
            assert history_problems(out) == []

"""Crash safety, by fault injection: runs killed in each phase of a run (during the crawl, in the
main process after it — merging the workers' stores, assessing — and while the history and the run
folder are written) and started again end in one run folder with the findings of an uninterrupted
run, having fetched again only what was in flight.

Each trial is a run shape, the process killed, the signal and the phase; the seed chooses how far
into the crawl a kill in the crawl lands. In the environment, FAULT_SEED chooses other kill points
and FAULT_TRIALS=N replaces the default trials by N drawn at random from every shape, target, signal
and phase; the seed and every trial are printed (pytest -s shows them; a failure shows them too).
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
RANDOM_TRIALS = int(os.environ.get("FAULT_TRIALS", "0"))
# The phases of a run a kill lands in: while pages are fetched; once every crawl process has
# closed its spider (the main process merging the workers' stores, probing IPv6, assessing); and
# once a unit's CSV is in the run folder (written inside the history's transaction, before it commits).
CRAWL, ASSESSMENT, HISTORY_WRITE = "crawl", "assessment", "history write"
# (run shape, which process is killed, signal, phase); "worker" is one worker of a sharded run,
# "all" the main process and its workers at once (an OOM of the whole service, systemd's stop).
# The default trials: each phase, both shapes, both signals, a worker dying alone.
PLAN = [("single", "main", signal.SIGTERM, CRAWL),  # the crawl stops gracefully, exit 3
        ("sharded", "main", signal.SIGKILL, CRAWL),  # its workers, orphaned, stop on their own
        ("sharded", "worker", signal.SIGKILL, CRAWL),  # started again: the run still finishes
        ("sharded", "main", signal.SIGKILL, ASSESSMENT),
        ("single", "main", signal.SIGKILL, HISTORY_WRITE)]
KINDS = [(shape, target, signum, phase) for shape, target in
         [("single", "main"), ("sharded", "main"), ("sharded", "worker"), ("sharded", "all")]
         for signum in (signal.SIGKILL, signal.SIGTERM)
         for phase in ((CRAWL,) if target != "main" else (CRAWL, ASSESSMENT, HISTORY_WRITE))]
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


def crawl_closed(run_dir: Path, processes: int) -> bool:
    """Every crawl process of the run has closed its spider (they share the run's crawl.log)."""
    try:
        return (run_dir / "crawl.log").read_text(errors="replace").count("Spider closed") >= processes
    except FileNotFoundError:
        return False


def in_phase(phase: str, out: Path, shape: str, answered: int, share: float, reference: int) -> bool:
    """Whether the run writing to `out` has reached the kill point of `phase`."""
    if phase == CRAWL:
        return answered >= share * reference
    run_dirs = list(out.glob("2*"))
    if not run_dirs:
        return False
    if phase == ASSESSMENT:
        return crawl_closed(run_dirs[0], 1 if shape == "single" else 2)
    return any(run_dirs[0].glob("*.csv"))


def test_runs_killed_in_every_phase_resume_to_the_same_findings(tmp_path):
    rng = random.Random(SEED)
    trials = [rng.choice(KINDS) for _ in range(RANDOM_TRIALS)] or PLAN
    with UnitsWeb(date.fromisoformat(TODAY), units=2) as web:  # a unit per worker
        sites = tmp_path / "sites.yaml"
        sites.write_text(web.sites_yaml(), encoding="utf-8")
        # uninterrupted in one process (the cheaper shape): a sharded run ends with the same findings
        whole = run(command(sites, tmp_path / "whole", "single"))
        assert whole.returncode == 0, whole.stderr
        reference = web.total_requests()
        expected = unit_csvs((tmp_path / "whole" / "latest").resolve())
        print(f"\nfault injection: seed {SEED}, {len(trials)} trials, uninterrupted run {reference} requests")
        for number, (shape, target, signum, phase) in enumerate(trials, start=1):
            out = tmp_path / f"trial-{number}"
            share = rng.uniform(0.1, 0.9)  # in the crawl: the share of the reference's requests answered first
            before = web.total_requests()
            with open(tmp_path / f"trial-{number}.log", "wb") as log:
                victim = subprocess.Popen(command(sites, out, shape), cwd=ROOT, stdout=log, stderr=log)
            workers: list[int] = []
            try:
                while victim.poll() is None and not in_phase(phase, out, shape, web.total_requests() - before,
                                                             share, reference):
                    workers = workers_of(victim.pid) or workers
                    time.sleep(0.01)
                workers = workers_of(victim.pid) or ([] if phase != CRAWL else workers)
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
            aim = f"at {share:.0%} of the crawl" if phase == CRAWL else f"in the {phase}"
            print(f"trial {number}: {shape} run, {signal.Signals(signum).name} to {target} {victims} {aim}, after "
                  f"{answered} requests, exit {victim.returncode}; "
                  + ("finished without a resume" if resumed is None else f"resume exit {resumed.returncode}")
                  + f"; {total} requests in all, {total - reference:+d} against the uninterrupted run, "
                  f"{in_flight} in flight at the kill")
            assert resumed is None or resumed.returncode == 0, resumed.stderr
            assert not (target == "worker" and pick) or victim.returncode == 0, \
                "a worker that dies alone is started again: the run still finishes"
            assert phase == CRAWL or victim.returncode != 0, f"the kill {aim} came after the run had finished"
            run_dirs = sorted(out.glob("2*"))
            assert len(run_dirs) == 1, f"one run folder, not {run_dirs}"
            assert unit_csvs(run_dirs[0]) == expected
            assert not list(run_dirs[0].glob("crawl-*")) and not (run_dirs[0] / "claims.sqlite").exists()
            assert total <= SLACK * reference + in_flight
            assert history_problems(out) == []

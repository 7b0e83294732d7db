"""The bundled demo customs web (SPEC §10), for `python -m crawler demo` and end-to-end tests.

`DemoWeb` runs it in a subprocess (`python -m crawler.demo serve`) so that the crawl, with its
own Twisted reactor, and the servers never share a process:

    with DemoWeb(tmp_path, "2026-10-15") as demo:
        run_crawl(sites=demo.sites_path, nameserver=demo.nameserver, timeout=demo.download_timeout)
        expected = demo.truth["findings"]
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from crawler.demo.generator import DOWNLOAD_TIMEOUT_SECONDS, SLOW_PAGE_SECONDS, SLOW_TIMEOUT_SECONDS

__all__ = ["DemoWeb", "DemoWebError", "DOWNLOAD_TIMEOUT_SECONDS", "SLOW_TIMEOUT_SECONDS", "SLOW_PAGE_SECONDS"]

STARTUP_SECONDS = 20.0
STOP_GRACE_SECONDS = 5.0
# The directory holding the `crawler` package, so the subprocess imports this very code.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


class DemoWebError(Exception):
    """The demo web could not start (one-line message)."""


class DemoWeb:
    """The demo web in a subprocess, writing its files to `directory`."""

    def __init__(self, directory: str | Path, today: date | str, *, startup_seconds: float = STARTUP_SECONDS) -> None:
        self.directory = Path(directory)
        self.today = today if isinstance(today, date) else date.fromisoformat(today)
        self.startup_seconds = startup_seconds
        self.sites_path = self.directory / "sites.yaml"
        self.truth_path = self.directory / "truth.json"
        self.log_path = self.directory / "demo.log"
        self.info: dict = {}
        self.truth: dict = {}
        self.returncode: int | None = None  # the subprocess's exit code once stopped
        self._process: subprocess.Popen | None = None

    @property
    def nameserver(self) -> str:
        """The demo DNS server as --nameserver takes it: "127.0.0.1:PORT"."""
        return self.info["nameserver"]

    @property
    def http_port(self) -> int:
        return self.info["http_port"]

    @property
    def download_timeout(self) -> float:
        """The download timeout the crawl of the demo must use (its timeout fault relies on it)."""
        return self.info["timeout_seconds"]

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> DemoWeb:
        self.directory.mkdir(parents=True, exist_ok=True)
        ready_file = self.directory / "demo.json"
        ready_file.unlink(missing_ok=True)  # left by a killed run: must not be taken for ours
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", "crawler.demo", "serve", "--dir", str(self.directory),
                   "--today", self.today.isoformat(), "--parent-pid", str(os.getpid())]
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + self.startup_seconds
        while not self._ready(ready_file):
            if self._process.poll() is not None:
                code = self._process.returncode
                self._process = None
                raise DemoWebError(f"demo web exited with code {code} before it was up: {self._log_tail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise DemoWebError(f"demo web not up after {self.startup_seconds:g} s (log: {self.log_path})")
            time.sleep(0.05)
        self.truth = json.loads(self.truth_path.read_text(encoding="utf-8"))
        return self

    def _ready(self, ready_file: Path) -> bool:
        try:
            info = json.loads(ready_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        if info.get("pid") != self._process.pid:
            return False
        self.info = info
        return True

    def _log_tail(self) -> str:
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return lines[-1] if lines else "(no output)"

    def stop(self) -> None:
        """Stop the subprocess by its pid: SIGTERM, then SIGKILL after a grace period."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait()
        self.returncode = process.returncode

    def __enter__(self) -> DemoWeb:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

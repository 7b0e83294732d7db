"""The bundled demo customs web, for `python -m crawler demo` and end-to-end tests.

`DemoWeb` runs it in a subprocess (`python -m crawler.demo serve`) so that the crawl, with its
own Twisted reactor, and the servers never share a process:

    with DemoWeb(tmp_path, "2026-10-15") as demo:
        run_crawl(sites=demo.sites_path, nameserver=demo.nameserver, timeout=demo.download_timeout)
        expected = demo.truth["findings"]
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

from crawler.demo.generator import DOWNLOAD_TIMEOUT_SECONDS, SLOW_PAGE_SECONDS, SLOW_TIMEOUT_SECONDS
from crawler.demo.loopback import STARTUP_SECONDS, LoopbackWeb

__all__ = ["DemoWeb", "DemoWebError", "DOWNLOAD_TIMEOUT_SECONDS", "SLOW_TIMEOUT_SECONDS", "SLOW_PAGE_SECONDS"]


class DemoWebError(Exception):
    """The demo web could not start (one-line message)."""


class DemoWeb(LoopbackWeb):
    """The demo web in a subprocess, writing its files to `directory`."""

    module = "crawler.demo"
    name = "demo"
    error = DemoWebError

    def __init__(self, directory: str | Path, today: date | str, *, startup_seconds: float = STARTUP_SECONDS) -> None:
        self.today = today if isinstance(today, date) else date.fromisoformat(today)
        super().__init__(directory, startup_seconds=startup_seconds, serve_options=["--today", self.today.isoformat()])

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

    def _exit_detail(self) -> str:
        # `python -m crawler demo` shows only this line: name the cause, the log's last line.
        lines = self.log_path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return ": " + (lines[-1] if lines else "(no output)")

"""A loopback web served by a subprocess until stopped: the demo web and the hostile web.

The crawl, with its own Twisted reactor, and the servers never share a process:

- `LoopbackWeb` (the launcher) runs `python -m MODULE serve --dir DIR --parent-pid PID`, waits
  for DIR/NAME.json, reads it (`info`) and DIR/truth.json (`truth`), and stops the subprocess
  by its pid.
- `serve_until_stopped` is that subprocess's side: it serves until SIGTERM or SIGINT, or until
  the launcher is gone, with the ready file written last and removed first.
- `BackgroundServer` runs a socketserver in a daemon thread.
"""
from __future__ import annotations

import json
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol, Self, TypeVar

from checks.files import write_atomic

STARTUP_SECONDS = 20.0
STOP_GRACE_SECONDS = 5.0
PARENT_CHECK_SECONDS = 1.0
POLL_SECONDS = 0.2
# The directory holding the `crawler` package, so the subprocess imports this very code.
_PROJECT_ROOT = Path(__file__).resolve().parents[2]


class LoopbackWeb:
    """A loopback web in a subprocess, writing its files to `directory`; a context manager."""

    module: str  # served by `python -m MODULE serve`
    name: str  # "demo": the ready file DIR/demo.json, the log DIR/demo.log, "demo web ..." in errors
    error: type[Exception]  # raised with a one-line message when the web does not come up

    def __init__(self, directory: str | Path, *, startup_seconds: float = STARTUP_SECONDS,
                 serve_options: Sequence[str] = ()) -> None:
        self.directory = Path(directory)
        self.startup_seconds = startup_seconds
        self.sites_path = self.directory / "sites.yaml"
        self.truth_path = self.directory / "truth.json"
        self.log_path = self.directory / f"{self.name}.log"
        self.info: dict = {}
        self.truth: dict = {}
        self.returncode: int | None = None  # the subprocess's exit code once stopped
        self._serve_options = list(serve_options)
        self._process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def start(self) -> Self:
        self.directory.mkdir(parents=True, exist_ok=True)
        ready_file = self.directory / f"{self.name}.json"
        ready_file.unlink(missing_ok=True)  # left by a killed run: must not be taken for ours
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(_PROJECT_ROOT), env.get("PYTHONPATH")]))
        command = [sys.executable, "-m", self.module, "serve", "--dir", str(self.directory), *self._serve_options,
                   "--parent-pid", str(os.getpid())]
        with open(self.log_path, "wb") as log:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                             env=env)
        deadline = time.monotonic() + self.startup_seconds
        while not self._ready(ready_file):
            if self._process.poll() is not None:
                code, self._process = self._process.returncode, None
                raise self.error(f"{self.name} web exited with code {code} before it was up{self._exit_detail()}")
            if time.monotonic() > deadline:
                self.stop()
                raise self.error(f"{self.name} web not up after {self.startup_seconds:g} s (log: {self.log_path})")
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

    def _exit_detail(self) -> str:
        """What the error of a subprocess that exited before it was up says after the exit code."""
        return f" (log: {self.log_path})"

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

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


class _Stoppable(Protocol):
    def stop(self) -> None: ...


Servers = TypeVar("Servers", bound=_Stoppable)


def serve_until_stopped(ready_file: Path, parent_pid: int | None, start: Callable[[], Servers],
                        publish: Callable[[Servers], dict]) -> int:
    """Serve until SIGTERM or SIGINT, or until `parent_pid` (the launcher) is gone; exit code 0.

    `start` starts the servers, `publish` writes the web's files and returns what the ready file
    says about it. The ready file is written last (atomically, with this process's pid): a reader
    that sees it knows everything is up. It is removed before the servers stop.
    """
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    ready_file.parent.mkdir(parents=True, exist_ok=True)
    ready_file.unlink(missing_ok=True)
    servers = start()
    try:
        info = {"pid": os.getpid(), **publish(servers)}
        write_atomic(ready_file, json.dumps(info, indent=2) + "\n")
        while not stop.wait(PARENT_CHECK_SECONDS):
            # A parent that died without stopping us (a crashed test run) leaves us re-parented.
            if parent_pid is not None and os.getppid() != parent_pid:
                break
    finally:
        ready_file.unlink(missing_ok=True)
        servers.stop()
    return 0


class BackgroundServer(socketserver.BaseServer):
    """A mixin for a threading socketserver served by a daemon thread between start() and stop().

    Handlers waiting on something (a slow answer) wait on `stopping`, so that stop() is prompt.
    """

    thread_name: str  # the serving thread is named THREAD_NAME-PORT
    # Handler threads neither keep the process alive nor hold up stop().
    daemon_threads = True
    block_on_close = False

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": POLL_SECONDS},
                                        name=f"{self.thread_name}-{self.server_address[1]}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        if self._thread is not None:
            self.shutdown()
            self._thread.join()
            self._thread = None
        self.server_close()

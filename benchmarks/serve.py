"""Serve the benchmark site on loopback: nginx when installed, else a threaded Python server.

Either runs as a child process bound to 127.0.0.1 and is stopped by its PID. Every answer
carries a `LinkChecker` header: LinkChecker lifts its per-host rate limit only for servers that
send it, and the benchmark measures every tool without rate limits.
"""
from __future__ import annotations

import argparse
import ctypes
import os
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HOST = "127.0.0.1"
STARTUP_SECONDS = 10
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
NGINX_CONFIG = """\
{user}worker_processes 2;
# Some clients open a connection per request and leave it idle: nginx must not close idle
# connections early to make room, or those clients see resets where there are none.
worker_rlimit_nofile {files};
pid {work}/nginx.pid;
error_log {work}/error.log warn;
daemon off;
events {{ worker_connections {connections}; }}
http {{
    types {{ text/html html; text/css css; image/png png; application/pdf pdf; application/json json; }}
    default_type application/octet-stream;
    charset utf-8;
    access_log off;
    log_not_found off;
    sendfile on;
    keepalive_requests 10000;
    client_body_temp_path {work}/body;
    proxy_temp_path {work}/proxy;
    fastcgi_temp_path {work}/fastcgi;
    uwsgi_temp_path {work}/uwsgi;
    scgi_temp_path {work}/scgi;
    server {{
        listen {host}:{port};
        root {root};
        index index.html;
        add_header LinkChecker benchmark always;
    }}
}}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def open_files_limit() -> int:
    """The most files a worker may open: the hard limit, within reason."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    return 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)


def stop_with(parent_pid: int):
    """A Popen `preexec_fn`: the server gets SIGTERM when the process that started it dies, even
    by SIGKILL, so a killed benchmark leaves no server behind (Linux's PR_SET_PDEATHSIG)."""
    def arrange() -> None:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() != parent_pid:  # it died before the request took effect
            os._exit(1)
    return arrange


def nginx_path() -> str | None:
    return shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin")


class SiteServer:
    """`with SiteServer(root, kind) as server:` serves `root` at `server.url` until the block ends.

    `kind` is "nginx", "python" or "auto" (nginx when installed). `server.description` says which.
    """

    def __init__(self, root: Path, kind: str = "auto"):
        self.root = Path(root).resolve()
        nginx = nginx_path()
        if kind == "nginx" and nginx is None:
            raise RuntimeError("nginx is not installed (apt-get install -y nginx)")
        self.kind = "nginx" if kind in ("auto", "nginx") and nginx else "python"
        self.nginx = nginx
        self.port = free_port()
        self.url = f"http://{HOST}:{self.port}/"
        self.process: subprocess.Popen | None = None
        self.work: tempfile.TemporaryDirectory | None = None

    @property
    def description(self) -> str:
        if self.kind == "nginx":
            version = subprocess.run([self.nginx, "-v"], capture_output=True, text=True).stderr.strip()
            return f"{version.removeprefix('nginx version: ')}, 2 workers, on {HOST}"
        reason = "nginx not installed" if self.nginx is None else "chosen with --server python"
        return f"Python ThreadingHTTPServer on {HOST} ({reason})"

    def __enter__(self) -> SiteServer:
        if self.kind == "nginx":
            self.work = tempfile.TemporaryDirectory(prefix="bench-nginx-")
            config = Path(self.work.name) / "nginx.conf"
            # As root, nginx's workers would run as nobody, who may not read a private temp folder.
            user = "user root;\n" if os.geteuid() == 0 else ""
            files = open_files_limit()
            config.write_text(NGINX_CONFIG.format(user=user, files=files, connections=files // 2, work=self.work.name,
                                                  host=HOST, port=self.port, root=self.root))
            command = [self.nginx, "-p", self.work.name, "-c", str(config), "-e", f"{self.work.name}/error.log"]
        else:
            command = [sys.executable, "-m", "benchmarks.serve", str(self.root), "--port", str(self.port)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=Path(__file__).parent.parent,
                                        preexec_fn=stop_with(os.getpid()))
        self._wait_until_listening()
        return self

    def _wait_until_listening(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(f"{self.kind} server exited with code {self.process.returncode}")
            try:
                socket.create_connection((HOST, self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.kind} server did not listen on {HOST}:{self.port} within {STARTUP_SECONDS} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)  # nginx master: fast shutdown of its workers too
            try:
                self.process.wait(timeout=STARTUP_SECONDS)
            except subprocess.TimeoutExpired:
                os.kill(self.process.pid, signal.SIGKILL)
                self.process.wait()
        if self.work is not None:
            self.work.cleanup()
            self.work = None

    def __exit__(self, *exc_info) -> bool:
        self.stop()
        return False


class ThreadedServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog of 5 drops connections a concurrent client opens at once


class QuietHandler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as nginx
    disable_nagle_algorithm = True  # headers and body go in two writes: no delayed-ACK stall between them

    def end_headers(self):
        self.send_header("LinkChecker", "benchmark")
        super().end_headers()

    def log_message(self, format, *args):
        pass


def main(argv: list[str] | None = None) -> None:
    """The threaded Python server, run by SiteServer when nginx is not installed."""
    parser = argparse.ArgumentParser(description="Serve a folder on 127.0.0.1 with a threaded HTTP server.")
    parser.add_argument("root")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    server = ThreadedServer((HOST, args.port), partial(QuietHandler, directory=args.root))
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":
    main()

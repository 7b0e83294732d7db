"""A tiny site on 127.0.0.1 for end-to-end tests: fixed pages, served by a thread of this process."""
from __future__ import annotations

import csv
import subprocess
import sys
import threading
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOT_FOUND = "<html><head><title>404 页面不存在</title></head></html>".encode()
# the five required sections of a disclosure column, by the folder a test site keeps them in
SECTIONS = {"zn": "政府信息公开指南", "zd": "政府信息公开制度", "fd": "法定主动公开内容", "nb": "政府信息公开年报",
            "gf": "规范性文件"}


def html(title: str, body: str) -> bytes:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>".encode()


def item(title: str, day: str) -> bytes:
    """A disclosed document with its four metadata fields."""
    return html(title, f"<h1>{title}</h1><p>文　　号：杭关公告〔2026〕1号</p><p>发布机构：杭州海关</p>"
                       f"<p>发布日期：{day}</p><p>有效性：有效</p><p>正文。</p>")


@contextmanager
def serve(pages: dict[str, bytes], content_type: str = "text/html; charset=utf-8", headers: dict[str, str] | None = None,
          requested: list[str] | None = None, held: dict[str, threading.Event] | None = None):
    """Serve `pages` (path -> body) at the yielded base URL, with `headers`; other paths answer 404.
    Every requested path is appended to `requested` when given. A path of `held` is answered only
    once its event is set: the test decides when it loads."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if requested is not None:
                requested.append(self.path)
            if self.path in (held or {}):
                held[self.path].wait()
            body = pages.get(self.path, NOT_FOUND)
            self.send_response(200 if self.path in pages else 404)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):
            pass

    with serve_handler(Handler) as url:
        yield url


@contextmanager
def serve_handler(handler: type[BaseHTTPRequestHandler]):
    """Serve with `handler` on 127.0.0.1, in a thread of this process; yields the base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def check_site(url: str, out: Path) -> subprocess.CompletedProcess:
    """`python -m crawler check URL --scope site --no-throttle`, its run folder in `out`."""
    return subprocess.run(
        [sys.executable, "-m", "crawler", "check", url, "--scope", "site", "--no-throttle", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )


def spot_results(out: Path) -> tuple[dict, list[dict]]:
    """The one unit's summary row and its findings, from the spot check written to `out`."""
    run = out / "spot" / "latest"

    def read(path: Path) -> list[dict]:
        return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))

    [summary] = read(run / "summary.csv")
    return summary, read(run / f"{summary['unit_id']}.csv")


"""A site never sees more simultaneous requests than --concurrency, even with --no-throttle.

A real HTTP server on loopback counts the requests it is answering at once; each answer takes
a little time, so a crawler that starts more than it may shows it.
"""
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PAGES = 60


class CountingHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.most_in_flight = max(server.most_in_flight, server.in_flight)
        try:
            time.sleep(0.02)
            if self.path == "/":
                body = "".join(f'<a href="/p/{i}.html">第{i}页</a>' for i in range(PAGES))
            elif self.path.startswith("/p/"):
                body = '<img src="/logo.png"><a href="/">首页</a>'
            else:
                body = ""
            data = f"<html><head><title>测试</title></head><body>{body}</body></html>".encode()
            self.send_response(200 if body or self.path == "/logo.png" else 404)
            self.send_header("Content-Type", "image/png" if self.path == "/logo.png" else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        finally:
            with server.lock:
                server.in_flight -= 1

    do_HEAD = do_GET

    def log_message(self, format, *args):
        pass


def test_no_more_requests_at_once_than_the_concurrency_allows(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), CountingHandler)
    server.daemon_threads = True
    server.lock, server.in_flight, server.most_in_flight = threading.Lock(), 0, 0
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        result = subprocess.run(
            [sys.executable, "-m", "crawler", "check", url, "--scope", "site", "--concurrency", "2",
             "--no-throttle", "--out", str(tmp_path)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    summary = (tmp_path / "spot" / "latest" / "summary.csv").read_text(encoding="utf-8-sig")
    assert f",{PAGES + 1}," in summary  # every page crawled
    assert server.most_in_flight == 2

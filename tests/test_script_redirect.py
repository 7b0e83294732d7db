"""A site whose root only sends the browser on by script is crawled from where it sends it."""
import csv
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PAGES = {
    "/": '<html><head><script>window.location.href = "/portal/index.html";</script></head><body>正在跳转</body></html>',
    "/portal/index.html": '<html><head><title>首页</title></head><body><a href="a.html">通知公告</a>'
                          '<a href="gone.html">办事指南</a></body></html>',
    "/portal/a.html": "<html><head><title>通知公告</title></head><body>正文</body></html>",
}


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = PAGES.get(self.path, "<html><head><title>404 页面不存在</title></head></html>").encode()
        self.send_response(200 if self.path in PAGES else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        pass


def test_root_that_redirects_by_script_is_followed(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), SiteHandler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        result = subprocess.run(
            [sys.executable, "-m", "crawler", "check", url, "--scope", "site", "--no-throttle", "--out", str(tmp_path)],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    run = tmp_path / "spot" / "latest"
    [summary] = csv.DictReader((run / "summary.csv").read_text(encoding="utf-8-sig").splitlines())
    assert summary["pages_crawled"] == "2"  # the portal's home and its one working page
    [unit_csv] = [p for p in run.glob("*.csv") if p.name not in ("summary.csv", "resolved.csv", "accepted.csv")]
    rows = list(csv.DictReader(unit_csv.read_text(encoding="utf-8-sig").splitlines()))
    broken = [(row["page_url"], row["target_url"]) for row in rows if row["check"] == "broken_link"]
    assert broken == [(url + "portal/index.html", url + "portal/gone.html")]
    assert not any(row["check"] == "site_unreachable" for row in rows)

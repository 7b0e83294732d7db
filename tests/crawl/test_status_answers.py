"""Answers a browser copes with are not broken links: a redirect status without a Location shows
its body; a 429 is retried with back-off, and one that persists is a rate limit (link_blocked)."""
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler

from tests.webs.loopback_site import check_site, serve_handler, spot_results


@contextmanager
def serve_answers(answers: dict[str, tuple[int, dict[str, str], str]]):
    """Serve path -> (status, headers, body) on 127.0.0.1 (GET and HEAD); yields (base URL, requested paths)."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self, head=False):
            hits.append(self.path)
            status, headers, body = answers.get(self.path, (404, {}, "<title>404</title>"))
            data = body.encode()
            self.send_response(status)
            for name, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not head:
                self.wfile.write(data)

        def do_HEAD(self):
            self.do_GET(head=True)

        def log_message(self, format, *args):
            pass

    with serve_handler(Handler) as url:
        yield url, hits


def test_redirect_status_without_location_and_persisting_429(tmp_path):
    home = ('<html><head><title>首页</title></head><body><a href="/moved.html">通知</a>'
            '<a href="/moved.pdf">附件</a><a href="/busy.html">办事</a><a href="/ftp.html">下载</a></body></html>')
    answers = {
        "/": (200, {}, home),
        "/moved.html": (302, {}, "<html><body>此页已移动</body></html>"),
        "/moved.pdf": (301, {}, ""),
        "/busy.html": (429, {}, "Too Many Requests"),
        "/ftp.html": (302, {"Location": "ftp://files.example/a.pdf"}, ""),
    }
    with serve_answers(answers) as (url, hits):
        result = check_site(url, tmp_path)
    assert result.returncode == 0, result.stderr
    _, rows = spot_results(tmp_path)
    problems = sorted((row["check"], row["target_url"]) for row in rows if row["check"] in ("broken_link", "link_blocked"))
    assert problems == [("broken_link", url + "ftp.html"), ("link_blocked", "")]
    [blocked] = [row for row in rows if row["check"] == "link_blocked"]
    assert "HTTP 429" in blocked["detail"] and "1 个链接未能核验" in blocked["detail"]
    assert hits.count("/busy.html") == 4  # the first answer and three retries with back-off

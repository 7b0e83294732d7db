"""The spot check's progress line shows on a terminal, and stays out of redirected output."""
import io
import os
import pty
import subprocess
import sys

from tests.webs.loopback_site import ROOT, serve

PAGES = {"/": '<html><head><title>首页</title></head><body><a href="/a.html">通知</a></body></html>'.encode(),
         "/a.html": "<html><head><title>通知</title></head><body>正文</body></html>".encode()}


def test_progress_on_a_terminal(tmp_path):
    master, slave = pty.openpty()
    with serve(PAGES) as url:
        process = subprocess.Popen(
            [sys.executable, "-m", "crawler", "check", url, "--scope", "site", "--no-throttle", "--out", str(tmp_path)],
            cwd=ROOT, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env={**os.environ, "TERM": "xterm"})
        os.close(slave)
        output = b""
        while True:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the other side closed: the process is done
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=120) == 0
    os.close(master)
    assert "启动中".encode() in output


def test_no_progress_line_when_stderr_is_no_terminal(monkeypatch):
    from crawler.cli.commands import live_progress

    monkeypatch.setattr(sys, "stderr", io.StringIO())  # cron, a log file
    with live_progress("南京海关") as progress:
        assert progress is None  # the crawl then reports no progress at all: nobody watches
    assert sys.stderr.getvalue() == ""

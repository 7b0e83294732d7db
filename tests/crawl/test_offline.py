"""The crawler reaches nothing but the sites it audits: no public suffix list from the internet."""
import os
import subprocess
import sys

from tests.webs.loopback_site import ROOT, serve


def test_cookies_need_no_public_suffix_list_from_the_internet(tmp_path):
    page = '<html><head><title>首页</title></head><body><a href="/a.html">通知</a></body></html>'.encode()
    # A cookie makes Scrapy ask tldextract for the public suffix list; a fresh cache has none.
    env = {**os.environ, "TLDEXTRACT_CACHE": str(tmp_path / "tldextract-cache")}
    env.pop("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", None)
    with serve({"/": page, "/a.html": page}, headers={"Set-Cookie": "sid=1; Domain=127.0.0.1; Path=/"}) as url:
        result = subprocess.run(
            [sys.executable, "-m", "crawler", "check", url, "--scope", "site", "--no-throttle", "--out", str(tmp_path)],
            cwd=ROOT, capture_output=True, text=True, timeout=120, env=env)
    assert result.returncode == 0, result.stderr
    log = next((tmp_path / "spot").glob("*/crawl.log")).read_text(encoding="utf-8")
    assert "publicsuffix" not in log.lower() and "Traceback" not in log

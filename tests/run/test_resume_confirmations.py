"""A resumed crawl does not try again what the killed one had already confirmed (a transient
failure's second attempt): at a real size, hundreds of dead links waiting for their timeout."""
import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path

from checks.regulations import default_library_dir, load_library
from checks.rules import load_rules
from crawler.crawl.options import CrawlOptions
from crawler.crawl.page_facts import PageAnalyzer
from crawler.run.workers import CrawlJob
from crawler.sites import load_sites
from tests.webs.units_web import BUSY_PATH, UnitsWeb

ROOT = Path(__file__).resolve().parents[2]
TODAY = date(2026, 6, 15)
CRAWL = ("import pickle, sys; from crawler.run.workers import crawl; "
         "print(crawl(*pickle.load(sys.stdin.buffer))['finish_reason'])")


def test_a_resumed_crawl_does_not_confirm_again_what_was_confirmed(tmp_path):
    with UnitsWeb(TODAY, units=1, pages_per_list=1, delay=0) as web:
        sites = tmp_path / "sites.yaml"
        sites.write_text(web.sites_yaml(), encoding="utf-8")
        analyzer = PageAnalyzer(load_rules(), load_library(default_library_dir()), TODAY)
        busy = [key for key in web.requests if key[1].endswith(BUSY_PATH)]
        for resume in (False, True):  # the whole crawl, then a resume of it as if killed at its very end
            job = CrawlJob(load_sites(sites).units, CrawlOptions(no_throttle=True), tmp_path / "crawl.sqlite",
                           tmp_path / "crawl.log", resume=resume)
            crawl = subprocess.run([sys.executable, "-c", CRAWL], input=pickle.dumps((job, analyzer)), cwd=ROOT,
                                   capture_output=True, timeout=120)
            assert crawl.stdout.strip() == b"finished", crawl.stderr[-2000:]
            if not resume:
                busy = {key: count for key, count in web.requests.items() if key[1].endswith(BUSY_PATH)}
                assert sum(busy.values()) >= 2  # asked, then confirmed
                asked = web.total_requests()
    assert web.total_requests() == asked, "the resume asked nothing again"

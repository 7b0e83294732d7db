"""What `--render` costs per challenged host: `check URL --scope site` on a small loopback site
behind the demo's Ruishu firewall, without --render, with --render where headless Chromium
passes (the firewall refuses automation tells only), and with --render where the firewall
refuses headless windows too (Chromium headed under Xvfb). Wall seconds, CPU seconds, and the
peak memory of the process tree (Chromium and Xvfb included): RSS summed as benchmarks.run
sums it, which counts the pages Chromium's processes share once per process, and PSS summed
(a shared page divided among its processes), the memory the machine really gives.

    python -m benchmarks.render_cost [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
from datetime import date
from functools import partial
from pathlib import Path

import os
import re

from benchmarks.run import TreeRssSampler, measure
from crawler.demo.network import ruishu_firewall
from crawler.demo.server import DemoHTTPServer
from crawler.demo.sites import ExternalSite, Page

HOST = "127.0.0.1"
PSS_SAMPLE_SECONDS = 0.5
PAGES = 20  # a small site: the browser's cost is per host, not per page
CASES = {
    "no --render (one link_blocked row)": (partial(ruishu_firewall, refuses_automation=True), []),
    "--render, headless passes": (partial(ruishu_firewall, refuses_automation=True), ["--render"]),
    "--render, headless refused, headed under Xvfb": (partial(ruishu_firewall, refuses_headless=True), ["--render"]),
}


class TreePssSampler(TreeRssSampler):
    """The summed proportional set size of the tree under this process (the crawl and its children),
    sampled every PSS_SAMPLE_SECONDS: reading smaps is dear, more often would slow what it measures."""

    def run(self) -> None:
        while not self.stopping.wait(PSS_SAMPLE_SECONDS):
            self.peak_bytes = max(self.peak_bytes, self.tree_rss())

    def size(self, pid: int, resident_pages: int) -> int:
        try:
            rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:  # gone meanwhile
            return 0
        found = re.search(r"^Pss:\s+(\d+) kB", rollup, re.M)
        return int(found[1]) * 1024 if found else 0


def browser_seconds(out: Path) -> float:
    """How long the browser took to pass the host's challenge, as the crawl logs it (0: no browser)."""
    logged = "".join(log.read_text(encoding="utf-8") for log in out.glob("spot/*/crawl.log"))
    passed = re.search(r"passed the challenge in ([\d.]+) s", logged)
    return float(passed[1]) if passed else 0.0


def site_behind(make_firewall) -> DemoHTTPServer:
    server = DemoHTTPServer(HOST)
    site = ExternalSite(HOST, server.port, "测试海关")
    links = "".join(f'<a href="/p{i}.html">第{i}页</a> ' for i in range(1, PAGES))
    site.add_page(Page("/", "测试海关", lambda: f'<div class="nav">{links}</div>'))
    for i in range(1, PAGES):
        site.add_text_page(f"/p{i}.html", f"第{i}页", "正文" * 50)
    vhost = site.finish()
    vhost.firewall = make_firewall(HOST, date.today())
    server.hosts = {HOST: vhost}
    return server.start()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| case | wall s | CPU s | browser s | peak RSS sum MB | peak PSS sum MB |\n|---|---|---|---|---|---|")
    for name, (make_firewall, options) in CASES.items():
        runs, pss, browser = [], [], []
        for _ in range(args.repeat):
            server = site_behind(make_firewall)
            try:
                with tempfile.TemporaryDirectory() as work:
                    url = f"http://{HOST}:{server.port}/"
                    sampler = TreePssSampler(os.getpid())
                    sampler.start()
                    try:
                        runs.append(measure(["python3", "-m", "crawler", "check", url, "--scope", "site",
                                             "--no-throttle", "--format", "csv", "--out", str(Path(work) / "out"),
                                             *options], Path(work), timeout=300))
                    finally:
                        pss.append(sampler.stop())
                    browser.append(browser_seconds(Path(work) / "out"))
            finally:
                server.stop()
        print(f"| {name} | {statistics.median(r.wall_s for r in runs):.1f} | "
              f"{statistics.median(r.cpu_s for r in runs):.1f} | {statistics.median(browser):.1f} | "
              f"{statistics.median(r.peak_rss_bytes for r in runs) / 2**20:.0f} | "
              f"{statistics.median(pss) / 2**20:.0f} |")


if __name__ == "__main__":
    main()

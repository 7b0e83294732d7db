"""The benchmark runs end to end: a small generated site, the product only, on loopback.

No timing is asserted: the benchmark measures speed, the test only that it works and that the
product finds exactly the planted broken links.
"""
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_module(module: str, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    # benchmarks/ is not an installed package: it runs from the checkout, as its README says.
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_generated_site_is_deterministic_and_knows_its_broken_links(tmp_path):
    for name in ("a", "b"):
        result = run_module("benchmarks.generate_site", str(tmp_path / name), "--pages", "50", "--seed", "3")
        assert result.returncode == 0, result.stderr
    truth = json.loads((tmp_path / "a" / "truth.json").read_text(encoding="utf-8"))
    assert (tmp_path / "a" / "truth.json").read_bytes() == (tmp_path / "b" / "truth.json").read_bytes()
    assert (tmp_path / "a" / "page" / "7.html").read_bytes() == (tmp_path / "b" / "page" / "7.html").read_bytes()
    assert truth["broken_targets"] and truth["depth"] <= 4
    for path in truth["broken_targets"]:
        assert not (tmp_path / "a" / path.lstrip("/")).exists()
    for page, target in truth["broken_pairs"]:
        html = tmp_path / "a" / ("index.html" if page == "/" else page.lstrip("/"))
        assert f'href="{target}"' in html.read_text(encoding="utf-8")


def test_generated_site_lists_every_path_its_pages_link_to(tmp_path):
    from benchmarks.generate_site import generate

    site = generate(tmp_path, 120, 10)
    linked = {"/"}
    for page in tmp_path.rglob("*.html"):
        linked.update(re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")))
    assert site.linked_paths == sorted(linked)
    assert set(site.broken_targets) <= linked and "/static/site.css" in linked


def test_benchmark_runs_end_to_end_on_50_pages(tmp_path):
    result = run_module("benchmarks.run", "--pages", "50", "--tools", "product,scrapy-floor,scrapy-floor-x2",
                        "--timeout", "120", "--results-dir", str(tmp_path), timeout=240)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "| customs-audit |" in result.stdout
    assert "| Scrapy alone, 2 processes (reference) |" in result.stdout
    assert "served by" in result.stderr
    [report] = tmp_path.glob("*.json")
    assert report.with_suffix(".md").exists()
    [size] = json.loads(report.read_text())
    product, floor, floor_x2 = size["results"]
    assert product["status"] == "ok"
    assert product["pages"] == 50
    assert product["broken_found"] == size["broken_targets"] > 0
    assert product["pairs_found"] == size["broken_pairs"]
    assert product["false_alarms"] == 0
    # The floor fetches exactly what the site links to: every page, every missing one, nothing else.
    for reference in (floor, floor_x2):
        assert reference["status"] == "ok"
        assert reference["pages"] == 50
        assert reference["broken_found"] == size["broken_targets"]
        assert reference["false_alarms"] == 0


def test_units_benchmark_shards_without_fetching_twice():
    from benchmarks.units import run_units

    server, runs = run_units(pages=30, units=2, workers=[1, 2], concurrency=4, log=lambda line: None)
    assert server
    assert [run.workers for run in runs] == [1, 2]
    assert [run.pages for run in runs] == [60, 60]
    assert runs[0].requests == runs[1].requests > 60  # the same URLs, each fetched once, however sharded


def test_bad_values_are_one_line_errors():
    for module, args in (("benchmarks.run", ("--pages", "0")), ("benchmarks.run", ("--links", "1")),
                         ("benchmarks.units", ("--units", "0")), ("benchmarks.units", ("--workers", "x"))):
        result = run_module(module, *args)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and "invalid value" in result.stderr.splitlines()[-1]


def test_a_killed_benchmark_leaves_no_server_behind(tmp_path):
    # The process serving the site is SIGKILLed, as a cron timeout or an OOM kill would: its server stops too.
    script = ("import sys, time\nfrom benchmarks.serve import SiteServer\n"
              f"with SiteServer({str(tmp_path)!r}) as server:\n"
              "    print(server.process.pid, flush=True)\n    time.sleep(60)\n")
    holder = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        server_pid = int(holder.stdout.readline())
    finally:
        holder.kill()
        holder.wait()
    for _ in range(100):  # bounded: 10 s
        if not Path(f"/proc/{server_pid}").exists() or " Z " in Path(f"/proc/{server_pid}/stat").read_text():
            break
        time.sleep(0.1)
    else:
        os.kill(server_pid, signal.SIGTERM)  # nginx's master stops its workers on SIGTERM
        raise AssertionError("the server outlived the benchmark that started it")


def test_the_replay_finds_the_planted_broken_links_without_a_network(tmp_path):
    from benchmarks.generate_site import generate
    from benchmarks.replay import ORIGIN, replay

    site = generate(tmp_path / "site", 80, 10, broken_ratio=0.05)
    outcome = replay(site.directory, tmp_path)
    found = {(finding.page_url, finding.target_url) for finding in outcome["findings"] if finding.check == "broken_link"}
    assert found == {(ORIGIN + page, ORIGIN + target) for page, target in site.broken_pairs}
    assert outcome["pages"] == 80 and outcome["callbacks_s"] > 0 and outcome["assessment_s"] > 0

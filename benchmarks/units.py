"""A nightly run over several units, on one core and on all of them: the benchmark site as N units.

    python -m benchmarks.units --pages 2000 --units 4 [--workers 1 2] [--concurrency 10]

The generated site is served on N loopback ports, so it stands for N units on N hosts; then
`python -m crawler run --sites S --workers W --concurrency C --no-throttle` runs under
/usr/bin/time -v for each W. The table gives wall s, CPU s, the cores used (CPU s / wall s),
pages/s, the requests sent and the peak RSS summed over the product's processes. The requests
are the same for every W: sharding the units over worker processes fetches no URL twice.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from benchmarks.generate_site import generate
from benchmarks.run import TIME, Measurement, at_least, measure, megabytes, read_csv_rows
from benchmarks.serve import SiteServer


@dataclass
class UnitsRun:
    workers: int
    measurement: Measurement
    pages: int
    requests: int

    @property
    def cores_used(self) -> float:
        return self.measurement.cpu_s / self.measurement.wall_s if self.measurement.wall_s else 0.0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.measurement.wall_s if self.measurement.wall_s else 0.0


def sites_yaml(urls: list[str]) -> str:
    units = "".join(f"  - id: unit{i}\n    name: 单位{i}\n    url: {url}\n" for i, url in enumerate(urls, 1))
    return f"defaults:\n  scope: site\n  max_depth: 4\n  max_pages: 1000000\nunits:\n{units}"


def run_units(pages: int, units: int, workers: list[int], concurrency: int, server: str = "auto",
              log=lambda line: print(line, file=sys.stderr, flush=True)) -> tuple[str, list[UnitsRun]]:
    """The server's description and one UnitsRun per worker count."""
    runs = []
    with tempfile.TemporaryDirectory(prefix=f"bench-units-{pages}-") as tmp, ExitStack() as servers:
        site = generate(Path(tmp) / "site", pages, links_per_page=20)
        served = [servers.enter_context(SiteServer(site.directory, server)) for _ in range(units)]
        sites = Path(tmp) / "sites.yaml"
        sites.write_text(sites_yaml([s.url for s in served]), encoding="utf-8")
        log(f"{units} units of {pages} pages each, served by {served[0].description}")
        for count in workers:
            work = Path(tmp) / f"workers-{count}"
            work.mkdir()
            command = [sys.executable, "-m", "crawler", "run", "--sites", str(sites), "--out", str(work / "out"),
                       "--workers", str(count), "--concurrency", str(concurrency), "--no-throttle", "--timeout", "10"]
            measured = measure(command, work, timeout=3600)
            if measured.exit_code != 0:
                stderr = (work / "stderr").read_text(errors="replace").strip().splitlines()
                raise RuntimeError(f"run with --workers {count} failed: {stderr[-1] if stderr else measured.exit_code}")
            run_folder = (work / "out" / "latest").resolve()
            crawled = sum(int(row["pages_crawled"]) for row in read_csv_rows(run_folder / "summary.csv"))
            requests = json.loads((run_folder / "run.json").read_text(encoding="utf-8"))["requests"]
            runs.append(UnitsRun(count, measured, crawled, requests))
            log(f"  --workers {count}: {measured.wall_s:.1f} s, {measured.cpu_s:.1f} CPU s, {requests} requests")
    return served[0].description, runs


def markdown(runs: list[UnitsRun], pages: int, units: int, server: str, concurrency: int) -> str:
    lines = [f"## A nightly run over {units} units of {pages:,} pages (`run --workers W`)", "",
             f"Machine: {os.cpu_count()} cores. Server: {server}, one port per unit. "
             f"Concurrency {concurrency} per host, no throttle.", "",
             "| workers | wall s | CPU s | cores used | pages | pages/s | requests | peak RSS MB |",
             "|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for run in runs:
        m = run.measurement
        lines.append(f"| {run.workers} | {m.wall_s:.1f} | {m.cpu_s:.1f} | {run.cores_used:.2f} | {run.pages} "
                     f"| {run.pages_per_s:.1f} | {run.requests} | {megabytes(m.peak_rss_bytes)} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.units", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=at_least(1), default=2000, help="pages of the site (default 2000)")
    parser.add_argument("--units", type=at_least(1), default=4, help="units the site is served as (default 4)")
    parser.add_argument("--workers", type=at_least(1), nargs="+", default=[1, os.cpu_count() or 1], metavar="W",
                        help="worker counts to compare (default: 1 and the number of cores)")
    parser.add_argument("--concurrency", type=at_least(1), default=10, help="requests at once per host (default 10)")
    parser.add_argument("--server", choices=["auto", "nginx", "python"], default="auto")
    args = parser.parse_args(argv)
    if not os.access(TIME, os.X_OK):
        parser.error(f"{TIME} is missing: apt-get install -y time")
    server, runs = run_units(args.pages, args.units, args.workers, args.concurrency, args.server)
    print(markdown(runs, args.pages, args.units, server, args.concurrency))
    return 0


if __name__ == "__main__":
    sys.exit(main())

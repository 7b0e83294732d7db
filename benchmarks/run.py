"""Benchmark the product against peer link checkers on the same generated site, in the same run.

    python -m benchmarks.run --pages 2000 10000 --links 20 --concurrency 10 \
        [--tools product,linkchecker,blc,linkinator,scrapy-floor,scrapy-floor-x2] [--install-peers]
        [--server auto|nginx|python] [--profile]

For each size: generate the site (benchmarks.generate_site), serve it on loopback
(benchmarks.serve), run every tool under `/usr/bin/time -v`, and print a Markdown table of wall
time, pages/s, peak RSS, CPU time, the broken links found against the truth and the false alarms,
then the product's ratios to each peer (and with --profile, where the product's time goes). The
report is also written to benchmarks/results/.

Peak RSS is the sum over the tool's process tree, sampled from /proc every 50 ms (the product may
run several processes), or /usr/bin/time's maximum RSS of its largest process when that is higher
(a peak between two samples); /usr/bin/time's number is shown beside it.
"""
from __future__ import annotations

import argparse
import csv
import importlib.metadata
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from abc import ABC, abstractmethod
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

from benchmarks.generate_site import Site, generate
from benchmarks.serve import SiteServer
from crawler.version import __version__

BENCHMARKS = Path(os.path.abspath(__file__)).parent
ROOT = BENCHMARKS.parent  # the checkout whose product is measured
CACHE = BENCHMARKS / ".cache"  # the peers, installed apart from the product's environment
RESULTS = BENCHMARKS / "results"
TIME = "/usr/bin/time"
SAMPLE_SECONDS = 0.05
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
MAX_PAGES = 1_000_000  # the product's page cap: never reached
PROFILE_RATE = 100  # py-spy samples per second
PRODUCT_CODE = ("crawler/", "checks/")  # py-spy's names of the product's source files


# --- measuring one command --------------------------------------------------------------
class TreeRssSampler(threading.Thread):
    """Samples the summed RSS of every descendant of `root_pid` until stopped; keeps the peak."""

    def __init__(self, root_pid: int):
        super().__init__(daemon=True)
        self.root_pid = root_pid
        self.peak_bytes = 0
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(SAMPLE_SECONDS):
            self.peak_bytes = max(self.peak_bytes, self.tree_rss())

    def stop(self) -> int:
        self.stopping.set()
        self.join()
        return self.peak_bytes

    def tree_rss(self) -> int:
        processes = read_processes()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _) in processes.items():
            children.setdefault(ppid, []).append(pid)
        total, pending = 0, list(children.get(self.root_pid, []))  # the root is /usr/bin/time itself
        while pending:
            pid = pending.pop()
            total += self.size(pid, processes[pid][1])
            pending.extend(children.get(pid, []))
        return total

    def size(self, pid: int, resident_pages: int) -> int:
        """The bytes a process of the tree counts for."""
        return resident_pages * PAGE_SIZE


def read_processes() -> dict[int, tuple[int, int]]:
    """pid -> (parent pid, resident pages) of every process, from /proc/<pid>/stat."""
    processes = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                data = stat.read()
        except OSError:  # gone meanwhile
            continue
        fields = data[data.rfind(b")") + 2:].split()  # after "pid (comm) ", which may hold spaces
        processes[int(entry.name)] = (int(fields[1]), int(fields[21]))
    return processes


@dataclass
class Measurement:
    wall_s: float
    cpu_s: float
    time_max_rss_bytes: int  # /usr/bin/time -v: the largest process
    tree_peak_rss_bytes: int  # sampled sum over the process tree
    exit_code: int

    @property
    def peak_rss_bytes(self) -> int:
        return max(self.tree_peak_rss_bytes, self.time_max_rss_bytes)


class ToolTimeout(Exception):
    pass


def measure(command: list[str], work: Path, timeout: float) -> Measurement:
    """Run `command` in the checkout under /usr/bin/time -v, its output in work/stdout and work/stderr."""
    time_file = work / "time.txt"
    with open(work / "stdout", "wb") as out, open(work / "stderr", "wb") as err:
        process = subprocess.Popen([TIME, "-v", "-o", str(time_file), *command], stdout=out, stderr=err,
                                   stdin=subprocess.DEVNULL, cwd=ROOT, start_new_session=True)
        sampler = TreeRssSampler(process.pid)
        sampler.start()
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the session this Popen started
            process.wait()
            raise ToolTimeout(f"timed out after {timeout:.0f} s") from None
        finally:
            tree_peak = sampler.stop()
    report = time_file.read_text()
    fields = dict(line.strip().rsplit(": ", 1) for line in report.splitlines() if ": " in line)
    return Measurement(
        wall_s=parse_elapsed(fields["Elapsed (wall clock) time (h:mm:ss or m:ss)"]),
        cpu_s=float(fields["User time (seconds)"]) + float(fields["System time (seconds)"]),
        time_max_rss_bytes=int(fields["Maximum resident set size (kbytes)"]) * 1024,
        tree_peak_rss_bytes=tree_peak,
        exit_code=int(fields.get("Exit status", process.returncode)),
    )


def parse_elapsed(text: str) -> float:
    """'1:02:03.45' or '2:03.45' as seconds."""
    seconds = 0.0
    for part in text.split(":"):
        seconds = seconds * 60 + float(part)
    return seconds


# --- the tools --------------------------------------------------------------------------
@dataclass
class Found:
    """What a tool reported: site pages it crawled, and (page, target) pairs it called broken."""

    pages: int
    broken_pairs: set[tuple[str, str]]


class Tool(ABC):
    name = ""
    label = ""
    ok_exit_codes = (0,)

    @abstractmethod
    def version(self) -> str | None:
        """The installed version, None when not installed."""

    reference = False  # not a link checker: a floor under the product, without its ratios

    @abstractmethod
    def command(self, url: str, concurrency: int, work: Path, site: Site) -> list[str]:
        """The command that checks `site`, served at `url`; `work` is its own folder."""

    @abstractmethod
    def found(self, work: Path, site_urls: set[str]) -> Found:
        """What the tool reported, read from its output in `work`."""


class Peer(Tool):
    """A peer link checker, installed by `--install-peers` apart from the product's environment."""

    @abstractmethod
    def install(self) -> None:
        """Install the pinned version under benchmarks/.cache."""


class Product(Tool):
    name, label = "product", "customs-audit"

    def version(self) -> str:
        described = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
                                   capture_output=True, text=True).stdout.strip()
        return f"{__version__} ({described})" if described else __version__

    def command(self, url: str, concurrency: int, work: Path, site: Site) -> list[str]:
        return [sys.executable, "-m", "crawler", "check", url, "--scope", "site", "--concurrency", str(concurrency),
                "--no-throttle", "--max-pages", str(MAX_PAGES), "--timeout", "10", "--format", "csv",
                "--out", str(work / "out")]

    def found(self, work: Path, site_urls: set[str]) -> Found:
        run_folder = work / "out" / "spot" / "latest"
        [summary] = read_csv_rows(run_folder / "summary.csv")
        rows = read_csv_rows(run_folder / f"{summary['unit_id']}.csv")  # what --format csv prints
        return Found(pages=int(summary["pages_crawled"]),
                     broken_pairs={(r["page_url"], r["target_url"]) for r in rows if r["check"] == "broken_link"})


class LinkChecker(Peer):
    """LinkChecker (PyPI) in its own venv. Its rate limit is lifted: the server sends the
    `LinkChecker` header and the configuration allows 1000 requests/s."""

    name, label, pinned = "linkchecker", "LinkChecker", "10.6.0"
    ok_exit_codes = (0, 1)  # 1: broken links found
    venv = CACHE / "linkchecker"
    config = "[checking]\nmaxrequestspersecond=1000\nrobotstxt=0\n"

    def version(self) -> str | None:
        if not (self.venv / "bin" / "linkchecker").exists():
            return None
        result = subprocess.run([self.venv / "bin" / "python", "-c",
                                 "import importlib.metadata as m; print(m.version('linkchecker'))"],
                                capture_output=True, text=True)
        return result.stdout.strip() or None

    def install(self) -> None:
        subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True)
        subprocess.run([self.venv / "bin" / "pip", "install", "--quiet", "--disable-pip-version-check",
                        f"linkchecker=={self.pinned}"], check=True)

    def command(self, url: str, concurrency: int, work: Path, site: Site) -> list[str]:
        # Run as root, LinkChecker drops to nobody after reading its configuration: it writes
        # its CSV to the standard output the runner opened, never to a file of its own.
        (work / "linkcheckerrc").write_text(self.config)
        # Through the venv's python: the script's #! line names where the venv was created.
        return [str(self.venv / "bin" / "python"), str(self.venv / "bin" / "linkchecker"),
                "--config", str(work / "linkcheckerrc"), "--threads", str(concurrency), "--no-robots", "--no-status", "--verbose",
                "--output", "csv/utf-8", "--timeout", "10", url]

    def found(self, work: Path, site_urls: set[str]) -> Found:
        lines = [line for line in (work / "stdout").read_text(encoding="utf-8").splitlines()
                 if not line.startswith("#")]
        rows = list(csv.DictReader(lines, delimiter=";"))
        return Found(pages=len({r["url"] for r in rows if r["valid"] == "True" and r["url"] in site_urls}),
                     broken_pairs={(r["parentname"], r["url"]) for r in rows if r["valid"] == "False"})


class NpmTool(Peer):
    """A peer from npm, installed under benchmarks/.cache/node."""

    package = pinned = binary = ""
    ok_exit_codes = (0, 1)  # 1: broken links found
    prefix = CACHE / "node"

    def version(self) -> str | None:
        manifest = self.prefix / "node_modules" / self.package / "package.json"
        if not (self.prefix / "node_modules" / ".bin" / self.binary).exists() or not manifest.exists():
            return None
        return json.loads(manifest.read_text())["version"]

    def install(self) -> None:
        subprocess.run(["npm", "install", "--prefix", str(self.prefix), "--no-audit", "--no-fund", "--silent",
                        f"{self.package}@{self.pinned}"], check=True)

    @property
    def executable(self) -> str:
        return str(self.prefix / "node_modules" / ".bin" / self.binary)


class Linkinator(NpmTool):
    name, label, package, pinned, binary = "linkinator", "linkinator", "linkinator", "7.6.1", "linkinator"

    def command(self, url: str, concurrency: int, work: Path, site: Site) -> list[str]:
        return [self.executable, url, "--recurse", "--concurrency", str(concurrency), "--format", "CSV",
                "--timeout", "10000"]

    def found(self, work: Path, site_urls: set[str]) -> Found:
        rows = read_csv_rows(work / "stdout")
        return Found(pages=len({r["url"] for r in rows if r["state"] == "OK" and r["url"] in site_urls}),
                     broken_pairs={(r["parent"], r["url"]) for r in rows if r["state"] == "BROKEN"})


class BrokenLinkChecker(NpmTool):
    name, label, package, pinned, binary = "blc", "broken-link-checker", "broken-link-checker", "0.7.8", "blc"
    _page = re.compile(r"^Getting links from: (\S+)")
    _broken = re.compile(r"─BROKEN─ (\S+)")

    def command(self, url: str, concurrency: int, work: Path, site: Site) -> list[str]:
        # --follow: robots.txt not obeyed; --filter-level 2: stylesheets checked too, as the others do.
        return [self.executable, url, "--recursive", "--requests", str(concurrency), "--host-requests",
                str(concurrency), "--exclude-external", "--follow", "--filter-level", "2"]

    def found(self, work: Path, site_urls: set[str]) -> Found:
        pages, pairs, page = set(), set(), ""
        for line in (work / "stdout").read_text(encoding="utf-8").splitlines():
            if match := self._page.match(line):
                page = match.group(1)
                pages.add(page)
            elif match := self._broken.search(line):
                pairs.add((page, match.group(1)))
        return Found(pages=len(pages & site_urls), broken_pairs=pairs)


class ScrapyFloor(Tool):
    """Scrapy alone, with the product's settings, fetching the URLs the site links to, known in
    advance (benchmarks.scrapy_floor): no parsing, no checks. The product can only be slower."""

    reference = True

    def __init__(self, processes: int):
        self.processes = processes
        self.name = "scrapy-floor" if processes == 1 else f"scrapy-floor-x{processes}"
        self.label = "Scrapy alone (reference)" if processes == 1 else f"Scrapy alone, {processes} processes (reference)"

    def version(self) -> str:
        return importlib.metadata.version("scrapy")  # without importing it: the harness stays light

    def command(self, url: str, concurrency: int, work: Path, site: Site) -> list[str]:
        (work / "urls.txt").write_text("\n".join(site.linked_paths) + "\n", encoding="utf-8")
        return [sys.executable, "-m", "benchmarks.scrapy_floor", url, str(work / "urls.txt"),
                "--concurrency", str(concurrency), "--processes", str(self.processes), "--out", str(work / "answers.txt")]

    def found(self, work: Path, site_urls: set[str]) -> Found:
        answers = [line.split(" ", 1) for line in (work / "answers.txt").read_text(encoding="utf-8").splitlines()]
        fetched = {url for status, url in answers if status == "200"}
        # it knows no pages, only URLs: each URL answered 404 is one "pair" with no page
        return Found(pages=len(fetched & site_urls), broken_pairs={("", url) for status, url in answers if status == "404"})


TOOLS: dict[str, Tool] = {tool.name: tool for tool in (Product(), LinkChecker(), BrokenLinkChecker(), Linkinator(),
                                                       ScrapyFloor(1), ScrapyFloor(2))}


def read_csv_rows(path: Path) -> list[dict]:
    return list(csv.DictReader(path.read_text(encoding="utf-8-sig").splitlines()))


# --- one benchmark run ------------------------------------------------------------------
@dataclass
class Result:
    tool: str
    label: str
    version: str | None
    status: str = "ok"  # or "not installed", "failed: ...", "timed out after N s"
    pages: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    peak_rss_bytes: int = 0
    tree_peak_rss_bytes: int = 0
    time_max_rss_bytes: int = 0
    broken_found: int = 0
    pairs_found: int = 0
    false_alarms: int = 0

    @property
    def pages_per_s(self) -> float:
        return self.pages / self.wall_s if self.wall_s else 0.0


@dataclass
class SizeRun:
    pages: int
    links_per_page: int
    broken_targets: int
    broken_pairs: int
    load_before: float  # 1-minute load average when the size started: other work on the machine
    results: list[Result] = field(default_factory=list)
    profile: list[str] = field(default_factory=list)  # the product's profile, as Markdown lines


@dataclass
class Settings:
    """What one benchmark run does."""

    sizes: list[int]
    links: int = 20
    concurrency: int = 10
    tools: list[str] = field(default_factory=lambda: list(TOOLS))
    server: str = "auto"  # nginx when installed, or "nginx", or "python"
    broken_ratio: float = 0.01
    seed: int = 1
    timeout: float = 1800  # seconds per tool run
    profile_to: Path | None = None  # run the product under py-spy; its stacks go to <profile_to>-<pages>-pages.txt


def run_tool(tool: Tool, site: Site, url: str, settings: Settings, work: Path, profile: Path | None = None) -> Result:
    result = Result(tool.name, tool.label, tool.version())
    if result.version is None:
        result.status = "not installed"
        return result
    work.mkdir(parents=True)
    command = tool.command(url, settings.concurrency, work, site)
    if profile is not None:
        result.label += " (under py-spy)"
        command = [shutil.which("py-spy"), "record", "--rate", str(PROFILE_RATE), "--format", "raw",
                   "--output", str(profile), "--", *command]
    try:
        measured = measure(command, work, settings.timeout)
    except ToolTimeout as exc:
        result.status = str(exc)
        return result
    if measured.exit_code not in tool.ok_exit_codes:
        stderr = (work / "stderr").read_text(errors="replace").strip().splitlines()
        result.status = f"failed: exit {measured.exit_code}: {stderr[-1] if stderr else 'no message'}"[:200]
        return result
    site_urls = {url + path.lstrip("/") for path in site.page_paths}
    found = tool.found(work, site_urls)
    truth_pairs = {(url + page.lstrip("/"), url + target.lstrip("/")) for page, target in site.broken_pairs}
    truth_targets = {target for _, target in truth_pairs}
    reported_targets = {target for _, target in found.broken_pairs}
    result.pages = found.pages
    result.wall_s, result.cpu_s = measured.wall_s, measured.cpu_s
    result.peak_rss_bytes = measured.peak_rss_bytes
    result.tree_peak_rss_bytes, result.time_max_rss_bytes = measured.tree_peak_rss_bytes, measured.time_max_rss_bytes
    result.broken_found = len(reported_targets & truth_targets)
    result.pairs_found = len(found.broken_pairs & truth_pairs)
    result.false_alarms = len(reported_targets - truth_targets)
    return result


def run_benchmark(settings: Settings, log=lambda line: print(line, file=sys.stderr, flush=True)
                  ) -> tuple[str, list[SizeRun]]:
    """Run every size with every tool; return the server's description and the results."""
    runs, description = [], ""
    for pages in settings.sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-{pages}-") as tmp:
            site = generate(Path(tmp) / "site", pages, settings.links, settings.broken_ratio, settings.seed)
            run = SizeRun(pages, settings.links, len(site.broken_targets), len(site.broken_pairs),
                          os.getloadavg()[0])
            with SiteServer(site.directory, settings.server) as server:
                description = server.description
                log(f"{pages} pages, {site.depth} hops deep, {len(site.broken_pairs)} broken links, "
                    f"served by {description} at {server.url}")
                for name in settings.tools:
                    profile = None
                    if name == "product" and settings.profile_to is not None:
                        profile = settings.profile_to.with_name(f"{settings.profile_to.name}-{pages}-pages.txt")
                    result = run_tool(TOOLS[name], site, server.url, settings, Path(tmp) / name, profile)
                    log(f"  {result.label}: {result.status}" + (
                        f", {result.wall_s:.1f} s, {result.pages_per_s:.1f} pages/s" if result.status == "ok" else ""))
                    run.results.append(result)
                    if profile is not None and profile.exists():
                        run.profile = profile_summary(profile)
            runs.append(run)
    return description, runs


def profile_summary(stacks: Path, top: int = 15) -> list[str]:
    """Where the product spent its time, from py-spy's collapsed stacks: each sample counted for
    the innermost function of the product's own code on its stack (with the libraries it called
    there), and for the function that was running."""
    innermost, running, total = Counter(), Counter(), 0
    for line in stacks.read_text(encoding="utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [re.sub(r":\d+\)$", ")", frame) for frame in stack.split(";") if frame]
        total += int(count)
        running[frames[-1] if frames else "(no Python frame)"] += int(count)
        ours = [frame for frame in frames if frame.rpartition("(")[2].startswith(PRODUCT_CODE)]
        innermost[ours[-1] if ours else "(outside the product's code)"] += int(count)
    lines = [f"Profile of the product: {total} samples at {PROFILE_RATE} Hz, stacks in {stacks}", "",
             "| innermost product function (with the libraries it calls) | share |", "|---|--:|"]
    lines += [f"| `{frame}` | {n / total:.1%} |" for frame, n in innermost.most_common(top)]
    lines += ["", "| running function | share |", "|---|--:|"]
    lines += [f"| `{frame}` | {n / total:.1%} |" for frame, n in running.most_common(top)]
    return lines + [""]


# --- the report -------------------------------------------------------------------------
def megabytes(n: int) -> str:
    return f"{n / 2**20:.0f}"


def markdown(runs: list[SizeRun], server: str, concurrency: int, started: datetime) -> str:
    node = subprocess.run(["node", "--version"], capture_output=True, text=True).stdout.strip() or "none"
    lines = [f"# Benchmark {started:%Y-%m-%d %H:%M}", "",
             f"Machine: {os.cpu_count()} cores, {platform.system()} {platform.release()}, "
             f"Python {platform.python_version()}, Node {node}. Server: {server}. "
             f"Every tool at concurrency {concurrency}, robots.txt and rate limits off.", "",
             "Peak RSS: summed over the tool's process tree (sampled every 50 ms, or /usr/bin/time's "
             "figure when higher); `time -v`: the largest single process. Broken found: distinct broken "
             "URLs; pairs: (page, broken URL) rows; false alarms: URLs reported broken that are not. "
             "Reference rows (Scrapy alone) are no link checkers: they fetch the URLs the site links to, known "
             "in advance, with the product's Scrapy settings and do nothing else, a floor under the product's "
             "time.", ""]
    for run in runs:
        lines += [f"## {run.pages:,} pages, {run.links_per_page} links per page "
                  f"({run.broken_pairs} broken links to {run.broken_targets} missing pages)", "",
                  f"Load average before: {run.load_before:.2f}.", "",
                  "| tool | version | wall s | pages | pages/s | peak RSS MB | time -v RSS MB | CPU s "
                  "| broken found / truth | pairs found / truth | false alarms |",
                  "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
        for r in run.results:
            if r.status != "ok":
                lines.append(f"| {r.label} | {r.version or ''} | {r.status} |  |  |  |  |  |  |  |  |")
                continue
            pairs = "—" if TOOLS[r.tool].reference else f"{r.pairs_found} / {run.broken_pairs}"
            lines.append(f"| {r.label} | {r.version} | {r.wall_s:.1f} | {r.pages} | {r.pages_per_s:.1f} "
                         f"| {megabytes(r.peak_rss_bytes)} | {megabytes(r.time_max_rss_bytes)} | {r.cpu_s:.1f} "
                         f"| {r.broken_found} / {run.broken_targets} | {pairs} | {r.false_alarms} |")
        lines += [""] + ratio_lines(run.results) + run.profile
    return "\n".join(lines) + "\n"


def ratio_lines(results: list[Result]) -> list[str]:
    """The product's pages/s and peak RSS as multiples of each peer's (speed > 1: faster; memory < 1: leaner)."""
    product = next((r for r in results if r.tool == "product" and r.status == "ok"), None)
    peers = [r for r in results if r.tool != "product" and r.status == "ok"]
    if product is None or not peers:
        return []
    lines = ["| product vs | pages/s ratio | peak RSS ratio |", "|---|--:|--:|"]
    for peer in peers:
        speed = product.pages_per_s / peer.pages_per_s if peer.pages_per_s else float("inf")
        lines.append(f"| {peer.label} | {speed:.2f} | {product.peak_rss_bytes / peer.peak_rss_bytes:.2f} |")
    return lines + [""]


def write_results(report: str, runs: list[SizeRun], stem: Path) -> Path:
    """The report as <stem>.md and its numbers as <stem>.json."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    path = stem.with_suffix(".md")
    path.write_text(report, encoding="utf-8")
    data = [{**asdict(run), "results": [{**asdict(r), "pages_per_s": r.pages_per_s} for r in run.results]}
            for run in runs]
    path.with_suffix(".json").write_text(json.dumps(data, indent=1), encoding="utf-8")
    return path


def at_least(minimum: int):
    """An argparse type: an integer of at least `minimum` (a bad value is one line of usage error)."""
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            number = minimum - 1
        if number < minimum:
            raise argparse.ArgumentTypeError(f"invalid value {value!r} (expected an integer of at least {minimum})")
        return number
    return parse


def tool_list(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in TOOLS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"unknown tool {', '.join(unknown) or value!r} (known: {', '.join(TOOLS)})")
    return names


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=at_least(1), nargs="+", default=[2000], metavar="N", help="site sizes (default 2000)")
    parser.add_argument("--links", type=at_least(2), default=20, help="links per page (default 20)")
    parser.add_argument("--concurrency", type=at_least(1), default=10, help="every tool's concurrency (default 10)")
    parser.add_argument("--tools", type=tool_list, default=list(TOOLS), help=f"default {','.join(TOOLS)}")
    parser.add_argument("--install-peers", action="store_true", help="install the missing peers under benchmarks/.cache")
    parser.add_argument("--server", choices=["auto", "nginx", "python"], default="auto",
                        help="nginx when installed (auto), or the threaded Python server")
    parser.add_argument("--broken-ratio", type=float, default=0.01)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=1800, help="seconds per tool run (default 1800)")
    parser.add_argument("--results-dir", type=Path, default=RESULTS, help="where the report goes (default benchmarks/results)")
    parser.add_argument("--profile", action="store_true",
                        help="run the product under py-spy (pip install py-spy) and add its profile to the report")
    args = parser.parse_args(argv)
    if not os.access(TIME, os.X_OK):
        parser.error(f"{TIME} is missing: apt-get install -y time")
    if args.profile and shutil.which("py-spy") is None:
        parser.error("py-spy is missing: pip install py-spy")
    if args.install_peers:
        for tool in (TOOLS[name] for name in args.tools):
            if isinstance(tool, Peer) and tool.version() is None:
                print(f"installing {tool.label}…", file=sys.stderr, flush=True)
                tool.install()
    started = datetime.now()
    stem = args.results_dir / f"{started:%Y%m%d-%H%M%S}"
    if args.profile:
        args.results_dir.mkdir(parents=True, exist_ok=True)
    settings = Settings(sizes=args.pages, links=args.links, concurrency=args.concurrency, tools=args.tools,
                        server=args.server, broken_ratio=args.broken_ratio, seed=args.seed, timeout=args.timeout,
                        profile_to=stem if args.profile else None)
    server, runs = run_benchmark(settings)
    report = markdown(runs, server, args.concurrency, started)
    print(report)
    print(f"written to {write_results(report, runs, stem)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())

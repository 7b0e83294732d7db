"""Command line: `python -m crawler COMMAND` (also `customs-audit COMMAND`); docs/cli.md.

Exit codes: 0 the run finished (findings are not failures); 2 bad configuration or usage;
3 the run failed (every unit unreachable, the resolver dead, interrupted, the disk full, the
history damaged). Errors are one line, never a traceback.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from checks.dates import shanghai_now
from checks.findings import SEVERITY_NAMES, SEVERITY_RANK
from checks.hosts import host_of
from checks.regulations import LibraryError, RegulationImportError, default_library_dir, load_library
from checks.rules import RulesError, load_rules
from crawler.crawl.options import CrawlOptions
from crawler.outcome.history import History, HistoryDamaged, HistoryError
from crawler.outcome.model import STATE_NAMES
from crawler.probe.dns import NameserverUnreachable, make_resolver, parse_nameserver, probe_nameservers
from crawler.probe.ipv6 import IPv6Target, run_ipv6_check
from crawler.report.folder import write_run_folder
from crawler.report.pdf import PdfUnavailable, to_pdf
from crawler.run.runner import (HTTP_CACHE_DIR, OutsideWindow, RunFailed, RunInterrupted, RunOptions, RunRefused,
                                discover_columns, run_audit)
from crawler.run.window import CrawlWindow
from crawler.sites import ConfigError, SitesConfig, load_sites, unit_from_url
from crawler.report.csv import csv_bytes
from crawler.report.rows import open_rows

EXIT_OK, EXIT_USAGE, EXIT_FAILED = 0, 2, 3
EXIT_CODES_HELP = ("exit codes: 0 the run finished (findings are not failures), 2 bad configuration or usage, "
                   "3 the run failed (every unit unreachable, the resolver dead, interrupted, the disk full or "
                   "--out unwritable, the history damaged)")


def tell(message: str) -> None:
    """One line on stderr, printed as it is (no markup: paths and URLs hold brackets)."""
    Console(stderr=True).print(message, markup=False, highlight=False, soft_wrap=True)


def out_console() -> Console:
    """Standard output; wide when piped (cron logs, files), so URLs and dates are not folded."""
    console = Console()
    return console if console.is_terminal else Console(width=200)


class UsageError(Exception):
    """Bad command-line input; one line."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str):
        raise UsageError(f"{self.prog}: {message} (see --help)")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {value!r} (expected YYYY-MM-DD)") from None


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise argparse.ArgumentTypeError(f"invalid value {value!r} (expected a positive integer)")
    return int(value)


def _positive_float(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        number = -1
    if number <= 0:
        raise argparse.ArgumentTypeError(f"invalid value {value!r} (expected a positive number)")
    return number


def _window(value: str) -> CrawlWindow:
    try:
        return CrawlWindow.parse(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _nameserver(value: str) -> str:
    try:
        parse_nameserver(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return value


def _common(parser: argparse.ArgumentParser, sites: bool = True) -> None:
    if sites:
        parser.add_argument("--sites", default="sites.yaml", help="the units file (default ./sites.yaml)")
    parser.add_argument("--out", default="reports", help="where runs are written (default ./reports)")
    parser.add_argument("--nameserver", action="append", type=_nameserver, default=[], metavar="IP[:PORT]",
                        help="resolve ALL names through this DNS server (repeatable); default: the system resolver")
    parser.add_argument("--regulations", metavar="DIR", help="regulation reference library (default: bundled)")
    parser.add_argument("--max-pages", type=_positive_int, metavar="N", help="page cap per unit")
    parser.add_argument("--scope", choices=["disclosure", "site"], help="override the scope of sites.yaml")
    parser.add_argument("--concurrency", type=_positive_int, metavar="N", help="concurrent requests per host")
    parser.add_argument("--no-throttle", action="store_true", help="no AutoThrottle, no download delay (local sites)")
    parser.add_argument("--render", action="store_true", help="fetch challenged pages through Chromium (headless, or headed under Xvfb when refused)")
    parser.add_argument("--deadline", type=_positive_float, metavar="MINUTES", help="stop the crawl after this time")
    parser.add_argument("--timeout", type=_positive_float, metavar="SECONDS", help="download timeout (default 30)")
    parser.add_argument("--today", type=_date, metavar="YYYY-MM-DD", help="fix 'today' for every date rule")
    parser.add_argument("--obey-robots", action="store_true", help="obey robots.txt (not obeyed by default)")


def _document_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sites", help="the units file whose notice: and rules: apply (default ./sites.yaml when "
                                        "it exists)")
    parser.add_argument("--out", default="reports", help="the output folder of the runs (default ./reports)")
    parser.add_argument("--today", type=_date, metavar="YYYY-MM-DD", help="the date the document is signed")
    parser.add_argument("--pdf", action="store_true", help="a PDF copy of each document too (needs LibreOffice)")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="customs-audit", description="海关政府信息公开专栏合规检查 (customs disclosure compliance crawler)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineParser)
    commands.required = True

    run = commands.add_parser("run", help="crawl all units (or --unit ones), write a run folder, print a summary",
                              description="Crawl every unit of --sites (or the --unit ones) and write OUT/<run-id>/ "
                                          "(the crawl's log is OUT/<run-id>/crawl.log).", epilog=EXIT_CODES_HELP)
    run.add_argument("--unit", action="append", default=[], metavar="ID", help="only this unit (repeatable)")
    run.add_argument("--window", type=_window, metavar="HH:MM-HH:MM",
                     help="crawl only within this daily window (Asia/Shanghai); the next run resumes")
    run.add_argument("--workers", type=_positive_int, metavar="N",
                     help="crawl processes, units shared among them (default: one per core)")
    run.add_argument("--verify-within", type=_positive_int, metavar="DAYS",
                     help="re-verify every known page and link at least this often (default: sites.yaml, 7)")
    run.add_argument("--budget", type=_positive_int, metavar="REQUESTS",
                     help="requests per host tonight (default: what --window holds at one request per second)")
    run.add_argument("--since-last", action="store_true",
                     help="print only the findings that are new or resolved since the last run")
    run.add_argument("--keep-runs", type=_positive_int, default=90, metavar="N",
                     help="keep the newest N run folders (and the page cache they use); the history keeps "
                          "everything (default 90)")
    _common(run)

    check = commands.add_parser("check", help="spot check one site: a unit id or a URL",
                                description="Crawl one site with a progress display, print the findings table "
                                            "and write a run folder under OUT/spot/ (history is not touched).")
    check.add_argument("target", metavar="TARGET", help="a unit id of --sites, or a URL")
    check.add_argument("--format", choices=["table", "csv", "json"], default="table")
    _common(check)

    demo = commands.add_parser("demo", help="start the bundled demo customs web on loopback and audit it",
                               description="Start the demo customs web and its DNS server on 127.0.0.1, run the "
                                           "audit against it into OUT/demo/, print where the reports are, stop the servers.")
    _common(demo, sites=False)

    ipv6 = commands.add_parser("ipv6", help="only the DNS/IPv6 checks, as a table",
                               description="Check AAAA records, IPv6 reachability, IPv4/IPv6 parity and the "
                                           "name servers of units (ids of --sites) or URLs, without crawling.")
    ipv6.add_argument("targets", nargs="+", metavar="TARGET", help="a unit id of --sites, or a URL")
    ipv6.add_argument("--format", choices=["table", "csv", "json"], default="table")
    ipv6.add_argument("--sites", default="sites.yaml", help="the units file (default ./sites.yaml)")
    ipv6.add_argument("--nameserver", action="append", type=_nameserver, default=[], metavar="IP[:PORT]",
                      help="resolve through this DNS server (repeatable); default: the system resolver")
    ipv6.add_argument("--timeout", type=_positive_float, metavar="SECONDS", help="per lookup and request (default 5)")

    report = commands.add_parser("report", help="write a past run's reports again from the history, without crawling",
                                 description="Rebuild OUT/RUN/ (unit CSVs, summary.csv, resolved.csv, accepted.csv, "
                                             "run.json, index.html, findings.xlsx) from OUT/history.sqlite.")
    report.add_argument("run", nargs="?", metavar="RUN", help="a run id YYYYMMDD-HHMMSS (default: the latest finished run)")
    report.add_argument("--out", default="reports", help="the output folder of the runs (default ./reports)")

    accept = commands.add_parser("accept", help="accept a finding (false positive or tolerated) until a date",
                                 description="Accept a finding of a unit: from the next run it leaves the unit's CSV "
                                             "and is listed in accepted.csv until --until has passed. FINGERPRINT is "
                                             "shown in index.html and findings.xlsx; a unique prefix is enough. "
                                             "Accepting again replaces the reason and the date.")
    accept.add_argument("unit", metavar="UNIT", help="the unit id")
    accept.add_argument("fingerprint", metavar="FINGERPRINT", help="the finding's fingerprint, or a unique prefix")
    accept.add_argument("--reason", required=True, help="why it is accepted (kept in the history, shown in index.html)")
    accept.add_argument("--until", type=_date, metavar="YYYY-MM-DD", help="the last day it is accepted (default: no end)")
    accept.add_argument("--out", default="reports", help="the output folder of the runs (default ./reports)")

    notice = commands.add_parser("notice", help="write the rectification notice (整改通知) of units as .docx",
                                 description="Write OUT/RUN/notices/UNIT-整改通知.docx for each UNIT (or --all: every "
                                             "unit with open findings) from a stored run: the open findings grouped "
                                             "by check, those earlier notices listed marked, what was fixed since the "
                                             "previous notice, and the reply form. The office, contact and reply "
                                             "deadline come from notice: of sites.yaml (docs/documents.md).",
                                 epilog=EXIT_CODES_HELP)
    notice.add_argument("units", nargs="*", metavar="UNIT", help="a unit id of the run")
    notice.add_argument("--all", action="store_true", help="every unit of the run with open findings")
    notice.add_argument("--run", metavar="RUN", help="a run id YYYYMMDD-HHMMSS (default: the latest finished run)")
    _document_options(notice)

    bulletin = commands.add_parser("bulletin", help="write the inspection bulletin (检查情况通报) as .docx and Markdown",
                                   description="Write OUT/bulletins/PERIOD-检查情况通报.docx and .md over the runs of "
                                               "a period: units ranked, per-check counts, changes since the previous "
                                               "period, the national inspection indicators of rules.yaml, IPv6, a "
                                               "chart (docs/documents.md).", epilog=EXIT_CODES_HELP)
    bulletin.add_argument("--since", type=_date, metavar="YYYY-MM-DD",
                          help="first day of the period (default: the first day of --until's quarter)")
    bulletin.add_argument("--until", type=_date, metavar="YYYY-MM-DD",
                          help="last day of the period (default: the day of the latest finished run)")
    _document_options(bulletin)

    sites = commands.add_parser("sites", help="validate sites.yaml; find each unit's disclosure column",
                                description="Validate the units file; unless --offline, fetch every unit's home "
                                            "page and tell how its disclosure column is found.")
    site_actions = sites.add_subparsers(dest="action", metavar="ACTION", parser_class=OneLineParser)
    site_actions.required = True
    sites_check = site_actions.add_parser("check", help="validate the file, then discover the columns")
    sites_check.add_argument("--offline", action="store_true", help="only validate the file, fetch nothing")
    _common(sites_check)

    regulations = commands.add_parser("regulations", help="the regulation reference library: list, import",
                                      description="Show the regulation reference library, or import texts "
                                                  "downloaded from the national database into it.")
    actions = regulations.add_subparsers(dest="action", metavar="ACTION", parser_class=OneLineParser)
    actions.required = True
    listing = actions.add_parser("list", help="show every regulation version of the library")
    listing.add_argument("--regulations", metavar="DIR", help="the library (default: bundled)")
    importing = actions.add_parser("import", help="turn downloaded .txt/.html/.docx texts into library files")
    importing.add_argument("paths", nargs="+", metavar="PATH")
    importing.add_argument("--regulations", metavar="DIR", help="the library to write to (default: bundled)")
    return parser


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        return COMMANDS[args.command](args)
    except (NameserverUnreachable, HistoryDamaged) as exc:  # the resolver is dead, the history damaged: the run failed
        tell(f"error: {exc}")
        return EXIT_FAILED
    except (UsageError, ConfigError, RulesError, LibraryError, RegulationImportError, HistoryError) as exc:
        tell(f"error: {exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        tell("interrupted")
        return EXIT_FAILED


def _options(args, out_dir: Path, rules_override: dict | None = None, page_cache: bool = True):
    """The run's options from the command line; `page_cache`: keep crawled pages in OUT between runs."""
    crawl = CrawlOptions(
        nameservers=args.nameserver,
        scope=args.scope,
        concurrency=args.concurrency,
        no_throttle=args.no_throttle,
        deadline_minutes=args.deadline,
        obey_robots=args.obey_robots,
        timeout=args.timeout,
        render=args.render,
        page_cache_dir=out_dir / HTTP_CACHE_DIR if page_cache else None,
    )
    return RunOptions(
        out_dir=out_dir,
        today=args.today or shanghai_now().date(),
        crawl=crawl,
        max_pages=args.max_pages,
        rules_override=rules_override or {},
        regulations_dir=Path(args.regulations) if args.regulations else None,
        workers=getattr(args, "workers", None),
        window=getattr(args, "window", None),
        keep_runs=getattr(args, "keep_runs", None),
        verify_within=getattr(args, "verify_within", None),
        budget=getattr(args, "budget", None),
    )


def _execute(units, options, progress=None, site_when_no_column=False, keep_history=True,
             all_units=None) -> tuple[int, object]:
    try:
        return EXIT_OK, run_audit(units, options, progress, site_when_no_column, keep_history, all_units)
    except RunRefused as exc:
        tell(f"error: {exc}")
        return EXIT_USAGE, None
    except OutsideWindow as exc:
        tell(str(exc))
        return EXIT_OK, None
    except (RunFailed, RunInterrupted) as exc:
        tell(f"error: {exc}")
        return EXIT_FAILED, None


def cmd_run(args) -> int:
    config = load_sites(args.sites)
    units = config.select(args.unit)
    options = _options(args, Path(args.out), config.rules)
    code, outcome = _execute(units, options, all_units=config.units)
    if outcome is not None:
        (print_changes if args.since_last else print_summary)(outcome)
    return code


def open_history(out: str) -> History:
    path = Path(out) / "history.sqlite"
    if not path.exists():
        raise UsageError(f"{path}: no history yet (python -m crawler run writes it)")
    return History(path)


def cmd_report(args) -> int:
    history = open_history(args.out)
    try:
        latest = history.latest_reported_run()
        run_id = args.run or latest
        if run_id is None:
            raise HistoryError(f"{history.path}: no finished run to report")
        run_info, reports = history.load_run(run_id)
        run_dir = Path(args.out) / run_id
        write_run_folder(run_dir, reports, run_info, history.trend(run_id), make_latest=run_id == latest)
    finally:
        history.close()
    out_console().print(f"报告已重新生成 (reports written): {run_dir}", markup=False, highlight=False)
    return EXIT_OK


def cmd_accept(args) -> int:
    now = shanghai_now()
    history = open_history(args.out)
    try:
        finding = history.accept(args.unit, args.fingerprint, args.reason, args.until,
                                 now.isoformat(timespec="seconds"))
    finally:
        history.close()
    until = args.until.isoformat() if args.until else "长期 (no end)"
    out_console().print(f"已接受 (accepted) {args.unit}: {finding.info.name} {finding.page_url} {finding.target_url} "
                        f"— 有效期至 (until) {until}; from the next run it is in accepted.csv, not {args.unit}.csv",
                        markup=False, highlight=False, soft_wrap=True)
    if args.until and args.until < now.date():
        tell(f"warning: --until {args.until} has already passed: the finding stays in {args.unit}.csv")
    return EXIT_OK


def cmd_check(args) -> int:
    target = args.target
    is_url = "://" in target or "." in target or "/" in target
    config = load_sites(args.sites) if not is_url or Path(args.sites).exists() else None
    unit = known_unit(config, target) if is_url else config.select([target])[0]
    if unit is None:
        unit = unit_from_url(target, scope=args.scope or "disclosure")
    else:
        is_url = False  # a unit of sites.yaml, checked with its own settings
    options = _options(args, Path(args.out) / "spot", config.rules if config else None, page_cache=False)
    with live_progress(unit.name) as progress:
        code, outcome = _execute([unit], options, progress, site_when_no_column=is_url and not args.scope,
                                 keep_history=False, all_units=config.units if config else None)
    if outcome is None:
        return code
    findings = outcome.reports[0].findings
    if args.format == "json":
        print(json.dumps([finding_dict(f) for f in findings], ensure_ascii=False, indent=2))
    elif args.format == "csv":
        sys.stdout.write((outcome.run_dir / f"{unit.id}.csv").read_bytes().decode("utf-8-sig"))
    else:
        print_findings(outcome.reports[0])
        out_console().print(f"报告目录 (run folder): {outcome.run_dir}", markup=False, highlight=False)
    return code


def known_unit(config, url: str):
    """The unit of sites.yaml whose home is on the URL's host."""
    if config is None:
        return None
    host = host_of(url)
    for unit in config.units:
        if host_of(unit.url) == host:
            return unit
    return None


def cmd_demo(args) -> int:
    from crawler.demo import DemoWeb  # its generator and servers: loaded for this command only

    out_dir = Path(args.out) / "demo"
    today = args.today or shanghai_now().date()
    console = out_console()
    with DemoWeb(out_dir / "web", today) as web:
        console.print(f"演示海关网站已启动 (demo web up): DNS {web.nameserver}", markup=False, highlight=False)
        if not web.info.get("ports_kept", True):
            console.print("上次的端口已被占用，网址有变，本次问题均记为新发现 (the last run's ports were taken: "
                          "new URLs, so every finding is new)", markup=False, highlight=False)
        config = load_sites(web.sites_path)
        args.nameserver = [web.nameserver]
        args.today = today
        args.no_throttle = True
        args.concurrency = args.concurrency or 8
        args.timeout = args.timeout or web.download_timeout
        code, outcome = _execute(config.units, _options(args, out_dir, config.rules), all_units=config.units)
    console.print("演示网站已停止 (demo servers stopped)", markup=False)
    if outcome is not None:
        print_summary(outcome)
        write_demo_documents(out_dir, outcome.run_id, today, config)
    return code


def write_demo_documents(out_dir: Path, run_id: str, today, config) -> None:
    """The documents an office sends after a run: a notice per unit with open findings, the bulletin."""
    # python-docx and matplotlib load only for the documents: the crawl's worker processes import this module
    from crawler.report.bulletin import write_bulletin
    from crawler.report.notice import write_notices

    history = History(out_dir / "history.sqlite")
    try:
        notice = config.notice
        written = write_notices(history, out_dir, run_id, None, today, notice)
        bulletin = write_bulletin(history, out_dir, None, None, today, load_rules(config.rules), notice.office,
                                  notice.recipients)
    finally:
        history.close()
    console = out_console()
    console.print(f"整改通知 (notices): {len(written)} 份，{written[0].parent if written else '-'}", markup=False,
                  highlight=False)
    console.print(f"检查情况通报 (bulletin): {bulletin[0]}", markup=False, highlight=False)


def cmd_regulations(args) -> int:
    # python-docx and BeautifulSoup load only here: the crawl's worker processes import this module
    from checks.regulation_import import LIST_COLUMNS, import_documents, list_library

    directory = Path(args.regulations) if args.regulations else default_library_dir()
    console = out_console()
    if args.action == "import":
        for path in import_documents([Path(p) for p in args.paths], directory):
            console.print(f"已导入 (imported): {path}", markup=False, highlight=False)
        return EXIT_OK
    table = Table(title=f"法规参照库 (regulation library): {directory}")
    for column in LIST_COLUMNS[:-1]:
        table.add_column(column, overflow="fold")
    for row in list_library(load_library(directory)):
        table.add_row(*row[:-1])
    console.print(table)
    return EXIT_OK


def cmd_ipv6(args) -> int:
    config = None
    targets = []
    for target in args.targets:
        if "://" in target or "." in target or "/" in target:
            unit = unit_from_url(target)
        else:
            config = config or load_sites(args.sites)
            unit = config.select([target])[0]
        targets.append(IPv6Target(unit.id, unit.url))
    if args.nameserver:
        probe_nameservers(make_resolver(args.nameserver, args.timeout or 5.0))
    rules = load_rules(config.rules if config else None)
    reports = run_ipv6_check(targets, args.nameserver, args.timeout, rules.ipv6_link_share_threshold)
    rows = []
    for target in targets:
        report = reports[target.unit_id]
        v6 = report.http_v6
        rows.append({
            "unit_id": target.unit_id, "host": report.host,
            "aaaa": " ".join(report.aaaa_addresses) or (report.dns_error or "无"),
            "ipv6_http": "; ".join(f"[{r.address}]:{r.port} " + (f"HTTP {r.status}" if r.answered else r.failure())
                                   for r in v6),
            "parity": "一致" if report.parity_ok else "；".join(d for m in report.mismatches for d in m.differences),
            "link_share": "" if report.link_share is None else f"{report.link_share:.0%}",
            "verdict": report.verdict,
            "findings": [finding_dict(f) for f in report.findings(target.unit_id, target.url)],
        })
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=2))
    elif args.format == "csv":
        columns = ["unit_id", "host", "aaaa", "ipv6_http", "parity", "link_share", "verdict"]
        sys.stdout.write(csv_bytes(columns, [[row[c] for c in columns] for row in rows]).decode("utf-8-sig"))
    else:
        table = Table(title="IPv6 支持情况")
        for column in ("单位", "主机", "AAAA", "IPv6 HTTP", "IPv4/IPv6一致", "链接支持率", "结论"):
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(row["unit_id"], row["host"], row["aaaa"], row["ipv6_http"] or "-", row["parity"],
                          row["link_share"] or "-", row["verdict"])
        out_console().print(table)
    return EXIT_OK


def cmd_sites(args) -> int:

    config = load_sites(args.sites)
    console = out_console()
    console.print(f"{args.sites}: {len(config.units)} 个单位，格式正确 (valid)", markup=False, highlight=False)
    if args.offline:
        return EXIT_OK
    found = discover_columns(config.units, _options(args, Path(args.out), config.rules))
    table = Table(title="政府信息公开专栏发现情况 (disclosure columns)")
    for column in ("单位", "首页", "专栏", "发现方式"):
        table.add_column(column, overflow="fold")
    for unit in config.units:
        stats = found.get(unit.id, {})
        home = stats.get("home") or {}
        status = f"HTTP {home['status']}" if home.get("status") else (home.get("error_kind") or "未访问")
        table.add_row(f"{unit.name} ({unit.id})", status, stats.get("column_url") or "未找到",
                      stats.get("column_found_by") or "-")
    console.print(table)
    return EXIT_OK


def document_config(args):
    """sites.yaml for notice: and rules: — the one named, else ./sites.yaml when there is one."""
    if args.sites is None and not Path("sites.yaml").exists():
        return SitesConfig(path="", units=[])
    return load_sites(args.sites or "sites.yaml")


def write_pdf_copies(documents: list[Path]) -> int:
    try:
        for path in to_pdf(documents):
            out_console().print(f"PDF: {path}", markup=False, highlight=False)
    except PdfUnavailable as exc:
        tell(f"error: {exc}")
        return EXIT_USAGE
    return EXIT_OK


def cmd_notice(args) -> int:
    from crawler.report.notice import write_notices  # python-docx, as in write_demo_documents

    if args.all == bool(args.units):
        raise UsageError("notice: name the units (UNIT ...) or give --all, not both")
    settings = document_config(args).notice
    history = open_history(args.out)
    try:
        run_id = args.run or history.latest_reported_run()
        if run_id is None:
            raise HistoryError(f"{history.path}: no finished run yet (python -m crawler run writes one)")
        written = write_notices(history, Path(args.out), run_id, None if args.all else args.units,
                                args.today or shanghai_now().date(), settings)
    finally:
        history.close()
    console = out_console()
    for path in written:
        console.print(f"整改通知 (notice): {path}", markup=False, highlight=False)
    if not written:
        console.print(f"run {run_id}: 没有存在未整改问题的单位 (no unit has open findings)", markup=False, highlight=False)
    return write_pdf_copies(written) if args.pdf else EXIT_OK


def cmd_bulletin(args) -> int:
    from crawler.report.bulletin import write_bulletin  # python-docx, as in write_demo_documents

    config = document_config(args)
    history = open_history(args.out)
    try:
        written = write_bulletin(history, Path(args.out), args.since, args.until, args.today or shanghai_now().date(),
                                 load_rules(config.rules), config.notice.office, config.notice.recipients)
    finally:
        history.close()
    for path in written:
        out_console().print(f"检查情况通报 (bulletin): {path}", markup=False, highlight=False)
    return write_pdf_copies(written[:1]) if args.pdf else EXIT_OK


COMMANDS = {"run": cmd_run, "sites": cmd_sites, "check": cmd_check, "demo": cmd_demo, "ipv6": cmd_ipv6,
            "regulations": cmd_regulations, "report": cmd_report, "accept": cmd_accept,
            "notice": cmd_notice, "bulletin": cmd_bulletin}


# --- terminal output ------------------------------------------------------------------
def finding_dict(finding) -> dict:
    return {"unit_id": finding.unit_id, "check": finding.check, "check_name": finding.info.name,
            "severity": finding.info.severity, "page_url": finding.page_url, "target_url": finding.target_url,
            "link_text": finding.link_text, "http_status": finding.http_status, "detail": finding.detail}


def print_summary(outcome) -> None:
    table = Table(title=f"检查结果 run {outcome.run_id}")
    for column in ("单位", "页面", "链接", *SEVERITY_NAMES.values(), "完整", "说明"):
        table.add_column(column, overflow="fold")
    for report in outcome.reports:
        severities = [sum(1 for r in open_rows(report) if r.finding.info.severity == s) for s in SEVERITY_RANK]
        table.add_row(f"{report.unit.name} ({report.unit.id})", str(report.pages_crawled), str(report.links_checked),
                      *map(str, severities), "是" if report.crawl_complete else "否", report.crawl_notes)
    console = out_console()
    console.print(table)
    console.print(f"报告目录 (run folder): {outcome.run_dir}", markup=False, highlight=False)


def print_changes(outcome) -> None:
    """--since-last: what changed since the last run, the new findings and the resolved ones."""
    console = out_console()
    new, resolved = STATE_NAMES["new"], STATE_NAMES["resolved"]
    changes = [(new, r.finding) for report in outcome.reports for r in report.rows if r.state == "new"]
    changes += [(resolved, r.finding) for report in outcome.reports for r in report.resolved]
    if not changes:
        console.print(f"run {outcome.run_id}: 自上次运行以来没有新增或已整改的问题 (nothing new or resolved)",
                      markup=False, highlight=False)
    else:
        table = Table(title=f"自上次运行以来的变化 run {outcome.run_id}: {new} "
                            f"{sum(state == new for state, _ in changes)}，{resolved} "
                            f"{sum(state == resolved for state, _ in changes)}")
        for column in ("变化", "单位", "严重程度", "问题", "页面", "链接", "说明"):
            table.add_column(column, overflow="fold")
        for state, f in changes:
            table.add_row(state, f.unit_id, f.info.severity, f.info.name, f.page_url, f.target_url, f.detail)
        console.print(table)
    console.print(f"报告目录 (run folder): {outcome.run_dir}", markup=False, highlight=False)


def print_findings(report) -> None:
    table = Table(title=f"{report.unit.name}: {len(report.findings)} 个问题 "
                        f"（页面 {report.pages_crawled}，链接 {report.links_checked}）")
    for column in ("严重程度", "问题", "页面", "链接", "说明"):
        table.add_column(column, overflow="fold")
    for f in report.findings:
        table.add_row(f.info.severity, f.info.name, f.page_url, f.target_url, f.detail)
    out_console().print(table)


class live_progress:
    """A live line on stderr while someone watches: pages crawled, links checked, problems so far.

    `with live_progress(label) as progress` gives None when stderr is no terminal (cron, a log
    file): nobody watches there, and the display would only cost the crawl time.
    """

    REFRESH_PER_SECOND = 4

    def __init__(self, label: str):
        console = Console(stderr=True)
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                                 console=console, transient=True, refresh_per_second=self.REFRESH_PER_SECOND
                                 ) if console.is_terminal else None
        self.label = label
        self.shown_at = 0.0

    def __enter__(self) -> live_progress | None:
        if self.progress is None:
            return None
        self.task = self.progress.add_task(f"{self.label}: 启动中…")
        self.progress.start()
        return self

    def __call__(self, counts: dict) -> None:
        # called for every answer of the crawl: the line changes only as often as it is drawn
        now = time.monotonic()
        if now - self.shown_at < 1 / self.REFRESH_PER_SECOND:
            return
        self.shown_at = now
        self.progress.update(self.task, description=f"{self.label}: 页面 {counts['pages']}，"
                                                    f"链接 {counts['links']}，问题 {counts['problems']}")

    def __exit__(self, *exc_info):
        if self.progress is not None:
            self.progress.stop()
        return False

"""`python -m crawler.demo serve --dir DIR --today YYYY-MM-DD`: run the demo web until stopped.

Starts the DNS and HTTP servers on 127.0.0.1 (and on ::1 when the machine has it), writes
DIR/sites.yaml and DIR/truth.json, then DIR/demo.json LAST (atomically): a reader that sees
demo.json knows everything is up. Serves until SIGTERM or SIGINT (or until --parent-pid is
gone), removes demo.json and exits 0. The ports are those of the last start in DIR (DIR/ports.json)
where they are still free: two demo runs into one output folder see the same URLs.
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from checks.files import write_atomic
from crawler.demo.generator import DOWNLOAD_TIMEOUT_SECONDS, SLOW_PAGE_SECONDS, SLOW_TIMEOUT_SECONDS
from crawler.demo.server import DemoServers
from crawler.demo.loopback import serve_until_stopped

# Asia/Shanghai has had no daylight saving since 1991: a fixed offset needs no tz database.
SHANGHAI = timezone(timedelta(hours=8))


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


PORTS_FILE = "ports.json"  # in DIR: the ports of the last start, taken again when free


def _last_ports(directory: Path) -> dict[str, int]:
    try:
        ports = json.loads((directory / PORTS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {name: port for name, port in ports.items() if isinstance(port, int)} if isinstance(ports, dict) else {}


def serve(directory: Path, today: date, parent_pid: int | None = None) -> int:
    preferred = _last_ports(directory)

    def start() -> DemoServers:
        servers = DemoServers(today, preferred)
        servers.start()
        return servers

    def publish(servers: DemoServers) -> dict:
        web = servers.web
        sites_path, truth_path = directory / "sites.yaml", directory / "truth.json"
        write_atomic(sites_path, web.sites_yaml())
        write_atomic(truth_path, json.dumps(web.truth(), ensure_ascii=False, indent=2) + "\n")
        ports = servers.ports()
        write_atomic(directory / PORTS_FILE, json.dumps(ports, indent=2) + "\n")
        return {
            "nameserver": servers.dns.address,
            "http_port": web.ports.http,
            "refused_port": web.ports.refused,
            "tls_error_port": web.ports.tls_error,
            "v4_only_port": web.ports.v4_only,
            "ipv6_loopback": web.ipv6_loopback,
            "timeout_seconds": DOWNLOAD_TIMEOUT_SECONDS,
            "slow_timeout_seconds": SLOW_TIMEOUT_SECONDS,
            "slow_page_seconds": SLOW_PAGE_SECONDS,
            "today": today.isoformat(),
            "sites": str(sites_path.resolve()),
            "truth": str(truth_path.resolve()),
            "hosts": web.host_names,
            # the URLs are those of the last start (its findings can persist), or there was none
            "ports_kept": not preferred or ports == preferred,
        }

    return serve_until_stopped(directory / "demo.json", parent_pid, start, publish)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.demo", description="The bundled demo customs web.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve", help="serve the demo web on 127.0.0.1 (and ::1) until SIGTERM/SIGINT",
        description="Start the demo DNS and HTTP servers on 127.0.0.1 (and ::1), write DIR/sites.yaml, DIR/truth.json "
        "and, once everything is up, DIR/demo.json; serve until SIGTERM or SIGINT. The ports of the last start "
        "(DIR/ports.json) are taken again where they are free, so the web's URLs stay the same.",
    )
    serve_parser.add_argument("--dir", required=True, type=Path, help="where to write sites.yaml, truth.json, demo.json")
    serve_parser.add_argument("--today", type=_date, default=datetime.now(SHANGHAI).date(),
                              help="the date the web is generated for (default: today in Asia/Shanghai)")
    serve_parser.add_argument("--parent-pid", type=int, help="exit when this process (the launcher) is gone")
    args = parser.parse_args(argv)
    return serve(args.dir, args.today, args.parent_pid)


if __name__ == "__main__":
    sys.exit(main())

"""Bad input on the command line: exit code 2 and one clear line, never a traceback.

What crawls or resolves runs as `python -m crawler` in a process of its own (Scrapy's reactor starts
once per process; the exit code is the one a shell sees); what is refused before anything is
fetched, and the commands that fetch nothing, run `main` in the test's process, which spares an
interpreter and Scrapy's import each."""
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from crawler.cli.commands import main

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args, cwd=ROOT, timeout=60):
    return subprocess.run([sys.executable, "-m", "crawler", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture
def cli(capsys, monkeypatch):
    """`main(args)` from ROOT, as `python -m crawler ARGS` would run it: exit code, stdout, stderr."""
    monkeypatch.chdir(ROOT)  # the default ./sites.yaml

    def run(*args: str) -> subprocess.CompletedProcess:
        capsys.readouterr()
        try:
            code = main(list(args))
        except SystemExit as exit_:  # --help
            code = exit_.code
        out, err = capsys.readouterr()
        return subprocess.CompletedProcess(["crawler", *args], code, out, err)

    return run


def assert_one_line_error(result, *words):
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def closed_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_unknown_unit(tmp_path):
    assert_one_line_error(run_cli("run", "--unit", "atlantis", "--out", str(tmp_path)), "atlantis")  # a real process


def test_malformed_yaml_names_file_and_line(tmp_path, cli):
    sites = tmp_path / "sites.yaml"
    sites.write_text("units:\n  - id: a\n    name: A\n    url: [unclosed\n", encoding="utf-8")
    assert_one_line_error(cli("run", "--sites", str(sites), "--out", str(tmp_path)), str(sites))


def test_url_without_scheme_in_sites(tmp_path, cli):
    sites = tmp_path / "sites.yaml"
    sites.write_text("units:\n  - id: a\n    name: A\n    url: www.customs.gov.cn\n", encoding="utf-8")
    assert_one_line_error(cli("run", "--sites", str(sites), "--out", str(tmp_path)), f"{sites}:4")


def test_missing_sites_file(tmp_path, cli):
    assert_one_line_error(cli("run", "--sites", str(tmp_path / "nope.yaml"), "--out", str(tmp_path)), "nope.yaml")


def test_bad_option_values(tmp_path, cli):
    assert_one_line_error(cli("run", "--today", "2021-13-01"), "2021-13-01")
    assert_one_line_error(cli("run", "--nameserver", "dns.example"), "dns.example")
    assert_one_line_error(cli("run", "--concurrency", "0"), "0")
    assert_one_line_error(cli("frobnicate"), "frobnicate")


@pytest.mark.parametrize("command", [["check", "http://nanjing.customs-demo.test/"], ["run"],
                                     ["ipv6", "http://nanjing.customs-demo.test/"]])
def test_a_dead_nameserver_fails_the_run_with_exit_3_and_one_line(tmp_path, command):
    """A name server that does not answer is not bad input (the option is well formed): the run failed."""
    port = closed_udp_port()
    sites = tmp_path / "sites.yaml"
    sites.write_text("units:\n  - id: a\n    name: 甲海关\n    url: http://a.customs-demo.test/\n", encoding="utf-8")
    result = run_cli(*command, "--sites", str(sites), "--nameserver", f"127.0.0.1:{port}", "--timeout", "2",
                     *(["--out", str(tmp_path / "out")] if command[0] != "ipv6" else []))
    assert result.returncode == 3, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "name server" in lines[0] and "Traceback" not in result.stderr
    assert not list((tmp_path / "out").glob("2*"))  # nothing was crawled


@pytest.mark.parametrize("command", ["run", "check", "demo"])
def test_help(command, cli):
    result = cli(command, "--help")
    assert result.returncode == 0 and "--nameserver" in result.stdout


def test_every_unit_unreachable_exits_3_with_one_line(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        port = sock.getsockname()[1]
        sites = tmp_path / "sites.yaml"
        sites.write_text(f"units:\n  - id: a\n    name: 甲海关\n    url: http://127.0.0.1:{port}/\n", encoding="utf-8")
        result = run_cli("run", "--sites", str(sites), "--out", str(tmp_path / "out"), "--no-throttle", "--timeout", "2")
    assert result.returncode == 3, result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "unreachable" in errors[0]
    assert "Traceback" not in result.stderr
    rows = (tmp_path / "out" / "latest" / "a.csv").read_bytes().decode("utf-8-sig").splitlines()
    checks = {row.split(",")[2] for row in rows[1:]}
    assert "site_unreachable" in checks and not checks & {"broken_link", "ipv6_ns"}


def test_regulations_import_and_list(tmp_path, cli):
    text = tmp_path / "条例.txt"
    text.write_text("中华人民共和国测试条例\n（2020年1月1日国务院令第1号公布）\n第一条 为了测试，制定本条例。\n"
                    "第二条 本条例自公布之日起施行。\n", encoding="utf-8")
    library = tmp_path / "lib"
    library.mkdir()
    result = cli("regulations", "import", str(text), "--regulations", str(library))
    assert result.returncode == 0, result.stderr
    assert len(list(library.glob("*.md"))) == 1
    listing = cli("regulations", "list", "--regulations", str(library))
    assert listing.returncode == 0 and "2020-01-01" in listing.stdout
    assert_one_line_error(cli("regulations", "import", str(tmp_path / "none.txt"), "--regulations", str(library)),
                          "none.txt")


def test_sites_check_offline_validates_the_shipped_file(cli):
    result = cli("sites", "check", "--offline")
    assert result.returncode == 0 and "43" in result.stdout

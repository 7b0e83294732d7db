"""The IPv6 probe (docs/checks.md): every case against the demo DNS server and real HTTP(S)
listeners on 127.0.0.1 and ::1 (nothing else is ever contacted); the verdict rules on plain data
are in tests/checks/test_ipv6.py."""
from __future__ import annotations

import datetime
import socket
import socketserver
import ssl
import threading
from http.server import BaseHTTPRequestHandler

import dns.resolver
import pytest

from crawler.probe.dns import NameserverUnreachable, make_resolver, parse_nameserver
from crawler.probe.ipv6 import BODY_LIMIT, IPv6Target, check_ipv6, fetch
from tests.checks.test_ipv6 import checks_of, volatile_page
from tests.webs.name_servers import loopback_name_servers

HOME = "http://www.example-customs.test/"


def _ipv6_loopback() -> str:
    """'' when ::1 can be used here, else why not."""
    if not socket.has_ipv6:
        return "Python was built without IPv6 support"
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as sock:
            sock.bind(("::1", 0))
    except OSError as exc:
        return f"this machine has no IPv6 loopback (binding ::1 failed: {exc})"
    return ""


NO_IPV6 = _ipv6_loopback()
needs_ipv6 = pytest.mark.skipif(bool(NO_IPV6), reason=NO_IPV6)


def test_parse_nameserver():
    assert parse_nameserver("127.0.0.1") == ("127.0.0.1", 53)
    assert parse_nameserver("127.0.0.1:5353") == ("127.0.0.1", 5353)
    assert parse_nameserver("::1") == ("::1", 53)
    assert parse_nameserver("[::1]:5353") == ("::1", 5353)
    for bad in ("ns.example.test", "127.0.0.1:0", "127.0.0.1:dns", "[::1]:99999"):
        with pytest.raises(ValueError, match="IP\\[:PORT\\]"):
            parse_nameserver(bad)


# -- against the demo DNS server and real listeners ---------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's interface)
        self.server.seen.append((self.headers["Host"], self.path))
        body = self.server.page().encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class _Listener(socketserver.ThreadingTCPServer):
    """An HTTP(S) server on one loopback address; `page` makes each answer, `seen` logs requests."""

    daemon_threads = True

    def __init__(self, host, port, page, tls: ssl.SSLContext | None = None):
        self.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.page = page
        self.seen: list[tuple[str, str]] = []
        super().__init__((host, port), _Handler)
        if tls is not None:
            # The handshake runs in the request thread, where the TLS client's SNI is logged.
            self.socket = tls.wrap_socket(self.socket, server_side=True, do_handshake_on_connect=False)
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def stop(self):
        self.shutdown()
        self.server_close()


def _tls_context(name: str, directory, sni_seen: list[str]) -> ssl.SSLContext:
    """A server context with a throwaway self-signed certificate (the check never verifies it)."""
    x509 = pytest.importorskip("cryptography.x509", reason="cryptography makes the test certificate")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = directory / f"{name}.pem"
    pem.write_bytes(
        cert.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    context.sni_callback = lambda sslobj, server_name, ctx: sni_seen.append(server_name)
    return context


def nginx_page() -> str:
    return "<html><head><title>Welcome to nginx!</title></head><body><h1>Welcome to nginx!</h1></body></html>"


class Web:
    """Listeners on 127.0.0.1 and ::1, each pair on one port number as a dual-stack site has it."""

    def __init__(self):
        self.listeners: list[_Listener] = []
        self.placeholders: list[socket.socket] = []

    def site(self, v4_page, v6_page, *, v4_tls=None, v6_tls=None) -> tuple[int, _Listener, _Listener | None]:
        """A port with IPv4 answering `v4_page` and IPv6 answering `v6_page`; with v6_page None,
        ::1 holds the port without listening, so a connection there is refused."""
        for _ in range(20):
            v4 = _Listener("127.0.0.1", 0, v4_page, v4_tls)
            port = v4.server_address[1]
            if NO_IPV6:
                self.listeners.append(v4)
                return port, v4, None
            try:
                if v6_page is None:
                    holder = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
                    holder.bind(("::1", port))
                    self.placeholders.append(holder)
                    v6 = None
                else:
                    v6 = _Listener("::1", port, v6_page, v6_tls)
            except OSError:  # the port is taken on ::1: try another
                v4.stop()
                continue
            self.listeners += [v4] + ([v6] if v6 else [])
            return port, v4, v6
        raise OSError("no port free on both 127.0.0.1 and ::1")

    def stop(self):
        for listener in self.listeners:
            listener.stop()
        for holder in self.placeholders:
            holder.close()


Z = "customs-demo.test"
W = "weak-demo.test"
DUAL = [("A", "127.0.0.1"), ("AAAA", "::1")]
RECORDS = {
    Z: [("SOA", f"ns1.{Z}. hostmaster.{Z}. 1 3600 600 86400 60"), ("NS", f"ns1.{Z}."), ("NS", f"ns2.{Z}.")],
    f"ns1.{Z}": DUAL,
    f"ns2.{Z}": DUAL,
    **{f"{name}.{Z}": DUAL for name in ("ok", "news", "links", "dead", "diff", "tls-ok", "tls-bad")},
    f"v4only.{Z}": [("A", "127.0.0.1")],
    f"img.{Z}": [("A", "127.0.0.1")],
    f"www.{Z}": [("CNAME", "www.cdn-demo.test.")],
    "www.cdn-demo.test": [("CNAME", "node.cdn-demo.test.")],
    "node.cdn-demo.test": DUAL,
    "cdn-demo.test": [("SOA", "ns.cdn-demo.test. hostmaster.cdn-demo.test. 1 3600 600 86400 60")],
    f"cname4.{Z}": [("CNAME", f"v4only.{Z}.")],
    f"loop1.{Z}": [("CNAME", f"loop2.{Z}.")],
    f"loop2.{Z}": [("CNAME", f"loop1.{Z}.")],
    f"mapped.{Z}": [("A", "127.0.0.1"), ("AAAA", "::ffff:127.0.0.1")],
    f"linklocal.{Z}": [("AAAA", "fe80::1")],
    W: [("SOA", f"ns1.{W}. hostmaster.{W}. 1 3600 600 86400 60"), ("NS", f"ns1.{W}."), ("NS", f"ns2.{W}.")],
    f"ns1.{W}": [("AAAA", "::1")],
    f"ns2.{W}": [("A", "127.0.0.1")],
    f"site.{W}": DUAL,
}
DNS_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def dns_servers():
    """The demo name server on 127.0.0.1 (the resolver's) and on ::1 (the zones' NS over IPv6)."""
    silent = [f"slow{i}.{Z}" for i in ("", *range(5))]
    with loopback_name_servers(RECORDS, ipv6=True, servfail=[f"servfail.{Z}"], no_answer=silent) as servers:
        yield servers


@pytest.fixture(scope="module")
def resolver(dns_servers):
    return make_resolver([dns_servers[0].address], timeout=DNS_TIMEOUT)


@pytest.fixture(scope="module")
def web():
    web = Web()
    yield web
    web.stop()


@pytest.fixture(scope="module")
def run(dns_servers, resolver, web, tmp_path_factory):
    """Every case in ONE check_ipv6 call, as the nightly run does it."""
    same, same_v4, same_v6 = web.site(volatile_page, volatile_page)
    dead, _, _ = web.site(volatile_page, None)
    diff, _, _ = web.site(volatile_page, nginx_page)
    sni: dict[str, list[str]] = {"v4": [], "v6": []}
    certs = tmp_path_factory.mktemp("certs")
    tls_ok, _, tls_v6 = web.site(
        volatile_page, volatile_page,
        v4_tls=_tls_context(f"tls-ok.{Z}", certs, sni["v4"]), v6_tls=_tls_context(f"tls-ok.{Z}", certs, sni["v6"]),
    )
    tls_bad, _, _ = web.site(volatile_page, volatile_page, v4_tls=_tls_context(f"tls-bad.{Z}", certs, []))
    on_same = ["v4only", "cname4", "nx", "servfail", "slow", "loop1", "mapped", "linklocal"]
    targets = [
        IPv6Target("ok", f"http://ok.{Z}:{same}/", [f"ok.{Z}", f"news.{Z}:{same}", f"http://www.{Z}:{same}/a.html"]),
        IPv6Target("links", f"http://links.{Z}:{same}/index.html", [f"links.{Z}", f"news.{Z}", f"img.{Z}"]),
        IPv6Target("www", f"http://www.{Z}:{same}/"),
        *(IPv6Target(name, f"http://{name}.{Z}:{same}/") for name in on_same),
        IPv6Target("dead", f"http://dead.{Z}:{dead}/"),
        IPv6Target("diff", f"http://diff.{Z}:{diff}/"),
        IPv6Target("tls-ok", f"https://tls-ok.{Z}:{tls_ok}/"),
        IPv6Target("tls-bad", f"https://tls-bad.{Z}:{tls_bad}/"),
        IPv6Target("weak", f"http://site.{W}:{same}/"),
    ]
    reports = check_ipv6(targets, resolver, timeout=3.0, service_ports=(), ns_port=dns_servers[-1].port)
    return dict(
        reports=reports, ports=dict(same=same, tls_ok=tls_ok), same_v4=same_v4, same_v6=same_v6, tls_v6=tls_v6, sni=sni
    )


# unit id -> (verdict, checks apart from ipv6_ns, phrases the details must hold, needs ::1)
CASES = {
    "ok": ("pass", set(), [], True),
    "www": ("pass", set(), [], True),
    "links": ("partial", {"ipv6_links"}, ["67%（2/3）", f"img.{Z}（无AAAA记录）"], True),
    "v4only": ("fail", {"ipv6_no_aaaa"}, [f"v4only.{Z} 没有AAAA记录"], False),
    "cname4": ("fail", {"ipv6_no_aaaa"}, [f"cname4.{Z} 没有AAAA记录（经CNAME：cname4.{Z} → v4only.{Z}）"], False),
    "nx": ("fail", {"ipv6_no_aaaa"}, [f"nx.{Z}", "NXDOMAIN"], False),
    "servfail": ("fail", {"ipv6_no_aaaa"}, [f"servfail.{Z}", "SERVFAIL"], False),
    "slow": ("fail", {"ipv6_no_aaaa"}, [f"slow.{Z}", "DNS查询超时"], False),
    "loop1": ("fail", {"ipv6_no_aaaa"}, [f"CNAME循环（loop1.{Z} → loop2.{Z} → loop1.{Z}）"], False),
    "mapped": ("fail", {"ipv6_unreachable"}, ["::ffff:127.0.0.1", "IPv4映射地址"], False),
    "linklocal": ("fail", {"ipv6_unreachable"}, ["fe80::1", "链路本地地址"], False),
    "dead": ("fail", {"ipv6_unreachable"}, ["IPv6地址 ::1 端口", "连接被拒绝"], True),
    "diff": ("partial", {"ipv6_mismatch"}, ["经IPv6地址 ::1", "页面内容相差"], True),
    "tls-ok": ("pass", set(), [], True),
    "tls-bad": ("fail", {"ipv6_unreachable"}, ["（https）无法访问：TLS/SSL错误"], True),
    "weak": ("pass", set(), [], True),
}


@pytest.mark.parametrize("unit_id", CASES)
def test_case_gives_its_finding_and_verdict(run, unit_id):
    verdict, expected, phrases, ipv6 = CASES[unit_id]
    if ipv6 and NO_IPV6:
        pytest.skip(NO_IPV6)
    rep = run["reports"][unit_id]
    home = f"http://home.{Z}/"
    findings = [f for f in rep.findings(unit_id, home) if f.check != "ipv6_ns"]
    assert {f.check for f in findings} == expected, [f.detail for f in findings]
    details = " ".join(f.detail for f in findings)
    for phrase in phrases:
        assert phrase in details
    assert all(f.page_url == home and f.unit_id == unit_id for f in findings)
    assert rep.verdict == verdict


@needs_ipv6
def test_cname_chain_is_followed_to_the_ipv6_capable_host(run):
    rep = run["reports"]["www"]
    assert rep.cname_chain == ("www.cdn-demo.test", "node.cdn-demo.test")
    assert rep.aaaa_addresses == ("::1",) and rep.a_addresses == ("127.0.0.1",)


@needs_ipv6
def test_requests_carry_host_header_and_sni(run):
    port = run["ports"]["same"]
    assert (f"ok.{Z}:{port}", "/") in run["same_v6"].seen
    assert (f"links.{Z}:{port}", "/index.html") in run["same_v6"].seen
    assert run["sni"]["v6"] == [f"tls-ok.{Z}"] and run["sni"]["v4"] == [f"tls-ok.{Z}"]
    assert run["tls_v6"].seen == [(f"tls-ok.{Z}:{run['ports']['tls_ok']}", "/")]


@needs_ipv6
def test_each_host_is_asked_once(run):
    hosts_v6 = [host.split(":")[0] for host, _ in run["same_v6"].seen]
    # news is a link host of two units, ok is a site and its own link host
    assert hosts_v6.count(f"news.{Z}") == 1
    assert hosts_v6.count(f"ok.{Z}") == 1
    assert [host.split(":")[0] for host, _ in run["same_v4"].seen].count(f"ok.{Z}") == 1


@needs_ipv6
def test_link_hosts_given_as_host_host_port_or_url(run):
    rep = run["reports"]["ok"]
    assert [link.host for link in rep.link_hosts] == [f"ok.{Z}", f"news.{Z}", f"www.{Z}"]
    assert rep.link_share == 1.0


@needs_ipv6
def test_name_servers_answering_over_ipv6(run):
    ok = run["reports"]["ok"]
    assert ok.zone == Z and ok.ns_ok
    assert [(ns.name, ns.answers) for ns in ok.ns] == [(f"ns1.{Z}", True), (f"ns2.{Z}", True)]
    assert "ipv6_ns" not in checks_of(ok)
    weak = run["reports"]["weak"]
    [finding] = weak.findings("weak", HOME)
    assert finding.check == "ipv6_ns" and finding.info.severity == "low"
    assert f"域 {W} 的域名服务器中只有 1 台" in finding.detail and f"ns2.{W}（无AAAA记录）" in finding.detail
    assert weak.verdict == "pass"


def test_unusable_addresses_are_never_contacted(run):
    for unit_id in ("mapped", "linklocal"):
        rep = run["reports"][unit_id]
        assert [r.error_kind for r in rep.http_v6] == ["unusable_address"]
        assert rep.http_v4 == ()  # nothing to compare with, so IPv4 is not asked either


@needs_ipv6
def test_ports_served_over_ipv4_are_owed_over_ipv6(resolver, dns_servers, web):
    same, _, _ = web.site(volatile_page, volatile_page)
    extra_v4_only, _, _ = web.site(volatile_page, None)
    extra_both, _, _ = web.site(volatile_page, volatile_page)
    unused, _, _ = web.site(volatile_page, None)
    web.listeners[-1].stop()  # nothing answers on `unused` over IPv4 either: not owed
    target = IPv6Target("ok", f"http://ok.{Z}:{same}/")
    reports = check_ipv6(
        [target], resolver, timeout=3.0, ns_port=dns_servers[-1].port,
        service_ports=((extra_v4_only, "http"), (extra_both, "http"), (unused, "http")),
    )
    rep = reports["ok"]
    [finding] = rep.findings("ok", HOME)
    assert finding.check == "ipv6_unreachable"
    assert f"端口 {extra_v4_only}" in finding.detail and "而该端口可通过IPv4访问" in finding.detail
    assert {r.port for r in rep.http_v6} == {same, extra_v4_only, extra_both}
    assert rep.verdict == "fail"


def test_reading_is_bounded_in_size_and_by_its_timeout(web):
    big = "<p>" + "x" * 3_000_000 + "</p>"
    port, _, _ = web.site(lambda: big, lambda: big)
    page = fetch("127.0.0.1", port, "http", "big.example.test", "/", timeout=3.0)
    assert page.result.status == 200 and len(page.text) == BODY_LIMIT
    with socket.socket() as mute:
        mute.bind(("127.0.0.1", 0))
        mute.listen()  # connections are queued but never answered: without its timeout the fetch would hang
        result = fetch("127.0.0.1", mute.getsockname()[1], "http", "mute.example.test", "/", timeout=0.5).result
    assert result.error_kind == "timeout"


def test_unreachable_name_server_is_one_clear_line(web):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))  # bound, never read: queries go unanswered
        address = f"127.0.0.1:{silent.getsockname()[1]}"
        with pytest.raises(NameserverUnreachable) as caught:
            check_ipv6([IPv6Target("ok", f"http://ok.{Z}/")], make_resolver([address], timeout=0.5))
    message = str(caught.value)
    assert "\n" not in message and address in message and "does not answer" in message


class CountingResolver(dns.resolver.Resolver):
    """A resolver that counts the lookups it has under way at once."""

    def __init__(self, like: dns.resolver.Resolver):
        super().__init__(configure=False)
        vars(self).update(vars(like))
        self.lock, self.under_way, self.most_at_once = threading.Lock(), 0, 0

    def resolve(self, *args, **kwargs):
        with self.lock:
            self.under_way += 1
            self.most_at_once = max(self.most_at_once, self.under_way)
        try:
            return super().resolve(*args, **kwargs)
        finally:
            with self.lock:
                self.under_way -= 1


def test_hosts_are_checked_side_by_side(resolver, dns_servers):
    # Each of these names never gets an answer: its AAAA lookup and its NS walk cost one
    # resolver lifetime each, 10 s for the five one after another; side by side about 1 s.
    targets = [IPv6Target(f"slow{i}", f"http://slow{i}.{Z}/") for i in range(5)]
    counting = CountingResolver(resolver)
    reports = check_ipv6(targets, counting, timeout=3.0, service_ports=(), ns_port=dns_servers[-1].port)
    assert all(rep.dns_error.startswith("DNS查询超时") and rep.verdict == "fail" for rep in reports.values())
    assert counting.most_at_once >= len(targets)  # every host's lookup waited at the same time

"""One notion of a URL's host, shared by the crawl (which pages are a unit's own), the link checks
(whose error baseline a link is judged against) and the wrong-link rules (which site a link lands on).

A host is written once, one way: lower case, ASCII (IDNA), without user info, trailing dot or the
scheme's default port: `http://Nanjing.Customs.gov.cn:80/a` and `http://nanjing.customs.gov.cn/b`
are on the host `nanjing.customs.gov.cn`; a non-default port stays (`127.0.0.1:8001`).
"""
from __future__ import annotations

import re
from functools import lru_cache

_DEFAULT_PORTS = {"http": "80", "https": "443"}
# scheme://authority: the authority ends at '/', '?', '#' or, as browsers read http(s), '\'.
_AUTHORITY = re.compile(r"\s*([a-zA-Z][a-zA-Z0-9+.-]*):[/\\]{2}([^/?#\\]*)")
_PORT = re.compile(r":(\d*)$")


@lru_cache(maxsize=65536)  # asked for every link of every page
def host_of(url: str) -> str:
    """host[:port] of an absolute URL, written the one way (see the module); '' when it names none."""
    found = _AUTHORITY.match(url)
    if found is None:
        return ""
    return normal_host(found[2], found[1].lower())


@lru_cache(maxsize=4096)
def normal_host(netloc: str, scheme: str = "http") -> str:
    """A host[:port] as written in a URL (any case, user info, default port, Unicode), the one way."""
    netloc = netloc.rpartition("@")[2].strip().lower()
    port_match = _PORT.search(netloc) if not netloc.endswith("]") else None
    name, port = (netloc[:port_match.start()], port_match[1]) if port_match else (netloc, "")
    name = _ascii(name.rstrip("."))
    port = port.lstrip("0") or ("0" if port else "")
    if not port or port == _DEFAULT_PORTS.get(scheme):
        return name
    return f"{name}:{port}"


def _ascii(name: str) -> str:
    if name.isascii():
        return name
    try:
        return name.encode("idna").decode("ascii")
    except UnicodeError:  # not a name IDNA can write: kept as it is, still one way
        return name


def host_and_port(host: str) -> tuple[str, int | None]:
    """('nanjing.customs.gov.cn', None) for a host written the one way; the port when it names one."""
    if host.endswith("]") or ":" not in host:
        return host, None
    name, _, port = host.rpartition(":")
    return name, int(port)


def same_site(first: str, second: str) -> bool:
    """Whether two hosts are one site to a reader: www. aside, and a port only one side names
    does not tell them apart (a unit's own links often leave out the port its home names)."""
    (first_name, first_port), (second_name, second_port) = _site(first), _site(second)
    ports = [port for port in (first_port, second_port) if port is not None]
    return first_name == second_name and (len(ports) < 2 or ports[0] == ports[1])


@lru_cache(maxsize=4096)
def _site(host: str) -> tuple[str, int | None]:
    name, port = host_and_port(normal_host(host))
    return name.removeprefix("www."), port

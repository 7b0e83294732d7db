"""Anti-bot firewall answers recognised by their shape, not by their words.

A firewall that wants a browser to prove itself answers with a shell: a page whose body shows
nothing (a short line at most), only scripts that compute a token, store it as a cookie and load the page again. What
the shell says differs from vendor to vendor and release to release (and is often obfuscated);
what it is does not. `challenge_shape` reads that structure from the plain facts of an answer
(status, headers, body) and names what it saw, in Chinese, for the inspector; '' when the
answer is no challenge. See docs/firewalls.md for the shapes seen on government sites.
"""
from __future__ import annotations

import re
from collections.abc import Mapping

import lxml.etree
import lxml.html

# Shells are small (the vendors' are 1 to 4 KB); a larger answer is a page meant to be read.
SHELL_MAX_CHARS = 64_000
# A shell may show a line ("正在进行安全验证，请稍候"): no more than this many characters, and only
# with a firewall's own marks or behaviour; a page of scripts without them must show nothing.
NOTICE_CHARS = 100
# Statuses a firewall answers a shell with: 202 (a 2xx that is no page), any 4xx but the ones
# that mean the resource itself is gone or rate limited, and the vendors' own 52x codes.
NOT_A_SHELL_STATUS = {404, 410, 429}
# Attributes HTML gives <script> and <meta>: a shell whose scripts or metas carry another
# (Ruishu's r="m") marks its parts for its own script to find.
STANDARD_ATTRIBUTES = {
    "script": {"src", "type", "async", "defer", "charset", "language", "crossorigin", "integrity", "nomodule",
               "referrerpolicy", "nonce", "id", "class", "blocking", "fetchpriority", "for", "event"},
    "meta": {"name", "content", "http-equiv", "charset", "property", "itemprop", "id", "class", "scheme", "lang",
             "media"},
}
# A <meta> that names nothing and holds a long token carries data for a script, not for the page.
OPAQUE_META_CHARS = 64
# Response headers by which a firewall vendor names itself (加速乐 on every answer it relays).
VENDOR_HEADERS = {"x-via-jsl": "X-Via-JSL"}

_SCRIPT_OPEN = re.compile(r"<script\b", re.I)
_LINK = re.compile(r"<a\b[^>]*\bhref\s*=", re.I)
_COOKIE_WRITE = re.compile(r"\.cookie\s*=(?!=)")
# The page loading itself again: location.reload(), location = location.href, location.href =
# location.pathname + location.search, location.replace(location.href), history.go(0).
_RELOAD = re.compile(
    r"\blocation\s*\.\s*reload\s*\("
    r"|\blocation(?:\s*\.\s*href)?\s*=\s*(?:window\s*\.\s*|document\s*\.\s*|self\s*\.\s*|top\s*\.\s*)?location\b"
    r"|\blocation\s*\.\s*(?:replace|assign)\s*\(\s*(?:window\s*\.\s*|document\s*\.\s*)?location\b"
    r"|\bhistory\s*\.\s*go\s*\(\s*0?\s*\)")
_INVISIBLE = ("script", "style", "noscript", "template")


def challenge_shape(status: int | None, headers: Mapping, body: str | bytes) -> str:
    """What makes this answer a firewall challenge, in Chinese; '' when it is not one.

    `headers`: names (str or bytes, any case) to values; only which headers are present counts.

    A challenge is a shell (scripts, no visible text) that either comes with a status no page
    comes with (202, a 4xx other than 404/410/429, a vendor's 52x), or carries a firewall's
    marks whatever its status: elements marked with attributes of the firewall's own, a long
    opaque token in a nameless <meta>, a vendor's header, or a cookie (set by the server or by
    the script) together with a script that loads the page again. A text-less page of scripts
    answering 200 with none of those marks is an application page, not a challenge. A shell
    showing a short line is a challenge only by the marks of its elements or by setting a
    cookie and reloading: a short error page with a script is a page.
    """
    if status is None:
        return ""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if len(text) > SHELL_MAX_CHARS or not _SCRIPT_OPEN.search(text):
        return ""
    if status == 200 and _LINK.search(text):
        return ""  # a page with links is meant to be navigated (the usual case: no parse)
    shell = _read_shell(text)
    if shell is None:
        return ""
    names = {(name.decode("latin-1") if isinstance(name, bytes) else name).lower(): value
             for name, value in headers.items()}
    marks = [*shell.marks, *(f"响应头 {VENDOR_HEADERS[name]}" for name in names if name in VENDOR_HEADERS)]
    server_cookie = bool(names.get("set-cookie"))
    setters = "和".join(who for who, sets in (("服务器", server_cookie), ("脚本", shell.sets_cookie)) if sets)
    cookie_reload = bool(setters) and shell.reloads
    if cookie_reload:
        marks.append(f"{setters}设置 Cookie 后重新加载页面")
    if shell.shown and not (shell.marks or cookie_reload):
        return ""
    vendor_status = status == 202 or (400 <= status < 500 and status not in NOT_A_SHELL_STATUS) or 520 <= status < 530
    if not (marks or vendor_status):
        return ""
    if server_cookie and not shell.reloads:
        marks.append("服务器设置 Cookie")
    looks = f"页面只有脚本和 {shell.shown} 字提示" if shell.shown else "页面无可见文字、仅有脚本"
    return "；".join([looks, *marks])


class _Shell:
    def __init__(self) -> None:
        self.marks: list[str] = []  # its elements' own: custom attributes, an opaque meta token
        self.shown = 0  # visible characters
        self.sets_cookie = False
        self.reloads = False


def _read_shell(text: str) -> _Shell | None:
    """The firewall marks of a page of scripts showing at most a short line; None when it is no such page."""
    try:
        tree = lxml.html.document_fromstring(text)
    except (lxml.etree.ParserError, ValueError):
        return None
    scripts = tree.xpath("//script")
    shown = _visible_chars(tree)
    if not scripts or shown > NOTICE_CHARS:
        return None
    shell = _Shell()
    shell.shown = shown
    marked = sorted({f'{name}="{value}"' for element in tree.xpath("//script | //meta")
                     for name, value in element.attrib.items()
                     if name.lower() not in STANDARD_ATTRIBUTES[element.tag] and not _generic_attribute(name)})
    if marked:
        shell.marks.append(f"脚本和元数据带自定义属性 {'、'.join(marked[:3])}")
    if any(len(meta.get("content", "")) >= OPAQUE_META_CHARS and not _names_something(meta)
           for meta in tree.xpath("//meta")):
        shell.marks.append("匿名 meta 携带长串令牌")
    code = "\n".join(script.text or "" for script in scripts)
    shell.sets_cookie = bool(_COOKIE_WRITE.search(code))
    shell.reloads = bool(_RELOAD.search(code))
    return shell


def _visible_chars(tree) -> int:
    hidden = " or ".join(f"ancestor::{tag}" for tag in _INVISIBLE)
    return sum(len("".join(chunk.split())) for chunk in tree.xpath(f"//body//text()[not({hidden})]"))


def _generic_attribute(name: str) -> bool:
    """Attributes every element may carry: data-*, event handlers, aria-*."""
    name = name.lower()
    return name.startswith(("data-", "on", "aria-"))


def _names_something(meta) -> bool:
    return any(meta.get(name) for name in ("name", "http-equiv", "charset", "property", "itemprop"))

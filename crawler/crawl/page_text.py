"""Title, main heading and visible text of a fetched page, read with regular expressions.

Every answer of the crawl needs these (error pages, wrong links), so they are taken without a
full HTML parse; the text is bounded and approximate, which is all error-page detection needs.
"""
from __future__ import annotations

import html
import re

_TITLE = re.compile(r"<title\b[^>]*>(.*?)</title\s*>", re.S | re.I)
_H1 = re.compile(r"<h1\b[^>]*>(.*?)</h1\s*>", re.S | re.I)
_BODY = re.compile(r"<body\b[^>]*>", re.I)
# The look-ahead passes over the other tags at once (it halves the time of this pass on a page of
# links); the possessive [^>]*+ never backtracks where no '>' follows a '<' (the same matches).
_INVISIBLE = re.compile(r"<(?=[!nst])(?:(script|style|noscript|template)\b.*?</\1\s*>|!--.*?-->)", re.S | re.I)
_TAG = re.compile(r"<[^>]*+>")
SCANNED_CHARS = 300_000  # of a page's HTML: enough for the text an error page shows


def _clean(fragment: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def summarize(page: str, text_chars: int) -> tuple[str, str, str]:
    """(title, first h1, visible text of at most `text_chars`) of an HTML page."""
    page = _INVISIBLE.sub(" ", page[:SCANNED_CHARS])
    title = _TITLE.search(page)
    heading = _H1.search(page)
    body = _BODY.search(page)
    visible = _clean(page[body.end():] if body else page)
    return (_clean(title.group(1)) if title else "", _clean(heading.group(1)) if heading else "",
            visible[:text_chars])


# A page that only sends the browser on by script, as some sites answer their root:
# window.location.href = "/nanjing_customs/index.html", location.replace('…'), top.location = …
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.S | re.I)
_NAVIGATION = re.compile(  # window.open( or a bare open(, not xhr.open("GET", …)
    r"""(?P<how>\blocation(?:\.href)?\s*=|\blocation\.(?:replace|assign)\s*\(|(?:\bwindow\.|(?<![\w.$]))open\s*\()"""
    r"""\s*(["'])(?P<url>[^"'\s]+)\2""")
_ANCHOR = re.compile(r"<a\b[^>]*\bhref\s*=", re.I)
REDIRECT_PAGE_MAX_TEXT = 200  # visible characters: a page showing more is meant to be read


def script_redirect(page: str) -> str | None:
    """Where a page that does nothing else sends the browser by script (the URL as written), or None.

    Nothing else: no link, little visible text. Two different targets (a switch to a mobile
    site) are no redirect: which one a browser takes depends on the browser.
    """
    if len(page) > SCANNED_CHARS or _ANCHOR.search(page):
        return None
    scripts = _SCRIPT.findall(page)
    if any("document.cookie" in script for script in scripts):
        return None  # an anti-bot challenge: it sets a cookie and sends the browser back
    targets = {url for script in scripts for url in script_navigation(script)}
    if len(targets) != 1 or len(_clean(_INVISIBLE.sub(" ", page))) > REDIRECT_PAGE_MAX_TEXT:
        return None
    return targets.pop()


def script_navigation(script: str, new_windows: bool = False) -> list[str]:
    """The URLs (as written) a script sends the browser to: `location.href = "…"`,
    `location.replace("…")`; with `new_windows`, also those it opens: `window.open("…")`."""
    return [match["url"] for match in _NAVIGATION.finditer(script) if new_windows or "open" not in match["how"]]


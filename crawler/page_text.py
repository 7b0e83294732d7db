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
_INVISIBLE = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>|<!--.*?-->", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")
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

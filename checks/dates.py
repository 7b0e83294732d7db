"""Dates as Chinese government pages write them, read from free text.

Full dates: 2021-05-10, 2021/5/10, 2021.05.10, 2021年5月10日, 二〇二一年五月十日 (full-width digits
too). Short dates of list items: [05-10], 05-10, 5月10日, whose year comes from the context.
Document numbers (〔2021〕404号, 2021年第5号), phone numbers and decimals are never dates.
"""
from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from functools import lru_cache
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUM = "〇零○一二三四五六七八九十"

# A full date: the separators between year, month and day must agree (2021-05-10, not 2021-05.10).
_FULL = re.compile(
    r"(?<![\d.\-/])"
    r"(?:(?P<y1>(?:19|20)\d\d)(?P<sep>[-/.])(?P<m1>\d{1,2})(?P=sep)(?P<d1>\d{1,2})(?![\d\-/]|\.\d)"
    r"|(?P<y2>(?:19|20)\d\d)\s*年\s*(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*[日号]?(?!\d)"
    rf"|(?P<y3>[{_CN_NUM[:3]}一二三四五六七八九]{{4}})年(?P<m3>[{_CN_NUM}]{{1,2}})月(?P<d3>[{_CN_NUM}]{{1,3}})[日号])"
)
# A short date of a list item. Dashes and slashes only with two-digit parts (CMS print %m-%d):
# this keeps fractions (1/2) out; dots never, as they are decimals far more often (3.14).
_SHORT = re.compile(
    r"(?<![\d.\-/:])"
    r"(?:(?P<m1>[01]\d)(?P<sep>[-/])(?P<d1>[0-3]\d)(?![\d.\-/:])"
    r"|(?P<m2>\d{1,2})\s*月\s*(?P<d2>\d{1,2})\s*日)"
)


def shanghai_now() -> dt.datetime:
    """Now on the inspectors' clock (Asia/Shanghai), whatever the machine's zone."""
    return dt.datetime.now(SHANGHAI)


def shanghai_timestamp() -> str:
    """Now on the inspectors' clock to the second, as ISO text (2026-03-03T01:02:03+08:00): the
    time of every answer of a crawl, written once a second however many answers share it."""
    return _second_on_shanghai_clock(int(time.time()))


@lru_cache(maxsize=1)
def _second_on_shanghai_clock(second: int) -> str:
    return dt.datetime.fromtimestamp(second, SHANGHAI).isoformat()


def shanghai_today() -> dt.date:
    return shanghai_now().date()


def parse_dates(text: str, context_year: int | None = None, today: dt.date | None = None) -> list[dt.date]:
    """Every date in `text`, in reading order.

    A short date (05-10, 5月10日) takes `context_year`, else the year of `today`; a short date that
    would then lie after `today` is of the previous year (a list in January shows December items).
    Without either, short dates are skipped: a year cannot be guessed.
    """
    text = unicodedata.normalize("NFKC", text or "")
    found: list[tuple[int, dt.date]] = []
    taken: list[tuple[int, int]] = []
    for match in _FULL.finditer(text):
        day = _full_date(match)
        taken.append(match.span())
        if day is not None:
            found.append((match.start(), day))
    year = context_year if context_year is not None else (today.year if today else None)
    if year is not None:
        for match in _SHORT.finditer(text):
            if any(start < match.end() and match.start() < end for start, end in taken):
                continue
            month = int(match.group("m1") or match.group("m2"))
            day_of_month = int(match.group("d1") or match.group("d2"))
            day = _make_date(year, month, day_of_month)
            if day is not None and today is not None and day > today:
                day = _make_date(year - 1, month, day_of_month)
            if day is not None:
                found.append((match.start(), day))
    return [day for _, day in sorted(found, key=lambda pair: pair[0])]


def item_date(text: str, context_year: int | None = None, today: dt.date | None = None) -> dt.date | None:
    """The date of a list item: the last date in its text (the date column follows the title)."""
    dates = parse_dates(text, context_year, today)
    return dates[-1] if dates else None


def _full_date(match: re.Match) -> dt.date | None:
    if match.group("y1"):
        return _make_date(int(match.group("y1")), int(match.group("m1")), int(match.group("d1")))
    if match.group("y2"):
        return _make_date(int(match.group("y2")), int(match.group("m2")), int(match.group("d2")))
    year = _cn_digits(match.group("y3"))
    month, day = _cn_number(match.group("m3")), _cn_number(match.group("d3"))
    if year is None or month is None or day is None:
        return None
    return _make_date(year, month, day)


def _cn_digits(text: str) -> int | None:
    """二〇二一 -> 2021 (a year is written digit by digit)."""
    if any(ch not in _CN_DIGITS for ch in text):
        return None
    return int("".join(str(_CN_DIGITS[ch]) for ch in text))


def _cn_number(text: str) -> int | None:
    """五 -> 5, 十 -> 10, 十二 -> 12, 二十 -> 20, 三十一 -> 31."""
    if "十" not in text:
        return _cn_digits(text) if len(text) == 1 else None
    tens, _, units = text.partition("十")
    tens_value = _CN_DIGITS.get(tens) if tens else 1
    units_value = _CN_DIGITS.get(units) if units else 0
    if tens_value is None or units_value is None:
        return None
    return tens_value * 10 + units_value


def _make_date(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def remove_dates(text: str) -> str:
    """`text` (NFKC-normalised) without its full dates: what is left names years on its own."""
    return _FULL.sub(" ", unicodedata.normalize("NFKC", text or ""))

"""Regulation pages of the demo web (docs/regulations.md), made from the reference library's own files.

The texts are read from `checks/regulations/` when the web is generated, so the pages stay in
step with the library: the fictional family 中华人民共和国海关示范管理条例 (versions 2012-05-10,
2016-08-22 and 2020-11-30, the current one) and the repealed 中华人民共和国海关示范通关暂行办法.
A unit lists them under 法律法规 in its disclosure column, each an item page in the EasySite
shape (heading, metadata as 【】 lines with 【效力】, the text in #easysiteText).

Planted: superseded texts and the current text with one article changed (outdated_regulation),
the same outdated text on two pages (two rows), the repealed regulation shown as 现行有效
(repealed_regulation). Look-alikes: the current text re-formatted (articles in a table; half-width
punctuation, other line breaks and spaced Arabic article numbers), the repealed regulation
marked 已废止.
"""
from __future__ import annotations

import re
from datetime import date
from functools import cache

from checks.regulations import Library, RegulationVersion, default_library_dir, format_date, load_library, split_articles
from crawler.demo.sites import Item, UnitSite, esc
from crawler.demo.truth import Truth

FAMILY = "中华人民共和国海关示范管理条例"
REPEALED = "中华人民共和国海关示范通关暂行办法"
LAWS_LIST = ("laws", "法律法规")
# The article the altered copy of the current text changes, and how (a transcription error).
ALTERED_ARTICLE, ALTERED_FROM, ALTERED_TO = "第十四条", "提前三日", "提前五日"

_ARTICLE_LINE = re.compile(r"^(第[一二三四五六七八九十百零]+条)\s*(.*)$")
_CHAPTER_LINE = re.compile(r"^第[一二三四五六七八九十]+章")
_HALF_WIDTH = str.maketrans({"，": ",", "；": ";", "：": ":", "（": "(", "）": ")", "“": '"', "”": '"'})


@cache
def _library() -> Library:
    return load_library(default_library_dir())


def _version(title: str, version: str | None = None) -> RegulationVersion:
    """A version of a library title: the given one, else the latest."""
    versions = _library().find_title(title, title).versions
    if version is None:
        return versions[-1]
    return next(v for v in versions if v.version == date.fromisoformat(version))


# --- how a page shows a text --------------------------------------------------------------------

def _paragraphs(text: str) -> str:
    """One paragraph a line, as the library gives it."""
    return "".join(f"<p>{esc(line.strip())}</p>" for line in text.splitlines() if line.strip())


def _in_table(text: str) -> str:
    """The preamble as paragraphs, then chapters and articles as rows of a table, the article
    number in a cell of its own (as sites that paste from Word show it)."""
    preamble, rows = [], []
    for line in (line.strip() for line in text.splitlines()):
        article = _ARTICLE_LINE.match(line)
        if article:
            rows.append(f"<tr><td>{article[1]}</td><td>{esc(article[2])}</td></tr>")
        elif _CHAPTER_LINE.match(line):
            rows.append(f'<tr><td colspan="2"><strong>{esc(line)}</strong></td></tr>')
        elif line and rows:
            rows.append(f"<tr><td></td><td>{esc(line)}</td></tr>")  # an item of the article above
        elif line:
            preamble.append(f"<p>{esc(line)}</p>")
    return "".join(preamble) + f'<table class="law-text">{"".join(rows)}</table>'


def _reformatted(text: str) -> str:
    """The same text as another site shows it: half-width punctuation, a line break after every
    comma, a chapter and its articles in one paragraph, article numbers as spaced Arabic digits."""
    paragraphs: list[list[str]] = [[]]
    number = 0
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        if _CHAPTER_LINE.match(line):
            paragraphs.append([])
        article = _ARTICLE_LINE.match(line)
        if article:
            number += 1
            line = f"第 {number} 条 {article[2]}"
        paragraphs[-1].append(esc(line.translate(_HALF_WIDTH)).replace(",", ",<br>\n"))
    return "".join(f"<p>{'<br>'.join(lines)}</p>" for lines in paragraphs if lines)


def _altered(text: str) -> str:
    """The text with one article changed."""
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if line.startswith(ALTERED_ARTICLE))
    assert ALTERED_FROM in lines[index], "the library text changed: pick another article to alter"
    lines[index] = lines[index].replace(ALTERED_FROM, ALTERED_TO)
    return "\n".join(lines)


def first_difference(text: str, current: RegulationVersion) -> str:
    """The first article (第X条) where `text` departs from the current version."""
    _, page = split_articles(text)
    for ours, theirs in zip(page, current.articles):
        if ours.text != theirs.text:
            return ours.header
    raise ValueError("the text does not differ from the current version")


# --- planting -----------------------------------------------------------------------------------

def _regulation_item(site: UnitSite, folder: str, title: str, version: RegulationVersion, number: str,
                     body_html: str, validity: str = "现行有效") -> Item:
    item = site.new_item(folder, title, version.version, number, body=[])
    item.body_html = body_html
    item.validity = validity
    item.metadata_style = "brackets"  # the regulation library of the CMS: 【效力】 lines on every site
    site.items[LAWS_LIST[0]].append(item)
    return item


def _outdated(truth: Truth, site: UnitSite, item: Item, text: str, version: RegulationVersion) -> None:
    current = _version(FAMILY)
    truth.finding(site.spec.id, "outdated_regulation", site.url(item.path), "regulation_outdated",
                  [FAMILY, format_date(version.version), first_difference(text, current)])


def plant_regulations_qingdao(site: UnitSite, truth: Truth) -> None:
    """The current text in a table (fine), the 2016 text (outdated), the repealed 暂行办法 as
    现行有效 (repealed) and marked 已废止 (fine)."""
    folder = site.add_list(*LAWS_LIST)
    current, older = _version(FAMILY), _version(FAMILY, "2016-08-22")
    repealed = _version(REPEALED)

    item = _regulation_item(site, folder, FAMILY, current, "示范令第3号", _in_table(current.text))
    truth.page_ok(site.spec.id, "outdated_regulation", site.url(item.path), "regulation_current_in_table")

    item = _regulation_item(site, folder, f"{FAMILY}（2016年修订）", older, "示范令第2号", _paragraphs(older.text))
    _outdated(truth, site, item, older.text, older)

    item = _regulation_item(site, folder, REPEALED, repealed, "示范令第0号", _paragraphs(repealed.text))
    truth.finding(site.spec.id, "repealed_regulation", site.url(item.path), "regulation_repealed_in_force",
                  [REPEALED, format_date(repealed.repealed_on), repealed.replaced_by])

    item = _regulation_item(site, folder, f"{REPEALED}（已废止）", repealed, "示范令第0号", _paragraphs(repealed.text),
                            validity="已废止")
    truth.page_ok(site.spec.id, "repealed_regulation", site.url(item.path), "repealed_regulation_marked")


def plant_regulations_guangzhou(site: UnitSite, truth: Truth) -> None:
    """The current text re-formatted (fine), the current text with an article changed
    (outdated), the 2012 text on two pages (outdated, two rows)."""
    folder = site.add_list(*LAWS_LIST)
    current, first = _version(FAMILY), _version(FAMILY, "2012-05-10")

    item = _regulation_item(site, folder, FAMILY, current, "示范令第3号", _reformatted(current.text))
    truth.page_ok(site.spec.id, "outdated_regulation", site.url(item.path), "regulation_current_reformatted")

    altered = _altered(current.text)
    item = _regulation_item(site, folder, f"{FAMILY}（2020年修订）", current, "示范令第3号", _paragraphs(altered))
    _outdated(truth, site, item, altered, current)

    # The first text published twice: once when it came out, once more in a later clean-up.
    for title in (FAMILY, f"《{FAMILY}》"):
        item = _regulation_item(site, folder, title, first, "示范令第1号", _paragraphs(first.text))
        _outdated(truth, site, item, first.text, first)

"""wrong_link (错链): a link whose target works but is not what the link promises.

Three cases, each explained in the finding: the link names one unit and the page it opens names
another (landing on another unit's or the headquarters' site is no fault by itself); the target is a parked/for-sale or gambling page; a long link text shares
(almost) nothing with the target's title, main heading or text. Precision matters more than
recall: when the target gives too little to judge by, nothing is said.

Chinese is compared without word segmentation, by character bigrams.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from checks.facts import FetchResult
from checks.hosts import host_and_port, host_of, same_site
from checks.rules import Rules

_CJK = re.compile(r"[\u4e00-\u9fff]")
_KEEP = re.compile(r"[^0-9a-z\u4e00-\u9fff]")
# Parts of a page title that name the site rather than the page ("关于…的公告_南京海关").
_TITLE_SEPARATORS = re.compile(r"\s[-|—–·]\s|[_|—–·]|--|\s-|-\s|\s{2,}")
_SITE_WORDS = ("中华人民共和国", "首页", "主页", "门户网站", "官方网站", "网站", "欢迎访问", "欢迎您", "index", "home")
# A run of the link text this long (as a share of it) found in the target's text proves relation.
_RUN_SHARE = 0.6
# Share of the link text's bigrams the target's text must hold to be related.
_CONTAINMENT = 0.5


def _clean(text: str) -> str:
    return _KEEP.sub("", unicodedata.normalize("NFKC", text or "").lower())


def _bigrams(text: str) -> set[str]:
    if len(text) < 2:
        return {text} if text else set()
    return {text[i:i + 2] for i in range(len(text) - 1)}


def bigram_similarity(a: str, b: str) -> float:
    """Dice coefficient of the character bigrams of two texts (punctuation, spaces and width
    ignored): 1.0 for the same text, 0.0 for texts without a common pair of characters."""
    first, second = _bigrams(_clean(a)), _bigrams(_clean(b))
    if not first or not second:
        return 0.0
    return 2 * len(first & second) / (len(first) + len(second))


def wrong_link_detail(
    link_text: str,
    page_unit_host: str,
    target: FetchResult,
    other_unit_hosts: dict[str, str],
    this_unit_name: str,
    rules: Rules,
) -> str | None:
    """Why the link is a wrong link, in Chinese; None when it is fine or cannot be judged.

    `other_unit_hosts` maps the hosts of the other customs units to their names (hosts this unit
    uses itself must not be in it). Only a 200 HTML answer is judged.
    """
    if target.status != 200 or not _is_html(target):
        return None
    host = host_of(target.final_url or target.url)
    text = " ".join(unicodedata.normalize("NFKC", link_text or "").split())
    title = " ".join(unicodedata.normalize("NFKC", target.title or "").split())
    heading = " ".join(unicodedata.normalize("NFKC", target.heading or "").split())
    return (
        _parked_or_gambling(host, title, target.text, other_unit_hosts, page_unit_host, rules)
        or _other_unit(text, title, heading, host, page_unit_host, other_unit_hosts, this_unit_name, rules)
        or _unrelated_title(text, title, heading, target, other_unit_hosts, this_unit_name, rules)
    )


def _is_html(target: FetchResult) -> bool:
    content_type = (target.content_type or "").lower()
    return "html" in content_type or (not content_type and bool(target.title or target.text))


def _parked_or_gambling(host: str, title: str, body: str, other_unit_hosts: dict[str, str],
                        page_unit_host: str, rules: Rules) -> str | None:
    lowered_title, lowered_body = title.lower(), (body or "").lower()
    for keyword, lowered in _lowered(rules.wrong_link.parked_keywords):
        if lowered in lowered_title or lowered in lowered_body:
            return f"目标网站（{host}）是停放或待售域名页面（含“{keyword}”），原网站已不在该域名上"
    # Government sites report on gambling cases ("查获百家乐赌具"): they are not gambling pages.
    official = host_and_port(host)[0].endswith(".gov.cn") or any(same_site(host, h) for h in [*other_unit_hosts, page_unit_host])
    if official:
        return None
    gambling = _lowered(rules.wrong_link.gambling_keywords)
    in_title = [keyword for keyword, lowered in gambling if lowered in lowered_title]
    in_body = [keyword for keyword, lowered in gambling if lowered in lowered_body]
    if in_title:
        return f"目标网站（{host}）疑似博彩网站：页面标题含“{in_title[0]}”，域名可能已被他人占用"
    if len(in_body) >= 2:
        return f"目标网站（{host}）疑似博彩网站：页面含“{in_body[0]}”“{in_body[1]}”，域名可能已被他人占用"
    return None


@lru_cache(maxsize=8)
def _lowered(keywords: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """Each keyword with its lower case, made once per list rather than once per page judged."""
    return tuple((keyword, keyword.lower()) for keyword in keywords)


def _other_unit(text: str, title: str, heading: str, host: str, page_unit_host: str,
                other_unit_hosts: dict[str, str], this_unit_name: str, rules: Rules) -> str | None:
    """A link that names one unit and opens a page that names another one instead.

    The target's host alone proves nothing: units link to the headquarters' pages and to each
    other's, the headquarters' site carries the units' trees and a unit's host serves the
    headquarters' tree. What the link says and what the page says must disagree.
    """
    if not host or same_site(host, page_unit_host):
        return None
    names = [name for name in [this_unit_name, *other_unit_hosts.values()] if name]
    squeezed = "".join(text.split())
    named = _names_in(squeezed, names)
    if not named and any(word in squeezed for word in rules.wrong_link.own_content_words):
        named = [this_unit_name]
    shown = _names_in("".join(f"{title}{heading}".split()), names)
    if not named or not shown or set(named) & set(shown):
        return None
    return f"链接文字指向{named[0]}的内容，实际打开的是{shown[0]}的页面（{host}）"


def _names_in(text: str, names: list[str]) -> list[str]:
    """The unit names `text` holds; "南京海关" inside "南京海关缉私局" names Nanjing: the longer wins."""
    found = [name for name in names if name in text]
    return [name for name in found if not any(name != other and name in other for other in found)]


def _unrelated_title(text: str, title: str, heading: str, target: FetchResult,
                     other_unit_hosts: dict[str, str], this_unit_name: str, rules: Rules) -> str | None:
    if len(_CJK.findall(text)) < rules.wrong_link.min_text_chars:
        return None
    site_names = sorted({n for n in [this_unit_name, *other_unit_hosts.values()] if n}, key=len, reverse=True)
    subject = _strip_site(text, site_names)
    if len(_CJK.findall(subject)) < rules.wrong_link.min_text_chars // 2:
        return None  # the text is mostly a unit name: nothing specific to compare
    candidates = [part for part in [*_TITLE_SEPARATORS.split(title), title, heading]
                  if len(_CJK.findall(_strip_site(part, site_names))) >= 2]
    similarity = max((bigram_similarity(subject, _strip_site(c, site_names)) for c in candidates), default=0.0)
    if similarity >= rules.wrong_link.max_title_similarity:
        return None
    if _mentioned(subject, target.text or ""):
        return None  # the page holds what the link promises, under a poor title
    if candidates:
        informative_title = len(_CJK.findall(_strip_site(title, site_names))) >= 2
        shown = f"标题“{title}”" if informative_title else f"主标题“{heading}”"
        return (f"目标页面{shown}与链接文字“{text}”几乎没有共同之处"
                f"（字符二元组相似度{similarity:.2f}），页面内容也未提及链接所指内容")
    # A title that only names the site says nothing about the page, and the page text may be cut
    # before the article: only a deep link redirected to the home page is known to have lost it.
    if not _is_home(target.url) and _is_home(target.final_url or target.url) and target.text:
        return f"链接文字“{text}”所指内容未找到，链接打开的是网站首页（标题“{title}”）"
    return None


def _is_home(url: str) -> bool:
    return re.fullmatch(r"/?(?:index\.\w+)?", urlsplit(url).path) is not None


def _strip_site(text: str, site_names: list[str]) -> str:
    for name in site_names:
        text = text.replace(name, " ")
    for word in _SITE_WORDS:
        text = text.replace(word, " ")
    return text


def _mentioned(subject: str, body: str) -> bool:
    """Whether the page text holds the link text: most of its bigrams, or a long run of it."""
    wanted, page = _clean(subject), _clean(body)
    if not wanted or not page:
        return False
    pairs = _bigrams(wanted)
    if len(pairs & _bigrams(page)) >= _CONTAINMENT * len(pairs):
        return True
    run = max(2, round(_RUN_SHARE * len(wanted)))
    return any(wanted[i:i + run] in page for i in range(len(wanted) - run + 1))

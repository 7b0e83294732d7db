"""Link verdicts: broken_link, soft_404, link_blocked and site_unreachable.

Every function here works on plain facts (FetchResult, Link), so the rules are tested without
a network. The crawler fetches; these functions decide and explain, in Chinese, for inspectors.
"""
from __future__ import annotations

import ipaddress
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from checks.facts import ATTACHMENT, ERROR_KINDS, LIMIT_ERROR_KINDS, MALFORMED, PAGE, FetchResult, Link
from checks.findings import Finding
from checks.hosts import host_of

# Phrases that mark an error page when they stand in its title or main heading, or fill a
# short body. "404" counts only as a status, never inside a document number like 〔2021〕404号.
ERROR_PHRASES = (
    "页面不存在",
    "您访问的页面不存在",
    "您所访问的页面不存在",
    "页面未找到",
    "找不到页面",
    "网页不存在",
    "文件不存在",
    "信息不存在",
    "该信息已删除",
    "内容已删除",
    "页面已删除",
    "not found",
    "page not found",
    "file not found",
)
_STATUS_404 = re.compile(r"(?<![〔\[（(\d])\b404\b(?!\s*号)(?!\d)", re.IGNORECASE)
SHORT_BODY_CHARS = 600
# A 200 page this close to the host's answer for a non-existent path is that error page.
BASELINE_SIMILARITY = 0.9
SHINGLED_CHARS = 5000
# A fixed path per host whose answer is that host's error baseline (fixed: runs are reproducible).
# The status of a server refusing a client that asks too often (retried with back-off first).
RATE_LIMITED = 429
PROBE_PATH = "/customs-audit-probe-404/d0e5a3c1-non-existent.html"


@dataclass(frozen=True)
class Verdict:
    check: str
    detail: str


def is_private_host(host: str) -> bool:
    """True for an address (or 'localhost') that the public internet cannot reach."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return not address.is_global


def error_page_signal(title: str, heading: str, text: str) -> str:
    """Why a page answering 200 is an error page ('' when it is not one)."""
    for label, value in (("标题", title), ("主标题", heading)):
        phrase = _error_phrase(value)
        if phrase:
            return f"页面{label}为“{value.strip()[:40]}”（含“{phrase}”）"
    stripped = " ".join(text.split())
    if stripped and len(stripped) <= SHORT_BODY_CHARS:
        phrase = _error_phrase(stripped)
        if phrase:
            return f"页面正文很短且含“{phrase}”"
    return ""


def _error_phrase(value: str) -> str:
    lowered = value.lower()
    for phrase in ERROR_PHRASES:
        if phrase in lowered:
            return phrase
    if "404" in value and _STATUS_404.search(value):
        return "404"
    return ""


def baseline_similarity(result: FetchResult, baseline: FetchResult) -> float:
    """How close a page's text is to the host's answer for a non-existent path (0..1).

    Jaccard similarity of the texts' 4-character shingles: near-identical pages score near 1,
    and it costs one set operation however alike the pages' templates are.
    """
    if not result.text or not baseline.text:
        return 0.0
    mine, theirs = _shingles(result.text), _baseline_shingles(baseline.text)
    if not mine or not theirs:
        return float(result.text == baseline.text)
    return len(mine & theirs) / len(mine | theirs)


def _shingles(text: str) -> frozenset[str]:
    text = text[:SHINGLED_CHARS]
    return frozenset(text[i:i + 4] for i in range(max(0, len(text) - 3)))


# A host's error page is compared with every page of the host: its shingles are built once. A
# page's are built for its one comparison and not kept (5,000 characters make about 1 MB).
_baseline_shingles = lru_cache(maxsize=16)(_shingles)


def _is_html(result: FetchResult) -> bool:
    return "html" in result.content_type.lower()


def describe_failure(result: FetchResult) -> str:
    """The failure of a fetch in the inspector's words, technical token included."""
    chain = _chain_text(result)
    if result.error_kind:
        name = ERROR_KINDS.get(result.error_kind, ERROR_KINDS["other"])
        message = f"{name}（{result.error}）" if result.error else name
        if result.error_kind in ("redirect_loop", "too_many_redirects") and chain:
            message += f"：{chain}"
        return message
    message = f"HTTP {result.status}"
    if chain:
        message += f"，重定向链：{chain}"
    return message


def _chain_text(result: FetchResult) -> str:
    return " → ".join(result.redirects) if len(result.redirects) > 1 else ""


def classify_link(
    link: Link, result: FetchResult, baseline: FetchResult | None = None, public_site: bool = False
) -> Verdict | None:
    """The verdict on one checked link, None when the link is fine.

    `baseline` is the host's answer for PROBE_PATH; `public_site` says the carrying unit is on
    the public internet, where a link into a private network is unreachable for its readers.
    """
    if link.kind == MALFORMED:
        return Verdict("broken_link", describe_failure(result))
    if public_site and is_private_host(urlsplit(link.url).hostname or ""):
        return Verdict("broken_link", f"{ERROR_KINDS['private_address']}（{urlsplit(link.url).hostname}）")
    if result.challenge:
        return Verdict("link_blocked", result.challenge)
    if result.error_kind in LIMIT_ERROR_KINDS:
        return None  # not judged: the unit's crawl_limit row names it
    if result.status == RATE_LIMITED:  # still refused after the back-off: a rate limit, not a dead link
        return Verdict("link_blocked", rate_limit_reason(result))
    if result.error_kind or (result.status is not None and result.status >= 400):
        return Verdict("broken_link", describe_failure(result))
    if result.status is None or result.status >= 300:
        return None
    if link.kind == ATTACHMENT and _is_html(result):
        signal = error_page_signal(result.title, "", result.text)
        reason = f"，且{signal}" if signal else ""
        return Verdict("soft_404", f"附件链接返回的是HTML网页而不是文件（Content-Type: {result.content_type}）{reason}")
    if not _is_html(result):
        return None
    signal = error_page_signal(result.title, result.heading, result.text)
    if signal:
        return Verdict("soft_404", f"HTTP {result.status}，但{signal}，是错误页面")
    similarity = _likeness_to_baseline(result, baseline) if baseline is not None else 0.0
    if similarity >= BASELINE_SIMILARITY:
        return Verdict("soft_404", f"HTTP {result.status}，但内容与该站点不存在页面的返回内容几乎相同（相似度 {similarity:.0%}）")
    return None


def _likeness_to_baseline(result: FetchResult, baseline: FetchResult) -> float:
    """The page's similarity to its host's error page; 0 when the page cannot be that error page."""
    if baseline.status is None or not _is_html(baseline):
        return 0.0
    # A host that redirects unknown paths to its home page must not make its home page an error,
    # and a host's root is never a missing page (a parked domain answers it like any path).
    if (baseline.final_url or baseline.url) == (result.final_url or result.url) and len(result.redirects) <= 1:
        return 0.0
    if not _sizes_allow_match(result.text, baseline.text) or urlsplit(result.url).path in ("", "/"):
        return 0.0
    return baseline_similarity(result, baseline)


def _sizes_allow_match(text: str, baseline_text: str) -> bool:
    """Whether the texts' shingle sets can be alike enough, judged by their sizes alone.

    Jaccard similarity is at most smaller set / larger set. A text of n characters has at most
    n - 3 shingles, and at least as many as its first characters hold: counting those up to
    twice what could still match the error page rules out most pages of a site without
    building their whole shingle sets.
    """
    text = text[:SHINGLED_CHARS]
    theirs = len(_baseline_shingles(baseline_text))
    if len(text) < 4 or not theirs:
        return True  # too short to bound: compared as they are
    if len(text) - 3 < BASELINE_SIMILARITY * theirs:
        return False
    counted = 2 * int(theirs / BASELINE_SIMILARITY) + 2  # shingles of the first characters
    if counted >= len(text) - 3:
        return True  # as dear as comparing them
    first = text[:counted + 3]
    return theirs >= BASELINE_SIMILARITY * len({first[i:i + 4] for i in range(counted)})


@dataclass(frozen=True)
class CarriedLink:
    """A link as one crawled page of a unit carries it."""

    page_url: str
    section: str  # the part of the site the page belongs to (for grouping challenged links)
    link: Link


def by_target(carried: Iterable[CarriedLink], result_of: Callable[[str], FetchResult | None]
              ) -> tuple[list[tuple[str, FetchResult | None, list[Link]]], Callable[[list[str]], Iterator[tuple[str, CarriedLink]]]]:
    """`link_findings`' targets and pairs for links held in page order rather than by target (the
    target URL as its key)."""
    grouped: dict[str, list[CarriedLink]] = defaultdict(list)
    for item in carried:
        grouped[item.link.url].append(item)
    targets = [(url, result_of(url), list(dict.fromkeys(Link(i.link.url, i.link.text, "", i.link.kind) for i in items)))
               for url, items in grouped.items()]
    return targets, lambda keys: ((key, item) for key in keys for item in grouped[key])


@dataclass(frozen=True)
class _Judged:
    """What a target with a finding leaves for its pairs: its verdict per spelling and kind and per
    link text, its status and evidence (the result itself only when its links are blocked)."""

    verdicts: dict[tuple[str, str], Verdict | None]
    promises: dict[str, Verdict | None]
    status: int | None
    evidence: dict
    blocking: FetchResult | None


def link_findings(
    unit_id: str,
    targets: Iterable[tuple[str, FetchResult | None, Iterable[Link]]],
    carried_links: Callable[[list[str]], Iterable[tuple[str, CarriedLink]]],
    baseline_of: Callable[[str], FetchResult | None],
    public_site: bool,
    wrong_link: Callable[[str, FetchResult], str | None] = lambda text, result: None,
) -> list[Finding]:
    """Findings for every (page, target) pair of a unit; challenged targets grouped per host and section.

    `targets`: each checked target's key, result (None: never fetched) and the distinct ways pages
    write the link to it (url, text, kind), read once, in order: a target is judged once per
    spelling and kind and once per link text, and its findings share one evidence. Only then are the
    pairs asked of `carried_links(keys)`, for the targets with a finding, in the order given: the
    (key, pair) of every page and link carrying them, by target. `wrong_link` judges a working page
    link's text against the page it opens (checks.wrong_link).
    """
    judged: dict[str, _Judged] = {}
    for key, result, links in targets:
        if result is None:
            continue
        links = list(links)
        verdicts: dict[tuple[str, str], Verdict | None] = {}
        for link in links:
            if (link.url, link.kind) not in verdicts:
                verdicts[link.url, link.kind] = classify_link(
                    Link(link.url, "", "", link.kind), result, baseline_of(host_of(link.url)), public_site)
        # A page linking a URL as a page and otherwise too carries it as a page with its fullest
        # words: each text of a URL that works as a page is judged.
        promises: dict[str, Verdict | None] = {}
        for link in links:
            if link.text not in promises and (link.url, PAGE) in verdicts and verdicts[link.url, PAGE] is None:
                detail = wrong_link(link.text, result)
                promises[link.text] = Verdict("wrong_link", detail) if detail else None
        if any(verdicts.values()) or any(promises.values()):
            blocking = any(v is not None and v.check == "link_blocked" for v in verdicts.values())
            judged[key] = _Judged(verdicts, promises, result.status, result.evidence(), result if blocking else None)
    findings: list[Finding] = []
    blocked: dict[tuple[str, str], list[tuple[CarriedLink, FetchResult]]] = defaultdict(list)
    for key, item in carried_links(list(judged)) if judged else ():
        target, link = judged[key], item.link
        verdict = target.verdicts[link.url, link.kind]
        if verdict is None and link.kind == PAGE:
            verdict = target.promises[link.text]
        if verdict is None:
            continue
        if verdict.check == "link_blocked":
            blocked[(host_of(link.url), item.section)].append((item, target.blocking))
            continue
        findings.append(Finding(unit_id=unit_id, check=verdict.check, page_url=item.page_url,
                                detail=verdict.detail, target_url=link.url, link_text=link.text,
                                http_status=target.status, evidence=target.evidence))
    for (host, section), items in blocked.items():
        findings.append(blocked_finding(unit_id, host, section, items))
    return findings


def rate_limit_reason(result: FetchResult) -> str:
    """Why a 429 answer kept a link from being verified, with the wait the server asked for."""
    wait = result.headers.get("Retry-After")
    return f"以 HTTP {RATE_LIMITED} 限制访问频率（{f'Retry-After: {wait}' if wait else '未给出 Retry-After'}，" \
           f"重试 {result.attempts - 1} 次后仍被拒绝）"


def blocked_finding(unit_id: str, host: str, section: str, items: list[tuple[CarriedLink, FetchResult]]) -> Finding:
    """ONE row for all links of a section that a firewall challenge or a rate limit kept from being verified."""
    first_page = min(item.page_url for item, _ in items)
    targets = {item.link.url for item, _ in items}
    result = items[0][1]
    reason = (f"的防火墙以 HTTP {result.status} 返回JavaScript验证（{result.challenge}）" if result.challenge
              else rate_limit_reason(result))
    return Finding(
        unit_id=unit_id,
        check="link_blocked",
        page_url=first_page,
        detail=f"{host} {reason}，“{section}”中 {len(targets)} 个链接未能核验",
        target_url="",
        http_status=result.status,
        evidence=result.evidence(),
    )

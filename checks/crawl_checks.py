"""Findings about the crawl of a unit as a whole: site_unreachable (or blocked) and crawl_limit."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from checks.facts import FetchResult
from checks.findings import Finding
from checks.link_checks import RATE_LIMITED, describe_failure, rate_limit_reason
from checks.sections import COLUMN_NAME


def site_findings(
    unit_id: str,
    home_url: str,
    home: FetchResult | None,
    column_url: str | None,
    column: FetchResult | None,
    looks_for_column: bool,
) -> list[Finding]:
    """site_unreachable for a home page or column that cannot be fetched.

    Nothing is concluded behind an anti-bot challenge: that is reported as link_blocked. A unit
    without a column is the sections check's `missing_section`.
    """
    finding = _unreachable_or_blocked(unit_id, home_url, home, "首页", "整个站点未能核验")
    if finding is None and looks_for_column and column_url is not None:
        finding = _unreachable_or_blocked(unit_id, column_url, column, COLUMN_NAME, "栏目内容未能核验")
    return [finding] if finding else []


def _unreachable_or_blocked(unit_id: str, url: str, result: FetchResult | None, name: str,
                            unseen: str) -> Finding | None:
    """site_unreachable when the page (home or column) cannot be fetched, link_blocked behind a
    challenge or a rate limit."""
    if result is not None and result.status == RATE_LIMITED:
        return Finding(unit_id, "link_blocked", url, f"{name}{rate_limit_reason(result)}，{unseen}",
                       http_status=result.status)
    if result is None or _failed(result):
        reason = describe_failure(result) if result else "未获得任何响应"
        return Finding(unit_id, "site_unreachable", url, f"{name}无法访问：{reason}",
                       http_status=result.status if result else None)
    if result.challenge:
        return Finding(unit_id, "link_blocked", url,
                       f"{name}被防火墙以 HTTP {result.status} JavaScript验证（{result.challenge}）拦截，{unseen}",
                       http_status=result.status)
    return None


def _failed(result: FetchResult) -> bool:
    return bool(result.error_kind) or result.status is None or (result.status >= 400 and not result.challenge)


def crawl_limit_finding(unit_id: str, home_url: str, limits: list[str]) -> Finding | None:
    """One row telling the inspector this unit's findings may be incomplete, and why."""
    if not limits:
        return None
    return Finding(unit_id, "crawl_limit", home_url, "检查未完成，结果可能不全：" + "；".join(limits))


# The setting behind each limit a result can show (error kind or note): run.json counts the
# unit's hits under these names.
LIMIT_SETTINGS = {
    "too_large": "download_maxsize",
    "decompressed_too_large": "decompressed_maxsize",
    "url_too_long": "urllength_limit",
    "timeout": "download_timeout",
    "too_many_redirects": "redirect_max_times",
    "redirect_loop": "redirect_max_times",  # a loop, too, ends at the redirect limit
    "download_warnsize": "download_warnsize",
    "undecodable_text": "undecodable_pages",  # not a limit: extraction degraded, the page still read
}
SAMPLE_URLS = 5  # URLs a line names per limit: the inspector sees which, not thousands
SHOWN_URL_CHARS = 100


def limit_stats(targets: Iterable[tuple[str, FetchResult]]) -> dict[str, int]:
    """Hits per limit setting among a unit's targets (url, result), for run.json."""
    counts: Counter = Counter()
    for _url, result in targets:
        for what in (result.error_kind, *result.notes):
            if what in LIMIT_SETTINGS:
                counts[LIMIT_SETTINGS[what]] += 1
    return dict(sorted(counts.items()))


def hidden_by_limits(targets: list[tuple[str, FetchResult]], maxsize: int, urllength: int) -> list[str]:
    """crawl_limit lines: each limit that kept a target from being judged, with what it skipped."""
    size = f"{maxsize / (1 << 20):g} MB"
    lines = []
    for kind, what in (("too_large", f"超过下载大小上限（DOWNLOAD_MAXSIZE {size}）"),
                       ("decompressed_too_large", f"解压后超过大小上限（{size}，疑似压缩炸弹）"),
                       ("url_too_long", f"地址超过 {urllength} 个字符（URLLENGTH_LIMIT）")):
        urls = [url for url, result in targets if result.error_kind == kind]
        if urls:
            lines.append(f"{len(urls)} 个链接{what}，未检查：{sample(urls)}")
    return lines


def unreached_unlinked_pages(results: list[tuple[str, FetchResult | None]]) -> list[str]:
    """List pages no page links (built from a jump box's or a pager script's URL pattern, or
    predicted from the pager's numbering) that could not be fetched: the pattern or the guess was
    wrong, or the page is gone. Not broken links (nothing links them): a limit of the check."""
    return [url for url, result in results if result is None or _failed(result)]


def unlinked_pages_line(urls: list[str]) -> str:
    """The crawl_limit line for `unreached_unlinked_pages`."""
    return f"{len(urls)} 个列表分页无链接可达，按分页地址规律生成后无法访问，其中条目未检查：{sample(urls)}"


def undecodable_note(targets: list[tuple[str, FetchResult]]) -> str:
    """A crawl note for pages read with characters their encoding could not give ('' when none)."""
    urls = [url for url, result in targets if "undecodable_text" in result.notes]
    return f"{len(urls)} 个页面的实际编码与声明不符，部分文字无法解码：{sample(urls)}" if urls else ""


def sample(urls: list[str]) -> str:
    shown = "、".join(url if len(url) <= SHOWN_URL_CHARS else url[:SHOWN_URL_CHARS] + "…" for url in urls[:SAMPLE_URLS])
    return shown + (f" 等 {len(urls)} 个" if len(urls) > SAMPLE_URLS else "")

"""Findings about the crawl of a unit as a whole: site_unreachable (or blocked) and crawl_limit."""
from __future__ import annotations

from checks.facts import FetchResult
from checks.findings import Finding
from checks.link_checks import describe_failure
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
    if home is None or _failed(home):
        reason = describe_failure(home) if home else "未获得任何响应"
        return [Finding(unit_id, "site_unreachable", home_url, f"首页无法访问：{reason}",
                        http_status=home.status if home else None)]
    if home.challenge:
        return [Finding(unit_id, "link_blocked", home_url,
                        f"首页被防火墙以 HTTP {home.status} JavaScript验证（{home.challenge}）拦截，"
                        "整个站点未能核验", http_status=home.status)]
    if not looks_for_column or column_url is None:
        return []
    if column is None or _failed(column):
        reason = describe_failure(column) if column else "未获得任何响应"
        return [Finding(unit_id, "site_unreachable", column_url, f"{COLUMN_NAME}无法访问：{reason}",
                        http_status=column.status if column else None)]
    if column.challenge:
        return [Finding(unit_id, "link_blocked", column_url,
                        f"{COLUMN_NAME}被防火墙以 HTTP {column.status} JavaScript验证（{column.challenge}）拦截，"
                        "栏目内容未能核验", http_status=column.status)]
    return []


def _failed(result: FetchResult) -> bool:
    return bool(result.error_kind) or result.status is None or (result.status >= 400 and not result.challenge)


def crawl_limit_finding(unit_id: str, home_url: str, limits: list[str]) -> Finding | None:
    """One row telling the inspector this unit's findings may be incomplete, and why."""
    if not limits:
        return None
    return Finding(unit_id, "crawl_limit", home_url, "检查未完成，结果可能不全：" + "；".join(limits))

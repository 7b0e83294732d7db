"""What a check produces: a finding an inspector can act on, and the catalogue of check codes."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class CheckInfo:
    code: str
    name: str  # Chinese name shown to inspectors
    severity: str  # high | medium | low


CATALOG: dict[str, CheckInfo] = {
    info.code: info
    for info in (
        CheckInfo("broken_link", "断链", "high"),
        CheckInfo("soft_404", "无效链接", "high"),
        CheckInfo("wrong_link", "错链", "medium"),
        CheckInfo("link_blocked", "无法核验", "low"),
        CheckInfo("missing_section", "栏目缺失", "high"),
        CheckInfo("empty_section", "空白栏目", "high"),
        CheckInfo("stale_section", "栏目不更新", "medium"),
        CheckInfo("missing_metadata", "元数据缺失", "low"),
        CheckInfo("invalid_document", "失效文件", "medium"),
        CheckInfo("outdated_regulation", "法规文本过时", "high"),
        CheckInfo("repealed_regulation", "法规已废止", "high"),
        CheckInfo("ipv6_no_aaaa", "无IPv6解析", "high"),
        CheckInfo("ipv6_unreachable", "IPv6不可访问", "high"),
        CheckInfo("ipv6_mismatch", "IPv6内容不一致", "medium"),
        CheckInfo("ipv6_links", "链接IPv6支持率不足", "medium"),
        CheckInfo("ipv6_ns", "域名服务器无IPv6", "low"),
        CheckInfo("site_unreachable", "站点无法访问", "high"),
        CheckInfo("crawl_limit", "检查未完成", "low"),
    )
}

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}
SEVERITY_NAMES = {"high": "高", "medium": "中", "low": "低"}  # as every report and the terminal show them

# Checks whose identity is the (page, target) pair alone: their detail (a status, an error
# message) may change from night to night without making it another finding.
LINK_CHECKS = {"broken_link", "soft_404", "wrong_link"}


@dataclass(frozen=True)
class Finding:
    """One problem on one page. `target_url`, `link_text` and `http_status` are for link checks."""

    unit_id: str
    check: str
    page_url: str
    detail: str
    target_url: str = ""
    link_text: str = ""
    http_status: int | None = None
    # how the crawl saw it (FetchResult.evidence()); not part of the finding's identity
    evidence: dict | None = field(default=None, compare=False, hash=False)

    def __post_init__(self) -> None:
        if self.check not in CATALOG:
            raise ValueError(f"unknown check code: {self.check}")

    @property
    def info(self) -> CheckInfo:
        return CATALOG[self.check]

    def sort_key(self) -> tuple:
        return (SEVERITY_RANK[self.info.severity], self.page_url, self.check, self.target_url)


def stable_detail(finding: Finding) -> str:
    """The part of the detail that names what is wrong (a section, a host), not how it looks tonight."""
    if finding.check in LINK_CHECKS:
        return ""
    return re.split(r"[：:，,（(\s]", finding.detail, maxsplit=1)[0]


def fingerprint(finding: Finding) -> str:
    """A finding's identity across runs: the history and `accept` know it by this."""
    key = "\x1f".join((finding.unit_id, finding.check, finding.page_url, finding.target_url, stable_detail(finding)))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:20]

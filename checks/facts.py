"""The facts a crawl gathers, as plain data: what flows from the crawler into the checks."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

# How a link is checked: pages are fetched with GET (their body matters), resources and
# attachments with HEAD first; a malformed link (written so that it cannot work) is not fetched.
PAGE, RESOURCE, ATTACHMENT, MALFORMED = "page", "resource", "attachment", "malformed"


class Link(NamedTuple):
    """A link as one page carries it, made absolute. A tuple: a crawl makes one for every link of
    every page, and hashes it to drop repeats."""

    url: str
    text: str  # anchor text, or alt/title of an image; '' when none
    tag: str  # a, area, img, link, script, iframe, frame, embed, object, video, audio, source; option (a link dropdown)
    kind: str  # PAGE | RESOURCE | ATTACHMENT | MALFORMED (url is then the href as written)


@dataclass
class FetchResult:
    """The outcome of checking one URL (after retries and redirects)."""

    url: str
    method: str = "GET"
    status: int | None = None  # final HTTP status, None when no response
    final_url: str = ""
    redirects: list[str] = field(default_factory=list)  # every URL of the chain, the first included
    error_kind: str | None = None  # see ERROR_KINDS
    error: str = ""  # the technical message
    content_type: str = ""
    title: str = ""
    heading: str = ""  # the main heading (h1), for error-page detection
    text: str = ""  # visible text (bounded), for error-page detection
    challenge: str = ""  # anti-bot challenge marker when one was recognised
    retry_after: float | None = None
    attempts: int = 1
    # evidence an auditor can point to later
    fetched_at: str = ""  # ISO time of the final answer (Asia/Shanghai)
    headers: dict = field(default_factory=dict)  # the response headers that matter (EVIDENCE_HEADERS)
    body_sha256: str = ""  # of the body as received ('' when none was read)
    # what the answer went past or lost on the way: download_warnsize, undecodable_text (crawler.crawl.limits)
    notes: list[str] = field(default_factory=list)
    # YYYY-MM-DD of the night that last verified it, when a nightly run carried it over unfetched
    verified_on: str = ""

    def evidence(self) -> dict:
        """What proves this result later: status or error, redirect chain, time, headers, body hash."""
        proof = {"url": self.url, "method": self.method, "status": self.status, "fetched_at": self.fetched_at}
        if self.error_kind:
            proof["error"] = f"{self.error_kind}: {self.error}"
        if len(self.redirects) > 1:
            proof["redirects"] = self.redirects
        if self.headers:
            proof["headers"] = self.headers
        if self.body_sha256:
            proof["body_sha256"] = self.body_sha256
        if self.verified_on:
            proof["last_verified"] = self.verified_on
        return proof


# Response headers kept as evidence of a finding.
EVIDENCE_HEADERS = ("Content-Type", "Content-Length", "Location", "Retry-After", "Server", "Date",
                    "Last-Modified", "ETag")


# error_kind values and their Chinese names for the inspector
ERROR_KINDS = {
    "dns": "域名无法解析",
    "refused": "连接被拒绝",
    "timeout": "请求超时",
    "tls": "TLS/SSL错误",
    "connection": "连接中断",
    "redirect_loop": "重定向循环",
    "too_many_redirects": "重定向次数过多",
    "private_address": "指向内网地址，公众无法访问",
    "malformed_url": "链接格式错误",
    "bad_redirect": "重定向到非 http(s) 地址，未跟随",
    "bad_response": "服务器返回无效的HTTP响应",
    "data_loss": "响应数据不完整（连接在内容结束前断开）",
    "bad_encoding": "内容解码失败（Content-Encoding 与内容不符）",
    "too_large": "超过下载大小上限",
    "decompressed_too_large": "解压后超过大小上限",
    "url_too_long": "链接地址过长",
    "other": "请求失败",
}

# Failures that may be passing: confirmed by one more attempt later in the run.
TRANSIENT_ERROR_KINDS = {"timeout", "refused", "connection", "bad_response", "data_loss", "other"}
# A limit stopped the download: the target was not judged, the unit's crawl_limit row names it.
LIMIT_ERROR_KINDS = {"too_large", "decompressed_too_large", "url_too_long"}


def is_transient(result: FetchResult) -> bool:
    if result.error_kind is not None:
        return result.error_kind in TRANSIENT_ERROR_KINDS
    return result.status is not None and result.status >= 500

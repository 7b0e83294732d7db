"""整改通知: the rectification notice the disclosure office sends a unit, as a .docx.

From one stored run: the unit's open findings grouped by check, each saying where, what is
wrong and what to do; those an earlier notice already listed are marked (逾期未整改 once its
reply deadline has passed); the findings fixed since the previous notice are listed as 已整改;
the reply form (整改情况反馈表) has one row per finding. Accepted findings are left out. Every
notice written is remembered in the history, so the next one knows what was asked before.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from itertools import groupby
from pathlib import Path
from typing import Protocol

from checks.files import write_atomic
from checks.findings import CATALOG, LINK_CHECKS, SEVERITY_NAMES, SEVERITY_RANK, Finding
from crawler.outcome.history import History, HistoryError, IssuedNotice
from crawler.outcome.model import Resolved, Seen, UnitReport
from crawler.report import official
from crawler.report.rows import open_rows

# What the unit is asked to do, by check.
REMEDIES = {
    "broken_link": "请修复链接地址或删除该链接。",
    "soft_404": "请修复链接地址或删除该链接。",
    "wrong_link": "请核实链接指向，改为正确地址或删除该链接。",
    "link_blocked": "请调整防火墙验证策略，确保公众和检查程序能够正常访问上述页面。",
    "missing_section": "请按要求设置该栏目并发布相应内容。",
    "empty_section": "请及时补充栏目内容，确无内容的栏目予以撤并。",
    "stale_section": "请及时更新栏目内容。",
    "missing_metadata": "请补全该文件的缺失要素。",
    "invalid_document": "请将已失效或废止的文件移出现行有效栏目，或标注其效力状态。",
    "outdated_regulation": "请更新为现行有效文本。",
    "repealed_regulation": "请撤下或标注已废止，并链接现行有效的法规。",
    "ipv6_no_aaaa": "请为网站域名配置IPv6解析（AAAA记录）。",
    "ipv6_unreachable": "请检查IPv6网络和服务配置，确保网站可通过IPv6访问。",
    "ipv6_mismatch": "请确保通过IPv6与IPv4访问网站的内容一致。",
    "ipv6_links": "请提高网站链接的IPv6支持率。",
    "ipv6_ns": "请为域名服务器配置IPv6。",
    "site_unreachable": "请尽快排查原因，恢复网站正常访问。",
    "crawl_limit": "请核查所列页面能否正常访问。",
}


def finding_sentence(finding: Finding) -> str:
    """Where, what is wrong, what to do — one sentence an inspector can read out."""
    if finding.check in LINK_CHECKS:
        text = f"“{finding.link_text.strip()}”" if finding.link_text.strip() else ""
        where = f"页面 {finding.page_url} 中的链接{text}指向 {finding.target_url}"
    else:
        where = f"页面 {finding.page_url}"
    return f"{where}，{finding.detail.rstrip('。')}。{REMEDIES[finding.check]}"


def reply_location(finding: Finding) -> str:
    return f"页面：{finding.page_url}\n链接：{finding.target_url}" if finding.target_url else finding.page_url


class Issuer(Protocol):
    """Who sends the notice (`notice:` of sites.yaml)."""

    office: str
    contact: str
    reply_working_days: int
    holidays: Collection[date]
    makeup_workdays: Collection[date]


@dataclass(frozen=True)
class Notice:
    """A notice to one unit from one run, with what earlier notices asked and what was fixed since."""

    report: UnitReport
    run_day: date
    issued_on: date
    issuer: Issuer
    earlier: list[IssuedNotice]
    fixed: list[tuple[Resolved, str]]  # resolved since the previous notice, with the day found fixed

    @property
    def deadline(self) -> date:
        issuer = self.issuer
        return official.add_working_days(self.issued_on, issuer.reply_working_days, issuer.holidays,
                                         issuer.makeup_workdays)

    @property
    def items(self) -> list[Seen]:
        """The open findings, grouped by check: high severity first, then in catalogue order."""
        order = list(CATALOG)
        return sorted(open_rows(self.report),
                      key=lambda r: (SEVERITY_RANK[r.finding.info.severity], order.index(r.finding.check)))

    def first_notice_of(self, row: Seen) -> IssuedNotice | None:
        return next((n for n in self.earlier if row.fingerprint in n.fingerprints), None)

    def overdue(self, row: Seen) -> bool:
        """An earlier notice asked for it and its deadline has passed."""
        first = self.first_notice_of(row)
        return first is not None and date.fromisoformat(first.deadline) < self.issued_on

    def mark(self, row: Seen) -> str:
        """Carried over from an earlier notice: overdue once its deadline has passed."""
        first = self.first_notice_of(row)
        if first is None:
            return f"（首次发现于{row.first_seen}）"
        asked = f"首次发现于{row.first_seen}，{first.issued_on}通知，整改期限{first.deadline}"
        return f"【逾期未整改】（{asked}）" if self.overdue(row) else f"【前次通知已列出，尚未整改】（{asked}）"


def notice_docx(notice: Notice) -> bytes:
    report, items = notice.report, notice.items
    unit = report.unit
    document = official.new_document()
    official.letterhead(document, notice.issuer.office)
    official.title(document, f"关于{unit.name}网站", "政府信息公开", "问题整改的通知")
    official.addressee(document, unit.name)
    severities = Counter(row.finding.info.severity for row in items)
    overdue = sum(1 for row in items if notice.overdue(row))
    counts = "、".join(f"{SEVERITY_NAMES[s]}等级{severities[s]}个" for s in SEVERITY_RANK if severities[s])
    official.paragraph(document, (
        f"按照政府网站和政府信息公开工作有关要求，我办于{official.chinese_date(notice.run_day)}对你单位网站"
        f"（{unit.url}）首页及政府信息公开专栏进行了检查，共检查页面{report.pages_crawled}个、链接"
        f"{report.links_checked}个，" + (f"发现问题{len(items)}个（{counts}）" if items else "未发现需要整改的问题")
        + (f"，其中{overdue}个问题此前已通知整改、逾期仍未整改" if overdue else "")
        + "。现将有关情况通知如下。"))
    official.heading(document, "一、存在的问题")
    if not items:
        official.paragraph(document, "本次检查未发现需要整改的问题。")
    number = 0
    for index, (check, rows) in enumerate(groupby(items, key=lambda r: r.finding.check), start=1):
        rows = list(rows)
        info = CATALOG[check]
        official.heading(document, f"（{chinese_numeral(index)}）{info.name}（{len(rows)}个，{SEVERITY_NAMES[info.severity]}等级）", 2)
        for row in rows:
            number += 1
            official.paragraph(document, f"{number}. {finding_sentence(row.finding)}{notice.mark(row)}")
    section = 2
    if notice.earlier:
        previous = notice.earlier[-1]
        official.heading(document, f"{chinese_numeral(section)}、前次通知问题整改情况")
        section += 1
        if notice.fixed:
            official.paragraph(document, f"自{official.chinese_date(date.fromisoformat(previous.issued_on))}通知以来，"
                                         f"以下{len(notice.fixed)}个问题经复查已整改：")
            for fixed_number, (resolved, day) in enumerate(notice.fixed, start=1):
                official.paragraph(document, f"{fixed_number}. 【已整改】{resolved.finding.info.name}："
                                             f"{finding_sentence(resolved.finding).removesuffix(REMEDIES[resolved.finding.check])}"
                                             f"（{day}复查确认）")
        else:
            official.paragraph(document, f"自{official.chinese_date(date.fromisoformat(previous.issued_on))}通知以来，"
                                         "经复查尚无已整改的问题。")
    official.heading(document, f"{chinese_numeral(section)}、整改要求")
    official.paragraph(document, (
        f"请你单位对照上述问题逐项整改，于{official.chinese_date(notice.deadline)}前"
        f"（{notice.issuer.reply_working_days}个工作日内）完成，并填写《整改情况反馈表》（见附件），"
        "加盖公章后报送我办。对确属误报或暂不具备整改条件的问题，请在反馈表中说明理由。"))
    if notice.issuer.contact:
        official.paragraph(document, f"联系人：{notice.issuer.contact}")
    official.paragraph(document)
    official.paragraph(document, "附件：整改情况反馈表")
    official.signature(document, notice.issuer.office, notice.issued_on)
    reply_form(document, notice, items)
    return official.docx_bytes(document)


def reply_form(document, notice: Notice, items: list[Seen]) -> None:
    """整改情况反馈表: one row per finding, 整改措施 and 完成时间 left for the unit to fill in."""
    official.landscape_section(document)
    official.annex_label(document)
    official.title(document, "整改情况反馈表")
    official.paragraph(document, f"填报单位（盖章）：{notice.report.unit.name}　　　　填报人：　　　　"
                                 "联系电话：　　　　填报日期：", size=official.Pt(12), indent=None)
    rows = [[str(number), row.finding.info.name, reply_location(row.finding), row.finding.detail, "", ""]
            for number, row in enumerate(items, start=1)]
    official.table(document, ["序号", "问题类型", "问题位置", "问题说明", "整改措施", "完成时间"], rows,
                   [12, 22, 75, 56, 40, 20], row_height_mm=15)


def chinese_numeral(number: int) -> str:
    """一 … 九十九: the numbering of 一、 and （一） headings."""
    digits = "零一二三四五六七八九"
    if number < 10:
        return digits[number]
    tens, ones = divmod(number, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def write_notices(history: History, out_dir: Path, run_id: str, unit_ids: list[str] | None, issued_on: date,
                  issuer: Issuer) -> list[Path]:
    """Write OUT/<run>/notices/<unit>-整改通知.docx for the named units (None: every unit with open
    findings) and remember each notice in the history."""
    run_info, reports = history.load_run(run_id)
    by_id = {report.unit.id: report for report in reports}
    if unit_ids is None:
        unit_ids = [report.unit.id for report in reports if open_rows(report)]
    for unit_id in unit_ids:
        if unit_id not in by_id:
            raise HistoryError(f"unit {unit_id!r} is not in run {run_id} (its units: {', '.join(by_id)})")
    folder = out_dir / run_id / "notices"
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for unit_id in unit_ids:
        earlier = history.earlier_notices(unit_id, run_id)
        fixed = history.resolved_between(unit_id, earlier[-1].run_id, run_id) if earlier else []
        still_open = {row.fingerprint for row in open_rows(by_id[unit_id])}
        notice = Notice(by_id[unit_id], date.fromisoformat(run_info["today"]), issued_on, issuer, earlier,
                        [item for item in fixed if item[0].fingerprint not in still_open])
        path = folder / f"{unit_id}-整改通知.docx"
        write_atomic(path, notice_docx(notice))
        history.record_notice(unit_id, run_id, issued_on.isoformat(), notice.deadline.isoformat(),
                              [row.fingerprint for row in notice.items])
        written.append(path)
    return written

"""检查情况通报: the periodic inspection bulletin, as .docx and the same content as Markdown.

Over the stored runs of a period (by default the quarter up to the latest run): the state at the
period's last run, units ranked under the national website-inspection indicators of
checks/rules.yaml (single veto, then score), per-check counts, what improved or worsened since
the previous period's last run, IPv6 per unit, and a bar chart of open findings per unit.
"""
from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from checks.files import write_atomic
from checks.findings import CATALOG, SEVERITY_NAMES, SEVERITY_RANK
from checks.indicators import IndicatorVerdict, assess_indicators
from checks.ipv6 import VERDICT_NAMES
from checks.rules import Rules
from crawler.outcome.history import History, HistoryError
from crawler.outcome.model import UnitReport
from crawler.report import official
from crawler.report.rows import open_rows

QUARTERS = "一二三四"
# fonts matplotlib may find for the chart's Chinese labels, the first one present wins
CHART_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei",
               "PingFang SC", "Heiti SC")
SEVERITY_COLOURS = {"high": "#c0392b", "medium": "#e67e22", "low": "#95a5a6"}


# --- the content, written once and rendered twice (docx, Markdown) --------------------------
@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Grid:
    headers: list[str]
    rows: list[list[str]]
    widths_mm: list[float]


@dataclass(frozen=True)
class Chart:
    png: bytes
    caption: str


@dataclass(frozen=True)
class Period:
    since: date
    until: date

    @property
    def quarter(self) -> int | None:
        """The quarter when the period starts on a quarter's first day and stays inside it."""
        number = (self.since.month - 1) // 3
        starts = self.since.day == 1 and self.since.month == 3 * number + 1
        return number + 1 if starts and (self.until.year, (self.until.month - 1) // 3) == (self.since.year, number) else None

    @property
    def name(self) -> str:
        if self.quarter:
            return f"{self.since.year}年第{QUARTERS[self.quarter - 1]}季度"
        return f"{official.chinese_date(self.since)}至{official.chinese_date(self.until)}"

    @property
    def file_stem(self) -> str:
        if self.quarter:
            return f"{self.since.year}Q{self.quarter}"
        return f"{self.since:%Y%m%d}-{self.until:%Y%m%d}"


@dataclass
class UnitStanding:
    report: UnitReport
    verdict: IndicatorVerdict
    severities: Counter
    before: int | None  # open findings at the previous period's last run; None when not inspected then
    new: int  # findings found new in the period
    resolved: int  # findings fixed in the period

    @property
    def open(self) -> int:
        return sum(self.severities.values())

    @property
    def assessed(self) -> bool:
        """A unit none of whose pages could be read (its home behind a firewall challenge) cannot be
        scored: no findings there means nothing was seen, not that nothing is wrong."""
        return bool(self.verdict.vetoes) or self.report.pages_crawled > 0

    @property
    def score(self) -> str:
        return "—" if self.verdict.score is None or not self.assessed else f"{self.verdict.score:g}"

    def rank_key(self) -> tuple:
        """Scored units by score, then fewer high-severity, then fewer open findings; then the units
        that could not be assessed; vetoed units last."""
        return (bool(self.verdict.vetoes), not self.assessed, -(self.verdict.score or 0), self.severities["high"],
                self.open, self.report.unit.id)

    @property
    def conclusion(self) -> str:
        if self.verdict.vetoes:
            return "不合格（单项否决）"
        if not self.assessed:
            return "无法评定（未能读取页面）"
        return "合格" if self.verdict.qualified else "不合格"

    @property
    def change(self) -> str:
        if self.before is None:
            return "—"
        delta = self.open - self.before
        return f"+{delta}" if delta > 0 else str(delta) if delta else "持平"


def quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def standings(history: History, run_ids: list[str], reports: list[UnitReport], before: list[UnitReport] | None,
              rules: Rules) -> list[UnitStanding]:
    """Each unit of the period's last run, with its indicator verdict and changes, ranked."""
    share_checks = {code for i in rules.indicators.single_veto if i.share_of_runs is not None for code in i.checks}
    by_run = history.open_findings_by_run(run_ids, share_checks)
    changes = history.changes_by_unit(run_ids)
    before_open = {r.unit.id: len(open_rows(r)) for r in before or []}
    result = []
    for report in reports:
        open_ = open_rows(report)
        verdict = assess_indicators(rules.indicators, [r.finding for r in open_],
                                    list(by_run.get(report.unit.id, {}).values()),
                                    {report.unit.url, report.stats.get("home_final_url") or report.unit.url})
        counts = changes.get(report.unit.id, Counter())
        result.append(UnitStanding(report, verdict, Counter(r.finding.info.severity for r in open_),
                                   before_open.get(report.unit.id), counts["new"], counts["resolved"]))
    return sorted(result, key=UnitStanding.rank_key)


def bulletin_blocks(period: Period, runs: list[tuple[str, str]], ranked: list[UnitStanding],
                    before_day: str | None, rules: Rules, chart: Chart) -> list:
    """The bulletin's body, from the overview to the requirements."""
    units = len(ranked)
    assessed = [s for s in ranked if s.assessed]
    qualified = sum(1 for s in assessed if s.verdict.qualified)
    unassessed = [s.report.unit.name for s in ranked if not s.assessed]
    severities = sum((s.severities for s in ranked), Counter())
    total = sum(severities.values())
    last_day = date.fromisoformat(runs[-1][1])
    blocks: list = [Text(
        f"按照政府网站与政务新媒体检查指标和政府信息公开工作有关要求，我办于{official.chinese_date(period.since)}至"
        f"{official.chinese_date(period.until)}对{units}个单位网站的首页及政府信息公开专栏开展了{len(runs)}次"
        "检查。现将有关情况通报如下。")]
    blocks.append(Heading("一、总体情况"))
    severity_text = "、".join(f"{name}等级{severities[s]}个" for s, name in SEVERITY_NAMES.items() if severities[s])
    overview = (f"截至{official.chinese_date(last_day)}，{units}个单位网站中合格{qualified}个、不合格"
                f"{len(assessed) - qualified}个"
                + (f"，{'、'.join(unassessed)}的网站页面未能读取（如被防火墙验证拦截），无法评定" if unassessed else "")
                + (f"；合格率{qualified / len(assessed):.0%}" if assessed else "")
                + f"。各单位网站共有未整改问题{total}个"
                + (f"（{severity_text}）" if severity_text else "")
                + f"；本期新发现问题{sum(s.new for s in ranked)}个，已整改{sum(s.resolved for s in ranked)}个。")
    if before_day is not None:
        before_total = sum(s.before or 0 for s in ranked)
        delta = total - before_total
        overview += (f"与上期末（{official.chinese_date(date.fromisoformat(before_day))}）相比，未整改问题"
                     + (f"增加{delta}个。" if delta > 0 else f"减少{-delta}个。" if delta else "持平。"))
    blocks.append(Text(overview))
    blocks.append(Text("各单位排名如下（按得分、高等级问题数、问题总数排序，无法评定和单项否决的单位列后）："))
    blocks.append(Grid(["排名", "单位", "得分", "结论", *SEVERITY_NAMES.values(), "合计", "较上期"],
                       [[str(rank), s.report.unit.name, s.score, s.conclusion, str(s.severities["high"]), str(s.severities["medium"]),
                         str(s.severities["low"]), str(s.open), s.change] for rank, s in enumerate(ranked, start=1)],
                       [12, 28, 14, 42, 10, 10, 10, 12, 16]))
    blocks.append(chart)

    blocks.append(Heading("二、主要问题"))
    blocks.append(Heading("（一）单项否决情况", 2))
    vetoed = [s for s in ranked if s.verdict.vetoes]
    if vetoed:
        for s in vetoed:
            reasons = "；".join(f"{v.name}（{v.of_runs}次检查中{v.count}次发现）" if v.of_runs else f"{v.name}{v.count}个"
                               for v in s.verdict.vetoes)
            blocks.append(Text(f"{s.report.unit.name}：{reasons}。"))
    else:
        blocks.append(Text("本期未发现触发单项否决指标的网站。"))
    blocks.append(Heading("（二）扣分情况", 2))
    for indicator in rules.indicators.deductions:
        hits = [(s, d) for s in ranked for d in s.verdict.deductions if d.name == indicator.name]
        listed = "、".join(f"{s.report.unit.name}{d.count}个（扣{d.points:g}分）" for s, d in hits)
        blocks.append(Text(f"{indicator.name}（每个扣{indicator.points:g}分）：{listed or '未发现'}。"))
    blocks.append(Heading("（三）问题分类统计", 2))
    per_check = []
    for code, info in sorted(CATALOG.items(), key=lambda item: SEVERITY_RANK[item[1].severity]):
        counts = [(s, sum(1 for r in open_rows(s.report) if r.finding.check == code)) for s in ranked]
        counts = [(s, n) for s, n in counts if n]
        if counts:
            per_check.append([info.name, SEVERITY_NAMES[info.severity],
                              str(sum(n for _, n in counts)), str(len(counts)),
                              "、".join(f"{s.report.unit.name}（{n}）" for s, n in counts)])
    if per_check:
        blocks.append(Grid(["问题类型", "等级", "问题数", "单位数", "涉及单位（问题数）"], per_check, [30, 12, 16, 16, 80]))
    else:
        blocks.append(Text("本期未发现问题。"))
    blocks.append(Heading("（四）IPv6支持情况", 2))
    ipv6 = Counter(s.report.stats.get("ipv6_verdict", "") for s in ranked)
    counted = "、".join(f"{name}{ipv6[verdict]}个" for verdict, name in VERDICT_NAMES.items()
                        if ipv6[verdict] or verdict != "unknown")
    blocks.append(Text(f"IPv6支持情况检查中，{counted}" + (f"、未检查{ipv6['']}个" if ipv6[""] else "") + "。"))
    blocks.append(Grid(["单位", "结论", "存在的问题"],
                       [[s.report.unit.name, VERDICT_NAMES.get(s.report.stats.get("ipv6_verdict", ""), "未检查"),
                         "；".join(r.finding.detail for r in open_rows(s.report) if r.finding.check.startswith("ipv6_"))
                         or "—"] for s in ranked], [34, 24, 96]))

    blocks.append(Heading("三、整改变化"))
    if before_day is None:
        blocks.append(Text("本期为首次通报，无上期数据可比。"))
    else:
        better = [s for s in ranked if s.before is not None and s.open < s.before]
        worse = [s for s in ranked if s.before is not None and s.open > s.before]
        blocks.append(Text("问题减少的单位：" + ("、".join(f"{s.report.unit.name}（{s.change}）" for s in better) or "无")
                           + "。"))
        blocks.append(Text("问题增加的单位：" + ("、".join(f"{s.report.unit.name}（{s.change}）" for s in worse) or "无")
                           + "。"))
    fixers = [s for s in ranked if s.resolved]
    blocks.append(Text("本期整改问题的单位：" + ("、".join(f"{s.report.unit.name}（{s.resolved}个）" for s in fixers) or "无")
                       + "。"))

    blocks.append(Heading("四、工作要求"))
    blocks.append(Text("各单位要对照本通报和整改通知，逐项整改存在的问题，举一反三，建立健全网站日常巡查和"
                       "信息更新机制。触发单项否决或未达合格分数的单位要立即整改，并将整改情况报送我办。"
                       "我办将持续开展检查，并对整改情况进行复查。"))
    return blocks


def annex_rows(ranked: list[UnitStanding]) -> tuple[list[str], list[list[str]]]:
    """附件: per unit in ranking order, the crawl's numbers, open findings by severity and by check, changes."""
    headers = ["排名", "单位", "检查页面", "检查链接", "高", "中", "低", "本期新增", "本期整改", "问题分布"]
    rows = []
    for rank, s in enumerate(ranked, start=1):
        counts = Counter(r.finding.check for r in open_rows(s.report))
        spread = "、".join(f"{CATALOG[code].name}{counts[code]}" for code in CATALOG if counts[code])
        rows.append([str(rank), s.report.unit.name, str(s.report.pages_crawled), str(s.report.links_checked),
                     str(s.severities["high"]), str(s.severities["medium"]), str(s.severities["low"]),
                     str(s.new), str(s.resolved), spread or "—"])
    return headers, rows


def chart_png(ranked: list[UnitStanding]) -> bytes:
    """Open findings per unit, stacked by severity, in ranking order from the top."""
    from matplotlib import font_manager
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    installed = {font.name for font in font_manager.fontManager.ttflist}
    chinese = next((name for name in CHART_FONTS if name in installed), None)
    # without a Chinese font the labels would be empty boxes: unit ids and English then
    labels = [s.report.unit.name if chinese else s.report.unit.id for s in ranked]
    names = SEVERITY_NAMES if chinese else {severity: severity for severity in SEVERITY_NAMES}
    figure = Figure(figsize=(7.5, 0.9 + 0.34 * max(len(ranked), 1)), dpi=150)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    font = {"family": chinese} if chinese else {}
    left = [0] * len(ranked)
    positions = list(range(len(ranked)))[::-1]
    for severity in ("high", "medium", "low"):
        values = [s.severities[severity] for s in ranked]
        axes.barh(positions, values, left=left, color=SEVERITY_COLOURS[severity], label=names[severity], height=0.6)
        left = [a + b for a, b in zip(left, values)]
    for position, total in zip(positions, left):
        axes.text(total + 0.1, position, str(total), va="center", fontsize=8)
    axes.set_yticks(positions, labels, fontsize=9, **({"fontfamily": chinese} if chinese else {}))
    axes.set_xlabel("未整改问题数" if chinese else "open findings", fontdict=font)
    axes.legend(prop={"family": chinese, "size": 8} if chinese else {"size": 8}, loc="lower center",
                bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    axes.xaxis.get_major_locator().set_params(integer=True)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def bulletin_docx(period: Period, blocks: list, annex: tuple[list[str], list[list[str]]], office: str,
                  recipients: str, issued_on: date) -> bytes:
    document = official.new_document()
    official.letterhead(document, office)
    official.title(document, "关于", period.name, "海关网站", "政府信息公开", "检查情况的通报")
    official.addressee(document, recipients)
    for block in blocks:
        if isinstance(block, Heading):
            official.heading(document, block.text, block.level)
        elif isinstance(block, Text):
            official.paragraph(document, block.text)
        elif isinstance(block, Grid):
            official.table(document, block.headers, block.rows, block.widths_mm)
            official.paragraph(document)
        elif isinstance(block, Chart):
            official.picture(document, block.png, 150, block.caption)
    official.paragraph(document)
    official.paragraph(document, "附件：各单位检查情况统计表")
    official.signature(document, office, issued_on)
    official.landscape_section(document)
    official.annex_label(document)
    official.title(document, "各单位检查情况统计表")
    official.table(document, *annex, [12, 34, 16, 16, 14, 14, 14, 16, 16, 73])
    return official.docx_bytes(document)


def markdown_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(map(markdown_cell, headers)) + " |", "|" + "---|" * len(headers)]
    return lines + ["| " + " | ".join(map(markdown_cell, row)) + " |" for row in rows] + [""]


def bulletin_markdown(period: Period, blocks: list, annex: tuple[list[str], list[list[str]]], office: str,
                      recipients: str, issued_on: date, chart_name: str) -> str:
    lines = [f"# 关于{period.name}海关网站政府信息公开检查情况的通报", "", f"{recipients}：", ""]
    for block in blocks:
        if isinstance(block, Heading):
            lines += [f"{'#' * (block.level + 1)} {block.text}", ""]
        elif isinstance(block, Text):
            lines += [block.text, ""]
        elif isinstance(block, Grid):
            lines += markdown_table(block.headers, block.rows)
        elif isinstance(block, Chart):
            lines += [f"![{block.caption}]({chart_name})", ""]
    lines += [f"{office}  ", official.chinese_date(issued_on), "", "## 附件：各单位检查情况统计表", ""]
    lines += markdown_table(*annex)
    return "\n".join(lines)


def write_bulletin(history: History, out_dir: Path, since: date | None, until: date | None, issued_on: date,
                   rules: Rules, office: str, recipients: str) -> list[Path]:
    """Write OUT/bulletins/<period>-检查情况通报.docx, .md and the chart's .png; return their paths."""
    if until is None:
        latest = history.latest_reported_run()
        if latest is None:
            raise HistoryError(f"{history.path}: no finished run yet (python -m crawler run writes one)")
        until = date.fromisoformat(history.load_run(latest)[0]["today"])
    since = since or quarter_start(until)
    if since > until:
        raise HistoryError(f"--since {since} is after --until {until}")
    period = Period(since, until)
    runs = history.reported_runs(since.isoformat(), until.isoformat())
    if not runs:
        raise HistoryError(f"no finished run between {since} and {until} in {history.path}")
    run_ids = [run_id for run_id, _ in runs]
    _, reports = history.load_run(run_ids[-1])
    before_run = history.last_reported_run_before(since.isoformat())
    before_info, before = history.load_run(before_run) if before_run else (None, None)
    ranked = standings(history, run_ids, reports, before, rules)
    chart = Chart(chart_png(ranked), f"图1 各单位未整改问题数（截至{official.chinese_date(date.fromisoformat(runs[-1][1]))}）")
    blocks = bulletin_blocks(period, runs, ranked, before_info["today"] if before_info else None, rules, chart)
    annex = annex_rows(ranked)
    folder = out_dir / "bulletins"
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"{period.file_stem}-检查情况通报"
    paths = [folder / f"{stem}.docx", folder / f"{stem}.md", folder / f"{stem}.png"]
    write_atomic(paths[0], bulletin_docx(period, blocks, annex, office, recipients, issued_on))
    write_atomic(paths[1], bulletin_markdown(period, blocks, annex, office, recipients, issued_on,
                                             paths[2].name).encode("utf-8"))
    write_atomic(paths[2], chart.png)
    return paths

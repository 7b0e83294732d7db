"""index.html of a run folder: the run at a glance for inspectors, in one self-contained file.

Units ranked by open findings with a bar chart, per-check counts, IPv6 verdicts, the trend over
the last runs, then every finding with its fingerprint (what `accept` takes) and its evidence.

Crawled pages are hostile input: every text is escaped, only http(s) URLs become links (a
`javascript:` href is shown as text), and a Content-Security-Policy forbids any script, so a
page that slipped through escaping still could not run one. The page has no JavaScript at all.
"""
from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator, Sequence

from checks.findings import CATALOG, SEVERITY_NAMES, SEVERITY_RANK, Finding
from checks.ipv6 import VERDICT_NAMES
from crawler.outcome.model import STATE_NAMES, Acceptance, TrendPoint, UnitReport
from crawler.report.rows import accepted_rows, open_rows

SEVERITY_COLOURS = {"high": "#c0392b", "medium": "#e67e22", "low": "#95a5a6"}
HEADER_NAMES = {"Content-Type": "内容类型", "Content-Length": "内容长度", "Location": "跳转地址",
                "Retry-After": "Retry-After", "Server": "服务器", "Date": "服务器时间",
                "Last-Modified": "最后修改", "ETag": "ETag"}
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
WEB_URL = re.compile(r"https?://", re.IGNORECASE)

STYLE = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei",sans-serif;margin:24px 32px;color:#222}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:32px 0 10px;border-bottom:2px solid #ddd;padding-bottom:4px}
h3{font-size:16px;margin:22px 0 8px}.meta{color:#555;font-size:13px}
.files a{margin-right:12px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 16px;min-width:110px}
.card b{display:block;font-size:22px}.card span{color:#555;font-size:13px}
table{border-collapse:collapse;margin-bottom:12px;width:100%}
td,th{border:1px solid #d5d5d5;padding:4px 7px;font-size:13px;vertical-align:top;text-align:left}
th{background:#f3f3f3;white-space:nowrap}td.n{text-align:right;white-space:nowrap}
td.url{word-break:break-all;min-width:160px}td.k{white-space:nowrap}
.sev{color:#fff;border-radius:3px;padding:0 5px;white-space:nowrap}
.high{background:#c0392b}.medium{background:#e67e22}.low{background:#95a5a6}
.pass{color:#1e8449;font-weight:bold}.partial{color:#b9770e;font-weight:bold}.fail{color:#c0392b;font-weight:bold}.unknown{color:#7f8c8d;font-weight:bold}
details summary{cursor:pointer;white-space:nowrap}details[open]{min-width:340px}code{font-size:12px}
dl{margin:6px 0;display:grid;grid-template-columns:max-content auto;gap:2px 10px}dt{color:#555}dd{margin:0;word-break:break-all}
.muted{color:#888}
"""


def esc(value) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def url_html(url: str, text: str | None = None) -> str:
    """A crawled URL: a link when it is http(s), else plain text (javascript:, data: never become links)."""
    label = esc(url if text is None else text)
    if WEB_URL.match(url):
        return f'<a href="{esc(url)}" rel="noopener noreferrer nofollow">{label}</a>'
    return label


def severity_html(severity: str) -> str:
    return f'<span class="sev {esc(severity)}">{SEVERITY_NAMES[severity]}</span>'


def verdict_html(report: UnitReport) -> str:
    verdict = report.stats.get("ipv6_verdict", "")
    if not verdict:
        return '<span class="muted">未检查</span>'
    share = report.stats.get("ipv6_link_share")
    share_text = f"（链接 {share:.0%}）" if isinstance(share, (int, float)) else ""
    return f'<span class="{esc(verdict)}">{esc(VERDICT_NAMES.get(verdict, verdict))}</span>{share_text}'


def severity_counts(report: UnitReport) -> Counter:
    return Counter(row.finding.info.severity for row in open_rows(report))


def index_html(reports: list[UnitReport], run_info: dict, trend: Sequence[TrendPoint] = ()) -> Iterator[str]:
    """index.html in parts, as they are written: the findings of a large unit are never one text."""
    ranked = sorted(reports, key=lambda r: (-len(open_rows(r)), r.unit.id))
    severities = Counter()
    for report in reports:
        severities.update(severity_counts(report))
    verdicts = Counter(r.stats.get("ipv6_verdict", "") for r in reports)
    new = sum(row.state == "new" for r in reports for row in r.rows)
    accepted = sum(len(accepted_rows(r)) for r in reports)
    resolved = sum(len(r.resolved) for r in reports)
    cards = [
        (len(reports), "单位"),
        (sum(severities.values()), "待整改问题（" + "，".join(f"{SEVERITY_NAMES[s]} {severities[s]}" for s in SEVERITY_RANK)
         + "）"),
        (new, STATE_NAMES["new"]), (resolved, STATE_NAMES["resolved"]), (accepted, STATE_NAMES["accepted"]),
        (f"{verdicts['pass']}/{len(reports)}", "IPv6 通过"),
    ]
    run_id = esc(run_info.get("run_id", ""))
    yield f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>政府信息公开专栏检查报告 {run_id}</title><style>{STYLE}</style></head>
<body>
<h1>政府信息公开专栏检查报告</h1>
<p class="meta">运行 {run_id}，检查日期 {esc(run_info.get('today', ''))}，
开始 {esc(run_info.get('start', ''))}，结束 {esc(run_info.get('end', ''))}</p>
<p class="files"><a href="summary.csv">summary.csv</a><a href="findings.xlsx">findings.xlsx</a>
<a href="resolved.csv">resolved.csv</a><a href="accepted.csv">accepted.csv</a><a href="run.json">run.json</a></p>
<div class="cards">{''.join(f'<div class="card"><b>{esc(n)}</b><span>{esc(label)}</span></div>' for n, label in cards)}</div>
<h2>各单位待整改问题</h2>
{bar_chart(ranked)}
{trend_section(trend)}
<h2>单位排名</h2>
{ranking_table(ranked)}
<h2>各类问题统计</h2>
{check_table(reports)}
<h2>问题明细</h2>
<p class="meta">“指纹”用于接受误报或容许的问题：<code>python -m crawler accept 单位代码 指纹 --reason 理由 [--until 日期]</code></p>
"""
    for report in ranked:
        yield from unit_section(report)
    yield f"""
{accepted_section(reports)}
{resolved_section(reports)}
</body></html>
"""


def bar_chart(ranked: list[UnitReport]) -> str:
    """Open findings per unit, stacked by severity, as inline SVG (no image files, no plotting library)."""
    label_width, bar_width, row_height = 170, 520, 22
    most = max((len(open_rows(r)) for r in ranked), default=0) or 1
    parts = []
    for index, report in enumerate(ranked):
        y = 24 + row_height * index
        counts = severity_counts(report)
        parts.append(f'<text x="{label_width - 8}" y="{y + 14}" text-anchor="end" font-size="12">'
                     f'{esc(report.unit.name)}</text>')
        x = float(label_width)
        for severity in SEVERITY_RANK:
            width = bar_width * counts[severity] / most
            if width:
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{width:.1f}" height="15" '
                             f'fill="{SEVERITY_COLOURS[severity]}"><title>{esc(report.unit.name)}：'
                             f'{SEVERITY_NAMES[severity]} {counts[severity]}</title></rect>')
            x += width
        parts.append(f'<text x="{x + 5:.1f}" y="{y + 14}" font-size="12">{sum(counts.values())}</text>')
    legend = "".join(
        f'<rect x="{label_width + 90 * i}" y="2" width="12" height="12" fill="{SEVERITY_COLOURS[s]}"></rect>'
        f'<text x="{label_width + 90 * i + 16}" y="12" font-size="12">{SEVERITY_NAMES[s]}</text>'
        for i, s in enumerate(SEVERITY_RANK))
    height = 24 + row_height * len(ranked) + 6
    return (f'<svg width="{label_width + bar_width + 60}" height="{height}" role="img" '
            f'aria-label="各单位待整改问题数">{legend}{"".join(parts)}</svg>')


def trend_section(trend: Sequence[TrendPoint]) -> str:
    """Open findings (and the high ones) over the last runs; shown once there are two runs to compare."""
    if len(trend) < 2:
        return ""
    left, top, width, height = 50, 20, 680, 180
    most = max(point.open for point in trend) or 1
    step = width / (len(trend) - 1)

    def xy(index: int, value: int) -> tuple[float, float]:
        return left + step * index, top + height - height * value / most

    lines = []
    for label, colour, value in (("待整改", "#2c3e50", lambda p: p.open),
                                 ("其中高", SEVERITY_COLOURS["high"], lambda p: p.open_by_severity["high"])):
        points = [xy(i, value(p)) for i, p in enumerate(trend)]
        lines.append(f'<polyline fill="none" stroke="{colour}" stroke-width="2" '
                     f'points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in points)}"></polyline>')
        lines.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"><title>{esc(p.run_id)}：'
                     f'{label} {value(p)}，新增 {p.new}，已整改 {p.resolved}，已接受 {p.accepted}</title></circle>'
                     for (x, y), p in zip(points, trend))
    every = max(1, len(trend) // 8)
    ticks = "".join(
        f'<text x="{xy(i, 0)[0]:.1f}" y="{top + height + 16}" text-anchor="middle" font-size="11">'
        f'{esc(p.today[5:])}</text>'
        for i, p in enumerate(trend) if i % every == 0 or i == len(trend) - 1)
    axes = (f'<line x1="{left}" y1="{top + height}" x2="{left + width}" y2="{top + height}" stroke="#999"></line>'
            f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + height}" stroke="#999"></line>'
            f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11">{most}</text>'
            f'<text x="{left - 6}" y="{top + height + 4}" text-anchor="end" font-size="11">0</text>'
            f'<rect x="{left + 10}" y="2" width="12" height="3" fill="#2c3e50"></rect>'
            f'<text x="{left + 26}" y="8" font-size="11">待整改</text>'
            f'<rect x="{left + 90}" y="2" width="12" height="3" fill="{SEVERITY_COLOURS["high"]}"></rect>'
            f'<text x="{left + 106}" y="8" font-size="11">其中高</text>')
    return (f'<h2>近 {len(trend)} 次运行趋势</h2>'
            f'<svg width="{left + width + 30}" height="{top + height + 26}" role="img" aria-label="问题数趋势">'
            f'{axes}{ticks}{"".join(lines)}</svg>')


def ranking_table(ranked: list[UnitReport]) -> str:
    rows = []
    for rank, report in enumerate(ranked, start=1):
        counts = severity_counts(report)
        per_check = Counter(row.finding.check for row in open_rows(report))
        checks = "，".join(f"{CATALOG[c].name} {n}" for c, n in sorted(per_check.items(), key=lambda i: -i[1]))
        unit_id = esc(report.unit.id)
        rows.append(
            f'<tr><td class="n">{rank}</td><td class="k"><a href="#unit-{unit_id}">{esc(report.unit.name)}</a> '
            f'<span class="muted">{unit_id}</span></td><td><a href="{unit_id}.csv">{unit_id}.csv</a></td>'
            f'<td class="n">{report.pages_crawled}</td><td class="n">{report.links_checked}</td>'
            f'<td class="n"><b>{sum(counts.values())}</b></td>'
            + "".join(f'<td class="n">{counts[s]}</td>' for s in SEVERITY_RANK)
            + f'<td class="n">{sum(r.state == "new" for r in report.rows)}</td><td class="n">{len(report.resolved)}</td>'
            f'<td class="n">{len(accepted_rows(report))}</td><td>{verdict_html(report)}</td>'
            f'<td>{"是" if report.crawl_complete else "否"}</td><td>{esc(checks)}</td>'
            f'<td>{esc(report.crawl_notes)}</td></tr>'
        )
    return ("<table><tr><th>排名</th><th>单位</th><th>CSV</th><th>页面数</th><th>链接数</th><th>待整改</th>"
            + "".join(f"<th>{name}</th>" for name in SEVERITY_NAMES.values())
            + "".join(f"<th>{STATE_NAMES[state]}</th>" for state in ("new", "resolved", "accepted")) + "<th>IPv6</th>"
            f"<th>检查完整</th><th>各类问题</th><th>说明</th></tr>{''.join(rows)}</table>")


def check_table(reports: list[UnitReport]) -> str:
    totals: Counter = Counter()
    units: dict[str, set[str]] = {}
    for report in reports:
        for row in open_rows(report):
            totals[row.finding.check] += 1
            units.setdefault(row.finding.check, set()).add(report.unit.id)
    if not totals:
        return '<p class="muted">没有待整改的问题。</p>'
    rows = "".join(
        f'<tr><td><code>{code}</code></td><td>{info.name}</td><td>{severity_html(info.severity)}</td>'
        f'<td class="n">{totals[code]}</td><td class="n">{len(units[code])}</td></tr>'
        for code, info in CATALOG.items() if totals[code])
    return f"<table><tr><th>代码</th><th>问题</th><th>严重程度</th><th>数量</th><th>涉及单位</th></tr>{rows}</table>"


def evidence_html(finding: Finding, fingerprint: str, acceptance: Acceptance | None = None) -> str:
    """What proves the finding later: the fingerprint, and how the crawl saw the target."""
    items = [("指纹", f"<code>{esc(fingerprint)}</code>")]
    if acceptance is not None:
        items += [("接受理由", esc(acceptance.reason)), ("有效期至", esc(acceptance.until or "长期")),
                  ("接受时间", esc(acceptance.accepted_at))]
    proof = finding.evidence or {}
    if proof.get("url"):
        items.append(("请求", f"{esc(proof.get('method', ''))} {url_html(proof['url'])}"))
    if proof.get("status") is not None:
        items.append(("HTTP 状态", esc(proof["status"])))
    if proof.get("error"):
        items.append(("错误", esc(proof["error"])))
    if proof.get("redirects"):
        items.append(("重定向链", " → ".join(url_html(url) for url in proof["redirects"])))
    if proof.get("fetched_at"):
        items.append(("时间", esc(proof["fetched_at"])))
    if proof.get("last_verified"):  # carried over by a nightly run: not fetched again tonight
        items.append(("最近核验", esc(proof["last_verified"])))
    for name, value in (proof.get("headers") or {}).items():
        items.append((HEADER_NAMES.get(name, name), esc(value)))
    if proof.get("body_sha256"):
        items.append(("正文 SHA-256", f"<code>{esc(proof['body_sha256'])}</code>"))
    body = "".join(f"<dt>{esc(term)}</dt><dd>{value}</dd>" for term, value in items)
    return f"<details><summary><code>{esc(fingerprint[:10])}</code> 证据</summary><dl>{body}</dl></details>"


FINDING_HEADER = ("<tr><th>严重程度</th><th>问题</th><th>状态</th><th>页面</th><th>链接</th><th>链接文字</th>"
                  "<th>HTTP</th><th>说明</th><th>首次发现</th><th>指纹与证据</th></tr>")


def finding_cells(finding: Finding) -> str:
    return f'<td class="k">{severity_html(finding.info.severity)}</td><td class="k">{esc(finding.info.name)}</td>'


def location_cells(finding: Finding) -> str:
    return (f'<td class="url">{url_html(finding.page_url)}</td><td class="url">{url_html(finding.target_url)}</td>'
            f"<td>{esc(finding.link_text)}</td>"
            f'<td class="n">{esc("" if finding.http_status is None else finding.http_status)}</td>'
            f"<td>{esc(finding.detail)}</td>")


def unit_section(report: UnitReport) -> Iterator[str]:
    """The unit's heading, then its open findings one row at a time."""
    unit_id = esc(report.unit.id)
    rows = open_rows(report)
    yield (f'<h3 id="unit-{unit_id}">{esc(report.unit.name)}（{unit_id}）：{len(rows)} 个待整改问题 '
           f'<a href="{unit_id}.csv">{unit_id}.csv</a></h3>\n')
    if not rows:
        yield '<p class="muted">没有待整改的问题。</p>\n'
        return
    yield f"<table>{FINDING_HEADER}"
    for r in rows:
        yield (f'<tr>{finding_cells(r.finding)}<td class="k">{STATE_NAMES[r.state]}</td>{location_cells(r.finding)}'
               f'<td class="k">{esc(r.first_seen)}</td><td>{evidence_html(r.finding, r.fingerprint)}</td></tr>\n')
    yield "</table>\n"


def accepted_section(reports: list[UnitReport]) -> str:
    rows = [(report, row) for report in reports for row in accepted_rows(report)]
    if not rows:
        return ""
    body = "".join(
        f"<tr><td>{esc(report.unit.name)}</td>{finding_cells(r.finding)}{location_cells(r.finding)}"
        f'<td>{esc(r.acceptance.reason)}</td><td class="k">{esc(r.acceptance.until or "长期")}</td>'
        f"<td>{evidence_html(r.finding, r.fingerprint, r.acceptance)}</td></tr>"
        for report, r in rows)
    return ('<h2>已接受的问题（<a href="accepted.csv">accepted.csv</a>）</h2><table><tr><th>单位</th><th>严重程度</th>'
            "<th>问题</th><th>页面</th><th>链接</th><th>链接文字</th><th>HTTP</th><th>说明</th><th>理由</th>"
            f"<th>有效期至</th><th>指纹与证据</th></tr>{body}</table>")


def resolved_section(reports: list[UnitReport]) -> str:
    rows = [(report, row) for report in reports for row in report.resolved]
    if not rows:
        return ""
    body = "".join(
        f"<tr><td>{esc(report.unit.name)}</td>{finding_cells(r.finding)}{location_cells(r.finding)}"
        f'<td class="k">{esc(r.first_seen)}</td><td>{evidence_html(r.finding, r.fingerprint)}</td></tr>'
        for report, r in rows)
    return ('<h2>已整改的问题（<a href="resolved.csv">resolved.csv</a>）</h2><table><tr><th>单位</th><th>严重程度</th>'
            "<th>问题</th><th>页面</th><th>链接</th><th>链接文字</th><th>HTTP</th><th>说明</th><th>首次发现</th>"
            f"<th>指纹与证据</th></tr>{body}</table>")
